#include "tools/rill/index_entries.h"

#include "absl/strings/str_cat.h"

namespace rill::tool {
namespace {

// The number of whole entries up to the last non-zero byte of the whole
// entries in `bytes`.
size_t EntriesBeforeZeroTail(ByteSpan bytes, size_t entry_bytes) {
  size_t whole = bytes.size() / entry_bytes * entry_bytes;
  size_t end = whole;
  while (end > 0 && bytes[end - 1] == 0) --end;
  return (end + entry_bytes - 1) / entry_bytes;
}

template <typename Entry, typename Decode>
IndexEntries<Entry> ReadEntries(ByteSpan bytes, size_t entry_bytes, Decode decode) {
  IndexEntries<Entry> index;
  size_t count = EntriesBeforeZeroTail(bytes, entry_bytes);
  index.partial_bytes = bytes.size() % entry_bytes;
  index.zero_tail_bytes = bytes.size() - index.partial_bytes - count * entry_bytes;
  index.entries.reserve(count);
  for (size_t i = 0; i < count; ++i) index.entries.push_back(decode(&bytes[i * entry_bytes]));
  return index;
}

absl::Status OutOfOrder(const std::string& path, const std::string& entry, const std::string& why) {
  return absl::DataLossError(absl::StrCat(path, ": ", entry, ": ", why));
}

}  // namespace

IndexEntries<OffsetIndexEntry> ReadOffsetIndex(ByteSpan bytes, int64_t base_offset) {
  return ReadEntries<OffsetIndexEntry>(bytes, kOffsetIndexEntryBytes, [&](const uint8_t* p) {
    OffsetIndexEntry e;
    e.relative_offset = static_cast<int32_t>(LoadBigEndian32(p));
    e.offset = base_offset + e.relative_offset;
    e.position = LoadBigEndian32(p + 4);
    return e;
  });
}

IndexEntries<TimeIndexEntry> ReadTimeIndex(ByteSpan bytes, int64_t base_offset) {
  return ReadEntries<TimeIndexEntry>(bytes, kTimeIndexEntryBytes, [&](const uint8_t* p) {
    TimeIndexEntry e;
    e.timestamp = static_cast<int64_t>(LoadBigEndian64(p));
    e.relative_offset = static_cast<int32_t>(LoadBigEndian32(p + 8));
    e.offset = base_offset + e.relative_offset;
    return e;
  });
}

std::string DescribeEntry(size_t i, const OffsetIndexEntry& entry) {
  return absl::StrCat("entry ", i, " at byte ", i * kOffsetIndexEntryBytes, " (offset ",
                      entry.offset, ", position ", entry.position, ")");
}

std::string DescribeEntry(size_t i, const TimeIndexEntry& entry) {
  return absl::StrCat("entry ", i, " at byte ", i * kTimeIndexEntryBytes, " (timestamp ",
                      entry.timestamp, ", offset ", entry.offset, ")");
}

absl::Status CheckEntryOrder(const std::string& path, size_t i, const OffsetIndexEntry& entry,
                             const OffsetIndexEntry* previous) {
  if (entry.relative_offset < 0) {
    return OutOfOrder(path, DescribeEntry(i, entry), "relative offset is negative");
  }
  if (previous == nullptr) return absl::OkStatus();
  if (entry.offset <= previous->offset || entry.position <= previous->position) {
    return OutOfOrder(path, DescribeEntry(i, entry),
                      absl::StrCat("does not increase past ", DescribeEntry(i - 1, *previous)));
  }
  return absl::OkStatus();
}

absl::Status CheckEntryOrder(const std::string& path, size_t i, const TimeIndexEntry& entry,
                             const TimeIndexEntry* previous) {
  if (entry.relative_offset < 0) {
    return OutOfOrder(path, DescribeEntry(i, entry), "relative offset is negative");
  }
  if (previous == nullptr) return absl::OkStatus();
  if (entry.timestamp <= previous->timestamp || entry.offset < previous->offset) {
    return OutOfOrder(path, DescribeEntry(i, entry),
                      absl::StrCat("does not increase past ", DescribeEntry(i - 1, *previous)));
  }
  return absl::OkStatus();
}

}  // namespace rill::tool
