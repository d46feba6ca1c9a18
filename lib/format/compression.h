#ifndef RILL_FORMAT_COMPRESSION_H_
#define RILL_FORMAT_COMPRESSION_H_

// The record-section codecs of Kafka's v2 batches, each in the exact framing
// Kafka's Java client writes and reads:
//   gzip   RFC 1952 stream (concatenated members accepted on read);
//   snappy xerial snappy-java stream framing on write; on read xerial framing
//          or a plain raw-snappy block;
//   lz4    LZ4 frame, 64 KiB independent blocks, no checksums (FLG 0x60,
//          BD 0x40) as Kafka's Lz4BlockOutputStream;
//   zstd   standard frame with its content size (other readers rely on it);
//          frames without one are read too.
// Thread safe: codec state is per thread.
// Errors: InvalidArgument for a bad level; DataLoss for corrupt input;
// ResourceExhausted when the output would exceed the caller's cap.

#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/bytes.h"
#include "lib/format/record_batch_format.h"

namespace rill::format {

// Kafka's defaults: compression.gzip.level 6, compression.lz4.level 9,
// compression.zstd.level 3. 0 for codecs without levels.
int DefaultCompressionLevel(CompressionType type);

// OK if `level` is legal for `type` (gzip 1..9, lz4 1..17, zstd -131072..22,
// as Kafka's CompressionType); InvalidArgument naming both otherwise.
absl::Status ValidateCompressionLevel(CompressionType type, int level);

// Appends `input` compressed with `type` to `*out`. `level` nullopt means the
// codec's default. REQUIRES: type != kNone.
absl::Status Compress(CompressionType type, std::optional<int> level,
                      ByteSpan input, ByteBuffer* out);

// Replaces `*out` with `input` decompressed. Fails with ResourceExhausted as
// soon as the output would exceed `max_output` bytes (a decompression bomb
// costs at most that much memory). REQUIRES: type != kNone.
absl::Status Decompress(CompressionType type, ByteSpan input, size_t max_output,
                        ByteBuffer* out);

}  // namespace rill::format

#endif  // RILL_FORMAT_COMPRESSION_H_
