#include "lib/format/crc32c.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "test/format/format_test_util.h"

namespace rill::format {
namespace {

using testing::RandomBytes;

// The textbook bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78).
uint32_t BitwiseCrc32c(const uint8_t* p, size_t n) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

TEST_CASE("crc32c of \"123456789\" is the Castagnoli check value", "[format][crc32c]") {
  CHECK(Crc32c(AsBytes("123456789")) == 0xE3069283u);
}

TEST_CASE("crc32c of nothing is zero and extending by nothing changes nothing",
          "[format][crc32c]") {
  CHECK(Crc32c(ByteSpan()) == 0u);
  CHECK(Crc32cExtend(0xE3069283u, ByteSpan()) == 0xE3069283u);
}

TEST_CASE("crc32c of known short inputs matches published vectors", "[format][crc32c]") {
  // RFC 3720 (iSCSI) B.4: 32 bytes of zeros and of 0xff.
  std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xff), ascending(32);
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<uint8_t>(i);
  CHECK(Crc32c(ByteSpan(zeros.data(), zeros.size())) == 0x8A9136AAu);
  CHECK(Crc32c(ByteSpan(ones.data(), ones.size())) == 0x62A8AB43u);
  CHECK(Crc32c(ByteSpan(ascending.data(), ascending.size())) == 0x46DD794Eu);
}

TEST_CASE("crc32c extended piece by piece equals the one-shot crc", "[format][crc32c]") {
  const uint32_t seed = 1234;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::vector<uint8_t> data = RandomBytes(rng, 10000);
  uint32_t whole = Crc32c(ByteSpan(data.data(), data.size()));
  for (int trial = 0; trial < 50; ++trial) {
    uint32_t crc = 0;
    size_t pos = 0;
    while (pos < data.size()) {
      size_t n = std::min<size_t>(data.size() - pos, rng() % 700);
      crc = Crc32cExtend(crc, ByteSpan(data.data() + pos, n));
      pos += n;
    }
    CHECK(crc == whole);
  }
  // Splitting "123456789" anywhere gives the check value.
  std::string s = "123456789";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t crc = Crc32cExtend(Crc32c(AsBytes(s.substr(0, cut))), AsBytes(s.substr(cut)));
    CHECK(crc == 0xE3069283u);
  }
}

TEST_CASE("crc32c matches a bitwise reference on random buffers of many sizes and alignments",
          "[format][crc32c]") {
  const uint32_t seed = 99;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::vector<uint8_t> data = RandomBytes(rng, 70000);
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 300; ++n) sizes.push_back(n);
  for (size_t n : {511u, 512u, 513u, 1023u, 1024u, 4095u, 4096u, 4097u, 65535u, 65536u, 65537u}) {
    sizes.push_back(n);
  }
  for (size_t n : sizes) {
    for (size_t misalign = 0; misalign < 8; ++misalign) {
      INFO("size " << n << " offset " << misalign);
      const uint8_t* p = data.data() + misalign;
      REQUIRE(Crc32c(ByteSpan(p, n)) == BitwiseCrc32c(p, n));
    }
  }
}

}  // namespace
}  // namespace rill::format
