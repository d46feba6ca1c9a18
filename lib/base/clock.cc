#include "rill/clock.h"

#include <time.h>

#include "lib/base/wall_clock.h"

namespace rill {

absl::Time SystemClock::Now() const {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return absl::TimeFromTimespec(ts);
}

int64_t SystemClock::NowMs() const { return base::WallClockMs(); }

Clock* Clock::System() {
  static SystemClock* clock = new SystemClock();
  return clock;
}

}  // namespace rill
