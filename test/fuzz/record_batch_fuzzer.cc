// libFuzzer target for the format layer's readers: BatchScanner,
// RecordBatchView::Parse/Validate, RecordReader and every decompressor, with
// decompression capped at 1 MiB. Any input must give an error or a result,
// never a crash, hang, leak or unbounded allocation. A batch that validates
// must also survive a rebuild: its records, written again with the builder,
// read back the same.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/byte_buffer.h"
#include "lib/base/bytes.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/compression.h"
#include "lib/format/control_record.h"
#include "lib/format/crc32c.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"

namespace rill::format {
namespace {

constexpr size_t kMaxDecompressed = size_t{1} << 20;
// Decompressed outputs up to this size are compressed again and compared
// (larger ones would only slow the fuzzer down).
constexpr size_t kMaxRoundTrip = size_t{64} << 10;

// A record copied out of its batch.
struct Owned {
  int64_t offset;
  int64_t timestamp;
  int32_t offset_delta;
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  bool operator==(const Owned&) const = default;
};

std::optional<std::string> Copy(NullableBytes b) {
  if (!b) return std::nullopt;
  return std::string(*b);
}

// Every record of `view`; nullopt when the reader reports an error.
std::optional<std::vector<Owned>> ReadRecords(const RecordBatchView& view, ByteBuffer* buffer) {
  RecordReader reader;
  if (!reader.Open(view, buffer, kMaxDecompressed).ok()) return std::nullopt;
  std::vector<Owned> out;
  RecordView r;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&r);
    if (!more.ok()) return std::nullopt;
    if (!*more) return out;
    Owned o{r.offset, r.timestamp, r.offset_delta, Copy(r.key), Copy(r.value), {}};
    for (Header h : r.headers) o.headers.emplace_back(std::string(h.key), Copy(h.value));
    if (view.is_control()) ParseEndTxnMarker(r).IgnoreError();  // Must only not crash.
    out.push_back(std::move(o));
  }
}

// Writes `records` again as an uncompressed CreateTime batch and checks that
// they read back unchanged.
void CheckRebuild(const RecordBatchView& view, const std::vector<Owned>& records) {
  BatchOptions options;
  options.base_offset = view.base_offset();
  RecordBatchBuilder builder(options);
  for (const Owned& o : records) {
    std::vector<Header> headers;
    for (const auto& [key, value] : o.headers) {
      headers.push_back({key, value ? NullableBytes(*value) : std::nullopt});
    }
    NullableBytes key = o.key ? NullableBytes(*o.key) : std::nullopt;
    NullableBytes value = o.value ? NullableBytes(*o.value) : std::nullopt;
    if (!builder.AppendWithOffsetDelta(o.offset_delta, o.timestamp, key, value, headers).ok()) {
      std::abort();
    }
  }
  absl::StatusOr<ByteSpan> rebuilt = builder.Build();
  if (!rebuilt.ok()) std::abort();
  absl::StatusOr<RecordBatchView> again = RecordBatchView::Parse(*rebuilt);
  if (!again.ok()) std::abort();
  ByteBuffer buffer;
  if (!again->Validate(&buffer).ok()) std::abort();
  std::optional<std::vector<Owned>> reread = ReadRecords(*again, &buffer);
  if (!reread || *reread != records) std::abort();
}

// Parse, every accessor, Validate, and the records whatever the CRC says.
void ExerciseBatch(ByteSpan bytes) {
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(bytes);
  if (!view.ok()) return;
  // Every accessor must be defined for any header Parse accepts.
  volatile uint64_t sink = 0;
  for (int64_t v :
       {view->next_offset(), int64_t{view->last_sequence()}, view->max_timestamp(),
        view->producer_id(), int64_t{view->producer_epoch()},
        int64_t{view->partition_leader_epoch()}, view->delete_horizon_ms().value_or(0)}) {
    sink = sink + static_cast<uint64_t>(v);
  }
  ByteBuffer scratch;
  bool valid = view->Validate(&scratch, kMaxDecompressed).ok();
  std::optional<std::vector<Owned>> records = ReadRecords(*view, &scratch);
  if (valid != records.has_value() && view->VerifyCrc().ok()) std::abort();
  if (valid) CheckRebuild(*view, *records);
}

// The input after 4 bytes, as the records section of a batch with a correct
// length and CRC, so the fuzzer reaches the record reader and decompressors
// without having to find a CRC. The first bytes pick attributes and counts.
void ExerciseAsRecords(const uint8_t* data, size_t size) {
  if (size < 4) return;
  int16_t attributes = static_cast<int16_t>(data[0] & 0x7f);
  int32_t count = data[1];
  int32_t last_offset_delta = count + data[2] - 1 + (data[3] & 1 ? 1 << 30 : 0);
  if (last_offset_delta < 0) last_offset_delta = 0;
  if (count > last_offset_delta + 1) count = last_offset_delta + 1;
  std::vector<uint8_t> batch(kBatchHeaderBytes + size - 4, 0);
  std::copy(data + 4, data + size, batch.begin() + kBatchHeaderBytes);
  uint8_t* h = batch.data();
  StoreBigEndian32(h + kLengthOffset, static_cast<uint32_t>(batch.size() - kLogOverheadBytes));
  h[kMagicOffset] = kMagicV2;
  StoreBigEndian16(h + kAttributesOffset, static_cast<uint16_t>(attributes));
  StoreBigEndian32(h + kLastOffsetDeltaOffset, static_cast<uint32_t>(last_offset_delta));
  StoreBigEndian64(h + kBaseTimestampOffset, 1700000000000);
  StoreBigEndian64(h + kMaxTimestampOffset, 1700000000000);
  StoreBigEndian64(h + kProducerIdOffset, static_cast<uint64_t>(kNoProducerId));
  StoreBigEndian16(h + kProducerEpochOffset, static_cast<uint16_t>(kNoProducerEpoch));
  StoreBigEndian32(h + kBaseSequenceOffset, static_cast<uint32_t>(kNoSequence));
  StoreBigEndian32(h + kRecordsCountOffset, static_cast<uint32_t>(count));
  StoreBigEndian32(h + kCrcOffset,
                   Crc32c(ByteSpan(h + kAttributesOffset, batch.size() - kAttributesOffset)));
  ExerciseBatch(ByteSpan(batch.data(), batch.size()));
}

void ExerciseScanner(ByteSpan input) {
  BatchScanner scanner(input);
  BatchScanner::Slice slice;
  while (true) {
    absl::StatusOr<bool> more = scanner.Next(&slice);
    if (!more.ok() || !*more) break;
    if (slice.position + slice.bytes.size() > input.size()) std::abort();
    ExerciseBatch(slice.bytes);
  }
  if (scanner.position() > input.size()) std::abort();
}

void ExerciseDecompressors(ByteSpan input) {
  ByteBuffer out;
  for (CompressionType codec : {CompressionType::kGzip, CompressionType::kSnappy,
                                CompressionType::kLz4, CompressionType::kZstd}) {
    absl::Status s = Decompress(codec, input, kMaxDecompressed, &out);
    // At most the one byte past the cap that detected a bomb.
    if (out.size() > kMaxDecompressed + 1) std::abort();
    if (s.ok() && out.size() <= kMaxRoundTrip) {
      // What decompressed must compress and come back.
      ByteBuffer again, back;
      std::vector<uint8_t> plain(out.span().begin(), out.span().end());
      ByteSpan plain_span(plain.data(), plain.size());
      if (!Compress(codec, std::nullopt, plain_span, &again).ok()) std::abort();
      if (!Decompress(codec, again.span(), kMaxDecompressed, &back).ok()) std::abort();
      if (back.size() != plain.size() || !std::equal(plain.begin(), plain.end(), back.data())) {
        std::abort();
      }
    }
  }
}

}  // namespace
}  // namespace rill::format

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rill::ByteSpan input(data, size);
  rill::format::ExerciseScanner(input);
  rill::format::ExerciseBatch(input);
  rill::format::ExerciseAsRecords(data, size);
  rill::format::ExerciseDecompressors(input);
  return 0;
}
