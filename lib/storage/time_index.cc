#include "lib/storage/time_index.h"

#include "absl/strings/str_cat.h"
#include "lib/base/bytes.h"

namespace rill::storage {

absl::StatusOr<std::unique_ptr<TimeIndex>> TimeIndex::Open(FileSystem* fs, const std::string& path,
                                                           int64_t base_offset,
                                                           uint64_t max_index_bytes,
                                                           bool writable) {
  std::unique_ptr<TimeIndex> index(new TimeIndex(base_offset));
  absl::Status s = index->OpenFile(fs, path, max_index_bytes, writable);
  if (!s.ok()) return s;
  return index;
}

TimeIndex::Entry TimeIndex::entry(int i) const {
  const uint8_t* p = entry_at(i);
  return {static_cast<int64_t>(LoadBigEndian64(p)), base_offset() + LoadBigEndian32(p + 8)};
}

TimeIndex::Entry TimeIndex::Lookup(int64_t target_timestamp) const {
  int i = LargestLowerBound(target_timestamp, [this](int k) { return entry(k).timestamp; });
  if (i < 0) return {-1, base_offset()};
  return entry(i);
}

TimeIndex::Entry TimeIndex::last_entry() const {
  int n = entry_count();
  return n == 0 ? Entry{-1, base_offset()} : entry(n - 1);
}

absl::Status TimeIndex::MaybeAppend(int64_t timestamp, int64_t offset, bool roll) {
  int n = entry_count();
  auto is_full = [&] {
    return absl::FailedPreconditionError(absl::StrCat("time index ", path(), " is full (", n,
                                                      " entries)"));
  };
  if (!roll && full()) return is_full();
  Entry last = last_entry();
  if (n > 0 && offset < last.offset) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time index ", path(), ": entry for offset ", offset,
        " is below the last entry's offset ", last.offset));
  }
  if (n > 0 && timestamp <= last.timestamp) return absl::OkStatus();
  // As Kafka's: the roll entry needs a free slot only when it is written
  // (recovery may already have used the reserved one).
  if (n >= max_entries()) return is_full();
  int64_t relative = offset - base_offset();
  if (relative < 0 || relative > INT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("time index ", path(), ": offset ", offset,
                                                   " is outside 32 bits of base ", base_offset()));
  }
  uint8_t* p = mutable_entry_at(n);
  StoreBigEndian64(p, static_cast<uint64_t>(timestamp));
  StoreBigEndian32(p + 8, static_cast<uint32_t>(relative));
  PublishAppend();
  return absl::OkStatus();
}

void TimeIndex::TruncateTo(int64_t offset) {
  int n = entry_count();
  int keep = 0;
  while (keep < n && entry(keep).offset < offset) ++keep;
  TruncateToEntries(keep);
}

void TimeIndex::KeepIncreasingPrefix() {
  int n = entry_count(), keep = n > 0 ? 1 : 0;
  while (keep < n && entry(keep).timestamp > entry(keep - 1).timestamp &&
         entry(keep).offset >= entry(keep - 1).offset) {
    ++keep;
  }
  if (keep == 1 && entry(0).timestamp == 0 && entry(0).offset == base_offset()) keep = 0;
  TruncateToEntries(keep);
}

absl::Status TimeIndex::SanityCheck() const {
  int n = entry_count();
  for (int i = 1; i < n; ++i) {
    Entry e = entry(i), prev = entry(i - 1);
    if (e.timestamp <= prev.timestamp || e.offset < prev.offset) {
      return absl::DataLossError(absl::StrCat("time index ", path(), ": entry ", i,
                                              " (timestamp ", e.timestamp, ", offset ", e.offset,
                                              ") does not increase"));
    }
  }
  return absl::OkStatus();
}

}  // namespace rill::storage
