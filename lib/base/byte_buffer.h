#ifndef RILL_BASE_BYTE_BUFFER_H_
#define RILL_BASE_BYTE_BUFFER_H_

// A growable byte buffer that does not zero what it grows into, so encoders
// and decompressors can reuse one without paying for memset. Not thread safe.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "lib/base/bytes.h"

namespace rill {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(ByteBuffer&&) noexcept = default;
  ByteBuffer& operator=(ByteBuffer&&) noexcept = default;

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  ByteSpan span() const { return ByteSpan(data_.get(), size_); }
  MutableByteSpan mutable_span() { return MutableByteSpan(data_.get(), size_); }

  void clear() { size_ = 0; }

  // Makes capacity() >= n, keeping the contents.
  void reserve(size_t n) {
    if (n <= capacity_) return;
    size_t grown = std::max(n, capacity_ + capacity_ / 2);
    std::unique_ptr<uint8_t[]> bigger(new uint8_t[grown]);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = grown;
  }

  // Sets size() to n; bytes past the old size are left uninitialized.
  void resize(size_t n) {
    reserve(n);
    size_ = n;
  }

  // Grows by n uninitialized bytes and returns a pointer to the first.
  uint8_t* Extend(size_t n) {
    resize(size_ + n);
    return data_.get() + size_ - n;
  }

  void Append(ByteSpan bytes) {
    if (bytes.empty()) return;
    std::memcpy(Extend(bytes.size()), bytes.data(), bytes.size());
  }

  // Releases memory beyond size().
  void ShrinkToFit() {
    ByteBuffer copy;
    copy.Append(span());
    *this = std::move(copy);
  }

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace rill

#endif  // RILL_BASE_BYTE_BUFFER_H_
