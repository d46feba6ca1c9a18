// Storage-layer speed on the shared workload (../shared/bench/WORKLOADS.md):
// the partition Log's append and scan, beside peerbench's file_write baseline
// run in this same process on the same records, plus clean open and dirty
// recovery. One JSON line per measurement (median of --reps runs, with min
// and max), each with its ratio to the baseline.
//
//   storage_bench [--full] [--n N] [--value-bytes V] [--batch B] [--reps R]
//                 [--workloads append,scan,recovery] [--durability os,batch]
//                 [--write-modes mmap,pwrite] [--dir PARENT]
//
// Batches are built by the format layer, closed at ~16 KiB (the producer's
// batch.size) or at a commit point (every B records). At a commit point `os`
// durability does nothing more (an append is in the page cache when it
// returns); `batch` durability calls Log::Flush (fdatasync).

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "bench/baselines.h"
#include "bench/bench_util.h"
#include "bench/shared_records.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "lib/storage/log_manager.h"

namespace rill::bench {
namespace {

struct Config : RecordSet {
  int reps = 3;
  size_t batch_bytes = 16384;
  std::vector<std::string> workloads = {"append", "scan", "recovery"};
  std::vector<std::string> durabilities = {"os", "batch"};
  std::vector<std::string> write_modes = {"mmap", "pwrite"};
  std::string parent;
};

// ---- rill -------------------------------------------------------------------

storage::LogConfig BenchLogConfig(const std::string& write_mode) {
  storage::LogConfig config;
  config.write_mode = write_mode == "pwrite" ? storage::SegmentWriteMode::kPwrite
                                             : storage::SegmentWriteMode::kMmap;
  return config;
}

std::unique_ptr<storage::LogManager> OpenManager(const std::string& dir, const std::string& mode,
                                                 double* open_s) {
  storage::LogManagerOptions options;
  options.dir = dir;
  options.config_for = [mode](const std::string&) { return BenchLogConfig(mode); };
  auto t0 = Clock::now();
  auto manager = storage::LogManager::Open(options);
  if (open_s) *open_s = Seconds(t0, Clock::now());
  if (!manager.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), manager.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*manager);
}

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// Appends records [0, n) to `log` in ~batch_bytes batches closed at commit
// points. The batches of one commit point go to the log in one
// AppendBatches call, as the producer hands it a partition's closed batches
// and as Kafka appends a produce request's; with `durable`, Flush at each
// commit point.
void AppendAll(const Config& c, storage::Log* log, bool durable, double* anon_peak) {
  std::deque<format::RecordBatchBuilder> builders(1);  // Not movable: a deque.
  std::vector<MutableByteSpan> built;
  std::vector<storage::AppendInfo> infos;
  size_t open = 0;  // The builder being filled.
  char key[kKeyBytes + 1];
  std::vector<char> value(c.value_bytes);
  int64_t base_ts = 1'700'000'000'000;
  auto close_batch = [&] {
    auto b = builders[open].Build();
    Check(b.status(), "build");
    built.push_back(*b);
    if (++open == builders.size()) builders.emplace_back();
  };
  auto append_all = [&] {
    infos.resize(built.size());
    size_t appended = 0;
    Check(log->AppendBatches(built, storage::AppendOrigin::kClient, /*validate_records=*/false,
                             infos.data(), &appended),
          "append");
    for (size_t i = 0; i < open; ++i) builders[i].Reset({});
    built.clear();
    open = 0;
  };
  for (uint64_t i = 0; i < c.n; ++i) {
    MakeKey(i, c.key_space, key);
    MakeValue(c.seed, i, value.data(), c.value_bytes);
    Check(builders[open].Append(base_ts + static_cast<int64_t>(i / 1000),
                                absl::string_view(key, kKeyBytes),
                                absl::string_view(value.data(), value.size())),
          "encode");
    bool commit = (i + 1) % c.batch == 0 || i + 1 == c.n;
    if (builders[open].uncompressed_bytes() >= c.batch_bytes || commit) close_batch();
    if (commit) append_all();
    if (commit && durable) Check(log->Flush(), "flush");
    if (anon_peak && (i & 0xffff) == 0) *anon_peak = std::max(*anon_peak, AnonRssMiB());
  }
}

Run RillAppend(const Config& c, const std::string& dir, bool durable, const std::string& mode) {
  Run run;
  auto manager = OpenManager(dir, mode, &run.open_s);
  auto log = manager->GetOrCreateLog("bench", 0, BenchLogConfig(mode));
  Check(log.status(), "create log");
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  AppendAll(c, *log, durable, &run.anon_rss_mb);
  run.seconds = Seconds(t0, Clock::now());
  run.extra["cpu_s"] = CpuSeconds() - cpu0;
  auto t1 = Clock::now();
  Check(manager->Close(), "close");
  run.close_s = Seconds(t1, Clock::now());
  run.disk_mb = DiskMiB(dir);
  return run;
}

Run RillScan(const Config& c, const std::string& dir, const Checksum& expected) {
  Run run;
  auto manager = OpenManager(dir, "mmap", &run.open_s);
  storage::Log* log = manager->GetLog("bench", 0);
  if (log == nullptr) std::exit(1);
  Checksum sum;
  ByteBuffer scratch;
  format::RecordReader reader;
  format::RecordView record;
  auto t0 = Clock::now();
  int64_t offset = log->log_start_offset();
  while (offset < log->log_end_offset()) {
    auto read = log->Read(offset, 1 << 20);
    Check(read.status(), "read");
    format::BatchScanner scanner(read->batches);
    format::BatchScanner::Slice slice;
    while (*scanner.Next(&slice)) {
      auto batch = format::RecordBatchView::Parse(slice.bytes);
      Check(batch.status(), "parse");
      Check(batch->VerifyCrc(), "crc");  // As a Kafka consumer with check.crcs.
      Check(reader.Open(*batch, &scratch), "records");
      while (*reader.Next(&record)) {
        if (record.offset >= offset) sum.Record(*record.key, *record.value);
      }
      offset = batch->next_offset();
    }
    if ((offset & 0xffff) < 200) run.anon_rss_mb = std::max(run.anon_rss_mb, AnonRssMiB());
  }
  run.seconds = Seconds(t0, Clock::now());
  run.anon_rss_mb = std::max(run.anon_rss_mb, AnonRssMiB());
  run.extra["verified"] = sum.value == expected.value && sum.records == c.n;
  return run;
}

// Clean open of a closed log, and open after the writer died with all of
// its data unflushed (a child process that exits without closing: the page
// cache keeps what it wrote, as after SIGKILL).
Run RillRecovery(const Config& c, const std::string& clean_dir, const std::string& dirty_dir) {
  Run run;
  {
    auto m = OpenManager(clean_dir, "mmap", nullptr);
    AppendAll(c, *m->GetOrCreateLog("bench", 0, BenchLogConfig("mmap")), false, nullptr);
    Check(m->Close(), "close");
  }
  auto clean = OpenManager(clean_dir, "mmap", &run.extra["clean_open_s"]);
  clean.reset();
  pid_t child = fork();
  if (child == 0) {
    auto m = OpenManager(dirty_dir, "mmap", nullptr);
    AppendAll(c, *m->GetOrCreateLog("bench", 0, BenchLogConfig("mmap")), false, nullptr);
    _exit(0);  // No Close: no flush, no checkpoint, no clean-shutdown marker.
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::exit(1);
  auto dirty = OpenManager(dirty_dir, "mmap", &run.extra["dirty_open_s"]);
  const auto& report = dirty->load_reports().at({"bench", 0});
  run.extra["recovered_bytes"] = static_cast<double>(report.recovered_bytes);
  run.extra["truncated_bytes"] = static_cast<double>(report.truncated_bytes);
  run.extra["recovery_gb_per_s"] = report.recovered_bytes / run.extra["dirty_open_s"] / 1e9;
  run.seconds = run.extra["dirty_open_s"];
  return run;
}

// ---- driver -----------------------------------------------------------------

void Print(const Config& c, const char* engine, const std::string& workload,
           const std::string& durability, const std::string& mode, const std::vector<Run>& runs,
           double baseline_seconds) {
  PrintLine(c, engine, workload, durability, "\"write_mode\":\"" + mode + "\"", runs,
            "file_write", baseline_seconds);
}

bool Has(const std::vector<std::string>& v, const char* s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void RunAll(const Config& c) {
  const bool scanning = Has(c.workloads, "scan");
  Checksum expected = scanning ? Expected(c) : Checksum{};
  for (const std::string& durability : c.durabilities) {
    bool durable = durability == "batch";
    if (!Has(c.workloads, "append") && !Has(c.workloads, "scan")) break;
    std::vector<Run> base_append, base_scan;
    std::map<std::string, std::vector<Run>> append, scan;
    for (int rep = 0; rep < c.reps; ++rep) {
      // Interleave engines within a repetition so drift hits all of them.
      {
        ScratchDir d(c.parent);
        base_append.push_back(FileWriteAppend(c, d.path(), durable));
        if (!durable && scanning) base_scan.push_back(FileWriteScan(c, d.path(), expected));
      }
      for (const std::string& mode : c.write_modes) {
        ScratchDir d(c.parent);
        append[mode].push_back(RillAppend(c, d.path(), durable, mode));
        if (!durable && scanning && mode == c.write_modes.front()) {
          scan[mode].push_back(RillScan(c, d.path(), expected));
        }
      }
    }
    double base = MedianSeconds(base_append);
    if (Has(c.workloads, "append")) {
      Print(c, "file_write", "append", durability, "write", base_append, 0);
      for (const auto& [mode, runs] : append) Print(c, "rill", "append", durability, mode, runs, base);
    }
    if (!durable && scanning) {
      double base_s = MedianSeconds(base_scan);
      Print(c, "file_write", "scan", "n/a", "read", base_scan, 0);
      for (const auto& [mode, runs] : scan) Print(c, "rill", "scan", "n/a", "mmap", runs, base_s);
    }
  }
  if (Has(c.workloads, "recovery")) {
    std::vector<Run> runs;
    for (int rep = 0; rep < c.reps; ++rep) {
      ScratchDir clean(c.parent), dirty(c.parent);
      runs.push_back(RillRecovery(c, clean.path(), dirty.path()));
    }
    Print(c, "rill", "recovery", "os", "mmap", runs, 0);
  }
}

Config ParseFlags(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "storage_bench: %s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto list = [&] { return std::vector<std::string>(absl::StrSplit(value(), ',')); };
    if (flag == "--full") c.n = 2'000'000;
    else if (flag == "--n") c.n = std::stoull(value());
    else if (flag == "--value-bytes") c.value_bytes = std::stoull(value());
    else if (flag == "--batch") c.batch = std::stoull(value());
    else if (flag == "--reps") c.reps = std::stoi(value());
    else if (flag == "--workloads") c.workloads = list();
    else if (flag == "--durability") c.durabilities = list();
    else if (flag == "--write-modes") c.write_modes = list();
    else if (flag == "--dir") c.parent = value();
    else {
      std::fprintf(stderr,
                   "usage: storage_bench [--full] [--n N] [--value-bytes V] [--batch B] [--reps R]\n"
                   "  [--workloads append,scan,recovery] [--durability os,batch]\n"
                   "  [--write-modes mmap,pwrite] [--dir PARENT]\n");
      std::exit(2);
    }
  }
  if (c.n == 0 || c.batch == 0 || c.reps <= 0 || c.value_bytes == 0) {
    std::fprintf(stderr, "storage_bench: --n, --batch, --reps and --value-bytes must be positive\n");
    std::exit(2);
  }
  return c;
}

}  // namespace
}  // namespace rill::bench

int main(int argc, char** argv) {
  rill::bench::RunAll(rill::bench::ParseFlags(argc, argv));
  return 0;
}
