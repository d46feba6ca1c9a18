#ifndef RILL_BASE_WALL_CLOCK_H_
#define RILL_BASE_WALL_CLOCK_H_

// WallClockMs(): CLOCK_REALTIME in milliseconds, for a caller that reads it
// per record (the producer stamps every record's CreateTime, as Kafka's
// KafkaProducer.doSend reads System.currentTimeMillis()).
//
// Why not clock_gettime alone: on this project's VMs it costs ~22 ns, a
// sixth of a whole Producer::Send. When the kernel itself keeps time with
// the TSC (clocksource "tsc": invariant and synchronised across CPUs), each
// thread reads clock_gettime once per millisecond and extrapolates in
// between with the TSC (~9 ns).
//
// The TSC rate is calibrated against CLOCK_MONOTONIC (slewed like the wall
// clock, never stepped) over the process's first 20 ms, so a step of the
// wall clock during calibration does not skew it, and extrapolation runs
// 1000 ppm slow (NTP's largest slew either way, plus the calibration's
// error). Every clock read is bracketed by two TSC reads and anchored at the
// later one. So an extrapolated time lags the clock by at most the bracket
// plus ~2 µs and does not run ahead of it, and a thread's result never
// steps back by a millisecond when it re-anchors; a read whose bracket
// shows an interruption is not extrapolated from. A step of the wall clock
// shows at the next window, within a millisecond.
// Everywhere else (another clocksource, another architecture, the first
// 20 ms, a rate outside 0.1-10 GHz) it is clock_gettime.
//
// Thread safe; lock-free (a thread-local anchor and a calibrated rate).

#include <cstdint>

namespace rill::base {

int64_t WallClockMs();

}  // namespace rill::base

#endif  // RILL_BASE_WALL_CLOCK_H_
