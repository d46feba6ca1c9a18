#include "lib/format/control_record.h"

#include "absl/strings/str_cat.h"

namespace rill::format {
namespace {

constexpr int kControlKeyBytes = 4;
constexpr int kEndTxnValueBytes = 6;
constexpr int16_t kCurrentVersion = 0;

const uint8_t* Bytes(absl::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

}  // namespace

absl::StatusOr<ByteSpan> BuildEndTxnMarkerBatch(const EndTxnMarker& marker,
                                                int64_t producer_id, int16_t producer_epoch,
                                                int64_t base_offset, int64_t timestamp_ms,
                                                RecordBatchBuilder* builder) {
  if (marker.type != ControlRecordType::kCommit && marker.type != ControlRecordType::kAbort) {
    return absl::InvalidArgumentError("an end-transaction marker is COMMIT or ABORT");
  }
  BatchOptions options;
  options.base_offset = base_offset;
  options.producer_id = producer_id;
  options.producer_epoch = producer_epoch;
  options.is_transactional = true;
  options.is_control = true;
  builder->Reset(options);
  uint8_t key[kControlKeyBytes];
  StoreBigEndian16(key, kCurrentVersion);
  StoreBigEndian16(key + 2, static_cast<uint16_t>(marker.type));
  uint8_t value[kEndTxnValueBytes];
  StoreBigEndian16(value, kCurrentVersion);
  StoreBigEndian32(value + 2, static_cast<uint32_t>(marker.coordinator_epoch));
  absl::Status s = builder->Append(timestamp_ms, AsStringView(ByteSpan(key, sizeof key)),
                                   AsStringView(ByteSpan(value, sizeof value)));
  if (!s.ok()) return s;
  return builder->Build();
}

absl::StatusOr<std::optional<ControlRecordType>> ParseControlRecordKey(NullableBytes key) {
  if (!key || key->size() < kControlKeyBytes) {
    return absl::DataLossError(absl::StrCat("control record key must have ", kControlKeyBytes,
                                            " bytes, has ", key ? key->size() : 0));
  }
  int16_t version = static_cast<int16_t>(LoadBigEndian16(Bytes(*key)));
  if (version < 0) {
    return absl::DataLossError(absl::StrCat("control record key version ", version, " is negative"));
  }
  // Kafka's ControlRecordType.parseTypeId reads the type of any version >= 0:
  // newer versions only add fields after it.
  return static_cast<ControlRecordType>(LoadBigEndian16(Bytes(*key) + 2));
}

absl::StatusOr<EndTxnMarker> ParseEndTxnMarker(const RecordView& record) {
  absl::StatusOr<std::optional<ControlRecordType>> type = ParseControlRecordKey(record.key);
  if (!type.ok()) return type.status();
  if (!*type || (**type != ControlRecordType::kCommit && **type != ControlRecordType::kAbort)) {
    return absl::DataLossError(absl::StrCat("control record at offset ", record.offset,
                                            " is not a COMMIT or ABORT marker"));
  }
  if (!record.value || record.value->size() < kEndTxnValueBytes) {
    return absl::DataLossError(absl::StrCat("end-transaction marker at offset ", record.offset,
                                            " has a value shorter than ", kEndTxnValueBytes, " bytes"));
  }
  int16_t value_version = static_cast<int16_t>(LoadBigEndian16(Bytes(*record.value)));
  if (value_version < 0) {
    return absl::DataLossError(absl::StrCat("end-transaction marker at offset ", record.offset,
                                            " has negative value version ", value_version));
  }
  EndTxnMarker marker;
  marker.type = **type;
  marker.coordinator_epoch = static_cast<int32_t>(LoadBigEndian32(Bytes(*record.value) + 2));
  return marker;
}

}  // namespace rill::format
