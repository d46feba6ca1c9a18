#ifndef RILL_FORMAT_RECORD_BATCH_VIEW_H_
#define RILL_FORMAT_RECORD_BATCH_VIEW_H_

// A zero-copy view of one Kafka RecordBatch v2 in memory: header accessors,
// CRC check and full validation. The bytes are borrowed and must outlive the
// view. Records are read with RecordReader (record_reader.h).
//
// Thread safe for concurrent reads (it is immutable).
// Errors (all DataLoss, each naming the field and byte offset within the
// batch): framing, magic, attributes, counts, CRC, and anything RecordReader
// finds in the records.

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/bytes.h"
#include "lib/format/record_batch_format.h"

namespace rill::format {

// The default cap on a batch's decompressed records: far above any batch
// Kafka's max.message.bytes admits, far below what would hurt the process.
inline constexpr size_t kDefaultMaxDecompressedBytes = 128 << 20;

class RecordBatchView {
 public:
  // Checks the header of the single batch that is exactly `batch`: size,
  // length field, magic 2, defined attribute bits and codec, a record count
  // that fits lastOffsetDelta, a next_offset() that fits int64. Does not
  // check the CRC or the records.
  static absl::StatusOr<RecordBatchView> Parse(ByteSpan batch);

  ByteSpan bytes() const { return bytes_; }
  size_t size_bytes() const { return bytes_.size(); }
  // The records section: raw records, or one compressed stream.
  ByteSpan records_bytes() const { return bytes_.subspan(kRecordsOffset); }

  int64_t base_offset() const { return I64(kBaseOffsetOffset); }
  int32_t length() const { return I32(kLengthOffset); }
  int32_t partition_leader_epoch() const { return I32(kPartitionLeaderEpochOffset); }
  int8_t magic() const { return static_cast<int8_t>(bytes_[kMagicOffset]); }
  uint32_t stored_crc() const { return LoadBigEndian32(bytes_.data() + kCrcOffset); }
  int16_t attributes() const { return static_cast<int16_t>(LoadBigEndian16(bytes_.data() + kAttributesOffset)); }
  int32_t last_offset_delta() const { return I32(kLastOffsetDeltaOffset); }
  int64_t base_timestamp() const { return I64(kBaseTimestampOffset); }
  int64_t max_timestamp() const { return I64(kMaxTimestampOffset); }
  int64_t producer_id() const { return I64(kProducerIdOffset); }
  int16_t producer_epoch() const { return static_cast<int16_t>(LoadBigEndian16(bytes_.data() + kProducerEpochOffset)); }
  int32_t base_sequence() const { return I32(kBaseSequenceOffset); }
  int32_t record_count() const { return I32(kRecordsCountOffset); }

  CompressionType compression() const {
    return static_cast<CompressionType>(attributes() & kCompressionMask);
  }
  TimestampType timestamp_type() const {
    return (attributes() & kTimestampTypeMask) ? TimestampType::kLogAppendTime
                                               : TimestampType::kCreateTime;
  }
  bool is_transactional() const { return attributes() & kTransactionalMask; }
  bool is_control() const { return attributes() & kControlMask; }
  bool has_delete_horizon() const { return attributes() & kDeleteHorizonMask; }
  // KIP-534: the delete horizon the cleaner stamped into baseTimestamp.
  std::optional<int64_t> delete_horizon_ms() const {
    if (!has_delete_horizon()) return std::nullopt;
    return base_timestamp();
  }

  int64_t last_offset() const { return base_offset() + last_offset_delta(); }
  int64_t next_offset() const { return last_offset() + 1; }
  // The last sequence number (wrapping past INT32_MAX to 0), or -1.
  int32_t last_sequence() const;

  uint32_t ComputeCrc() const;
  // DataLoss naming the stored and computed CRC when they differ.
  absl::Status VerifyCrc() const;

  // Parse() checks + CRC + every record (decompressing into `*scratch`,
  // capped at `max_decompressed` bytes).
  absl::Status Validate(ByteBuffer* scratch,
                        size_t max_decompressed = kDefaultMaxDecompressedBytes) const;

 private:
  explicit RecordBatchView(ByteSpan bytes) : bytes_(bytes) {}
  int32_t I32(int at) const { return static_cast<int32_t>(LoadBigEndian32(bytes_.data() + at)); }
  int64_t I64(int at) const { return static_cast<int64_t>(LoadBigEndian64(bytes_.data() + at)); }

  ByteSpan bytes_;
};

// In-place edits of a batch the log owns. Base offset and leader epoch lie
// outside the CRC, so they need no recomputation.
// REQUIRES: `batch` passed RecordBatchView::Parse.
void PatchBaseOffset(MutableByteSpan batch, int64_t base_offset);
void PatchPartitionLeaderEpoch(MutableByteSpan batch, int32_t epoch);
// message.timestamp.type=LogAppendTime: sets attribute bit 3 and
// maxTimestamp to `time_ms`, and recomputes the CRC (both are inside it).
void StampLogAppendTime(MutableByteSpan batch, int64_t time_ms);

}  // namespace rill::format

#endif  // RILL_FORMAT_RECORD_BATCH_VIEW_H_
