#include "lib/format/compression.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "lib/format/codecs.h"

namespace rill::format {

absl::string_view CompressionName(CompressionType type) {
  switch (type) {
    case CompressionType::kNone: return "none";
    case CompressionType::kGzip: return "gzip";
    case CompressionType::kSnappy: return "snappy";
    case CompressionType::kLz4: return "lz4";
    case CompressionType::kZstd: return "zstd";
  }
  return "unknown";
}

absl::string_view TimestampTypeName(TimestampType type) {
  return type == TimestampType::kLogAppendTime ? "LogAppendTime" : "CreateTime";
}

int DefaultCompressionLevel(CompressionType type) {
  switch (type) {
    case CompressionType::kGzip: return 6;
    case CompressionType::kLz4: return 9;
    case CompressionType::kZstd: return 3;
    default: return 0;
  }
}

absl::Status ValidateCompressionLevel(CompressionType type, int level) {
  int min = 0, max = 0;
  switch (type) {
    case CompressionType::kGzip: min = 1; max = 9; break;
    case CompressionType::kLz4: min = 1; max = 17; break;
    case CompressionType::kZstd: min = -131072; max = 22; break;
    default: return absl::OkStatus();  // none and snappy ignore the level.
  }
  if (level < min || level > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "compression.", CompressionName(type), ".level ", level,
        " is out of range [", min, ", ", max, "]"));
  }
  return absl::OkStatus();
}

absl::Status Compress(CompressionType type, std::optional<int> level,
                      ByteSpan input, ByteBuffer* out) {
  int lvl = level.value_or(DefaultCompressionLevel(type));
  if (absl::Status s = ValidateCompressionLevel(type, lvl); !s.ok()) return s;
  switch (type) {
    case CompressionType::kGzip: return internal::CompressGzip(lvl, input, out);
    case CompressionType::kSnappy: return internal::CompressSnappy(input, out);
    case CompressionType::kLz4: return internal::CompressLz4(lvl, input, out);
    case CompressionType::kZstd: return internal::CompressZstd(lvl, input, out);
    default: break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "cannot compress with codec ", static_cast<int>(type)));
}

absl::Status Decompress(CompressionType type, ByteSpan input, size_t max_output,
                        ByteBuffer* out) {
  out->clear();
  // The codecs size their buffer to max_output + 1 to tell "exactly at the
  // cap" from "past it"; keep that from wrapping to 0 for an unlimited cap.
  max_output = std::min(max_output, std::numeric_limits<size_t>::max() - 1);
  switch (type) {
    case CompressionType::kGzip: return internal::DecompressGzip(input, max_output, out);
    case CompressionType::kSnappy: return internal::DecompressSnappy(input, max_output, out);
    case CompressionType::kLz4: return internal::DecompressLz4(input, max_output, out);
    case CompressionType::kZstd: return internal::DecompressZstd(input, max_output, out);
    default: break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "cannot decompress codec ", static_cast<int>(type)));
}

namespace internal {

absl::Status DecompressedTooLarge(const char* codec, size_t max_output) {
  return absl::ResourceExhaustedError(absl::StrCat(
      codec, " records decompress to more than the limit of ", max_output,
      " bytes"));
}

}  // namespace internal
}  // namespace rill::format
