#include "lib/client/default_partitioner.h"

#include "lib/client/murmur2.h"

namespace rill::client {

int32_t DefaultPartitioner::NextSticky(int32_t current, int32_t partition_count) {
  if (partition_count <= 1) return 0;
  std::uniform_int_distribution<int32_t> pick(0, partition_count - 1);
  int32_t next = pick(rng_);
  // Move on: a switch that lands on the same partition would not spread load.
  if (next == current) next = (next + 1) % partition_count;
  return next;
}

int32_t DefaultPartitioner::Partition(absl::string_view topic, std::optional<absl::string_view> key,
                                      int32_t partition_count) {
  if (key && !ignore_keys_) return PartitionForKey(*key, partition_count);
  MutexLock lock(&mu_);
  Sticky& s = sticky_[topic];
  if (s.partition < 0 || s.partition_count != partition_count) {
    s.partition = NextSticky(-1, partition_count);
    s.partition_count = partition_count;
    s.produced_bytes = 0;
  }
  return s.partition;
}

void DefaultPartitioner::OnBatchClosed(absl::string_view topic, int32_t partition, size_t bytes) {
  MutexLock lock(&mu_);
  auto it = sticky_.find(topic);
  if (it == sticky_.end() || it->second.partition != partition) return;
  // KIP-794: switch once batch.size bytes went to the sticky partition.
  it->second.produced_bytes += static_cast<int64_t>(bytes);
  if (it->second.produced_bytes >= batch_size_) {
    it->second.produced_bytes = 0;
    it->second.partition = NextSticky(partition, it->second.partition_count);
  }
}

}  // namespace rill::client
