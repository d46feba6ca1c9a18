// Log::AppendBatches: several batches appended with one gathered write must
// leave exactly the log that appending them one by one leaves (offsets,
// rolls, indexes, bytes), apply idempotence across the batches of one call,
// and on a full disk leave nothing half-done behind.

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/storage/log.h"
#include "rill/clock.h"
#include "test/storage/storage_test_util.h"
#include "test/support/faulty_file_system.h"

namespace rill::storage {
namespace {

using rill::testing::FaultyFileSystem;
using rill::testing::FsOp;
using testing::kT0;
using testing::MakeBatch;
using testing::MakeBatchOfSize;
using testing::ReadAll;
using testing::ReadValues;
using testing::SegmentBases;
using testing::SmallConfig;
using testing::TestBatch;
using testing::TestParams;

constexpr int kEnospc = 28;

struct Fixture {
  Fixture() { REQUIRE_OK(mem->CreateDirs("/data")); }
  std::unique_ptr<Log> Open(const LogConfig& config, FileSystem* fs = nullptr) {
    auto log = Log::Open(TestParams("/data", fs != nullptr ? fs : mem.get(), &clock, config));
    REQUIRE_OK(log);
    return std::move(*log);
  }
  std::unique_ptr<FileSystem> mem = FileSystem::NewInMemory();
  ManualClock clock{absl::FromUnixMillis(kT0)};
};

// Appends `batches` with one call; REQUIREs success and returns the infos.
std::vector<AppendInfo> MustAppendAll(Log& log, std::vector<TestBatch>& batches) {
  std::vector<MutableByteSpan> spans;
  for (TestBatch& b : batches) spans.push_back(b.span());
  std::vector<AppendInfo> infos(spans.size());
  size_t appended = 99;
  REQUIRE_OK(log.AppendBatches(spans, AppendOrigin::kClient, true, infos.data(), &appended));
  CHECK(appended == spans.size());
  return infos;
}

// Everything about a segment that grouping must not change.
struct SegmentShape {
  int64_t base;
  uint64_t size;
  int index_entries;
  int time_entries;
  int64_t max_timestamp;
  bool operator==(const SegmentShape&) const = default;
};
std::vector<SegmentShape> Shape(const Log& log) {
  std::vector<SegmentShape> out;
  for (const auto& s : log.segments()) {
    out.push_back({s->base_offset(), s->size(), s->offset_index().entry_count(),
                   s->time_index().entry_count(), s->max_timestamp()});
  }
  return out;
}
std::string LogBytes(const Log& log) {
  std::string bytes;
  for (const auto& s : log.segments()) {
    ByteSpan span = s->Slice(0, s->size());
    bytes.append(reinterpret_cast<const char*>(span.data()), span.size());
  }
  return bytes;
}

TEST_CASE("AppendBatches leaves the log that one Append per batch leaves",
          "[storage][log][append_batches]") {
  LogConfig config = SmallConfig();
  std::string name;
  SECTION("rolling on segment.bytes") {
    config.segment_bytes = 4096;
    name = "segment.bytes";
  }
  SECTION("rolling on segment.ms") {
    config.segment_ms = 40;
    name = "segment.ms";
  }
  SECTION("rolling on a full index") {
    config.segment_index_bytes = 48;  // 6 offset entries, 3 time entries.
    config.index_interval_bytes = 0;
    name = "index";
  }
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    INFO("roll on " << name << ", seed " << seed);
    std::mt19937_64 rng(seed);
    // The same batches for both logs (each log patches its own copy).
    std::vector<TestBatch> batches;
    int64_t ts = kT0;
    for (int i = 0; i < 60; ++i) {
      ts += static_cast<int64_t>(rng() % 7);
      std::vector<std::string> values(1 + rng() % 4, std::string(rng() % 400, 'a' + i % 26));
      batches.push_back(MakeBatch(values, ts));
    }
    Fixture one_by_one, grouped;
    auto a = one_by_one.Open(config);
    auto b = grouped.Open(config);
    std::vector<TestBatch> copy = batches;
    std::vector<AppendInfo> expected;
    for (TestBatch& batch : copy) {
      auto info = a->Append(batch);
      REQUIRE_OK(info);
      expected.push_back(*info);
    }
    for (size_t i = 0; i < batches.size();) {
      size_t n = std::min<size_t>(1 + rng() % 12, batches.size() - i);
      std::vector<TestBatch> group(batches.begin() + i, batches.begin() + i + n);
      std::vector<AppendInfo> infos = MustAppendAll(*b, group);
      for (size_t k = 0; k < n; ++k) {
        CHECK(infos[k].first_offset == expected[i + k].first_offset);
        CHECK(infos[k].last_offset == expected[i + k].last_offset);
        CHECK(infos[k].record_count == expected[i + k].record_count);
        CHECK(infos[k].max_timestamp == expected[i + k].max_timestamp);
        CHECK(infos[k].bytes == expected[i + k].bytes);
      }
      i += n;
    }
    CHECK(a->log_end_offset() == b->log_end_offset());
    CHECK(SegmentBases(*a) == SegmentBases(*b));
    CHECK(Shape(*a) == Shape(*b));
    CHECK(LogBytes(*a) == LogBytes(*b));
    CHECK(a->segment_count() > 1);  // The configs above do roll.
  }
}

TEST_CASE("AppendBatches reports each batch's offsets, and one group can cross a roll",
          "[storage][log][append_batches]") {
  Fixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 4096;
  auto log = f.Open(config);
  std::vector<TestBatch> batches;
  for (int i = 0; i < 6; ++i) batches.push_back(MakeBatchOfSize(1000));
  batches.push_back(MakeBatch({"x", "y", "z"}));
  std::vector<AppendInfo> infos = MustAppendAll(*log, batches);
  for (int i = 0; i < 6; ++i) {
    CHECK(infos[i].first_offset == i);
    CHECK(infos[i].last_offset == i);
    CHECK(infos[i].bytes == 1000);
  }
  CHECK(infos[6].first_offset == 6);
  CHECK(infos[6].last_offset == 8);
  CHECK(infos[6].record_count == 3);
  CHECK(SegmentBases(*log) == std::vector<int64_t>{0, 4});
  CHECK(log->log_end_offset() == 9);
  auto records = ReadAll(*log);
  REQUIRE_OK(records);
  REQUIRE(records->size() == 9);
  for (int i = 0; i < 9; ++i) CHECK((*records)[i].offset == i);
}

TEST_CASE("an invalid batch anywhere in the call appends none of them",
          "[storage][log][append_batches]") {
  Fixture f;
  auto log = f.Open(SmallConfig());
  std::vector<TestBatch> batches = {MakeBatch({"a"}), MakeBatch({"b"}), MakeBatch({"c"})};
  batches[2].bytes[format::kCrcOffset] ^= 0x01;
  std::vector<MutableByteSpan> spans;
  for (TestBatch& b : batches) spans.push_back(b.span());
  std::vector<AppendInfo> infos(3);
  size_t appended = 99;
  absl::Status s = log->AppendBatches(spans, AppendOrigin::kClient, true, infos.data(), &appended);
  CHECK_FALSE(s.ok());
  CHECK(appended == 0);
  CHECK(log->log_end_offset() == 0);
  CHECK(log->segments().back()->size() == 0);
}

format::BatchOptions Idempotent(int32_t sequence) {
  format::BatchOptions o;
  o.producer_id = 7;
  o.producer_epoch = 0;
  o.base_sequence = sequence;
  return o;
}

TEST_CASE("an idempotent producer's batches follow each other within one call",
          "[storage][log][append_batches][idempotence]") {
  Fixture f;
  auto log = f.Open(SmallConfig());
  std::vector<TestBatch> first = {MakeBatch({"a", "b"}, kT0, Idempotent(0)),
                                  MakeBatch({"c"}, kT0, Idempotent(2)),
                                  MakeBatch({"d", "e"}, kT0, Idempotent(3))};
  std::vector<AppendInfo> infos = MustAppendAll(*log, first);
  CHECK(infos[2].last_offset == 4);
  CHECK(log->log_end_offset() == 5);

  SECTION("a retried batch in a later call is a duplicate with its original offsets") {
    std::vector<TestBatch> retry = {MakeBatch({"c"}, kT0, Idempotent(2)),
                                    MakeBatch({"f"}, kT0, Idempotent(5))};
    infos = MustAppendAll(*log, retry);
    CHECK(infos[0].duplicate);
    CHECK(infos[0].first_offset == 2);
    CHECK(infos[0].last_offset == 2);
    CHECK_FALSE(infos[1].duplicate);
    CHECK(infos[1].first_offset == 5);
    CHECK(ReadValues(*log) == std::vector<std::string>{"a", "b", "c", "d", "e", "f"});
  }
  SECTION("a sequence gap appends the batches before it and fails the call") {
    std::vector<TestBatch> gap = {MakeBatch({"f"}, kT0, Idempotent(5)),
                                  MakeBatch({"g"}, kT0, Idempotent(9)),
                                  MakeBatch({"h"}, kT0, Idempotent(10))};
    std::vector<MutableByteSpan> spans;
    for (TestBatch& b : gap) spans.push_back(b.span());
    std::vector<AppendInfo> out(3);
    size_t appended = 99;
    absl::Status s = log->AppendBatches(spans, AppendOrigin::kClient, true, out.data(), &appended);
    CHECK(absl::IsFailedPrecondition(s));
    CHECK(absl::StrContains(s.message(), "out of order sequence"));
    CHECK(appended == 1);
    CHECK(out[0].first_offset == 5);
    CHECK(ReadValues(*log) == std::vector<std::string>{"a", "b", "c", "d", "e", "f"});
  }
}

TEST_CASE("a full disk in the middle of a group leaves the log and its producer state as before",
          "[storage][log][append_batches][faults]") {
  Fixture f;
  FaultyFileSystem faulty(f.mem.get());
  LogConfig config = SmallConfig();
  config.write_mode = SegmentWriteMode::kPwrite;
  auto log = f.Open(config, &faulty);
  std::vector<TestBatch> before = {MakeBatch({"a"}, kT0, Idempotent(0))};
  MustAppendAll(*log, before);
  uint64_t size = log->segments().back()->size();

  // The test file system writes a gathered write piece by piece: the
  // second piece hits the full disk after the first landed.
  faulty.FailNth(FsOp::kWriteAt, 2, kEnospc, ".log");
  std::vector<TestBatch> group = {MakeBatch({"b"}, kT0, Idempotent(1)),
                                  MakeBatch({"c"}, kT0, Idempotent(2)),
                                  MakeBatch({"d"}, kT0, Idempotent(3))};
  std::vector<MutableByteSpan> spans;
  for (TestBatch& b : group) spans.push_back(b.span());
  std::vector<AppendInfo> infos(3);
  size_t appended = 99;
  absl::Status s = log->AppendBatches(spans, AppendOrigin::kClient, true, infos.data(), &appended);
  CHECK(absl::IsResourceExhausted(s));
  CHECK(appended == 0);
  CHECK(log->log_end_offset() == 1);
  CHECK_OK(log->failure());  // A full disk does not fail the log.
  // The batch that landed before the error was cut off the file again, so
  // no recovery can bring back a batch reported as failed.
  CHECK(testing::FileSize(f.mem.get(), "/data/test-0/00000000000000000000.log") == size);

  // The producer retries the same sequences once there is room: they are
  // new to the log, not duplicates and not a gap.
  std::vector<TestBatch> retry = {MakeBatch({"b"}, kT0, Idempotent(1)),
                                  MakeBatch({"c"}, kT0, Idempotent(2)),
                                  MakeBatch({"d"}, kT0, Idempotent(3))};
  infos = MustAppendAll(*log, retry);
  for (const AppendInfo& info : infos) CHECK_FALSE(info.duplicate);
  CHECK(ReadValues(*log) == std::vector<std::string>{"a", "b", "c", "d"});
}

TEST_CASE("flush.messages is applied once after the group, before it is reported",
          "[storage][log][append_batches][flush]") {
  Fixture f;
  FaultyFileSystem faulty(f.mem.get());
  LogConfig config = SmallConfig();
  config.flush_messages = 1;
  auto log = f.Open(config, &faulty);
  // The first append also writes the leader-epoch checkpoint (synced).
  std::vector<TestBatch> first = {MakeBatch({"first"})};
  MustAppendAll(*log, first);
  int64_t syncs = faulty.calls(FsOp::kSync);
  std::vector<TestBatch> group = {MakeBatch({"a"}), MakeBatch({"b"}), MakeBatch({"c"})};
  MustAppendAll(*log, group);
  CHECK(faulty.calls(FsOp::kSync) == syncs + 1);
  CHECK(log->recovery_point() == 4);

  SECTION("a failed flush reports none of the group appended, and fails the log") {
    faulty.FailNth(FsOp::kSync, 1, 5);
    std::vector<TestBatch> more = {MakeBatch({"d"}), MakeBatch({"e"})};
    std::vector<MutableByteSpan> spans;
    for (TestBatch& b : more) spans.push_back(b.span());
    std::vector<AppendInfo> infos(2);
    size_t appended = 99;
    absl::Status s =
        log->AppendBatches(spans, AppendOrigin::kClient, true, infos.data(), &appended);
    CHECK_FALSE(s.ok());
    CHECK(appended == 0);
    CHECK_FALSE(log->failure().ok());
  }
}

}  // namespace
}  // namespace rill::storage
