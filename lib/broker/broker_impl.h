#ifndef RILL_BROKER_BROKER_IMPL_H_
#define RILL_BROKER_BROKER_IMPL_H_

// The Broker behind rill::Broker: a storage::LogManager, the topic store and
// the topics, plus the maintenance thread. See rill/broker.h for the
// contract. Internal code (producers, consumers, tools) reaches partitions'
// logs through TopicImpl / PartitionImpl.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "lib/base/mutex.h"
#include "lib/broker/group_service.h"
#include "lib/broker/topic_impl.h"
#include "lib/broker/topic_store.h"
#include "lib/storage/file_system.h"
#include "lib/storage/log_cleaner.h"
#include "lib/storage/log_manager.h"
#include "rill/broker.h"

namespace rill::broker {

// TopicOptions → the storage layer's per-log config.
storage::LogConfig ToLogConfig(const TopicOptions& options);

class BrokerImpl final : public Broker {
 public:
  // Opens a broker on `dir` in `fs`; `owned_fs` (may be null) is kept alive
  // as long as the broker (the in-memory file system).
  static absl::StatusOr<std::unique_ptr<BrokerImpl>> OpenOn(
      storage::FileSystem* fs, std::unique_ptr<storage::FileSystem> owned_fs,
      const std::string& dir, const BrokerOptions& options);
  ~BrokerImpl() override;

  absl::StatusOr<Topic*> CreateTopic(const std::string& name, const TopicOptions& options) override;
  using Broker::CreateTopic;
  absl::Status DeleteTopic(const std::string& name) override;
  std::vector<std::string> ListTopics() const override;
  absl::StatusOr<TopicDescription> DescribeTopic(const std::string& name) const override;
  absl::Status CreatePartitions(const std::string& name, int32_t total) override;
  absl::Status AlterConfigs(const std::string& name,
                            const std::map<std::string, std::string>& configs) override;
  Topic* topic(const std::string& name) const override { return topic_impl(name); }
  absl::Status RunMaintenance() override;
  absl::Status Close() override;
  Clock* clock() const override { return clock_; }
  const BrokerOptions& options() const override { return options_; }
  const RecoveryReport& recovery_report() const override { return recovery_report_; }

  TopicImpl* topic_impl(const std::string& name) const;
  // The topic with shared ownership, for clients that keep it across calls
  // (it stays valid after DeleteTopic, marked deleted()); nullptr if none.
  std::shared_ptr<TopicImpl> FindTopic(const std::string& name) const;

  // A producer id never handed out before in this data directory: ids are
  // reserved in blocks of 1000 in `<dir>/.producer-ids` (written
  // atomically before a block is used), so a restart never reuses one.
  absl::StatusOr<int64_t> AllocateProducerId();

  // Work RunMaintenance() also does (a producer closing lingering batches,
  // later group timers). Returns a handle for RemoveMaintenanceTask.
  int64_t AddMaintenanceTask(std::function<void()> task);
  void RemoveMaintenanceTask(int64_t handle);
  storage::LogManager* log_manager() const { return logs_.get(); }
  // The group coordinator (never null after Open; lives until the broker).
  GroupService* groups() const { return groups_.get(); }
  // Creates an internal ("__") topic such as __consumer_offsets, which
  // CreateTopic refuses; AlreadyExists if it exists.
  absl::StatusOr<std::shared_ptr<TopicImpl>> CreateInternalTopic(const std::string& name,
                                                                 const TopicOptions& options);
  const std::string& dir() const { return dir_; }

 private:
  BrokerImpl(storage::FileSystem* fs, std::unique_ptr<storage::FileSystem> owned_fs,
             std::string dir, const BrokerOptions& options);
  absl::Status Load();
  absl::Status CheckWritable() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::Status ValidateNewTopic(const std::string& name, const TopicOptions& options,
                                bool internal = false) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::shared_ptr<TopicImpl>> CreateTopicLocked(const std::string& name,
                                                               const TopicOptions& options,
                                                               bool internal)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AddPartitions(TopicImpl* topic, int32_t total, const TopicOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Maintain(bool force_retention);
  void MaintenanceLoop();

  std::unique_ptr<storage::FileSystem> owned_fs_;
  storage::FileSystem* const fs_;
  const std::string dir_;
  const BrokerOptions options_;
  Clock* const clock_;
  std::unique_ptr<storage::LogManager> logs_;
  RecoveryReport recovery_report_;  // Set by Load(), then fixed.
  TopicStore store_;

  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<TopicImpl>> topics_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  Mutex maintenance_mu_;  // One maintenance pass at a time.
  int64_t last_retention_ms_ ABSL_GUARDED_BY(maintenance_mu_) = 0;

  Mutex id_mu_;
  int64_t next_producer_id_ ABSL_GUARDED_BY(id_mu_) = -1;
  int64_t producer_id_block_end_ ABSL_GUARDED_BY(id_mu_) = -1;

  Mutex tasks_mu_;
  int64_t next_task_ ABSL_GUARDED_BY(tasks_mu_) = 0;
  std::map<int64_t, std::function<void()>> tasks_ ABSL_GUARDED_BY(tasks_mu_);

  // Created after the topics load; closed first in Close().
  std::unique_ptr<GroupService> groups_;
  // Compaction (docs/compaction.md); null on a read-only broker. Its
  // threads stop before the logs close.
  std::unique_ptr<storage::LogCleaner> cleaner_;

  Mutex thread_mu_;
  std::condition_variable_any thread_cv_;
  bool stop_thread_ ABSL_GUARDED_BY(thread_mu_) = false;
  std::thread thread_;
};

}  // namespace rill::broker

#endif  // RILL_BROKER_BROKER_IMPL_H_
