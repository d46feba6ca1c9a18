#ifndef RILL_STORAGE_OFFSET_INDEX_H_
#define RILL_STORAGE_OFFSET_INDEX_H_

// A segment's `.index`, byte-compatible with Kafka's OffsetIndex: 8-byte
// entries of int32 relative offset ‖ int32 file position, big-endian, both
// strictly increasing. An entry (O, P) says the batch whose last offset is O
// starts at byte P of the `.log`; lookups find where to start scanning.
// Thread safety and sizing: see IndexFile.

#include <cstdint>
#include <memory>

#include "lib/storage/index_file.h"

namespace rill::storage {

class OffsetIndex final : public IndexFile {
 public:
  static constexpr size_t kEntryBytes = 8;

  struct Entry {
    int64_t offset;     // Absolute.
    uint32_t position;  // Byte position in the segment's .log.
  };

  static absl::StatusOr<std::unique_ptr<OffsetIndex>> Open(FileSystem* fs, const std::string& path,
                                                           int64_t base_offset,
                                                           uint64_t max_index_bytes, bool writable);

  // The last entry with offset <= target, or {base_offset, 0} if none.
  Entry Lookup(int64_t target) const;
  Entry entry(int i) const;
  // The last entry's offset, or base_offset() when empty.
  int64_t last_offset() const;
  // Room for one more entry?
  bool full() const { return entry_count() >= max_entries(); }

  // Adds (offset, position). InvalidArgument if offset is not above the last
  // entry's or does not fit 32 bits relative to the base; FailedPrecondition
  // when full. REQUIRES: opened writable.
  absl::Status Append(int64_t offset, uint32_t position);
  // Drops entries with offset >= `offset` (log truncation).
  void TruncateTo(int64_t offset);
  // Kafka's sanity check: whole entries, offsets increasing and above base.
  absl::Status SanityCheck() const;
  // Forgets entries from the first one that does not increase: what a reader
  // of another process's preallocated active index can trust.
  void KeepIncreasingPrefix();

 private:
  OffsetIndex(int64_t base_offset) : IndexFile(kEntryBytes, base_offset) {}
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_OFFSET_INDEX_H_
