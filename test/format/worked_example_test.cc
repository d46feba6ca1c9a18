// The byte-exact examples of the reference digest (section 1.7), which were
// checked against two CRC-32C implementations and kafka-python.

#include <catch2/catch.hpp>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/format/control_record.h"
#include "lib/format/crc32c.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_view.h"
#include "test/format/format_test_util.h"
#include "test/support/status_matchers.h"

namespace rill::format {
namespace {

using testing::OwnedRecord;
using testing::ReadAll;
using testing::Span;

constexpr int64_t kTimestamp = 1700000000000;  // 0x0000018BCFE56800

// Hex digits to bytes; anything else (spaces, '|') is ignored.
std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  int nibble = -1;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<uint8_t>(nibble << 4 | v));
      nibble = -1;
    }
  }
  return out;
}

// Reference section 1.7, the hex dump without its offsets column.
const std::vector<uint8_t> kSingleRecordBatch = FromHex(
    "00 00 00 00 00 00 00 00  00 00 00 3a 00 00 00 00"
    "02 e9 9b 8d d8 00 00 00  00 00 00 00 00 01 8b cf"
    "e5 68 00 00 00 01 8b cf  e5 68 00 ff ff ff ff ff"
    "ff ff ff ff ff ff ff ff  ff 00 00 00 01 10 00 00"
    "00 02 6b 02 76 00");

// Reference section 1.7, the COMMIT marker.
const std::vector<uint8_t> kCommitMarkerBatch = FromHex(
    "0000000000000005 00000042 00000000 02 a1ac499f 0030 00000000 0000018bcfe56800 "
    "0000018bcfe56800 00000000000003e8 0000 ffffffff 00000001 | 20 00 00 00 08 00000001 0c "
    "000000000000 00");

TEST_CASE("the reference single-record example is 70 bytes with CRC 0xE99B8DD8",
          "[format][worked_example]") {
  REQUIRE(kSingleRecordBatch.size() == 70);
  CHECK(Crc32c(Span(kSingleRecordBatch).subspan(21)) == 0xE99B8DD8u);
}

TEST_CASE("building the reference single-record example gives its exact bytes",
          "[format][worked_example]") {
  BatchOptions options;
  options.base_offset = 0;
  options.partition_leader_epoch = 0;
  RecordBatchBuilder builder(options);
  REQUIRE_OK(builder.Append(kTimestamp, absl::string_view("k"), absl::string_view("v")));
  CHECK(builder.uncompressed_bytes() == 70);
  absl::StatusOr<ByteSpan> batch = builder.Build();
  REQUIRE_OK(batch);
  CHECK(testing::ToVector(*batch) == kSingleRecordBatch);
}

TEST_CASE("parsing the reference single-record example gives its header and record",
          "[format][worked_example]") {
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(Span(kSingleRecordBatch));
  REQUIRE_OK(view);
  CHECK(view->base_offset() == 0);
  CHECK(view->length() == 58);
  CHECK(view->partition_leader_epoch() == 0);
  CHECK(view->magic() == 2);
  CHECK(view->stored_crc() == 0xE99B8DD8u);
  CHECK(view->ComputeCrc() == 0xE99B8DD8u);
  CHECK(view->attributes() == 0);
  CHECK(view->last_offset_delta() == 0);
  CHECK(view->base_timestamp() == kTimestamp);
  CHECK(view->max_timestamp() == kTimestamp);
  CHECK(view->producer_id() == -1);
  CHECK(view->producer_epoch() == -1);
  CHECK(view->base_sequence() == -1);
  CHECK(view->record_count() == 1);
  ByteBuffer scratch;
  CHECK_OK(view->Validate(&scratch));

  absl::StatusOr<std::vector<OwnedRecord>> records = ReadAll(Span(kSingleRecordBatch));
  REQUIRE_OK(records);
  REQUIRE(records->size() == 1);
  const OwnedRecord& r = records->front();
  CHECK(r.offset == 0);
  CHECK(r.offset_delta == 0);
  CHECK(r.timestamp == kTimestamp);
  CHECK(r.key == std::optional<std::string>("k"));
  CHECK(r.value == std::optional<std::string>("v"));
  CHECK(r.headers.empty());
}

TEST_CASE("the reference COMMIT marker is 78 bytes with CRC 0xA1AC499F",
          "[format][worked_example][control]") {
  REQUIRE(kCommitMarkerBatch.size() == 78);
  CHECK(Crc32c(Span(kCommitMarkerBatch).subspan(21)) == 0xA1AC499Fu);
}

TEST_CASE("building the reference COMMIT marker gives its exact bytes",
          "[format][worked_example][control]") {
  RecordBatchBuilder builder;
  EndTxnMarker marker{ControlRecordType::kCommit, 0};
  absl::StatusOr<ByteSpan> built = BuildEndTxnMarkerBatch(marker, /*producer_id=*/1000,
                                                          /*producer_epoch=*/0,
                                                          /*base_offset=*/5, kTimestamp, &builder);
  REQUIRE_OK(built);
  std::vector<uint8_t> batch = testing::ToVector(*built);
  // A marker is built as a producer would send it (leader epoch -1); the
  // reference shows it after the leader stamped epoch 0.
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(Span(batch));
  REQUIRE_OK(view);
  CHECK(view->partition_leader_epoch() == -1);
  PatchPartitionLeaderEpoch(testing::MutableSpan(batch), 0);
  CHECK(batch == kCommitMarkerBatch);
}

TEST_CASE("parsing the reference COMMIT marker gives a COMMIT with coordinator epoch 0",
          "[format][worked_example][control]") {
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(Span(kCommitMarkerBatch));
  REQUIRE_OK(view);
  CHECK(view->base_offset() == 5);
  CHECK(view->is_control());
  CHECK(view->is_transactional());
  CHECK(view->producer_id() == 1000);
  CHECK(view->producer_epoch() == 0);
  CHECK(view->base_sequence() == -1);
  CHECK(view->record_count() == 1);
  ByteBuffer scratch;
  CHECK_OK(view->Validate(&scratch));

  ByteBuffer buffer;
  RecordReader reader;
  REQUIRE_OK(reader.Open(*view, &buffer));
  RecordView record;
  absl::StatusOr<bool> more = reader.Next(&record);
  REQUIRE_OK(more);
  REQUIRE(*more);
  CHECK(record.offset == 5);
  CHECK(record.timestamp == kTimestamp);
  absl::StatusOr<EndTxnMarker> marker = ParseEndTxnMarker(record);
  REQUIRE_OK(marker);
  CHECK(marker->type == ControlRecordType::kCommit);
  CHECK(marker->coordinator_epoch == 0);
}

}  // namespace
}  // namespace rill::format
