#include "rill/clock.h"

namespace rill {

Clock* Clock::System() {
  static SystemClock* clock = new SystemClock();
  return clock;
}

}  // namespace rill
