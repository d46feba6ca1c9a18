// rill-bench: the workloads of ../shared/bench/WORKLOADS.md through rill's
// public API, each beside peerbench's file_write and file_mmap baselines
// measured in this same process on the same records. One JSON line per
// measurement (peerbench's schema; the median of --reps runs with min and
// max), each rill line with its ratio to file_write.
//
//   rill-bench [--workload append|scan|scan_cold|tail|recovery|compaction|group] [--full]
//              [--n N] [--value-bytes V] [--batch B] [--key-space K] [--seed S] [--reps R]
//              [--durability os|batch] [--partitions P] [--producers T] [--consumers C]
//              [--compression none|gzip|snappy|lz4|zstd] [--linger-ms L]
//              [--dir PARENT] [--no-baselines] [--fetch-max-bytes B]
//              [--segment-bytes S] [--rate R] [--wait spin,block] [--unflushed-mb M[,M...]]
//              [--no-background-threads] [--no-zero-fill] [--json]
//
// --json is accepted for WORKLOADS.md's command lines: JSON lines are the
// only output. Lists (--durability, --wait, --unflushed-mb) give one line
// per value.
//
// append: T producer threads share one rill::Producer; thread t sends
// records [t·N/T, (t+1)·N/T) with one Send per record (the key picks the
// partition with Kafka's murmur2 partitioner when P > 1) and calls Flush()
// at each of its commit points (every B records). `batch` durability gives
// the topic flush.messages = B, so the log fdatasyncs its segment before the
// batch that completes a commit point is acknowledged: every commit point is
// on stable storage when Flush() returns (with P > 1 partitions the count
// is per partition, so it is each partition's every B records instead).
// Every callback is counted; a run
// whose callbacks do not add up to N fails.
//
// scan / scan_cold: a child process writes the N records (one partition);
// this process then opens the directory and one Consumer polls every record
// in order into a checksum; a run that does not verify fails. scan_cold
// first drops the files from the page cache.
//
// tail (rill_bench_tail.cc) and recovery (rill_bench_recovery.cc) say what
// they measure at the top of their files.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/baselines.h"
#include "bench/bench_util.h"
#include "bench/rill_bench.h"
#include "bench/shared_records.h"
#include "rill/rill.h"

namespace rill::bench {

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "rill-bench: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

namespace {

Compression ParseCompression(const std::string& name) {
  if (name == "none") return Compression::kNone;
  if (name == "gzip") return Compression::kGzip;
  if (name == "snappy") return Compression::kSnappy;
  if (name == "lz4") return Compression::kLz4;
  if (name == "zstd") return Compression::kZstd;
  std::fprintf(stderr, "rill-bench: unknown --compression %s\n", name.c_str());
  std::exit(2);
}

// Sends records [begin, end) with one Send each, Flush() every c.batch.
void SendRange(const Config& c, Producer* producer, uint64_t begin, uint64_t end,
               std::atomic<uint64_t>* acked, std::atomic<uint64_t>* failed) {
  char key[kKeyBytes + 1];
  std::vector<char> value(c.value_bytes);
  ProducerRecord record;
  record.topic = "bench";
  auto callback = [acked, failed](const absl::StatusOr<RecordMetadata>& md) {
    (md.ok() ? acked : failed)->fetch_add(1, std::memory_order_relaxed);
  };
  for (uint64_t i = begin; i < end; ++i) {
    MakeKey(i, c.key_space, key);
    MakeValue(c.seed, i, value.data(), c.value_bytes);
    record.key = absl::string_view(key, kKeyBytes);
    record.value = absl::string_view(value.data(), value.size());
    producer->Send(record, callback);
    if ((i - begin + 1) % c.batch == 0 || i + 1 == end) producer->Flush();
  }
}

}  // namespace

void ProduceAll(const Config& c, Broker* broker, const char* workload) {
  ProducerOptions options;
  options.linger_ms = c.linger_ms;
  auto producer = Producer::Create(broker, options);
  Check(producer.status(), "producer");
  std::atomic<uint64_t> acked{0}, failed{0};
  SendRange(c, producer->get(), 0, c.n, &acked, &failed);
  Check((*producer)->Close(), "producer close");
  if (failed.load() != 0) {
    std::fprintf(stderr, "rill-bench: %s: %llu sends failed\n", workload,
                 static_cast<unsigned long long>(failed.load()));
    std::exit(1);
  }
}

namespace {

Run RillAppend(const Config& c, const std::string& dir, bool durable) {
  Run run;
  auto t0 = Clock::now();
  BrokerOptions broker_options;
  broker_options.background_threads = c.background_threads;
  broker_options.zero_fill_ahead = c.zero_fill;
  auto broker = Broker::Open(dir, broker_options);
  Check(broker.status(), "open");
  TopicOptions topic;
  topic.partitions = c.partitions;
  if (durable) topic.flush_messages = static_cast<int64_t>(c.batch);
  Check((*broker)->CreateTopic("bench", topic).status(), "create topic");
  ProducerOptions options;
  options.linger_ms = c.linger_ms;
  options.compression_type = ParseCompression(c.compression);
  auto producer = Producer::Create(broker->get(), options);
  Check(producer.status(), "producer");
  run.open_s = Seconds(t0, Clock::now());

  std::atomic<uint64_t> acked{0}, failed{0};
  std::atomic<bool> done{false};
  std::thread sampler([&] {  // RssAnon while appending, every 10 ms.
    while (!done.load()) {
      run.anon_rss_mb = std::max(run.anon_rss_mb, AnonRssMiB());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  double cpu0 = CpuSeconds();
  auto t1 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < c.producers; ++t) {
    uint64_t begin = c.n * t / c.producers, end = c.n * (t + 1) / c.producers;
    threads.emplace_back([&, begin, end] { SendRange(c, producer->get(), begin, end, &acked, &failed); });
  }
  for (std::thread& t : threads) t.join();
  run.seconds = Seconds(t1, Clock::now());
  run.extra["cpu_s"] = CpuSeconds() - cpu0;
  done = true;
  sampler.join();
  if (acked.load() != c.n || failed.load() != 0) {
    std::fprintf(stderr, "rill-bench: append: %llu acknowledged, %llu failed of %llu\n",
                 static_cast<unsigned long long>(acked.load()),
                 static_cast<unsigned long long>(failed.load()),
                 static_cast<unsigned long long>(c.n));
    std::exit(1);
  }
  ProducerMetrics m = (*producer)->Metrics();
  run.extra["batch_size_avg"] = m.batch_size_avg;
  auto t2 = Clock::now();
  Check((*producer)->Close(), "producer close");
  Check((*broker)->Close(), "broker close");
  run.close_s = Seconds(t2, Clock::now());
  run.disk_mb = DiskMiB(dir);
  return run;
}

// scan / scan_cold: a child process writes the records with one producer
// (os durability) and closes the broker; this process, which never opened
// it, then opens the directory and reads every record with one Consumer,
// folding each key and value into the checksum.
Run RillScan(const Config& c, const std::string& dir, const Checksum& expected, bool cold) {
  pid_t child = fork();
  if (child < 0) Die("fork");
  if (child == 0) {
    Config writer = c;
    writer.partitions = 1;
    writer.producers = 1;
    RillAppend(writer, dir, /*durable=*/false);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "rill-bench: scan: the writing child failed\n");
    std::exit(1);
  }
  if (cold) DropFromPageCache(dir);
  Run run;
  auto t0 = Clock::now();
  auto broker = Broker::Open(dir, BrokerOptions{});
  Check(broker.status(), "open");
  ConsumerOptions options;
  options.auto_offset_reset = OffsetReset::kEarliest;
  options.fetch_max_bytes = c.fetch_max_bytes;
  auto consumer = Consumer::Create(broker->get(), options);
  Check(consumer.status(), "consumer");
  TopicPartition tp{"bench", 0};
  Check((*consumer)->Assign({tp}), "assign");
  run.open_s = Seconds(t0, Clock::now());
  Checksum sum;
  double cpu0 = CpuSeconds();
  auto t1 = Clock::now();
  while (sum.records < c.n) {
    auto records = (*consumer)->Poll(absl::Seconds(1));
    Check(records.status(), "poll");
    if (records->empty()) break;  // Nothing more within a second: short.
    for (const ConsumerRecord& r : *records) {
      sum.Record(r.key().value_or(absl::string_view()), r.value().value_or(absl::string_view()));
    }
    if ((sum.records & 0xffff) < 500) run.anon_rss_mb = std::max(run.anon_rss_mb, AnonRssMiB());
  }
  run.seconds = Seconds(t1, Clock::now());
  run.extra["cpu_s"] = CpuSeconds() - cpu0;
  run.anon_rss_mb = std::max(run.anon_rss_mb, AnonRssMiB());
  run.extra["verified"] = sum.value == expected.value && sum.records == c.n;
  run.extra["read_records"] = static_cast<double>(sum.records);
  Check((*consumer)->Close(), "consumer close");
  Check((*broker)->Close(), "broker close");
  run.disk_mb = DiskMiB(dir);
  return run;
}

void RunScan(const Config& c, bool cold) {
  const char* workload = cold ? "scan_cold" : "scan";
  Checksum expected = Expected(c);
  std::vector<Run> file_write, rill;
  for (int rep = 0; rep < c.reps; ++rep) {
    if (c.baselines) {
      ScratchDir d(c.parent);
      FileWriteAppend(c, d.path(), /*durable=*/false);
      if (cold) DropFromPageCache(d.path());
      file_write.push_back(FileWriteScan(c, d.path(), expected));
    }
    ScratchDir d(c.parent);
    rill.push_back(RillScan(c, d.path(), expected, cold));
  }
  double base = c.baselines ? MedianSeconds(file_write) : 0;
  if (c.baselines) PrintLine(c, "file_write", workload, "n/a", "", file_write, "", 0);
  std::string fields = absl::StrCat("\"fetch_max_bytes\":", c.fetch_max_bytes);
  PrintLine(c, "rill", workload, "n/a", fields, rill, "file_write", base);
  for (const Run& r : rill) {
    if (r.extra.at("verified") != 1) {
      std::fprintf(stderr, "rill-bench: %s read records that do not verify\n", workload);
      std::exit(1);
    }
  }
}

void RunAppend(const Config& c) {
  for (const std::string& durability : c.durabilities) {
    bool durable = durability == "batch";
    std::vector<Run> file_write, file_mmap, rill;
    for (int rep = 0; rep < c.reps; ++rep) {
      // Interleave engines within a repetition so drift hits all of them.
      if (c.baselines) {
        { ScratchDir d(c.parent); file_write.push_back(FileWriteAppend(c, d.path(), durable)); }
        { ScratchDir d(c.parent); file_mmap.push_back(FileMmapAppend(c, d.path(), durable)); }
      }
      { ScratchDir d(c.parent); rill.push_back(RillAppend(c, d.path(), durable)); }
    }
    double base = c.baselines ? MedianSeconds(file_write) : 0;
    if (c.baselines) {
      PrintLine(c, "file_write", "append", durability, "", file_write, "", 0);
      PrintLine(c, "file_mmap", "append", durability, "", file_mmap, "file_write", base);
    }
    std::string fields =
        absl::StrCat("\"partitions\":", c.partitions, ",\"producers\":", c.producers,
                     ",\"compression\":\"", c.compression, "\",\"linger_ms\":", c.linger_ms,
                     ",\"zero_fill\":", c.zero_fill ? "true" : "false");
    PrintLine(c, "rill", "append", durability, fields, rill, "file_write", base);
  }
}

// compaction: a compacted topic (one partition, --segment-bytes, default
// 16 MiB) gets the N records, so each of the K keys is written N/K times;
// then Partition::Compact() cleans every segment below the active one on
// this thread (one cleaner thread's work), and only that is timed.
// mb_per_s is of the logical input (N keys and values); input_mb is the
// segment bytes the cleaner read, ratio_out_in its output over its input.
Run RillCompaction(const Config& c, const std::string& dir) {
  BrokerOptions options;
  options.background_threads = false;  // Nothing cleans before the timed call.
  auto broker = Broker::Open(dir, options);
  Check(broker.status(), "open");
  TopicOptions topic;
  topic.cleanup_policy = CleanupPolicy::kCompact;
  topic.segment_bytes = c.segment_bytes;
  Check((*broker)->CreateTopic("bench", topic).status(), "create topic");
  ProduceAll(c, broker->get(), "compaction");
  Partition* partition = (*broker)->topic("bench")->partition(0);
  Run run;
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  auto result = partition->Compact();
  run.seconds = Seconds(t0, Clock::now());
  Check(result.status(), "compact");
  run.extra["cpu_s"] = CpuSeconds() - cpu0;
  run.extra["input_mb"] = static_cast<double>(result->bytes_before) / 1048576.0;
  run.extra["output_mb"] = static_cast<double>(result->bytes_after) / 1048576.0;
  run.extra["ratio_out_in"] = static_cast<double>(result->bytes_after) /
                              static_cast<double>(std::max<uint64_t>(result->bytes_before, 1));
  run.extra["input_mb_per_s"] = run.extra["input_mb"] / run.seconds;
  run.extra["records_after"] = static_cast<double>(result->records_after);
  run.extra["segments_before"] = result->segments_before;
  run.extra["segments_after"] = result->segments_after;
  run.anon_rss_mb = AnonRssMiB();
  Check((*broker)->Close(), "broker close");
  run.disk_mb = DiskMiB(dir);
  return run;
}

void RunCompaction(const Config& c) {
  std::vector<Run> runs;
  for (int rep = 0; rep < c.reps; ++rep) {
    ScratchDir d(c.parent);
    runs.push_back(RillCompaction(c, d.path()));
  }
  std::string fields = absl::StrCat("\"key_space\":", c.key_space, ",\"segment_bytes\":", c.segment_bytes,
                                    ",\"cleaner_threads\":1");
  PrintLine(c, "rill", "compaction", "os", fields, runs, "", 0);
}

// group: C consumers (--consumers, default 8) in one group over P
// partitions (--partitions, default 32 here), each on its own thread.
// Throughput: the N records are produced first; then the C members join
// and consume them, each committing (CommitSync) after every B records it
// polled and when it catches up; `seconds` runs from their start until
// every partition's committed offset is its log end. Rebalance: with the
// group stable, one more member joins; rebalance_ms is the time from
// creating it until every partition is owned again, by members that are
// all in the same new generation (seen by their rebalance listeners); the
// member then leaves and the group settles, untimed. Once per assignor:
// range (eager) and cooperative-sticky (two rounds: revoke, then assign).

// What each member owns, as its rebalance listener last saw it.
class OwnershipBoard {
 public:
  explicit OwnershipBoard(int slots) : slots_(slots, {-1, 0}) {}
  void Publish(int slot, int32_t generation, size_t owned) {
    std::lock_guard<std::mutex> lock(mu_);
    slots_[slot] = {generation, owned};
  }
  // The generation members [0, members) share when they are all past
  // `after` and own `partitions` partitions in all; -1 otherwise.
  int32_t Settled(int members, int32_t after, size_t partitions) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t owned = 0;
    for (int i = 0; i < members; ++i) {
      if (slots_[i].first != slots_[0].first) return -1;
      owned += slots_[i].second;
    }
    return slots_[0].first > after && owned == partitions ? slots_[0].first : -1;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<int32_t, size_t>> slots_;
};

class BoardListener : public ConsumerRebalanceListener {
 public:
  BoardListener(Consumer* consumer, OwnershipBoard* board, int slot)
      : consumer_(consumer), board_(board), slot_(slot) {}
  void OnPartitionsRevoked(absl::Span<const TopicPartition> ps) override {
    board_->Publish(slot_, -1, consumer_->Assignment().size() - ps.size());
  }
  void OnPartitionsAssigned(absl::Span<const TopicPartition>) override {
    board_->Publish(slot_, consumer_->GroupMetadata().generation_id,
                    consumer_->Assignment().size());
  }

 private:
  Consumer* consumer_;
  OwnershipBoard* board_;
  int slot_;
};

// One member on its own thread: polls, counts and commits every `batch`
// records until stopped.
class GroupMember {
 public:
  GroupMember(Broker* broker, Assignor assignor, OwnershipBoard* board, int slot, uint64_t batch)
      : batch_(batch) {
    ConsumerOptions o;
    o.group_id = "bench";
    o.auto_offset_reset = OffsetReset::kEarliest;
    o.enable_auto_commit = false;
    o.partition_assignment_strategy = {assignor};
    auto consumer = Consumer::Create(broker, o);
    Check(consumer.status(), "consumer");
    consumer_ = std::move(*consumer);
    listener_ = std::make_unique<BoardListener>(consumer_.get(), board, slot);
    Check(consumer_->Subscribe({"bench"}, listener_.get()), "subscribe");
    thread_ = std::thread([this] { Loop(); });
  }
  // Stops the thread and leaves the group.
  ~GroupMember() {
    stop_.store(true);
    consumer_->Wakeup();
    thread_.join();
    Check(consumer_->Close(), "consumer close");
  }
  uint64_t polled() const { return polled_.load(); }
  uint64_t commits() const { return commits_.load(); }

 private:
  void Loop() {
    uint64_t uncommitted = 0;
    while (!stop_.load()) {
      auto records = consumer_->Poll(absl::Milliseconds(50));
      if (!records.ok()) {
        if (absl::IsCancelled(records.status())) continue;
        Check(records.status(), "poll");
      }
      polled_.fetch_add(records->count());
      uncommitted += records->count();
      if (uncommitted >= batch_ || (records->empty() && uncommitted > 0)) {
        // A commit during a rebalance fails; the next one covers it.
        if (consumer_->CommitSync().ok()) {
          commits_.fetch_add(1);
          uncommitted = 0;
        }
      }
    }
  }

  const uint64_t batch_;
  std::unique_ptr<Consumer> consumer_;
  std::unique_ptr<BoardListener> listener_;
  std::thread thread_;
  std::atomic<bool> stop_{false};    // Publishes nothing: only ends Loop().
  std::atomic<uint64_t> polled_{0};  // Statistics, read after the run.
  std::atomic<uint64_t> commits_{0};
};

// Waits until members [0, members) settle past `after`; returns their generation.
int32_t AwaitSettled(OwnershipBoard& board, int members, int32_t after, size_t partitions) {
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (true) {
    int32_t g = board.Settled(members, after, partitions);
    if (g >= 0) return g;
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "rill-bench: group: the group did not settle\n");
      std::exit(1);
    }
    std::this_thread::yield();
  }
}

bool AllCommitted(Admin& admin) {
  auto lag = admin.Lag("bench");
  if (!lag.ok()) return false;  // NotFound until the first commit.
  for (const PartitionLag& l : *lag)
    if (!l.committed_offset || l.lag != 0) return false;
  return true;
}

Run RillGroup(const Config& c, const std::string& dir, Assignor assignor, int partitions,
              std::vector<double>* rebalance_ms) {
  auto broker = Broker::Open(dir, BrokerOptions{});
  Check(broker.status(), "open");
  Check((*broker)->CreateTopic("bench", {.partitions = partitions}).status(), "create topic");
  ProduceAll(c, broker->get(), "group");
  Admin admin(broker->get());
  OwnershipBoard board(c.consumers + 1);
  std::vector<std::unique_ptr<GroupMember>> members;
  Run run;
  auto t0 = Clock::now();
  for (int i = 0; i < c.consumers; ++i)
    members.push_back(std::make_unique<GroupMember>(broker->get(), assignor, &board, i, c.batch));
  while (!AllCommitted(admin)) std::this_thread::sleep_for(std::chrono::microseconds(200));
  run.seconds = Seconds(t0, Clock::now());
  uint64_t polled = 0, commits = 0;
  for (const auto& m : members) polled += m->polled(), commits += m->commits();
  run.extra["commits_per_s"] = commits / run.seconds;
  run.extra["commits"] = static_cast<double>(commits);
  run.extra["redelivered"] = static_cast<double>(polled - c.n);

  int32_t generation = AwaitSettled(board, c.consumers, -1, partitions);
  for (int join = 0; join < 10; ++join) {
    auto j0 = Clock::now();
    members.push_back(
        std::make_unique<GroupMember>(broker->get(), assignor, &board, c.consumers, c.batch));
    generation = AwaitSettled(board, c.consumers + 1, generation, partitions);
    rebalance_ms->push_back(Seconds(j0, Clock::now()) * 1000);
    members.pop_back();  // Leaves: the others take its partitions back.
    generation = AwaitSettled(board, c.consumers, generation, partitions);
  }
  members.clear();
  run.anon_rss_mb = AnonRssMiB();
  Check((*broker)->Close(), "broker close");
  return run;
}

void RunGroup(const Config& c) {
  const int partitions = c.partitions_given ? c.partitions : 32;
  for (Assignor assignor : {Assignor::kRange, Assignor::kCooperativeSticky}) {
    std::vector<Run> runs;
    std::vector<double> rebalance_ms;
    for (int rep = 0; rep < c.reps; ++rep) {
      ScratchDir d(c.parent);
      runs.push_back(RillGroup(c, d.path(), assignor, partitions, &rebalance_ms));
    }
    std::string fields = absl::StrCat(
        "\"consumers\":", c.consumers, ",\"partitions\":", partitions, ",\"assignor\":\"",
        assignor == Assignor::kRange ? "range" : "cooperative-sticky",
        "\",\"rebalance_ms\":", Median(rebalance_ms),
        ",\"rebalance_ms_min\":", *std::min_element(rebalance_ms.begin(), rebalance_ms.end()),
        ",\"rebalance_ms_max\":", *std::max_element(rebalance_ms.begin(), rebalance_ms.end()),
        ",\"rebalances\":", rebalance_ms.size());
    PrintLine(c, "rill", "group", "os", fields, runs, "", 0);
  }
}

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: rill-bench [--workload append|scan|scan_cold|tail|recovery|compaction|group] [--full]\n"
               "  [--n N] [--value-bytes V] [--batch B] [--key-space K] [--seed S] [--reps R]\n"
               "  [--durability os,batch] [--partitions P] [--producers T] [--consumers C]\n"
               "  [--compression none|gzip|snappy|lz4|zstd] [--linger-ms L] [--dir PARENT] [--no-baselines]\n"
               "  [--fetch-max-bytes B] [--segment-bytes S] [--rate R] [--wait spin,block]\n"
               "  [--unflushed-mb M[,M...]] [--no-background-threads] [--no-zero-fill] [--json]\n");
  std::exit(2);
}

std::vector<int> ParseInts(const std::string& list) {
  std::vector<int> out;
  for (absl::string_view item : absl::StrSplit(list, ',')) out.push_back(std::stoi(std::string(item)));
  return out;
}

Config ParseFlags(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (flag == "--full") c.n = 2'000'000, c.full = true;
    else if (flag == "--workload") c.workload = value();
    else if (flag == "--n") c.n = std::stoull(value()), c.n_given = true;
    else if (flag == "--value-bytes") c.value_bytes = std::stoull(value());
    else if (flag == "--batch") c.batch = std::stoull(value());
    else if (flag == "--key-space") c.key_space = std::stoull(value());
    else if (flag == "--seed") c.seed = std::stoull(value());
    else if (flag == "--reps") c.reps = std::stoi(value());
    else if (flag == "--durability") c.durabilities = absl::StrSplit(value(), ',');
    else if (flag == "--partitions") c.partitions = std::stoi(value()), c.partitions_given = true;
    else if (flag == "--consumers") c.consumers = std::stoi(value());
    else if (flag == "--producers") c.producers = std::stoi(value());
    else if (flag == "--compression") c.compression = value();
    else if (flag == "--linger-ms") c.linger_ms = std::stoll(value());
    else if (flag == "--dir") c.parent = value();
    else if (flag == "--no-baselines") c.baselines = false;
    else if (flag == "--fetch-max-bytes") c.fetch_max_bytes = std::stoi(value());
    else if (flag == "--segment-bytes") c.segment_bytes = std::stoi(value());
    else if (flag == "--rate") c.rate = std::stod(value());
    else if (flag == "--wait") c.waits = absl::StrSplit(value(), ',');
    else if (flag == "--unflushed-mb") c.unflushed_mb = ParseInts(value());
    else if (flag == "--no-background-threads") c.background_threads = false;
    else if (flag == "--no-zero-fill") c.zero_fill = false;
    else if (flag == "--json") continue;  // JSON lines are the only output.
    else Usage();
  }
  if (c.n == 0 || c.batch == 0 || c.reps <= 0 || c.value_bytes == 0 || c.key_space == 0 ||
      c.partitions <= 0 || c.producers <= 0 || c.consumers <= 0 || !(c.rate > 0)) {
    std::fprintf(stderr, "rill-bench: sizes and counts must be positive\n");
    std::exit(2);
  }
  ParseCompression(c.compression);
  for (const std::string& wait : c.waits) {
    if (wait != "spin" && wait != "block") Usage();
  }
  for (int mb : c.unflushed_mb) {
    if (mb <= 0) Usage();
  }
  return c;
}

}  // namespace
}  // namespace rill::bench

int main(int argc, char** argv) {
  rill::bench::Config c = rill::bench::ParseFlags(argc, argv);
  if (c.workload == "append") {
    rill::bench::RunAppend(c);
  } else if (c.workload == "scan" || c.workload == "scan_cold") {
    rill::bench::RunScan(c, c.workload == "scan_cold");
  } else if (c.workload == "group") {
    rill::bench::RunGroup(c);
  } else if (c.workload == "compaction") {
    rill::bench::RunCompaction(c);
  } else if (c.workload == "tail") {
    rill::bench::RunTail(c);
  } else if (c.workload == "recovery") {
    rill::bench::RunRecovery(c);
  } else {
    std::fprintf(stderr, "rill-bench: unknown workload %s\n",
                 c.workload.c_str());
    return 2;
  }
  return 0;
}
