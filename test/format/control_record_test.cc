#include "lib/format/control_record.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "test/format/format_test_util.h"
#include "test/support/status_matchers.h"

namespace rill::format {
namespace {

using testing::Span;

std::string Key(int16_t version, int16_t type) {
  uint8_t b[4];
  StoreBigEndian16(b, static_cast<uint16_t>(version));
  StoreBigEndian16(b + 2, static_cast<uint16_t>(type));
  return std::string(reinterpret_cast<const char*>(b), 4);
}

std::string Value(int16_t version, int32_t coordinator_epoch) {
  uint8_t b[6];
  StoreBigEndian16(b, static_cast<uint16_t>(version));
  StoreBigEndian32(b + 2, static_cast<uint32_t>(coordinator_epoch));
  return std::string(reinterpret_cast<const char*>(b), 6);
}

RecordView Record(NullableBytes key, NullableBytes value) {
  RecordView r;
  r.offset = 42;
  r.key = key;
  r.value = value;
  return r;
}

TEST_CASE("COMMIT and ABORT markers round trip through a control batch", "[format][control]") {
  for (ControlRecordType type : {ControlRecordType::kCommit, ControlRecordType::kAbort}) {
    for (int32_t coordinator_epoch : {0, 1, 77, INT32_MAX, -1}) {
      INFO("type " << static_cast<int>(type) << " coordinator epoch " << coordinator_epoch);
      RecordBatchBuilder builder;
      absl::StatusOr<ByteSpan> built = BuildEndTxnMarkerBatch(
          {type, coordinator_epoch}, /*producer_id=*/123456789, /*producer_epoch=*/9,
          /*base_offset=*/1000, /*timestamp_ms=*/1700000000123, &builder);
      REQUIRE_OK(built);
      std::vector<uint8_t> batch = testing::ToVector(*built);
      absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(Span(batch));
      REQUIRE_OK(view);
      CHECK(view->attributes() == 0x30);
      CHECK(view->compression() == CompressionType::kNone);
      CHECK(view->timestamp_type() == TimestampType::kCreateTime);
      CHECK(view->producer_id() == 123456789);
      CHECK(view->producer_epoch() == 9);
      CHECK(view->base_sequence() == -1);
      CHECK(view->base_offset() == 1000);
      CHECK(view->record_count() == 1);
      CHECK(view->last_offset_delta() == 0);
      CHECK(view->max_timestamp() == 1700000000123);
      ByteBuffer scratch;
      CHECK_OK(view->Validate(&scratch));

      ByteBuffer buffer;
      RecordReader reader;
      REQUIRE_OK(reader.Open(*view, &buffer));
      RecordView record;
      absl::StatusOr<bool> more = reader.Next(&record);
      REQUIRE_OK(more);
      REQUIRE(*more);
      CHECK(record.key == NullableBytes(Key(0, static_cast<int16_t>(type))));
      CHECK(record.value == NullableBytes(Value(0, coordinator_epoch)));
      absl::StatusOr<std::optional<ControlRecordType>> key_type = ParseControlRecordKey(record.key);
      REQUIRE_OK(key_type);
      CHECK(*key_type == std::optional<ControlRecordType>(type));
      absl::StatusOr<EndTxnMarker> marker = ParseEndTxnMarker(record);
      REQUIRE_OK(marker);
      CHECK(marker->type == type);
      CHECK(marker->coordinator_epoch == coordinator_epoch);
      more = reader.Next(&record);
      REQUIRE_OK(more);
      CHECK_FALSE(*more);
    }
  }
}

TEST_CASE("only COMMIT and ABORT can be built as end-transaction markers", "[format][control]") {
  RecordBatchBuilder builder;
  absl::StatusOr<ByteSpan> built =
      BuildEndTxnMarkerBatch({ControlRecordType::kLeaderChange, 0}, 1, 0, 0, 0, &builder);
  CHECK(built.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("building a marker resets whatever the builder held", "[format][control]") {
  BatchOptions options;
  options.compression = CompressionType::kGzip;
  RecordBatchBuilder builder(options);
  REQUIRE_OK(builder.Append(1, absl::string_view("stale"), absl::string_view("record")));
  absl::StatusOr<ByteSpan> built =
      BuildEndTxnMarkerBatch({ControlRecordType::kAbort, 3}, 8, 1, 20, 5, &builder);
  REQUIRE_OK(built);
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(*built);
  REQUIRE_OK(view);
  CHECK(view->record_count() == 1);
  CHECK(view->compression() == CompressionType::kNone);
  CHECK(view->size_bytes() == 78);
}

TEST_CASE("every known control type parses from its key", "[format][control]") {
  for (int16_t type = 0; type <= 6; ++type) {
    std::string key = Key(0, type);
    absl::StatusOr<std::optional<ControlRecordType>> parsed = ParseControlRecordKey(key);
    REQUIRE_OK(parsed);
    REQUIRE(parsed->has_value());
    CHECK(static_cast<int16_t>(**parsed) == type);
  }
}

TEST_CASE("a control key of a later version still yields its type", "[format][control]") {
  // Kafka's ControlRecordType.parseTypeId: later versions only append fields.
  for (int16_t version : {1, 2, 100, INT16_MAX}) {
    INFO("version " << version);
    std::string key = Key(version, 1) + "more fields";
    absl::StatusOr<std::optional<ControlRecordType>> parsed = ParseControlRecordKey(key);
    REQUIRE_OK(parsed);
    CHECK(*parsed == std::optional<ControlRecordType>(ControlRecordType::kCommit));
    std::string value = Value(version, 9) + "more";
    absl::StatusOr<EndTxnMarker> marker = ParseEndTxnMarker(Record(key, value));
    REQUIRE_OK(marker);
    CHECK(marker->type == ControlRecordType::kCommit);
    CHECK(marker->coordinator_epoch == 9);
  }
}

TEST_CASE("a control type this code does not know comes back as its number", "[format][control]") {
  std::string key = Key(0, 99);
  absl::StatusOr<std::optional<ControlRecordType>> parsed = ParseControlRecordKey(key);
  REQUIRE_OK(parsed);
  REQUIRE(parsed->has_value());
  CHECK(static_cast<int16_t>(**parsed) == 99);
}

TEST_CASE("a negative control key or marker value version is DataLoss", "[format][control]") {
  std::string key = Key(-1, 1);
  CHECK(ParseControlRecordKey(key).status().code() == absl::StatusCode::kDataLoss);
  CHECK(ParseEndTxnMarker(Record(key, Value(0, 0))).status().code() == absl::StatusCode::kDataLoss);
  std::string good_key = Key(0, 0);
  std::string bad_value = Value(-1, 0);
  CHECK(ParseEndTxnMarker(Record(good_key, bad_value)).status().code() ==
        absl::StatusCode::kDataLoss);
}

TEST_CASE("a null or short control key is DataLoss", "[format][control]") {
  CHECK(ParseControlRecordKey(std::nullopt).status().code() == absl::StatusCode::kDataLoss);
  std::string key = Key(0, 1);
  for (size_t n = 0; n < key.size(); ++n) {
    INFO(n << " key bytes");
    absl::string_view prefix = absl::string_view(key).substr(0, n);
    CHECK(ParseControlRecordKey(prefix).status().code() == absl::StatusCode::kDataLoss);
    std::string value = Value(0, 1);
    CHECK(ParseEndTxnMarker(Record(prefix, value)).status().code() == absl::StatusCode::kDataLoss);
  }
}

TEST_CASE("a null or short end-transaction marker value is DataLoss", "[format][control]") {
  std::string key = Key(0, 1);
  CHECK(ParseEndTxnMarker(Record(key, std::nullopt)).status().code() ==
        absl::StatusCode::kDataLoss);
  std::string value = Value(0, 5);
  for (size_t n = 0; n < value.size(); ++n) {
    INFO(n << " value bytes");
    absl::string_view prefix = absl::string_view(value).substr(0, n);
    absl::Status s = ParseEndTxnMarker(Record(key, prefix)).status();
    CHECK(s.code() == absl::StatusCode::kDataLoss);
  }
  absl::StatusOr<EndTxnMarker> full = ParseEndTxnMarker(Record(key, value));
  REQUIRE_OK(full);
  CHECK(full->coordinator_epoch == 5);
}

TEST_CASE("a control record that is not COMMIT or ABORT is not an end-transaction marker",
          "[format][control]") {
  std::string value = Value(0, 0);
  for (int16_t type : {2, 3, 6, 99}) {
    std::string key = Key(0, type);
    CHECK(ParseEndTxnMarker(Record(key, value)).status().code() == absl::StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace rill::format
