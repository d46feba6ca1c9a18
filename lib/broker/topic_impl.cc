#include "lib/broker/topic_impl.h"

namespace rill::broker {

int32_t TopicImpl::partition_count() const {
  ReaderMutexLock lock(&mu_);
  return static_cast<int32_t>(partitions_.size());
}

TopicOptions TopicImpl::options() const {
  ReaderMutexLock lock(&mu_);
  return options_;
}

PartitionImpl* TopicImpl::partition_impl(int32_t index) const {
  ReaderMutexLock lock(&mu_);
  if (index < 0 || index >= static_cast<int32_t>(partitions_.size())) return nullptr;
  return partitions_[index].get();
}

void TopicImpl::AddPartition(std::unique_ptr<PartitionImpl> partition,
                             std::shared_ptr<storage::Log> log) {
  MutexLock lock(&mu_);
  partitions_.push_back(std::move(partition));
  logs_.push_back(std::move(log));
  count_.store(static_cast<int32_t>(partitions_.size()), std::memory_order_release);
}

void TopicImpl::set_options(const TopicOptions& options) {
  MutexLock lock(&mu_);
  options_ = options;
  max_message_bytes_.store(options.max_message_bytes, std::memory_order_relaxed);
  compression_.store(options.compression_type, std::memory_order_relaxed);
}

}  // namespace rill::broker
