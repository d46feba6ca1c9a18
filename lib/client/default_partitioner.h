#ifndef RILL_CLIENT_DEFAULT_PARTITIONER_H_
#define RILL_CLIENT_DEFAULT_PARTITIONER_H_

// Kafka's built-in partitioner (BuiltInPartitioner, KIP-794): a keyed record
// goes to toPositive(murmur2(key)) % partitions; null-key records stick to
// one partition until batch.size bytes were produced to it, then move to a
// uniformly random other partition. (Kafka's adaptive weighting by queue
// length needs broker latencies an embedded broker does not have; uniform
// is Kafka's behaviour with partitioner.adaptive.partitioning.enable=false.)
// Thread safe.

#include <cstdint>
#include <random>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "lib/base/mutex.h"
#include "rill/producer.h"

namespace rill::client {

class DefaultPartitioner final : public Partitioner {
 public:
  DefaultPartitioner(int32_t batch_size, bool ignore_keys, uint64_t seed)
      : batch_size_(batch_size), ignore_keys_(ignore_keys), rng_(seed) {}

  int32_t Partition(absl::string_view topic, std::optional<absl::string_view> key,
                    int32_t partition_count) override;
  void OnBatchClosed(absl::string_view topic, int32_t partition, size_t bytes) override;

 private:
  struct Sticky {
    int32_t partition = -1;
    int32_t partition_count = 0;  // When the partition was chosen.
    int64_t produced_bytes = 0;
  };
  int32_t NextSticky(int32_t current, int32_t partition_count) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int32_t batch_size_;
  const bool ignore_keys_;
  Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Sticky> sticky_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rill::client

#endif  // RILL_CLIENT_DEFAULT_PARTITIONER_H_
