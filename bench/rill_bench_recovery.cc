// recovery: time from Broker::Open to the first Poll that returns records
// (WORKLOADS.md), for a log of --unflushed-mb M MiB of the shared records
// (M / (key + value bytes) records; default 64, 256 with --full; a list
// gives one line per value), in three states, each in a fresh directory
// written by a child process (fork, as scan does):
//
//   clean_open_s        the writer closed the broker cleanly.
//   dirty_open_s        the writer was killed (SIGKILL) after its last
//                       append: nothing was fsynced (flush.messages and
//                       flush.ms are "never"), the recovery point is 0, so
//                       Open rescans all M MiB and then fsyncs what it
//                       rescanned while the pages are still dirty in the
//                       page cache, as when a crashed process restarts at
//                       once. This is the line's `seconds`; mb_per_s is
//                       M / dirty_open_s.
//   dirty_open_synced_s as dirty, but sync() ran before Open: the rescan
//                       alone, as after the kernel wrote the pages back.
//
// The whole log is in one segment (segment.bytes is Kafka's 1 GiB): Kafka
// and rill rescan from the segment that holds the recovery point, so data
// written before a clean close into the same segment would be rescanned
// too and blur "unflushed MiB" (and a rolled segment is flushed by the
// broker, so unflushed data never spans many segments).
//
// recovered_bytes and truncated_bytes are Broker::recovery_report() of the
// dirty open (the storage layer's load reports, summed). After every
// open the bench reads the whole log back and checks each record; a
// recovery that lost or changed any fails. The page cache is warm in all
// three states (the `note` field says so).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/baselines.h"
#include "bench/bench_util.h"
#include "bench/rill_bench.h"
#include "rill/rill.h"

namespace rill::bench {
namespace {

enum class Stop { kClean, kKilled };

// Writes records [0, c.n) into topic "bench" of a new broker in `dir` from
// a child process, which then closes the broker cleanly or is killed.
void WriteInChild(const Config& c, const std::string& dir, Stop stop) {
  std::fflush(stdout);
  pid_t child = fork();
  if (child < 0) Die("fork");
  if (child == 0) {
    auto broker = Broker::Open(dir, BrokerOptions{});
    Check(broker.status(), "writer open");
    Check((*broker)->CreateTopic("bench", TopicOptions{}).status(), "create topic");
    ProduceAll(c, broker->get(), "recovery");
    if (stop == Stop::kKilled) raise(SIGKILL);
    Check((*broker)->Close(), "writer close");
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  bool as_planned = stop == Stop::kKilled ? WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL
                                          : WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!as_planned) {
    std::fprintf(stderr, "rill-bench: recovery: the writing child failed (status %d)\n", status);
    std::exit(1);
  }
}

// A broker opened on a written directory and a consumer that has polled
// its first records.
struct Opened {
  std::unique_ptr<Broker> broker;
  std::unique_ptr<Consumer> consumer;
  ConsumerRecords first;
  double seconds = 0;  // Open to the first Poll with records.
};

Opened OpenAndPoll(const std::string& dir) {
  Opened o;
  auto t0 = Clock::now();
  auto broker = Broker::Open(dir, BrokerOptions{});
  Check(broker.status(), "open");
  o.broker = std::move(*broker);
  ConsumerOptions options;
  options.auto_offset_reset = OffsetReset::kEarliest;
  auto consumer = Consumer::Create(o.broker.get(), options);
  Check(consumer.status(), "consumer");
  o.consumer = std::move(*consumer);
  Check(o.consumer->Assign({TopicPartition{"bench", 0}}), "assign");
  while (o.first.empty()) {
    auto records = o.consumer->Poll(absl::Seconds(1));
    Check(records.status(), "first poll");
    if (records->empty() && Seconds(t0, Clock::now()) > 30) {
      std::fprintf(stderr, "rill-bench: recovery: no record within 30 s of Open\n");
      std::exit(1);
    }
    o.first = std::move(*records);
  }
  o.seconds = Seconds(t0, Clock::now());
  return o;
}

// Reads the rest of the log and checks that it holds exactly records
// [0, c.n); then closes.
void VerifyAndClose(const Config& c, Opened& o, const Checksum& expected, const char* state) {
  Checksum sum;
  ConsumerRecords records = std::move(o.first);
  while (!records.empty()) {
    for (const ConsumerRecord& r : records) {
      sum.Record(r.key().value_or(absl::string_view()), r.value().value_or(absl::string_view()));
    }
    if (sum.records >= c.n) break;
    auto next = o.consumer->Poll(absl::Milliseconds(200));
    Check(next.status(), "poll");
    records = std::move(*next);
  }
  int64_t end = o.broker->topic("bench")->partition(0)->log_end_offset();
  if (sum.value != expected.value || sum.records != c.n || end != static_cast<int64_t>(c.n)) {
    std::fprintf(stderr,
                 "rill-bench: recovery: after the %s open the log has %lld records, %llu read, "
                 "%llu expected%s\n",
                 state, static_cast<long long>(end), static_cast<unsigned long long>(sum.records),
                 static_cast<unsigned long long>(c.n),
                 sum.value != expected.value ? ", and they do not verify" : "");
    std::exit(1);
  }
  Check(o.consumer->Close(), "consumer close");
  Check(o.broker->Close(), "broker close");
}

// One repetition. run.open_s is the clean open, run.seconds the dirty one.
struct RecoveryRun {
  Run run;
  double synced_s = 0;            // dirty_open_synced_s.
  RecoveryReport report;          // Of the dirty open.
};

// The three states of the same records.
RecoveryRun RecoveryRep(const Config& c, const Checksum& expected) {
  RecoveryRun out;
  Run& run = out.run;
  {
    ScratchDir d(c.parent);
    WriteInChild(c, d.path(), Stop::kClean);
    Opened o = OpenAndPoll(d.path());
    run.open_s = o.seconds;
    VerifyAndClose(c, o, expected, "clean");
  }
  {
    ScratchDir d(c.parent);
    WriteInChild(c, d.path(), Stop::kKilled);
    Opened o = OpenAndPoll(d.path());
    run.seconds = o.seconds;
    out.report = o.broker->recovery_report();
    run.extra["log_mb"] = o.broker->topic("bench")->partition(0)->size_bytes() / 1048576.0;
    VerifyAndClose(c, o, expected, "dirty");
    run.disk_mb = DiskMiB(d.path());
  }
  {
    ScratchDir d(c.parent);
    WriteInChild(c, d.path(), Stop::kKilled);
    sync();
    Opened o = OpenAndPoll(d.path());
    out.synced_s = o.seconds;
    VerifyAndClose(c, o, expected, "synced dirty");
  }
  run.anon_rss_mb = AnonRssMiB();
  return out;
}

// The median over `runs` of `value`.
template <typename F>
double MedianOf(const std::vector<RecoveryRun>& runs, F value) {
  std::vector<double> v;
  for (const RecoveryRun& r : runs) v.push_back(static_cast<double>(value(r)));
  return Median(v);
}

std::string Fields(int unflushed_mb, const std::vector<RecoveryRun>& runs) {
  std::vector<double> clean, dirty;
  for (const RecoveryRun& r : runs) clean.push_back(r.run.open_s), dirty.push_back(r.run.seconds);
  return absl::StrCat(
      "\"unflushed_mb\":", unflushed_mb, ",\"clean_open_s\":", Median(clean),
      ",\"clean_open_s_max\":", *std::max_element(clean.begin(), clean.end()),
      ",\"dirty_open_s\":", Median(dirty),
      ",\"dirty_open_s_min\":", *std::min_element(dirty.begin(), dirty.end()),
      ",\"dirty_open_s_max\":", *std::max_element(dirty.begin(), dirty.end()),
      ",\"dirty_open_synced_s\":", MedianOf(runs, [](const RecoveryRun& r) { return r.synced_s; }),
      ",\"recovered_bytes\":",
      static_cast<uint64_t>(
          MedianOf(runs, [](const RecoveryRun& r) { return r.report.recovered_bytes; })),
      ",\"truncated_bytes\":",
      static_cast<uint64_t>(
          MedianOf(runs, [](const RecoveryRun& r) { return r.report.truncated_bytes; })),
      ",\"segment_bytes\":", TopicOptions{}.segment_bytes,
      ",\"note\":\"page cache warm; dirty_open_s includes fsyncing the rescanned segment\"");
}

}  // namespace

void RunRecovery(const Config& flags) {
  std::vector<int> sizes = flags.unflushed_mb;
  if (sizes.empty()) sizes = {flags.full ? 256 : 64};
  for (int mb : sizes) {
    Config c = flags;
    c.n = (static_cast<uint64_t>(mb) << 20) / (kKeyBytes + c.value_bytes);
    Checksum expected = Expected(c);
    std::vector<RecoveryRun> reps;
    for (int rep = 0; rep < c.reps; ++rep) reps.push_back(RecoveryRep(c, expected));
    std::vector<Run> runs;
    for (const RecoveryRun& r : reps) runs.push_back(r.run);
    PrintLine(c, "rill", "recovery", "os", Fields(mb, reps), runs, "", 0);
  }
}

}  // namespace rill::bench
