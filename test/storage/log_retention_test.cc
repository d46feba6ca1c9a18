// Retention (reference 3): retention.ms by each segment's largest
// timestamp, retention.bytes, the log start offset; whole segments only,
// oldest first; renamed `.deleted`, removed after file.delete.delay.ms.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/storage/log.h"
#include "rill/clock.h"
#include "test/storage/storage_test_util.h"

namespace rill::storage {
namespace {

using testing::kT0;
using testing::ListSorted;
using testing::MakeBatchOfSize;
using testing::OpenTestLog;
using testing::SegmentBases;
using testing::SmallConfig;

const std::string kLogDir = "/data/test-0";

struct RetentionFixture {
  RetentionFixture() {
    fs = FileSystem::NewInMemory();
    REQUIRE_OK(fs->CreateDirs("/data"));
    config = SmallConfig();
    config.segment_bytes = 2500;  // Two 1000-byte batches a segment.
    config.file_delete_delay_ms = 60000;
  }
  std::unique_ptr<Log> Open() {
    auto log = OpenTestLog("/data", fs.get(), &clock, config);
    REQUIRE_OK(log);
    return std::move(*log);
  }
  void Append(Log& log, int64_t timestamp) {
    REQUIRE_OK(log.Append(MakeBatchOfSize(1000, timestamp)));
  }
  std::vector<std::string> Files() { return ListSorted(fs.get(), kLogDir); }

  std::unique_ptr<FileSystem> fs;
  ManualClock clock{absl::FromUnixMillis(kT0)};
  LogConfig config;
};

bool HasFile(const std::vector<std::string>& files, const std::string& name) {
  return std::find(files.begin(), files.end(), name) != files.end();
}

TEST_CASE("retention.ms deletes segments whose largest timestamp is older, oldest first",
          "[storage][retention]") {
  RetentionFixture f;
  f.config.retention_ms = 10000;
  auto log = f.Open();
  // Segments [0,1] [2,3] [4,5] [6]: the second's first batch is old but its
  // largest timestamp is new, so it stays, and so does everything after it.
  f.Append(*log, kT0 - 50000);
  f.Append(*log, kT0 - 40000);
  f.Append(*log, kT0 - 30000);
  f.Append(*log, kT0 - 1000);
  f.Append(*log, kT0 - 60000);
  f.Append(*log, kT0 - 60000);
  f.Append(*log, kT0 + 5000);
  REQUIRE(SegmentBases(*log) == std::vector<int64_t>{0, 2, 4, 6});

  auto deleted = log->RunRetention();
  REQUIRE_OK(deleted);
  CHECK(*deleted == 1);
  CHECK(SegmentBases(*log) == std::vector<int64_t>{2, 4, 6});
  CHECK(log->log_start_offset() == 2);
  CHECK(absl::IsOutOfRange(log->Read(1, 100).status()));
  CHECK(log->log_end_offset() == 7);

  SECTION("as the clock moves on, more segments age out") {
    f.clock.Advance(absl::Milliseconds(9000));  // [2,3] newest: kT0 - 1000, now 10000 old.
    REQUIRE_OK(log->RunRetention());
    CHECK(SegmentBases(*log) == std::vector<int64_t>{2, 4, 6});
    f.clock.Advance(absl::Milliseconds(1));
    auto more = log->RunRetention();
    REQUIRE_OK(more);
    CHECK(*more == 2);  // [2,3], then [4,5] whose records are older still.
    CHECK(SegmentBases(*log) == std::vector<int64_t>{6});
    CHECK(log->log_start_offset() == 6);
  }
}

TEST_CASE("retention.bytes deletes the oldest segments while the log stays above it",
          "[storage][retention]") {
  RetentionFixture f;
  f.config.retention_bytes = 3500;
  auto log = f.Open();
  for (int i = 0; i < 7; ++i) f.Append(*log, kT0);
  REQUIRE(log->size_bytes() == 7000);
  // 7000 - 3500 = 3500 too many: one 2000-byte segment fits in that; a
  // second would take the log below retention.bytes.
  auto deleted = log->RunRetention();
  REQUIRE_OK(deleted);
  CHECK(*deleted == 1);
  CHECK(SegmentBases(*log) == std::vector<int64_t>{2, 4, 6});
  CHECK(log->size_bytes() == 5000);
  auto again = log->RunRetention();
  REQUIRE_OK(again);
  CHECK(*again == 0);  // 1500 over: less than a segment.
  CHECK(log->log_start_offset() == 2);
}

TEST_CASE("retention never deletes the active segment without rolling a fresh one first",
          "[storage][retention]") {
  RetentionFixture f;
  f.config.retention_ms = 1000;
  auto log = f.Open();
  f.Append(*log, kT0);
  f.Append(*log, kT0);
  f.Append(*log, kT0);
  REQUIRE(SegmentBases(*log) == std::vector<int64_t>{0, 2});
  f.clock.Advance(absl::Seconds(10));

  auto deleted = log->RunRetention();
  REQUIRE_OK(deleted);
  CHECK(*deleted == 2);
  // A new, empty active segment at the log end; nothing is lost from the
  // offsets' point of view.
  CHECK(SegmentBases(*log) == std::vector<int64_t>{3});
  CHECK(log->log_start_offset() == 3);
  CHECK(log->log_end_offset() == 3);
  CHECK(log->segments()[0]->active());
  CHECK(log->segments()[0]->size() == 0);

  SECTION("the empty active segment itself is never deleted") {
    f.clock.Advance(absl::Hours(24));
    auto none = log->RunRetention();
    REQUIRE_OK(none);
    CHECK(*none == 0);
    CHECK(SegmentBases(*log) == std::vector<int64_t>{3});
  }
  SECTION("appends continue at the old end") {
    auto info = log->Append(MakeBatchOfSize(1000, f.clock.NowMs()));
    REQUIRE_OK(info);
    CHECK(info->first_offset == 3);
  }
}

TEST_CASE("deleted segments are renamed .deleted and removed after file.delete.delay.ms",
          "[storage][retention]") {
  RetentionFixture f;
  f.config.retention_bytes = 0;
  auto log = f.Open();
  for (int i = 0; i < 5; ++i) f.Append(*log, kT0);  // [0,1] [2,3] [4]
  auto deleted = log->RunRetention();
  REQUIRE_OK(deleted);
  CHECK(*deleted == 3);
  std::vector<std::string> files = f.Files();
  for (const char* base :
       {"00000000000000000000", "00000000000000000002", "00000000000000000004"}) {
    INFO(base);
    for (const char* kind : {".log", ".index", ".timeindex"}) {
      CHECK(HasFile(files, absl::StrCat(base, kind, ".deleted")));
      CHECK_FALSE(HasFile(files, absl::StrCat(base, kind)));
    }
  }
  CHECK(HasFile(files, "00000000000000000005.log"));

  f.clock.Advance(absl::Milliseconds(59999));
  REQUIRE_OK(log->RunMaintenance());
  CHECK(HasFile(f.Files(), "00000000000000000000.log.deleted"));
  f.clock.Advance(absl::Milliseconds(1));
  REQUIRE_OK(log->RunMaintenance());
  for (const std::string& name : f.Files()) CHECK_FALSE(absl::EndsWith(name, ".deleted"));
  CHECK(HasFile(f.Files(), "00000000000000000005.log"));
}

TEST_CASE("Close removes pending .deleted files at once", "[storage][retention]") {
  RetentionFixture f;
  f.config.retention_bytes = 0;
  auto log = f.Open();
  for (int i = 0; i < 3; ++i) f.Append(*log, kT0);
  REQUIRE_OK(log->RunRetention());
  REQUIRE(HasFile(f.Files(), "00000000000000000000.log.deleted"));
  REQUIRE_OK(log->Close());
  for (const std::string& name : f.Files()) CHECK_FALSE(absl::EndsWith(name, ".deleted"));
}

TEST_CASE("leftover .deleted files are removed when the log opens", "[storage][retention]") {
  RetentionFixture f;
  f.config.retention_bytes = 0;
  {
    auto log = f.Open();
    for (int i = 0; i < 3; ++i) f.Append(*log, kT0);
    REQUIRE_OK(log->RunRetention());
    REQUIRE(HasFile(f.Files(), "00000000000000000000.log.deleted"));
    // Copy the .deleted files aside, as if the process died before removing them.
    for (const std::string& name : f.Files()) {
      if (!absl::EndsWith(name, ".deleted")) continue;
      testing::WriteFile(f.fs.get(), JoinPath("/data", name),
                         testing::FileBytes(f.fs.get(), JoinPath(kLogDir, name)));
    }
  }
  for (const std::string& name : ListSorted(f.fs.get(), "/data")) {
    if (!absl::EndsWith(name, ".deleted")) continue;
    REQUIRE_OK(f.fs->Rename(JoinPath("/data", name), JoinPath(kLogDir, name)));
  }
  REQUIRE(HasFile(f.Files(), "00000000000000000000.log.deleted"));
  auto log = f.Open();
  for (const std::string& name : f.Files()) CHECK_FALSE(absl::EndsWith(name, ".deleted"));
  CHECK(log->log_end_offset() == 3);
}

TEST_CASE("retention.ms=-1 and retention.bytes=-1 keep everything", "[storage][retention]") {
  RetentionFixture f;
  f.config.retention_ms = -1;
  f.config.retention_bytes = -1;
  auto log = f.Open();
  for (int i = 0; i < 5; ++i) f.Append(*log, kT0 - 1'000'000'000);
  f.clock.Advance(absl::Hours(24 * 365));
  auto deleted = log->RunRetention();
  REQUIRE_OK(deleted);
  CHECK(*deleted == 0);
  CHECK(SegmentBases(*log) == std::vector<int64_t>{0, 2, 4});
}

TEST_CASE("without the delete cleanup policy only the log start offset deletes segments",
          "[storage][retention]") {
  RetentionFixture f;
  f.config.retention_ms = 1;
  f.config.retention_bytes = 0;
  f.config.delete_retention = false;
  auto log = f.Open();
  for (int i = 0; i < 5; ++i) f.Append(*log, kT0);
  f.clock.Advance(absl::Hours(1));
  auto deleted = log->RunRetention();
  REQUIRE_OK(deleted);
  CHECK(*deleted == 0);
  REQUIRE_OK(log->DeleteRecordsBefore(3));
  CHECK(SegmentBases(*log) == std::vector<int64_t>{2, 4});
  CHECK(log->log_start_offset() == 3);
}

TEST_CASE("the log start offset deletes segments whose next segment starts at or below it",
          "[storage][retention]") {
  RetentionFixture f;
  auto log = f.Open();
  for (int i = 0; i < 7; ++i) f.Append(*log, kT0);  // [0,1] [2,3] [4,5] [6]
  REQUIRE_OK(log->DeleteRecordsBefore(4));
  CHECK(SegmentBases(*log) == std::vector<int64_t>{4, 6});
  CHECK(log->log_start_offset() == 4);
  REQUIRE_OK(log->DeleteRecordsBefore(7));
  CHECK(SegmentBases(*log) == std::vector<int64_t>{6});  // The active one stays.
  CHECK(log->log_start_offset() == 7);
}

}  // namespace
}  // namespace rill::storage
