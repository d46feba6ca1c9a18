// rill-bench: the workloads of ../shared/bench/WORKLOADS.md through rill's
// public API, each beside peerbench's file_write and file_mmap baselines
// measured in this same process on the same records. One JSON line per
// measurement (peerbench's schema; the median of --reps runs with min and
// max), each rill line with its ratio to file_write.
//
//   rill-bench [--workload append|scan|scan_cold] [--full] [--n N] [--value-bytes V]
//              [--batch B] [--key-space K] [--seed S] [--reps R]
//              [--durability os|batch] [--partitions P] [--producers T]
//              [--compression none|gzip|snappy|lz4|zstd] [--linger-ms L]
//              [--dir PARENT] [--no-baselines] [--fetch-max-bytes B]
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

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/baselines.h"
#include "bench/bench_util.h"
#include "bench/shared_records.h"
#include "rill/rill.h"

namespace rill::bench {
namespace {

struct Config : RecordSet {
  std::string workload = "append";
  int reps = 3;
  std::vector<std::string> durabilities = {"os", "batch"};
  int partitions = 1;
  int producers = 1;
  std::string compression = "none";
  int64_t linger_ms = 5;
  std::string parent;
  bool baselines = true;  // --no-baselines: rill alone, for profiling.
  int32_t fetch_max_bytes = 50 << 20;  // fetch.max.bytes of the scanning consumer.
};

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "rill-bench: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

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

Run RillAppend(const Config& c, const std::string& dir, bool durable) {
  Run run;
  auto t0 = Clock::now();
  auto broker = Broker::Open(dir, BrokerOptions{});
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
    std::string fields = absl::StrCat("\"partitions\":", c.partitions, ",\"producers\":", c.producers,
                                      ",\"compression\":\"", c.compression, "\",\"linger_ms\":",
                                      c.linger_ms);
    PrintLine(c, "rill", "append", durability, fields, rill, "file_write", base);
  }
}

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: rill-bench [--workload append|scan|scan_cold] [--full] [--n N] [--value-bytes V] [--batch B]\n"
               "  [--key-space K] [--seed S] [--reps R] [--durability os,batch] [--partitions P]\n"
               "  [--producers T] [--compression none|gzip|snappy|lz4|zstd] [--linger-ms L]\n"
               "  [--dir PARENT] [--no-baselines] [--fetch-max-bytes B]\n");
  std::exit(2);
}

Config ParseFlags(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (flag == "--full") c.n = 2'000'000;
    else if (flag == "--workload") c.workload = value();
    else if (flag == "--n") c.n = std::stoull(value());
    else if (flag == "--value-bytes") c.value_bytes = std::stoull(value());
    else if (flag == "--batch") c.batch = std::stoull(value());
    else if (flag == "--key-space") c.key_space = std::stoull(value());
    else if (flag == "--seed") c.seed = std::stoull(value());
    else if (flag == "--reps") c.reps = std::stoi(value());
    else if (flag == "--durability") c.durabilities = absl::StrSplit(value(), ',');
    else if (flag == "--partitions") c.partitions = std::stoi(value());
    else if (flag == "--producers") c.producers = std::stoi(value());
    else if (flag == "--compression") c.compression = value();
    else if (flag == "--linger-ms") c.linger_ms = std::stoll(value());
    else if (flag == "--dir") c.parent = value();
    else if (flag == "--no-baselines") c.baselines = false;
    else if (flag == "--fetch-max-bytes") c.fetch_max_bytes = std::stoi(value());
    else Usage();
  }
  if (c.n == 0 || c.batch == 0 || c.reps <= 0 || c.value_bytes == 0 || c.key_space == 0 ||
      c.partitions <= 0 || c.producers <= 0) {
    std::fprintf(stderr, "rill-bench: sizes and counts must be positive\n");
    std::exit(2);
  }
  ParseCompression(c.compression);
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
  } else {
    std::fprintf(stderr, "rill-bench: workload %s is not built yet (append, scan, scan_cold are)\n",
                 c.workload.c_str());
    return 2;
  }
  return 0;
}
