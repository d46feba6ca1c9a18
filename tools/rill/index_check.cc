#include "tools/rill/index_check.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"

namespace rill::tool {
namespace {

using format::BatchScanner;

absl::Status EntryError(const std::string& path, const std::string& entry, const std::string& why) {
  return absl::DataLossError(absl::StrCat(path, ": ", entry, ": ", why));
}

std::string DescribeBatch(const BatchLocation& batch) {
  return absl::StrCat("the batch at byte ", batch.position, " (offsets ", batch.base_offset, "..",
                      batch.last_offset, ")");
}

// Whether `entry` may end a multi-batch chunk that starts at `first` and
// ends before `next_position`.
bool EndsChunk(const SegmentScan& log, const OffsetIndexEntry& entry, const BatchLocation& first,
               uint64_t next_position) {
  const BatchLocation* last = FindBatchWithOffset(log, entry.offset);
  return last != nullptr && last->last_offset == entry.offset && last->position > first.position &&
         last->position < next_position;
}

// Why offset-index entry `i` does not point at its batch; empty if it does.
std::string OffsetEntryProblem(const SegmentScan& log, const OffsetIndexEntry& entry,
                               uint64_t next_position) {
  const BatchLocation* batch = FindBatchAt(log, entry.position);
  if (batch == nullptr) {
    const BatchLocation* holder = FindBatchHolding(log, entry.position);
    if (holder != nullptr) {
      return absl::StrCat("position ", entry.position, " is inside ", DescribeBatch(*holder),
                          ", not at the start of a batch");
    }
    return absl::StrCat("position ", entry.position,
                        " is past the last batch (the log's batches end at byte ", log.valid_bytes,
                        ")");
  }
  if (batch->last_offset == entry.offset || EndsChunk(log, entry, *batch, next_position)) return "";
  return absl::StrCat("points at ", DescribeBatch(*batch), ", whose last offset is not ",
                      entry.offset);
}

// The largest max timestamp of the batches before each one.
std::vector<int64_t> MaxTimestampsBefore(const SegmentScan& log) {
  std::vector<int64_t> before;
  int64_t max = std::numeric_limits<int64_t>::min();
  for (const BatchLocation& batch : log.batches) {
    before.push_back(max);
    max = std::max(max, batch.max_timestamp);
  }
  return before;
}

int64_t NextOffset(const SegmentScan& log) {
  return log.batches.empty() ? std::numeric_limits<int64_t>::min()
                             : log.batches.back().last_offset + 1;
}

std::string TimeEntryProblem(const SegmentScan& log, const std::vector<int64_t>& max_before,
                             const TimeIndexEntry& entry) {
  const BatchLocation* batch = FindBatchWithOffset(log, entry.offset);
  if (batch == nullptr) return absl::StrCat("offset ", entry.offset, " is in no batch of the log");
  if (batch->max_timestamp != entry.timestamp) {
    return absl::StrCat(DescribeBatch(*batch), " has max timestamp ", batch->max_timestamp,
                        ", not ", entry.timestamp);
  }
  int64_t earlier = max_before[batch - log.batches.data()];
  if (earlier > entry.timestamp) {
    return absl::StrCat("an earlier batch has the later max timestamp ", earlier,
                        ", so a timestamp lookup would skip it");
  }
  return "";
}

}  // namespace

absl::Status CheckOffsetIndexAgainstLog(const std::string& path,
                                        const std::vector<OffsetIndexEntry>& entries,
                                        const SegmentScan& log) {
  bool has_tail = log.tail != BatchScanner::Tail::kNone;
  for (size_t i = 0; i < entries.size(); ++i) {
    const OffsetIndexEntry& entry = entries[i];
    if (has_tail && entry.position >= log.valid_bytes) return absl::OkStatus();
    uint64_t next_position =
        i + 1 < entries.size() ? entries[i + 1].position : std::numeric_limits<uint64_t>::max();
    std::string problem = OffsetEntryProblem(log, entry, next_position);
    if (!problem.empty()) return EntryError(path, DescribeEntry(i, entry), problem);
  }
  return absl::OkStatus();
}

absl::Status CheckTimeIndexAgainstLog(const std::string& path,
                                      const std::vector<TimeIndexEntry>& entries,
                                      const SegmentScan& log) {
  bool has_tail = log.tail != BatchScanner::Tail::kNone;
  std::vector<int64_t> max_before = MaxTimestampsBefore(log);
  for (size_t i = 0; i < entries.size(); ++i) {
    const TimeIndexEntry& entry = entries[i];
    if (has_tail && entry.offset >= NextOffset(log)) return absl::OkStatus();
    std::string problem = TimeEntryProblem(log, max_before, entry);
    if (!problem.empty()) return EntryError(path, DescribeEntry(i, entry), problem);
  }
  return absl::OkStatus();
}

}  // namespace rill::tool
