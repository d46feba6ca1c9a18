#include "lib/format/varint.h"

namespace rill::format {
namespace {

const uint8_t* ReadUnsigned(const uint8_t* p, const uint8_t* end, int max_bytes,
                            uint64_t* out) {
  uint64_t result = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (p == end) return nullptr;
    uint8_t b = *p++;
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *out = result;
      return p;
    }
  }
  return nullptr;  // Too long for the type: Kafka rejects it too.
}

}  // namespace

uint8_t* WriteUnsignedVarSlow(uint8_t* out, uint64_t u) {
  while (u >= 0x80) {
    *out++ = static_cast<uint8_t>(u) | 0x80;
    u >>= 7;
  }
  *out++ = static_cast<uint8_t>(u);
  return out;
}

const uint8_t* ReadVarintSlow(const uint8_t* p, const uint8_t* end, int32_t* out) {
  uint64_t u;
  p = ReadUnsigned(p, end, kMaxVarintBytes, &u);
  if (p == nullptr || u > 0xffffffffu) return nullptr;
  *out = ZigZagDecode32(static_cast<uint32_t>(u));
  return p;
}

const uint8_t* ReadVarlongSlow(const uint8_t* p, const uint8_t* end, int64_t* out) {
  uint64_t u;
  p = ReadUnsigned(p, end, kMaxVarlongBytes, &u);
  if (p == nullptr) return nullptr;
  *out = ZigZagDecode64(u);
  return p;
}

}  // namespace rill::format
