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

int64_t ReadNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int64_t RealtimeNs() { return ReadNs(CLOCK_REALTIME); }

#if defined(__x86_64__)

uint64_t Ticks() { return __rdtsc(); }

// A clock read bracketed by two TSC reads. `ticks` is the later one: the
// clock was read no later than it, so time extrapolated from this pair
// never runs ahead of the clock (it lags by at most the bracket). A thread
// preempted inside the bracket gets a wide one, which callers reject.
struct Sample {
  uint64_t ticks = 0;
  uint64_t bracket = 0;
  int64_t ns = 0;
};

Sample Bracketed(clockid_t clock) {
  Sample s;
  uint64_t before = Ticks();
  s.ns = ReadNs(clock);
  s.ticks = Ticks();
  s.bracket = s.ticks - before;
  return s;
}

// A bracket wider than this (about 10 µs at 1-4 GHz) means the thread was
// interrupted between the reads: the sample is not trusted.
constexpr uint64_t kMaxBracketTicks = 20'000;
// Calibration takes only tight samples (~1 µs): over 20 ms their error
// bounds the rate's to ~100 ppm, well inside kSlewMargin.
constexpr uint64_t kCalibrationBracketTicks = kMaxBracketTicks / 8;

Sample TightSample(clockid_t clock) {
  Sample best = Bracketed(clock);
  for (int i = 0; i < 4 && best.bracket > kCalibrationBracketTicks; ++i) {
    Sample s = Bracketed(clock);
    if (s.bracket < best.bracket) best = s;
  }
  return best;
}

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

// The TSC rate, measured against CLOCK_MONOTONIC (the wall clock's pace,
// NTP's slewing included, but never stepped) with tight brackets at both
// ends, at least kCalibrationNs apart. Extrapolation uses it less 1000 ppm:
// NTP may slew the clock by 500 ppm either way after calibration, and the
// calibration's own error is ~100 ppm. An extrapolated time lags the clock
// by at most ~2 µs at the end of a window and does not run ahead of it.
constexpr double kSlewMargin = 1 - 1000e-6;
struct Calibration {
  std::atomic<bool> usable{false};
  Sample first;
  // Nanoseconds per tick; 0 until calibrated (or never, when unusable).
  std::atomic<double> ns_per_tick{0};
};

Calibration& TheCalibration() {
  static Calibration* c = [] {
    auto* c = new Calibration();
    c->first = TightSample(CLOCK_MONOTONIC);
    c->usable.store(KernelUsesTsc() && c->first.bracket <= kCalibrationBracketTicks);
    return c;
  }();
  return *c;
}

double CalibratedRate(uint64_t now_ticks) {
  Calibration& c = TheCalibration();
  double rate = c.ns_per_tick.load(std::memory_order_relaxed);
  if (rate != 0 || !c.usable.load(std::memory_order_relaxed) || now_ticks <= c.first.ticks)
    return rate;
  // One plain read until the calibration interval has passed (the first
  // 20 ms of the process), then the bracketed sample.
  if (ReadNs(CLOCK_MONOTONIC) - c.first.ns < kCalibrationNs) return 0;
  Sample last = TightSample(CLOCK_MONOTONIC);
  if (last.bracket > kCalibrationBracketTicks || last.ns - c.first.ns < kCalibrationNs) return 0;
  rate =
      static_cast<double>(last.ns - c.first.ns) / static_cast<double>(last.ticks - c.first.ticks);
  // 0.1-10 GHz: anything else is not a TSC this code understands.
  if (rate < 0.1 || rate > 10) {
    c.usable.store(false, std::memory_order_relaxed);
    return 0;
  }
  rate *= kSlewMargin;
  c.ns_per_tick.store(rate, std::memory_order_relaxed);  // Any thread's estimate will do.
  return rate;
}

// The last clock_gettime of this thread, and the ticks it was taken at.
struct Anchor {
  uint64_t ticks = 0;
  uint64_t window_ticks = 0;  // 0: no extrapolation, read the clock.
  int64_t ns = 0;
  double ns_per_tick = 0;
};
thread_local Anchor anchor;
thread_local int64_t last_ms = 0;  // This thread's last result.

int64_t Reanchor(uint64_t ticks) {
  double rate = CalibratedRate(ticks);
  if (rate == 0) {
    anchor.window_ticks = 0;
    return RealtimeNs() / 1'000'000;
  }
  Sample s = Bracketed(CLOCK_REALTIME);
  anchor.ticks = s.ticks;
  anchor.ns = s.ns;
  anchor.ns_per_tick = rate;
  // An interrupted read is used once and not extrapolated from.
  anchor.window_ticks = s.bracket <= kMaxBracketTicks ? static_cast<uint64_t>(kWindowNs / rate) : 0;
  return s.ns / 1'000'000;
}

}  // namespace

int64_t WallClockMs() {
  uint64_t ticks = Ticks();
  const Anchor& a = anchor;
  // Unsigned: a TSC read before the anchor (impossible on one CPU, and the
  // kernel keeps CPUs in step) lands far outside the window too.
  uint64_t since = ticks - a.ticks;
  int64_t ms =
      since < a.window_ticks
          ? (a.ns + static_cast<int64_t>(static_cast<double>(since) * a.ns_per_tick)) / 1'000'000
          : Reanchor(ticks);
  // A thread's times never step back by the last millisecond an estimate
  // may have crossed early; a real step of the wall clock (more than that)
  // still shows.
  if (ms == last_ms - 1) return last_ms;
  last_ms = ms;
  return ms;
}

#else

int64_t WallClockMs() { return RealtimeNs() / 1'000'000; }

#endif

}  // namespace rill::base
