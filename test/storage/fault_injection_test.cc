// The log under injected faults (FaultyFileSystem): a full disk, I/O errors,
// failed fsyncs and power cuts. What must hold: clear errors, a usable log
// after a full disk, a failed log after a failed fsync, no acknowledged and
// flushed data lost, and no file left behind that recovery cannot open.

#include <catch2/catch.hpp>
#include <cerrno>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/storage/log.h"
#include "lib/storage/log_file_names.h"
#include "lib/storage/log_manager.h"
#include "rill/clock.h"
#include "test/storage/storage_test_util.h"
#include "test/support/faulty_file_system.h"

namespace rill::storage {
namespace {

using rill::testing::FaultyFileSystem;
using rill::testing::FsOp;
using testing::kT0;
using testing::ListSorted;
using testing::MakeBatch;
using testing::MakeBatchOfSize;
using testing::OpenTestLog;
using testing::ReadValues;
using testing::SmallConfig;
using testing::TempDir;

const char kLogDir[] = "/data/test-0";

// A log on a FaultyFileSystem over an in-memory one (or over a TempDir).
struct FaultFixture {
  explicit FaultFixture(bool on_disk = false) {
    if (on_disk) {
      tmp = std::make_unique<TempDir>();
      data_dir = tmp->path();
      fs = std::make_unique<FaultyFileSystem>(FileSystem::Posix());
    } else {
      mem = FileSystem::NewInMemory();
      REQUIRE_OK(mem->CreateDirs("/data"));
      data_dir = "/data";
      fs = std::make_unique<FaultyFileSystem>(mem.get());
    }
    config = SmallConfig();
  }
  absl::StatusOr<std::unique_ptr<Log>> TryOpen(LogLoadReport* report = nullptr) {
    return OpenTestLog(data_dir, fs.get(), &clock, config, report);
  }
  std::unique_ptr<Log> Open(LogLoadReport* report = nullptr) {
    auto log = TryOpen(report);
    REQUIRE_OK(log);
    return std::move(*log);
  }
  std::string log_dir() const { return JoinPath(data_dir, "test-0"); }

  std::unique_ptr<TempDir> tmp;
  std::unique_ptr<FileSystem> mem;
  std::unique_ptr<FaultyFileSystem> fs;
  std::string data_dir;
  ManualClock clock{absl::FromUnixMillis(kT0)};
  LogConfig config;
};

// Every segment file belongs to one of the log's segments and no name is a
// leftover.
void CheckFilesMatchSegments(FileSystem* fs, const std::string& dir, const Log& log) {
  std::vector<int64_t> bases = testing::SegmentBases(log);
  for (const std::string& name : ListSorted(fs, dir)) {
    INFO(name);
    auto parsed = ParseFileName(name);
    if (!parsed) {
      CHECK(name == "leader-epoch-checkpoint");
      continue;
    }
    CHECK(parsed->temporary.empty());
    if (parsed->kind == kSnapshotSuffix) continue;  // Producer state, named by offset.
    CHECK(std::find(bases.begin(), bases.end(), parsed->offset) != bases.end());
  }
}

// Every .index / .timeindex has its .log and no name is a leftover.
void CheckNoStrayFiles(FileSystem* fs, const std::string& dir) {
  std::vector<std::string> names = ListSorted(fs, dir);
  for (const std::string& name : names) {
    INFO(name);
    auto parsed = ParseFileName(name);
    if (!parsed) {
      CHECK(name == "leader-epoch-checkpoint");
      continue;
    }
    CHECK(parsed->temporary.empty());
    if (parsed->kind == kSnapshotSuffix) continue;  // Producer state, named by offset.
    std::string log = SegmentFileName(parsed->offset, kLogSuffix);
    CHECK(std::find(names.begin(), names.end(), log) != names.end());
  }
}

TEST_CASE(
    "a full disk at preallocation fails the append with ResourceExhausted and the log "
    "stays usable",
    "[storage][fault]") {
  SegmentWriteMode mode = GENERATE(SegmentWriteMode::kMmap, SegmentWriteMode::kPwrite);
  INFO((mode == SegmentWriteMode::kMmap ? "mmap" : "pwrite"));
  FaultFixture f;
  f.config.write_mode = mode;
  auto log = f.Open();
  REQUIRE_OK(log->Append(MakeBatch({"before"})));
  // The disk is full from now on. A mapped segment finds out when it
  // reserves its next chunk (appends go on into the space already
  // reserved, until a roll needs more); pwrite finds out in the write.
  f.fs->FailFromNth(mode == SegmentWriteMode::kMmap ? FsOp::kAllocate : FsOp::kWriteAt, 1, ENOSPC);
  absl::Status s;
  int64_t end = 0;
  for (int i = 0; i < 200 && s.ok(); ++i) {
    end = log->log_end_offset();
    s = log->Append(MakeBatchOfSize(1000)).status();
  }
  REQUIRE(absl::IsResourceExhausted(s));
  CHECK(absl::StrContains(s.message(), ".log"));
  CHECK(f.fs->injected_failures() >= 1);
  CHECK(log->log_end_offset() == end);  // Nothing of the refused batch.
  if (mode == SegmentWriteMode::kMmap) CHECK(log->segment_count() >= 2);
  CHECK_OK(log->failure());  // Not failed: a full disk is not corruption.
  CHECK_OK(log->Flush());

  f.fs->ClearFaults();  // Space again.
  auto info = log->Append(MakeBatch({"after"}));
  REQUIRE_OK(info);
  CHECK(info->first_offset == end);
  std::vector<std::string> values = ReadValues(*log);
  CHECK(values.front() == "before");
  CHECK(values.back() == "after");
  CHECK(static_cast<int64_t>(values.size()) == log->log_end_offset());

  SECTION("and reopens with the same contents") {
    REQUIRE_OK(log->Flush());
    log.reset();
    LogLoadReport report;
    auto reopened = f.Open(&report);
    CHECK(report.truncated_from_offset == -1);
    CHECK(ReadValues(*reopened) == values);
  }
}

TEST_CASE("when a whole chunk cannot be reserved the append still gets the bytes it needs",
          "[storage][fault]") {
  FaultFixture f;
  f.config.write_mode = SegmentWriteMode::kMmap;  // Only a mapped segment reserves chunks.
  auto log = f.Open();
  f.fs->FailNth(FsOp::kAllocate, 1, ENOSPC);  // Only the 1 MiB chunk fails.
  REQUIRE_OK(log->Append(MakeBatch({"a"})));
  CHECK(f.fs->calls(FsOp::kAllocate) == 2);
  CHECK(ReadValues(*log) == std::vector<std::string>{"a"});
}

TEST_CASE(
    "a full disk when a roll creates the next segment leaves the log usable and no "
    "stray files",
    "[storage][fault]") {
  FaultFixture f;
  f.config.segment_bytes = 2500;
  auto log = f.Open();
  for (int i = 0; i < 2; ++i) REQUIRE_OK(log->Append(MakeBatchOfSize(1000)));
  REQUIRE(log->segment_count() == 1);

  // Which file of the new segment the disk refuses.
  std::string which =
      GENERATE(std::string(".log"), std::string(".index"), std::string(".timeindex"));
  INFO("creating " << which << " fails");
  f.fs->FailFromNth(which == ".log" ? FsOp::kOpen : FsOp::kTruncate, 1, ENOSPC,
                    absl::StrCat("00000000000000000002", which));
  auto full = log->Append(MakeBatchOfSize(1000));
  REQUIRE(absl::IsResourceExhausted(full.status()));
  CHECK(log->segment_count() == 1);
  CHECK(log->log_end_offset() == 2);
  CHECK_OK(log->failure());
  CheckFilesMatchSegments(f.fs.get(), kLogDir, *log);

  f.fs->ClearFaults();
  // A batch small enough not to need the roll goes into the old segment...
  auto small = log->Append(MakeBatchOfSize(100));
  REQUIRE_OK(small);
  CHECK(small->first_offset == 2);
  // ...and the next roll works.
  auto info = log->Append(MakeBatchOfSize(1000));
  REQUIRE_OK(info);
  CHECK(info->first_offset == 3);
  CHECK(testing::SegmentBases(*log) == std::vector<int64_t>{0, 3});
  CHECK(ReadValues(*log).size() == 4);
  CheckFilesMatchSegments(f.fs.get(), kLogDir, *log);
  REQUIRE_OK(log->Close());
  log.reset();
  auto reopened = f.Open();
  CHECK(ReadValues(*reopened).size() == 4);
}

TEST_CASE("a short write that fills the disk fails the append and the next one overwrites it",
          "[storage][fault]") {
  FaultFixture f;
  f.config.write_mode = SegmentWriteMode::kPwrite;
  auto log = f.Open();
  REQUIRE_OK(log->Append(MakeBatch({"one"})));
  rill::testing::Fault fault;
  fault.op = FsOp::kWriteAt;
  fault.error = ENOSPC;
  fault.short_write = true;
  fault.path_contains = ".log";
  f.fs->AddFault(fault);
  auto torn = log->Append(MakeBatch({"two"}));
  CHECK(absl::IsResourceExhausted(torn.status()));
  CHECK(log->log_end_offset() == 1);
  REQUIRE_OK(log->Append(MakeBatch({"three"})));
  CHECK(ReadValues(*log) == std::vector<std::string>{"one", "three"});
  REQUIRE_OK(log->Flush());
  log.reset();
  LogLoadReport report;
  auto reopened = f.Open(&report);
  CHECK(ReadValues(*reopened) == std::vector<std::string>{"one", "three"});
}

TEST_CASE("an I/O error writing a batch fails the log", "[storage][fault]") {
  FaultFixture f;
  f.config.write_mode = SegmentWriteMode::kPwrite;
  auto log = f.Open();
  REQUIRE_OK(log->Append(MakeBatch({"one"})));
  f.fs->FailNth(FsOp::kWriteAt, 1, EIO, ".log");
  auto failed = log->Append(MakeBatch({"two"}));
  REQUIRE(absl::IsDataLoss(failed.status()));
  CHECK(absl::StrContains(failed.status().message(), "00000000000000000000.log"));
  auto later = log->Append(MakeBatch({"three"}));
  CHECK(later.status() == failed.status());
  CHECK(log->log_end_offset() == 1);
}

TEST_CASE("an I/O error mapping a segment at open is a clear error naming the file",
          "[storage][fault]") {
  FaultFixture f;
  {
    auto log = f.Open();
    REQUIRE_OK(log->Append(MakeBatch({"a"})));
  }
  f.fs->FailNth(FsOp::kMap, 1, EIO, ".log");
  auto log = f.TryOpen();
  REQUIRE(absl::IsDataLoss(log.status()));
  CHECK(absl::StrContains(log.status().message(), "00000000000000000000.log"));
  f.fs->ClearFaults();
  auto again = f.TryOpen();
  REQUIRE_OK(again);
  CHECK(ReadValues(**again) == std::vector<std::string>{"a"});
}

TEST_CASE("an I/O error reading the leader epoch checkpoint at open is a clear error",
          "[storage][fault]") {
  FaultFixture f;
  {
    auto log = f.Open();
    REQUIRE_OK(log->Append(MakeBatch({"a"})));
  }
  f.fs->FailNth(FsOp::kReadAt, 1, EIO, "leader-epoch-checkpoint");
  auto log = f.TryOpen();
  REQUIRE(absl::IsDataLoss(log.status()));
  CHECK(absl::StrContains(log.status().message(), "leader-epoch-checkpoint"));
}

TEST_CASE("a failed fsync fails the log: every later append and flush returns that error",
          "[storage][fault]") {
  FaultFixture f;
  auto log = f.Open();
  REQUIRE_OK(log->Append(MakeBatch({"a"})));
  REQUIRE_OK(log->Flush());
  REQUIRE_OK(log->Append(MakeBatch({"b"})));

  SECTION("from Flush") {
    f.fs->FailNth(FsOp::kSync, 1, EIO);
    absl::Status s = log->Flush();
    REQUIRE(absl::IsDataLoss(s));
    CHECK(absl::StrContains(s.message(), "failed"));
    CHECK(absl::StrContains(s.message(), "Sync (injected fault)"));
    f.fs->ClearFaults();  // Retrying would now "succeed": the log must not.
    CHECK(log->failure() == s);
    CHECK(log->Flush() == s);
    CHECK(log->Append(MakeBatch({"c"})).status() == s);
    CHECK(log->RunMaintenance() == s);
    CHECK(log->recovery_point() == 1);
    CHECK(log->log_end_offset() == 2);
    CHECK(log->Close() == s);
  }
  SECTION("from a directory fsync after a roll") {
    log.reset();
    FaultFixture g;
    g.config.segment_bytes = 2500;
    auto log2 = g.Open();
    for (int i = 0; i < 3; ++i) REQUIRE_OK(log2->Append(MakeBatchOfSize(1000)));
    g.fs->FailNth(FsOp::kSyncDir, 1, EIO);
    absl::Status s = log2->Flush();
    REQUIRE(absl::IsDataLoss(s));
    g.fs->ClearFaults();
    CHECK(log2->Append(MakeBatch({"c"})).status() == s);
  }
  SECTION("from the flush that flush.messages triggers") {
    log.reset();
    FaultFixture g;
    g.config.flush_messages = 1;
    auto log2 = g.Open();
    REQUIRE_OK(log2->Append(MakeBatch({"a"})));
    g.fs->FailNth(FsOp::kSync, 1, EIO);
    auto failed = log2->Append(MakeBatch({"b"}));
    REQUIRE(absl::IsDataLoss(failed.status()));
    g.fs->ClearFaults();
    CHECK(log2->Append(MakeBatch({"c"})).status() == failed.status());
    CHECK(log2->recovery_point() == 1);
  }
}

TEST_CASE("a power loss keeps synced batches and drops the unsynced tail", "[storage][fault]") {
  bool on_disk = GENERATE(false, true);
  INFO((on_disk ? "posix" : "in-memory"));
  FaultFixture f(on_disk);
  auto log = f.Open();
  REQUIRE_OK(log->Append(MakeBatch({"a"})));
  REQUIRE_OK(log->Flush());
  REQUIRE_OK(log->Append(MakeBatch({"b"})));
  f.fs->PowerLoss();  // Unsynced bytes are gone; later calls fail.
  log.reset();
  f.fs->Restart();
  LogLoadReport report;
  log = f.Open(&report);
  CHECK(log->log_end_offset() == 1);
  CHECK(ReadValues(*log) == std::vector<std::string>{"a"});
  CHECK(report.recovered_segments == 1);
  CheckNoStrayFiles(f.fs.get(), f.log_dir());
}

TEST_CASE("a power loss right after a clean close loses nothing", "[storage][fault]") {
  FaultFixture f(/*on_disk=*/true);
  LogManagerOptions o;
  o.fs = f.fs.get();
  o.clock = &f.clock;
  o.dir = f.data_dir;
  LogConfig config = SmallConfig();
  config.segment_bytes = 2500;
  std::vector<std::string> values;
  {
    auto manager = LogManager::Open(o);
    REQUIRE_OK(manager);
    auto log = (*manager)->GetOrCreateLog("t", 0, config);
    REQUIRE_OK(log);
    for (int i = 0; i < 5; ++i) REQUIRE_OK((*log)->Append(MakeBatchOfSize(1000)));
    values = ReadValues(**log);
    REQUIRE_OK((*manager)->Close());
  }
  f.fs->PowerLoss();
  f.fs->Restart();
  o.config_for = [&](const std::string&) { return config; };
  auto manager = LogManager::Open(o);
  REQUIRE_OK(manager);
  CHECK((*manager)->opened_after_clean_shutdown());
  // What the marker promised is on disk: nothing needs a rescan.
  CHECK((*manager)->load_reports().at({"t", 0}).recovered_segments == 0);
  Log* log = (*manager)->GetLog("t", 0);
  REQUIRE(log != nullptr);
  CHECK(ReadValues(*log) == values);
  // Appends land right after the last batch, where readers will look.
  REQUIRE_OK(log->Append(MakeBatch({"next"})));
  std::vector<std::string> after = ReadValues(*log);
  CHECK(after.size() == values.size() + 1);
  CHECK(after.back() == "next");
}

TEST_CASE(
    "segments that recovery deletes after a corrupt batch stay deleted after a power "
    "loss",
    "[storage][fault][recovery]") {
  FaultFixture f;
  f.config.segment_bytes = 2500;
  auto padded = [](const std::string& v) { return v + std::string(900, '.'); };
  {
    auto log = f.Open();
    for (int i = 0; i < 6; ++i)
      REQUIRE_OK(log->Append(MakeBatch({padded(absl::StrCat("old", i))})));
    REQUIRE(testing::SegmentBases(*log) == std::vector<int64_t>{0, 2, 4});
    REQUIRE_OK(log->Flush());
  }
  // A bit flips in the second batch of the middle segment.
  {
    auto file =
        f.fs->Open(JoinPath(kLogDir, "00000000000000000002.log"), FileSystem::OpenMode::kReadWrite);
    REQUIRE_OK(file);
    uint64_t size = *(*file)->Size();
    uint8_t byte;
    REQUIRE_OK((*file)->ReadAt(size - 10, MutableByteSpan(&byte, 1)));
    byte ^= 0x40;
    REQUIRE_OK((*file)->WriteAt(size - 10, ByteSpan(&byte, 1)));
    REQUIRE_OK((*file)->Sync());
  }
  std::vector<std::string> expected;
  {
    LogLoadReport report;
    auto log = f.Open(&report);
    CHECK(report.truncated_from_offset == 3);
    CHECK(report.deleted_segments == 1);
    CHECK(log->log_end_offset() == 3);
    // One batch: no roll, so no new segment reuses the deleted one's name.
    REQUIRE_OK(log->Append(MakeBatch({padded("new3")})));
    REQUIRE_OK(log->Flush());
    expected = ReadValues(*log);
    REQUIRE(expected.size() == 4);
    f.fs->PowerLoss();
  }
  f.fs->Restart();
  auto log = f.Open();
  auto names = [](std::vector<std::string> values) {  // Without the padding.
    for (std::string& v : values) v = v.substr(0, v.find('.'));
    return values;
  };
  CHECK(names(ReadValues(*log)) == names(expected));
  CHECK(names(expected) == std::vector<std::string>{"old0", "old1", "old2", "new3"});
  CHECK(log->log_end_offset() == 4);
  CHECK(testing::SegmentBases(*log) == std::vector<int64_t>{0, 2});
}

TEST_CASE("an unclean open flushes every segment it rescanned", "[storage][fault][recovery]") {
  FaultFixture f;
  f.config.segment_bytes = 2500;
  {
    auto log = f.Open();
    for (int i = 0; i < 5; ++i) REQUIRE_OK(log->Append(MakeBatchOfSize(1000)));
    REQUIRE(testing::SegmentBases(*log) == std::vector<int64_t>{0, 2, 4});
  }
  int64_t syncs = f.fs->calls(FsOp::kSync);
  LogLoadReport report;
  auto log = f.Open(&report);  // No recovery point: all three are rescanned.
  CHECK(report.recovered_segments == 3);
  // The older two whole (their indexes were rebuilt), the active one's .log.
  CHECK(f.fs->calls(FsOp::kSync) - syncs == 2 * 3 + 1);
  CHECK(log->recovery_point() == 5);
}

TEST_CASE("flushed data survives power cuts at random points and every reopen recovers",
          "[storage][fault][random]") {
  const uint32_t seed = Catch::rngSeed() + 17;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  FaultFixture f;
  f.config.segment_bytes = 3000;
  f.config.index_interval_bytes = 300;
  f.config.segment_index_bytes = 240;     // Rolls on full indexes too.
  std::vector<std::string> acknowledged;  // Appended and flushed.
  int next = 0;
  for (int round = 0; round < 12; ++round) {
    INFO("round " << round);
    LogLoadReport report;
    auto log = f.Open(&report);
    std::vector<std::string> values = ReadValues(*log, /*allow_gaps=*/true);
    // What was flushed is there, in order; what was not may or may not be.
    REQUIRE(values.size() >= acknowledged.size());
    CHECK(std::equal(acknowledged.begin(), acknowledged.end(), values.begin()));
    acknowledged = values;
    int appends = std::uniform_int_distribution<int>(1, 30)(rng);
    for (int i = 0; i < appends; ++i) {
      std::string v = absl::StrCat("value-", next++, std::string(rng() % 400, 'x'));
      REQUIRE_OK(log->Append(MakeBatch({v})));
      if (rng() % 4 == 0) {
        REQUIRE_OK(log->Flush());
        acknowledged = ReadValues(*log, true);
      }
      if (rng() % 8 == 0) REQUIRE_OK(log->RunMaintenance());
    }
    f.fs->PowerLoss();
    log.reset();
    f.fs->Restart();
  }
  auto log = f.Open();
  std::vector<std::string> values = ReadValues(*log, true);
  REQUIRE(values.size() >= acknowledged.size());
  CHECK(std::equal(acknowledged.begin(), acknowledged.end(), values.begin()));
  CheckNoStrayFiles(f.fs.get(), kLogDir);
}

TEST_CASE("random write, allocate and sync failures never corrupt what reopens",
          "[storage][fault][random]") {
  const uint32_t seed = Catch::rngSeed() + 29;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  FaultFixture f;
  f.config.segment_bytes = 3000;
  f.config.write_mode = SegmentWriteMode::kPwrite;
  std::vector<std::string> acknowledged;
  for (int round = 0; round < 8; ++round) {
    INFO("round " << round);
    auto log = f.Open();
    std::vector<std::string> values = ReadValues(*log, true);
    REQUIRE(values.size() >= acknowledged.size());
    CHECK(std::equal(acknowledged.begin(), acknowledged.end(), values.begin()));
    acknowledged = values;
    f.fs->FailRandomly(FsOp::kWriteAt, 0.05, seed + round, ENOSPC);
    f.fs->FailRandomly(FsOp::kAllocate, 0.05, seed + round + 100, ENOSPC);
    f.fs->FailRandomly(FsOp::kSync, 0.05, seed + round + 200, EIO);
    for (int i = 0; i < 40; ++i) {
      std::string v = absl::StrCat("r", round, "-", i, std::string(rng() % 300, 'y'));
      auto appended = log->Append(MakeBatch({v}));
      if (!appended.ok() && !absl::IsResourceExhausted(appended.status())) break;  // Failed log.
      if (rng() % 3 == 0) {
        if (!log->Flush().ok()) break;
        acknowledged = ReadValues(*log, true);
      }
    }
    f.fs->ClearFaults();
    f.fs->PowerLoss();
    log.reset();
    f.fs->Restart();
  }
  auto log = f.Open();
  std::vector<std::string> values = ReadValues(*log, true);
  REQUIRE(values.size() >= acknowledged.size());
  CHECK(std::equal(acknowledged.begin(), acknowledged.end(), values.begin()));
}

}  // namespace
}  // namespace rill::storage
