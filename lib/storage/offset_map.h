#ifndef RILL_STORAGE_OFFSET_MAP_H_
#define RILL_STORAGE_OFFSET_MAP_H_

// The log cleaner's offset map, as Kafka's SkimpyOffsetMap: key → offset of
// the key's latest record in the dirty section of a log, in a fixed buffer
// (log.cleaner.dedupe.buffer.size split across cleaner threads) that never
// grows. A key is stored as a 128-bit hash, like Kafka's 16-byte MD5, so an
// entry is 24 bytes; open addressing with linear probing, filled to at most
// 90% (Kafka's log.cleaner.io.buffer.load.factor).
//
// Two keys with the same 128-bit hash would share an entry (Kafka accepts
// the same odds with MD5); the cleaner only ever removes a record whose key
// maps to a larger offset, so a collision could drop an older record, never
// reorder or invent one.
//
// Not thread safe: one map per cleaner thread.

#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"

namespace rill::storage {

class OffsetMap {
 public:
  static constexpr size_t kEntryBytes = 24;
  static constexpr double kLoadFactor = 0.9;

  // A map in `memory_bytes` (at least one entry's worth).
  explicit OffsetMap(size_t memory_bytes);

  // Records `offset` as the latest for `key`. Returns false, changing
  // nothing, when the key is new and the map is full.
  bool Put(absl::string_view key, int64_t offset);
  // The latest offset of `key`, or -1.
  int64_t Get(absl::string_view key) const;
  // Whether one more new key fits.
  bool full() const { return size_ >= max_entries_; }
  size_t size() const { return size_; }
  size_t max_entries() const { return max_entries_; }
  // The largest offset put since Clear(), -1 if none.
  int64_t latest_offset() const { return latest_offset_; }
  void Clear();

 private:
  struct Entry {
    uint64_t h1;
    uint64_t h2;
    int64_t offset;  // -1 = empty slot.
  };
  struct Hash {
    uint64_t h1, h2;
  };
  static Hash HashKey(absl::string_view key);
  size_t Find(const Hash& h) const;  // The slot holding h, or the empty one to fill.

  size_t capacity_;
  size_t max_entries_;
  std::unique_ptr<Entry[]> slots_;
  size_t size_ = 0;
  int64_t latest_offset_ = -1;
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_OFFSET_MAP_H_
