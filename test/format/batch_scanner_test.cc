#include "lib/format/batch_scanner.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_view.h"
#include "test/format/format_test_util.h"
#include "test/support/status_matchers.h"

namespace rill::format {
namespace {

using testing::Span;
using Tail = BatchScanner::Tail;

// A log of `count` batches laid end to end, with base offsets following on,
// each a different size and codec; `starts` gets each batch's position.
std::vector<uint8_t> MakeLog(int count, std::vector<size_t>* starts) {
  std::vector<uint8_t> log;
  RecordBatchBuilder builder;
  int64_t offset = 0;
  for (int b = 0; b < count; ++b) {
    BatchOptions options;
    options.base_offset = offset;
    options.compression = testing::kAllCodecs[b % 5];
    builder.Reset(options);
    for (int r = 0; r <= b; ++r) {
      std::string value(static_cast<size_t>(10 * r + b), static_cast<char>('a' + b));
      REQUIRE_OK(builder.Append(1000 + r, absl::string_view("key"), value));
    }
    absl::StatusOr<ByteSpan> batch = builder.Build();
    REQUIRE_OK(batch);
    starts->push_back(log.size());
    log.insert(log.end(), batch->begin(), batch->end());
    offset += b + 1;
  }
  return log;
}

// Scans `data` to the end; the slices found, or the first error.
absl::StatusOr<std::vector<BatchScanner::Slice>> ScanAll(BatchScanner& scanner) {
  std::vector<BatchScanner::Slice> slices;
  BatchScanner::Slice slice;
  while (true) {
    absl::StatusOr<bool> more = scanner.Next(&slice);
    if (!more.ok()) return more.status();
    if (!*more) return slices;
    slices.push_back(slice);
  }
}

TEST_CASE("the scanner returns every batch of a log in order", "[format][batch_scanner]") {
  std::vector<size_t> starts;
  std::vector<uint8_t> log = MakeLog(7, &starts);
  BatchScanner scanner(Span(log));
  absl::StatusOr<std::vector<BatchScanner::Slice>> slices = ScanAll(scanner);
  REQUIRE_OK(slices);
  REQUIRE(slices->size() == 7);
  int64_t next_offset = 0;
  for (size_t i = 0; i < slices->size(); ++i) {
    INFO("batch " << i);
    const BatchScanner::Slice& s = (*slices)[i];
    CHECK(s.position == starts[i]);
    CHECK(s.bytes.data() == log.data() + starts[i]);
    size_t end = i + 1 < starts.size() ? starts[i + 1] : log.size();
    CHECK(s.bytes.size() == end - starts[i]);
    absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(s.bytes);
    REQUIRE_OK(view);
    ByteBuffer scratch;
    CHECK_OK(view->Validate(&scratch));
    CHECK(view->base_offset() == next_offset);
    CHECK(view->record_count() == static_cast<int32_t>(i) + 1);
    next_offset = view->next_offset();
  }
  CHECK(scanner.tail() == Tail::kNone);
  CHECK(scanner.position() == log.size());
  CHECK(scanner.tail_bytes() == 0);
  // Next after the end keeps saying false.
  BatchScanner::Slice slice;
  absl::StatusOr<bool> more = scanner.Next(&slice);
  REQUIRE_OK(more);
  CHECK_FALSE(*more);
}

TEST_CASE("an empty buffer has no batches and no tail", "[format][batch_scanner]") {
  BatchScanner scanner{ByteSpan()};
  absl::StatusOr<std::vector<BatchScanner::Slice>> slices = ScanAll(scanner);
  REQUIRE_OK(slices);
  CHECK(slices->empty());
  CHECK(scanner.tail() == Tail::kNone);
  CHECK(scanner.position() == 0);
}

TEST_CASE("a log cut anywhere inside its last batch ends with a partial tail",
          "[format][batch_scanner]") {
  std::vector<size_t> starts;
  std::vector<uint8_t> log = MakeLog(4, &starts);
  const size_t last = starts.back();
  for (size_t cut = last + 1; cut < log.size(); ++cut) {
    INFO("cut at " << cut << " of " << log.size());
    BatchScanner scanner(ByteSpan(log.data(), cut));
    absl::StatusOr<std::vector<BatchScanner::Slice>> slices = ScanAll(scanner);
    REQUIRE_OK(slices);
    CHECK(slices->size() == 3);
    // The cut may leave only the zero high bytes of the base offset, which
    // look like preallocated space; anything else is a partial batch.
    bool all_zero =
        std::all_of(log.begin() + last, log.begin() + cut, [](uint8_t b) { return b == 0; });
    CHECK(scanner.tail() == (all_zero ? Tail::kZeroFilled : Tail::kPartial));
    if (cut - last > 8) CHECK(scanner.tail() == Tail::kPartial);
    CHECK(scanner.position() == last);
    CHECK(scanner.tail_bytes() == cut - last);
  }
}

TEST_CASE("up to 17 trailing bytes are a partial tail whatever they hold",
          "[format][batch_scanner]") {
  std::vector<size_t> starts;
  std::vector<uint8_t> log = MakeLog(2, &starts);
  const size_t end = log.size();
  for (size_t extra = 1; extra <= 17; ++extra) {
    INFO(extra << " trailing bytes");
    std::vector<uint8_t> data = log;
    // A length field of 1 would be corruption if it were read.
    for (size_t i = 0; i < extra; ++i) data.push_back(i == 11 ? 1 : 0xff);
    BatchScanner scanner(Span(data));
    absl::StatusOr<std::vector<BatchScanner::Slice>> slices = ScanAll(scanner);
    REQUIRE_OK(slices);
    CHECK(slices->size() == 2);
    CHECK(scanner.tail() == Tail::kPartial);
    CHECK(scanner.position() == end);
    CHECK(scanner.tail_bytes() == extra);
  }
}

TEST_CASE("a zero-filled tail is reported as such", "[format][batch_scanner]") {
  std::vector<size_t> starts;
  std::vector<uint8_t> log = MakeLog(3, &starts);
  const size_t end = log.size();
  for (size_t zeros : {size_t{1}, size_t{17}, size_t{18}, size_t{61}, size_t{4096}}) {
    INFO(zeros << " zero bytes");
    std::vector<uint8_t> data = log;
    data.resize(end + zeros, 0);
    BatchScanner scanner(Span(data));
    absl::StatusOr<std::vector<BatchScanner::Slice>> slices = ScanAll(scanner);
    REQUIRE_OK(slices);
    CHECK(slices->size() == 3);
    CHECK(scanner.tail() == Tail::kZeroFilled);
    CHECK(scanner.position() == end);
    CHECK(scanner.tail_bytes() == zeros);
  }
  SECTION("a buffer of nothing but zeros") {
    std::vector<uint8_t> zeros(1 << 16, 0);
    BatchScanner scanner(Span(zeros));
    absl::StatusOr<std::vector<BatchScanner::Slice>> slices = ScanAll(scanner);
    REQUIRE_OK(slices);
    CHECK(slices->empty());
    CHECK(scanner.tail() == Tail::kZeroFilled);
    CHECK(scanner.position() == 0);
  }
}

TEST_CASE("a length field below 14 with nonzero data is DataLoss naming the position",
          "[format][batch_scanner]") {
  std::vector<size_t> starts;
  std::vector<uint8_t> log = MakeLog(3, &starts);
  const size_t bad = starts[2];
  for (int32_t length : {-1, 0, 1, 13, INT32_MIN}) {
    INFO("length field " << length);
    std::vector<uint8_t> data = log;
    StoreBigEndian32(data.data() + bad + 8, static_cast<uint32_t>(length));
    BatchScanner scanner(Span(data));
    BatchScanner::Slice slice;
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<bool> more = scanner.Next(&slice);
      REQUIRE_OK(more);
      CHECK(*more);
    }
    absl::StatusOr<bool> more = scanner.Next(&slice);
    REQUIRE_FALSE(more.ok());
    CHECK(more.status().code() == absl::StatusCode::kDataLoss);
    CHECK(absl::StrContains(more.status().message(), std::to_string(bad)));
    CHECK(scanner.position() == bad);
  }
}

TEST_CASE("a length field of 14 is framing-valid even though no batch is that small",
          "[format][batch_scanner]") {
  std::vector<uint8_t> data(26, 0x01);
  StoreBigEndian32(data.data() + 8, 14);
  BatchScanner scanner(Span(data));
  BatchScanner::Slice slice;
  absl::StatusOr<bool> more = scanner.Next(&slice);
  REQUIRE_OK(more);
  CHECK(*more);
  CHECK(slice.bytes.size() == 26);
  CHECK_FALSE(RecordBatchView::Parse(slice.bytes).ok());
}

TEST_CASE("scanning from a start position skips what lies before it", "[format][batch_scanner]") {
  std::vector<size_t> starts;
  std::vector<uint8_t> log = MakeLog(5, &starts);
  for (size_t i = 0; i < starts.size(); ++i) {
    INFO("start at batch " << i);
    BatchScanner scanner(Span(log), starts[i]);
    CHECK(scanner.position() == starts[i]);
    absl::StatusOr<std::vector<BatchScanner::Slice>> slices = ScanAll(scanner);
    REQUIRE_OK(slices);
    REQUIRE(slices->size() == starts.size() - i);
    CHECK(slices->front().position == starts[i]);
    CHECK(slices->back().position == starts.back());
    CHECK(scanner.tail() == Tail::kNone);
  }
  BatchScanner at_end(Span(log), log.size());
  absl::StatusOr<std::vector<BatchScanner::Slice>> none = ScanAll(at_end);
  REQUIRE_OK(none);
  CHECK(none->empty());
  CHECK(at_end.tail() == Tail::kNone);
}

TEST_CASE("errors after a start position name the absolute byte position",
          "[format][batch_scanner]") {
  std::vector<size_t> starts;
  std::vector<uint8_t> log = MakeLog(3, &starts);
  StoreBigEndian32(log.data() + starts[2] + 8, 3);
  BatchScanner scanner(Span(log), starts[1]);
  BatchScanner::Slice slice;
  absl::StatusOr<bool> more = scanner.Next(&slice);
  REQUIRE_OK(more);
  CHECK(slice.position == starts[1]);
  more = scanner.Next(&slice);
  REQUIRE_FALSE(more.ok());
  CHECK(absl::StrContains(more.status().message(), "byte " + std::to_string(starts[2])));
}

TEST_CASE("a batch whose length runs past the end is a partial tail, not an error",
          "[format][batch_scanner]") {
  std::vector<size_t> starts;
  std::vector<uint8_t> log = MakeLog(2, &starts);
  StoreBigEndian32(log.data() + starts[1] + 8, INT32_MAX);
  BatchScanner scanner(Span(log));
  absl::StatusOr<std::vector<BatchScanner::Slice>> slices = ScanAll(scanner);
  REQUIRE_OK(slices);
  CHECK(slices->size() == 1);
  CHECK(scanner.tail() == Tail::kPartial);
  CHECK(scanner.position() == starts[1]);
}

TEST_CASE("a start position past the end is OutOfRange, not a read past the buffer",
          "[format][batch_scanner]") {
  std::vector<size_t> starts;
  std::vector<uint8_t> log = MakeLog(2, &starts);
  for (size_t start : {log.size() + 1, log.size() + 100}) {
    BatchScanner scanner(Span(log), start);
    BatchScanner::Slice slice;
    absl::StatusOr<bool> more = scanner.Next(&slice);
    CHECK(more.status().code() == absl::StatusCode::kOutOfRange);
    CHECK(scanner.tail_bytes() == 0);
  }
}

}  // namespace
}  // namespace rill::format
