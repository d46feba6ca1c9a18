#include "lib/format/varint.h"

#include <catch2/catch.hpp>
#include <climits>
#include <cstdint>
#include <random>
#include <vector>

namespace rill::format {
namespace {

std::vector<uint8_t> EncodeVarint(int32_t v) {
  uint8_t buf[kMaxVarintBytes];
  uint8_t* end = WriteVarint(buf, v);
  return std::vector<uint8_t>(buf, end);
}

std::vector<uint8_t> EncodeVarlong(int64_t v) {
  uint8_t buf[kMaxVarlongBytes];
  uint8_t* end = WriteVarlong(buf, v);
  return std::vector<uint8_t>(buf, end);
}

void CheckVarintRoundTrip(int32_t v) {
  INFO("varint " << v);
  std::vector<uint8_t> bytes = EncodeVarint(v);
  CHECK(static_cast<int>(bytes.size()) == VarintSize(v));
  int32_t decoded = 0;
  const uint8_t* end = bytes.data() + bytes.size();
  CHECK(ReadVarint(bytes.data(), end, &decoded) == end);
  CHECK(decoded == v);
}

void CheckVarlongRoundTrip(int64_t v) {
  INFO("varlong " << v);
  std::vector<uint8_t> bytes = EncodeVarlong(v);
  CHECK(static_cast<int>(bytes.size()) == VarlongSize(v));
  int64_t decoded = 0;
  const uint8_t* end = bytes.data() + bytes.size();
  CHECK(ReadVarlong(bytes.data(), end, &decoded) == end);
  CHECK(decoded == v);
}

TEST_CASE("zigzag maps small signed values to Kafka's bytes", "[format][varint]") {
  CHECK(EncodeVarint(0) == std::vector<uint8_t>{0x00});
  CHECK(EncodeVarint(-1) == std::vector<uint8_t>{0x01});
  CHECK(EncodeVarint(1) == std::vector<uint8_t>{0x02});
  CHECK(EncodeVarint(-2) == std::vector<uint8_t>{0x03});
  CHECK(EncodeVarint(8) == std::vector<uint8_t>{0x10});
  CHECK(EncodeVarint(63) == std::vector<uint8_t>{0x7e});
  CHECK(EncodeVarint(-64) == std::vector<uint8_t>{0x7f});
  CHECK(EncodeVarint(64) == std::vector<uint8_t>{0x80, 0x01});
  CHECK(EncodeVarint(300) == std::vector<uint8_t>{0xd8, 0x04});
  CHECK(EncodeVarint(INT32_MAX) == std::vector<uint8_t>{0xfe, 0xff, 0xff, 0xff, 0x0f});
  CHECK(EncodeVarint(INT32_MIN) == std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff, 0x0f});
  CHECK(EncodeVarlong(-1) == std::vector<uint8_t>{0x01});
  CHECK(EncodeVarlong(8) == std::vector<uint8_t>{0x10});
  CHECK(EncodeVarlong(INT64_MIN) ==
        std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
}

TEST_CASE("zigzag encode and decode are inverse", "[format][varint]") {
  CHECK(ZigZagEncode32(0) == 0u);
  CHECK(ZigZagEncode32(-1) == 1u);
  CHECK(ZigZagEncode32(1) == 2u);
  CHECK(ZigZagEncode32(INT32_MAX) == 0xfffffffeu);
  CHECK(ZigZagEncode32(INT32_MIN) == 0xffffffffu);
  CHECK(ZigZagEncode64(INT64_MIN) == UINT64_MAX);
  for (int32_t v : {0, 1, -1, 1000, -1000, INT32_MAX, INT32_MIN}) {
    CHECK(ZigZagDecode32(ZigZagEncode32(v)) == v);
  }
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1} << 40, INT64_MAX, INT64_MIN}) {
    CHECK(ZigZagDecode64(ZigZagEncode64(v)) == v);
  }
}

TEST_CASE("varints round trip at every size boundary", "[format][varint]") {
  for (int bits = 0; bits <= 31; ++bits) {
    int64_t edge = int64_t{1} << bits;
    for (int64_t v : {edge - 1, edge, -edge, -edge - 1, -edge + 1}) {
      if (v >= INT32_MIN && v <= INT32_MAX) CheckVarintRoundTrip(static_cast<int32_t>(v));
    }
  }
  CheckVarintRoundTrip(INT32_MIN);
  CheckVarintRoundTrip(INT32_MAX);
  CHECK(VarintSize(0) == 1);
  CHECK(VarintSize(-64) == 1);
  CHECK(VarintSize(64) == 2);
  CHECK(VarintSize(INT32_MAX) == 5);
  CHECK(VarintSize(INT32_MIN) == 5);
}

TEST_CASE("varlongs round trip at every size boundary", "[format][varint]") {
  for (int bits = 0; bits <= 62; ++bits) {
    int64_t edge = int64_t{1} << bits;
    for (int64_t v : {edge - 1, edge, -edge, -edge - 1, -edge + 1}) CheckVarlongRoundTrip(v);
  }
  CheckVarlongRoundTrip(INT64_MIN);
  CheckVarlongRoundTrip(INT64_MAX);
  CheckVarlongRoundTrip(INT32_MIN);
  CheckVarlongRoundTrip(INT32_MAX);
  CHECK(VarlongSize(0) == 1);
  CHECK(VarlongSize(INT64_MAX) == 10);
  CHECK(VarlongSize(INT64_MIN) == 10);
}

TEST_CASE("random varints and varlongs round trip", "[format][varint]") {
  const uint32_t seed = 20240601;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 20000; ++i) {
    uint64_t r = rng();
    int shift = static_cast<int>(rng() % 64);
    CheckVarlongRoundTrip(static_cast<int64_t>(r >> shift));
    CheckVarintRoundTrip(static_cast<int32_t>(static_cast<uint32_t>(r) >> (shift % 32)));
  }
}

TEST_CASE("varints read back to back advance exactly past each value", "[format][varint]") {
  std::vector<uint8_t> buf(64);
  uint8_t* p = buf.data();
  p = WriteVarint(p, 300);
  p = WriteVarlong(p, -1700000000000);
  p = WriteVarint(p, -1);
  const uint8_t* end = p;
  int32_t a = 0, c = 0;
  int64_t b = 0;
  const uint8_t* q = ReadVarint(buf.data(), end, &a);
  REQUIRE(q != nullptr);
  q = ReadVarlong(q, end, &b);
  REQUIRE(q != nullptr);
  q = ReadVarint(q, end, &c);
  CHECK(q == end);
  CHECK(a == 300);
  CHECK(b == -1700000000000);
  CHECK(c == -1);
}

TEST_CASE("a truncated varint or varlong reads as nullptr", "[format][varint]") {
  int32_t i = 7;
  int64_t l = 7;
  SECTION("empty input") {
    const uint8_t none[1] = {0};
    CHECK(ReadVarint(none, none, &i) == nullptr);
    CHECK(ReadVarlong(none, none, &l) == nullptr);
  }
  SECTION("every proper prefix of a multi-byte value") {
    std::vector<uint8_t> vi = EncodeVarint(INT32_MIN);
    for (size_t n = 0; n < vi.size(); ++n) {
      INFO("prefix " << n);
      CHECK(ReadVarint(vi.data(), vi.data() + n, &i) == nullptr);
    }
    std::vector<uint8_t> vl = EncodeVarlong(INT64_MIN);
    for (size_t n = 0; n < vl.size(); ++n) {
      INFO("prefix " << n);
      CHECK(ReadVarlong(vl.data(), vl.data() + n, &l) == nullptr);
    }
  }
  SECTION("only continuation bytes") {
    const uint8_t cont[3] = {0x80, 0x80, 0x80};
    CHECK(ReadVarint(cont, cont + 3, &i) == nullptr);
    CHECK(ReadVarlong(cont, cont + 3, &l) == nullptr);
  }
}

TEST_CASE("an overlong varint or varlong reads as nullptr", "[format][varint]") {
  // Six bytes for a varint: five continuation bytes then a terminator.
  const uint8_t six[6] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  int32_t i = 0;
  CHECK(ReadVarint(six, six + 6, &i) == nullptr);
  // Eleven bytes for a varlong.
  uint8_t eleven[11];
  for (uint8_t& b : eleven) b = 0x80;
  eleven[10] = 0x00;
  int64_t l = 0;
  CHECK(ReadVarlong(eleven, eleven + 11, &l) == nullptr);
  // Ten bytes is still a legal varlong, even with padding continuation.
  uint8_t ten[10];
  for (uint8_t& b : ten) b = 0x80;
  ten[9] = 0x00;
  CHECK(ReadVarlong(ten, ten + 10, &l) == ten + 10);
  CHECK(l == 0);
}

TEST_CASE("a five-byte varint whose value needs more than 32 bits is rejected",
          "[format][varint]") {
  // 0xff..0x1f would decode to 2^35 - 1, which no int32 zigzag produces.
  const uint8_t big[5] = {0xff, 0xff, 0xff, 0xff, 0x1f};
  int32_t i = 0;
  CHECK(ReadVarint(big, big + 5, &i) == nullptr);
  const uint8_t max[5] = {0xff, 0xff, 0xff, 0xff, 0x0f};
  CHECK(ReadVarint(max, max + 5, &i) == max + 5);
  CHECK(i == INT32_MIN);
}

}  // namespace
}  // namespace rill::format
