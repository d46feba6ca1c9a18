// The log cleaner: Kafka's four compaction guarantees, tombstones and the
// delete horizon, a bounded offset map, crash safety of the swap at every
// step, and a randomized comparison with a plain map.

#include "lib/storage/log_cleaner.h"

#include <map>
#include <random>

#include "lib/base/status_macros.h"
#include "lib/format/record_batch_builder.h"
#include "lib/storage/log_file_names.h"
#include "lib/storage/log_manager.h"
#include "test/storage/storage_test_util.h"
#include "test/support/faulty_file_system.h"

namespace rill::storage::testing {
namespace {

using rill::testing::FaultyFileSystem;
using rill::testing::FsOp;

// A record as written or read: nullopt value = tombstone.
struct KeyedRecord {
  int64_t offset = 0;
  std::string key;
  std::optional<std::string> value;
  bool operator==(const KeyedRecord&) const = default;
};

std::ostream& operator<<(std::ostream& os, const KeyedRecord& r) {
  return os << "{" << r.offset << " " << r.key << "=" << (r.value ? *r.value : "<null>") << "}";
}

LogConfig CompactConfig() {
  LogConfig c = SmallConfig();
  c.segment_bytes = 2048;
  c.compact = true;
  c.delete_retention = false;
  c.delete_retention_ms = 1000;
  c.min_cleanable_dirty_ratio = 0.5;
  return c;
}

// A data directory with one compacted log "test-0" and a cleaner.
class Fixture {
 public:
  explicit Fixture(FileSystem* fs, const std::string& dir, LogConfig config = CompactConfig(),
                   int64_t dedupe_bytes = 1 << 20)
      : fs_(fs), dir_(dir), config_(config), dedupe_bytes_(dedupe_bytes) {}

  absl::Status Open() {
    LogManagerOptions o;
    o.fs = fs_;
    o.clock = &clock;
    o.dir = dir_;
    o.config_for = [this](const std::string&) { return config_; };
    RILL_ASSIGN_OR_RETURN(manager, LogManager::Open(o));
    RILL_ASSIGN_OR_RETURN(log, manager->GetOrCreateLog("test", 0, config_));
    CleanerOptions co;
    co.fs = fs_;
    co.dir = dir_;
    co.threads = 1;
    co.dedupe_buffer_size = dedupe_bytes_;
    RILL_ASSIGN_OR_RETURN(cleaner, LogCleaner::Open(manager.get(), co));
    return absl::OkStatus();
  }
  void Drop() {
    cleaner.reset();
    log = nullptr;
    manager.reset();
  }

  // Appends one batch of (key, value) records; returns their offsets.
  int64_t Append(const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
                 const format::BatchOptions& options = {}) {
    format::RecordBatchBuilder builder(options);
    for (const auto& [k, v] : records) {
      REQUIRE(builder
                  .Append(timestamp.value_or(clock.NowMs()), absl::string_view(k),
                          v ? format::NullableBytes(*v) : std::nullopt)
                  .ok());
    }
    auto built = builder.Build();
    REQUIRE(built.ok());
    std::vector<uint8_t> bytes(built->begin(), built->end());
    auto info = log->Append(MutableByteSpan(bytes.data(), bytes.size()));
    REQUIRE_OK(info);
    int64_t offset = info->first_offset;
    for (const auto& [k, v] : records) written.push_back({offset++, k, v});
    return info->first_offset;
  }

  ManualClock clock;
  std::optional<int64_t> timestamp;  // Of the records Append writes; default the clock's.
  std::unique_ptr<LogManager> manager;
  Log* log = nullptr;
  std::unique_ptr<LogCleaner> cleaner;
  std::vector<KeyedRecord> written;  // Every record ever appended, in order.

 private:
  FileSystem* fs_;
  std::string dir_;
  LogConfig config_;
  int64_t dedupe_bytes_;
};

// Every record of the log, reading as a consumer does from the log start,
// with every batch's CRC checked. Control batches are skipped.
absl::StatusOr<std::vector<KeyedRecord>> ReadAll(const Log& log) {
  std::vector<KeyedRecord> out;
  int64_t offset = log.log_start_offset();
  ByteBuffer scratch;
  while (offset < log.log_end_offset()) {
    RILL_ASSIGN_OR_RETURN(ReadResult r, log.Read(offset, 1 << 20));
    if (r.batches.empty()) break;
    format::BatchScanner scanner(r.batches);
    format::BatchScanner::Slice slice;
    while (true) {
      RILL_ASSIGN_OR_RETURN(bool more, scanner.Next(&slice));
      if (!more) break;
      RILL_ASSIGN_OR_RETURN(auto batch, format::RecordBatchView::Parse(slice.bytes));
      RILL_RETURN_IF_ERROR(batch.Validate(&scratch));
      offset = batch.next_offset();
      if (batch.is_control()) continue;
      format::RecordReader reader;
      RILL_RETURN_IF_ERROR(reader.Open(batch, &scratch));
      format::RecordView rec;
      while (true) {
        RILL_ASSIGN_OR_RETURN(bool has, reader.Next(&rec));
        if (!has) break;
        out.push_back({rec.offset, std::string(rec.key.value_or("")),
                       rec.value ? std::optional<std::string>(std::string(*rec.value)) : std::nullopt});
      }
    }
  }
  return out;
}

// Calls `visit` with every batch of `segment`, in file order, reading the
// segment's bytes directly.
template <typename Visit>
void ForEachBatch(const Segment& segment, Visit visit) {
  format::BatchScanner scanner(segment.Slice(0, segment.size()));
  format::BatchScanner::Slice slice;
  while (true) {
    auto more = scanner.Next(&slice);
    REQUIRE_OK(more);
    if (!*more) break;
    auto b = format::RecordBatchView::Parse(slice.bytes);
    REQUIRE_OK(b);
    visit(*b);
  }
}

// key → latest value, tombstones removing the key.
std::map<std::string, std::string> FinalState(const std::vector<KeyedRecord>& records) {
  std::map<std::string, std::string> state;
  for (const auto& r : records) {
    if (r.value) state[r.key] = *r.value;
    else state.erase(r.key);
  }
  return state;
}

// Guarantee 2: what survives is a subsequence of what was written, at the
// same offsets, in the same order.
void CheckSubsequence(const std::vector<KeyedRecord>& read, const std::vector<KeyedRecord>& written) {
  std::map<int64_t, const KeyedRecord*> by_offset;
  for (const auto& w : written) by_offset[w.offset] = &w;
  int64_t previous = -1;
  // One assertion per call: per-record assertions would dominate the run time.
  for (const auto& r : read) {
    auto it = by_offset.find(r.offset);
    if (r.offset <= previous || it == by_offset.end() || !(*it->second == r)) {
      FAIL("record " << r << " is out of order or was never written so");
    }
    previous = r.offset;
  }
  SUCCEED();
}

// Guarantee 2 also: the latest record of every key survives (unless it is
// a tombstone whose horizon may have passed).
void CheckLatestSurvive(const std::vector<KeyedRecord>& read, const std::vector<KeyedRecord>& written) {
  std::map<std::string, KeyedRecord> latest;
  for (const auto& w : written) latest[w.key] = w;
  std::set<int64_t> present;
  for (const auto& r : read) present.insert(r.offset);
  for (const auto& [k, w] : latest) {
    if (w.value && !present.contains(w.offset)) FAIL("the latest record " << w << " is gone");
  }
}

void WriteRounds(Fixture& f, int keys, int rounds, int per_batch = 5) {
  for (int round = 0; round < rounds; ++round) {
    for (int k = 0; k < keys; k += per_batch) {
      std::vector<std::pair<std::string, std::optional<std::string>>> batch;
      for (int i = k; i < std::min(keys, k + per_batch); ++i) {
        batch.push_back({absl::StrCat("key", i), absl::StrCat("value-", i, "-round-", round)});
      }
      f.Append(batch);
    }
  }
}

TEST_CASE("cleaning keeps the latest value of every key at its offset and drops older ones",
          "[storage][cleaner]") {
  TempDir dir;
  Fixture f(FileSystem::Posix(), dir.path());
  REQUIRE_OK(f.Open());
  WriteRounds(f, 20, 10);
  uint64_t before = f.log->size_bytes();
  int64_t active_base = f.log->segments().back()->base_offset();
  auto stats = f.cleaner->CleanNow("test", 0);
  REQUIRE_OK(stats);
  CHECK(stats->end_offset == active_base);
  CHECK(f.cleaner->first_dirty_offset({"test", 0}) == active_base);
  CHECK(f.log->size_bytes() < before);
  auto read = ReadAll(*f.log);
  REQUIRE_OK(read);
  CheckSubsequence(*read, f.written);
  CheckLatestSurvive(*read, f.written);
  // Guarantee 3: a consumer from the start sees the final state.
  CHECK(FinalState(*read) == FinalState(f.written));
  // Below the active segment only one record per key is left.
  std::map<std::string, int> seen;
  for (const auto& r : *read) {
    if (r.offset < active_base) CHECK(++seen[r.key] == 1);
  }
  // Guarantee 1: the head (from the first dirty offset) is untouched.
  std::vector<KeyedRecord> head_read, head_written;
  for (const auto& r : *read) if (r.offset >= active_base) head_read.push_back(r);
  for (const auto& w : f.written) if (w.offset >= active_base) head_written.push_back(w);
  CHECK(head_read == head_written);
  // The checkpoint is Kafka's text format.
  auto entries = ReadPartitionOffsets(FileSystem::Posix(), JoinPath(dir.path(), kCleanerOffsetCheckpoint));
  REQUIRE_OK(entries);
  CHECK(entries->at({"test", 0}) == active_base);
}

TEST_CASE("a consumer in the head sees every record while the cleaner runs behind it",
          "[storage][cleaner]") {
  TempDir dir;
  Fixture f(FileSystem::Posix(), dir.path());
  REQUIRE_OK(f.Open());
  WriteRounds(f, 10, 6);
  // A reader holding the old segments keeps reading them after the swap.
  std::vector<std::shared_ptr<const Segment>> held = f.log->segments();
  auto before = ReadAll(*f.log);
  REQUIRE_OK(before);
  REQUIRE_OK(f.cleaner->CleanNow("test", 0));
  ByteBuffer scratch;
  for (const auto& s : held) {
    ForEachBatch(*s, [&](const format::RecordBatchView& b) { CHECK_OK(b.Validate(&scratch)); });
  }
  // New appends after cleaning are all visible, in order.
  int64_t head = f.log->log_end_offset();
  WriteRounds(f, 10, 2);
  auto after = ReadAll(*f.log);
  REQUIRE_OK(after);
  std::vector<KeyedRecord> tail;
  for (const auto& r : *after) if (r.offset >= head) tail.push_back(r);
  std::vector<KeyedRecord> expected;
  for (const auto& w : f.written) if (w.offset >= head) expected.push_back(w);
  CHECK(tail == expected);
}

TEST_CASE("a tombstone stays for delete.retention.ms, then goes with the key's older values",
          "[storage][cleaner]") {
  TempDir dir;
  Fixture f(FileSystem::Posix(), dir.path());
  REQUIRE_OK(f.Open());
  f.Append({{"gone", "v1"}, {"kept", "k1"}});
  f.Append({{"gone", "v2"}});
  f.Append({{"gone", std::nullopt}});
  WriteRounds(f, 10, 6);  // Pushes the tombstone out of the active segment.
  REQUIRE_OK(f.cleaner->CleanNow("test", 0));
  auto read = ReadAll(*f.log);
  REQUIRE_OK(read);
  auto has_key = [](const std::vector<KeyedRecord>& rs, const std::string& k) {
    return std::count_if(rs.begin(), rs.end(), [&](const KeyedRecord& r) { return r.key == k; });
  };
  CHECK(has_key(*read, "gone") == 1);  // Only the tombstone.
  CHECK(has_key(*read, "kept") == 1);
  // Within delete.retention.ms (1 s here) it stays, however often cleaned.
  f.clock.Advance(absl::Milliseconds(500));
  REQUIRE_OK(f.cleaner->CleanNow("test", 0));
  REQUIRE_OK(f.cleaner->CleanDirtiest());
  read = ReadAll(*f.log);
  REQUIRE_OK(read);
  CHECK(has_key(*read, "gone") == 1);
  // After it, the next maintenance removes it: nothing of the key is left.
  f.clock.Advance(absl::Milliseconds(600));
  auto passes = f.cleaner->CleanDirtiest();
  REQUIRE_OK(passes);
  CHECK(*passes >= 1);
  read = ReadAll(*f.log);
  REQUIRE_OK(read);
  CHECK(has_key(*read, "gone") == 0);
  CHECK(has_key(*read, "kept") == 1);
  CheckSubsequence(*read, f.written);
  CHECK(FinalState(*read) == FinalState(f.written));
}

TEST_CASE("the dirty ratio, min.compaction.lag.ms and max.compaction.lag.ms decide when a log is cleaned",
          "[storage][cleaner]") {
  TempDir dir;
  LogConfig config = CompactConfig();
  config.min_cleanable_dirty_ratio = 0.99;
  config.min_compaction_lag_ms = 10'000;
  config.max_compaction_lag_ms = 60'000;
  Fixture f(FileSystem::Posix(), dir.path(), config);
  REQUIRE_OK(f.Open());
  WriteRounds(f, 10, 6);
  // Everything is younger than min.compaction.lag.ms: nothing to clean.
  REQUIRE_OK(f.cleaner->CleanNow("test", 0));
  CHECK(f.cleaner->first_dirty_offset({"test", 0}) == 0);
  f.clock.Advance(absl::Seconds(11));
  f.Append({{"late", "x"}});
  // Ratio 1.0 > 0.99 now that the lag passed.
  auto passes = f.cleaner->CleanDirtiest();
  REQUIRE_OK(passes);
  CHECK(*passes == 1);
  int64_t cleaned_to = f.cleaner->first_dirty_offset({"test", 0});
  CHECK(cleaned_to > 0);
  // New dirt below the ratio is not cleaned...
  f.clock.Advance(absl::Seconds(11));
  WriteRounds(f, 10, 10);
  f.clock.Advance(absl::Seconds(11));
  f.Append({{"later", "y"}});
  REQUIRE_OK(f.cleaner->CleanDirtiest());
  CHECK(f.cleaner->first_dirty_offset({"test", 0}) == cleaned_to);
  // ...until max.compaction.lag.ms forces it.
  f.clock.Advance(absl::Seconds(61));
  REQUIRE_OK(f.cleaner->CleanDirtiest());
  CHECK(f.cleaner->first_dirty_offset({"test", 0}) > cleaned_to);
}

TEST_CASE("max.compaction.lag.ms counts only batches with a timestamp, as Kafka",
          "[storage][cleaner]") {
  TempDir dir;
  LogConfig config = CompactConfig();
  config.min_cleanable_dirty_ratio = 1.0;  // Never cleaned for its ratio.
  config.max_compaction_lag_ms = 60'000;
  Fixture f(FileSystem::Posix(), dir.path(), config);
  REQUIRE_OK(f.Open());
  // Dirty segments whose batches carry no timestamp (-1): Kafka's
  // maxCompactionDelay skips them, so however old, they force nothing.
  f.timestamp = -1;
  WriteRounds(f, 10, 10);
  f.Append({{"later", "y"}});
  REQUIRE(f.log->segment_count() > 1);  // Dirt below the active segment.
  f.clock.Advance(absl::Seconds(61));
  REQUIRE_OK(f.cleaner->CleanDirtiest());
  CHECK(f.cleaner->first_dirty_offset({"test", 0}) <= 0);
  // Dirty segments with a real first timestamp older than the lag do.
  f.timestamp.reset();
  WriteRounds(f, 10, 10);
  f.Append({{"latest", "z"}});
  f.clock.Advance(absl::Seconds(61));
  REQUIRE_OK(f.cleaner->CleanDirtiest());
  CHECK(f.cleaner->first_dirty_offset({"test", 0}) > 0);
}

TEST_CASE("a full offset map cleans what fits and continues in the next pass",
          "[storage][cleaner]") {
  TempDir dir;
  // Room for 45 keys (24 bytes each at load factor 0.9) of 60.
  Fixture f(FileSystem::Posix(), dir.path(), CompactConfig(), 50 * 24);
  REQUIRE_OK(f.Open());
  WriteRounds(f, 60, 5);
  auto stats = f.cleaner->CleanNow("test", 0);
  REQUIRE_OK(stats);
  CHECK(stats->passes > 1);
  CHECK(stats->end_offset == f.log->segments().back()->base_offset());
  auto read = ReadAll(*f.log);
  REQUIRE_OK(read);
  CheckSubsequence(*read, f.written);
  CheckLatestSurvive(*read, f.written);
  CHECK(FinalState(*read) == FinalState(f.written));
}

TEST_CASE("a reopened log after cleaning has the same records", "[storage][cleaner]") {
  TempDir dir;
  Fixture f(FileSystem::Posix(), dir.path());
  REQUIRE_OK(f.Open());
  WriteRounds(f, 15, 8);
  REQUIRE_OK(f.cleaner->CleanNow("test", 0));
  auto read = ReadAll(*f.log);
  REQUIRE_OK(read);
  int64_t end = f.log->log_end_offset();
  auto written = f.written;
  f.Drop();
  REQUIRE_OK(f.Open());
  CHECK(f.log->log_end_offset() == end);
  auto reread = ReadAll(*f.log);
  REQUIRE_OK(reread);
  CHECK(*reread == *read);
  CHECK(f.cleaner->first_dirty_offset({"test", 0}) > 0);  // The checkpoint survived.
}

TEST_CASE("idempotent batches keep producer id, epoch and sequence, and the last empty header",
          "[storage][cleaner]") {
  TempDir dir;
  Fixture f(FileSystem::Posix(), dir.path());
  REQUIRE_OK(f.Open());
  format::BatchOptions o;
  o.producer_id = 7;
  o.producer_epoch = 2;
  int32_t seq = 0;
  for (int round = 0; round < 40; ++round) {
    o.base_sequence = seq;
    f.Append({{"a", absl::StrCat("a", round)}, {"b", absl::StrCat("b", round)}}, o);
    seq += 2;
  }
  // Another producer writes the head so producer 7's last batch is cleanable.
  WriteRounds(f, 10, 5);
  REQUIRE_OK(f.cleaner->CleanNow("test", 0));
  // Producer 7's batches that survive still carry its id, epoch and sequence.
  for (const auto& segment : f.log->segments()) {
    ForEachBatch(*segment, [](const format::RecordBatchView& b) {
      if (b.producer_id() != 7) return;
      CHECK(b.producer_epoch() == 2);
      CHECK(b.base_sequence() == b.base_offset());  // Written at offset == sequence.
      CHECK(b.last_offset_delta() == 1);
    });
  }
  // Reopening restores producer 7's sequence: the next batch continues it.
  f.Drop();
  REQUIRE_OK(f.Open());
  o.base_sequence = seq;
  f.Append({{"a", "again"}}, o);
}

// Crash safety: every file-system call the cleaner makes can fail (ENOSPC,
// EIO on a rename or a directory sync) and the power can go right then;
// reopening must give a valid log with the same final state. `base` is the
// file system under the FaultyFileSystem: in memory for the default suite
// (the same calls, no real fsync), POSIX in the soak.
void RunFaultMatrix(FileSystem* base, const std::string& dir, int max_nth) {
  struct Step {
    FsOp op;
    int error;
  };
  for (Step step : {Step{FsOp::kRename, 5}, Step{FsOp::kSyncDir, 5}, Step{FsOp::kAllocate, 28}, Step{FsOp::kWriteAt, 28},
                    Step{FsOp::kSync, 5}, Step{FsOp::kOpen, 28}, Step{FsOp::kRemove, 5}}) {
    for (int nth = 1; nth <= max_nth; ++nth) {
      for (bool power_loss : {false, true}) {
        INFO("op " << rill::testing::FsOpName(step.op) << " nth " << nth << " power loss " << power_loss);
        std::string data_dir = JoinPath(dir, absl::StrCat(rill::testing::FsOpName(step.op), "-", nth, "-", power_loss));
        // Created beneath the wrapper, so the directory itself counts as durable.
        REQUIRE_OK(base->CreateDirs(data_dir));
        FaultyFileSystem fs(base);
        Fixture f(&fs, data_dir);
        REQUIRE_OK(f.Open());
        WriteRounds(f, 12, 8);
        REQUIRE_OK(f.log->Flush());
        auto expected = FinalState(f.written);
        fs.FailNth(step.op, nth, step.error);
        absl::StatusOr<CleanStats> r = f.cleaner->CleanNow("test", 0);
        fs.ClearFaults();
        if (power_loss) fs.PowerLoss();
        f.Drop();
        if (power_loss) fs.Restart();
        REQUIRE_OK(f.Open());
        auto read = ReadAll(*f.log);
        REQUIRE_OK(read);
        CheckSubsequence(*read, f.written);
        CheckLatestSurvive(*read, f.written);
        CHECK(FinalState(*read) == expected);
        // No cleaner leftovers after the reopen.
        auto names = fs.ListDir(JoinPath(data_dir, "test-0"));
        REQUIRE_OK(names);
        for (const auto& name : *names) {
          auto parsed = ParseFileName(name);
          if (parsed) CHECK(parsed->temporary.empty());
        }
        // And it cleans fine afterwards.
        REQUIRE_OK(f.cleaner->CleanNow("test", 0));
        read = ReadAll(*f.log);
        REQUIRE_OK(read);
        CHECK(FinalState(*read) == expected);
        f.Drop();
      }
    }
  }
}

TEST_CASE("a failure or power loss at any step of a cleaning pass leaves a log with the same state",
          "[storage][cleaner][fault]") {
  std::unique_ptr<FileSystem> memory = FileSystem::NewInMemory();
  RunFaultMatrix(memory.get(), "/cleaner-faults", 12);
}

TEST_CASE("a failure or power loss at any step of a cleaning pass on disk leaves a log with the same state",
          "[.soak][cleaner]") {
  TempDir dir;
  RunFaultMatrix(FileSystem::Posix(), dir.path(), 12);
}

// Randomized model test: random keys, values and tombstones, random
// cleaning, clock advances and reopenings, compared with a plain map.
void RunRandomized(uint64_t seed, int steps) {
  INFO("seed " << seed);
  TempDir dir;
  std::mt19937_64 rng(seed);
  LogConfig config = CompactConfig();
  config.segment_bytes = 512 + static_cast<int32_t>(rng() % 2048);
  config.min_cleanable_dirty_ratio = static_cast<double>(rng() % 10) / 10;
  Fixture f(FileSystem::Posix(), dir.path(), config, 24 * (8 + static_cast<int64_t>(rng() % 64)));
  REQUIRE_OK(f.Open());
  int keys = 5 + static_cast<int>(rng() % 40);
  for (int step = 0; step < steps; ++step) {
    int what = static_cast<int>(rng() % 20);
    if (what < 14) {
      std::vector<std::pair<std::string, std::optional<std::string>>> batch;
      int n = 1 + static_cast<int>(rng() % 6);
      for (int i = 0; i < n; ++i) {
        std::string key = absl::StrCat("k", rng() % keys);
        if (rng() % 6 == 0) batch.push_back({key, std::nullopt});
        else batch.push_back({key, absl::StrCat("v", step, "-", i)});
      }
      f.Append(batch);
    } else if (what < 17) {
      REQUIRE_OK(f.cleaner->CleanDirtiest());
    } else if (what < 18) {
      REQUIRE_OK(f.cleaner->CleanNow("test", 0));
    } else if (what < 19) {
      f.clock.Advance(absl::Milliseconds(static_cast<int64_t>(rng() % 1500)));
    } else {
      f.Drop();
      REQUIRE_OK(f.Open());
    }
    auto read = ReadAll(*f.log);
    REQUIRE_OK(read);
    CheckSubsequence(*read, f.written);
    CheckLatestSurvive(*read, f.written);
    REQUIRE(FinalState(*read) == FinalState(f.written));
  }
}

TEST_CASE("randomized cleaning matches a plain map", "[storage][cleaner][random]") {
  for (uint64_t seed = 1; seed <= 6; ++seed) RunRandomized(seed, 150);
}

TEST_CASE("randomized cleaning matches a plain map over many seeds", "[.soak][cleaner]") {
  for (uint64_t seed = 100; seed < 400; ++seed) RunRandomized(seed, 400);
}

}  // namespace
}  // namespace rill::storage::testing
