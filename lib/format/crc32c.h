#ifndef RILL_FORMAT_CRC32C_H_
#define RILL_FORMAT_CRC32C_H_

// CRC-32C (Castagnoli), the checksum of Kafka's v2 record batches and
// producer snapshots, computed with ISA-L's hardware-accelerated code.
// Crc32c("123456789") == 0xE3069283. Thread safe.

#include <cstdint>

#include "lib/base/bytes.h"

namespace rill::format {

// The CRC-32C of `data`.
uint32_t Crc32c(ByteSpan data);

// Continues a CRC: Crc32cExtend(Crc32c(a), b) == Crc32c(a ‖ b).
uint32_t Crc32cExtend(uint32_t crc, ByteSpan data);

}  // namespace rill::format

#endif  // RILL_FORMAT_CRC32C_H_
