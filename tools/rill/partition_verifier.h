#ifndef RILL_TOOLS_RILL_PARTITION_VERIFIER_H_
#define RILL_TOOLS_RILL_PARTITION_VERIFIER_H_

// `rill verify`'s check of one partition directory, reading its files
// directly (never through a Log, which would take, trust or repair them), so
// that it can look at a directory another process is writing:
//
//  - every batch's framing, header and CRC;
//  - offsets increasing within and across segments, each segment's name at
//    or below its first batch's base offset and above the previous
//    segment's last offset (a name below the first batch is what Kafka's
//    cleaner leaves), relative offsets fitting 32 bits;
//  - each segment's `.index` and `.timeindex`: whole entries, in Kafka's
//    order, pointing at real batches (index_check.h);
//  - no index file without its `.log`;
//  - the data directory's recovery point and log start offset for the
//    partition at or below its log end offset, and the log start at or
//    above the first segment's base offset;
//  - `leader-epoch-checkpoint` parsing, with increasing epochs.
//
// Warnings, which do not fail the check: a zero-filled or cut-off tail on
// the last segment with batches (its owner may be writing it, or crashed;
// recovery truncates it; rill creates the next segment before it trims the
// one it rolls away from), a missing index file or an untrimmed index of an older
// segment (both rebuilt on load), a log start checkpoint below the first
// segment (Kafka takes the larger), leftovers of an interrupted cleaner
// swap. Thread safe (no shared state).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/storage/checkpoint_file.h"
#include "tools/rill/data_dir.h"

namespace rill::tool {

// The data directory's checkpoints; nullopt when absent or unreadable.
struct DirCheckpoints {
  std::optional<storage::PartitionOffsets> recovery_points;
  std::optional<storage::PartitionOffsets> log_start_offsets;
};

struct PartitionReport {
  std::string topic;
  int32_t partition = 0;
  int segments = 0;
  int64_t batches = 0;
  int64_t records = 0;  // From the batch headers' record counts.
  uint64_t bytes = 0;   // Of whole batches, without tails.
  int64_t log_start_offset = 0;
  int64_t log_end_offset = 0;
  // Each names the file and the byte, entry or line.
  std::vector<std::string> problems;
  std::vector<std::string> warnings;

  bool ok() const { return problems.empty(); }
};

PartitionReport VerifyPartition(const PartitionDir& dir, const DirCheckpoints& checkpoints);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_PARTITION_VERIFIER_H_
