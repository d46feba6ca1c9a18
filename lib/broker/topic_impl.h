#ifndef RILL_BROKER_TOPIC_IMPL_H_
#define RILL_BROKER_TOPIC_IMPL_H_

// The broker's Topic: its id, options and partitions. Partitions are only
// ever added (CreatePartitions), never removed while the topic lives, so a
// Partition* stays valid as long as the TopicImpl. The broker holds topics
// by shared_ptr and so may clients (BrokerImpl::FindTopic): a topic deleted
// while a producer still holds it stays a valid object, marked deleted(),
// whose logs refuse appends. Thread safe.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "lib/base/mutex.h"
#include "lib/broker/partition_impl.h"
#include "rill/broker.h"

namespace rill::broker {

class TopicImpl final : public Topic {
 public:
  TopicImpl(std::string name, std::string topic_id, const TopicOptions& options)
      : name_(std::move(name)),
        topic_id_(std::move(topic_id)),
        options_(options),
        max_message_bytes_(options.max_message_bytes),
        compression_(options.compression_type) {}

  const std::string& name() const override { return name_; }
  std::string topic_id() const override { return topic_id_; }
  int32_t partition_count() const override;
  TopicOptions options() const override;
  Partition* partition(int32_t index) const override { return partition_impl(index); }

  PartitionImpl* partition_impl(int32_t index) const;
  // Lock-free partition count for hot paths (same value as partition_count).
  int32_t partition_count_relaxed() const { return count_.load(std::memory_order_acquire); }
  // Hot-path copies of two configs, readable without the lock.
  int32_t max_message_bytes() const { return max_message_bytes_.load(std::memory_order_relaxed); }
  TopicCompression compression_type() const { return compression_.load(std::memory_order_relaxed); }
  // `log` is the partition's log, kept alive as long as this topic.
  void AddPartition(std::unique_ptr<PartitionImpl> partition, std::shared_ptr<storage::Log> log);
  void set_options(const TopicOptions& options);
  // Set by DeleteTopic before the logs are removed.
  bool deleted() const { return deleted_.load(std::memory_order_acquire); }
  void MarkDeleted() { deleted_.store(true, std::memory_order_release); }

 private:
  const std::string name_;
  const std::string topic_id_;
  mutable Mutex mu_;
  TopicOptions options_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<PartitionImpl>> partitions_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<storage::Log>> logs_ ABSL_GUARDED_BY(mu_);
  std::atomic<int32_t> count_{0};
  std::atomic<bool> deleted_{false};
  std::atomic<int32_t> max_message_bytes_;
  std::atomic<TopicCompression> compression_;
};

}  // namespace rill::broker

#endif  // RILL_BROKER_TOPIC_IMPL_H_
