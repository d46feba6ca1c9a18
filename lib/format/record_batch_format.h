#ifndef RILL_FORMAT_RECORD_BATCH_FORMAT_H_
#define RILL_FORMAT_RECORD_BATCH_FORMAT_H_

// The byte layout of Kafka's RecordBatch v2 (magic 2), shared by the builder
// and the reader. Source: Kafka's DefaultRecordBatch.java; see
// docs/format.md. All fixed-width fields are big-endian.

#include <cstdint>
#include "absl/strings/string_view.h"

namespace rill::format {

// Header field offsets.
inline constexpr int kBaseOffsetOffset = 0;
inline constexpr int kLengthOffset = 8;
inline constexpr int kPartitionLeaderEpochOffset = 12;
inline constexpr int kMagicOffset = 16;
inline constexpr int kCrcOffset = 17;
inline constexpr int kAttributesOffset = 21;
inline constexpr int kLastOffsetDeltaOffset = 23;
inline constexpr int kBaseTimestampOffset = 27;
inline constexpr int kMaxTimestampOffset = 35;
inline constexpr int kProducerIdOffset = 43;
inline constexpr int kProducerEpochOffset = 51;
inline constexpr int kBaseSequenceOffset = 53;
inline constexpr int kRecordsCountOffset = 57;
inline constexpr int kRecordsOffset = 61;

// The fixed header of every batch (Kafka's RECORD_BATCH_OVERHEAD).
inline constexpr int kBatchHeaderBytes = 61;
// baseOffset + length: the "log overhead" shared with magic 0 and 1.
inline constexpr int kLogOverheadBytes = 12;
// A length field below this is corruption, not a partial tail (Kafka's
// FileLogInputStream compares it with LegacyRecord.RECORD_OVERHEAD_V0).
inline constexpr int kMinLengthField = 14;
inline constexpr int8_t kMagicV2 = 2;

// Attribute bits (only the low byte is defined; readers ignore the rest).
inline constexpr int16_t kCompressionMask = 0x07;
inline constexpr int16_t kTimestampTypeMask = 0x08;
inline constexpr int16_t kTransactionalMask = 0x10;
inline constexpr int16_t kControlMask = 0x20;
inline constexpr int16_t kDeleteHorizonMask = 0x40;  // KIP-534.

inline constexpr int64_t kNoTimestamp = -1;
inline constexpr int64_t kNoProducerId = -1;
inline constexpr int16_t kNoProducerEpoch = -1;
inline constexpr int32_t kNoSequence = -1;
inline constexpr int32_t kNoPartitionLeaderEpoch = -1;

// The largest per-record overhead besides key, value and headers: length
// varint (5) + attributes (1) + timestamp delta (10) + offset delta (5) +
// key length (5) + value length (5) + header count (5).
inline constexpr int kMaxRecordOverheadBytes = 36;

enum class CompressionType : int8_t {
  kNone = 0,
  kGzip = 1,
  kSnappy = 2,
  kLz4 = 3,
  kZstd = 4,
};

enum class TimestampType : int8_t {
  kCreateTime = 0,
  kLogAppendTime = 1,
};

// Kafka's names: "none", "gzip", "snappy", "lz4", "zstd".
absl::string_view CompressionName(CompressionType type);
// "CreateTime" / "LogAppendTime".
absl::string_view TimestampTypeName(TimestampType type);

}  // namespace rill::format

#endif  // RILL_FORMAT_RECORD_BATCH_FORMAT_H_
