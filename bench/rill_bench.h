#ifndef RILL_BENCH_RILL_BENCH_H_
#define RILL_BENCH_RILL_BENCH_H_

// What rill-bench's workload files share: the parsed flags, the error
// check, and filling topic "bench" with the shared records. rill_bench.cc
// holds the flag parsing and the append/scan/compaction/group workloads;
// rill_bench_tail.cc and rill_bench_recovery.cc one workload each.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/baselines.h"
#include "rill/rill.h"

namespace rill::bench {

struct Config : RecordSet {
  std::string workload = "append";
  int reps = 3;
  bool full = false;     // --full: the sizes.
  bool n_given = false;  // --n was given (tail and recovery pick their own default).
  std::vector<std::string> durabilities = {"os", "batch"};
  int partitions = 1;
  int producers = 1;
  bool partitions_given = false;  // --partitions was given.
  int consumers = 8;              // --consumers: members of the group workload.
  std::string compression = "none";
  int64_t linger_ms = 5;
  std::string parent;
  bool baselines = true;               // --no-baselines: rill alone, for profiling.
  int32_t fetch_max_bytes = 50 << 20;  // fetch.max.bytes of the scanning consumer.
  int32_t segment_bytes = 16 << 20;    // segment.bytes of the compaction workload's topic.
  double rate = 100'000;               // --rate: records/s the tail producer sends.
  std::vector<std::string> waits = {"spin", "block"};  // --wait: how the tail consumer polls.
  bool background_threads = true;  // --no-background-threads: append and tail brokers without them.
  bool zero_fill = true;           // --no-zero-fill: BrokerOptions::zero_fill_ahead off (append).
  std::vector<int> unflushed_mb;   // --unflushed-mb (recovery); empty = 64, 256 with --full.
};

// Exits the process with `what` and the status when `s` is not OK.
void Check(const absl::Status& s, const char* what);

// Fills topic "bench" of `broker` with records [0, c.n) through one
// producer (linger c.linger_ms, Flush every c.batch), outside any timed
// region; a failed send ends the process.
void ProduceAll(const Config& c, Broker* broker, const char* workload);

void RunTail(const Config& c);
void RunRecovery(const Config& c);

}  // namespace rill::bench

#endif  // RILL_BENCH_RILL_BENCH_H_
