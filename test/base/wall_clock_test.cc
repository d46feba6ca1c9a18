// WallClockMs against clock_gettime: it never runs ahead of the clock, lags
// it by less than a millisecond, and never steps back on one thread, both
// before the TSC rate is calibrated (the process's first 20 ms) and after.

#include "lib/base/wall_clock.h"

#include <time.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"

namespace rill::base {
namespace {

int64_t RealtimeMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

// Calls WallClockMs for `run_for` between two clock reads; returns how many
// calls broke a rule (each rule counted in its own slot).
struct Violations {
  int64_t ahead = 0;      // Later than the clock read after it.
  int64_t lagging = 0;    // Earlier than the clock read before it, by > 1 ms.
  int64_t backwards = 0;  // Earlier than this thread's previous result.
  int64_t calls = 0;
};

Violations Check(std::chrono::milliseconds run_for, bool sleepy) {
  Violations v;
  int64_t previous = 0;
  auto deadline = std::chrono::steady_clock::now() + run_for;
  while (std::chrono::steady_clock::now() < deadline) {
    int64_t before = RealtimeMs();
    int64_t now = WallClockMs();
    int64_t after = RealtimeMs();
    ++v.calls;
    if (now > after) ++v.ahead;
    if (now < before - 1) ++v.lagging;
    if (now < previous) ++v.backwards;
    previous = now;
    // Sleeps make threads re-anchor at random points of a window.
    if (sleepy && v.calls % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(150));
  }
  return v;
}

TEST_CASE("WallClockMs follows CLOCK_REALTIME through calibration and re-anchoring",
          "[base][clock]") {
  // The first call of the process may come here: 80 ms covers the
  // uncalibrated start, the calibration and many 1 ms windows.
  std::vector<Violations> results(3);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] { results[t] = Check(std::chrono::milliseconds(80), t != 0); });
  }
  for (std::thread& t : threads) t.join();
  for (const Violations& v : results) {
    CHECK(v.calls > 100);
    CHECK(v.ahead == 0);
    CHECK(v.lagging == 0);
    CHECK(v.backwards == 0);
  }
}

}  // namespace
}  // namespace rill::base
