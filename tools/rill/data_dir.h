#ifndef RILL_TOOLS_RILL_DATA_DIR_H_
#define RILL_TOOLS_RILL_DATA_DIR_H_

// What a data directory (one Kafka `log.dirs` entry) holds, listed without
// opening it: its `<topic>-<partition>` directories and the segment files in
// each (kafka-reference §2.1). Directories Kafka renamed for deletion or a
// log-dir move (`<topic>-<partition>.<id>-delete`, `-future`, `-stray`) do not
// parse as partitions and are left out. Thread safe.
// Errors: the errno of a directory that cannot be listed, naming it.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rill::tool {

struct PartitionDir {
  std::string topic;
  int32_t partition = 0;
  std::string path;
};

// The partition directories in `data_dir`, by topic, then partition number.
absl::StatusOr<std::vector<PartitionDir>> ListPartitionDirs(const std::string& data_dir);

// The names of the entries in `dir`, sorted.
absl::StatusOr<std::vector<std::string>> ListNames(const std::string& dir);

// The paths of the `<20-digit offset>.log` files in `dir`, in offset order,
// or with other names ending in `.log` in name order after them.
absl::StatusOr<std::vector<std::string>> ListSegmentFiles(const std::string& dir);

// For each of `log_paths`, one partition's segments in offset order: whether
// a live owner may still be writing or trimming it (mapped_file.h), or a
// crashed one left it half written — it is the last one, or every later one
// holds no batch yet, since rill creates the next segment before it trims
// the one it rolls away from. None may when the data directory (the parent
// of the partition directory) holds the clean-shutdown marker: its owner
// closed it, and the next one removes the marker first.
std::vector<bool> SegmentsThatMayShrink(const std::vector<std::string>& log_paths);
// The same for one `.log` file, judged among the segments beside it.
bool SegmentMayShrink(const std::string& log_path);

// Whether `dir` looks like a data directory: it has partition directories,
// checkpoint files, a lock or a clean-shutdown marker.
absl::StatusOr<bool> LooksLikeDataDir(const std::string& dir);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_DATA_DIR_H_
