#ifndef RILL_BASE_BYTES_H_
#define RILL_BASE_BYTES_H_

// Byte helpers every layer shares: the span type rill passes bytes in, and
// big-endian fixed-width loads and stores (Kafka's wire and file order).

#include <cstdint>
#include <cstring>
#include "absl/strings/string_view.h"

#include "absl/types/span.h"

namespace rill {

using ByteSpan = absl::Span<const uint8_t>;
using MutableByteSpan = absl::Span<uint8_t>;

inline ByteSpan AsBytes(absl::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline absl::string_view AsStringView(ByteSpan b) {
  return absl::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

inline uint16_t LoadBigEndian16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap16(v);
}
inline uint32_t LoadBigEndian32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap32(v);
}
inline uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap64(v);
}
inline void StoreBigEndian16(uint8_t* p, uint16_t v) {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, sizeof v);
}
inline void StoreBigEndian32(uint8_t* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, sizeof v);
}
inline void StoreBigEndian64(uint8_t* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof v);
}

}  // namespace rill

#endif  // RILL_BASE_BYTES_H_
