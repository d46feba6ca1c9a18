// One data directory: the lock, the clean-shutdown marker, the directory's
// checkpoints, read-only opens beside a writer, and deleting logs.

#include "lib/storage/log_manager.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/storage/checkpoint_file.h"
#include "rill/clock.h"
#include "test/storage/storage_test_util.h"
#include "test/support/faulty_file_system.h"

namespace rill::storage {
namespace {

using rill::testing::FaultyFileSystem;
using testing::FileBytes;
using testing::kT0;
using testing::MakeBatch;
using testing::MakeBatchOfSize;
using testing::ReadValues;
using testing::SmallConfig;
using testing::TempDir;

LogManagerOptions Options(FileSystem* fs, Clock* clock, const std::string& dir,
                          bool read_only = false) {
  LogManagerOptions o;
  o.fs = fs;
  o.clock = clock;
  o.dir = dir;
  o.read_only = read_only;
  o.config_for = [](const std::string&) { return SmallConfig(); };
  return o;
}

std::unique_ptr<LogManager> MustOpen(const LogManagerOptions& options) {
  auto manager = LogManager::Open(options);
  REQUIRE_OK(manager);
  return std::move(*manager);
}

Log* MustLog(LogManager& manager, const std::string& topic, int32_t partition,
             const LogConfig& config = SmallConfig()) {
  auto log = manager.GetOrCreateLog(topic, partition, config);
  REQUIRE_OK(log);
  return *log;
}

void AppendValues(Log& log, const std::vector<std::string>& values) {
  for (const std::string& v : values) REQUIRE_OK(log.Append(MakeBatch({v})));
}

// Every file under `root` (relative path → contents), to prove nothing changed.
std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    std::string relative = std::filesystem::relative(entry.path(), root).string();
    files[relative] =
        entry.is_directory() ? "<dir>" : FileBytes(FileSystem::Posix(), entry.path().string());
  }
  return files;
}

TEST_CASE("a second open of a data directory fails naming the directory and the owning pid",
          "[storage][manager][lock]") {
  TempDir dir;
  ManualClock clock;
  auto first = MustOpen(Options(FileSystem::Posix(), &clock, dir.path()));
  AppendValues(*MustLog(*first, "t", 0), {"a", "b"});

  auto second = LogManager::Open(Options(FileSystem::Posix(), &clock, dir.path()));
  REQUIRE(absl::IsFailedPrecondition(second.status()));
  CHECK(absl::StrContains(second.status().message(), dir.path()));
  CHECK(absl::StrContains(second.status().message(), absl::StrCat("process ", getpid())));

  // The refused manager wrote nothing: no checkpoints, and above all no
  // clean-shutdown marker that would make a crash of the owner look clean.
  CHECK_FALSE(*FileSystem::Posix()->Exists(dir.Join(kCleanShutdownMarker)));
  CHECK_FALSE(*FileSystem::Posix()->Exists(dir.Join(kRecoveryPointCheckpoint)));
  CHECK_FALSE(*FileSystem::Posix()->Exists(dir.Join(kLogStartOffsetCheckpoint)));

  SECTION("once the owner closes, the directory can be opened again") {
    REQUIRE_OK(first->Close());
    auto third = LogManager::Open(Options(FileSystem::Posix(), &clock, dir.path()));
    REQUIRE_OK(third);
    CHECK(ReadValues(*(*third)->GetLog("t", 0)) == std::vector<std::string>{"a", "b"});
  }
}

TEST_CASE("the in-memory file system locks a data directory too", "[storage][manager][lock]") {
  auto fs = FileSystem::NewInMemory();
  ManualClock clock;
  auto first = MustOpen(Options(fs.get(), &clock, "/data"));
  auto second = LogManager::Open(Options(fs.get(), &clock, "/data"));
  CHECK(absl::IsFailedPrecondition(second.status()));
  CHECK(absl::StrContains(second.status().message(), "/data"));
  CHECK(absl::StrContains(second.status().message(), absl::StrCat(getpid())));
}

TEST_CASE("Close writes Kafka-format checkpoints and the clean-shutdown marker; Open removes it",
          "[storage][manager]") {
  TempDir dir;
  ManualClock clock;
  FileSystem* fs = FileSystem::Posix();
  {
    auto manager = MustOpen(Options(fs, &clock, dir.path()));
    CHECK_FALSE(manager->opened_after_clean_shutdown());
    Log* a = MustLog(*manager, "a", 0);
    Log* b = MustLog(*manager, "b-topic", 1);
    AppendValues(*a, {"1", "2", "3"});
    AppendValues(*b, {"x", "y"});
    REQUIRE_OK(a->DeleteRecordsBefore(1));
    CHECK(manager->ListLogs() == std::vector<TopicPartition>{{"a", 0}, {"b-topic", 1}});
    REQUIRE_OK(manager->Close());
    REQUIRE_OK(manager->Close());  // Idempotent.
    CHECK(absl::IsFailedPrecondition(manager->GetOrCreateLog("c", 0, SmallConfig()).status()));
  }
  CHECK(FileBytes(fs, dir.Join(kRecoveryPointCheckpoint)) == "0\n2\na 0 3\nb-topic 1 2\n");
  CHECK(FileBytes(fs, dir.Join(kLogStartOffsetCheckpoint)) == "0\n2\na 0 1\nb-topic 1 0\n");
  CHECK(*fs->Exists(dir.Join(kCleanShutdownMarker)));

  auto manager = MustOpen(Options(fs, &clock, dir.path()));
  CHECK(manager->opened_after_clean_shutdown());
  CHECK_FALSE(*fs->Exists(dir.Join(kCleanShutdownMarker)));
  CHECK(manager->ListLogs() == std::vector<TopicPartition>{{"a", 0}, {"b-topic", 1}});
  REQUIRE(manager->load_reports().size() == 2);
  for (const auto& [tp, report] : manager->load_reports()) {
    INFO(tp.first);
    CHECK(report.recovered_segments == 0);
  }
  Log* a = manager->GetLog("a", 0);
  REQUIRE(a != nullptr);
  CHECK(a->log_start_offset() == 1);
  CHECK(ReadValues(*a) == std::vector<std::string>{"2", "3"});
  CHECK(ReadValues(*manager->GetLog("b-topic", 1)) == std::vector<std::string>{"x", "y"});
  CHECK(manager->GetLog("a", 1) == nullptr);
}

TEST_CASE("after an unclean stop the manager recovers from the checkpointed recovery point",
          "[storage][manager][recovery]") {
  TempDir dir;
  ManualClock clock;
  FaultyFileSystem fs(FileSystem::Posix());
  LogConfig config = SmallConfig();
  config.segment_bytes = 2500;
  int64_t recovery_point;
  {
    auto manager = MustOpen(Options(&fs, &clock, dir.path()));
    Log* log = MustLog(*manager, "t", 0, config);
    for (int i = 0; i < 5; ++i) REQUIRE_OK(log->Append(MakeBatchOfSize(1000)));
    REQUIRE_OK(manager->RunMaintenance());  // Flushes the rolled segments, checkpoints.
    recovery_point = log->recovery_point();
    REQUIRE(recovery_point == 4);
    for (int i = 0; i < 3; ++i) REQUIRE_OK(log->Append(MakeBatchOfSize(1000)));
    fs.PowerLoss();
  }
  fs.Restart();
  auto manager = MustOpen(Options(&fs, &clock, dir.path()));
  CHECK_FALSE(manager->opened_after_clean_shutdown());
  const LogLoadReport& report = manager->load_reports().at({"t", 0});
  Log* log = manager->GetLog("t", 0);
  REQUIRE(log != nullptr);
  // The two segments below the recovery point were trusted; the one holding
  // it and any after it (whether or not their files survived) rescanned.
  std::vector<int64_t> bases = testing::SegmentBases(*log);
  INFO("segments " << bases.size());
  CHECK(bases[0] == 0);
  CHECK(bases[1] == 2);
  CHECK(report.recovered_segments == static_cast<int>(bases.size()) - 2);
  CHECK(report.segments - report.recovered_segments == 2);
  CHECK(log->log_end_offset() >= recovery_point);
  // Every batch flushed before the power cut is there.
  CHECK(ReadValues(*log, /*allow_gaps=*/true).size() >= static_cast<size_t>(recovery_point));
}

TEST_CASE(
    "a read-only open reads another writer's directory up to its last complete batch "
    "and writes nothing",
    "[storage][manager][readonly]") {
  TempDir dir;
  ManualClock clock;
  FileSystem* fs = FileSystem::Posix();
  LogConfig config = SmallConfig();
  config.segment_bytes = 300;  // A few segments.
  auto writer = MustOpen(Options(fs, &clock, dir.path()));
  Log* log = MustLog(*writer, "t", 0, config);
  std::vector<std::string> values;
  for (int i = 0; i < 12; ++i) values.push_back(absl::StrCat("value-", i));
  AppendValues(*log, values);
  REQUIRE(log->segment_count() > 2);
  // A batch the writer is halfway through: its first 40 bytes are there.
  {
    const Segment& active = *log->segments().back();
    auto file = fs->Open(active.log_path(), FileSystem::OpenMode::kReadWrite);
    REQUIRE_OK(file);
    std::string header = FileBytes(fs, log->segments()[0]->log_path()).substr(0, 40);
    REQUIRE_OK((*file)->WriteAt(active.size(), AsBytes(header)));
  }
  std::map<std::string, std::string> before = Snapshot(dir.path());

  {
    auto reader = MustOpen(Options(fs, &clock, dir.path(), /*read_only=*/true));
    Log* read_log = reader->GetLog("t", 0);
    REQUIRE(read_log != nullptr);
    CHECK(read_log->log_end_offset() == 12);
    CHECK(ReadValues(*read_log) == values);
    CHECK(absl::IsFailedPrecondition(read_log->Append(MakeBatch({"no"})).status()));
    CHECK(absl::IsNotFound(reader->GetOrCreateLog("other", 0, config).status()));
    REQUIRE_OK(reader->RunMaintenance());
    REQUIRE_OK(reader->WriteCheckpoints());
    REQUIRE_OK(reader->Close());
  }
  CHECK(Snapshot(dir.path()) == before);
  // The writer carries on undisturbed.
  AppendValues(*log, {"after"});
  CHECK(log->log_end_offset() == 13);
}

TEST_CASE("a read-only open of a missing data directory is NotFound", "[storage][manager]") {
  TempDir dir;
  auto manager = LogManager::Open(
      Options(FileSystem::Posix(), Clock::System(), dir.Join("missing"), /*read_only=*/true));
  CHECK(absl::IsNotFound(manager.status()));
  CHECK_FALSE(*FileSystem::Posix()->Exists(dir.Join("missing")));
}

TEST_CASE("DeleteLog removes the log's directory; a new log of that name starts empty",
          "[storage][manager]") {
  TempDir dir;
  ManualClock clock;
  FileSystem* fs = FileSystem::Posix();
  {
    auto manager = MustOpen(Options(fs, &clock, dir.path()));
    Log* log = MustLog(*manager, "t", 0);
    AppendValues(*log, {"a", "b", "c"});
    REQUIRE_OK(log->DeleteRecordsBefore(2));
    MustLog(*manager, "keep", 0);
  }
  auto manager = MustOpen(Options(fs, &clock, dir.path()));
  REQUIRE(manager->GetLog("t", 0) != nullptr);
  REQUIRE_OK(manager->DeleteLog("t", 0));
  CHECK_FALSE(*fs->Exists(dir.Join("t-0")));
  CHECK(manager->GetLog("t", 0) == nullptr);
  CHECK(manager->ListLogs() == std::vector<TopicPartition>{{"keep", 0}});
  CHECK(absl::IsNotFound(manager->DeleteLog("t", 0)));

  Log* fresh = MustLog(*manager, "t", 0);
  CHECK(fresh->log_start_offset() == 0);
  CHECK(fresh->log_end_offset() == 0);
  CHECK(fresh->segments()[0]->base_offset() == 0);

  REQUIRE_OK(manager->DeleteLog("t", 0));
  REQUIRE_OK(manager->Close());
  CHECK(FileBytes(fs, dir.Join(kRecoveryPointCheckpoint)) == "0\n1\nkeep 0 0\n");
}

TEST_CASE("logs found at open get their topic's config", "[storage][manager]") {
  auto fs = FileSystem::NewInMemory();
  ManualClock clock;
  {
    auto manager = MustOpen(Options(fs.get(), &clock, "/data"));
    MustLog(*manager, "small", 0);
    MustLog(*manager, "big", 0);
  }
  LogManagerOptions o = Options(fs.get(), &clock, "/data");
  o.config_for = [](const std::string& topic) {
    LogConfig c = SmallConfig();
    c.segment_bytes = topic == "small" ? 1000 : 100000;
    return c;
  };
  auto manager = MustOpen(o);
  CHECK(manager->GetLog("small", 0)->config().segment_bytes == 1000);
  CHECK(manager->GetLog("big", 0)->config().segment_bytes == 100000);
}

TEST_CASE("RunMaintenance applies retention and writes the checkpoints", "[storage][manager]") {
  auto fs = FileSystem::NewInMemory();
  ManualClock clock{absl::FromUnixMillis(kT0)};
  auto manager = MustOpen(Options(fs.get(), &clock, "/data"));
  LogConfig config = SmallConfig();
  config.segment_bytes = 2500;
  config.retention_ms = 1000;
  Log* log = MustLog(*manager, "t", 0, config);
  for (int i = 0; i < 5; ++i) REQUIRE_OK(log->Append(MakeBatchOfSize(1000, kT0)));
  clock.Advance(absl::Seconds(2));
  REQUIRE_OK(manager->RunMaintenance());
  CHECK(log->log_start_offset() == 5);
  CHECK(FileBytes(fs.get(), "/data/log-start-offset-checkpoint") == "0\n1\nt 0 5\n");
  CHECK(FileBytes(fs.get(), "/data/recovery-point-offset-checkpoint") ==
        absl::StrCat("0\n1\nt 0 ", log->recovery_point(), "\n"));
}

}  // namespace
}  // namespace rill::storage
