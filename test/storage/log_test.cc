// The log of one partition: offsets, validation, rolling (reference 3),
// reads, timestamps, truncation, flushing, reopening, and readers running
// beside the writer.

#include "lib/storage/log.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/format/record_batch_view.h"
#include "lib/storage/checkpoint_file.h"
#include "lib/storage/log_file_names.h"
#include "lib/storage/zero_filler.h"
#include "rill/clock.h"
#include "test/storage/storage_test_util.h"
#include "test/support/faulty_file_system.h"

namespace rill::storage {
namespace {

using rill::testing::FaultyFileSystem;
using rill::testing::FsOp;
using testing::FileBytes;
using testing::kT0;
using testing::MakeBatch;
using testing::MakeBatchOfSize;
using testing::OpenTestLog;
using testing::ReadAll;
using testing::ReadRecord;
using testing::ReadValues;
using testing::SegmentBases;
using testing::SmallConfig;
using testing::TempDir;
using testing::TestBatch;
using testing::TestParams;

// An in-memory file system with a data directory and a manual clock.
struct LogFixture {
  LogFixture() {
    mem = FileSystem::NewInMemory();
    REQUIRE_OK(mem->CreateDirs("/data"));
  }
  std::unique_ptr<Log> Open(const LogConfig& config = SmallConfig(),
                            LogLoadReport* report = nullptr, FileSystem* fs = nullptr) {
    auto log = OpenTestLog("/data", fs != nullptr ? fs : mem.get(), &clock, config, report);
    REQUIRE_OK(log);
    return std::move(*log);
  }
  std::unique_ptr<Log> OpenWith(LogOpenParams params, LogLoadReport* report = nullptr) {
    auto log = Log::Open(params, report);
    REQUIRE_OK(log);
    return std::move(*log);
  }
  LogOpenParams Params(const LogConfig& config = SmallConfig()) {
    return TestParams("/data", mem.get(), &clock, config);
  }

  std::unique_ptr<FileSystem> mem;
  ManualClock clock{absl::FromUnixMillis(kT0)};
};

AppendInfo MustAppend(Log& log, TestBatch batch) {
  auto info = log.Append(batch);
  REQUIRE_OK(info);
  return *info;
}

// Bytes of all the log's `.log` files (zeros ahead of the data included).
uint64_t LogFileBytes(const LogFixture& f, const Log& log) {
  uint64_t total = 0;
  for (const std::string& name : testing::ListSorted(f.mem.get(), log.dir())) {
    if (absl::EndsWith(name, ".log"))
      total += testing::FileSize(f.mem.get(), JoinPath(log.dir(), name));
  }
  return total;
}

std::vector<std::string> Numbered(const std::string& prefix, int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(absl::StrCat(prefix, i));
  return v;
}

TEST_CASE("a new log is empty, with one empty segment at offset 0", "[storage][log]") {
  LogFixture f;
  auto log = f.Open();
  CHECK(log->log_start_offset() == 0);
  CHECK(log->log_end_offset() == 0);
  CHECK(log->segment_count() == 1);
  CHECK(log->size_bytes() == 0);
  CHECK(log->dir() == "/data/test-0");
  CHECK(testing::ListSorted(f.mem.get(), "/data/test-0") ==
        std::vector<std::string>{"00000000000000000000.index", "00000000000000000000.log",
                                 "00000000000000000000.timeindex"});
  auto read = log->Read(0, 1000);
  REQUIRE_OK(read);
  CHECK(read->batches.empty());
  CHECK(read->log_end_offset == 0);
}

TEST_CASE("Open rejects an invalid config naming it", "[storage][log]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 1;
  auto log = OpenTestLog("/data", f.mem.get(), &f.clock, config);
  CHECK(absl::IsInvalidArgument(log.status()));
  CHECK(absl::StrContains(log.status().message(), "segment.bytes"));
}

TEST_CASE("Append assigns offsets from the log end and patches base offset and leader epoch",
          "[storage][log]") {
  LogFixture f;
  auto log = f.Open();
  format::BatchOptions o;
  o.base_offset = 999;  // Whatever the producer put there is overwritten.
  AppendInfo a = MustAppend(*log, MakeBatch({"a", "b", "c"}, kT0, o));
  CHECK(a.first_offset == 0);
  CHECK(a.last_offset == 2);
  CHECK(a.record_count == 3);
  CHECK(a.max_timestamp == kT0);
  CHECK(a.log_append_time_ms == -1);
  AppendInfo b = MustAppend(*log, MakeBatch({"d", "e"}, kT0 + 1, o));
  CHECK(b.first_offset == 3);
  CHECK(b.last_offset == 4);
  CHECK(log->log_end_offset() == 5);
  CHECK(log->size_bytes() == a.bytes + b.bytes);

  auto read = log->Read(0, 1 << 20);
  REQUIRE_OK(read);
  auto first = format::RecordBatchView::Parse(read->batches.subspan(0, a.bytes));
  REQUIRE_OK(first);
  CHECK(first->base_offset() == 0);
  CHECK(first->partition_leader_epoch() == 0);
  CHECK_OK(first->VerifyCrc());
  auto second = format::RecordBatchView::Parse(read->batches.subspan(a.bytes));
  REQUIRE_OK(second);
  CHECK(second->base_offset() == 3);
  CHECK(second->partition_leader_epoch() == 0);

  auto records = ReadAll(*log);
  REQUIRE_OK(records);
  CHECK(*records ==
        std::vector<ReadRecord>{
            {0, kT0, "a"}, {1, kT0, "b"}, {2, kT0, "c"}, {3, kT0 + 1, "d"}, {4, kT0 + 1, "e"}});
  // The first append of epoch 0 is recorded, in Kafka's format.
  CHECK(FileBytes(f.mem.get(), "/data/test-0/leader-epoch-checkpoint") == "0\n1\n0 0\n");
}

TEST_CASE("a batch larger than max.message.bytes is refused, naming its size and the limit",
          "[storage][log][validation]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.max_message_bytes = 1000;
  auto log = f.Open(config);
  MustAppend(*log, MakeBatchOfSize(1000));  // At the limit: fine.
  auto big = log->Append(MakeBatchOfSize(1001));
  REQUIRE(absl::IsInvalidArgument(big.status()));
  CHECK(absl::StrContains(big.status().message(), "1001"));
  CHECK(absl::StrContains(big.status().message(), "max.message.bytes (1000)"));
  CHECK(log->log_end_offset() == 1);
  CHECK_OK(log->failure());
  MustAppend(*log, MakeBatch({"after"}));  // The log is fine.
  CHECK(log->log_end_offset() == 2);
}

TEST_CASE("a batch with a bad CRC is refused and the log stays usable",
          "[storage][log][validation]") {
  LogFixture f;
  auto log = f.Open();
  TestBatch batch = MakeBatch({"hello"});
  batch.bytes.back() ^= 0x01;  // A flipped bit in the last record.
  auto bad = log->Append(batch);
  CHECK(absl::IsDataLoss(bad.status()));
  CHECK(absl::StrContains(absl::AsciiStrToLower(bad.status().message()), "crc"));
  CHECK(log->log_end_offset() == 0);
  CHECK(log->size_bytes() == 0);
  MustAppend(*log, MakeBatch({"good"}));
  CHECK(ReadValues(*log) == std::vector<std::string>{"good"});
}

TEST_CASE("a malformed batch is refused before it reaches the log", "[storage][log][validation]") {
  LogFixture f;
  auto log = f.Open();
  TestBatch batch = MakeBatch({"x"});
  batch.bytes.resize(30);  // Not even a header.
  CHECK_FALSE(log->Append(batch).ok());
  CHECK(log->log_end_offset() == 0);
}

TEST_CASE("a control batch is refused from a client and accepted from the coordinator",
          "[storage][log][validation]") {
  LogFixture f;
  auto log = f.Open();
  format::BatchOptions o;
  o.is_control = true;
  o.is_transactional = true;
  o.producer_id = 7;
  o.producer_epoch = 0;
  o.base_sequence = 0;
  auto client = log->Append(MakeBatch({"marker"}, kT0, o));
  CHECK(absl::IsInvalidArgument(client.status()));
  CHECK(absl::StrContains(client.status().message(), "control"));
  TestBatch marker = MakeBatch({"marker"}, kT0, o);
  auto coordinator = log->Append(marker, AppendOrigin::kCoordinator, /*validate_records=*/false);
  REQUIRE_OK(coordinator);
  CHECK(coordinator->first_offset == 0);
  CHECK(log->log_end_offset() == 1);
}

TEST_CASE("a batch whose record count does not match lastOffsetDelta is refused",
          "[storage][log][validation]") {
  LogFixture f;
  auto log = f.Open();
  format::RecordBatchBuilder builder;
  REQUIRE_OK(builder.Append(kT0, std::nullopt, absl::string_view("a")));
  REQUIRE_OK(builder.Append(kT0, std::nullopt, absl::string_view("b")));
  builder.set_last_offset_delta(5);
  auto built = builder.Build();
  REQUIRE_OK(built);
  TestBatch batch{std::vector<uint8_t>(built->begin(), built->end())};
  auto result = log->Append(batch);
  CHECK(absl::IsInvalidArgument(result.status()));
  CHECK(absl::StrContains(result.status().message(), "2 records"));
  CHECK(absl::StrContains(result.status().message(), "lastOffsetDelta 5"));
  CHECK(log->log_end_offset() == 0);
}

TEST_CASE("an idempotent batch without a base sequence is refused", "[storage][log][validation]") {
  LogFixture f;
  auto log = f.Open();
  format::BatchOptions o;
  o.producer_id = 42;
  o.producer_epoch = 0;
  o.base_sequence = -1;
  auto result = log->Append(MakeBatch({"a"}, kT0, o));
  CHECK(absl::IsInvalidArgument(result.status()));
  CHECK(absl::StrContains(result.status().message(), "42"));
}

TEST_CASE("the log rolls before a batch would take the segment past segment.bytes",
          "[storage][log][roll]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 4096;
  auto log = f.Open(config);
  // 1000-byte batches: four fit (4000), the fifth would make 5000.
  for (int i = 0; i < 10; ++i) MustAppend(*log, MakeBatchOfSize(1000));
  CHECK(SegmentBases(*log) == std::vector<int64_t>{0, 4, 8});
  for (const auto& s : log->segments()) CHECK(s->size() <= 4096);
  CHECK(log->segments()[0]->size() == 4000);
  CHECK_FALSE(log->segments()[0]->active());
  CHECK(log->segments()[2]->active());
  // A rolled segment's files were trimmed to their contents.
  CHECK(testing::FileSize(f.mem.get(), "/data/test-0/00000000000000000000.log") == 4000);
  CHECK(testing::FileSize(f.mem.get(), "/data/test-0/00000000000000000000.index") == 0);
  CHECK(ReadValues(*log).size() == 10);

  SECTION("a batch larger than segment.bytes still goes in, alone in its segment") {
    LogConfig big = config;
    big.segment_bytes = 1500;
    big.max_message_bytes = 3000;
    LogFixture g;
    auto log2 = g.Open(big);
    MustAppend(*log2, MakeBatchOfSize(100));
    MustAppend(*log2, MakeBatchOfSize(2000));
    MustAppend(*log2, MakeBatchOfSize(100));
    CHECK(SegmentBases(*log2) == std::vector<int64_t>{0, 1, 2});
  }
}

TEST_CASE("the log rolls once the segment's records span segment.ms", "[storage][log][roll]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_ms = 1000;
  auto log = f.Open(config);
  MustAppend(*log, MakeBatch({"a"}, f.clock.NowMs()));
  f.clock.Advance(absl::Milliseconds(1000));
  MustAppend(*log, MakeBatch({"b"}, f.clock.NowMs()));  // Exactly segment.ms: no roll.
  CHECK(log->segment_count() == 1);
  f.clock.Advance(absl::Milliseconds(1));
  MustAppend(*log, MakeBatch({"c"}, f.clock.NowMs()));  // Past it: roll.
  CHECK(SegmentBases(*log) == std::vector<int64_t>{0, 2});
  // Measured from the new segment's first batch.
  f.clock.Advance(absl::Milliseconds(1000));
  MustAppend(*log, MakeBatch({"d"}, f.clock.NowMs()));
  CHECK(log->segment_count() == 2);
  f.clock.Advance(absl::Milliseconds(1));
  MustAppend(*log, MakeBatch({"e"}, f.clock.NowMs()));
  CHECK(SegmentBases(*log) == std::vector<int64_t>{0, 2, 4});
}

TEST_CASE("a first batch without a timestamp times segment.ms from the segment's creation",
          "[storage][log][roll]") {
  // Kafka's LogSegment.shouldRoll: a first batch with maxTimestamp -1 gives
  // no rolling timestamp, so the segment's creation time counts instead.
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_ms = 1000;
  auto log = f.Open(config);
  MustAppend(*log, MakeBatch({"untimed"}, -1));
  MustAppend(*log, MakeBatch({"b"}, f.clock.NowMs()));  // Was a roll: now - (-1) spans decades.
  CHECK(log->segment_count() == 1);
  f.clock.Advance(absl::Milliseconds(1001));
  MustAppend(*log, MakeBatch({"c"}, f.clock.NowMs()));  // Created 1001 ms ago: roll.
  CHECK(SegmentBases(*log) == std::vector<int64_t>{0, 2});
}

TEST_CASE("segment.jitter.ms makes a segment roll early but never late", "[storage][log][roll]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_ms = 1000;
  config.segment_jitter_ms = 500;
  auto log = f.Open(config);
  int64_t first = f.clock.NowMs();
  MustAppend(*log, MakeBatch({"first"}, first));
  int64_t rolled_after = -1;
  for (int step = 1; step <= 20 && rolled_after < 0; ++step) {
    f.clock.Advance(absl::Milliseconds(50));
    MustAppend(*log, MakeBatch({"x"}, f.clock.NowMs()));
    if (log->segment_count() == 2) rolled_after = f.clock.NowMs() - first;
  }
  INFO("rolled after " << rolled_after << " ms");
  CHECK(rolled_after > 500);
  CHECK(rolled_after <= 1050);  // The first 50 ms step past segment.ms at the latest.
}

TEST_CASE("the log rolls when the active segment's index is full", "[storage][log][roll]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_index_bytes = 48;  // 6 offset entries; 4 time entries, full at 3.
  config.index_interval_bytes = 0;  // An entry for every batch but a segment's first.
  auto log = f.Open(config);

  SECTION("the time index fills first when timestamps rise") {
    for (int i = 0; i < 9; ++i) MustAppend(*log, MakeBatch({"v"}, kT0 + i));
    CHECK(SegmentBases(*log) == std::vector<int64_t>{0, 4, 8});
    const Segment& first = *log->segments()[0];
    CHECK(first.offset_index().entry_count() == 3);
    CHECK(first.time_index().entry_count() == 3);
  }
  SECTION("the offset index fills when timestamps stay the same") {
    for (int i = 0; i < 15; ++i) MustAppend(*log, MakeBatch({"v"}, kT0));
    CHECK(SegmentBases(*log) == std::vector<int64_t>{0, 7, 14});
    CHECK(log->segments()[0]->offset_index().entry_count() == 6);
  }
  CHECK_OK(log->failure());
}

TEST_CASE(
    "a batch whose offsets would not fit 32 bits of the segment base starts a new "
    "segment at its own base offset",
    "[storage][log][roll]") {
  LogFixture f;
  auto log = f.Open();
  format::BatchOptions o;
  o.base_offset = 0;
  TestBatch first = MakeBatch({"a"}, kT0, o);
  REQUIRE_OK(log->Append(first, AppendOrigin::kReplication));
  int64_t far = int64_t{INT32_MAX} + 10;
  o.base_offset = far;
  TestBatch second = MakeBatch({"b", "c"}, kT0, o);
  auto info = log->Append(second, AppendOrigin::kReplication);
  REQUIRE_OK(info);
  CHECK(info->first_offset == far);
  CHECK(SegmentBases(*log) == std::vector<int64_t>{0, far});
  CHECK(log->log_end_offset() == far + 2);
  auto records = ReadAll(*log, far);
  REQUIRE_OK(records);
  CHECK(testing::Values(*records) == std::vector<std::string>{"b", "c"});

  SECTION("and the segments survive a reopen with recovery") {
    log.reset();
    LogLoadReport report;
    log = f.Open(SmallConfig(), &report);
    CHECK(report.truncated_bytes == 0);
    CHECK(log->log_end_offset() == far + 2);
    CHECK(SegmentBases(*log) == std::vector<int64_t>{0, far});
  }
}

TEST_CASE("a replicated batch keeps its offsets and may not go below the log end",
          "[storage][log]") {
  LogFixture f;
  auto log = f.Open();
  format::BatchOptions o;
  o.base_offset = 10;
  o.partition_leader_epoch = 3;
  TestBatch batch = MakeBatch({"a", "b"}, kT0, o);
  auto info = log->Append(batch, AppendOrigin::kReplication);
  REQUIRE_OK(info);
  CHECK(info->first_offset == 10);
  CHECK(log->log_end_offset() == 12);
  CHECK(FileBytes(f.mem.get(), "/data/test-0/leader-epoch-checkpoint") == "0\n1\n3 10\n");
  o.base_offset = 11;
  TestBatch stale = MakeBatch({"c"}, kT0, o);
  CHECK(absl::IsInvalidArgument(log->Append(stale, AppendOrigin::kReplication).status()));
}

TEST_CASE("Read returns whole batches from the one holding the offset", "[storage][log][read]") {
  LogFixture f;
  auto log = f.Open();
  // Three batches of three records: offsets 0-2, 3-5, 6-8.
  std::vector<AppendInfo> infos;
  for (int b = 0; b < 3; ++b) infos.push_back(MustAppend(*log, MakeBatch(Numbered("r", 3), kT0)));
  uint64_t batch_bytes = infos[0].bytes;

  SECTION("an offset inside a batch starts at that batch") {
    auto r = log->Read(4, 1 << 20);
    REQUIRE_OK(r);
    CHECK(r->batches.size() == 2 * batch_bytes);
    auto first = format::RecordBatchView::Parse(r->batches.subspan(0, batch_bytes));
    REQUIRE_OK(first);
    CHECK(first->base_offset() == 3);
    CHECK(r->log_end_offset == 9);
    CHECK(r->log_start_offset == 0);
    CHECK(r->segment != nullptr);
  }
  SECTION("max_bytes smaller than a batch still returns one whole batch") {
    auto r = log->Read(0, 1);
    REQUIRE_OK(r);
    CHECK(r->batches.size() == batch_bytes);
  }
  SECTION("max_bytes cuts at a batch boundary, never inside a batch") {
    auto r = log->Read(0, 2 * batch_bytes + batch_bytes / 2);
    REQUIRE_OK(r);
    CHECK(r->batches.size() == 2 * batch_bytes);
    auto exact = log->Read(0, 3 * batch_bytes);
    REQUIRE_OK(exact);
    CHECK(exact->batches.size() == 3 * batch_bytes);
  }
  SECTION("max_offset stops before the batch starting at it") {
    auto r = log->Read(0, 1 << 20, /*max_offset=*/6);
    REQUIRE_OK(r);
    CHECK(r->batches.size() == 2 * batch_bytes);
    auto none = log->Read(6, 1 << 20, 6);
    REQUIRE_OK(none);
    CHECK(none->batches.empty());
  }
  SECTION("at the log end the read is empty; past it OutOfRange naming the range") {
    auto end = log->Read(9, 1 << 20);
    REQUIRE_OK(end);
    CHECK(end->batches.empty());
    CHECK(end->segment == nullptr);
    auto past = log->Read(10, 1 << 20);
    CHECK(absl::IsOutOfRange(past.status()));
    CHECK(absl::StrContains(past.status().message(), "[0, 9]"));
    CHECK(absl::IsOutOfRange(log->Read(-1, 1 << 20).status()));
  }
}

TEST_CASE("reads cross segment boundaries one segment at a time", "[storage][log][read]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 2500;
  auto log = f.Open(config);
  for (int i = 0; i < 7; ++i) MustAppend(*log, MakeBatchOfSize(1000));
  REQUIRE(SegmentBases(*log) == std::vector<int64_t>{0, 2, 4, 6});
  auto r = log->Read(1, 1 << 20);
  REQUIRE_OK(r);
  CHECK(r->batches.size() == 1000);  // The rest of the first segment.
  auto next = log->Read(2, 1 << 20);
  REQUIRE_OK(next);
  CHECK(next->batches.size() == 2000);
  CHECK(next->segment == log->segments()[1]);
  CHECK(ReadValues(*log).size() == 7);
}

TEST_CASE("a reader keeps its bytes after retention deleted their segment",
          "[storage][log][read][retention]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 2500;
  config.retention_bytes = 0;
  config.file_delete_delay_ms = 0;  // Files go at once.
  auto log = f.Open(config);
  for (int i = 0; i < 5; ++i) MustAppend(*log, MakeBatch({absl::StrCat("value-", i)}));
  auto held = log->Read(0, 1 << 20);
  REQUIRE_OK(held);
  std::vector<uint8_t> copy(held->batches.begin(), held->batches.end());

  auto deleted = log->RunRetention();
  REQUIRE_OK(deleted);
  CHECK(*deleted >= 1);
  CHECK(log->log_start_offset() == 5);
  CHECK_FALSE(*f.mem->Exists("/data/test-0/00000000000000000000.log"));
  CHECK(absl::IsOutOfRange(log->Read(0, 100).status()));

  CHECK(std::vector<uint8_t>(held->batches.begin(), held->batches.end()) == copy);
  std::vector<ReadRecord> records;
  REQUIRE_OK(testing::DecodeBatches(held->batches, &records));
  CHECK(records.front().value == "value-0");
}

TEST_CASE("OffsetForTimestamp finds the first record at or after a timestamp",
          "[storage][log][timestamp]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 200;  // Two batches a segment.
  config.index_interval_bytes = 0;
  auto log = f.Open(config);
  // Offsets 0..11, four batches of three, timestamps 100, 110, ... 210 but
  // batch 2 goes back in time (150, 140, 145).
  std::vector<std::vector<int64_t>> stamps = {
      {100, 110, 120}, {130, 160, 170}, {150, 140, 145}, {180, 200, 210}};
  for (const auto& s : stamps) {
    format::RecordBatchBuilder builder;
    for (int64_t ts : s) REQUIRE_OK(builder.Append(ts, std::nullopt, absl::string_view("v")));
    auto built = builder.Build();
    REQUIRE_OK(built);
    MustAppend(*log, TestBatch{std::vector<uint8_t>(built->begin(), built->end())});
  }
  REQUIRE(log->segment_count() > 1);
  struct Case {
    int64_t target;
    std::optional<int64_t> offset, timestamp;
  };
  for (Case c : {Case{0, 0, 100}, Case{100, 0, 100}, Case{101, 1, 110}, Case{125, 3, 130},
                 Case{140, 4, 160}, Case{161, 5, 170}, Case{171, 9, 180}, Case{210, 11, 210},
                 Case{211, std::nullopt, std::nullopt}}) {
    INFO("target " << c.target);
    auto found = log->OffsetForTimestamp(c.target);
    REQUIRE_OK(found);
    REQUIRE(found->has_value() == c.offset.has_value());
    if (c.offset) {
      CHECK((*found)->offset == *c.offset);
      CHECK((*found)->timestamp == *c.timestamp);
    }
  }
  SECTION("records below the log start are not returned") {
    REQUIRE_OK(log->DeleteRecordsBefore(2));
    auto found = log->OffsetForTimestamp(0);
    REQUIRE_OK(found);
    REQUIRE(found->has_value());
    CHECK((*found)->offset == 2);
  }
}

TEST_CASE("message.timestamp.type=LogAppendTime stamps batches with the log's clock",
          "[storage][log][timestamp]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.message_timestamp_type = format::TimestampType::kLogAppendTime;
  auto log = f.Open(config);
  f.clock.Advance(absl::Seconds(5));
  int64_t now = f.clock.NowMs();
  AppendInfo info = MustAppend(*log, MakeBatch({"a", "b"}, /*timestamp_ms=*/12345));
  CHECK(info.log_append_time_ms == now);
  CHECK(info.max_timestamp == now);

  auto read = log->Read(0, 1 << 20);
  REQUIRE_OK(read);
  auto batch = format::RecordBatchView::Parse(read->batches);
  REQUIRE_OK(batch);
  CHECK(batch->timestamp_type() == format::TimestampType::kLogAppendTime);
  CHECK(batch->max_timestamp() == now);
  CHECK_OK(batch->VerifyCrc());
  auto records = ReadAll(*log);
  REQUIRE_OK(records);
  CHECK(*records == std::vector<ReadRecord>{{0, now, "a"}, {1, now, "b"}});
  auto found = log->OffsetForTimestamp(now);
  REQUIRE_OK(found);
  REQUIRE(found->has_value());
  CHECK((*found)->offset == 0);
}

TEST_CASE("TruncateTo removes every batch at or past the offset, across segments",
          "[storage][log][truncate]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 2000;
  config.index_interval_bytes = 0;  // Index entries everywhere: stale ones would show.
  auto log = f.Open(config);
  const std::string a(100, 'a'), b(100, 'b');
  for (int i = 0; i < 20; ++i) MustAppend(*log, MakeBatch({a, b}));  // Offsets 2i, 2i + 1.
  REQUIRE(log->segment_count() >= 3);
  int64_t second_base = log->segments()[1]->base_offset();
  REQUIRE(second_base > 4);

  SECTION("into an older segment: later segments go, appends continue from the cut") {
    REQUIRE_OK(log->TruncateTo(2));
    CHECK(log->log_end_offset() == 2);
    CHECK(log->segment_count() == 1);
    CHECK(ReadValues(*log) == std::vector<std::string>{a, b});
    // Batches of another size now sit where the old ones were.
    for (int i = 0; i < 8; ++i) MustAppend(*log, MakeBatchOfSize(150));
    CHECK(log->log_end_offset() == 10);
    // Every offset reads back from the batch now holding it.
    for (int64_t offset = 0; offset < log->log_end_offset(); ++offset) {
      INFO("offset " << offset);
      auto records = ReadAll(*log, offset);
      REQUIRE_OK(records);
      REQUIRE_FALSE(records->empty());
      CHECK(records->front().offset == offset);
    }
    std::vector<std::string> values = ReadValues(*log);
    CHECK(values.size() == 10);

    SECTION("and a clean reopen agrees") {
      REQUIRE_OK(log->Close());
      LogOpenParams p = f.Params(config);
      p.clean_shutdown = true;
      LogLoadReport report;
      auto reopened = f.OpenWith(p, &report);
      CHECK(report.recovered_segments == 0);
      CHECK(ReadValues(*reopened) == values);
      for (int64_t offset = 0; offset < reopened->log_end_offset(); ++offset) {
        INFO("offset " << offset);
        auto records = ReadAll(*reopened, offset);
        REQUIRE_OK(records);
        REQUIRE_FALSE(records->empty());
        CHECK(records->front().offset == offset);
      }
    }
  }
  SECTION("inside a batch: the whole batch goes") {
    REQUIRE_OK(log->TruncateTo(5));
    CHECK(log->log_end_offset() == 4);
    CHECK(ReadValues(*log).size() == 4);
  }
  SECTION("at a segment's base: that segment goes entirely") {
    REQUIRE_OK(log->TruncateTo(second_base));
    CHECK(log->log_end_offset() == second_base);
    CHECK(log->segment_count() == 1);
    CHECK_FALSE(*f.mem->Exists(absl::StrCat("/data/test-0/", OffsetFileStem(second_base), ".log")));
  }
  SECTION("at or past the end: nothing changes") {
    REQUIRE_OK(log->TruncateTo(45));
    CHECK(log->log_end_offset() == 40);
  }
  SECTION("the recovery point does not stay past the new end") {
    REQUIRE_OK(log->Flush());
    REQUIRE(log->recovery_point() == 40);
    REQUIRE_OK(log->TruncateTo(6));
    CHECK(log->recovery_point() == 6);
  }
}

TEST_CASE("DeleteRecordsBefore moves the log start and drops segments wholly below it",
          "[storage][log][retention]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 2500;
  auto log = f.Open(config);
  for (int i = 0; i < 7; ++i) MustAppend(*log, MakeBatchOfSize(1000));
  REQUIRE(SegmentBases(*log) == std::vector<int64_t>{0, 2, 4, 6});

  REQUIRE_OK(log->DeleteRecordsBefore(3));
  CHECK(log->log_start_offset() == 3);
  CHECK(SegmentBases(*log) == std::vector<int64_t>{2, 4, 6});
  CHECK(absl::IsOutOfRange(log->Read(2, 100).status()));
  auto r = log->Read(3, 100);
  REQUIRE_OK(r);
  CHECK(r->log_start_offset == 3);
  auto batch = format::RecordBatchView::Parse(r->batches);
  REQUIRE_OK(batch);
  CHECK(batch->base_offset() == 3);

  REQUIRE_OK(log->DeleteRecordsBefore(1));  // Backwards: nothing.
  CHECK(log->log_start_offset() == 3);
  auto past = log->DeleteRecordsBefore(8);
  CHECK(absl::IsOutOfRange(past));
  REQUIRE_OK(log->DeleteRecordsBefore(7));  // Up to the end: the active segment stays.
  CHECK(log->log_start_offset() == 7);
  CHECK(SegmentBases(*log) == std::vector<int64_t>{6});
  CHECK(ReadValues(*log).empty());
}

TEST_CASE("Flush makes everything appended durable and moves the recovery point to the end",
          "[storage][log][flush]") {
  LogFixture f;
  FaultyFileSystem fs(f.mem.get());
  LogConfig config = SmallConfig();
  config.segment_bytes = 2500;
  auto log = f.Open(config, nullptr, &fs);
  CHECK(log->recovery_point() == 0);
  for (int i = 0; i < 5; ++i) MustAppend(*log, MakeBatchOfSize(1000));
  CHECK(log->recovery_point() == 0);
  int64_t syncs = fs.calls(FsOp::kSync);
  REQUIRE_OK(log->Flush());
  CHECK(log->recovery_point() == 5);
  // The rolled segments' .log, .index and .timeindex; the active one's .log
  // (its indexes are rebuilt by any recovery, which always covers it).
  CHECK(fs.calls(FsOp::kSync) - syncs == 2 * 3 + 1);
  CHECK(fs.calls(FsOp::kSyncDir) >= 1);
}

TEST_CASE("flush.messages=1 flushes on every append", "[storage][log][flush]") {
  LogFixture f;
  FaultyFileSystem fs(f.mem.get());
  LogConfig config = SmallConfig();
  config.flush_messages = 1;
  auto log = f.Open(config, nullptr, &fs);
  MustAppend(*log, MakeBatch({"first"}));  // Also writes the leader epoch checkpoint.
  CHECK(log->recovery_point() == 1);
  for (int i = 1; i < 4; ++i) {
    int64_t syncs = fs.calls(FsOp::kSync);
    MustAppend(*log, MakeBatch({"x"}));
    CHECK(log->recovery_point() == i + 1);
    CHECK(fs.calls(FsOp::kSync) - syncs == 1);  // The active segment's .log.
  }
}

TEST_CASE("flush.messages counts records, not batches", "[storage][log][flush]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.flush_messages = 5;
  auto log = f.Open(config);
  MustAppend(*log, MakeBatch({"a", "b", "c"}));
  CHECK(log->recovery_point() == 0);
  MustAppend(*log, MakeBatch({"d", "e"}));
  CHECK(log->recovery_point() == 5);
}

TEST_CASE("flush.ms flushes from RunMaintenance once the oldest unflushed append is that old",
          "[storage][log][flush]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.flush_ms = 1000;
  auto log = f.Open(config);
  MustAppend(*log, MakeBatch({"a"}));
  f.clock.Advance(absl::Milliseconds(999));
  REQUIRE_OK(log->RunMaintenance());
  CHECK(log->recovery_point() == 0);
  f.clock.Advance(absl::Milliseconds(1));
  REQUIRE_OK(log->RunMaintenance());
  CHECK(log->recovery_point() == 1);
}

TEST_CASE(
    "RunMaintenance flushes rolled segments and moves the recovery point to the active "
    "segment",
    "[storage][log][flush]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 2500;
  auto log = f.Open(config);
  for (int i = 0; i < 5; ++i) MustAppend(*log, MakeBatchOfSize(1000));
  REQUIRE_OK(log->RunMaintenance());
  CHECK(log->recovery_point() == 4);
}

TEST_CASE("after a clean shutdown the log opens without scanning anything",
          "[storage][log][recovery]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 2500;
  std::vector<std::string> values;
  {
    auto log = f.Open(config);
    for (int i = 0; i < 7; ++i) MustAppend(*log, MakeBatch({absl::StrCat("v", i)}));
    values = ReadValues(*log);
    REQUIRE_OK(log->Close());
    CHECK(absl::IsFailedPrecondition(log->Append(MakeBatch({"late"})).status()));
    CHECK(absl::IsFailedPrecondition(log->Flush()));
  }
  LogOpenParams p = f.Params(config);
  p.clean_shutdown = true;
  LogLoadReport report;
  auto log = f.OpenWith(p, &report);
  CHECK(report.recovered_segments == 0);
  CHECK(report.recovered_bytes == 0);
  CHECK(report.segments == 1);
  CHECK(log->log_end_offset() == 7);
  CHECK(log->recovery_point() == 7);
  CHECK(ReadValues(*log) == values);
  MustAppend(*log, MakeBatch({"more"}));
  CHECK(log->log_end_offset() == 8);
}

TEST_CASE("after an unclean stop the log rescans from the segment holding the recovery point",
          "[storage][log][recovery]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 2500;
  {
    auto log = f.Open(config);
    for (int i = 0; i < 9; ++i) MustAppend(*log, MakeBatchOfSize(1000));
    REQUIRE(SegmentBases(*log) == std::vector<int64_t>{0, 2, 4, 6, 8});
  }
  // Opened as after a crash: no clean-shutdown flag, a recovery point below the end.
  LogOpenParams p = f.Params(config);
  p.recovery_point = 5;  // Inside the segment at 4.
  LogLoadReport report;
  auto log = f.OpenWith(p, &report);
  CHECK(report.segments == 5);
  CHECK(report.recovered_segments == 3);  // Segments 4, 6 and 8.
  CHECK(report.recovered_bytes == 5000);
  CHECK(report.truncated_bytes == 0);
  CHECK(report.corruption.empty());
  CHECK(log->log_end_offset() == 9);
  CHECK(log->recovery_point() == 9);
  CHECK(ReadValues(*log).size() == 9);

  SECTION("no recovery point: everything is rescanned") {
    log.reset();
    LogOpenParams q = f.Params(config);
    LogLoadReport all;
    auto again = f.OpenWith(q, &all);
    CHECK(all.recovered_segments == 5);
  }
}

TEST_CASE("an unclean open cuts a zero-filled tail left by preallocation",
          "[storage][log][recovery]") {
  TempDir dir;
  ManualClock clock{absl::FromUnixMillis(kT0)};
  FileSystem* fs = FileSystem::Posix();
  LogConfig config = SmallConfig();
  std::string log_path = dir.Join("test-0/00000000000000000000.log");
  {
    auto log = OpenTestLog(dir.path(), fs, &clock, config);
    REQUIRE_OK(log);
    for (int i = 0; i < 3; ++i) MustAppend(**log, MakeBatchOfSize(1000));
  }
  // Close trimmed the file; grow it back with zeros, as a crash would leave it.
  {
    auto file = fs->Open(log_path, FileSystem::OpenMode::kReadWrite);
    REQUIRE_OK(file);
    REQUIRE_OK((*file)->Allocate(0, 1 << 20));
  }
  LogLoadReport report;
  auto log = OpenTestLog(dir.path(), fs, &clock, config, &report);
  REQUIRE_OK(log);
  CHECK(report.truncated_bytes == (1 << 20) - 3000);
  CHECK(report.truncated_from_offset == -1);  // Zeros are not lost data.
  CHECK(report.corruption.empty());
  CHECK((*log)->log_end_offset() == 3);
  MustAppend(**log, MakeBatchOfSize(1000));
  CHECK(ReadValues(**log).size() == 4);
}

TEST_CASE("a segment that recovery cuts and makes the active one keeps its rebuilt index",
          "[storage][log][recovery]") {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 5500;
  config.index_interval_bytes = 0;  // An entry for every batch but the first.
  {
    auto log = f.Open(config);
    for (int i = 0; i < 8; ++i) REQUIRE_OK(log->Append(MakeBatchOfSize(1000)));
    REQUIRE(SegmentBases(*log) == std::vector<int64_t>{0, 5});
  }
  // Damage the last batch of the first segment.
  std::string path = "/data/test-0/00000000000000000000.log";
  {
    auto file = f.mem->Open(path, FileSystem::OpenMode::kReadWrite);
    REQUIRE_OK(file);
    uint8_t byte = 0;
    REQUIRE_OK((*file)->ReadAt(4500, MutableByteSpan(&byte, 1)));
    byte ^= 0xff;
    REQUIRE_OK((*file)->WriteAt(4500, ByteSpan(&byte, 1)));
  }
  LogLoadReport report;
  auto log = f.Open(config, &report);
  CHECK(report.truncated_from_offset == 4);
  CHECK(report.deleted_segments == 1);
  REQUIRE(SegmentBases(*log) == std::vector<int64_t>{0});
  const Segment& active = *log->segments()[0];
  CHECK(active.active());
  // Batches 1-3 have entries; the file is preallocated again for appends.
  CHECK(active.offset_index().entry_count() == 3);
  CHECK(active.offset_index().last_offset() == 3);
  CHECK(testing::FileSize(f.mem.get(), "/data/test-0/00000000000000000000.index") ==
        static_cast<uint64_t>(config.segment_index_bytes));
  // As in Kafka, the index.interval.bytes count starts afresh when a segment
  // is opened: the first append after it adds no entry, the second does.
  REQUIRE_OK(log->Append(MakeBatchOfSize(200)));
  CHECK(active.offset_index().entry_count() == 3);
  REQUIRE_OK(log->Append(MakeBatchOfSize(200)));
  REQUIRE(log->segment_count() == 1);
  CHECK(active.offset_index().entry_count() == 4);
  CHECK(active.offset_index().last_offset() == 5);
  CHECK(ReadValues(*log).size() == 6);
}

TEST_CASE("a read-only log reads but refuses every write", "[storage][log]") {
  LogFixture f;
  {
    auto log = f.Open();
    MustAppend(*log, MakeBatch({"a", "b"}));
  }
  LogOpenParams p = f.Params();
  p.read_only = true;
  auto log = f.OpenWith(p);
  CHECK(ReadValues(*log) == std::vector<std::string>{"a", "b"});
  CHECK(absl::IsFailedPrecondition(log->Append(MakeBatch({"c"})).status()));
  CHECK(absl::IsFailedPrecondition(log->Flush()));
  CHECK(absl::IsFailedPrecondition(log->TruncateTo(0)));
  CHECK(absl::IsFailedPrecondition(log->DeleteRecordsBefore(1)));
  CHECK(absl::IsFailedPrecondition(log->RunRetention().status()));
}

// Readers running beside the writer must only ever see whole, valid
// batches with consecutive offsets.
void RunConcurrentReaders(SegmentWriteMode mode) {
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 8 * 1024;
  config.index_interval_bytes = 512;
  config.write_mode = mode;
  auto log = f.Open(config);
  constexpr int kBatches = 600;
  const uint32_t seed = Catch::rngSeed();
  INFO("seed " << seed);

  std::atomic<bool> done{false};
  std::atomic<int64_t> records_checked{0};
  std::atomic<int> failures{0};
  std::vector<std::string> errors(3);
  auto reader = [&](int id) {
    std::mt19937 rng(seed + id);
    while (!done.load(std::memory_order_acquire)) {
      int64_t end = log->log_end_offset();
      if (end == 0) continue;
      int64_t from = std::uniform_int_distribution<int64_t>(0, end - 1)(rng);
      auto r = log->Read(from, std::uniform_int_distribution<uint64_t>(1, 8192)(rng));
      std::vector<ReadRecord> records;
      absl::Status s = r.ok() ? testing::DecodeBatches(r->batches, &records) : r.status();
      if (s.ok() && records.empty()) s = absl::InternalError("empty read below the end");
      for (size_t i = 0; s.ok() && i < records.size(); ++i) {
        int64_t expected = records[0].offset + static_cast<int64_t>(i);
        if (records[i].offset != expected || records[i].value != absl::StrCat("v", expected)) {
          s = absl::InternalError(
              absl::StrCat("offset ", records[i].offset, " holds ", records[i].value));
        }
      }
      if (s.ok() && records.front().offset > from) {
        s = absl::InternalError(
            absl::StrCat("read at ", from, " started at ", records.front().offset));
      }
      if (!s.ok()) {
        if (failures.fetch_add(1) == 0) errors[id] = s.ToString();
        return;
      }
      records_checked.fetch_add(static_cast<int64_t>(records.size()));
    }
  };
  std::vector<std::thread> readers;
  for (int id = 0; id < 3; ++id) readers.emplace_back(reader, id);
  std::mt19937 rng(seed);
  int64_t next = 0;
  for (int b = 0; b < kBatches; ++b) {
    int n = std::uniform_int_distribution<int>(1, 5)(rng);
    std::vector<std::string> values;
    for (int i = 0; i < n; ++i) values.push_back(absl::StrCat("v", next++));
    auto info = log->Append(MakeBatch(values, kT0 + b));
    REQUIRE_OK(info);
    if (b % 100 == 99) {
      // Make sure the readers really run beside the writer, not after it.
      int64_t seen = records_checked.load();
      while (records_checked.load() == seen && failures.load() == 0) std::this_thread::yield();
    }
  }
  done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  std::string all_errors;
  for (const std::string& e : errors) all_errors += e + "\n";
  INFO(all_errors);
  CHECK(failures.load() == 0);
  CHECK(records_checked.load() > 0);
  CHECK(log->segment_count() > 3);
  auto all = ReadAll(*log);
  REQUIRE_OK(all);
  CHECK(static_cast<int64_t>(all->size()) == next);
}

TEST_CASE("readers beside the writer never see a partial batch (mmap writes)",
          "[storage][log][concurrency]") {
  RunConcurrentReaders(SegmentWriteMode::kMmap);
}

TEST_CASE("readers beside the writer never see a partial batch (pwrite writes)",
          "[storage][log][concurrency]") {
  RunConcurrentReaders(SegmentWriteMode::kPwrite);
}

TEST_CASE("a log that syncs often gets zeros written ahead, and a clean close cuts them",
          "[storage][log][zero_fill]") {
  for (int64_t flush_messages : {int64_t{1}, INT64_MAX}) {
    INFO("flush.messages " << flush_messages);
    LogFixture f;
    ZeroFiller filler(/*chunk_bytes=*/4096, /*ahead_bytes=*/16384);
    LogConfig config = SmallConfig();  // 64 KiB segments: several rolls.
    config.flush_messages = flush_messages;
    LogOpenParams params = f.Params(config);
    params.zero_filler = &filler;
    auto log = f.OpenWith(params);
    auto file_bytes = [&] { return LogFileBytes(f, *log); };
    std::vector<std::string> values;
    bool zeros_seen = false;
    for (int i = 0; i < 400; ++i) {
      values.push_back(absl::StrCat("value-", i, std::string(250, 'x')));
      MustAppend(*log, MakeBatch({values.back()}, kT0 + i));
      // The filler runs on its own thread: look for its zeros as we go.
      if (file_bytes() > log->size_bytes()) zeros_seen = true;
    }
    for (int wait = 0; wait < 500 && flush_messages == 1 && !zeros_seen; ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      zeros_seen = file_bytes() > log->size_bytes();
    }
    CHECK(log->segment_count() > 1);
    // Two syncs within half a chunk turn zero fill on; no syncs, never.
    CHECK(zeros_seen == (flush_messages == 1));
    CHECK(ReadValues(*log) == values);
    REQUIRE_OK(log->Close());
    CHECK(file_bytes() == log->size_bytes());
    auto reopened = f.Open(config);
    CHECK(ReadValues(*reopened) == values);
  }
}

TEST_CASE(
    "a log that never syncs writes zeros ahead while it appends fast; one that syncs does not",
    "[storage][log][zeros_ahead]") {
  struct Case {
    int64_t flush_messages;
    int64_t flush_ms;
    int64_t ms_per_append;  // How far the clock moves between appends.
    bool zeros;
  };
  for (Case c : {Case{INT64_MAX, INT64_MAX, 0, true}, Case{1000, INT64_MAX, 0, false},
                 Case{INT64_MAX, 60'000, 0, false},
                 // 1 KB every 10 ms: 100 KB a second, too slow to overwrite
                 // zeros before writeback would write them.
                 Case{INT64_MAX, INT64_MAX, 10, false}}) {
    INFO("flush.messages " << c.flush_messages << ", flush.ms " << c.flush_ms << ", "
                           << c.ms_per_append << " ms per append");
    const int64_t flush_messages = c.flush_messages;
    LogFixture f;
    LogConfig config = SmallConfig();  // 64 KiB segments: several rolls.
    config.flush_messages = flush_messages;
    config.flush_ms = c.flush_ms;
    LogOpenParams params = f.Params(config);
    params.zeros_ahead = true;
    auto log = f.OpenWith(params);
    auto file_bytes = [&] { return LogFileBytes(f, *log); };
    std::vector<std::string> values;
    bool zeros_seen = false;
    for (int i = 0; i < 600; ++i) {
      values.push_back(absl::StrCat("value-", i, std::string(1000, 'x')));
      MustAppend(*log, MakeBatch({values.back()}, kT0 + i));
      if (file_bytes() > log->size_bytes()) zeros_seen = true;
      f.clock.Advance(absl::Milliseconds(c.ms_per_append));
    }
    CHECK(log->segment_count() > 1);
    CHECK(zeros_seen == c.zeros);
    CHECK(ReadValues(*log) == values);
    REQUIRE_OK(log->Close());
    CHECK(file_bytes() == log->size_bytes());
    auto reopened = f.Open(config);
    CHECK(ReadValues(*reopened) == values);
  }
}

TEST_CASE("WriteAhead writes the zeros early, only for a log whose appends asked for them",
          "[storage][log][zeros_ahead]") {
  constexpr uint64_t kPiece = 256 << 10;  // Segment's kZerosAheadBytes.
  enum class Kind { kFast, kSyncs, kNoZeros, kSyncsSince, kClosed };
  const Kind kind =
      GENERATE(Kind::kFast, Kind::kSyncs, Kind::kNoZeros, Kind::kSyncsSince, Kind::kClosed);
  INFO("case " << static_cast<int>(kind));
  LogFixture f;
  LogConfig config = SmallConfig();
  config.segment_bytes = 8 << 20;  // No roll.
  config.segment_index_bytes = 1 << 20;
  if (kind == Kind::kSyncs) config.flush_messages = 1 << 20;  // Never reached: only the setting.
  LogOpenParams params = f.Params(config);
  params.zeros_ahead = kind != Kind::kNoZeros;
  auto log = f.OpenWith(params);
  auto file_bytes = [&] { return LogFileBytes(f, *log); };
  std::vector<std::string> values;
  auto append = [&] {
    values.push_back(absl::StrCat("value-", values.size(), std::string(1000, 'x')));
    MustAppend(*log, MakeBatch({values.back()}, kT0));
  };
  // Until the zeros run out (or, without zeros, up to 600 KB): a fast log
  // writes zeros inline once fewer than half a piece lie ahead.
  while (file_bytes() == log->size_bytes() && log->size_bytes() < 600'000) append();
  const uint64_t zeros_end = file_bytes();
  // Then up to where more than half a piece but less than a whole one is
  // left: the inline write still waits, WriteAhead does not.
  while (log->size_bytes() + kPiece <= zeros_end) append();
  REQUIRE(log->size_bytes() + kPiece / 2 < zeros_end + (kind == Kind::kFast ? 0 : kPiece));
  if (kind == Kind::kSyncsSince) {
    LogConfig syncs = config;
    syncs.flush_ms = 60'000;
    REQUIRE_OK(log->SetConfig(syncs));
  }
  if (kind == Kind::kClosed) REQUIRE_OK(log->Close());
  const uint64_t before = file_bytes();
  log->WriteAhead();
  if (kind == Kind::kFast) {
    CHECK(before == zeros_end);
    // Through the piece boundary a whole piece past the data.
    CHECK(file_bytes() == (log->size_bytes() + 2 * kPiece - 1) / kPiece * kPiece);
    const uint64_t after = file_bytes();
    log->WriteAhead();  // A whole piece ahead now: nothing to do.
    CHECK(file_bytes() == after);
    append();
    CHECK(ReadValues(*log) == values);
    REQUIRE_OK(log->Close());
  } else {
    CHECK(file_bytes() == before);
    if (kind != Kind::kClosed) REQUIRE_OK(log->Close());
  }
  CHECK(file_bytes() == log->size_bytes());
  auto reopened = f.Open(config);
  CHECK(ReadValues(*reopened) == values);
}

TEST_CASE(
    "with zeros ahead, a disk that fails writes loses no acknowledged batch and keeps no zeros",
    "[storage][log][zeros_ahead][fault]") {
  LogFixture f;
  FaultyFileSystem fs(f.mem.get());
  LogConfig config = SmallConfig();  // 64 KiB segments: rolls, and zeros each time.
  LogOpenParams params = f.Params(config);
  params.fs = &fs;
  params.zeros_ahead = true;
  auto log = f.OpenWith(params);
  // One .log write in five fails as a full disk would: the zeros' writes
  // and the batches' alike.
  fs.FailRandomly(FsOp::kWriteAt, 0.2, /*seed=*/7, ENOSPC, ".log");
  std::vector<std::string> acknowledged;
  int refused = 0;
  for (int i = 0; i < 600; ++i) {
    std::string value = absl::StrCat("value-", i, std::string(1000, 'x'));
    auto appended = log->Append(MakeBatch({value}, kT0 + i));
    if (appended.ok()) {
      acknowledged.push_back(value);
    } else {
      CHECK(absl::IsResourceExhausted(appended.status()));
      ++refused;
    }
  }
  CHECK(refused > 0);
  CHECK(fs.injected_failures() > refused);  // Some zero writes failed too, silently.
  CHECK_OK(log->failure());
  CHECK(ReadValues(*log) == acknowledged);
  fs.ClearFaults();
  REQUIRE_OK(log->Close());
  CHECK(LogFileBytes(f, *log) == log->size_bytes());
  auto reopened = f.Open(config);
  CHECK(ReadValues(*reopened) == acknowledged);
}

}  // namespace
}  // namespace rill::storage
