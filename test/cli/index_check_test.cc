#include "tools/rill/index_check.h"

#include <catch2/catch.hpp>
#include <vector>

namespace rill::tool {
namespace {

// Batches of 100 bytes with three offsets each from offset 10: [10..12] at
// byte 0, [13..15] at 100, ..., with the given max timestamps.
SegmentScan Scan(const std::vector<int64_t>& max_timestamps,
                 format::BatchScanner::Tail tail = format::BatchScanner::Tail::kNone) {
  SegmentScan scan;
  for (size_t i = 0; i < max_timestamps.size(); ++i) {
    BatchLocation batch;
    batch.position = 100 * i;
    batch.size = 100;
    batch.base_offset = 10 + 3 * static_cast<int64_t>(i);
    batch.last_offset = batch.base_offset + 2;
    batch.max_timestamp = max_timestamps[i];
    batch.record_count = 3;
    scan.batches.push_back(batch);
  }
  scan.valid_bytes = 100 * max_timestamps.size();
  scan.tail = tail;
  return scan;
}

OffsetIndexEntry Offset(int64_t offset, uint32_t position) {
  return OffsetIndexEntry{static_cast<int32_t>(offset - 10), offset, position};
}

TimeIndexEntry Time(int64_t timestamp, int64_t offset) {
  return TimeIndexEntry{timestamp, static_cast<int32_t>(offset - 10), offset};
}

TEST_CASE("offset index entries name the last offset of the batch they point at", "[cli]") {
  SegmentScan log = Scan({1, 2, 3, 4});
  CHECK(CheckOffsetIndexAgainstLog("i", {Offset(15, 100), Offset(21, 300)}, log).ok());
  absl::Status wrong = CheckOffsetIndexAgainstLog("i", {Offset(14, 100)}, log);
  CHECK(wrong.message() ==
        "i: entry 0 at byte 0 (offset 14, position 100): points at the batch at byte 100 "
        "(offsets 13..15), whose last offset is not 14");
  absl::Status inside = CheckOffsetIndexAgainstLog("i", {Offset(15, 150)}, log);
  CHECK(inside.message() ==
        "i: entry 0 at byte 0 (offset 15, position 150): position 150 is inside the batch at "
        "byte 100 (offsets 13..15), not at the start of a batch");
}

TEST_CASE("a Kafka follower's entry may span the batches up to the next entry", "[cli]") {
  SegmentScan log = Scan({1, 2, 3, 4, 5});
  // One fetched chunk of batches at 100 and 200, indexed by its last offset.
  CHECK(CheckOffsetIndexAgainstLog("i", {Offset(18, 100), Offset(24, 400)}, log).ok());
  // But not past where the next entry starts.
  CHECK(absl::IsDataLoss(CheckOffsetIndexAgainstLog("i", {Offset(21, 100), Offset(24, 200)}, log)));
}

TEST_CASE("index entries past the log are errors unless the log ends in a tail", "[cli]") {
  std::vector<OffsetIndexEntry> offsets = {Offset(15, 100), Offset(24, 400)};
  std::vector<TimeIndexEntry> times = {Time(2, 15), Time(9, 24)};
  absl::Status past = CheckOffsetIndexAgainstLog("i", offsets, Scan({1, 2, 3}));
  CHECK(past.message() ==
        "i: entry 1 at byte 8 (offset 24, position 400): position 400 is past the last batch "
        "(the log's batches end at byte 300)");
  CHECK(absl::IsDataLoss(CheckTimeIndexAgainstLog("t", times, Scan({1, 2, 3}))));
  SegmentScan torn = Scan({1, 2, 3}, format::BatchScanner::Tail::kPartial);
  CHECK(CheckOffsetIndexAgainstLog("i", offsets, torn).ok());
  CHECK(CheckTimeIndexAgainstLog("t", times, torn).ok());
}

TEST_CASE("a time index entry holds its batch's max timestamp and no earlier one is later",
          "[cli]") {
  SegmentScan log = Scan({100, 300, 200, 400});
  CHECK(CheckTimeIndexAgainstLog("t", {Time(300, 15), Time(400, 21)}, log).ok());
  absl::Status wrong = CheckTimeIndexAgainstLog("t", {Time(250, 15)}, log);
  CHECK(wrong.message() ==
        "t: entry 0 at byte 0 (timestamp 250, offset 15): the batch at byte 100 (offsets "
        "13..15) has max timestamp 300, not 250");
  absl::Status skipped = CheckTimeIndexAgainstLog("t", {Time(200, 18)}, log);
  CHECK(skipped.message() ==
        "t: entry 0 at byte 0 (timestamp 200, offset 18): an earlier batch has the later max "
        "timestamp 300, so a timestamp lookup would skip it");
}

}  // namespace
}  // namespace rill::tool
