#ifndef RILL_STORAGE_LEADER_EPOCH_CACHE_H_
#define RILL_STORAGE_LEADER_EPOCH_CACHE_H_

// Leader epoch → start offset, kept in the partition directory's
// `leader-epoch-checkpoint` (Kafka's LeaderEpochFileCache): version 0, one
// "epoch startOffset" line per epoch. A single-node rill log stays at epoch
// 0; replication (KIP-101 truncation) will read it.
// Not thread safe: owned by the log's writer.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/storage/file_system.h"

namespace rill::storage {

class LeaderEpochCache {
 public:
  // Loads `<dir>/leader-epoch-checkpoint` if present (read-only: never writes).
  static absl::StatusOr<std::unique_ptr<LeaderEpochCache>> Load(FileSystem* fs,
                                                                const std::string& dir,
                                                                bool read_only);

  // Records that `epoch` starts at `start_offset` if it is newer than the
  // latest; persists the change.
  absl::Status Assign(int32_t epoch, int64_t start_offset);
  // Drops epochs starting at or after `end_offset` (log truncation).
  absl::Status TruncateFromEnd(int64_t end_offset);
  // Drops all but the latest epoch starting before `start_offset` and moves
  // it up to start there (log start moved).
  absl::Status TruncateFromStart(int64_t start_offset);

  std::optional<int32_t> latest_epoch() const;
  const std::vector<std::pair<int32_t, int64_t>>& entries() const { return entries_; }

 private:
  LeaderEpochCache(FileSystem* fs, std::string path, bool read_only)
      : fs_(fs), path_(std::move(path)), read_only_(read_only) {}
  absl::Status Persist();

  FileSystem* fs_;
  std::string path_;
  bool read_only_;
  std::vector<std::pair<int32_t, int64_t>> entries_;
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_LEADER_EPOCH_CACHE_H_
