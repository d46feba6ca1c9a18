// snappy in xerial snappy-java's stream framing, which is what Kafka's Java
// client writes (not raw snappy, not Google's framing format):
//   "\x82SNAPPY\0" ‖ int32 version (1) ‖ int32 min compatible version (1)
//   then chunks of [int32 compressed length][raw snappy block], big-endian.
// snappy-java also reads a bare raw-snappy block, and so do we.

#include <snappy.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/format/codecs.h"

namespace rill::format::internal {
namespace {

constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr int kXerialHeaderBytes = 16;
constexpr size_t kXerialChunkBytes = 32 * 1024;  // snappy-java's default block.

bool HasXerialHeader(ByteSpan input) {
  return input.size() >= kXerialHeaderBytes &&
         std::memcmp(input.data(), kXerialMagic, sizeof kXerialMagic) == 0;
}

// Appends one raw snappy block, decompressed, to `out`.
absl::Status AppendRawBlock(ByteSpan block, size_t max_output, size_t at,
                            ByteBuffer* out) {
  const char* src = reinterpret_cast<const char*>(block.data());
  size_t length = 0;
  if (!snappy::GetUncompressedLength(src, block.size(), &length)) {
    return absl::DataLossError(absl::StrCat(
        "snappy block at compressed byte ", at, " has a corrupt length header"));
  }
  if (length > max_output - out->size()) {
    return DecompressedTooLarge("snappy", max_output);
  }
  uint8_t* dst = out->Extend(length);
  if (!snappy::RawUncompress(src, block.size(), reinterpret_cast<char*>(dst))) {
    return absl::DataLossError(absl::StrCat(
        "snappy block at compressed byte ", at, " is corrupt"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CompressSnappy(ByteSpan input, ByteBuffer* out) {
  uint8_t* header = out->Extend(kXerialHeaderBytes);
  std::memcpy(header, kXerialMagic, sizeof kXerialMagic);
  StoreBigEndian32(header + 8, 1);
  StoreBigEndian32(header + 12, 1);
  for (size_t pos = 0; pos < input.size(); pos += kXerialChunkBytes) {
    size_t n = std::min(kXerialChunkBytes, input.size() - pos);
    size_t start = out->size();
    out->Extend(4 + snappy::MaxCompressedLength(n));
    size_t written = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(input.data() + pos), n,
                        reinterpret_cast<char*>(out->data() + start + 4), &written);
    StoreBigEndian32(out->data() + start, static_cast<uint32_t>(written));
    out->resize(start + 4 + written);
  }
  return absl::OkStatus();
}

absl::Status DecompressSnappy(ByteSpan input, size_t max_output, ByteBuffer* out) {
  if (!HasXerialHeader(input)) return AppendRawBlock(input, max_output, 0, out);
  size_t pos = kXerialHeaderBytes;
  while (pos < input.size()) {
    if (input.size() - pos < 4) {
      return absl::DataLossError(absl::StrCat(
          "snappy (xerial) chunk length at compressed byte ", pos, " is truncated"));
    }
    uint32_t n = LoadBigEndian32(input.data() + pos);
    pos += 4;
    if (n > input.size() - pos) {
      return absl::DataLossError(absl::StrCat(
          "snappy (xerial) chunk at compressed byte ", pos - 4, " claims ", n,
          " bytes but only ", input.size() - pos, " remain"));
    }
    absl::Status s = AppendRawBlock(input.subspan(pos, n), max_output, pos, out);
    if (!s.ok()) return s;
    pos += n;
  }
  return absl::OkStatus();
}

}  // namespace rill::format::internal
