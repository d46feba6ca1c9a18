// Crash tests that really kill: a forked child opens a LogManager on a
// directory and appends batches of deterministic content (log_content.h),
// reporting each acknowledged batch through a pipe only after Append
// returned OK. The parent SIGKILLs it at a seeded-random moment (after the
// k-th acknowledgement, or early, during the child's own recovery), then
// checks the directory: first with an independent scan of the files, then
// (in most rounds) by opening it with rill.
//
// What must hold after every kill, with flush.messages=1 and without (a
// SIGKILL loses nothing the page cache holds):
//   - every acknowledged record is present, byte for byte;
//   - offsets are contiguous from 0 and every batch in the log, acknowledged
//     or not, is the one log_content.h defines at its base offset, with a
//     valid CRC and records;
//   - the LogLoadReport matches what the files held: which segments were
//     rescanned, how many bytes were cut, from which offset;
//   - every index entry points at a real batch whose last offset it names.
// Rounds continue in the same directory; some leave it unclean so that the
// next child recovers it itself (and is sometimes killed while doing so).
//
// RILL_CRASH_ROUNDS overrides the number of rounds (split between the two
// test cases); the soak ctest entry runs 1000. The seed is printed; set
// RILL_CRASH_SEED to replay one.

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/storage/checkpoint_file.h"
#include "lib/storage/file_system.h"
#include "lib/storage/log.h"
#include "lib/storage/log_file_names.h"
#include "lib/storage/log_manager.h"
#include "test/storage/log_checks.h"
#include "test/storage/log_content.h"
#include "test/support/child_process.h"
#include "test/support/status_matchers.h"

namespace rill::storage {
namespace {

using testing::ChildProcess;
using testing::CrashSeed;
using testing::EnvOr;
using testing::ExitedCleanly;
using testing::KilledBySigkill;
using testing::RawBatch;
using testing::RawSegment;

constexpr char kTopic[] = "crash";
constexpr int32_t kPartition = 0;
// Directories are replaced after this many rounds, so a soak run does not
// spend its time re-verifying an ever longer log.
constexpr int kRoundsPerDirectory = 25;

// Child → parent, 24 bytes: one write(2) each, atomic on a pipe.
struct Message {
  int64_t kind;
  int64_t a;
  int64_t b;
};
enum : int64_t {
  kReady = 1,   // a = log end offset after open (recovery done).
  kAck = 2,     // a = base offset, b = last offset of an acknowledged batch.
  kClosed = 3,  // The child closed the LogManager cleanly.
  kError = 4,   // a = absl::StatusCode; the message went to stderr.
};

bool KeepDirs() { return EnvOr("RILL_KEEP_TEST_DIRS", 0) == 1; }

int TotalRounds() { return static_cast<int>(EnvOr("RILL_CRASH_ROUNDS", 50)); }

// What one directory is written with.
struct DirSetup {
  uint64_t content_seed = 0;
  LogConfig config;
  // LogManagerOptions::zero_fill_ahead for the child (it acts with
  // flush.messages=1 and pwrite: zeros past the end of the active segment).
  bool zero_fill = false;
};

DirSetup RandomSetup(std::mt19937_64& rng, bool flush_each_message) {
  DirSetup s;
  s.content_seed = rng();
  LogConfig& c = s.config;
  const int32_t segment_bytes[] = {64 << 10, 128 << 10, 256 << 10, 1 << 20};
  c.segment_bytes = segment_bytes[rng() % 4];
  const int32_t index_interval[] = {512, 4096};
  c.index_interval_bytes = index_interval[rng() % 2];
  // 160 bytes: 20 offset entries, 13 time entries, so full indexes roll too.
  const int32_t index_bytes[] = {160, 4096, 1 << 20};
  c.segment_index_bytes = index_bytes[rng() % 3];
  c.write_mode = rng() % 2 == 0 ? SegmentWriteMode::kMmap : SegmentWriteMode::kPwrite;
  c.flush_messages = flush_each_message ? 1 : INT64_MAX;
  c.retention_ms = -1;  // The content's timestamps are from 2023.
  s.zero_fill = rng() % 2 == 0;
  return s;
}

std::string DescribeSetup(const DirSetup& s) {
  return absl::StrCat("content seed ", s.content_seed, ", segment.bytes ", s.config.segment_bytes,
                      ", index.interval.bytes ", s.config.index_interval_bytes,
                      ", segment.index.bytes ", s.config.segment_index_bytes, ", write mode ",
                      s.config.write_mode == SegmentWriteMode::kMmap ? "mmap" : "pwrite",
                      ", flush.messages ", s.config.flush_messages, ", zero fill ",
                      s.zero_fill ? "on" : "off");
}

// What a child does.
struct ChildPlan {
  int max_batches = 1 << 20;
  bool close_at_end = false;
  // RunMaintenance (flush rolled segments, write the checkpoints) after
  // every this many appends; 0 never.
  int maintenance_every = 0;
};

void Send(int fd, Message m) {
  // A short write to a pipe of 24 bytes does not happen; if the parent is
  // gone there is no one to tell.
  ssize_t n = write(fd, &m, sizeof m);
  (void)n;
}

[[noreturn]] void ChildFail(int fd, const absl::Status& s, const char* what) {
  std::cerr << "crash child: " << what << ": " << s << std::endl;
  Send(fd, {kError, static_cast<int64_t>(s.code()), 0});
  _exit(3);
}

// Runs in the forked child; never returns into Catch2.
[[noreturn]] void RunChild(const std::string& data_dir, const DirSetup& setup,
                           const ChildPlan& plan, int fd) {
  LogManagerOptions options;
  options.dir = data_dir;
  options.config_for = [&](const std::string&) { return setup.config; };
  options.zero_fill_ahead = setup.zero_fill;
  auto manager = LogManager::Open(options);
  if (!manager.ok()) ChildFail(fd, manager.status(), "LogManager::Open");
  auto log = (*manager)->GetOrCreateLog(kTopic, kPartition, setup.config);
  if (!log.ok()) ChildFail(fd, log.status(), "GetOrCreateLog");
  Send(fd, {kReady, (*log)->log_end_offset(), 0});
  for (int i = 1; i <= plan.max_batches; ++i) {
    int64_t base = (*log)->log_end_offset();
    // Built as a producer would send it: base offset 0, no leader epoch.
    auto batch = testing::BuildBatchAt(setup.content_seed, base, format::kNoPartitionLeaderEpoch);
    if (!batch.ok()) ChildFail(fd, batch.status(), "BuildBatchAt");
    format::PatchBaseOffset(MutableByteSpan(batch->data(), batch->size()), 0);
    auto info = (*log)->Append(MutableByteSpan(batch->data(), batch->size()));
    if (!info.ok()) ChildFail(fd, info.status(), "Append");
    if (info->first_offset != base) {
      ChildFail(fd,
                absl::InternalError(
                    absl::StrCat("appended at ", info->first_offset, ", expected ", base)),
                "Append");
    }
    // Acknowledged only now, after Append returned OK.
    Send(fd, {kAck, info->first_offset, info->last_offset});
    if (plan.maintenance_every > 0 && i % plan.maintenance_every == 0) {
      absl::Status s = (*manager)->RunMaintenance();
      if (!s.ok()) ChildFail(fd, s, "RunMaintenance");
    }
  }
  if (plan.close_at_end) {
    absl::Status s = (*manager)->Close();
    if (!s.ok()) ChildFail(fd, s, "Close");
    Send(fd, {kClosed, 0, 0});
  }
  _exit(0);
}

enum class KillPlan {
  kAfterAcks,  // SIGKILL after the k-th acknowledgement (plus a short delay).
  kEarly,      // SIGKILL a few milliseconds after fork: often mid-recovery.
  kNever,      // The child appends its budget, closes cleanly and exits.
};

struct RoundPlan {
  KillPlan kill = KillPlan::kAfterAcks;
  int kill_after_acks = 1;
  int delay_us = 0;
  ChildPlan child;
  bool verify_with_rill = true;  // Else only the independent scan.
};

// `unclean`: the directory needs recovery, so an early kill is likely to
// land in the child's recovery; those get more rounds.
RoundPlan RandomRoundPlan(std::mt19937_64& rng, bool unclean) {
  RoundPlan p;
  int r = static_cast<int>(rng() % 100);
  if (r < (unclean ? 35 : 10)) {
    p.kill = KillPlan::kEarly;
    p.delay_us = static_cast<int>(rng() % 6000);
  } else if (r < (unclean ? 45 : 20)) {
    p.kill = KillPlan::kNever;
    p.child.max_batches = 1 + static_cast<int>(rng() % 20);
    p.child.close_at_end = true;
  } else {
    p.kill_after_acks = 1 + static_cast<int>(rng() % 48);
    p.delay_us = rng() % 2 == 0 ? 0 : static_cast<int>(rng() % 500);
  }
  const int maintenance[] = {0, 3, 10};
  p.child.maintenance_every = maintenance[rng() % 3];
  p.verify_with_rill = p.kill == KillPlan::kNever || rng() % 10 < 6;
  return p;
}

const char* KillName(KillPlan k) {
  switch (k) {
    case KillPlan::kAfterAcks:
      return "kill after acks";
    case KillPlan::kEarly:
      return "early kill";
    case KillPlan::kNever:
      return "clean close";
  }
  return "?";
}

struct RoundResult {
  bool ready = false;
  int64_t ready_log_end = -1;
  int acks = 0;
  int64_t acked_end = -1;  // One past the last acknowledged offset; -1 if none.
  bool closed = false;
};

// Forks the child, reads its acknowledgements, kills it as planned and
// reaps it. Every acknowledgement in the pipe counts, including those that
// arrive after the kill was decided.
RoundResult RunRound(const std::string& data_dir, const DirSetup& setup, const RoundPlan& plan) {
  ChildProcess child([&](int fd) { RunChild(data_dir, setup, plan.child, fd); });
  if (plan.kill == KillPlan::kEarly) child.Kill(plan.delay_us);

  RoundResult result;
  bool child_error = false;
  int64_t expected_base = -1;
  Message m;
  while (child.Read(&m)) {
    switch (m.kind) {
      case kReady:
        result.ready = true;
        result.ready_log_end = m.a;
        expected_base = m.a;
        break;
      case kAck:
        REQUIRE(result.ready);
        // The child's own view: each batch at the previous one's end.
        REQUIRE(m.a == expected_base);
        REQUIRE(m.b >= m.a);
        expected_base = m.b + 1;
        result.acked_end = m.b + 1;
        ++result.acks;
        if (plan.kill == KillPlan::kAfterAcks && result.acks == plan.kill_after_acks) {
          child.Kill(plan.delay_us);
        }
        break;
      case kClosed:
        result.closed = true;
        break;
      case kError:
        child_error = true;
        break;
      default:
        FAIL("unknown message kind " << m.kind);
    }
  }
  int status = child.Wait();
  REQUIRE_FALSE(child_error);  // Its stderr says why.
  if (plan.kill == KillPlan::kNever) {
    INFO("child status " << status);
    REQUIRE(ExitedCleanly(status));
    REQUIRE(result.closed);
  } else {
    // Killed, or (a budget smaller than the kill point) exited normally.
    INFO("child status " << status);
    REQUIRE((KilledBySigkill(status) || ExitedCleanly(status)));
  }
  return result;
}

// The recovery point the directory's checkpoint gives the partition, read
// independently of rill's checkpoint code; -1 if absent or malformed.
int64_t CheckpointedRecoveryPoint(const std::string& data_dir) {
  std::string text = testing::ReadFileBytes(JoinPath(data_dir, kRecoveryPointCheckpoint));
  std::istringstream in(text);
  int version = -1, count = -1;
  if (!(in >> version >> count) || version != 0) return -1;
  for (int i = 0; i < count; ++i) {
    std::string topic;
    int32_t partition;
    int64_t offset;
    if (!(in >> topic >> partition >> offset)) return -1;
    if (topic == kTopic && partition == kPartition) return offset;
  }
  return -1;
}

// Index files rill does not trust (missing, failing the sanity check, or
// an empty `.timeindex` beside batches): such a segment is rebuilt even when
// it is otherwise trusted.
bool IndexesNeedRebuild(const RawSegment& seg) {
  std::string stem = seg.path.substr(0, seg.path.size() - 4);
  if (!testing::FileExists(stem + ".index")) return true;
  if (!testing::FileExists(stem + ".timeindex")) return true;
  std::string index = testing::ReadFileBytes(stem + ".index");
  std::string times = testing::ReadFileBytes(stem + ".timeindex");
  if (index.size() % 8 != 0 || times.size() % 12 != 0) return true;
  auto entries = testing::ParseOffsetIndex(index);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].relative_offset < 0) return true;
    if (i > 0 && (entries[i].relative_offset <= entries[i - 1].relative_offset ||
                  static_cast<uint32_t>(entries[i].position) <=
                      static_cast<uint32_t>(entries[i - 1].position))) {
      return true;
    }
  }
  auto time_entries = testing::ParseTimeIndex(times);
  if (time_entries.empty() && !seg.content.empty()) return true;
  for (size_t i = 1; i < time_entries.size(); ++i) {
    if (time_entries[i].timestamp <= time_entries[i - 1].timestamp ||
        time_entries[i].relative_offset < time_entries[i - 1].relative_offset) {
      return true;
    }
  }
  return false;
}

// The independent check of the files as the kill left them: the valid
// prefix runs contiguously from offset 0, holds exactly the content
// log_content.h defines, and covers every acknowledged offset.
std::vector<RawSegment> CheckFilesAfterKill(const std::string& partition_dir, const DirSetup& setup,
                                            int64_t acked_end) {
  std::vector<RawSegment> segments = testing::ScanPartitionDir(partition_dir);
  int64_t next = 0;
  bool ended = false;  // A segment's prefix ended before its file did.
  for (const RawSegment& seg : segments) {
    INFO("segment " << seg.path);
    if (ended) break;
    if (seg.batches.empty()) {
      if (seg.base != next) break;
    }
    for (const RawBatch& b : seg.batches) {
      REQUIRE(b.base == next);
      testing::CheckBatchContent(
          setup.content_seed, AsBytes(absl::string_view(seg.content).substr(b.position, b.bytes)),
          b.base);
      next = b.last + 1;
    }
    ended = seg.tail_bytes() > 0 && !seg.zero_tail;
  }
  INFO("valid prefix of the files ends at " << next << "; acknowledged up to " << acked_end);
  REQUIRE(next >= acked_end);
  return segments;
}

// What the rounds exercised, printed at the end of a test case so a run
// that never hit the interesting cases shows it.
struct Stats {
  int rounds = 0;
  int killed_in_recovery = 0;  // Before an unclean child was ready.
  int64_t acks = 0;
  int rill_checks = 0;
  int unclean_opens = 0;
  int torn_tails = 0;  // Opens that cut a torn or corrupt tail.
  int zero_tails = 0;  // Opens that cut only zeros (preallocated space).
  int max_segments = 0;
};

// Which segments recovery rescans and what it cuts, from the files alone.
struct ExpectedLoad {
  int recovered_segments = 0;
  uint64_t truncated_bytes = 0;
  int64_t truncated_from_offset = -1;
  int deleted_segments = 0;
  int64_t log_end = 0;
};

ExpectedLoad PredictLoad(const std::vector<RawSegment>& segments, bool clean,
                         int64_t recovery_point) {
  ExpectedLoad e;
  size_t first = segments.size();
  if (!clean) {
    for (size_t i = 0; i < segments.size(); ++i) {
      if (i == 0 || segments[i].base <= std::max<int64_t>(recovery_point, 0)) first = i;
    }
  }
  for (size_t i = 0; i < first; ++i) {
    if (IndexesNeedRebuild(segments[i])) ++e.recovered_segments;
  }
  size_t last = segments.size();
  for (size_t i = first; i < segments.size(); ++i) {
    const RawSegment& seg = segments[i];
    ++e.recovered_segments;
    e.truncated_bytes += seg.tail_bytes();
    bool corrupt_cut = seg.tail_bytes() > 0 && !seg.zero_tail;
    if (corrupt_cut && e.truncated_from_offset < 0) {
      e.truncated_from_offset = seg.batches.empty() ? seg.base : seg.next_offset();
    }
    if (corrupt_cut) {
      e.deleted_segments = static_cast<int>(segments.size() - i - 1);
      last = i + 1;
      break;
    }
  }
  if (last > 0) {
    const RawSegment& tail = segments[last - 1];
    e.log_end = tail.batches.empty() ? tail.base : tail.next_offset();
  }
  return e;
}

// Opens the directory with rill as the parent, checks what loading
// reported against the files, reads every batch back, checks the indexes
// before and after a clean close.
void CheckWithRill(const std::string& data_dir, const DirSetup& setup, int64_t acked_end,
                   const std::vector<RawSegment>& segments, Stats* stats) {
  std::string partition_dir = JoinPath(data_dir, PartitionDirName(kTopic, kPartition));
  bool clean = testing::FileExists(JoinPath(data_dir, kCleanShutdownMarker));
  ExpectedLoad expected = PredictLoad(segments, clean, CheckpointedRecoveryPoint(data_dir));

  LogManagerOptions options;
  options.dir = data_dir;
  options.config_for = [&](const std::string&) { return setup.config; };
  auto manager = LogManager::Open(options);
  REQUIRE_OK(manager);
  REQUIRE((*manager)->opened_after_clean_shutdown() == clean);
  Log* log = (*manager)->GetLog(kTopic, kPartition);
  REQUIRE(log != nullptr);
  const LogLoadReport& report = (*manager)->load_reports().at({kTopic, kPartition});
  INFO("load report: segments " << report.segments << ", recovered " << report.recovered_segments
                                << ", truncated " << report.truncated_bytes << " bytes from offset "
                                << report.truncated_from_offset << ", deleted "
                                << report.deleted_segments << ", corruption '" << report.corruption
                                << "'");
  ++stats->rill_checks;
  if (!clean) ++stats->unclean_opens;
  if (expected.truncated_from_offset >= 0) ++stats->torn_tails;
  if (expected.truncated_from_offset < 0 && expected.truncated_bytes > 0) ++stats->zero_tails;
  stats->max_segments = std::max(stats->max_segments, static_cast<int>(segments.size()));
  CHECK(report.segments == static_cast<int>(segments.size()));
  CHECK(report.recovered_segments == expected.recovered_segments);
  CHECK(report.truncated_bytes == expected.truncated_bytes);
  CHECK(report.truncated_from_offset == expected.truncated_from_offset);
  CHECK(report.deleted_segments == expected.deleted_segments);
  CHECK(report.completed_swaps == 0);
  CHECK(report.corruption.empty() == (expected.truncated_from_offset < 0));
  if (clean && expected.recovered_segments == 0) CHECK(report.recovered_bytes == 0);
  REQUIRE(log->log_start_offset() == 0);
  REQUIRE(log->log_end_offset() == expected.log_end);
  REQUIRE(log->log_end_offset() >= acked_end);
  REQUIRE(log->recovery_point() == log->log_end_offset());

  testing::CheckLogContent(*log, setup.content_seed);
  testing::CheckOpenIndexes(*log);
  REQUIRE_OK((*manager)->Close());
  manager->reset();

  REQUIRE(testing::FileExists(JoinPath(data_dir, kCleanShutdownMarker)));
  REQUIRE(CheckpointedRecoveryPoint(data_dir) == expected.log_end);
  std::vector<RawSegment> closed = testing::ScanPartitionDir(partition_dir);
  REQUIRE(!closed.empty());
  int64_t next = 0;
  for (const RawSegment& seg : closed) {
    INFO("closed segment " << seg.path);
    REQUIRE(seg.base == next);
    REQUIRE(seg.tail_bytes() == 0);
    testing::CheckClosedIndexFiles(seg);
    if (!seg.batches.empty()) next = seg.next_offset();
  }
  REQUIRE(next == expected.log_end);
}

// For a post-mortem (RILL_KEEP_TEST_DIRS=1): the directory as the next
// child finds it, in <scratch>/before.
void KeepCopyForPostMortem(const std::string& scratch, const std::string& data_dir) {
  std::string before = JoinPath(scratch, "before");
  REQUIRE(std::system(absl::StrCat("rm -rf '", before, "' && { [ ! -d '", data_dir,
                                   "' ] || cp -a '", data_dir, "' '", before, "'; }")
                          .c_str()) == 0);
}

// `rounds` rounds in one fresh directory; the last one always ends with a
// check by rill.
void RunRoundsInOneDirectory(int rounds, int first_round, bool flush_each_message,
                             std::mt19937_64& rng, Stats* stats) {
  testing::TempDir scratch;
  std::string data_dir = JoinPath(scratch.path(), "data");
  std::string partition_dir = JoinPath(data_dir, PartitionDirName(kTopic, kPartition));
  DirSetup setup = RandomSetup(rng, flush_each_message);
  int64_t acked_end = 0;
  for (int i = 0; i < rounds; ++i) {
    bool unclean = testing::FileExists(partition_dir) &&
                   !testing::FileExists(JoinPath(data_dir, kCleanShutdownMarker));
    RoundPlan plan = RandomRoundPlan(rng, unclean);
    if (i + 1 == rounds) plan.verify_with_rill = true;
    INFO("crash seed " << CrashSeed() << " (RILL_CRASH_SEED), round " << first_round + i << " in "
                       << data_dir << " (" << DescribeSetup(setup) << "): " << KillName(plan.kill)
                       << ", kill after " << plan.kill_after_acks << " acks + " << plan.delay_us
                       << " us, maintenance every " << plan.child.maintenance_every << ", "
                       << (plan.verify_with_rill ? "rill check" : "file check only"));
    if (KeepDirs()) KeepCopyForPostMortem(scratch.path(), data_dir);
    RoundResult r = RunRound(data_dir, setup, plan);
    INFO("child: ready " << r.ready << " at " << r.ready_log_end << ", " << r.acks << " acks up to "
                         << r.acked_end);
    // Recovery in the child lost nothing acknowledged earlier.
    if (r.ready) REQUIRE(r.ready_log_end >= acked_end);
    acked_end = std::max(acked_end, r.acked_end);
    ++stats->rounds;
    stats->acks += r.acks;
    if (!r.ready && unclean) ++stats->killed_in_recovery;
    std::vector<RawSegment> segments = CheckFilesAfterKill(partition_dir, setup, acked_end);
    // A child killed before it created the partition left nothing to open.
    if (plan.verify_with_rill && testing::FileExists(partition_dir)) {
      CheckWithRill(data_dir, setup, acked_end, segments, stats);
    }
  }
}

void RunCrashRounds(int rounds, bool flush_each_message, uint64_t salt) {
  std::cout << "crash seed " << CrashSeed() << " (replay with RILL_CRASH_SEED=" << CrashSeed()
            << ")" << std::endl;
  std::mt19937_64 rng(CrashSeed() ^ salt);
  Stats stats;
  for (int done = 0; done < rounds; done += kRoundsPerDirectory) {
    int n = std::min(kRoundsPerDirectory, rounds - done);
    RunRoundsInOneDirectory(n, done, flush_each_message, rng, &stats);
  }
  std::cout << "  " << stats.rounds << " rounds, " << stats.acks << " acknowledged batches, "
            << stats.killed_in_recovery << " kills before an unclean child was ready (during "
            << "its recovery), " << stats.rill_checks << " reopens by rill (" << stats.unclean_opens
            << " unclean, " << stats.torn_tails << " cut a torn tail, " << stats.zero_tails
            << " cut only zeros), up to " << stats.max_segments << " segments" << std::endl;
}

TEST_CASE("acknowledged records survive SIGKILL with flush.messages=1", "[crash]") {
  RunCrashRounds(TotalRounds() / 2, /*flush_each_message=*/true, 0x466C757368);
}

TEST_CASE("acknowledged records survive SIGKILL with OS durability (no flush)", "[crash]") {
  RunCrashRounds(TotalRounds() - TotalRounds() / 2, /*flush_each_message=*/false, 0x4F53);
}

}  // namespace
}  // namespace rill::storage
