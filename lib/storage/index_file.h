#ifndef RILL_STORAGE_INDEX_FILE_H_
#define RILL_STORAGE_INDEX_FILE_H_

// The machinery Kafka's AbstractIndex gives its offset and time indexes: a
// file of fixed-size entries, mapped into memory, preallocated to
// segment.index.bytes while its segment is active and trimmed to exactly
// entries × entry size when the segment rolls or closes (because on open
// every entry up to the file's length is taken as valid).
//
// Thread safety: one writer (the log's appender) may Append while readers
// call the subclasses' lookups; entry_count() is published with release
// semantics after an entry is written. Resize-like operations (TrimToValid,
// Reset, TruncateToEntries) need the writer's exclusion and no concurrent
// readers past the new end.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/storage/file_system.h"

namespace rill::storage {

class IndexFile {
 public:
  virtual ~IndexFile() = default;

  const std::string& path() const { return path_; }
  int64_t base_offset() const { return base_offset_; }
  int entry_count() const { return entries_.load(std::memory_order_acquire); }
  int max_entries() const { return max_entries_; }
  size_t entry_bytes() const { return entry_bytes_; }
  // Bytes of valid entries.
  uint64_t valid_bytes() const { return uint64_t{entry_bytes_} * entry_count(); }

  // Shrinks the file to exactly the valid entries (on roll and on close).
  absl::Status TrimToValidSize();
  // Forgets every entry (before a rebuild during recovery).
  void Reset() { entries_.store(0, std::memory_order_release); }
  absl::Status Sync() { return file_ == nullptr ? absl::OkStatus() : file_->Sync(); }
  // Renames the underlying file (the cleaner's .cleaned → .swap → final).
  absl::Status RenameTo(FileSystem* fs, const std::string& new_path);

 protected:
  IndexFile(size_t entry_bytes, int64_t base_offset) : entry_bytes_(entry_bytes), base_offset_(base_offset) {}

  // Opens or creates `path`. With `writable`, the file is grown to
  // `max_index_bytes` rounded down to whole entries and mapped writable;
  // otherwise it is read into memory, never mapped: the process that owns
  // the directory may trim the file (on roll) while we read it, and a
  // mapping would then raise SIGBUS. Entries = the file's length before
  // growing / entry size (Kafka's rule).
  absl::Status OpenFile(FileSystem* fs, const std::string& path, uint64_t max_index_bytes,
                        bool writable);

  absl::Status CheckLength(uint64_t size) const;
  absl::Status ReadCopy();  // The read-only open.

  const uint8_t* entry_at(int i) const { return base_ + size_t{entry_bytes_} * i; }
  uint8_t* mutable_entry_at(int i) { return mapping_->data() + size_t{entry_bytes_} * i; }
  // Publishes one more entry, written at mutable_entry_at(entry_count()).
  void PublishAppend() { entries_.store(entries_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }
  void TruncateToEntries(int n) { entries_.store(n, std::memory_order_release); }
  bool writable() const { return writable_; }
  // Binary search: the largest i with KeyOf(i) <= target, or -1.
  template <typename KeyOf>
  int LargestLowerBound(int64_t target, KeyOf key_of) const {
    int lo = 0, hi = entry_count() - 1, found = -1;
    while (lo <= hi) {
      int mid = lo + (hi - lo) / 2;
      if (key_of(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

 private:
  const size_t entry_bytes_;
  const int64_t base_offset_;
  std::string path_;
  std::unique_ptr<File> file_;  // Null for a missing index opened read-only.
  std::unique_ptr<Mapping> mapping_;          // Writable indexes.
  std::unique_ptr<uint8_t[]> copy_;           // Read-only indexes.
  const uint8_t* base_ = nullptr;             // Entry 0 in one or the other.
  bool writable_ = false;
  int max_entries_ = 0;
  // The number of valid entries; release-stored after an entry's bytes.
  std::atomic<int> entries_{0};
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_INDEX_FILE_H_
