#ifndef RILL_TOOLS_RILL_CHECKPOINTS_H_
#define RILL_TOOLS_RILL_CHECKPOINTS_H_

// The text checkpoints of a data directory and its partition directories
// (kafka-reference §2.7), read for `rill dump` and `rill verify` through the
// storage layer's parser, without writing anything. A missing file is not
// an error: Kafka and rill treat it as empty.
// Thread safe. Errors: DataLoss "checkpoint <path> line N: <why>" for a
// malformed file; the errno of one that cannot be read.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/storage/checkpoint_file.h"

namespace rill::tool {

// Kafka's high-watermark checkpoint; rill does not write it yet.
inline constexpr char kReplicationOffsetCheckpoint[] = "replication-offset-checkpoint";

// The data directory's "topic partition offset" checkpoints, in the order
// `rill dump` prints them.
inline constexpr const char* kDataDirCheckpoints[] = {
    storage::kRecoveryPointCheckpoint,
    storage::kLogStartOffsetCheckpoint,
    kReplicationOffsetCheckpoint,
    storage::kCleanerOffsetCheckpoint,
};

// The entries of a "topic partition offset" checkpoint; nullopt if absent.
absl::StatusOr<std::optional<storage::PartitionOffsets>> ReadOffsetsCheckpoint(
    const std::string& path);

struct LeaderEpochEntry {
  int32_t epoch = 0;
  int64_t start_offset = 0;
};

// A partition's `leader-epoch-checkpoint`; nullopt if absent. Also DataLoss
// when epochs do not increase or start offsets decrease.
absl::StatusOr<std::optional<std::vector<LeaderEpochEntry>>> ReadLeaderEpochCheckpoint(
    const std::string& path);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_CHECKPOINTS_H_
