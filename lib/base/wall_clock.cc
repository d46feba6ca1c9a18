#include "lib/base/wall_clock.h"

#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace rill::base {
namespace {

constexpr int64_t kWindowNs = 1'000'000;        // Re-read the clock this often.
constexpr int64_t kCalibrationNs = 20'000'000;  // Calibrate over at least this.

int64_t RealtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

#if defined(__x86_64__)

uint64_t Ticks() { return __rdtsc(); }

// Whether the kernel keeps time with the TSC: then it is invariant and the
// same on every CPU (the kernel demotes it otherwise).
bool KernelUsesTsc() {
  FILE* f = std::fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
  if (f == nullptr) return false;
  char name[32] = {};
  bool tsc = std::fgets(name, sizeof(name), f) != nullptr && std::strncmp(name, "tsc\n", 4) == 0;
  std::fclose(f);
  return tsc;
}

struct Calibration {
  bool usable = false;
  uint64_t first_ticks = 0;
  int64_t first_ns = 0;
  // Nanoseconds per tick; 0 until calibrated (or never, when unusable).
  std::atomic<double> ns_per_tick{0};
};

Calibration& TheCalibration() {
  static Calibration* c = [] {
    auto* c = new Calibration();
    c->usable = KernelUsesTsc();
    c->first_ticks = Ticks();
    c->first_ns = RealtimeNs();
    return c;
  }();
  return *c;
}

// The last clock_gettime of this thread, and the ticks it was taken at.
struct Anchor {
  uint64_t ticks = 0;
  uint64_t window_ticks = 0;  // 0: no extrapolation, read the clock.
  int64_t ns = 0;
  double ns_per_tick = 0;
};
thread_local Anchor anchor;

int64_t Reanchor(uint64_t ticks) {
  int64_t ns = RealtimeNs();
  Calibration& c = TheCalibration();
  double rate = c.ns_per_tick.load(std::memory_order_relaxed);
  if (rate == 0 && c.usable && ns - c.first_ns >= kCalibrationNs && ticks > c.first_ticks) {
    rate = static_cast<double>(ns - c.first_ns) / static_cast<double>(ticks - c.first_ticks);
    c.ns_per_tick.store(rate, std::memory_order_relaxed);  // Any thread's estimate will do.
  }
  anchor.ticks = ticks;
  anchor.ns = ns;
  anchor.ns_per_tick = rate;
  anchor.window_ticks = rate > 0 ? static_cast<uint64_t>(kWindowNs / rate) : 0;
  return ns / 1'000'000;
}

}  // namespace

int64_t WallClockMs() {
  uint64_t ticks = Ticks();
  const Anchor& a = anchor;
  // Unsigned: a TSC read before the anchor (impossible on one CPU, and the
  // kernel keeps CPUs in step) lands far outside the window too.
  uint64_t since = ticks - a.ticks;
  if (since < a.window_ticks) {
    return (a.ns + static_cast<int64_t>(static_cast<double>(since) * a.ns_per_tick)) / 1'000'000;
  }
  return Reanchor(ticks);
}

#else

int64_t WallClockMs() { return RealtimeNs() / 1'000'000; }

#endif

}  // namespace rill::base
