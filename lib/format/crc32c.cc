#include "lib/format/crc32c.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <climits>

namespace rill::format {

uint32_t Crc32cExtend(uint32_t crc, ByteSpan data) {
  // ISA-L works on the register value (no final inversion) and takes an int
  // length, so invert around it and feed buffers over 1 GiB in pieces.
  uint32_t state = ~crc;
  const uint8_t* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    int n = static_cast<int>(std::min<size_t>(left, size_t{1} << 30));
    state = crc32_iscsi(const_cast<unsigned char*>(p), n, state);
    p += n;
    left -= n;
  }
  return ~state;
}

uint32_t Crc32c(ByteSpan data) { return Crc32cExtend(0, data); }

}  // namespace rill::format
