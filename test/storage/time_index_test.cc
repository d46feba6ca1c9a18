// The `.timeindex` file (Kafka's TimeIndex, reference 2.3 and 2.4): 12-byte
// big-endian entries of timestamp and relative offset, strictly increasing
// timestamps, full one entry early so the roll entry always fits.

#include "lib/storage/time_index.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/match.h"
#include "test/storage/storage_test_util.h"

namespace rill::storage {
namespace {

using testing::FileBytes;
using testing::FileSize;
using testing::Hex;
using testing::WriteFile;

constexpr int64_t kBase = 1000;
const std::string kPath = "/p/00000000000000001000.timeindex";

struct TimeIndexFixture {
  TimeIndexFixture() {
    fs = FileSystem::NewInMemory();
    REQUIRE_OK(fs->CreateDirs("/p"));
  }
  std::unique_ptr<TimeIndex> Open(uint64_t max_bytes, bool writable = true) {
    auto index = TimeIndex::Open(fs.get(), kPath, kBase, max_bytes, writable);
    REQUIRE_OK(index);
    return std::move(*index);
  }
  std::unique_ptr<FileSystem> fs;
};

std::string Entry(uint64_t timestamp, uint32_t relative_offset) {
  std::string e(12, '\0');
  StoreBigEndian64(reinterpret_cast<uint8_t*>(e.data()), timestamp);
  StoreBigEndian32(reinterpret_cast<uint8_t*>(e.data()) + 8, relative_offset);
  return e;
}

TEST_CASE("a new time index is preallocated to whole 12-byte entries of segment.index.bytes",
          "[storage][timeindex]") {
  TimeIndexFixture f;
  auto index = f.Open(100);
  CHECK(FileSize(f.fs.get(), kPath) == 96);
  CHECK(index->max_entries() == 8);
  CHECK(index->entry_count() == 0);
  CHECK(index->last_entry().timestamp == -1);
  CHECK(index->last_entry().offset == kBase);
}

TEST_CASE("time index entries are a big-endian timestamp then relative offset",
          "[storage][timeindex]") {
  TimeIndexFixture f;
  auto index = f.Open(36);
  REQUIRE_OK(index->MaybeAppend(0x0102030405060708, kBase + 0x0A0B0C0D));
  std::string bytes = FileBytes(f.fs.get(), kPath);
  REQUIRE(bytes.size() == 36);
  CHECK(Hex(bytes.substr(0, 12)) ==
        "0102030405060708"
        "0a0b0c0d");
  CHECK(bytes.substr(12) == std::string(24, '\0'));
  CHECK(index->entry(0).timestamp == 0x0102030405060708);
  CHECK(index->entry(0).offset == kBase + 0x0A0B0C0D);
}

TEST_CASE("MaybeAppend adds an entry only for a timestamp above the last one",
          "[storage][timeindex]") {
  TimeIndexFixture f;
  auto index = f.Open(4096);
  REQUIRE_OK(index->MaybeAppend(500, 1005));
  REQUIRE_OK(index->MaybeAppend(500, 1010));  // Same timestamp: nothing.
  REQUIRE_OK(index->MaybeAppend(400, 1010));  // Lower: nothing.
  CHECK(index->entry_count() == 1);
  REQUIRE_OK(index->MaybeAppend(600, 1010));
  CHECK(index->entry_count() == 2);
  CHECK(index->last_entry().timestamp == 600);
  CHECK(index->last_entry().offset == 1010);

  absl::Status back = index->MaybeAppend(700, 1009);
  CHECK(absl::IsInvalidArgument(back));
  CHECK(absl::StrContains(back.message(), kPath));
  CHECK(absl::IsInvalidArgument(index->MaybeAppend(800, kBase + int64_t{INT32_MAX} + 1)));
  CHECK(index->entry_count() == 2);
}

TEST_CASE("time index Lookup returns the last entry at or below the timestamp, else (-1, base)",
          "[storage][timeindex]") {
  TimeIndexFixture f;
  auto index = f.Open(4096);
  CHECK(index->Lookup(12345).timestamp == -1);
  CHECK(index->Lookup(12345).offset == kBase);
  REQUIRE_OK(index->MaybeAppend(100, 1003));
  REQUIRE_OK(index->MaybeAppend(200, 1007));
  REQUIRE_OK(index->MaybeAppend(300, 1007));
  struct Case {
    int64_t target, timestamp, offset;
  };
  for (Case c : {Case{0, -1, kBase}, Case{99, -1, kBase}, Case{100, 100, 1003},
                 Case{199, 100, 1003}, Case{200, 200, 1007}, Case{250, 200, 1007},
                 Case{300, 300, 1007}, Case{INT64_MAX, 300, 1007}}) {
    INFO("target " << c.target);
    TimeIndex::Entry e = index->Lookup(c.target);
    CHECK(e.timestamp == c.timestamp);
    CHECK(e.offset == c.offset);
  }
}

TEST_CASE("a time index is full one entry early; the roll entry takes the last slot",
          "[storage][timeindex]") {
  TimeIndexFixture f;
  auto index = f.Open(36);  // Three slots.
  REQUIRE(index->max_entries() == 3);
  REQUIRE_OK(index->MaybeAppend(10, 1001));
  CHECK_FALSE(index->full());
  REQUIRE_OK(index->MaybeAppend(20, 1002));
  CHECK(index->full());
  CHECK(absl::IsFailedPrecondition(index->MaybeAppend(30, 1003)));
  CHECK(index->entry_count() == 2);
  REQUIRE_OK(index->MaybeAppend(30, 1003, /*roll=*/true));
  CHECK(index->entry_count() == 3);
  CHECK(absl::IsFailedPrecondition(index->MaybeAppend(40, 1004, /*roll=*/true)));
}

TEST_CASE("a trimmed time index reopens with its entries, writable ones grow back",
          "[storage][timeindex]") {
  TimeIndexFixture f;
  {
    auto index = f.Open(4096);
    REQUIRE_OK(index->MaybeAppend(100, 1003));
    REQUIRE_OK(index->MaybeAppend(200, 1007));
    REQUIRE_OK(index->TrimToValidSize());
    CHECK(FileSize(f.fs.get(), kPath) == 24);
  }
  auto ro = f.Open(4096, false);
  CHECK(ro->entry_count() == 2);
  CHECK(ro->Lookup(250).offset == 1007);
  CHECK_OK(ro->SanityCheck());
  ro.reset();
  auto rw = f.Open(4096, true);
  CHECK(rw->entry_count() == 2);
  CHECK(FileSize(f.fs.get(), kPath) == 4092);
  CHECK(rw->max_entries() == 341);
}

TEST_CASE("time index TruncateTo drops entries at or past the offset", "[storage][timeindex]") {
  TimeIndexFixture f;
  auto index = f.Open(4096);
  REQUIRE_OK(index->MaybeAppend(100, 1003));
  REQUIRE_OK(index->MaybeAppend(200, 1007));
  REQUIRE_OK(index->MaybeAppend(300, 1010));
  index->TruncateTo(1011);
  CHECK(index->entry_count() == 3);
  index->TruncateTo(1010);
  CHECK(index->entry_count() == 2);
  index->TruncateTo(1004);
  CHECK(index->entry_count() == 1);
  CHECK(index->last_entry().timestamp == 100);
  index->TruncateTo(kBase);
  CHECK(index->entry_count() == 0);
}

TEST_CASE("time index SanityCheck reports entries whose timestamps do not increase",
          "[storage][timeindex]") {
  TimeIndexFixture f;
  SECTION("equal timestamps") {
    WriteFile(f.fs.get(), kPath, Entry(100, 1) + Entry(100, 2));
    absl::Status s = f.Open(4096, false)->SanityCheck();
    CHECK(absl::IsDataLoss(s));
    CHECK(absl::StrContains(s.message(), kPath));
    CHECK(absl::StrContains(s.message(), "entry 1"));
  }
  SECTION("offsets going back") {
    WriteFile(f.fs.get(), kPath, Entry(100, 5) + Entry(200, 4));
    CHECK(absl::IsDataLoss(f.Open(4096, false)->SanityCheck()));
  }
  SECTION("increasing entries pass") {
    WriteFile(f.fs.get(), kPath, Entry(100, 5) + Entry(200, 5) + Entry(300, 9));
    CHECK_OK(f.Open(4096, false)->SanityCheck());
  }
  SECTION("a length that is not whole entries fails to open") {
    WriteFile(f.fs.get(), kPath, Entry(100, 5) + "12345678");
    CHECK(absl::IsDataLoss(TimeIndex::Open(f.fs.get(), kPath, kBase, 4096, false).status()));
  }
}

TEST_CASE("time index KeepIncreasingPrefix drops a preallocated tail of zeros",
          "[storage][timeindex]") {
  TimeIndexFixture f;
  SECTION("entries then zeros") {
    WriteFile(f.fs.get(), kPath, Entry(100, 5) + Entry(200, 9) + std::string(12 * 3, '\0'));
    auto index = f.Open(4096, false);
    CHECK(index->entry_count() == 5);
    index->KeepIncreasingPrefix();
    CHECK(index->entry_count() == 2);
    CHECK(index->last_entry().timestamp == 200);
  }
  SECTION("only zeros") {
    WriteFile(f.fs.get(), kPath, std::string(12 * 3, '\0'));
    auto index = f.Open(4096, false);
    index->KeepIncreasingPrefix();
    CHECK(index->entry_count() == 0);
  }
}

}  // namespace
}  // namespace rill::storage
