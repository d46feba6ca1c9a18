#ifndef RILL_BENCH_BENCH_UTIL_H_
#define RILL_BENCH_BENCH_UTIL_H_

// Small helpers the benchmarks share: timing, medians, memory figures,
// temporary directories and disk usage.

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace rill::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// RssAnon of this process in MiB: memory that is the program's own, not
// page cache behind file mappings.
inline double AnonRssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::strtod(line.c_str() + 8, nullptr) / 1024.0;
  }
  return -1;
}

inline double PeakRssMiB() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

// CPU time (user + system, all threads) this process has used, in seconds.
inline double CpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Allocated bytes under `dir` (st_blocks × 512, as du), in MiB.
inline double DiskMiB(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st;
    if (stat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) bytes += uint64_t(st.st_blocks) * 512;
  }
  return bytes / 1048576.0;
}

// A fresh directory under `parent` (default /tmp), removed by the destructor.
class ScratchDir {
 public:
  // Syncs first, as peerbench's run_all.sh does after every run: the
  // writeback of an earlier run's (or program's) dirty pages would
  // otherwise run during this one, on the same two cores.
  explicit ScratchDir(const std::string& parent = "") {
    sync();
    std::string base = parent.empty() ? "/tmp" : parent;
    std::string templ = base + "/rill-bench.XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    path_ = buf.data();
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace rill::bench

#endif  // RILL_BENCH_BENCH_UTIL_H_
