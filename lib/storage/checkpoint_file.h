#ifndef RILL_STORAGE_CHECKPOINT_FILE_H_
#define RILL_STORAGE_CHECKPOINT_FILE_H_

// Kafka's text checkpoint files (server-common CheckpointFile.java): line 1
// the version, line 2 the entry count, then one entry per line, '\n' line
// ends. Written to `<name>.tmp`, fsynced, renamed over the target and the
// directory fsynced, so a crash leaves the old or the new file, never a mix.
//
//   recovery-point-offset-checkpoint, log-start-offset-checkpoint,
//   cleaner-offset-checkpoint:   version 0, entries "topic partition offset"
//   leader-epoch-checkpoint:     version 0, entries "epoch startOffset"
//
// Thread safe (no state). Errors: DataLoss naming the file and line for a
// malformed file; NotFound when it does not exist; the FileSystem's errors.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/storage/file_system.h"

namespace rill::storage {

inline constexpr char kRecoveryPointCheckpoint[] = "recovery-point-offset-checkpoint";
inline constexpr char kLogStartOffsetCheckpoint[] = "log-start-offset-checkpoint";
inline constexpr char kCleanerOffsetCheckpoint[] = "cleaner-offset-checkpoint";
inline constexpr char kLeaderEpochCheckpoint[] = "leader-epoch-checkpoint";

// Reads the entry lines of a checkpoint with the given version, each split
// on single spaces into exactly `fields` fields.
absl::StatusOr<std::vector<std::vector<std::string>>> ReadCheckpoint(FileSystem* fs,
                                                                     const std::string& path,
                                                                     int version, int fields);
// Writes `lines` (already formatted entries) atomically.
absl::Status WriteCheckpoint(FileSystem* fs, const std::string& path, int version,
                             const std::vector<std::string>& lines);

// (topic, partition) → offset, the per-data-directory checkpoints.
using PartitionOffsets = std::map<std::pair<std::string, int32_t>, int64_t>;
absl::StatusOr<PartitionOffsets> ReadPartitionOffsets(FileSystem* fs, const std::string& path);
absl::Status WritePartitionOffsets(FileSystem* fs, const std::string& path,
                                   const PartitionOffsets& offsets);

}  // namespace rill::storage

#endif  // RILL_STORAGE_CHECKPOINT_FILE_H_
