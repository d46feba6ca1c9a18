#include "lib/format/record_batch_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/format/crc32c.h"
#include "lib/format/record_reader.h"

namespace rill::format {
namespace {

absl::Status BadHeader(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("record batch header: ", what));
}

}  // namespace

absl::StatusOr<RecordBatchView> RecordBatchView::Parse(ByteSpan batch) {
  if (batch.size() < kBatchHeaderBytes) {
    return BadHeader(absl::StrCat("batch of ", batch.size(),
                                  " bytes is shorter than the 61-byte v2 header"));
  }
  RecordBatchView view(batch);
  int64_t length = view.length();
  if (length + kLogOverheadBytes != static_cast<int64_t>(batch.size())) {
    return BadHeader(absl::StrCat("length field (byte 8) says ", length, " + 12 bytes but the batch has ",
                                  batch.size()));
  }
  if (view.magic() != kMagicV2) {
    return BadHeader(absl::StrCat("magic (byte 16) is ", view.magic(),
                                  "; only v2 record batches (magic 2) are supported"));
  }
  int16_t attributes = view.attributes();
  // Bits 7-15 are ignored, as Kafka's readers ignore them (the CRC covers
  // them, so corruption there is still caught); an unknown codec is not.
  if ((attributes & kCompressionMask) > static_cast<int>(CompressionType::kZstd)) {
    return BadHeader(absl::StrFormat("attributes (byte 21) 0x%04x name an unknown codec %d",
                                     static_cast<uint16_t>(attributes),
                                     attributes & kCompressionMask));
  }
  if (view.last_offset_delta() < 0) {
    return BadHeader(absl::StrCat("lastOffsetDelta (byte 23) is negative: ", view.last_offset_delta()));
  }
  if (view.record_count() < 0 ||
      static_cast<int64_t>(view.record_count()) > int64_t{view.last_offset_delta()} + 1) {
    return BadHeader(absl::StrCat("recordsCount (byte 57) ", view.record_count(),
                                  " does not fit lastOffsetDelta ", view.last_offset_delta()));
  }
  // next_offset() must be representable, for empty batches too (the
  // cleaner keeps their offset range).
  if (view.base_offset() > INT64_MAX - 1 - view.last_offset_delta()) {
    return BadHeader(absl::StrCat("baseOffset ", view.base_offset(), " + lastOffsetDelta ",
                                  view.last_offset_delta(), " + 1 overflows"));
  }
  return view;
}

int32_t RecordBatchView::last_sequence() const {
  if (base_sequence() < 0) return kNoSequence;
  int64_t last = int64_t{base_sequence()} + last_offset_delta();
  return last > INT32_MAX ? static_cast<int32_t>(last - INT32_MAX - 1) : static_cast<int32_t>(last);
}

uint32_t RecordBatchView::ComputeCrc() const { return Crc32c(bytes_.subspan(kAttributesOffset)); }

absl::Status RecordBatchView::VerifyCrc() const {
  uint32_t computed = ComputeCrc();
  if (computed != stored_crc()) {
    return absl::DataLossError(absl::StrFormat(
        "record batch at offset %d: CRC mismatch (stored 0x%08x, computed 0x%08x)",
        base_offset(), stored_crc(), computed));
  }
  return absl::OkStatus();
}

absl::Status RecordBatchView::Validate(ByteBuffer* scratch, size_t max_decompressed) const {
  if (absl::Status s = VerifyCrc(); !s.ok()) return s;
  RecordReader reader;
  if (absl::Status s = reader.Open(*this, scratch, max_decompressed); !s.ok()) return s;
  RecordView record;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
  }
}

void PatchBaseOffset(MutableByteSpan batch, int64_t base_offset) {
  StoreBigEndian64(batch.data() + kBaseOffsetOffset, static_cast<uint64_t>(base_offset));
}

void PatchPartitionLeaderEpoch(MutableByteSpan batch, int32_t epoch) {
  StoreBigEndian32(batch.data() + kPartitionLeaderEpochOffset, static_cast<uint32_t>(epoch));
}

void StampLogAppendTime(MutableByteSpan batch, int64_t time_ms) {
  uint8_t* p = batch.data();
  uint16_t attributes = LoadBigEndian16(p + kAttributesOffset) | kTimestampTypeMask;
  StoreBigEndian16(p + kAttributesOffset, attributes);
  StoreBigEndian64(p + kMaxTimestampOffset, static_cast<uint64_t>(time_ms));
  StoreBigEndian32(p + kCrcOffset,
                   Crc32c(ByteSpan(p + kAttributesOffset, batch.size() - kAttributesOffset)));
}

}  // namespace rill::format
