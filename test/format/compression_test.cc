#include "lib/format/compression.h"

#include <snappy.h>
#include <zstd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "test/format/format_test_util.h"
#include "test/support/status_matchers.h"

namespace rill::format {
namespace {

using testing::CompressibleString;
using testing::kCompressingCodecs;
using testing::RandomString;

constexpr size_t kMiB = size_t{1} << 20;

std::string Compressed(CompressionType codec, const std::string& input,
                       std::optional<int> level = std::nullopt) {
  ByteBuffer out;
  absl::Status s = Compress(codec, level, AsBytes(input), &out);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return std::string(AsStringView(out.span()));
}

absl::StatusOr<std::string> Decompressed(CompressionType codec, const std::string& input,
                                         size_t max_output = 64 * kMiB) {
  ByteBuffer out;
  absl::Status s = Decompress(codec, AsBytes(input), max_output, &out);
  if (!s.ok()) return s;
  return std::string(AsStringView(out.span()));
}

void CheckRoundTrip(CompressionType codec, const std::string& input,
                    std::optional<int> level = std::nullopt) {
  INFO(CompressionName(codec) << " level " << level.value_or(-999) << ", " << input.size()
                              << " bytes");
  std::string compressed = Compressed(codec, input, level);
  absl::StatusOr<std::string> back = Decompressed(codec, compressed);
  REQUIRE_OK(back);
  CHECK(back->size() == input.size());
  CHECK(*back == input);
}

std::string Hex(const std::string& s, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < std::min(n, s.size()); ++i) {
    uint8_t b = static_cast<uint8_t>(s[i]);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

TEST_CASE("every codec round trips empty, small, large random and compressible data",
          "[format][compression]") {
  const uint32_t seed = 7;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const std::string empty;
  const std::string one = "x";
  const std::string small = RandomString(rng, 100);
  const std::string large_random = RandomString(rng, kMiB + 4321);
  const std::string large_text = CompressibleString(3 * kMiB + 17);
  for (CompressionType codec : kCompressingCodecs) {
    CheckRoundTrip(codec, empty);
    CheckRoundTrip(codec, one);
    CheckRoundTrip(codec, small);
    CheckRoundTrip(codec, large_random);
    CheckRoundTrip(codec, large_text);
  }
}

TEST_CASE("compressible data actually shrinks under every codec", "[format][compression]") {
  const std::string text = CompressibleString(kMiB);
  for (CompressionType codec : kCompressingCodecs) {
    INFO(CompressionName(codec));
    CHECK(Compressed(codec, text).size() < text.size() / 4);
  }
}

TEST_CASE("compression appends to the output and decompression replaces it",
          "[format][compression]") {
  const std::string text = CompressibleString(5000);
  for (CompressionType codec : kCompressingCodecs) {
    INFO(CompressionName(codec));
    ByteBuffer out;
    out.Append(AsBytes("prefix"));
    REQUIRE_OK(Compress(codec, std::nullopt, AsBytes(text), &out));
    CHECK(AsStringView(out.span()).substr(0, 6) == "prefix");
    std::string compressed(AsStringView(out.span().subspan(6)));
    ByteBuffer back;
    back.Append(AsBytes("stale bytes that must go"));
    REQUIRE_OK(Decompress(codec, AsBytes(compressed), kMiB, &back));
    CHECK(AsStringView(back.span()) == text);
  }
}

TEST_CASE("default compression levels are Kafka's", "[format][compression]") {
  CHECK(DefaultCompressionLevel(CompressionType::kGzip) == 6);
  CHECK(DefaultCompressionLevel(CompressionType::kLz4) == 9);
  CHECK(DefaultCompressionLevel(CompressionType::kZstd) == 3);
  CHECK(DefaultCompressionLevel(CompressionType::kSnappy) == 0);
  CHECK(DefaultCompressionLevel(CompressionType::kNone) == 0);
}

TEST_CASE("every legal level from minimum to maximum round trips", "[format][compression]") {
  const uint32_t seed = 11;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const std::string data = CompressibleString(40000) + RandomString(rng, 3000);
  for (int level : {1, 2, 6, 9}) CheckRoundTrip(CompressionType::kGzip, data, level);
  for (int level : {1, 2, 3, 9, 12, 17}) CheckRoundTrip(CompressionType::kLz4, data, level);
  for (int level : {-131072, -5, -1, 0, 1, 3, 19, 22}) {
    CheckRoundTrip(CompressionType::kZstd, data, level);
  }
  // snappy has no levels and ignores whatever it is given.
  CheckRoundTrip(CompressionType::kSnappy, data, 12345);
}

TEST_CASE("an out-of-range level is InvalidArgument naming the codec", "[format][compression]") {
  struct Case {
    CompressionType codec;
    int level;
  };
  const Case cases[] = {
      {CompressionType::kGzip, 0},       {CompressionType::kGzip, 10}, {CompressionType::kGzip, -1},
      {CompressionType::kLz4, 0},        {CompressionType::kLz4, 18},  {CompressionType::kZstd, 23},
      {CompressionType::kZstd, -131073},
  };
  for (const Case& c : cases) {
    INFO(CompressionName(c.codec) << " level " << c.level);
    absl::Status v = ValidateCompressionLevel(c.codec, c.level);
    CHECK(v.code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(v.message(), CompressionName(c.codec)));
    ByteBuffer out;
    absl::Status s = Compress(c.codec, c.level, AsBytes("data"), &out);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK(ValidateCompressionLevel(CompressionType::kSnappy, 99).ok());
  CHECK(ValidateCompressionLevel(CompressionType::kGzip, 1).ok());
  CHECK(ValidateCompressionLevel(CompressionType::kGzip, 9).ok());
  CHECK(ValidateCompressionLevel(CompressionType::kLz4, 17).ok());
  CHECK(ValidateCompressionLevel(CompressionType::kZstd, -131072).ok());
  CHECK(ValidateCompressionLevel(CompressionType::kZstd, 22).ok());
}

TEST_CASE("gzip output is an RFC 1952 stream and concatenated members decode",
          "[format][compression][gzip]") {
  std::string first = Compressed(CompressionType::kGzip, "hello, ");
  std::string second = Compressed(CompressionType::kGzip, "world");
  CHECK(Hex(first, 3) == "1f8b08");
  absl::StatusOr<std::string> both = Decompressed(CompressionType::kGzip, first + second);
  REQUIRE_OK(both);
  CHECK(*both == "hello, world");
  // An empty member in the middle is still a member.
  std::string empty = Compressed(CompressionType::kGzip, "");
  both = Decompressed(CompressionType::kGzip, first + empty + second);
  REQUIRE_OK(both);
  CHECK(*both == "hello, world");
}

TEST_CASE("snappy output uses xerial framing with chunks of at most 32 KiB",
          "[format][compression][snappy]") {
  const std::string data = CompressibleString(100000);
  std::string out = Compressed(CompressionType::kSnappy, data);
  REQUIRE(out.size() >= 16);
  CHECK(Hex(out, 16) == "82534e41505059000000000100000001");
  size_t pos = 16, chunks = 0, total = 0;
  while (pos < out.size()) {
    REQUIRE(out.size() - pos >= 4);
    uint32_t n = LoadBigEndian32(reinterpret_cast<const uint8_t*>(out.data() + pos));
    pos += 4;
    REQUIRE(n <= out.size() - pos);
    size_t length = 0;
    REQUIRE(snappy::GetUncompressedLength(out.data() + pos, n, &length));
    CHECK(length <= 32 * 1024);
    total += length;
    pos += n;
    ++chunks;
  }
  CHECK(pos == out.size());
  CHECK(total == data.size());
  CHECK(chunks == 4);  // 3 full 32 KiB chunks and a partial one.
  // Empty input is just the header.
  CHECK(Compressed(CompressionType::kSnappy, "").size() == 16);
}

TEST_CASE("a raw snappy block without xerial framing also decompresses",
          "[format][compression][snappy]") {
  const uint32_t seed = 5;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (const std::string& data :
       {std::string(), std::string("k"), CompressibleString(70000), RandomString(rng, 5000)}) {
    std::string raw(snappy::MaxCompressedLength(data.size()), '\0');
    size_t n = 0;
    snappy::RawCompress(data.data(), data.size(), raw.data(), &n);
    raw.resize(n);
    absl::StatusOr<std::string> back = Decompressed(CompressionType::kSnappy, raw);
    REQUIRE_OK(back);
    CHECK(*back == data);
  }
}

TEST_CASE("lz4 output is a Kafka-style frame with 64 KiB independent blocks",
          "[format][compression][lz4]") {
  const std::string data = CompressibleString(300000) + std::string(70000, 'z');
  std::string out = Compressed(CompressionType::kLz4, data);
  REQUIRE(out.size() >= 11);
  // Magic, FLG 0x60 (v01, independent blocks, no checksums, no size), BD 0x40
  // (64 KiB), header checksum 0x82.
  CHECK(Hex(out, 7) == "04224d18604082");
  size_t pos = 7, blocks = 0;
  while (true) {
    REQUIRE(out.size() - pos >= 4);
    uint32_t word;
    std::memcpy(&word, out.data() + pos, 4);  // Little-endian on x86.
    pos += 4;
    if (word == 0) break;  // End mark.
    uint32_t n = word & 0x7fffffffu;
    CHECK(n <= 64 * 1024);
    REQUIRE(n <= out.size() - pos);
    pos += n;
    ++blocks;
  }
  CHECK(pos == out.size());  // No content checksum after the end mark.
  CHECK(blocks >= (data.size() + 65535) / 65536);
  for (int level : {1, 17}) {
    CHECK(Hex(Compressed(CompressionType::kLz4, data, level), 7) == "04224d18604082");
  }
}

TEST_CASE("zstd frames carry their content size", "[format][compression][zstd]") {
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, 2 * kMiB}) {
    INFO(n << " bytes");
    std::string out = Compressed(CompressionType::kZstd, CompressibleString(n));
    unsigned long long size = ZSTD_getFrameContentSize(out.data(), out.size());
    CHECK(size != ZSTD_CONTENTSIZE_UNKNOWN);
    CHECK(size != ZSTD_CONTENTSIZE_ERROR);
    CHECK(size == n);
  }
}

TEST_CASE("a zstd frame without a content size decompresses too", "[format][compression][zstd]") {
  const std::string data = CompressibleString(3 * kMiB);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::string frame(ZSTD_compressBound(data.size()), '\0');
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  ZSTD_outBuffer out{frame.data(), frame.size(), 0};
  size_t rc = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
  ZSTD_freeCCtx(cctx);
  REQUIRE(rc == 0);
  frame.resize(out.pos);
  REQUIRE(ZSTD_getFrameContentSize(frame.data(), frame.size()) == ZSTD_CONTENTSIZE_UNKNOWN);
  absl::StatusOr<std::string> back = Decompressed(CompressionType::kZstd, frame);
  REQUIRE_OK(back);
  CHECK(*back == data);
  // Two frames back to back are one stream.
  back = Decompressed(CompressionType::kZstd, frame + Compressed(CompressionType::kZstd, "!"));
  REQUIRE_OK(back);
  CHECK(*back == data + "!");
}

TEST_CASE("a decompression bomb stops with ResourceExhausted at the cap", "[format][compression]") {
  const std::string zeros(10 * kMiB, '\0');
  for (CompressionType codec : kCompressingCodecs) {
    INFO(CompressionName(codec));
    std::string bomb = Compressed(codec, zeros);
    ByteBuffer out;
    absl::Status s = Decompress(codec, AsBytes(bomb), kMiB, &out);
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kResourceExhausted);
    // The memory spent is bounded by the cap, not by the bomb: the output
    // holds at most the one byte past the cap that detected it.
    CHECK(out.size() <= kMiB + 1);
    CHECK(out.capacity() <= 2 * kMiB);
  }
}

TEST_CASE("a raw snappy bomb is refused from its length header", "[format][compression][snappy]") {
  const std::string zeros(10 * kMiB, '\0');
  std::string raw(snappy::MaxCompressedLength(zeros.size()), '\0');
  size_t n = 0;
  snappy::RawCompress(zeros.data(), zeros.size(), raw.data(), &n);
  raw.resize(n);
  ByteBuffer out;
  absl::Status s = Decompress(CompressionType::kSnappy, AsBytes(raw), kMiB, &out);
  CHECK(s.code() == absl::StatusCode::kResourceExhausted);
  CHECK(out.capacity() <= 2 * kMiB);
}

TEST_CASE("output exactly at the decompression cap succeeds and one byte more fails",
          "[format][compression]") {
  const uint32_t seed = 3;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (const std::string& data : {std::string(kMiB, '\0'), RandomString(rng, kMiB)}) {
    for (CompressionType codec : kCompressingCodecs) {
      INFO(CompressionName(codec));
      std::string compressed = Compressed(codec, data);
      ByteBuffer out;
      CHECK_OK(Decompress(codec, AsBytes(compressed), kMiB, &out));
      CHECK(out.size() == kMiB);
      absl::Status s = Decompress(codec, AsBytes(compressed), kMiB - 1, &out);
      CHECK(s.code() == absl::StatusCode::kResourceExhausted);
    }
  }
}

TEST_CASE("a cap of SIZE_MAX means no cap", "[format][compression]") {
  const std::string data = CompressibleString(300000);
  for (CompressionType codec : kCompressingCodecs) {
    INFO(CompressionName(codec));
    std::string compressed = Compressed(codec, data);
    ByteBuffer out;
    CHECK_OK(Decompress(codec, AsBytes(compressed), SIZE_MAX, &out));
    CHECK(AsStringView(out.span()) == data);
  }
}

TEST_CASE("a zero cap admits only empty output", "[format][compression]") {
  for (CompressionType codec : kCompressingCodecs) {
    INFO(CompressionName(codec));
    ByteBuffer out;
    CHECK_OK(Decompress(codec, AsBytes(Compressed(codec, "")), 0, &out));
    CHECK(out.size() == 0);
    absl::Status s = Decompress(codec, AsBytes(Compressed(codec, "a")), 0, &out);
    CHECK(s.code() == absl::StatusCode::kResourceExhausted);
  }
}

// Every prefix of a stream must fail, except where the framing cannot tell:
// a xerial snappy stream cut at a chunk boundary is a shorter valid stream
// (as for snappy-java), so then the output must be a proper prefix.
void CheckTruncationsFail(CompressionType codec, const std::string& data,
                          const std::string& compressed, size_t step) {
  for (size_t n = 0; n < compressed.size(); n += step) {
    INFO(CompressionName(codec) << " prefix of " << n << " of " << compressed.size() << " bytes");
    ByteBuffer out;
    absl::Status s = Decompress(codec, AsBytes(compressed.substr(0, n)), 4 * kMiB, &out);
    if (codec == CompressionType::kSnappy && s.ok()) {
      CHECK(n >= 16);
      CHECK(out.size() < data.size());
      CHECK(AsStringView(out.span()) == absl::string_view(data).substr(0, out.size()));
    } else {
      CHECK_FALSE(s.ok());
      CHECK(s.code() != absl::StatusCode::kResourceExhausted);
    }
  }
}

TEST_CASE("truncated compressed input is an error for every codec", "[format][compression]") {
  const uint32_t seed = 17;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const std::string small = CompressibleString(3000) + RandomString(rng, 200);
  const std::string large = CompressibleString(200000) + RandomString(rng, 100000);
  for (CompressionType codec : kCompressingCodecs) {
    CheckTruncationsFail(codec, small, Compressed(codec, small), 1);
    std::string big = Compressed(codec, large);
    CheckTruncationsFail(codec, large, big, big.size() / 97 + 1);
  }
}

TEST_CASE("corrupt compressed input is an error, never a crash", "[format][compression]") {
  const uint32_t seed = 23;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const std::string data = CompressibleString(20000) + RandomString(rng, 500);
  for (CompressionType codec : kCompressingCodecs) {
    std::string good = Compressed(codec, data);
    int errors = 0;
    for (int trial = 0; trial < 300; ++trial) {
      std::string bad = good;
      bad[rng() % bad.size()] ^= static_cast<char>(1u << (rng() % 8));
      ByteBuffer out;
      absl::Status s = Decompress(codec, AsBytes(bad), kMiB, &out);
      if (!s.ok()) ++errors;
    }
    INFO(CompressionName(codec) << ": " << errors << " of 300 flips detected");
    CHECK(errors > 0);
  }
  for (CompressionType codec : kCompressingCodecs) {
    INFO(CompressionName(codec));
    for (int trial = 0; trial < 300; ++trial) {
      std::string garbage = RandomString(rng, rng() % 300);
      ByteBuffer out;
      Decompress(codec, AsBytes(garbage), kMiB, &out).IgnoreError();  // Only must not crash.
      CHECK(out.size() <= kMiB);
    }
  }
}

}  // namespace
}  // namespace rill::format
