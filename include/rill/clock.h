#ifndef RILL_CLOCK_H_
#define RILL_CLOCK_H_

// Where rill reads the time: every timer (segment.ms, retention.ms, flush.ms,
// linger.ms, session timeouts, compaction lags) goes through a Clock, so a
// test with a ManualClock controls all of them without sleeping.
// Thread safe: both implementations may be read and (ManualClock) advanced
// from any thread.

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace rill {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Milliseconds since the Unix epoch: what record timestamps and every
  // Kafka *.ms timer use.
  virtual int64_t NowMs() const { return absl::ToUnixMillis(Now()); }

  // The process-wide system clock. Never null.
  static Clock* System();
};

// The wall clock: CLOCK_REALTIME, as Java's System.currentTimeMillis. Read
// directly rather than through absl::Now(), which costs twice as much here;
// NowMs(), read once per produced record, extrapolates between
// clock_gettime calls with the CPU's time-stamp counter where the kernel
// itself keeps time with it (error well under a millisecond).
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override;
  int64_t NowMs() const override;
};

// A clock that moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000))
      : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Advance(absl::Duration d) { nanos_.fetch_add(absl::ToInt64Nanoseconds(d)); }
  void Set(absl::Time t) { nanos_.store(absl::ToUnixNanos(t)); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace rill

#endif  // RILL_CLOCK_H_
