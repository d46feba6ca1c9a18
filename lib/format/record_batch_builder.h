#ifndef RILL_FORMAT_RECORD_BATCH_BUILDER_H_
#define RILL_FORMAT_RECORD_BATCH_BUILDER_H_

// Encodes records into one Kafka RecordBatch v2, byte-exact with Kafka's
// MemoryRecordsBuilder: every header field, optional compression of the
// records section, and the CRC-32C.
//
// Records are encoded straight into a buffer the builder keeps across
// Reset(), so steady-state encoding allocates nothing per record.
//
// Not thread safe: one builder per thread.
// Errors: Append() returns InvalidArgument for a record that cannot be
// encoded (a key, value or header over 2 GiB, an offset delta that does not
// increase); Build() returns the codec's error or InvalidArgument for a bad
// compression level.

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/bytes.h"
#include "lib/format/record.h"
#include "lib/format/record_batch_format.h"
#include "lib/format/varint.h"

namespace rill::format {

// The batch-level fields. Defaults are what a non-idempotent producer sends.
struct BatchOptions {
  CompressionType compression = CompressionType::kNone;
  // compression.<codec>.level; nullopt = Kafka's default for the codec.
  std::optional<int> compression_level;
  TimestampType timestamp_type = TimestampType::kCreateTime;
  // With kLogAppendTime: the broker time written as maxTimestamp.
  int64_t log_append_time_ms = kNoTimestamp;
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = kNoPartitionLeaderEpoch;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  int32_t base_sequence = kNoSequence;
  bool is_transactional = false;
  bool is_control = false;
  // KIP-534: when set, baseTimestamp holds this delete horizon, attribute
  // bit 6 is set and record timestamp deltas are relative to it.
  std::optional<int64_t> delete_horizon_ms;
};

class RecordBatchBuilder {
 public:
  RecordBatchBuilder() : RecordBatchBuilder(BatchOptions{}) {}
  explicit RecordBatchBuilder(const BatchOptions& options);

  RecordBatchBuilder(const RecordBatchBuilder&) = delete;
  RecordBatchBuilder& operator=(const RecordBatchBuilder&) = delete;

  // Starts a new, empty batch, keeping the buffers' memory.
  void Reset(const BatchOptions& options);

  // Appends a record at the next offset delta (0, 1, 2, ...).
  absl::Status Append(int64_t timestamp_ms, const NullableBytes& key, const NullableBytes& value,
                      absl::Span<const Header> headers = {});

  // Appends a record at an explicit offset delta, which must be larger than
  // the previous record's (the cleaner keeps the gaps compaction leaves).
  absl::Status AppendWithOffsetDelta(int32_t offset_delta, int64_t timestamp_ms,
                                     const NullableBytes& key, const NullableBytes& value,
                                     absl::Span<const Header> headers = {});

  // Sets the base sequence before Build() (an idempotent producer numbers a
  // batch when it closes it, in the order batches are appended).
  void set_base_sequence(int32_t sequence) { options_.base_sequence = sequence; }
  int32_t base_sequence() const { return options_.base_sequence; }

  // Overrides lastOffsetDelta (default: the last record's offset delta), as
  // the cleaner does to keep a batch's original offset range.
  // REQUIRES: not less than the last record's offset delta.
  void set_last_offset_delta(int32_t delta) { last_offset_delta_override_ = delta; }

  // Overrides maxTimestamp (default: the largest record timestamp), as the
  // cleaner does for a batch it empties.
  void set_max_timestamp(int64_t ts) { max_timestamp_override_ = ts; }

  int32_t record_count() const { return record_count_; }
  bool empty() const { return record_count_ == 0; }

  // Bytes the batch takes before compression, header included: what the
  // producer compares with batch.size.
  size_t uncompressed_bytes() const { return records_.size(); }
  const BatchOptions& options() const { return options_; }

  // Bytes Append() would add for such a record (exact). Inline: the
  // producer calls it for every record it sends.
  static size_t EncodedRecordBytes(int32_t offset_delta, int64_t timestamp_delta,
                                   const NullableBytes& key, const NullableBytes& value,
                                   absl::Span<const Header> headers) {
    size_t body = RecordBodyBytes(offset_delta, timestamp_delta, key, value, headers);
    return VarintSize(static_cast<int32_t>(body)) + body;
  }
  // The record without its leading length varint, in bytes.
  static size_t RecordBodyBytes(int32_t offset_delta, int64_t timestamp_delta,
                                const NullableBytes& key, const NullableBytes& value,
                                absl::Span<const Header> headers) {
    size_t n = 1 + VarlongSize(timestamp_delta) + VarintSize(offset_delta);
    n += NullableBytesSize(key) + NullableBytesSize(value);
    n += VarintSize(static_cast<int32_t>(headers.size()));
    for (const Header& h : headers) {
      n += VarintSize(static_cast<int32_t>(h.key.size())) + h.key.size();
      n += NullableBytesSize(h.value);
    }
    return n;
  }

  // Finishes the batch: header, compression and CRC. The span is valid until
  // the next call of any other method. It is mutable so a log can patch the
  // base offset and leader epoch in place (both lie outside the CRC).
  absl::StatusOr<MutableByteSpan> Build();

 private:
  // A nullable byte string on the wire: its length varint (-1 for null)
  // and its bytes.
  static size_t NullableBytesSize(const NullableBytes& b) {
    return b ? VarintSize(static_cast<int32_t>(b->size())) + b->size() : 1;
  }
  void WriteHeader(uint8_t* header, size_t total_bytes, CompressionType codec) const;
  int64_t base_timestamp() const;

  BatchOptions options_;
  ByteBuffer records_;     // Header placeholder + uncompressed records.
  ByteBuffer compressed_;  // Header + compressed records, when compressing.
  int32_t record_count_ = 0;
  int32_t last_offset_delta_ = -1;
  int64_t first_timestamp_ = kNoTimestamp;
  int64_t max_timestamp_ = kNoTimestamp;
  std::optional<int32_t> last_offset_delta_override_;
  std::optional<int64_t> max_timestamp_override_;
};

}  // namespace rill::format

#endif  // RILL_FORMAT_RECORD_BATCH_BUILDER_H_
