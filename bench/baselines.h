#ifndef RILL_BENCH_BASELINES_H_
#define RILL_BENCH_BASELINES_H_

// What every rill benchmark measures against, in the same process and on
// the same records: peerbench's file_write and file_mmap baselines
// (../shared/bench/peerbench/README.md), the checksum readers fold records
// into, and the JSON line every run prints.

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bench/bench_util.h"
#include "bench/shared_records.h"

namespace rill::bench {

// The shared workload's parameters (WORKLOADS.md "The shared records").
struct RecordSet {
  uint64_t n = 1'000'000;
  size_t value_bytes = 100;
  uint64_t batch = 1000;  // Records per commit point.
  uint64_t key_space = 100'000;
  uint64_t seed = 42;

  double logical_mb() const { return n * (kKeyBytes + value_bytes) / 1048576.0; }
};

// One timed repetition.
struct Run {
  double seconds = 0, open_s = 0, close_s = 0, anon_rss_mb = 0, disk_mb = 0;
  std::map<std::string, double> extra;
};

// Folds key and value bytes into an order-sensitive checksum; baselines and
// rill pay the same per-record cost.
struct Checksum {
  uint64_t value = 0x243F6A8885A308D3ull;
  uint64_t records = 0;
  void Add(const char* p, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      value = (value ^ w) * 0x9E3779B97F4A7C15ull;
    }
    for (size_t i = n / 8 * 8; i < n; ++i) value = (value ^ uint8_t(p[i])) * 0x100000001B3ull;
  }
  void Record(absl::string_view key, absl::string_view value_bytes) {
    Add(key.data(), key.size());
    Add(value_bytes.data(), value_bytes.size());
    ++records;
  }
};

// The checksum of records [0, n) in order.
inline Checksum Expected(const RecordSet& c) {
  Checksum sum;
  std::vector<char> value(c.value_bytes);
  char key[kKeyBytes + 1];
  for (uint64_t i = 0; i < c.n; ++i) {
    MakeKey(i, c.key_space, key);
    MakeValue(c.seed, i, value.data(), c.value_bytes);
    sum.Record(absl::string_view(key, kKeyBytes), absl::string_view(value.data(), value.size()));
  }
  return sum;
}

[[noreturn]] inline void Die(const char* what) {
  std::perror(what);
  std::exit(1);
}

// file_write: framed records (4-byte length, key, value) to one file, one
// write() per commit point; fdatasync per commit point when `durable`.
inline Run FileWriteAppend(const RecordSet& c, const std::string& dir, bool durable) {
  Run run;
  auto t0 = Clock::now();
  int fd = open((dir + "/log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) Die("file_write open");
  run.open_s = Seconds(t0, Clock::now());
  std::vector<char> buf;
  buf.reserve(c.batch * (4 + kKeyBytes + c.value_bytes));
  char key[kKeyBytes + 1];
  std::vector<char> value(c.value_bytes);
  double cpu0 = CpuSeconds();
  auto t1 = Clock::now();
  for (uint64_t i = 0; i < c.n; ++i) {
    MakeKey(i, c.key_space, key);
    MakeValue(c.seed, i, value.data(), c.value_bytes);
    uint32_t len = static_cast<uint32_t>(kKeyBytes + c.value_bytes);
    buf.insert(buf.end(), reinterpret_cast<char*>(&len), reinterpret_cast<char*>(&len) + 4);
    buf.insert(buf.end(), key, key + kKeyBytes);
    buf.insert(buf.end(), value.begin(), value.end());
    if ((i + 1) % c.batch == 0 || i + 1 == c.n) {
      if (write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) Die("file_write");
      buf.clear();
      if (durable && fdatasync(fd) != 0) Die("file_write fdatasync");
    }
  }
  run.seconds = Seconds(t1, Clock::now());
  run.extra["cpu_s"] = CpuSeconds() - cpu0;
  close(fd);
  run.disk_mb = DiskMiB(dir);
  return run;
}

// file_mmap: the same frames memcpy'd into a MAP_SHARED mapping of a file
// preallocated to its final size; msync(MS_SYNC) per commit point when
// `durable`.
inline Run FileMmapAppend(const RecordSet& c, const std::string& dir, bool durable) {
  Run run;
  const size_t frame = 4 + kKeyBytes + c.value_bytes;
  const size_t total = c.n * frame;
  auto t0 = Clock::now();
  int fd = open((dir + "/log").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || posix_fallocate(fd, 0, static_cast<off_t>(total)) != 0) Die("file_mmap open");
  char* map = static_cast<char*>(mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  if (map == MAP_FAILED) Die("file_mmap mmap");
  run.open_s = Seconds(t0, Clock::now());
  char key[kKeyBytes + 1];
  std::vector<char> value(c.value_bytes);
  size_t at = 0, synced = 0;
  auto t1 = Clock::now();
  for (uint64_t i = 0; i < c.n; ++i) {
    MakeKey(i, c.key_space, key);
    MakeValue(c.seed, i, value.data(), c.value_bytes);
    uint32_t len = static_cast<uint32_t>(kKeyBytes + c.value_bytes);
    std::memcpy(map + at, &len, 4);
    std::memcpy(map + at + 4, key, kKeyBytes);
    std::memcpy(map + at + 4 + kKeyBytes, value.data(), c.value_bytes);
    at += frame;
    if (durable && ((i + 1) % c.batch == 0 || i + 1 == c.n)) {
      size_t from = synced & ~size_t{4095};
      if (msync(map + from, at - from, MS_SYNC) != 0) Die("file_mmap msync");
      synced = at;
    }
  }
  run.seconds = Seconds(t1, Clock::now());
  auto t2 = Clock::now();
  munmap(map, total);
  close(fd);
  run.close_s = Seconds(t2, Clock::now());
  run.disk_mb = DiskMiB(dir);
  return run;
}

// Reads file_write's file back with read() in 1 MiB chunks.
inline Run FileWriteScan(const RecordSet& c, const std::string& dir, const Checksum& expected) {
  Run run;
  int fd = open((dir + "/log").c_str(), O_RDONLY);
  if (fd < 0) Die("file_write scan open");
  std::vector<char> buf(1 << 20);
  Checksum sum;
  size_t have = 0;
  auto t0 = Clock::now();
  while (true) {
    ssize_t got = read(fd, buf.data() + have, buf.size() - have);
    if (got <= 0) break;
    have += got;
    size_t at = 0;
    while (at + 4 <= have) {
      uint32_t len;
      std::memcpy(&len, buf.data() + at, 4);
      if (at + 4 + len > have) break;
      sum.Record(absl::string_view(buf.data() + at + 4, kKeyBytes),
                 absl::string_view(buf.data() + at + 4 + kKeyBytes, len - kKeyBytes));
      at += 4 + len;
    }
    std::memmove(buf.data(), buf.data() + at, have - at);
    have -= at;
  }
  run.seconds = Seconds(t0, Clock::now());
  close(fd);
  run.extra["verified"] = sum.value == expected.value && sum.records == c.n;
  return run;
}

// Writes back and drops every file under `dir` from the page cache, so the
// next read comes from the disk (scan_cold).
inline void DropFromPageCache(const std::string& dir) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    int fd = open(e.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
}

inline double MedianSeconds(const std::vector<Run>& runs) {
  std::vector<double> secs;
  for (const Run& r : runs) secs.push_back(r.seconds);
  return Median(secs);
}

// Prints one JSON line in peerbench's schema for the median of `runs`, with
// `fields` (already JSON: `"k":v,...`, may be empty) and the ratio to
// `baseline_seconds` when positive.
inline void PrintLine(const RecordSet& c, const char* engine, const std::string& workload,
                      const std::string& durability, const std::string& fields,
                      const std::vector<Run>& runs, const char* baseline, double baseline_seconds) {
  std::vector<double> secs;
  for (const Run& r : runs) secs.push_back(r.seconds);
  double median = Median(secs);
  const Run& mid = *std::find_if(runs.begin(), runs.end(),
                                 [&](const Run& r) { return r.seconds == median; });
  std::printf(
      "{\"engine\":\"%s\",\"workload\":\"%s\",\"durability\":\"%s\",%s%s"
      "\"n\":%llu,\"value_bytes\":%zu,\"key_bytes\":%d,\"batch\":%llu,\"seconds\":%.4f,"
      "\"seconds_min\":%.4f,\"seconds_max\":%.4f,\"records_per_s\":%.1f,\"mb_per_s\":%.1f,"
      "\"logical_mb\":%.2f,\"peak_rss_mb\":%.1f,\"anon_rss_mb\":%.1f,\"disk_mb\":%.1f,"
      "\"open_s\":%.5f,\"close_s\":%.5f,\"reps\":%zu",
      engine, workload.c_str(), durability.c_str(), fields.c_str(), fields.empty() ? "" : ",",
      static_cast<unsigned long long>(c.n), c.value_bytes, kKeyBytes,
      static_cast<unsigned long long>(c.batch), median, *std::min_element(secs.begin(), secs.end()),
      *std::max_element(secs.begin(), secs.end()), c.n / median, c.logical_mb() / median,
      c.logical_mb(), PeakRssMiB(), mid.anon_rss_mb, mid.disk_mb, mid.open_s, mid.close_s,
      runs.size());
  if (baseline_seconds > 0) {
    std::printf(",\"baseline\":\"%s\",\"ratio_to_%s\":%.3f", baseline, baseline,
                baseline_seconds / median);
  }
  for (const auto& [k, v] : mid.extra) std::printf(",\"%s\":%.6g", k.c_str(), v);
  std::printf("}\n");
  std::fflush(stdout);
}

}  // namespace rill::bench

#endif  // RILL_BENCH_BASELINES_H_
