// RecordBatchBuilder, RecordBatchView and RecordReader together: what the
// builder writes reads back field for field, for every codec.

#include <catch2/catch.hpp>
#include <climits>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "lib/format/crc32c.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "test/format/format_test_util.h"
#include "test/support/status_matchers.h"

namespace rill::format {
namespace {

using testing::CompressibleString;
using testing::kAllCodecs;
using testing::OwnedHeader;
using testing::OwnedRecord;
using testing::ParseAndValidate;
using testing::RandomString;
using testing::ReadAll;
using testing::Span;

constexpr size_t kMiB = size_t{1} << 20;

// A record to append: owned bytes, turned into views at Append time.
struct TestRecord {
  TestRecord(int64_t timestamp, std::optional<std::string> key, std::optional<std::string> value,
             std::vector<OwnedHeader> headers = {}, std::optional<int32_t> offset_delta = {})
      : timestamp(timestamp),
        key(std::move(key)),
        value(std::move(value)),
        headers(std::move(headers)),
        offset_delta(offset_delta) {}
  TestRecord() = default;

  int64_t timestamp = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<OwnedHeader> headers;
  std::optional<int32_t> offset_delta;  // nullopt: the next one.
};

NullableBytes View(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return absl::string_view(*s);
}

absl::Status AppendRecord(RecordBatchBuilder& builder, const TestRecord& r) {
  std::vector<Header> headers;
  for (const OwnedHeader& h : r.headers) headers.push_back({h.key, View(h.value)});
  if (r.offset_delta) {
    return builder.AppendWithOffsetDelta(*r.offset_delta, r.timestamp, View(r.key), View(r.value),
                                         headers);
  }
  return builder.Append(r.timestamp, View(r.key), View(r.value), headers);
}

std::vector<uint8_t> BuildBatch(const BatchOptions& options,
                                const std::vector<TestRecord>& records) {
  RecordBatchBuilder builder(options);
  for (const TestRecord& r : records) {
    absl::Status s = AppendRecord(builder, r);
    INFO(s.ToString());
    REQUIRE(s.ok());
  }
  absl::StatusOr<ByteSpan> batch = builder.Build();
  REQUIRE_OK(batch);
  return testing::ToVector(*batch);
}

RecordBatchView MustParse(const std::vector<uint8_t>& batch) {
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(Span(batch));
  REQUIRE_OK(view);
  return *view;
}

// Reads `batch` back and compares every record with `records`, whose
// timestamps are expected as written unless `timestamp_override`.
void CheckRecords(const std::vector<uint8_t>& batch, const std::vector<TestRecord>& records,
                  int64_t base_offset, std::optional<int64_t> timestamp_override = {}) {
  CHECK_OK(ParseAndValidate(Span(batch)));
  absl::StatusOr<std::vector<OwnedRecord>> read = ReadAll(Span(batch));
  REQUIRE_OK(read);
  REQUIRE(read->size() == records.size());
  int32_t next_delta = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    INFO("record " << i);
    const TestRecord& want = records[i];
    const OwnedRecord& got = (*read)[i];
    int32_t delta = want.offset_delta.value_or(next_delta);
    next_delta = delta + 1;
    CHECK(got.offset_delta == delta);
    CHECK(got.offset == base_offset + delta);
    CHECK(got.timestamp == timestamp_override.value_or(want.timestamp));
    CHECK(got.key.has_value() == want.key.has_value());
    CHECK(got.key == want.key);
    CHECK(got.value.has_value() == want.value.has_value());
    CHECK(got.value == want.value);
    REQUIRE(got.headers.size() == want.headers.size());
    for (size_t h = 0; h < want.headers.size(); ++h) {
      CHECK(got.headers[h].key == want.headers[h].key);
      CHECK(got.headers[h].value.has_value() == want.headers[h].value.has_value());
      CHECK(got.headers[h].value == want.headers[h].value);
    }
  }
}

BatchOptions WithCodec(CompressionType codec) {
  BatchOptions options;
  options.compression = codec;
  return options;
}

TEST_CASE("null, empty and large keys and values round trip under every codec",
          "[format][record_batch]") {
  const uint32_t seed = 101;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const std::string large = RandomString(rng, 2 * kMiB + 3);
  const std::string large_text = CompressibleString(2 * kMiB);
  std::vector<TestRecord> records = {
      {1000, std::nullopt, std::nullopt, {}},
      {1001, std::string(), std::string(), {}},
      {1002, std::nullopt, std::string("value only"), {}},
      {1003, std::string("key only"), std::nullopt, {}},
      {1004, large, std::string("v"), {}},
      {1005, std::string("k"), large_text, {}},
      {1006, std::string(200, 'k'), std::string(300, 'v'), {}},
  };
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    std::vector<uint8_t> batch = BuildBatch(WithCodec(codec), records);
    CHECK(batch.size() > (codec == CompressionType::kNone ? 4 * kMiB : kMiB));
    RecordBatchView view = MustParse(batch);
    CHECK(view.compression() == codec);
    CHECK(view.record_count() == static_cast<int32_t>(records.size()));
    CheckRecords(batch, records, 0);
  }
}

TEST_CASE("headers with null values and empty keys round trip under every codec",
          "[format][record_batch]") {
  std::vector<TestRecord> records = {
      {5,
       std::string("k"),
       std::string("v"),
       {{"trace", std::string("abc")}, {"", std::string("empty key")}, {"null", std::nullopt}}},
      {6,
       std::nullopt,
       std::nullopt,
       {{"", std::string()}, {"dup", std::nullopt}, {"dup", std::string("second")}}},
      {7, std::string("no headers"), std::string("x"), {}},
      {8,
       std::string("big header"),
       std::string("y"),
       {{std::string(1000, 'h'), std::string(70000, 'v')}}},
  };
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    CheckRecords(BuildBatch(WithCodec(codec), records), records, 0);
  }
}

TEST_CASE("ten thousand records in one batch round trip under every codec",
          "[format][record_batch]") {
  const uint32_t seed = 202;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::vector<TestRecord> records;
  for (int i = 0; i < 10000; ++i) {
    TestRecord r;
    r.timestamp = 1700000000000 + static_cast<int64_t>(rng() % 100000) - 50000;
    if (i % 7 != 0) r.key = "key-" + std::to_string(i);
    if (i % 11 != 0) r.value = RandomString(rng, rng() % 200);
    if (i % 3 == 0) r.headers.push_back({"h" + std::to_string(i % 5), std::nullopt});
    if (i % 5 == 0) r.headers.push_back({"", RandomString(rng, rng() % 10)});
    records.push_back(std::move(r));
  }
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    BatchOptions options = WithCodec(codec);
    options.base_offset = 1'000'000;
    std::vector<uint8_t> batch = BuildBatch(options, records);
    RecordBatchView view = MustParse(batch);
    CHECK(view.record_count() == 10000);
    CHECK(view.last_offset_delta() == 9999);
    CHECK(view.next_offset() == 1'010'000);
    CheckRecords(batch, records, 1'000'000);
  }
}

TEST_CASE("batches over 1 MiB of many mid-sized records round trip under every codec",
          "[format][record_batch]") {
  const uint32_t seed = 303;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::vector<TestRecord> records;
  for (int i = 0; i < 1500; ++i) {
    records.push_back(
        {i, std::to_string(i), i % 2 ? RandomString(rng, 1500) : CompressibleString(1500), {}});
  }
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    std::vector<uint8_t> batch = BuildBatch(WithCodec(codec), records);
    CHECK(batch.size() > kMiB);
    CheckRecords(batch, records, 0);
  }
}

TEST_CASE("every header field reads back as the builder wrote it", "[format][record_batch]") {
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    BatchOptions options = WithCodec(codec);
    options.base_offset = 1234567890123;
    options.partition_leader_epoch = 42;
    options.producer_id = 987654321012;
    options.producer_epoch = 7;
    options.base_sequence = 100;
    options.is_transactional = true;
    std::vector<TestRecord> records = {{3000, std::string("a"), std::string("1"), {}},
                                       {5000, std::string("b"), std::string("2"), {}},
                                       {4000, std::string("c"), std::string("3"), {}}};
    std::vector<uint8_t> batch = BuildBatch(options, records);
    RecordBatchView view = MustParse(batch);
    CHECK(view.size_bytes() == batch.size());
    CHECK(view.length() == static_cast<int32_t>(batch.size()) - 12);
    CHECK(view.base_offset() == 1234567890123);
    CHECK(view.partition_leader_epoch() == 42);
    CHECK(view.magic() == 2);
    CHECK(view.attributes() == (static_cast<int16_t>(codec) | kTransactionalMask));
    CHECK(view.compression() == codec);
    CHECK(view.timestamp_type() == TimestampType::kCreateTime);
    CHECK(view.is_transactional());
    CHECK_FALSE(view.is_control());
    CHECK_FALSE(view.has_delete_horizon());
    CHECK_FALSE(view.delete_horizon_ms().has_value());
    CHECK(view.last_offset_delta() == 2);
    CHECK(view.base_timestamp() == 3000);
    CHECK(view.max_timestamp() == 5000);
    CHECK(view.producer_id() == 987654321012);
    CHECK(view.producer_epoch() == 7);
    CHECK(view.base_sequence() == 100);
    CHECK(view.last_sequence() == 102);
    CHECK(view.record_count() == 3);
    CHECK(view.last_offset() == 1234567890125);
    CHECK(view.next_offset() == 1234567890126);
    CHECK(view.records_bytes().size() == batch.size() - 61);
    CHECK(view.stored_crc() == Crc32c(Span(batch).subspan(21)));
    CHECK(view.ComputeCrc() == view.stored_crc());
    CHECK_OK(view.VerifyCrc());
    CheckRecords(batch, records, 1234567890123);
  }
}

TEST_CASE("a non-idempotent batch has the no-producer defaults", "[format][record_batch]") {
  std::vector<uint8_t> batch =
      BuildBatch(BatchOptions{}, {{1, std::nullopt, std::string("v"), {}}});
  RecordBatchView view = MustParse(batch);
  CHECK(view.partition_leader_epoch() == -1);
  CHECK(view.producer_id() == -1);
  CHECK(view.producer_epoch() == -1);
  CHECK(view.base_sequence() == -1);
  CHECK(view.last_sequence() == -1);
  CHECK(view.attributes() == 0);
}

TEST_CASE("control batches set the control and transactional bits", "[format][record_batch]") {
  BatchOptions options;
  options.is_control = true;
  options.is_transactional = true;
  options.producer_id = 5;
  options.producer_epoch = 1;
  std::vector<uint8_t> batch =
      BuildBatch(options, {{9, std::string("\0\0\0\1", 4), std::string("\0\0\0\0\0\0", 6), {}}});
  RecordBatchView view = MustParse(batch);
  CHECK(view.is_control());
  CHECK(view.is_transactional());
  CHECK(view.attributes() == 0x30);
}

TEST_CASE("LogAppendTime reports maxTimestamp as every record's timestamp",
          "[format][record_batch]") {
  const int64_t broker_time = 1800000000000;
  std::vector<TestRecord> records = {{100, std::string("a"), std::string("1"), {}},
                                     {300, std::string("b"), std::string("2"), {}},
                                     {200, std::nullopt, std::string("3"), {}}};
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    BatchOptions options = WithCodec(codec);
    options.timestamp_type = TimestampType::kLogAppendTime;
    options.log_append_time_ms = broker_time;
    std::vector<uint8_t> batch = BuildBatch(options, records);
    RecordBatchView view = MustParse(batch);
    CHECK(view.timestamp_type() == TimestampType::kLogAppendTime);
    CHECK((view.attributes() & kTimestampTypeMask) != 0);
    CHECK(view.max_timestamp() == broker_time);
    CHECK(view.base_timestamp() == 100);
    CheckRecords(batch, records, 0, broker_time);
  }
}

TEST_CASE("a delete horizon goes into baseTimestamp and record timestamps stay their own",
          "[format][record_batch]") {
  const int64_t horizon = 1700000086400000;
  std::vector<TestRecord> records = {{1700000000000, std::string("a"), std::nullopt, {}},
                                     {1700000000500, std::string("b"), std::string("x"), {}},
                                     {1699999999000, std::string("c"), std::nullopt, {}}};
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    BatchOptions options = WithCodec(codec);
    options.delete_horizon_ms = horizon;
    std::vector<uint8_t> batch = BuildBatch(options, records);
    RecordBatchView view = MustParse(batch);
    CHECK(view.has_delete_horizon());
    CHECK((view.attributes() & kDeleteHorizonMask) != 0);
    CHECK(view.delete_horizon_ms() == std::optional<int64_t>(horizon));
    CHECK(view.base_timestamp() == horizon);
    CHECK(view.max_timestamp() == 1700000000500);
    CheckRecords(batch, records, 0);
  }
}

TEST_CASE("negative and extreme timestamps round trip, wrapping deltas as Java does",
          "[format][record_batch]") {
  std::vector<TestRecord> records = {{-1700000000000, std::string("a"), std::nullopt, {}},
                                     {-1, std::string("b"), std::nullopt, {}},
                                     {INT64_MAX, std::string("c"), std::nullopt, {}},
                                     {INT64_MIN, std::string("d"), std::nullopt, {}},
                                     {0, std::string("e"), std::nullopt, {}}};
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    std::vector<uint8_t> batch = BuildBatch(WithCodec(codec), records);
    RecordBatchView view = MustParse(batch);
    CHECK(view.base_timestamp() == -1700000000000);
    CHECK(view.max_timestamp() == INT64_MAX);
    CheckRecords(batch, records, 0);
  }
}

TEST_CASE("maxTimestamp is the largest timestamp even when they decrease",
          "[format][record_batch]") {
  SECTION("strictly decreasing") {
    std::vector<TestRecord> records = {{1000, std::nullopt, std::string("1"), {}},
                                       {900, std::nullopt, std::string("2"), {}},
                                       {800, std::nullopt, std::string("3"), {}}};
    std::vector<uint8_t> batch = BuildBatch(BatchOptions{}, records);
    RecordBatchView view = MustParse(batch);
    CHECK(view.base_timestamp() == 1000);
    CHECK(view.max_timestamp() == 1000);
    CheckRecords(batch, records, 0);
  }
  SECTION("peak in the middle") {
    std::vector<TestRecord> records = {{-50, std::nullopt, std::string("1"), {}},
                                       {7000, std::nullopt, std::string("2"), {}},
                                       {-90, std::nullopt, std::string("3"), {}}};
    std::vector<uint8_t> batch = BuildBatch(BatchOptions{}, records);
    RecordBatchView view = MustParse(batch);
    CHECK(view.base_timestamp() == -50);
    CHECK(view.max_timestamp() == 7000);
    CheckRecords(batch, records, 0);
  }
  SECTION("all negative") {
    std::vector<uint8_t> batch =
        BuildBatch(BatchOptions{},
                   {{-30, std::nullopt, std::nullopt, {}}, {-20, std::nullopt, std::nullopt, {}}});
    CHECK(MustParse(batch).max_timestamp() == -20);
  }
}

TEST_CASE("set_max_timestamp overrides the computed maximum", "[format][record_batch]") {
  RecordBatchBuilder builder;
  REQUIRE_OK(builder.Append(10, std::nullopt, absl::string_view("v")));
  builder.set_max_timestamp(99);
  absl::StatusOr<ByteSpan> batch = builder.Build();
  REQUIRE_OK(batch);
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(*batch);
  REQUIRE_OK(view);
  CHECK(view->max_timestamp() == 99);
  ByteBuffer scratch;
  CHECK_OK(view->Validate(&scratch));
}

TEST_CASE("offset delta gaps and an overridden lastOffsetDelta are kept",
          "[format][record_batch]") {
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    BatchOptions options = WithCodec(codec);
    options.base_offset = 500;
    std::vector<TestRecord> records = {{1, std::string("a"), std::string("1"), {}, 3},
                                       {2, std::string("b"), std::string("2"), {}, 5},
                                       {3, std::string("c"), std::string("3"), {}, 9}};
    {  // lastOffsetDelta is the last record's delta
      std::vector<uint8_t> batch = BuildBatch(options, records);
      RecordBatchView view = MustParse(batch);
      CHECK(view.record_count() == 3);
      CHECK(view.last_offset_delta() == 9);
      CHECK(view.next_offset() == 510);
      CheckRecords(batch, records, 500);
    }
    {  // set_last_offset_delta extends the range past the last record
      RecordBatchBuilder builder(options);
      for (const TestRecord& r : records) REQUIRE_OK(AppendRecord(builder, r));
      builder.set_last_offset_delta(20);
      absl::StatusOr<ByteSpan> built = builder.Build();
      REQUIRE_OK(built);
      std::vector<uint8_t> batch = testing::ToVector(*built);
      RecordBatchView view = MustParse(batch);
      CHECK(view.record_count() == 3);
      CHECK(view.last_offset_delta() == 20);
      CHECK(view.last_offset() == 520);
      CHECK(view.next_offset() == 521);
      CheckRecords(batch, records, 500);
    }
    {  // Append after a gap continues from the last delta
      RecordBatchBuilder builder(options);
      REQUIRE_OK(builder.AppendWithOffsetDelta(4, 1, std::nullopt, absl::string_view("x")));
      REQUIRE_OK(builder.Append(2, std::nullopt, absl::string_view("y")));
      absl::StatusOr<ByteSpan> built = builder.Build();
      REQUIRE_OK(built);
      absl::StatusOr<std::vector<OwnedRecord>> read = ReadAll(*built);
      REQUIRE_OK(read);
      REQUIRE(read->size() == 2);
      CHECK((*read)[0].offset == 504);
      CHECK((*read)[1].offset == 505);
    }
  }
}

TEST_CASE("an offset delta that does not increase is InvalidArgument", "[format][record_batch]") {
  RecordBatchBuilder builder;
  REQUIRE_OK(builder.AppendWithOffsetDelta(5, 1, std::nullopt, std::nullopt));
  CHECK(builder.AppendWithOffsetDelta(5, 1, std::nullopt, std::nullopt).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(builder.AppendWithOffsetDelta(2, 1, std::nullopt, std::nullopt).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(builder.AppendWithOffsetDelta(-1, 1, std::nullopt, std::nullopt).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(builder.record_count() == 1);
  REQUIRE_OK(builder.AppendWithOffsetDelta(INT32_MAX, 1, std::nullopt, std::nullopt));
  CHECK(builder.Append(1, std::nullopt, std::nullopt).code() == absl::StatusCode::kInvalidArgument);
  absl::StatusOr<ByteSpan> built = builder.Build();
  REQUIRE_OK(built);
  absl::StatusOr<std::vector<OwnedRecord>> read = ReadAll(*built);
  REQUIRE_OK(read);
  REQUIRE(read->size() == 2);
  CHECK((*read)[1].offset == INT32_MAX);
}

TEST_CASE("an empty batch has no records, baseTimestamp -1 and no compression",
          "[format][record_batch]") {
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    BatchOptions options = WithCodec(codec);
    options.base_offset = 77;
    RecordBatchBuilder builder(options);
    CHECK(builder.empty());
    absl::StatusOr<ByteSpan> built = builder.Build();
    REQUIRE_OK(built);
    std::vector<uint8_t> batch = testing::ToVector(*built);
    CHECK(batch.size() == 61);
    RecordBatchView view = MustParse(batch);
    CHECK(view.record_count() == 0);
    CHECK(view.compression() == CompressionType::kNone);
    CHECK(view.base_timestamp() == -1);
    CHECK(view.max_timestamp() == -1);
    CHECK(view.last_offset_delta() == 0);
    CHECK(view.base_offset() == 77);
    CHECK_OK(ParseAndValidate(Span(batch)));
    absl::StatusOr<std::vector<OwnedRecord>> read = ReadAll(Span(batch));
    REQUIRE_OK(read);
    CHECK(read->empty());
  }
}

TEST_CASE("an empty batch marked compressed is read without decompressing",
          "[format][record_batch]") {
  // Kafka never decompresses a batch without records, so an empty records
  // section under a codec bit is not an error.
  for (CompressionType codec : testing::kCompressingCodecs) {
    INFO(CompressionName(codec));
    RecordBatchBuilder builder;
    absl::StatusOr<ByteSpan> built = builder.Build();
    REQUIRE_OK(built);
    std::vector<uint8_t> batch = testing::ToVector(*built);
    StoreBigEndian16(batch.data() + kAttributesOffset, static_cast<uint16_t>(codec));
    StoreBigEndian32(batch.data() + kCrcOffset, Crc32c(Span(batch).subspan(kAttributesOffset)));
    CHECK(MustParse(batch).compression() == codec);
    CHECK_OK(ParseAndValidate(Span(batch)));
  }
}

TEST_CASE("an empty batch can keep the offset range and timestamp the cleaner gives it",
          "[format][record_batch]") {
  BatchOptions options;
  options.base_offset = 100;
  options.producer_id = 9;
  options.producer_epoch = 2;
  options.base_sequence = 40;
  RecordBatchBuilder builder(options);
  builder.set_last_offset_delta(9);
  builder.set_max_timestamp(123456);
  absl::StatusOr<ByteSpan> built = builder.Build();
  REQUIRE_OK(built);
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(*built);
  REQUIRE_OK(view);
  CHECK(view->record_count() == 0);
  CHECK(view->last_offset_delta() == 9);
  CHECK(view->next_offset() == 110);
  CHECK(view->max_timestamp() == 123456);
  CHECK(view->last_sequence() == 49);
  ByteBuffer scratch;
  CHECK_OK(view->Validate(&scratch));
}

TEST_CASE("a reset builder forgets the previous batch and reproduces identical bytes",
          "[format][record_batch]") {
  std::vector<TestRecord> first = {{1, std::string("a"), std::string("1"), {{"h", std::nullopt}}},
                                   {2, std::string("b"), std::string("2"), {}}};
  std::vector<TestRecord> second = {{50, std::nullopt, std::string("only"), {}}};
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    BatchOptions a = WithCodec(codec);
    a.base_offset = 10;
    a.producer_id = 3;
    a.producer_epoch = 0;
    a.base_sequence = 0;
    BatchOptions b;
    b.base_offset = 12;
    b.timestamp_type = TimestampType::kLogAppendTime;
    b.log_append_time_ms = 777;

    RecordBatchBuilder builder(a);
    for (const TestRecord& r : first) REQUIRE_OK(AppendRecord(builder, r));
    absl::StatusOr<ByteSpan> built = builder.Build();
    REQUIRE_OK(built);
    std::vector<uint8_t> batch_a = testing::ToVector(*built);

    builder.Reset(b);
    CHECK(builder.empty());
    CHECK(builder.uncompressed_bytes() == 61);
    for (const TestRecord& r : second) REQUIRE_OK(AppendRecord(builder, r));
    built = builder.Build();
    REQUIRE_OK(built);
    std::vector<uint8_t> batch_b = testing::ToVector(*built);
    RecordBatchView view_b = MustParse(batch_b);
    CHECK(view_b.record_count() == 1);
    CHECK(view_b.compression() == CompressionType::kNone);
    CHECK(view_b.producer_id() == -1);
    CHECK(view_b.base_timestamp() == 50);
    CHECK(view_b.max_timestamp() == 777);
    CheckRecords(batch_b, second, 12, 777);

    builder.Reset(a);
    for (const TestRecord& r : first) REQUIRE_OK(AppendRecord(builder, r));
    built = builder.Build();
    REQUIRE_OK(built);
    CHECK(testing::ToVector(*built) == batch_a);
    CheckRecords(batch_a, first, 10);
  }
}

TEST_CASE("the builder's byte counts are exact", "[format][record_batch]") {
  RecordBatchBuilder builder;
  CHECK(builder.uncompressed_bytes() == 61);
  std::vector<Header> headers = {{"k", std::nullopt}, {"", absl::string_view("value")}};
  size_t expected = 61;
  struct Step {
    int64_t ts;
    NullableBytes key, value;
  };
  const std::string big(300, 'x');
  for (const Step& s : {Step{1000, std::nullopt, std::nullopt},
                        Step{1001, absl::string_view(""), absl::string_view(big)},
                        Step{-5000000000, absl::string_view("key"), std::nullopt}}) {
    int32_t delta = builder.record_count();
    expected += RecordBatchBuilder::EncodedRecordBytes(delta, s.ts - 1000, s.key, s.value, headers);
    REQUIRE_OK(builder.Append(s.ts, s.key, s.value, headers));
    CHECK(builder.uncompressed_bytes() == expected);
  }
  absl::StatusOr<ByteSpan> built = builder.Build();
  REQUIRE_OK(built);
  CHECK(built->size() == expected);
}

TEST_CASE("an invalid compression level fails Build with InvalidArgument",
          "[format][record_batch]") {
  BatchOptions options = WithCodec(CompressionType::kGzip);
  options.compression_level = 10;
  RecordBatchBuilder builder(options);
  REQUIRE_OK(builder.Append(1, std::nullopt, absl::string_view("v")));
  CHECK(builder.Build().status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("explicit compression levels produce valid batches", "[format][record_batch]") {
  std::vector<TestRecord> records = {{1, std::string("k"), CompressibleString(10000), {}}};
  for (auto [codec, level] :
       {std::pair{CompressionType::kGzip, 1}, std::pair{CompressionType::kGzip, 9},
        std::pair{CompressionType::kLz4, 1}, std::pair{CompressionType::kLz4, 17},
        std::pair{CompressionType::kZstd, -7}, std::pair{CompressionType::kZstd, 19}}) {
    INFO(CompressionName(codec) << " level " << level);
    BatchOptions options = WithCodec(codec);
    options.compression_level = level;
    CheckRecords(BuildBatch(options, records), records, 0);
  }
}

TEST_CASE("patching base offset and leader epoch keeps the CRC valid", "[format][record_batch]") {
  std::vector<TestRecord> records = {{1, std::string("a"), std::string("1"), {}},
                                     {2, std::string("b"), std::string("2"), {}}};
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    std::vector<uint8_t> batch = BuildBatch(WithCodec(codec), records);
    uint32_t crc = MustParse(batch).stored_crc();
    PatchBaseOffset(testing::MutableSpan(batch), 9'000'000'000);
    PatchPartitionLeaderEpoch(testing::MutableSpan(batch), 17);
    RecordBatchView view = MustParse(batch);
    CHECK(view.base_offset() == 9'000'000'000);
    CHECK(view.partition_leader_epoch() == 17);
    CHECK(view.stored_crc() == crc);
    CHECK_OK(view.VerifyCrc());
    CHECK(view.next_offset() == 9'000'000'002);
    CheckRecords(batch, records, 9'000'000'000);
    PatchPartitionLeaderEpoch(testing::MutableSpan(batch), -1);
    CHECK(MustParse(batch).partition_leader_epoch() == -1);
    CHECK_OK(ParseAndValidate(Span(batch)));
  }
}

TEST_CASE("stamping LogAppendTime sets the type and maxTimestamp and recomputes the CRC",
          "[format][record_batch]") {
  std::vector<TestRecord> records = {{100, std::string("a"), std::string("1"), {}},
                                     {50, std::string("b"), std::string("2"), {}}};
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    BatchOptions options = WithCodec(codec);
    options.is_transactional = true;
    options.producer_id = 4;
    options.producer_epoch = 1;
    options.base_sequence = 8;
    std::vector<uint8_t> batch = BuildBatch(options, records);
    uint32_t old_crc = MustParse(batch).stored_crc();
    StampLogAppendTime(testing::MutableSpan(batch), 1800000000000);
    RecordBatchView view = MustParse(batch);
    CHECK(view.timestamp_type() == TimestampType::kLogAppendTime);
    CHECK(view.max_timestamp() == 1800000000000);
    CHECK(view.compression() == codec);
    CHECK(view.is_transactional());
    CHECK(view.base_timestamp() == 100);
    CHECK(view.base_sequence() == 8);
    CHECK(view.stored_crc() != old_crc);
    CHECK(view.stored_crc() == Crc32c(Span(batch).subspan(21)));
    CheckRecords(batch, records, 0, 1800000000000);
  }
}

TEST_CASE("last_sequence wraps past INT32_MAX to 0", "[format][record_batch]") {
  auto last_sequence = [](int32_t base_sequence, int records) {
    BatchOptions options;
    options.producer_id = 1;
    options.producer_epoch = 0;
    options.base_sequence = base_sequence;
    RecordBatchBuilder builder(options);
    for (int i = 0; i < records; ++i) {
      REQUIRE_OK(builder.Append(i, std::nullopt, absl::string_view("v")));
    }
    absl::StatusOr<ByteSpan> built = builder.Build();
    REQUIRE_OK(built);
    absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(*built);
    REQUIRE_OK(view);
    return view->last_sequence();
  };
  CHECK(last_sequence(0, 1) == 0);
  CHECK(last_sequence(0, 5) == 4);
  CHECK(last_sequence(INT32_MAX, 1) == INT32_MAX);
  CHECK(last_sequence(INT32_MAX, 2) == 0);
  CHECK(last_sequence(INT32_MAX - 2, 5) == 1);
  CHECK(last_sequence(-1, 5) == -1);
}

TEST_CASE("a reader reports records_read and stops after the last record",
          "[format][record_batch]") {
  std::vector<uint8_t> batch = BuildBatch(
      WithCodec(CompressionType::kLz4),
      {{1, std::string("a"), std::nullopt, {}}, {2, std::string("b"), std::nullopt, {}}});
  RecordBatchView view = MustParse(batch);
  ByteBuffer buffer;
  RecordReader reader;
  REQUIRE_OK(reader.Open(view, &buffer));
  RecordView r;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<bool> more = reader.Next(&r);
    REQUIRE_OK(more);
    CHECK(*more);
    CHECK(reader.records_read() == i + 1);
  }
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<bool> more = reader.Next(&r);
    REQUIRE_OK(more);
    CHECK_FALSE(*more);
  }
  CHECK(reader.records_read() == 2);
}

}  // namespace
}  // namespace rill::format
