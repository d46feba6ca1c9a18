#ifndef RILL_FORMAT_CODECS_H_
#define RILL_FORMAT_CODECS_H_

// One function pair per codec, behind compression.h's dispatch. Compress*
// appends to `out`; Decompress* replaces `out`, never growing it past
// `max_output`. Levels are already validated.

#include <cstddef>

#include "absl/status/status.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/bytes.h"

namespace rill::format::internal {

absl::Status CompressGzip(int level, ByteSpan input, ByteBuffer* out);
absl::Status DecompressGzip(ByteSpan input, size_t max_output, ByteBuffer* out);

absl::Status CompressSnappy(ByteSpan input, ByteBuffer* out);
absl::Status DecompressSnappy(ByteSpan input, size_t max_output, ByteBuffer* out);

absl::Status CompressLz4(int level, ByteSpan input, ByteBuffer* out);
absl::Status DecompressLz4(ByteSpan input, size_t max_output, ByteBuffer* out);

absl::Status CompressZstd(int level, ByteSpan input, ByteBuffer* out);
absl::Status DecompressZstd(ByteSpan input, size_t max_output, ByteBuffer* out);

// Bytes a decompressor may write into `*out` now: what its capacity allows,
// but never more than one byte past `max_output` (that byte tells "exactly
// at the cap" from "more"), whatever the buffer's growth policy reserved.
// REQUIRES: out->size() <= max_output < SIZE_MAX.
inline size_t OutputRoom(const ByteBuffer& out, size_t max_output) {
  size_t limit = out.capacity() < max_output + 1 ? out.capacity() : max_output + 1;
  return limit - out.size();
}

// The error every decompressor returns when the output passes its cap.
absl::Status DecompressedTooLarge(const char* codec, size_t max_output);

}  // namespace rill::format::internal

#endif  // RILL_FORMAT_CODECS_H_
