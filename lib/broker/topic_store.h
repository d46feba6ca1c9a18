#ifndef RILL_BROKER_TOPIC_STORE_H_
#define RILL_BROKER_TOPIC_STORE_H_

// Where a data directory keeps its topics' metadata: one Java-properties
// file per topic in `<dir>/.topics/<name>` (topic.id,
// partitions, replication.factor and every topic config by Kafka name),
// written atomically (tmp, fsync, rename, fsync dir). The file is the commit
// point of a topic: created after its partition directories, removed before
// them, rewritten after new partitions exist, so a crash in the middle of a
// create, delete or CreatePartitions leaves either the old or the new topic
// and the broker removes what no file accounts for.
// Each partition directory also gets Kafka's `partition.metadata`
// ("version: 0" / "topic_id: <id>").
// Thread safe (no state besides the FileSystem).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/storage/file_system.h"
#include "rill/topic_options.h"

namespace rill::broker {

struct TopicRecord {
  std::string name;
  std::string topic_id;
  TopicOptions options;  // Includes partitions.
};

class TopicStore {
 public:
  TopicStore(storage::FileSystem* fs, std::string data_dir, bool read_only)
      : fs_(fs), data_dir_(std::move(data_dir)), read_only_(read_only) {}

  // Every topic file; DataLoss naming the file if one does not parse.
  absl::StatusOr<std::vector<TopicRecord>> LoadAll() const;
  absl::Status Write(const TopicRecord& record) const;
  absl::Status Remove(const std::string& name) const;
  // Writes `<partition dir>/partition.metadata`.
  absl::Status WritePartitionMetadata(const std::string& partition_dir,
                                      const std::string& topic_id) const;

  // A new random topic id: a v4 UUID as Kafka prints it (22 chars, base64url).
  static std::string NewTopicId();

 private:
  std::string dir() const;
  std::string PathOf(const std::string& name) const;
  // Writes `tmp`, syncs it and renames it over `path`.
  absl::Status WriteAtomically(const std::string& path, const std::string& tmp,
                               const std::string& text) const;

  storage::FileSystem* fs_;
  std::string data_dir_;
  bool read_only_;
};

}  // namespace rill::broker

#endif  // RILL_BROKER_TOPIC_STORE_H_
