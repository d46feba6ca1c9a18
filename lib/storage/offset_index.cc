#include "lib/storage/offset_index.h"

#include "absl/strings/str_cat.h"
#include "lib/base/bytes.h"

namespace rill::storage {

absl::StatusOr<std::unique_ptr<OffsetIndex>> OffsetIndex::Open(FileSystem* fs,
                                                               const std::string& path,
                                                               int64_t base_offset,
                                                               uint64_t max_index_bytes,
                                                               bool writable) {
  std::unique_ptr<OffsetIndex> index(new OffsetIndex(base_offset));
  absl::Status s = index->OpenFile(fs, path, max_index_bytes, writable);
  if (!s.ok()) return s;
  return index;
}

OffsetIndex::Entry OffsetIndex::entry(int i) const {
  const uint8_t* p = entry_at(i);
  return {base_offset() + LoadBigEndian32(p), LoadBigEndian32(p + 4)};
}

OffsetIndex::Entry OffsetIndex::Lookup(int64_t target) const {
  int i = LargestLowerBound(target, [this](int k) { return entry(k).offset; });
  if (i < 0) return {base_offset(), 0};
  return entry(i);
}

int64_t OffsetIndex::last_offset() const {
  int n = entry_count();
  return n == 0 ? base_offset() : entry(n - 1).offset;
}

absl::Status OffsetIndex::Append(int64_t offset, uint32_t position) {
  int n = entry_count();
  if (full()) {
    return absl::FailedPreconditionError(absl::StrCat("offset index ", path(), " is full (",
                                                      n, " entries)"));
  }
  if (n > 0 && offset <= last_offset()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "offset index ", path(), ": entry for offset ", offset,
        " does not follow the last entry's offset ", last_offset()));
  }
  int64_t relative = offset - base_offset();
  if (relative < 0 || relative > INT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("offset index ", path(), ": offset ", offset,
                                                   " is outside 32 bits of base ", base_offset()));
  }
  uint8_t* p = mutable_entry_at(n);
  StoreBigEndian32(p, static_cast<uint32_t>(relative));
  StoreBigEndian32(p + 4, position);
  PublishAppend();
  return absl::OkStatus();
}

void OffsetIndex::TruncateTo(int64_t offset) {
  int i = LargestLowerBound(offset - 1, [this](int k) { return entry(k).offset; });
  TruncateToEntries(i + 1);
}

void OffsetIndex::KeepIncreasingPrefix() {
  int n = entry_count(), keep = 0;
  while (keep < n && (keep == 0 ? entry(0).offset >= base_offset()
                                : entry(keep).offset > entry(keep - 1).offset &&
                                      entry(keep).position > entry(keep - 1).position)) {
    ++keep;
  }
  // A lone zero entry (offset = base, position 0) is indistinguishable from
  // preallocated space unless a real entry follows it.
  if (keep == 1 && entry(0).offset == base_offset() && entry(0).position == 0) keep = 0;
  TruncateToEntries(keep);
}

absl::Status OffsetIndex::SanityCheck() const {
  int n = entry_count();
  for (int i = 0; i < n; ++i) {
    Entry e = entry(i);
    Entry prev = i > 0 ? entry(i - 1) : Entry{base_offset() - 1, 0};
    if (e.offset <= prev.offset || (i > 0 && e.position <= prev.position)) {
      return absl::DataLossError(absl::StrCat("offset index ", path(), ": entry ", i, " (offset ",
                                              e.offset, ", position ", e.position,
                                              ") does not increase"));
    }
  }
  return absl::OkStatus();
}

}  // namespace rill::storage
