// tail: end-to-end latency of one partition at a fixed rate
// (WORKLOADS.md). One producer thread sends record i at t0 + i/R
// (--rate R, default 100,000 records/s; linger.ms=0, acks=1), while one
// consumer (its own rill::Consumer, assigned the partition from offset 0)
// polls on another thread: `--wait block` polls with a 100 ms timeout, so
// it sleeps on the broker's append notifier; `--wait spin` calls Poll(0) in
// a loop.
//
// The send time travels in the record: the first 8 bytes of the value are
// the steady_clock (CLOCK_MONOTONIC) nanoseconds read just before Send;
// the rest of the value and the key are the shared records' bytes, which
// the consumer checks for every record it reads. A record's latency is the
// time Poll returned it minus its send time (every record of one Poll
// shares the return time). The first min(10,000, N/10) records are warm-up
// and not counted. Percentiles are exact, from the sorted latencies.
//
// The sender paces by absolute deadlines, so a late send does not shift
// later ones; when it is behind it sends at once (a burst) and reports how
// late it got (sender_late_max_us). Up to 50 µs ahead it spins, yielding
// the CPU between checks (the I/O thread and a spinning consumer need it
// on a small machine); further ahead it sleeps with 1 ns timer slack.
//
// Default N here is 200,000 (2 s at 100k/s), 1,000,000 with --full.
//
// append_p50_us / append_p99_us are the producer's half: Send to the
// record's callback, which runs once the batch is appended. Under
// linger.ms=0 the sending thread appends itself (no hand-over to the
// producer's I/O thread), so each record crosses one thread (sender ->
// consumer); --no-background-threads also stops the broker's maintenance
// thread.
//
// Beside each rill line, baseline_handoff is the floor of a thread handing
// a timestamp to another thread with the same pacing: the sender publishes
// each stamp through a std::atomic counter and, for block, writes an
// eventfd the receiver sleeps in read() on; for spin the receiver spins on
// the counter.

#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/baselines.h"
#include "bench/bench_util.h"
#include "bench/rill_bench.h"
#include "bench/shared_records.h"
#include "rill/rill.h"

namespace rill::bench {
namespace {

constexpr int kStampBytes = 8;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Sends at t0 + i/rate without accumulating drift.
class Pacer {
 public:
  explicit Pacer(double rate) : interval_ns_(1e9 / rate) {
    prctl(PR_SET_TIMERSLACK, 1UL);  // This thread's sleeps end on time.
    t0_ = NowNs();
  }
  int64_t t0() const { return t0_; }
  // Returns once record i's deadline has come.
  void Await(uint64_t i) {
    const int64_t deadline = t0_ + static_cast<int64_t>(i * interval_ns_);
    int64_t now = NowNs();
    if (deadline - now > kSpinBelowNs) {
      int64_t wake = deadline - kSpinBelowNs / 2;
      struct timespec ts = {static_cast<time_t>(wake / 1'000'000'000),
                            static_cast<long>(wake % 1'000'000'000)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    }
    while ((now = NowNs()) < deadline) {
      for (int k = 0; k < 16; ++k) CpuRelax();
      sched_yield();
    }
    late_max_ns_ = std::max(late_max_ns_, now - deadline);
  }
  double late_max_us() const { return late_max_ns_ / 1e3; }

 private:
  static constexpr int64_t kSpinBelowNs = 50'000;
  const double interval_ns_;
  int64_t t0_ = 0;
  int64_t late_max_ns_ = 0;
};

struct TailStats {
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;  // Microseconds.
};

uint64_t WarmupRecords(uint64_t n) { return std::min<uint64_t>(10'000, n / 10); }

// Exact percentiles of the latencies after the warm-up.
TailStats Percentiles(std::vector<int64_t> ns, uint64_t warmup) {
  ns.erase(ns.begin(), ns.begin() + static_cast<ptrdiff_t>(warmup));
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    size_t i = std::min(ns.size() - 1, static_cast<size_t>(q * static_cast<double>(ns.size())));
    return ns[i] / 1e3;
  };
  return {at(0.50), at(0.90), at(0.99), at(0.999), ns.back() / 1e3};
}

// One repetition's result: the run (seconds from the first deadline to
// the last record received) and its latency percentiles.
struct TailRun {
  Run run;
  TailStats stats;
  TailStats append;  // Send to appended (rill only).
};

TailRun Finish(const Config& c, std::vector<int64_t> latency_ns, int64_t t0, int64_t t_end,
               double late_max_us) {
  TailRun out;
  out.run.seconds = (t_end - t0) / 1e9;
  out.run.extra["sender_late_max_us"] = late_max_us;
  out.stats = Percentiles(std::move(latency_ns), WarmupRecords(c.n));
  return out;
}

// baseline_handoff: the sender stores stamp i, publishes i + 1 through
// `published` (release) and, for block, bumps an eventfd; the receiver
// wakes (read() on the eventfd, or spinning on the counter) and takes
// every stamp published so far.
TailRun BaselineHandoff(const Config& c, bool block) {
  std::vector<int64_t> stamps(c.n), latency(c.n);
  std::atomic<uint64_t> published{0};  // Publishes stamps[0, published).
  int efd = eventfd(0, EFD_CLOEXEC);
  if (efd < 0) Die("eventfd");
  int64_t t0 = 0;
  double late_max_us = 0;
  std::thread sender([&] {
    Pacer pacer(c.rate);
    t0 = pacer.t0();
    const uint64_t one = 1;
    for (uint64_t i = 0; i < c.n; ++i) {
      pacer.Await(i);
      stamps[i] = NowNs();
      published.store(i + 1, std::memory_order_release);
      if (block && write(efd, &one, sizeof(one)) != sizeof(one)) Die("eventfd write");
    }
    late_max_us = pacer.late_max_us();
  });
  uint64_t seen = 0;
  while (seen < c.n) {
    uint64_t counter;
    if (block && read(efd, &counter, sizeof(counter)) != sizeof(counter)) Die("eventfd read");
    uint64_t upto = published.load(std::memory_order_acquire);
    if (upto == seen) {
      CpuRelax();
      continue;
    }
    int64_t now = NowNs();
    for (; seen < upto; ++seen) latency[seen] = now - stamps[seen];
  }
  int64_t t_end = NowNs();
  sender.join();
  close(efd);
  return Finish(c, std::move(latency), t0, t_end, late_max_us);
}

// What the sender and the producer's callbacks share. The callback of
// record i runs after its append (on the I/O thread), so append_ns[i] is
// the producer's half of the latency: Send to appended.
struct SendLog {
  explicit SendLog(uint64_t n) : stamp_ns(n), append_ns(n) {}
  std::vector<int64_t> stamp_ns;   // Written before Send; the callback reads it after.
  std::vector<int64_t> append_ns;  // Written by the callbacks, read after Close().
  std::atomic<uint64_t> failed{0};
  int64_t t0 = 0;
  double late_max_us = 0;
};

// Sends records [0, c.n) paced, each value starting with its send time.
void PacedSend(const Config& c, Producer* producer, SendLog* log) {
  char key[kKeyBytes + 1];
  std::vector<char> value(c.value_bytes);
  ProducerRecord record;
  record.topic = "bench";
  record.partition = 0;
  // One captured pointer: fits std::function without an allocation.
  auto callback = [log](const absl::StatusOr<RecordMetadata>& md) {
    if (!md.ok()) {
      log->failed.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    log->append_ns[md->offset] = NowNs() - log->stamp_ns[md->offset];
  };
  Pacer pacer(c.rate);
  log->t0 = pacer.t0();
  for (uint64_t i = 0; i < c.n; ++i) {
    MakeKey(i, c.key_space, key);
    MakeValue(c.seed, i, value.data(), c.value_bytes);
    pacer.Await(i);
    int64_t stamp = NowNs();
    log->stamp_ns[i] = stamp;
    std::memcpy(value.data(), &stamp, kStampBytes);
    record.key = absl::string_view(key, kKeyBytes);
    record.value = absl::string_view(value.data(), value.size());
    producer->Send(record, callback);
  }
  log->late_max_us = pacer.late_max_us();
}

// Checks record `expected`: its offset, its key, and its value past the
// stamp. Returns the stamp.
int64_t VerifiedStamp(const Config& c, const ConsumerRecord& r, uint64_t expected,
                      std::vector<char>* scratch) {
  char key[kKeyBytes + 1];
  MakeKey(expected, c.key_space, key);
  MakeValue(c.seed, expected, scratch->data(), c.value_bytes);
  absl::string_view k = r.key().value_or(absl::string_view());
  absl::string_view v = r.value().value_or(absl::string_view());
  if (static_cast<uint64_t>(r.offset()) != expected || k != absl::string_view(key, kKeyBytes) ||
      v.size() != c.value_bytes ||
      std::memcmp(v.data() + kStampBytes, scratch->data() + kStampBytes,
                  c.value_bytes - kStampBytes) != 0) {
    std::fprintf(stderr,
                 "rill-bench: tail: record at offset %lld does not verify (expected %llu)\n",
                 static_cast<long long>(r.offset()), static_cast<unsigned long long>(expected));
    std::exit(1);
  }
  int64_t stamp;
  std::memcpy(&stamp, v.data(), kStampBytes);
  return stamp;
}

// Polls until every record arrived, recording each one's latency.
std::vector<int64_t> ConsumeAll(const Config& c, Consumer* consumer, bool block) {
  std::vector<int64_t> latency(c.n);
  std::vector<char> scratch(c.value_bytes);
  const absl::Duration timeout = block ? absl::Milliseconds(100) : absl::ZeroDuration();
  uint64_t next = 0;
  int64_t last_progress = NowNs();
  while (next < c.n) {
    auto records = consumer->Poll(timeout);
    int64_t now = NowNs();
    Check(records.status(), "poll");
    for (const ConsumerRecord& r : *records) {
      latency[next] = now - VerifiedStamp(c, r, next, &scratch);
      ++next;
    }
    if (!records->empty()) {
      last_progress = now;
    } else if (now - last_progress > 10'000'000'000) {
      std::fprintf(stderr, "rill-bench: tail: no record for 10 s after %llu of %llu\n",
                   static_cast<unsigned long long>(next), static_cast<unsigned long long>(c.n));
      std::exit(1);
    }
  }
  return latency;
}

TailRun RillTail(const Config& c, const std::string& dir, bool block) {
  BrokerOptions options;
  options.background_threads = c.background_threads;
  auto broker = Broker::Open(dir, options);
  Check(broker.status(), "open");
  Check((*broker)->CreateTopic("bench", TopicOptions{}).status(), "create topic");
  ProducerOptions po;
  po.linger_ms = 0;  // Each Send closes its batch: the I/O thread (or Send) appends it.
  po.acks = Acks::kLeader;
  auto producer = Producer::Create(broker->get(), po);
  Check(producer.status(), "producer");
  ConsumerOptions co;
  co.auto_offset_reset = OffsetReset::kEarliest;
  auto consumer = Consumer::Create(broker->get(), co);
  Check(consumer.status(), "consumer");
  Check((*consumer)->Assign({TopicPartition{"bench", 0}}), "assign");

  SendLog log(c.n);
  double cpu0 = CpuSeconds();
  std::thread sender([&] { PacedSend(c, producer->get(), &log); });
  std::vector<int64_t> latency = ConsumeAll(c, consumer->get(), block);
  int64_t t_end = NowNs();
  sender.join();
  double cpu_s = CpuSeconds() - cpu0;
  Check((*producer)->Close(), "producer close");
  if (log.failed.load() != 0) {
    std::fprintf(stderr, "rill-bench: tail: %llu sends failed\n",
                 static_cast<unsigned long long>(log.failed.load()));
    std::exit(1);
  }
  Check((*consumer)->Close(), "consumer close");
  Check((*broker)->Close(), "broker close");
  TailRun out = Finish(c, std::move(latency), log.t0, t_end, log.late_max_us);
  out.append = Percentiles(std::move(log.append_ns), WarmupRecords(c.n));
  out.run.extra["cpu_s"] = cpu_s;
  out.run.anon_rss_mb = AnonRssMiB();
  out.run.disk_mb = DiskMiB(dir);
  return out;
}

// The JSON fields of a set of repetitions: the median of each percentile,
// and the spread of p99.
std::string StatsFields(const std::vector<TailRun>& runs) {
  auto median = [&](double TailStats::*field) {
    std::vector<double> v;
    for (const TailRun& r : runs) v.push_back(r.stats.*field);
    return Median(v);
  };
  std::vector<double> p99;
  for (const TailRun& r : runs) p99.push_back(r.stats.p99);
  return absl::StrCat(
      "\"p50_us\":", median(&TailStats::p50), ",\"p90_us\":", median(&TailStats::p90),
      ",\"p99_us\":", median(&TailStats::p99),
      ",\"p99_us_min\":", *std::min_element(p99.begin(), p99.end()),
      ",\"p99_us_max\":", *std::max_element(p99.begin(), p99.end()),
      ",\"p999_us\":", median(&TailStats::p999), ",\"max_us\":", median(&TailStats::max));
}

std::vector<Run> Runs(const std::vector<TailRun>& runs) {
  std::vector<Run> out;
  for (const TailRun& r : runs) out.push_back(r.run);
  return out;
}

// The producer's half: Send to the append (its callback).
std::string AppendFields(const std::vector<TailRun>& runs) {
  std::vector<double> p50, p99;
  for (const TailRun& r : runs) p50.push_back(r.append.p50), p99.push_back(r.append.p99);
  return absl::StrCat(",\"append_p50_us\":", Median(p50), ",\"append_p99_us\":", Median(p99));
}

double MedianP99(const std::vector<TailRun>& runs) {
  std::vector<double> v;
  for (const TailRun& r : runs) v.push_back(r.stats.p99);
  return Median(v);
}

}  // namespace

void RunTail(const Config& flags) {
  Config c = flags;
  if (!c.n_given) c.n = c.full ? 1'000'000 : 200'000;
  if (c.value_bytes < kStampBytes || c.n < 10) {
    std::fprintf(stderr, "rill-bench: tail needs --value-bytes >= 8 and --n >= 10\n");
    std::exit(2);
  }
  for (const std::string& wait : c.waits) {
    const bool block = wait == "block";
    std::vector<TailRun> baseline, rill;
    for (int rep = 0; rep < c.reps; ++rep) {
      if (c.baselines) baseline.push_back(BaselineHandoff(c, block));
      ScratchDir d(c.parent);
      rill.push_back(RillTail(c, d.path(), block));
    }
    std::string common = absl::StrCat("\"wait\":\"", wait, "\",\"rate\":", c.rate,
                                      ",\"warmup_records\":", WarmupRecords(c.n), ",");
    if (c.baselines) {
      PrintLine(c, "baseline_handoff", "tail", "os",
                common + "\"mechanism\":\"" + (block ? "eventfd" : "atomic_spin") + "\"," +
                    StatsFields(baseline),
                Runs(baseline), "", 0);
    }
    std::string fields = common + "\"linger_ms\":0,\"acks\":1,\"background_threads\":" +
                         (c.background_threads ? "true," : "false,") + StatsFields(rill) +
                         AppendFields(rill);
    if (c.baselines) {
      absl::StrAppend(&fields, ",\"baseline\":\"baseline_handoff\",\"p99_over_baseline\":",
                      MedianP99(rill) / std::max(MedianP99(baseline), 1e-3));
    }
    PrintLine(c, "rill", "tail", "os", fields, Runs(rill), "", 0);
  }
}

}  // namespace rill::bench
