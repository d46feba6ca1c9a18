#ifndef RILL_FORMAT_VARINT_H_
#define RILL_FORMAT_VARINT_H_

// Kafka's variable-length integers: ZigZag, then unsigned LEB128 (7 bits a
// byte, least significant group first). A varint takes at most 5 bytes, a
// varlong at most 10. Thread safe (pure functions).

#include <cstddef>
#include <cstdint>

namespace rill::format {

inline constexpr int kMaxVarintBytes = 5;
inline constexpr int kMaxVarlongBytes = 10;

inline constexpr uint32_t ZigZagEncode32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
inline constexpr uint64_t ZigZagEncode64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline constexpr int32_t ZigZagDecode32(uint32_t v) {
  return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
}
inline constexpr int64_t ZigZagDecode64(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

// Bytes VarintSize/VarlongSize(v) would take on the wire.
inline int VarintSize(int32_t v) {
  uint32_t u = ZigZagEncode32(v);
  return u == 0 ? 1 : (38 - __builtin_clz(u)) / 7;
}
inline int VarlongSize(int64_t v) {
  uint64_t u = ZigZagEncode64(v);
  return u == 0 ? 1 : (70 - __builtin_clzll(u)) / 7;
}

// Writes `v` at `out`, which must have room for kMaxVarintBytes
// (kMaxVarlongBytes); returns the byte after the last one written.
//
// Inline for one- and two-byte values, as the readers below: the producer
// writes six of them per record.
uint8_t* WriteUnsignedVarSlow(uint8_t* out, uint64_t u);

inline uint8_t* WriteUnsignedVar(uint8_t* out, uint64_t u) {
  if (u < 0x80) {
    out[0] = static_cast<uint8_t>(u);
    return out + 1;
  }
  if (u < 0x4000) {
    out[0] = static_cast<uint8_t>(u | 0x80);
    out[1] = static_cast<uint8_t>(u >> 7);
    return out + 2;
  }
  return WriteUnsignedVarSlow(out, u);
}
inline uint8_t* WriteVarint(uint8_t* out, int32_t v) {
  return WriteUnsignedVar(out, ZigZagEncode32(v));
}
inline uint8_t* WriteVarlong(uint8_t* out, int64_t v) {
  return WriteUnsignedVar(out, ZigZagEncode64(v));
}

// Decodes one value from [p, end). Returns the byte after it, or nullptr when
// the input ends before the value does or the value is longer than its type
// allows (a 6th varint byte, an 11th varlong byte).
//
// Inline for the one- and two-byte values that make up nearly every record
// header (lengths under 8192, small deltas); the decoder of a consumer's
// Poll calls these six times a record.
const uint8_t* ReadVarintSlow(const uint8_t* p, const uint8_t* end, int32_t* out);
const uint8_t* ReadVarlongSlow(const uint8_t* p, const uint8_t* end, int64_t* out);

inline const uint8_t* ReadVarint(const uint8_t* p, const uint8_t* end, int32_t* out) {
  if (p < end && (p[0] & 0x80) == 0) {
    *out = ZigZagDecode32(p[0]);
    return p + 1;
  }
  if (end - p >= 2 && (p[1] & 0x80) == 0) {  // p[0] has its continuation bit.
    *out = ZigZagDecode32((uint32_t{p[0]} & 0x7f) | (uint32_t{p[1]} << 7));
    return p + 2;
  }
  return ReadVarintSlow(p, end, out);
}

inline const uint8_t* ReadVarlong(const uint8_t* p, const uint8_t* end, int64_t* out) {
  if (p < end && (p[0] & 0x80) == 0) {
    *out = ZigZagDecode64(p[0]);
    return p + 1;
  }
  if (end - p >= 2 && (p[1] & 0x80) == 0) {  // p[0] has its continuation bit.
    *out = ZigZagDecode64((uint64_t{p[0]} & 0x7f) | (uint64_t{p[1]} << 7));
    return p + 2;
  }
  return ReadVarlongSlow(p, end, out);
}

}  // namespace rill::format

#endif  // RILL_FORMAT_VARINT_H_
