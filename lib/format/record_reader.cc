#include "lib/format/record_reader.h"

#include "absl/strings/str_cat.h"
#include "lib/format/compression.h"
#include "lib/format/varint.h"

namespace rill::format {
namespace {

// Kafka adds timestamp deltas with Java long arithmetic, which wraps.
int64_t WrappingAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// Reads a varint length and that many bytes; -1 is null when `nullable`.
// Returns nullptr when the bytes are not there or the length is illegal.
[[gnu::always_inline]] inline const uint8_t* ReadBytes(const uint8_t* p, const uint8_t* end,
                                                       bool nullable, NullableBytes* out) {
  int32_t n;
  p = ReadVarint(p, end, &n);
  if (p == nullptr) return nullptr;
  if (n < 0) {
    if (n != -1 || !nullable) return nullptr;
    *out = std::nullopt;
    return p;
  }
  if (n > end - p) return nullptr;
  *out = absl::string_view(reinterpret_cast<const char*>(p), n);
  return p + n;
}

}  // namespace

HeaderList::Iterator::Iterator(const uint8_t* p, const uint8_t* end, int32_t left)
    : p_(p), end_(end), left_(left) {
  if (left_ > 0) Decode();
}

HeaderList::Iterator& HeaderList::Iterator::operator++() {
  if (--left_ > 0) Decode();
  return *this;
}

void HeaderList::Iterator::Decode() {
  // RecordReader validated these bytes; a failure here cannot happen.
  NullableBytes key;
  p_ = ReadBytes(p_, end_, false, &key);
  p_ = ReadBytes(p_, end_, true, &current_.value);
  current_.key = key.value_or(absl::string_view());
}

absl::Status RecordReader::Open(const RecordBatchView& batch, ByteBuffer* buffer,
                                size_t max_decompressed) {
  base_offset_ = batch.base_offset();
  base_timestamp_ = batch.base_timestamp();
  log_append_time_type_ = batch.timestamp_type() == TimestampType::kLogAppendTime;
  log_append_time_ = batch.max_timestamp();
  last_offset_delta_ = batch.last_offset_delta();
  count_ = batch.record_count();
  read_ = 0;
  previous_delta_ = -1;
  ByteSpan section = batch.records_bytes();
  // Kafka never decompresses a batch without records (its iterator is empty).
  decompressed_ = batch.compression() != CompressionType::kNone && count_ > 0;
  if (decompressed_) {
    absl::Status s = Decompress(batch.compression(), section, max_decompressed, buffer);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("record batch at offset ", base_offset_,
                                                 ": ", s.message()));
    }
    section = buffer->span();
    position_base_ = 0;
  } else {
    position_base_ = kRecordsOffset;
  }
  begin_ = p_ = section.data();
  end_ = section.data() + section.size();
  return absl::OkStatus();
}

absl::Status RecordReader::Corrupt(const char* what, const uint8_t* at) const {
  return absl::DataLossError(absl::StrCat(
      "record batch at offset ", base_offset_, ": record ", read_, ": ", what, " at byte ",
      position_base_ + (at - begin_), decompressed_ ? " of the decompressed records" : " of the batch"));
}

absl::StatusOr<bool> RecordReader::Next(RecordView* out) {
  if (read_ == count_) {
    if (p_ != end_) return Corrupt("bytes follow the last record", p_);
    return false;
  }
  const uint8_t* start = p_;
  int32_t length;
  const uint8_t* p = ReadVarint(p_, end_, &length);
  if (p == nullptr) return Corrupt("truncated or overlong record length", start);
  if (length < 0 || length > end_ - p) return Corrupt("record length runs past the batch", start);
  const uint8_t* end = p + length;
  if (p == end) return Corrupt("empty record", start);
  ++p;  // Record attributes: unused by every Kafka version.
  int64_t timestamp_delta;
  int32_t offset_delta;
  if ((p = ReadVarlong(p, end, &timestamp_delta)) == nullptr) return Corrupt("bad timestamp delta", start);
  if ((p = ReadVarint(p, end, &offset_delta)) == nullptr) return Corrupt("bad offset delta", start);
  if (offset_delta <= previous_delta_ || offset_delta > last_offset_delta_) {
    return Corrupt("offset delta out of order or past lastOffsetDelta", start);
  }
  if ((p = ReadBytes(p, end, true, &out->key)) == nullptr) return Corrupt("bad key length", start);
  if ((p = ReadBytes(p, end, true, &out->value)) == nullptr) return Corrupt("bad value length", start);
  int32_t header_count;
  if ((p = ReadVarint(p, end, &header_count)) == nullptr || header_count < 0) {
    return Corrupt("bad header count", start);
  }
  const uint8_t* headers_begin = p;
  for (int32_t i = 0; i < header_count; ++i) {
    NullableBytes key, value;
    if ((p = ReadBytes(p, end, false, &key)) == nullptr) return Corrupt("bad header key", start);
    if ((p = ReadBytes(p, end, true, &value)) == nullptr) return Corrupt("bad header value", start);
  }
  if (p != end) return Corrupt("record length does not match its fields", start);
  out->headers = HeaderList(ByteSpan(headers_begin, p - headers_begin), header_count);
  out->offset_delta = offset_delta;
  out->offset = base_offset_ + offset_delta;
  out->timestamp = log_append_time_type_ ? log_append_time_
                                         : WrappingAdd(base_timestamp_, timestamp_delta);
  previous_delta_ = offset_delta;
  p_ = end;
  ++read_;
  return true;
}

}  // namespace rill::format
