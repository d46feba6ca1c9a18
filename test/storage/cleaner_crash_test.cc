// Crash tests of the log cleaner that really kill: a forked child opens a
// compacted log with a LogCleaner and alternates appending deterministic
// keyed batches (some tombstones) with cleaning passes, telling the parent
// through a pipe when each pass starts. The parent SIGKILLs it at a
// seeded-random moment inside a pass (writing `.cleaned` files, renaming
// to `.swap`, replacing, checkpointing), then reopens the directory and
// checks:
//   - the log is valid: every batch's CRC, offsets ascending, only records
//     that were written, at their offsets;
//   - it holds a whole number of the child's batches (a torn tail is cut);
//   - key → latest value equals that of everything written up to the log
//     end, and every key's latest live record is there;
//   - no `.cleaned`, `.swap` or `.deleted` file is left;
//   - cleaning again keeps that state.
// Rounds continue in the same directory, so later children clean logs that
// a killed pass left behind.
//
// RILL_CLEANER_CRASH_ROUNDS sets the rounds (default 10; the soak runs 300);
// RILL_CRASH_SEED replays one seed.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/status_macros.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_reader.h"
#include "lib/storage/file_system.h"
#include "lib/storage/log.h"
#include "lib/storage/log_cleaner.h"
#include "lib/storage/log_file_names.h"
#include "lib/storage/log_manager.h"
#include "test/support/child_process.h"
#include "test/support/status_matchers.h"
#include "test/support/temp_dir.h"

namespace rill::storage {
namespace {

using testing::ChildProcess;
using testing::CrashSeed;
using testing::EnvOr;
using testing::KilledBySigkill;

constexpr char kTopic[] = "compacted";
constexpr int kRecordsPerBatch = 8;
constexpr int kKeys = 40;

LogConfig CompactConfig(uint64_t seed) {
  LogConfig c;
  c.compact = true;
  c.delete_retention = false;
  c.retention_ms = -1;
  c.segment_bytes = (seed % 2 == 0) ? 2048 : 6000;
  c.segment_index_bytes = 4096;
  c.write_mode = seed % 3 == 0 ? SegmentWriteMode::kPwrite : SegmentWriteMode::kMmap;
  // Tombstones go in the pass after the one that first keeps them.
  c.delete_retention_ms = 0;
  c.min_cleanable_dirty_ratio = 0;
  return c;
}

// A record as written or read: nullopt value = tombstone.
struct KeyedRecord {
  int64_t offset = 0;
  std::string key;
  std::optional<std::string> value;
  bool operator==(const KeyedRecord&) const = default;
};

// The records of the child's batch `index` (global, counted over rounds).
std::vector<std::pair<std::string, std::optional<std::string>>> BatchRecords(uint64_t seed,
                                                                             int64_t index) {
  std::mt19937_64 rng(seed ^ (static_cast<uint64_t>(index) * 0x9E3779B97F4A7C15ull));
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  for (int i = 0; i < kRecordsPerBatch; ++i) {
    std::string key = absl::StrCat("key-", rng() % kKeys);
    if (rng() % 8 == 0)
      out.push_back({key, std::nullopt});
    else
      out.push_back({key, absl::StrCat("value-", index, "-", i)});
  }
  return out;
}

struct Child {
  std::unique_ptr<LogManager> manager;
  Log* log = nullptr;
  std::unique_ptr<LogCleaner> cleaner;
};

absl::StatusOr<Child> OpenDir(const std::string& dir, const LogConfig& config) {
  Child c;
  LogManagerOptions o;
  o.dir = dir;
  o.config_for = [config](const std::string&) { return config; };
  RILL_ASSIGN_OR_RETURN(c.manager, LogManager::Open(o));
  RILL_ASSIGN_OR_RETURN(c.log, c.manager->GetOrCreateLog(kTopic, 0, config));
  CleanerOptions co;
  co.fs = FileSystem::Posix();
  co.dir = dir;
  co.dedupe_buffer_size = 24 * 64;  // Room for 57 keys: some passes fill it.
  RILL_ASSIGN_OR_RETURN(c.cleaner, LogCleaner::Open(c.manager.get(), co));
  return c;
}

absl::Status AppendBatch(Log* log, uint64_t seed, int64_t index) {
  format::RecordBatchBuilder builder;
  for (const auto& [k, v] : BatchRecords(seed, index)) {
    RILL_RETURN_IF_ERROR(builder.Append(1'700'000'000'000 + index, absl::string_view(k),
                                        v ? format::NullableBytes(*v) : std::nullopt));
  }
  RILL_ASSIGN_OR_RETURN(MutableByteSpan built, builder.Build());
  return log->Append(built).status();
}

// Runs in the forked child; never returns into Catch2. Writes one byte to
// `fd` as each cleaning pass starts.
[[noreturn]] void RunChild(const std::string& dir, uint64_t seed, int64_t first_batch, int fd) {
  auto fail = [](const absl::Status& s, const char* what) {
    std::cerr << "cleaner crash child: " << what << ": " << s << std::endl;
    _exit(3);
  };
  absl::StatusOr<Child> c = OpenDir(dir, CompactConfig(seed));
  if (!c.ok()) fail(c.status(), "open");
  for (int64_t i = first_batch;; ++i) {
    if (absl::Status s = AppendBatch(c->log, seed, i); !s.ok()) fail(s, "append");
    if (i % 6 != 5) continue;
    char b = 'c';
    if (write(fd, &b, 1) != 1) _exit(0);  // The parent is gone.
    if (absl::StatusOr<CleanStats> r = c->cleaner->CleanNow(kTopic, 0); !r.ok())
      fail(r.status(), "clean");
  }
}

// Forks the child and SIGKILLs it `delay_us` after the start of its
// `pass`-th cleaning pass.
void RunAndKill(const std::string& dir, uint64_t seed, int64_t first_batch, int pass,
                int delay_us) {
  ChildProcess child([&](int fd) { RunChild(dir, seed, first_batch, fd); });
  int passes = 0;
  char b;
  while (passes < pass && child.Read(&b)) ++passes;
  child.Kill(delay_us);
  int status = child.Wait();
  INFO("child status " << status);
  REQUIRE(KilledBySigkill(status));
}

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
      format::RecordReader reader;
      RILL_RETURN_IF_ERROR(reader.Open(batch, &scratch));
      format::RecordView rec;
      while (true) {
        RILL_ASSIGN_OR_RETURN(bool has, reader.Next(&rec));
        if (!has) break;
        out.push_back(
            {rec.offset, std::string(rec.key.value_or("")),
             rec.value ? std::optional<std::string>(std::string(*rec.value)) : std::nullopt});
      }
    }
  }
  return out;
}

std::map<std::string, std::string> FinalState(const std::vector<KeyedRecord>& records) {
  std::map<std::string, std::string> state;
  for (const auto& r : records) {
    if (r.value)
      state[r.key] = *r.value;
    else
      state.erase(r.key);
  }
  return state;
}

// Everything the children wrote in batches [0, batches).
std::vector<KeyedRecord> Written(uint64_t seed, int64_t batches) {
  std::vector<KeyedRecord> out;
  int64_t offset = 0;
  for (int64_t i = 0; i < batches; ++i) {
    for (auto& [k, v] : BatchRecords(seed, i)) out.push_back({offset++, k, v});
  }
  return out;
}

// Reopens `dir` after a kill and checks it (see the file comment). Returns
// the number of whole batches the log holds.
int64_t CheckAfterKill(const std::string& dir, uint64_t seed) {
  absl::StatusOr<Child> c = OpenDir(dir, CompactConfig(seed));
  REQUIRE_OK(c);
  int64_t end = c->log->log_end_offset();
  REQUIRE(end % kRecordsPerBatch == 0);
  int64_t batches = end / kRecordsPerBatch;
  std::vector<KeyedRecord> written = Written(seed, batches);
  auto check = [&] {
    absl::StatusOr<std::vector<KeyedRecord>> read = ReadAll(*c->log);
    REQUIRE_OK(read);
    std::set<int64_t> present;
    int64_t previous = -1;
    for (const KeyedRecord& r : *read) {
      if (r.offset <= previous || r.offset >= end || !(written[r.offset] == r)) {
        FAIL("record at " << r.offset << " is out of order or was never written so");
      }
      previous = r.offset;
      present.insert(r.offset);
    }
    std::map<std::string, KeyedRecord> latest;
    for (const KeyedRecord& w : written) latest[w.key] = w;
    for (const auto& [k, w] : latest) {
      if (w.value && !present.contains(w.offset)) FAIL("the latest record of " << k << " is gone");
    }
    REQUIRE(FinalState(*read) == FinalState(written));
  };
  check();
  absl::StatusOr<std::vector<std::string>> names =
      FileSystem::Posix()->ListDir(JoinPath(dir, absl::StrCat(kTopic, "-0")));
  REQUIRE_OK(names);
  for (const std::string& name : *names) {
    auto parsed = ParseFileName(name);
    if (parsed) CHECK(parsed->temporary.empty());
  }
  REQUIRE_OK(c->cleaner->CleanNow(kTopic, 0));
  check();
  REQUIRE_OK(c->manager->Close());
  return batches;
}

// Whether a kill left `.cleaned`, `.swap` or `.deleted` files: it came in
// the middle of a pass's file work.
bool LeftCleanerFiles(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names =
      FileSystem::Posix()->ListDir(JoinPath(dir, absl::StrCat(kTopic, "-0")));
  REQUIRE_OK(names);
  for (const std::string& name : *names) {
    auto parsed = ParseFileName(name);
    if (parsed && !parsed->temporary.empty()) return true;
  }
  return false;
}

void RunCleanerCrashRounds(int rounds) {
  std::cout << "cleaner crash seed " << CrashSeed()
            << " (replay with RILL_CRASH_SEED=" << CrashSeed() << ")" << std::endl;
  std::mt19937_64 rng(CrashSeed());
  constexpr int kRoundsPerDirectory = 10;
  int mid_swap = 0;
  for (int done = 0; done < rounds; done += kRoundsPerDirectory) {
    rill::testing::TempDir dir;
    uint64_t seed = rng();
    int64_t batches = 0;
    for (int round = done; round < std::min(rounds, done + kRoundsPerDirectory); ++round) {
      int pass = 1 + static_cast<int>(rng() % 4);
      int delay_us = static_cast<int>(rng() % 3000);
      INFO("seed " << CrashSeed() << " round " << round << " content seed " << seed << " pass "
                   << pass << " delay " << delay_us << "us");
      RunAndKill(dir.path(), seed, batches, pass, delay_us);
      mid_swap += LeftCleanerFiles(dir.path()) ? 1 : 0;
      batches = CheckAfterKill(dir.path(), seed);
    }
  }
  std::cout << "  " << rounds << " kills, " << mid_swap << " left cleaner files to recover"
            << std::endl;
}

TEST_CASE("a cleaner killed mid-pass leaves a valid log with the same key to latest value map",
          "[crash][cleaner]") {
  RunCleanerCrashRounds(static_cast<int>(EnvOr("RILL_CLEANER_CRASH_ROUNDS", 10)));
}

}  // namespace
}  // namespace rill::storage
