#include "tools/rill/index_entries.h"

#include <catch2/catch.hpp>
#include <vector>

namespace rill::tool {
namespace {

std::vector<uint8_t> OffsetEntry(int32_t relative, uint32_t position) {
  std::vector<uint8_t> bytes(8);
  StoreBigEndian32(bytes.data(), static_cast<uint32_t>(relative));
  StoreBigEndian32(bytes.data() + 4, position);
  return bytes;
}

void AppendBytes(std::vector<uint8_t>* to, const std::vector<uint8_t>& bytes) {
  to->insert(to->end(), bytes.begin(), bytes.end());
}

TEST_CASE("an index's preallocated zero tail is not entries", "[cli]") {
  std::vector<uint8_t> file;
  AppendBytes(&file, OffsetEntry(3, 300));
  AppendBytes(&file, OffsetEntry(7, 700));
  file.resize(file.size() + 8 * 5);
  IndexEntries<OffsetIndexEntry> index = ReadOffsetIndex(ByteSpan(file), 100);
  REQUIRE(index.entries.size() == 2);
  CHECK(index.entries[1].offset == 107);
  CHECK(index.entries[1].relative_offset == 7);
  CHECK(index.entries[1].position == 700);
  CHECK(index.zero_tail_bytes == 40);
  CHECK(index.partial_bytes == 0);
}

TEST_CASE("a zero entry between real ones is an entry, and out of order", "[cli]") {
  std::vector<uint8_t> file;
  AppendBytes(&file, OffsetEntry(3, 300));
  AppendBytes(&file, OffsetEntry(0, 0));
  AppendBytes(&file, OffsetEntry(7, 700));
  IndexEntries<OffsetIndexEntry> index = ReadOffsetIndex(ByteSpan(file), 0);
  REQUIRE(index.entries.size() == 3);
  absl::Status order = CheckEntryOrder("x.index", 1, index.entries[1], &index.entries[0]);
  CHECK(absl::IsDataLoss(order));
  CHECK(order.message() ==
        "x.index: entry 1 at byte 8 (offset 0, position 0): does not increase past entry 0 at "
        "byte 0 (offset 3, position 300)");
}

TEST_CASE("a time index keeps a piece shorter than an entry apart", "[cli]") {
  std::vector<uint8_t> file(12 + 5);
  StoreBigEndian64(file.data(), 1700000000000);
  StoreBigEndian32(file.data() + 8, 4);
  file[14] = 1;
  IndexEntries<TimeIndexEntry> index = ReadTimeIndex(ByteSpan(file), 10);
  REQUIRE(index.entries.size() == 1);
  CHECK(index.entries[0].timestamp == 1700000000000);
  CHECK(index.entries[0].offset == 14);
  CHECK(index.partial_bytes == 5);
  CHECK(index.zero_tail_bytes == 0);
}

}  // namespace
}  // namespace rill::tool
