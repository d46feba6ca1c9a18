#include "lib/storage/offset_map.h"

#include <algorithm>
#include <cstring>

#include "absl/hash/hash.h"

namespace rill::storage {
namespace {

// Two salts make absl::Hash give two 64-bit halves of a 128-bit hash.
constexpr uint64_t kSalt1 = 0x243F6A8885A308D3ull;
constexpr uint64_t kSalt2 = 0x13198A2E03707344ull;

}  // namespace

OffsetMap::OffsetMap(size_t memory_bytes)
    // At least one slot always stays empty, so every probe ends.
    : capacity_(std::max<size_t>(memory_bytes / kEntryBytes, 2)),
      max_entries_(std::clamp<size_t>(
          static_cast<size_t>(static_cast<double>(capacity_) * kLoadFactor), 1, capacity_ - 1)),
      slots_(new Entry[capacity_]) {
  Clear();
}

void OffsetMap::Clear() {
  for (size_t i = 0; i < capacity_; ++i) slots_[i].offset = -1;
  size_ = 0;
  latest_offset_ = -1;
}

OffsetMap::Hash OffsetMap::HashKey(absl::string_view key) {
  return Hash{absl::HashOf(key, kSalt1), absl::HashOf(kSalt2, key)};
}

size_t OffsetMap::Find(const Hash& h) const {
  size_t i = static_cast<size_t>(h.h1 % capacity_);
  while (true) {
    const Entry& e = slots_[i];
    if (e.offset < 0 || (e.h1 == h.h1 && e.h2 == h.h2)) return i;
    if (++i == capacity_) i = 0;
  }
}

bool OffsetMap::Put(absl::string_view key, int64_t offset) {
  Hash h = HashKey(key);
  Entry& e = slots_[Find(h)];
  if (e.offset < 0) {
    if (size_ >= max_entries_) return false;
    e.h1 = h.h1;
    e.h2 = h.h2;
    ++size_;
  }
  e.offset = offset;
  latest_offset_ = std::max(latest_offset_, offset);
  return true;
}

int64_t OffsetMap::Get(absl::string_view key) const { return slots_[Find(HashKey(key))].offset; }

}  // namespace rill::storage
