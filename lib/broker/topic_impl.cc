#include "lib/broker/topic_impl.h"

namespace rill::broker {

int32_t TopicImpl::partition_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return static_cast<int32_t>(partitions_.size());
}

TopicOptions TopicImpl::options() const {
  absl::ReaderMutexLock lock(&mu_);
  return options_;
}

PartitionImpl* TopicImpl::partition_impl(int32_t index) const {
  absl::ReaderMutexLock lock(&mu_);
  if (index < 0 || index >= static_cast<int32_t>(partitions_.size())) return nullptr;
  return partitions_[index].get();
}

void TopicImpl::AddPartition(std::unique_ptr<PartitionImpl> partition) {
  absl::MutexLock lock(&mu_);
  partitions_.push_back(std::move(partition));
}

void TopicImpl::set_options(const TopicOptions& options) {
  absl::MutexLock lock(&mu_);
  options_ = options;
  max_message_bytes_.store(options.max_message_bytes, std::memory_order_relaxed);
  compression_.store(options.compression_type, std::memory_order_relaxed);
}

}  // namespace rill::broker
