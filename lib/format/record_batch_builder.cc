#include "lib/format/record_batch_builder.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/format/compression.h"
#include "lib/format/crc32c.h"
#include "lib/format/varint.h"

namespace rill::format {
namespace {

// Kafka computes timestamp deltas with Java long arithmetic, which wraps.
int64_t WrappingSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

uint8_t* WriteNullable(uint8_t* p, const NullableBytes& b) {
  if (!b) return WriteVarint(p, -1);
  p = WriteVarint(p, static_cast<int32_t>(b->size()));
  if (!b->empty()) std::memcpy(p, b->data(), b->size());
  return p + b->size();
}

bool FitsInt32(size_t n) { return n <= static_cast<size_t>(INT32_MAX); }

absl::Status CheckSizes(const NullableBytes& key, const NullableBytes& value,
                        absl::Span<const Header> headers) {
  bool ok = (!key || FitsInt32(key->size())) && (!value || FitsInt32(value->size())) &&
            FitsInt32(headers.size());
  for (const Header& h : headers) {
    ok = ok && FitsInt32(h.key.size()) && (!h.value || FitsInt32(h.value->size()));
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        "record key, value or header is larger than 2 GiB, which Kafka's format cannot hold");
  }
  return absl::OkStatus();
}

}  // namespace

RecordBatchBuilder::RecordBatchBuilder(const BatchOptions& options) { Reset(options); }

void RecordBatchBuilder::Reset(const BatchOptions& options) {
  options_ = options;
  records_.clear();
  records_.Extend(kBatchHeaderBytes);
  compressed_.clear();
  record_count_ = 0;
  last_offset_delta_ = -1;
  first_timestamp_ = kNoTimestamp;
  max_timestamp_ = kNoTimestamp;
  last_offset_delta_override_.reset();
  max_timestamp_override_.reset();
}

int64_t RecordBatchBuilder::base_timestamp() const {
  if (options_.delete_horizon_ms) return *options_.delete_horizon_ms;
  return first_timestamp_;
}

absl::Status RecordBatchBuilder::Append(int64_t timestamp_ms, const NullableBytes& key,
                                        const NullableBytes& value,
                                        absl::Span<const Header> headers) {
  if (last_offset_delta_ == INT32_MAX) {
    return absl::InvalidArgumentError("record batch already holds 2^31 offsets");
  }
  return AppendWithOffsetDelta(last_offset_delta_ + 1, timestamp_ms, key, value, headers);
}

absl::Status RecordBatchBuilder::AppendWithOffsetDelta(int32_t offset_delta, int64_t timestamp_ms,
                                                       const NullableBytes& key,
                                                       const NullableBytes& value,
                                                       absl::Span<const Header> headers) {
  if (offset_delta <= last_offset_delta_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "offset delta ", offset_delta, " does not follow the previous record's ",
        last_offset_delta_));
  }
  if (absl::Status s = CheckSizes(key, value, headers); !s.ok()) return s;
  if (record_count_ == 0) first_timestamp_ = timestamp_ms;
  int64_t ts_delta = WrappingSub(timestamp_ms, base_timestamp());
  size_t body = RecordBodyBytes(offset_delta, ts_delta, key, value, headers);
  if (!FitsInt32(body)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "record of ", body, " bytes is larger than Kafka's format can hold"));
  }
  uint8_t* p = records_.Extend(VarintSize(static_cast<int32_t>(body)) + body);
  p = WriteVarint(p, static_cast<int32_t>(body));
  *p++ = 0;  // Record attributes: none are defined.
  p = WriteVarlong(p, ts_delta);
  p = WriteVarint(p, offset_delta);
  p = WriteNullable(p, key);
  p = WriteNullable(p, value);
  p = WriteVarint(p, static_cast<int32_t>(headers.size()));
  for (const Header& h : headers) {
    p = WriteNullable(p, h.key);
    p = WriteNullable(p, h.value);
  }
  if (record_count_ == 0 || timestamp_ms > max_timestamp_) max_timestamp_ = timestamp_ms;
  ++record_count_;
  last_offset_delta_ = offset_delta;
  return absl::OkStatus();
}

void RecordBatchBuilder::WriteHeader(uint8_t* h, size_t total_bytes,
                                     CompressionType codec) const {
  int16_t attributes = static_cast<int16_t>(codec);
  if (options_.timestamp_type == TimestampType::kLogAppendTime) attributes |= kTimestampTypeMask;
  if (options_.is_transactional) attributes |= kTransactionalMask;
  if (options_.is_control) attributes |= kControlMask;
  if (options_.delete_horizon_ms) attributes |= kDeleteHorizonMask;

  int64_t max_ts = max_timestamp_;
  if (options_.timestamp_type == TimestampType::kLogAppendTime) max_ts = options_.log_append_time_ms;
  if (max_timestamp_override_) max_ts = *max_timestamp_override_;
  int64_t base_ts = record_count_ == 0 && !options_.delete_horizon_ms ? kNoTimestamp
                                                                      : base_timestamp();
  int32_t last_delta = last_offset_delta_override_.value_or(std::max(last_offset_delta_, 0));

  StoreBigEndian64(h + kBaseOffsetOffset, options_.base_offset);
  StoreBigEndian32(h + kLengthOffset, static_cast<uint32_t>(total_bytes - kLogOverheadBytes));
  StoreBigEndian32(h + kPartitionLeaderEpochOffset, options_.partition_leader_epoch);
  h[kMagicOffset] = kMagicV2;
  StoreBigEndian16(h + kAttributesOffset, attributes);
  StoreBigEndian32(h + kLastOffsetDeltaOffset, last_delta);
  StoreBigEndian64(h + kBaseTimestampOffset, base_ts);
  StoreBigEndian64(h + kMaxTimestampOffset, max_ts);
  StoreBigEndian64(h + kProducerIdOffset, options_.producer_id);
  StoreBigEndian16(h + kProducerEpochOffset, options_.producer_epoch);
  StoreBigEndian32(h + kBaseSequenceOffset, options_.base_sequence);
  StoreBigEndian32(h + kRecordsCountOffset, record_count_);
  uint32_t crc = Crc32c(ByteSpan(h + kAttributesOffset, total_bytes - kAttributesOffset));
  StoreBigEndian32(h + kCrcOffset, crc);
}

absl::StatusOr<MutableByteSpan> RecordBatchBuilder::Build() {
  // Kafka writes empty batches uncompressed.
  CompressionType codec = record_count_ == 0 ? CompressionType::kNone : options_.compression;
  ByteBuffer* out = &records_;
  if (codec != CompressionType::kNone) {
    compressed_.clear();
    compressed_.Extend(kBatchHeaderBytes);
    absl::Status s = Compress(codec, options_.compression_level,
                              records_.span().subspan(kBatchHeaderBytes), &compressed_);
    if (!s.ok()) return s;
    out = &compressed_;
  }
  if (!FitsInt32(out->size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "record batch of ", out->size(), " bytes is larger than Kafka's format can hold"));
  }
  WriteHeader(out->data(), out->size(), codec);
  return out->mutable_span();
}

}  // namespace rill::format
