// The `.index` file (Kafka's OffsetIndex, reference 2.2 and 2.4): 8-byte
// big-endian entries of relative offset and position, preallocated, looked
// up by the largest entry at or below the target, trimmed to its entries.

#include "lib/storage/offset_index.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "test/storage/storage_test_util.h"

namespace rill::storage {
namespace {

using testing::FileBytes;
using testing::FileSize;
using testing::Hex;
using testing::TempDir;
using testing::WriteFile;

constexpr int64_t kBase = 100;
const std::string kPath = "/p/00000000000000000100.index";

struct IndexFixture {
  IndexFixture() {
    fs = FileSystem::NewInMemory();
    REQUIRE_OK(fs->CreateDirs("/p"));
  }
  std::unique_ptr<OffsetIndex> Open(uint64_t max_bytes, bool writable = true) {
    auto index = OffsetIndex::Open(fs.get(), kPath, kBase, max_bytes, writable);
    REQUIRE_OK(index);
    return std::move(*index);
  }
  std::unique_ptr<FileSystem> fs;
};

// The VmFlags lines of the mappings (VMAs) of `path` in /proc/self/smaps,
// lowest address (file offset 0) first.
std::vector<std::string> MappingFlags(const std::string& path) {
  std::ifstream smaps("/proc/self/smaps");
  std::vector<std::string> flags;
  std::string line;
  bool in_mapping = false;
  while (std::getline(smaps, line)) {
    // A VMA's first line: "start-end perms offset dev inode [path]"; the
    // others are "Name: value".
    const bool header = !line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
                        line.find('-') < line.find(' ');
    if (header) in_mapping = absl::EndsWith(line, " " + path);
    if (in_mapping && absl::StartsWith(line, "VmFlags:")) {
      flags.push_back(line);
      in_mapping = false;
    }
  }
  return flags;
}

// Raw entry bytes, as Kafka writes them.
std::string Entry(uint32_t relative_offset, uint32_t position) {
  std::string e(8, '\0');
  StoreBigEndian32(reinterpret_cast<uint8_t*>(e.data()), relative_offset);
  StoreBigEndian32(reinterpret_cast<uint8_t*>(e.data()) + 4, position);
  return e;
}

TEST_CASE("a new writable offset index is preallocated to whole entries of segment.index.bytes",
          "[storage][index]") {
  IndexFixture f;
  auto index = f.Open(/*max_bytes=*/100);
  CHECK(FileSize(f.fs.get(), kPath) == 96);
  CHECK(index->max_entries() == 12);
  CHECK(index->entry_count() == 0);
  CHECK(index->base_offset() == kBase);
  CHECK(index->path() == kPath);
  CHECK(index->last_offset() == kBase);
  CHECK_FALSE(index->full());
}

TEST_CASE("a writable index's preallocated part is mapped for random access, its entries not",
          "[storage][index]") {
  // Without MADV_RANDOM ("rr" in VmFlags) on the sparse preallocated part,
  // the first entry's fault made the kernel allocate and zero
  // read_ahead_kb of it (8 MiB, ~6 ms inside the first append on the
  // project's VM). The entries already there keep readahead: SanityCheck
  // reads them all at open.
  TempDir dir;
  const std::string path = dir.Join("00000000000000000000.index");
  {
    auto index = OffsetIndex::Open(FileSystem::Posix(), path, 0, 10 << 20, /*writable=*/true);
    REQUIRE_OK(index);
    std::vector<std::string> flags = MappingFlags(path);
    INFO(absl::StrJoin(flags, "\n"));
    REQUIRE(flags.size() == 1);
    CHECK(absl::StrContains(flags[0], " rr"));
    for (int i = 0; i < 2000; ++i) REQUIRE_OK((*index)->Append(i, static_cast<uint32_t>(i) * 100));
    REQUIRE_OK((*index)->TrimToValidSize());
  }
  // Reopened: 16,000 bytes of entries, then the preallocated rest.
  auto index = OffsetIndex::Open(FileSystem::Posix(), path, 0, 10 << 20, /*writable=*/true);
  REQUIRE_OK(index);
  REQUIRE((*index)->entry_count() == 2000);
  std::vector<std::string> flags = MappingFlags(path);
  INFO(absl::StrJoin(flags, "\n"));
  REQUIRE(flags.size() == 2);
  CHECK_FALSE(absl::StrContains(flags[0], " rr"));  // Offsets 0-16383: the entries' pages.
  CHECK(absl::StrContains(flags[1], " rr"));
  CHECK((*index)->Lookup(1500).position == 150000);
  REQUIRE_OK((*index)->Append(2000, 200000));
}

TEST_CASE("offset index entries are big-endian relative offset then position", "[storage][index]") {
  IndexFixture f;
  auto index = f.Open(80);
  REQUIRE_OK(index->Append(105, 0x1234));
  REQUIRE_OK(index->Append(100 + 0x01020304, 0xA0B0C0D0));
  std::string bytes = FileBytes(f.fs.get(), kPath);
  REQUIRE(bytes.size() == 80);
  CHECK(Hex(bytes.substr(0, 16)) ==
        "00000005"
        "00001234"
        "01020304"
        "a0b0c0d0");
  CHECK(bytes.substr(16) == std::string(64, '\0'));
  CHECK(index->entry(0).offset == 105);
  CHECK(index->entry(0).position == 0x1234);
  CHECK(index->entry(1).offset == 100 + 0x01020304);
  CHECK(index->entry(1).position == 0xA0B0C0D0);
}

TEST_CASE("Lookup returns the last entry at or below the target, else the base at position 0",
          "[storage][index]") {
  IndexFixture f;
  auto index = f.Open(4096);
  CHECK(index->Lookup(150).offset == kBase);  // Empty.
  CHECK(index->Lookup(150).position == 0);

  REQUIRE_OK(index->Append(110, 1000));
  REQUIRE_OK(index->Append(120, 2000));
  REQUIRE_OK(index->Append(130, 3000));
  struct Case {
    int64_t target, offset;
    uint32_t position;
  };
  for (Case c : {Case{0, kBase, 0}, Case{100, kBase, 0}, Case{109, kBase, 0}, Case{110, 110, 1000},
                 Case{119, 110, 1000}, Case{120, 120, 2000}, Case{129, 120, 2000},
                 Case{130, 130, 3000}, Case{1 << 30, 130, 3000}}) {
    INFO("target " << c.target);
    OffsetIndex::Entry e = index->Lookup(c.target);
    CHECK(e.offset == c.offset);
    CHECK(e.position == c.position);
  }
  CHECK(index->last_offset() == 130);
}

TEST_CASE("an offset index refuses offsets that do not increase or do not fit 32 bits",
          "[storage][index]") {
  IndexFixture f;
  auto index = f.Open(4096);
  REQUIRE_OK(index->Append(110, 1000));
  CHECK(absl::IsInvalidArgument(index->Append(110, 2000)));
  CHECK(absl::IsInvalidArgument(index->Append(105, 2000)));
  CHECK(index->entry_count() == 1);

  auto empty_fs = FileSystem::NewInMemory();
  REQUIRE_OK(empty_fs->CreateDirs("/q"));
  auto other = OffsetIndex::Open(empty_fs.get(), "/q/i", kBase, 4096, true);
  REQUIRE_OK(other);
  absl::Status below = (*other)->Append(kBase - 1, 0);
  CHECK(absl::IsInvalidArgument(below));
  CHECK(absl::StrContains(below.message(), "/q/i"));
  CHECK(absl::IsInvalidArgument((*other)->Append(kBase + int64_t{INT32_MAX} + 1, 0)));
  CHECK_OK((*other)->Append(kBase + int64_t{INT32_MAX}, 0));
}

TEST_CASE("an offset index is full at max entries and refuses more", "[storage][index]") {
  IndexFixture f;
  auto index = f.Open(24);  // Three entries.
  REQUIRE_OK(index->Append(101, 10));
  REQUIRE_OK(index->Append(102, 20));
  CHECK_FALSE(index->full());
  REQUIRE_OK(index->Append(103, 30));
  CHECK(index->full());
  absl::Status s = index->Append(104, 40);
  CHECK(absl::IsFailedPrecondition(s));
  CHECK(absl::StrContains(s.message(), kPath));
  CHECK(index->entry_count() == 3);
}

TEST_CASE("TrimToValidSize cuts the preallocated file to its entries and a reopen sees them",
          "[storage][index]") {
  IndexFixture f;
  {
    auto index = f.Open(4096);
    REQUIRE_OK(index->Append(110, 1000));
    REQUIRE_OK(index->Append(120, 2000));
    CHECK(index->valid_bytes() == 16);
    REQUIRE_OK(index->TrimToValidSize());
    CHECK(FileSize(f.fs.get(), kPath) == 16);
    // Still usable after the trim.
    CHECK(index->Lookup(125).offset == 120);
  }
  SECTION("read-only: as many entries as the file holds, no growth") {
    auto index = f.Open(4096, /*writable=*/false);
    CHECK(index->entry_count() == 2);
    CHECK(index->max_entries() == 2);
    CHECK(index->Lookup(125).position == 2000);
    CHECK(FileSize(f.fs.get(), kPath) == 16);
    REQUIRE_OK(index->SanityCheck());
  }
  SECTION("writable: the entries stay and the file is preallocated again") {
    auto index = f.Open(4096);
    CHECK(index->entry_count() == 2);
    CHECK(index->max_entries() == 512);
    CHECK(FileSize(f.fs.get(), kPath) == 4096);
    REQUIRE_OK(index->Append(130, 3000));
    CHECK(index->entry(2).offset == 130);
  }
}

TEST_CASE("TruncateTo drops the entries at or past an offset", "[storage][index]") {
  IndexFixture f;
  auto index = f.Open(4096);
  REQUIRE_OK(index->Append(110, 1000));
  REQUIRE_OK(index->Append(120, 2000));
  REQUIRE_OK(index->Append(130, 3000));

  index->TruncateTo(200);
  CHECK(index->entry_count() == 3);
  index->TruncateTo(121);
  CHECK(index->entry_count() == 2);
  index->TruncateTo(120);
  CHECK(index->entry_count() == 1);
  CHECK(index->last_offset() == 110);
  REQUIRE_OK(index->Append(115, 1500));  // Appends continue after the cut.
  CHECK(index->Lookup(119).position == 1500);
  index->TruncateTo(kBase);
  CHECK(index->entry_count() == 0);
  REQUIRE_OK(index->TrimToValidSize());
  CHECK(FileSize(f.fs.get(), kPath) == 0);
}

TEST_CASE("SanityCheck reports DataLoss for entries that do not increase", "[storage][index]") {
  IndexFixture f;
  SECTION("offsets going back") {
    WriteFile(f.fs.get(), kPath, Entry(10, 100) + Entry(20, 200) + Entry(15, 300));
    auto index = f.Open(4096, false);
    absl::Status s = index->SanityCheck();
    CHECK(absl::IsDataLoss(s));
    CHECK(absl::StrContains(s.message(), kPath));
    CHECK(absl::StrContains(s.message(), "entry 2"));
  }
  SECTION("positions going back") {
    WriteFile(f.fs.get(), kPath, Entry(10, 100) + Entry(20, 50));
    CHECK(absl::IsDataLoss(f.Open(4096, false)->SanityCheck()));
  }
  SECTION("a preallocated tail of zeros") {
    WriteFile(f.fs.get(), kPath, Entry(10, 100) + Entry(0, 0));
    CHECK(absl::IsDataLoss(f.Open(4096, false)->SanityCheck()));
  }
  SECTION("good entries pass") {
    WriteFile(f.fs.get(), kPath, Entry(0, 0) + Entry(10, 100) + Entry(20, 200));
    CHECK_OK(f.Open(4096, false)->SanityCheck());
  }
}

TEST_CASE("an index file whose length is not whole entries fails to open with DataLoss",
          "[storage][index]") {
  IndexFixture f;
  WriteFile(f.fs.get(), kPath, Entry(10, 100) + "abc");
  auto index = OffsetIndex::Open(f.fs.get(), kPath, kBase, 4096, false);
  CHECK(absl::IsDataLoss(index.status()));
  CHECK(absl::StrContains(index.status().message(), kPath));
}

TEST_CASE("KeepIncreasingPrefix keeps the real entries of another process's preallocated index",
          "[storage][index]") {
  IndexFixture f;
  SECTION("entries then zeros") {
    WriteFile(f.fs.get(), kPath,
              Entry(10, 100) + Entry(20, 200) + Entry(30, 300) + std::string(8 * 5, '\0'));
    auto index = f.Open(4096, false);
    CHECK(index->entry_count() == 8);
    index->KeepIncreasingPrefix();
    CHECK(index->entry_count() == 3);
    CHECK(index->last_offset() == 130);
    CHECK_OK(index->SanityCheck());
  }
  SECTION("only zeros") {
    WriteFile(f.fs.get(), kPath, std::string(8 * 4, '\0'));
    auto index = f.Open(4096, false);
    index->KeepIncreasingPrefix();
    CHECK(index->entry_count() == 0);
  }
  SECTION("a half-written entry ends the prefix") {
    WriteFile(f.fs.get(), kPath, Entry(10, 100) + Entry(20, 0) + std::string(8, '\0'));
    auto index = f.Open(4096, false);
    index->KeepIncreasingPrefix();
    CHECK(index->entry_count() == 1);
  }
}

}  // namespace
}  // namespace rill::storage
