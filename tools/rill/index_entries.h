#ifndef RILL_TOOLS_RILL_INDEX_ENTRIES_H_
#define RILL_TOOLS_RILL_INDEX_ENTRIES_H_

// The entries of a Kafka `.index` or `.timeindex` file read straight from
// its bytes (kafka-reference §2.2-2.4), for `rill dump` and `rill verify`,
// which must not open indexes through the storage layer: it would trust or
// rebuild them, and these tools report what is on disk.
//
//   .index      8-byte entries: int32 relative offset, int32 position
//   .timeindex 12-byte entries: int64 timestamp, int32 relative offset
//
// An active segment's index is preallocated (segment.index.bytes) and mapped,
// so it ends in zero bytes that are not entries; those are split off as the
// zero tail. No real offset-index entry is all zero (the first batch of a
// segment never gets one), and a time-index entry is all zero only for a
// timestamp of 0 at the base offset, which is taken as tail too.
// Thread safe (pure functions).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/base/bytes.h"

namespace rill::tool {

inline constexpr size_t kOffsetIndexEntryBytes = 8;
inline constexpr size_t kTimeIndexEntryBytes = 12;

struct OffsetIndexEntry {
  int32_t relative_offset = 0;
  int64_t offset = 0;  // base offset + relative offset.
  uint32_t position = 0;
};

struct TimeIndexEntry {
  int64_t timestamp = 0;
  int32_t relative_offset = 0;
  int64_t offset = 0;  // base offset + relative offset.
};

template <typename Entry>
struct IndexEntries {
  std::vector<Entry> entries;  // Every whole entry before the zero tail.
  size_t zero_tail_bytes = 0;  // Zero bytes after them (preallocated space).
  size_t partial_bytes = 0;    // A last piece shorter than one entry.
};

IndexEntries<OffsetIndexEntry> ReadOffsetIndex(ByteSpan bytes, int64_t base_offset);
IndexEntries<TimeIndexEntry> ReadTimeIndex(ByteSpan bytes, int64_t base_offset);

// Kafka's rules for entry `i` given the one before it (nullptr for the
// first): offset index offsets at or above the base and strictly increasing,
// positions strictly increasing; time index timestamps strictly increasing
// and offsets at or above the base and never decreasing. OK or DataLoss
// "<path>: entry I at byte B (...): <why>".
absl::Status CheckEntryOrder(const std::string& path, size_t i, const OffsetIndexEntry& entry,
                             const OffsetIndexEntry* previous);
absl::Status CheckEntryOrder(const std::string& path, size_t i, const TimeIndexEntry& entry,
                             const TimeIndexEntry* previous);

// "entry I at byte B (offset O, position P)" / "(timestamp T, offset O)":
// how messages name an entry.
std::string DescribeEntry(size_t i, const OffsetIndexEntry& entry);
std::string DescribeEntry(size_t i, const TimeIndexEntry& entry);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_INDEX_ENTRIES_H_
