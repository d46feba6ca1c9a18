#ifndef RILL_STORAGE_TIME_INDEX_H_
#define RILL_STORAGE_TIME_INDEX_H_

// A segment's `.timeindex`, byte-compatible with Kafka's TimeIndex: 12-byte
// entries of int64 timestamp ‖ int32 relative offset, big-endian. An entry
// (T, O) says the largest timestamp up to offset O is T, so any record with
// a timestamp above T lies after O. Timestamps strictly increase; the last
// slot is kept for the entry written when the segment rolls, so the index
// counts as full one entry early, as Kafka's does.
// Thread safety and sizing: see IndexFile.

#include <cstdint>
#include <memory>

#include "lib/storage/index_file.h"

namespace rill::storage {

class TimeIndex final : public IndexFile {
 public:
  static constexpr size_t kEntryBytes = 12;

  struct Entry {
    int64_t timestamp;
    int64_t offset;  // Absolute.
  };

  static absl::StatusOr<std::unique_ptr<TimeIndex>> Open(FileSystem* fs, const std::string& path,
                                                         int64_t base_offset,
                                                         uint64_t max_index_bytes, bool writable);

  // The last entry with timestamp <= target, or {-1, base_offset} if none.
  Entry Lookup(int64_t target_timestamp) const;
  Entry entry(int i) const;
  // The last entry, or {-1, base_offset} when empty.
  Entry last_entry() const;
  bool full() const { return entry_count() >= max_entries() - 1; }

  // Adds (timestamp, offset) when timestamp is above the last entry's (else
  // does nothing, as Kafka). `roll` writes into the reserved last slot.
  // InvalidArgument for an offset below the last entry's.
  absl::Status MaybeAppend(int64_t timestamp, int64_t offset, bool roll = false);
  // Drops entries with offset >= `offset`.
  void TruncateTo(int64_t offset);
  absl::Status SanityCheck() const;
  // Forgets entries from the first one that does not increase: what a reader
  // of another process's preallocated active index can trust.
  void KeepIncreasingPrefix();

 private:
  TimeIndex(int64_t base_offset) : IndexFile(kEntryBytes, base_offset) {}
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_TIME_INDEX_H_
