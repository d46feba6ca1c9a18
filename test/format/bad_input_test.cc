// Hostile and damaged input: every truncation and bit flip of a batch of each
// codec, hand-made header and record corruptions, random garbage with and
// without a valid CRC, decompression bombs and absurd counts. The format
// layer must answer with an error (DataLoss, or ResourceExhausted at a cap),
// never crash, hang or allocate without bound.

#include <algorithm>
#include <catch2/catch.hpp>
#include <climits>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/crc32c.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "lib/format/varint.h"
#include "test/format/format_test_util.h"
#include "test/support/status_matchers.h"

namespace rill::format {
namespace {

using testing::kAllCodecs;
using testing::ParseAndValidate;
using testing::RandomBytes;
using testing::Span;

constexpr size_t kMiB = size_t{1} << 20;

void FixCrc(std::vector<uint8_t>& batch) {
  StoreBigEndian32(batch.data() + kCrcOffset, Crc32c(Span(batch).subspan(kAttributesOffset)));
}

void SetLength(std::vector<uint8_t>& batch) {
  StoreBigEndian32(batch.data() + kLengthOffset, static_cast<uint32_t>(batch.size() - 12));
}

// A few records with keys, values and headers (null values, empty keys).
std::vector<uint8_t> SmallBatch(CompressionType codec) {
  BatchOptions options;
  options.compression = codec;
  options.base_offset = 40;
  options.producer_id = 12;
  options.producer_epoch = 3;
  options.base_sequence = 7;
  RecordBatchBuilder builder(options);
  const std::vector<Header> headers = {{"trace", absl::string_view("t-1")}, {"", std::nullopt}};
  REQUIRE_OK(builder.Append(1000, absl::string_view("alpha"), absl::string_view("one"), headers));
  REQUIRE_OK(builder.Append(999, std::nullopt, absl::string_view("two")));
  REQUIRE_OK(builder.Append(1003, absl::string_view(""), std::nullopt, headers));
  REQUIRE_OK(builder.Append(1004, absl::string_view("delta"), absl::string_view("four four")));
  absl::StatusOr<ByteSpan> batch = builder.Build();
  REQUIRE_OK(batch);
  return testing::ToVector(*batch);
}

// Parses and validates, then reads every record and header, which must not
// crash whatever Validate said. Returns Parse's or Validate's status.
absl::Status Exercise(ByteSpan batch, size_t max_decompressed = kMiB) {
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
  if (!view.ok()) return view.status();
  (void)view->last_sequence();
  (void)view->next_offset();  // Must not overflow for any header Parse accepts.
  (void)view->delete_horizon_ms();
  ByteBuffer scratch;
  absl::Status status = view->Validate(&scratch, max_decompressed);
  RecordReader reader;
  if (!reader.Open(*view, &scratch, max_decompressed).ok()) return status;
  RecordView r;
  size_t sink = 0;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&r);
    if (!more.ok() || !*more) break;
    sink += r.key ? r.key->size() : 0;
    sink += r.value ? r.value->size() : 0;
    for (Header h : r.headers) sink += h.key.size() + (h.value ? h.value->size() : 0);
  }
  (void)sink;
  return status;
}

// Encodes records by hand, for corruptions the builder cannot produce.
class RecordWriter {
 public:
  RecordWriter& Byte(uint8_t b) {
    body_.push_back(static_cast<char>(b));
    return *this;
  }
  RecordWriter& Varint(int32_t v) {
    uint8_t buf[kMaxVarintBytes];
    body_.append(reinterpret_cast<char*>(buf), WriteVarint(buf, v) - buf);
    return *this;
  }
  RecordWriter& Varlong(int64_t v) {
    uint8_t buf[kMaxVarlongBytes];
    body_.append(reinterpret_cast<char*>(buf), WriteVarlong(buf, v) - buf);
    return *this;
  }
  RecordWriter& Raw(absl::string_view s) {
    body_.append(s.data(), s.size());
    return *this;
  }
  // A complete record with the given body fields; `length_adjust` is added
  // to the true body length.
  static std::string Record(const RecordWriter& body, int32_t length_adjust = 0) {
    RecordWriter r;
    r.Varint(static_cast<int32_t>(body.body_.size()) + length_adjust);
    return r.body_ + body.body_;
  }
  const std::string& bytes() const { return body_; }

 private:
  std::string body_;
};

// attributes 0, timestamp delta 0, the given offset delta, key "k", value
// "v", no headers.
RecordWriter SimpleBody(int32_t offset_delta) {
  RecordWriter w;
  w.Byte(0).Varlong(0).Varint(offset_delta).Varint(1).Raw("k").Varint(1).Raw("v").Varint(0);
  return w;
}

// An uncompressed batch around `records` with a correct length and CRC.
std::vector<uint8_t> RawBatch(const std::string& records, int32_t count, int32_t last_offset_delta,
                              int16_t attributes = 0) {
  std::vector<uint8_t> batch(kBatchHeaderBytes + records.size());
  std::copy(records.begin(), records.end(), batch.begin() + kBatchHeaderBytes);
  StoreBigEndian64(batch.data() + kBaseOffsetOffset, 0);
  StoreBigEndian32(batch.data() + kPartitionLeaderEpochOffset, 0);
  batch[kMagicOffset] = kMagicV2;
  StoreBigEndian16(batch.data() + kAttributesOffset, static_cast<uint16_t>(attributes));
  StoreBigEndian32(batch.data() + kLastOffsetDeltaOffset, static_cast<uint32_t>(last_offset_delta));
  StoreBigEndian64(batch.data() + kBaseTimestampOffset, 1000);
  StoreBigEndian64(batch.data() + kMaxTimestampOffset, 1000);
  StoreBigEndian64(batch.data() + kProducerIdOffset, static_cast<uint64_t>(-1));
  StoreBigEndian16(batch.data() + kProducerEpochOffset, 0xffff);
  StoreBigEndian32(batch.data() + kBaseSequenceOffset, 0xffffffff);
  StoreBigEndian32(batch.data() + kRecordsCountOffset, static_cast<uint32_t>(count));
  SetLength(batch);
  FixCrc(batch);
  return batch;
}

void CheckDataLoss(const std::vector<uint8_t>& batch, absl::string_view mentions = "") {
  absl::Status s = Exercise(Span(batch));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  if (!mentions.empty()) CHECK(absl::StrContains(s.message(), mentions));
}

TEST_CASE("the hand-made record helpers produce a valid batch", "[format][bad_input]") {
  std::string records = RecordWriter::Record(SimpleBody(0)) + RecordWriter::Record(SimpleBody(1));
  CHECK_OK(Exercise(Span(RawBatch(records, 2, 1))));
}

TEST_CASE("every truncation of a batch of each codec is an error", "[format][bad_input]") {
  for (CompressionType codec : kAllCodecs) {
    const std::vector<uint8_t> batch = SmallBatch(codec);
    REQUIRE_OK(ParseAndValidate(Span(batch)));
    for (size_t n = 0; n < batch.size(); ++n) {
      INFO(CompressionName(codec) << ": first " << n << " of " << batch.size() << " bytes");
      std::vector<uint8_t> prefix(batch.begin(), batch.begin() + n);
      CHECK_FALSE(Exercise(Span(prefix)).ok());
      if (n < kLogOverheadBytes) continue;
      // The length field made to match: the CRC catches it...
      SetLength(prefix);
      CHECK_FALSE(Exercise(Span(prefix)).ok());
      if (n < static_cast<size_t>(kBatchHeaderBytes)) continue;
      // ...and with the CRC made to match as well, the records do.
      FixCrc(prefix);
      absl::Status s = Exercise(Span(prefix));
      INFO(s.ToString());
      CHECK(s.code() == absl::StatusCode::kDataLoss);
    }
  }
}

TEST_CASE("every single-bit flip inside the CRC-covered bytes or the length is an error",
          "[format][bad_input]") {
  for (CompressionType codec : kAllCodecs) {
    const std::vector<uint8_t> batch = SmallBatch(codec);
    for (size_t byte = 0; byte < batch.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        INFO(CompressionName(codec) << ": byte " << byte << " bit " << bit);
        std::vector<uint8_t> flipped = batch;
        flipped[byte] ^= static_cast<uint8_t>(1u << bit);
        absl::Status s = Exercise(Span(flipped));
        bool outside_crc = byte < static_cast<size_t>(kLengthOffset) ||
                           (byte >= static_cast<size_t>(kPartitionLeaderEpochOffset) &&
                            byte < static_cast<size_t>(kMagicOffset));
        if (!outside_crc) {
          INFO(s.ToString());
          CHECK(s.code() == absl::StatusCode::kDataLoss);
        }
      }
    }
  }
}

TEST_CASE("bit flips in base offset and leader epoch change only those fields",
          "[format][bad_input]") {
  const std::vector<uint8_t> batch = SmallBatch(CompressionType::kNone);
  for (int bit = 0; bit < 32; ++bit) {
    std::vector<uint8_t> flipped = batch;
    flipped[kPartitionLeaderEpochOffset + bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    CHECK_OK(Exercise(Span(flipped)));
  }
  for (int bit = 0; bit < 64; ++bit) {
    std::vector<uint8_t> flipped = batch;
    flipped[7 - bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    INFO("bit " << bit);
    CHECK_OK(Exercise(Span(flipped)));
  }
}

TEST_CASE("every bit flip with the CRC recomputed is handled without crashing",
          "[format][bad_input]") {
  for (CompressionType codec : kAllCodecs) {
    const std::vector<uint8_t> batch = SmallBatch(codec);
    int errors = 0, total = 0;
    for (size_t byte = kAttributesOffset; byte < batch.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        std::vector<uint8_t> flipped = batch;
        flipped[byte] ^= static_cast<uint8_t>(1u << bit);
        FixCrc(flipped);
        absl::Status s = Exercise(Span(flipped));
        ++total;
        if (!s.ok()) ++errors;
        if (!s.ok()) {
          INFO(CompressionName(codec)
               << ": byte " << byte << " bit " << bit << ": " << s.ToString());
          CHECK((s.code() == absl::StatusCode::kDataLoss ||
                 s.code() == absl::StatusCode::kResourceExhausted));
        }
      }
    }
    INFO(CompressionName(codec) << ": " << errors << " of " << total << " flips rejected");
    CHECK(errors > total / 4);  // Flips in the header's counts, lengths etc. are caught.
  }
}

TEST_CASE("header corruptions are DataLoss naming the field", "[format][bad_input]") {
  std::string one = RecordWriter::Record(SimpleBody(0));
  SECTION("magic other than 2") {
    for (uint8_t magic : {0, 1, 3, 0xff}) {
      std::vector<uint8_t> b = RawBatch(one, 1, 0);
      b[kMagicOffset] = magic;
      CheckDataLoss(b, "magic");
    }
  }
  SECTION("attribute bits 7-15 are ignored, as Kafka's readers ignore them") {
    for (int16_t attributes : {0x80, 0x100, 0x4000, -32768, -128}) {
      INFO("attributes " << attributes);
      CHECK_OK(Exercise(Span(RawBatch(one, 1, 0, attributes))));
    }
  }
  SECTION("unknown codecs 5, 6 and 7") {
    for (int16_t codec : {5, 6, 7}) CheckDataLoss(RawBatch(one, 1, 0, codec), "attributes");
  }
  SECTION("negative lastOffsetDelta") {
    CheckDataLoss(RawBatch(one, 1, -1), "lastOffsetDelta");
    CheckDataLoss(RawBatch(one, 0, INT32_MIN), "lastOffsetDelta");
  }
  SECTION("more records than lastOffsetDelta allows") {
    CheckDataLoss(RawBatch(one + one, 2, 0), "recordsCount");
  }
  SECTION("negative record count") {
    CheckDataLoss(RawBatch(one, -1, 0), "recordsCount");
    CheckDataLoss(RawBatch(one, INT32_MIN, 0), "recordsCount");
  }
  SECTION("base offset plus lastOffsetDelta overflows") {
    std::vector<uint8_t> b = RawBatch(one, 1, 5);
    StoreBigEndian64(b.data(), INT64_MAX - 2);
    CheckDataLoss(b, "overflows");
  }
  SECTION("a base offset whose next offset would overflow int64") {
    std::vector<uint8_t> b = RawBatch(one, 1, 0);
    StoreBigEndian64(b.data(), INT64_MAX);
    CheckDataLoss(b, "overflows");
    StoreBigEndian64(b.data(), INT64_MAX - 1);
    CHECK_OK(Exercise(Span(b)));
  }
  SECTION("an empty batch whose offset range would overflow int64") {
    std::vector<uint8_t> b = RawBatch("", 0, 5);
    StoreBigEndian64(b.data(), INT64_MAX - 3);
    CheckDataLoss(b, "overflows");
  }
  SECTION("a wrong length field") {
    std::vector<uint8_t> b = RawBatch(one, 1, 0);
    StoreBigEndian32(b.data() + kLengthOffset, static_cast<uint32_t>(b.size() - 11));
    CheckDataLoss(b, "length");
    StoreBigEndian32(b.data() + kLengthOffset, 0xffffffff);
    CheckDataLoss(b, "length");
  }
  SECTION("a CRC mismatch") {
    std::vector<uint8_t> b = RawBatch(one, 1, 0);
    b[kCrcOffset] ^= 1;
    CheckDataLoss(b, "CRC");
  }
}

TEST_CASE("record corruptions are DataLoss", "[format][bad_input]") {
  SECTION("fewer records than recordsCount") {
    CheckDataLoss(RawBatch(RecordWriter::Record(SimpleBody(0)), 2, 1));
  }
  SECTION("bytes after the last record") {
    CheckDataLoss(RawBatch(RecordWriter::Record(SimpleBody(0)) + "x", 1, 0), "follow");
  }
  SECTION("a record length longer than its fields") {
    RecordWriter body = SimpleBody(0);
    body.Raw("zz");  // Two bytes the length counts but no field uses.
    CheckDataLoss(RawBatch(RecordWriter::Record(body), 1, 0), "length");
  }
  SECTION("a record length shorter than its fields") {
    std::string rec = RecordWriter::Record(SimpleBody(0), -1);
    CheckDataLoss(RawBatch(rec + "\x00", 1, 0));
  }
  SECTION("a record length past the batch") {
    CheckDataLoss(RawBatch(RecordWriter::Record(SimpleBody(0), 100), 1, 0));
  }
  SECTION("a negative record length") {
    RecordWriter w;
    w.Varint(-5).Raw(SimpleBody(0).bytes());
    CheckDataLoss(RawBatch(w.bytes(), 1, 0));
  }
  SECTION("an empty record") { CheckDataLoss(RawBatch(std::string(1, '\0'), 1, 0)); }
  SECTION("offset deltas that repeat, go back or pass lastOffsetDelta") {
    std::string r0 = RecordWriter::Record(SimpleBody(0));
    std::string r1 = RecordWriter::Record(SimpleBody(1));
    CheckDataLoss(RawBatch(r1 + r1, 2, 5), "offset delta");
    CheckDataLoss(RawBatch(r1 + r0, 2, 5), "offset delta");
    CheckDataLoss(RawBatch(RecordWriter::Record(SimpleBody(6)), 1, 5), "offset delta");
    CheckDataLoss(RawBatch(RecordWriter::Record(SimpleBody(-1)), 1, 5), "offset delta");
  }
  SECTION("illegal key and value lengths") {
    for (int32_t length : {-2, INT32_MIN, 2, 1000, INT32_MAX}) {
      INFO("length " << length);
      RecordWriter key;
      key.Byte(0).Varlong(0).Varint(0).Varint(length).Raw("k").Varint(1).Raw("v").Varint(0);
      CheckDataLoss(RawBatch(RecordWriter::Record(key), 1, 0));
      RecordWriter value;
      value.Byte(0).Varlong(0).Varint(0).Varint(1).Raw("k").Varint(length).Raw("v").Varint(0);
      CheckDataLoss(RawBatch(RecordWriter::Record(value), 1, 0));
    }
  }
  SECTION("negative or huge header counts") {
    for (int32_t count : {-1, INT32_MIN, 1, INT32_MAX}) {
      INFO("header count " << count);
      RecordWriter w;
      w.Byte(0).Varlong(0).Varint(0).Varint(-1).Varint(-1).Varint(count);
      CheckDataLoss(RawBatch(RecordWriter::Record(w), 1, 0), "header");
    }
  }
  SECTION("a null header key") {
    RecordWriter w;
    w.Byte(0).Varlong(0).Varint(0).Varint(-1).Varint(-1).Varint(1).Varint(-1).Varint(-1);
    CheckDataLoss(RawBatch(RecordWriter::Record(w), 1, 0), "header key");
  }
  SECTION("overlong varints inside a record") {
    RecordWriter w;
    w.Byte(0).Raw(std::string(11, '\x80')).Raw("\x01");
    CheckDataLoss(RawBatch(RecordWriter::Record(w), 1, 0), "timestamp");
    RecordWriter v;
    v.Byte(0).Varlong(0).Raw(std::string(5, '\xff')).Raw("\x01");
    CheckDataLoss(RawBatch(RecordWriter::Record(v), 1, 0), "offset delta");
  }
  SECTION("a record cut off in every field") {
    std::string full = RecordWriter::Record(SimpleBody(0));
    for (size_t n = 0; n < full.size(); ++n) {
      INFO(n << " of " << full.size() << " record bytes");
      CheckDataLoss(RawBatch(full.substr(0, n), 1, 0));
    }
  }
}

TEST_CASE("INT32_MAX records in a tiny batch are an error without a big allocation",
          "[format][bad_input]") {
  // Parse accepts the count (it fits lastOffsetDelta); only reading the
  // records finds them missing. Nothing may be sized by the count: under
  // ASan an allocation of gigabytes would fail the run.
  std::string one = RecordWriter::Record(SimpleBody(0));
  std::vector<uint8_t> b = RawBatch(one, INT32_MAX, INT32_MAX - 1);
  REQUIRE_OK(RecordBatchView::Parse(Span(b)));
  CheckDataLoss(b);
  for (CompressionType codec : {CompressionType::kGzip, CompressionType::kZstd}) {
    INFO(CompressionName(codec));
    BatchOptions options;
    options.compression = codec;
    RecordBatchBuilder builder(options);
    REQUIRE_OK(builder.Append(1, absl::string_view("k"), absl::string_view("v")));
    absl::StatusOr<ByteSpan> built = builder.Build();
    REQUIRE_OK(built);
    std::vector<uint8_t> c = testing::ToVector(*built);
    StoreBigEndian32(c.data() + kRecordsCountOffset, INT32_MAX);
    StoreBigEndian32(c.data() + kLastOffsetDeltaOffset, INT32_MAX - 1);
    FixCrc(c);
    CheckDataLoss(c);
  }
}

TEST_CASE("a decompression bomb inside a batch stops at the decompression cap",
          "[format][bad_input]") {
  // 4 MiB of zeros compresses to a few KiB; read with a 1 MiB cap.
  const std::string zeros(4 * kMiB, '\0');
  for (CompressionType codec : testing::kCompressingCodecs) {
    INFO(CompressionName(codec));
    BatchOptions options;
    options.compression = codec;
    RecordBatchBuilder builder(options);
    REQUIRE_OK(builder.Append(1, std::nullopt, zeros));
    absl::StatusOr<ByteSpan> built = builder.Build();
    REQUIRE_OK(built);
    std::vector<uint8_t> batch = testing::ToVector(*built);
    CHECK(batch.size() < 256 * 1024);
    absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(Span(batch));
    REQUIRE_OK(view);
    ByteBuffer scratch;
    absl::Status s = view->Validate(&scratch, kMiB);
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kResourceExhausted);
    CHECK(scratch.capacity() <= 2 * kMiB);
    // The same batch is fine under the default cap.
    CHECK_OK(view->Validate(&scratch));
  }
}

TEST_CASE("random garbage never crashes the parser, validator or scanner",
          "[format][bad_input][garbage]") {
  const uint32_t seed = 0xC0FFEE;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  int parsed = 0;
  for (int i = 0; i < 10000; ++i) {
    std::vector<uint8_t> data = RandomBytes(rng, rng() % 400);
    // Half the time, make the framing plausible so Parse gets further.
    if (i % 2 == 0 && data.size() >= kLogOverheadBytes) {
      SetLength(data);
      if (data.size() > kMagicOffset) data[kMagicOffset] = kMagicV2;
    }
    if (Exercise(Span(data)).ok()) ++parsed;
    BatchScanner scanner(Span(data));
    BatchScanner::Slice slice;
    for (int guard = 0; guard < 1000; ++guard) {
      absl::StatusOr<bool> more = scanner.Next(&slice);
      if (!more.ok() || !*more) break;
      CHECK(slice.position + slice.bytes.size() <= data.size());
      Exercise(slice.bytes).IgnoreError();  // Only must not crash.
    }
    CHECK(scanner.position() <= data.size());
  }
  INFO(parsed << " garbage buffers validated");
  CHECK(parsed == 0);  // Without a valid CRC nothing may pass.
}

// A header with correct length, magic and CRC around random record bytes,
// so the record reader and decompressors see the garbage.
std::vector<uint8_t> GarbageWithValidCrc(std::mt19937& rng) {
  std::uniform_int_distribution<int> codec(0, 4);
  int16_t attributes = static_cast<int16_t>(rng() % 3 == 0 ? codec(rng) : 0);
  int32_t last_delta = static_cast<int32_t>(rng() % 4 == 0 ? rng() % INT32_MAX : rng() % 8);
  int32_t count =
      static_cast<int32_t>(rng() % (static_cast<uint32_t>(std::min(last_delta, 8)) + 2));
  std::string records;
  if (rng() % 2 == 0) {
    records = testing::RandomString(rng, rng() % 200);
  } else {
    // Mostly-plausible records: small varints with random damage.
    for (int r = 0; r < count; ++r) {
      RecordWriter w;
      w.Byte(0).Varlong(static_cast<int64_t>(rng() % 5) - 2).Varint(r);
      w.Varint(static_cast<int32_t>(rng() % 5) - 1).Raw("abc");
      w.Varint(static_cast<int32_t>(rng() % 5) - 1).Raw("xyz");
      w.Varint(static_cast<int32_t>(rng() % 3) - 1).Varint(1).Raw("h").Varint(-1);
      records += RecordWriter::Record(w, static_cast<int32_t>(rng() % 5) - 2);
    }
    for (int k = 0; k < 2 && !records.empty(); ++k) {
      records[rng() % records.size()] = static_cast<char>(rng());
    }
  }
  return RawBatch(records, count, last_delta, attributes);
}

TEST_CASE("random records behind a valid CRC are rejected or read, never crash",
          "[format][bad_input][garbage]") {
  const uint32_t seed = 0xBADC0DE;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  int ok = 0;
  for (int i = 0; i < 10000; ++i) {
    std::vector<uint8_t> batch = GarbageWithValidCrc(rng);
    REQUIRE_OK(RecordBatchView::Parse(Span(batch)));
    absl::Status s = Exercise(Span(batch));
    if (s.ok()) {
      ++ok;
    } else {
      INFO("case " << i << ": " << s.ToString());
      CHECK((s.code() == absl::StatusCode::kDataLoss ||
             s.code() == absl::StatusCode::kResourceExhausted));
    }
  }
  INFO(ok << " of 10000 valid");
  CHECK(ok > 0);  // Some damage lands in values, which is legal.
}

}  // namespace
}  // namespace rill::format
