// Kafka's text checkpoint files (CheckpointFile.java) and the leader epoch
// cache kept in one.

#include "lib/storage/checkpoint_file.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/storage/leader_epoch_cache.h"
#include "test/storage/storage_test_util.h"
#include "test/support/faulty_file_system.h"

namespace rill::storage {
namespace {

using rill::testing::FaultyFileSystem;
using rill::testing::FsOp;
using testing::FileBytes;
using testing::ListSorted;
using testing::TempDir;
using testing::WriteFile;

TEST_CASE("the recovery point checkpoint is written in Kafka's exact text format",
          "[storage][checkpoint]") {
  TempDir dir;
  FileSystem* fs = FileSystem::Posix();
  std::string path = dir.Join(kRecoveryPointCheckpoint);

  REQUIRE_OK(WritePartitionOffsets(fs, path, {{{"mytopic", 0}, 42}}));
  CHECK(FileBytes(fs, path) == "0\n1\nmytopic 0 42\n");
  // Written to a .tmp and renamed over: nothing else is left behind.
  CHECK(ListSorted(fs, dir.path()) == std::vector<std::string>{kRecoveryPointCheckpoint});

  REQUIRE_OK(WritePartitionOffsets(fs, path, {{{"b-topic", 3}, 7}, {{"a", 0}, 0}, {{"a", 1}, 9}}));
  CHECK(FileBytes(fs, path) == "0\n3\na 0 0\na 1 9\nb-topic 3 7\n");

  REQUIRE_OK(WritePartitionOffsets(fs, path, {}));
  CHECK(FileBytes(fs, path) == "0\n0\n");
}

TEST_CASE("a checkpoint Kafka wrote reads back as its offsets", "[storage][checkpoint]") {
  auto fs = FileSystem::NewInMemory();
  REQUIRE_OK(fs->CreateDirs("/d"));
  WriteFile(fs.get(), "/d/log-start-offset-checkpoint", "0\n3\nfoo 0 100\nbar-baz 3 7\nfoo 1 0\n");
  auto offsets = ReadPartitionOffsets(fs.get(), "/d/log-start-offset-checkpoint");
  REQUIRE_OK(offsets);
  CHECK(*offsets == PartitionOffsets{{{"foo", 0}, 100}, {{"bar-baz", 3}, 7}, {{"foo", 1}, 0}});

  SECTION("and a written one reads back the same") {
    REQUIRE_OK(WritePartitionOffsets(fs.get(), "/d/copy", *offsets));
    auto copy = ReadPartitionOffsets(fs.get(), "/d/copy");
    REQUIRE_OK(copy);
    CHECK(*copy == *offsets);
  }
  SECTION("a missing checkpoint is NotFound") {
    CHECK(absl::IsNotFound(ReadPartitionOffsets(fs.get(), "/d/nope").status()));
  }
}

TEST_CASE("a malformed checkpoint is DataLoss naming the file and the line",
          "[storage][checkpoint]") {
  auto fs = FileSystem::NewInMemory();
  REQUIRE_OK(fs->CreateDirs("/d"));
  struct Case {
    std::string text;
    int line;
  };
  for (const Case& c : {
           Case{"", 1},                           // No version line.
           Case{"0\n", 1},                        // No count line.
           Case{"x\n0\n", 1},                     // Version not a number.
           Case{"1\n0\n", 1},                     // Unknown version.
           Case{"0\nmany\n", 1},                  // Count not a number.
           Case{"0\n2\nfoo 0 1\n", 2},            // Fewer entries than counted.
           Case{"0\n0\nfoo 0 1\n", 2},            // More entries than counted.
           Case{"0\n-1\n", 2},                    // Negative count.
           Case{"0\n1\nfoo 0\n", 3},              // Too few fields.
           Case{"0\n1\nfoo  0 1\n", 3},           // Double space.
           Case{"0\n1\nfoo x 1\n", 3},            // Partition not a number.
           Case{"0\n1\nfoo -1 1\n", 3},           // Negative partition.
           Case{"0\n2\nfoo 0 1\nbar 0 1x\n", 4},  // Offset not a number.
       }) {
    INFO("text: '" << c.text << "'");
    WriteFile(fs.get(), "/d/cp", c.text);
    auto offsets = ReadPartitionOffsets(fs.get(), "/d/cp");
    CHECK(absl::IsDataLoss(offsets.status()));
    CHECK(absl::StrContains(offsets.status().message(), "/d/cp"));
    CHECK(absl::StrContains(offsets.status().message(), absl::StrCat("line ", c.line, ":")));
  }
}

TEST_CASE("a failed checkpoint write leaves the previous checkpoint intact",
          "[storage][checkpoint][fault]") {
  auto mem = FileSystem::NewInMemory();
  FaultyFileSystem fs(mem.get());
  REQUIRE_OK(fs.CreateDirs("/d"));
  std::string path = "/d/recovery-point-offset-checkpoint";
  REQUIRE_OK(WritePartitionOffsets(&fs, path, {{{"t", 0}, 5}}));

  FsOp op = GENERATE(FsOp::kWriteAt, FsOp::kSync, FsOp::kRename);
  INFO("failing " << rill::testing::FsOpName(op));
  fs.FailNth(op, 1, EIO);
  absl::Status s = WritePartitionOffsets(&fs, path, {{{"t", 0}, 99}});
  CHECK(absl::IsDataLoss(s));
  CHECK(FileBytes(&fs, path) == "0\n1\nt 0 5\n");
}

TEST_CASE("a written checkpoint survives a power loss", "[storage][checkpoint][fault]") {
  TempDir dir;
  FaultyFileSystem fs(FileSystem::Posix());
  std::string path = dir.Join(kLogStartOffsetCheckpoint);
  REQUIRE_OK(WritePartitionOffsets(&fs, path, {{{"t", 0}, 5}}));
  REQUIRE_OK(WritePartitionOffsets(&fs, path, {{{"t", 0}, 6}}));
  fs.PowerLoss();
  fs.Restart();
  CHECK(FileBytes(&fs, path) == "0\n1\nt 0 6\n");
  CHECK(ListSorted(&fs, dir.path()) == std::vector<std::string>{kLogStartOffsetCheckpoint});
}

TEST_CASE("the leader epoch cache persists 'epoch startOffset' lines in Kafka's format",
          "[storage][checkpoint][epoch]") {
  auto fs = FileSystem::NewInMemory();
  REQUIRE_OK(fs->CreateDirs("/p"));
  std::string path = "/p/leader-epoch-checkpoint";
  auto cache = LeaderEpochCache::Load(fs.get(), "/p", /*read_only=*/false);
  REQUIRE_OK(cache);
  CHECK_FALSE((*cache)->latest_epoch().has_value());
  CHECK_FALSE(*fs->Exists(path));  // Nothing to persist yet.

  REQUIRE_OK((*cache)->Assign(0, 0));
  CHECK(FileBytes(fs.get(), path) == "0\n1\n0 0\n");
  REQUIRE_OK((*cache)->Assign(3, 100));
  CHECK(FileBytes(fs.get(), path) == "0\n2\n0 0\n3 100\n");
  REQUIRE_OK((*cache)->Assign(2, 150));  // Older than the latest: ignored.
  REQUIRE_OK((*cache)->Assign(3, 150));  // The same epoch: keeps its start.
  CHECK(FileBytes(fs.get(), path) == "0\n2\n0 0\n3 100\n");
  CHECK((*cache)->latest_epoch() == 3);

  SECTION("reloading reads the entries back") {
    auto again = LeaderEpochCache::Load(fs.get(), "/p", false);
    REQUIRE_OK(again);
    CHECK((*again)->entries() == std::vector<std::pair<int32_t, int64_t>>{{0, 0}, {3, 100}});
  }
  SECTION("truncating the log end drops epochs starting at or after it") {
    REQUIRE_OK((*cache)->TruncateFromEnd(100));
    CHECK(FileBytes(fs.get(), path) == "0\n1\n0 0\n");
  }
  SECTION("moving the log start keeps the epoch covering it, starting there") {
    REQUIRE_OK((*cache)->TruncateFromStart(120));
    CHECK(FileBytes(fs.get(), path) == "0\n1\n3 120\n");
  }
  SECTION("moving the log start inside the first epoch moves its start") {
    REQUIRE_OK((*cache)->TruncateFromStart(50));
    CHECK(FileBytes(fs.get(), path) == "0\n2\n0 50\n3 100\n");
  }
  SECTION("a read-only cache changes nothing on disk") {
    auto ro = LeaderEpochCache::Load(fs.get(), "/p", /*read_only=*/true);
    REQUIRE_OK(ro);
    REQUIRE_OK((*ro)->Assign(9, 500));
    REQUIRE_OK((*ro)->TruncateFromEnd(0));
    CHECK(FileBytes(fs.get(), path) == "0\n2\n0 0\n3 100\n");
  }
}

TEST_CASE("a malformed leader epoch checkpoint fails the load with DataLoss naming it",
          "[storage][checkpoint][epoch]") {
  auto fs = FileSystem::NewInMemory();
  REQUIRE_OK(fs->CreateDirs("/p"));
  WriteFile(fs.get(), "/p/leader-epoch-checkpoint", "0\n1\nzero 0\n");
  auto cache = LeaderEpochCache::Load(fs.get(), "/p", false);
  CHECK(absl::IsDataLoss(cache.status()));
  CHECK(absl::StrContains(cache.status().message(), "/p/leader-epoch-checkpoint"));
}

}  // namespace
}  // namespace rill::storage
