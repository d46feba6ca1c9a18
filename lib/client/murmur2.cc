#include "lib/client/murmur2.h"

#include <cstring>

namespace rill::client {

int32_t Murmur2(absl::string_view data) {
  // Java's int arithmetic wraps; unsigned arithmetic gives the same bits.
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  const uint32_t length = static_cast<uint32_t>(data.size());
  uint32_t h = kSeed ^ length;
  const uint32_t words = length / 4;
  for (uint32_t i = 0; i < words; ++i) {
    const uint8_t* p = bytes + 4 * i;
    uint32_t k = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const uint8_t* tail = bytes + 4 * words;
  switch (length % 4) {
    case 3:
      h ^= uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= uint32_t{tail[0]};
      h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

}  // namespace rill::client
