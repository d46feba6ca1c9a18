#include "lib/broker/broker_impl.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/broker/topic_name.h"
#include "absl/strings/numbers.h"
#include "lib/storage/checkpoint_file.h"
#include "lib/storage/log_file_names.h"

namespace rill {

absl::StatusOr<Topic*> Broker::CreateTopic(const std::string& name) {
  return CreateTopic(name, options().default_topic);
}

absl::StatusOr<std::unique_ptr<Broker>> Broker::Open(const std::string& dir,
                                                     const BrokerOptions& options) {
  RILL_ASSIGN_OR_RETURN(auto broker, broker::BrokerImpl::OpenOn(storage::FileSystem::Posix(),
                                                               nullptr, dir, options));
  return std::unique_ptr<Broker>(std::move(broker));
}

absl::StatusOr<std::unique_ptr<Broker>> Broker::OpenInMemory(const BrokerOptions& options) {
  std::unique_ptr<storage::FileSystem> fs = storage::FileSystem::NewInMemory();
  storage::FileSystem* raw = fs.get();
  RILL_ASSIGN_OR_RETURN(auto broker, broker::BrokerImpl::OpenOn(raw, std::move(fs), "/rill", options));
  return std::unique_ptr<Broker>(std::move(broker));
}

namespace broker {

storage::LogConfig ToLogConfig(const TopicOptions& o) {
  storage::LogConfig c;
  c.segment_bytes = o.segment_bytes;
  c.segment_ms = o.segment_ms;
  c.segment_jitter_ms = o.segment_jitter_ms;
  c.segment_index_bytes = o.segment_index_bytes;
  c.index_interval_bytes = o.index_interval_bytes;
  c.max_message_bytes = o.max_message_bytes;
  c.flush_messages = o.flush_messages;
  c.flush_ms = o.flush_ms;
  c.retention_ms = o.retention_ms;
  c.retention_bytes = o.retention_bytes;
  c.file_delete_delay_ms = o.file_delete_delay_ms;
  c.preallocate = o.preallocate;
  c.delete_retention = o.cleanup_policy != CleanupPolicy::kCompact;
  c.compact = o.cleanup_policy != CleanupPolicy::kDelete;
  c.delete_retention_ms = o.delete_retention_ms;
  c.min_cleanable_dirty_ratio = o.min_cleanable_dirty_ratio;
  c.min_compaction_lag_ms = o.min_compaction_lag_ms;
  c.max_compaction_lag_ms = o.max_compaction_lag_ms;
  c.message_timestamp_type = o.message_timestamp_type == TimestampType::kLogAppendTime
                                 ? format::TimestampType::kLogAppendTime
                                 : format::TimestampType::kCreateTime;
  return c;
}

BrokerImpl::BrokerImpl(storage::FileSystem* fs, std::unique_ptr<storage::FileSystem> owned_fs,
                       std::string dir, const BrokerOptions& options)
    : owned_fs_(std::move(owned_fs)),
      fs_(fs),
      dir_(std::move(dir)),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : Clock::System()),
      store_(fs, dir_, options.read_only) {}


absl::StatusOr<std::unique_ptr<BrokerImpl>> BrokerImpl::OpenOn(
    storage::FileSystem* fs, std::unique_ptr<storage::FileSystem> owned_fs, const std::string& dir,
    const BrokerOptions& options) {
  RILL_RETURN_IF_ERROR(options.default_topic.Validate());
  std::unique_ptr<BrokerImpl> broker(new BrokerImpl(fs, std::move(owned_fs), dir, options));
  RILL_RETURN_IF_ERROR(broker->Load());
  broker->groups_ = NewGroupService(broker.get());
  RILL_RETURN_IF_ERROR(broker->groups_->Load());
  if (options.background_threads && !options.read_only) {
    broker->cleaner_->Start();
    broker->thread_ = std::thread([b = broker.get()] { b->MaintenanceLoop(); });
  }
  return broker;
}

namespace {

RecoveryReport SumLoadReports(const storage::LogManager& logs) {
  RecoveryReport r;
  // A directory with no logs yet had nothing to recover.
  r.clean_shutdown = logs.opened_after_clean_shutdown() || logs.load_reports().empty();
  for (const auto& [tp, log] : logs.load_reports()) {
    ++r.partitions;
    r.segments += log.segments;
    r.recovered_segments += log.recovered_segments;
    r.recovered_bytes += log.recovered_bytes;
    r.truncated_bytes += log.truncated_bytes;
    r.deleted_segments += log.deleted_segments;
    r.completed_swaps += log.completed_swaps;
    // Zeros ahead of a segment's end (zero fill, preallocation) are cut
    // too, and counted in truncated_bytes, but lose nothing: no line.
    if (log.truncated_from_offset >= 0 || !log.corruption.empty()) {
      r.truncations.push_back(absl::StrCat(tp.first, "-", tp.second, ": ", log.truncated_bytes,
                                           " bytes cut from offset ", log.truncated_from_offset,
                                           log.corruption.empty() ? "" : ": ", log.corruption));
    }
  }
  return r;
}

}  // namespace

BrokerImpl::~BrokerImpl() {
  absl::Status s = Close();
  (void)s;  // Close() before destruction to see it.
}

absl::Status BrokerImpl::Load() {
  RILL_ASSIGN_OR_RETURN(std::vector<TopicRecord> records, store_.LoadAll());
  std::map<std::string, TopicRecord> by_name;
  for (TopicRecord& r : records) by_name[r.name] = std::move(r);
  storage::LogManagerOptions lm;
  lm.fs = fs_;
  lm.clock = clock_;
  lm.dir = dir_;
  lm.read_only = options_.read_only;
  // Only on real files, and only with background threads (a deterministic
  // test wants no thread of its own writing into its files).
  lm.zero_fill_ahead = options_.zero_fill_ahead && options_.background_threads &&
                       fs_ == storage::FileSystem::Posix();
  // The writer's own zeros ahead (logs that never sync) need no thread.
  lm.zeros_ahead = options_.zero_fill_ahead && fs_ == storage::FileSystem::Posix();
  lm.config_for = [&by_name, this](const std::string& topic) {
    auto it = by_name.find(topic);
    return ToLogConfig(it != by_name.end() ? it->second.options : options_.default_topic);
  };
  RILL_ASSIGN_OR_RETURN(logs_, storage::LogManager::Open(lm));
  recovery_report_ = SumLoadReports(*logs_);
  if (!options_.read_only) {
    storage::CleanerOptions co;
    co.fs = fs_;
    co.dir = dir_;
    co.threads = options_.log_cleaner_threads;
    co.dedupe_buffer_size = options_.log_cleaner_dedupe_buffer_size;
    co.io_max_bytes_per_second = options_.log_cleaner_io_max_bytes_per_second;
    co.backoff_ms = options_.log_cleaner_backoff_ms;
    RILL_ASSIGN_OR_RETURN(cleaner_, storage::LogCleaner::Open(logs_.get(), co));
  }
  MutexLock lock(&mu_);
  // Partition directories no topic file accounts for are what a crash in
  // the middle of a create, delete or CreatePartitions left: remove them.
  for (const auto& [topic, partition] : logs_->ListLogs()) {
    auto it = by_name.find(topic);
    if (it != by_name.end() && partition < it->second.options.partitions) continue;
    if (options_.read_only) continue;
    RILL_RETURN_IF_ERROR(logs_->DeleteLog(topic, partition));
  }
  for (auto& [name, record] : by_name) {
    auto topic = std::make_shared<TopicImpl>(name, record.topic_id, record.options);
    for (int32_t p = 0; p < record.options.partitions; ++p) {
      storage::Log* log = logs_->GetLog(name, p);
      if (log == nullptr) {
        if (options_.read_only) {
          return absl::DataLossError(absl::StrCat("partition directory of ", name, "-", p,
                                                  " is missing from ", dir_));
        }
        RILL_ASSIGN_OR_RETURN(log, logs_->GetOrCreateLog(name, p, ToLogConfig(record.options)));
      }
      topic->AddPartition(std::make_unique<PartitionImpl>(name, p, log, cleaner_.get()), logs_->SharedLog(name, p));
    }
    topics_[name] = std::move(topic);
  }
  return absl::OkStatus();
}

absl::Status BrokerImpl::CheckWritable() const {
  if (closed_) return absl::FailedPreconditionError(absl::StrCat("broker on ", dir_, " is closed"));
  if (options_.read_only) {
    return absl::FailedPreconditionError(absl::StrCat("broker on ", dir_, " is open read-only"));
  }
  return absl::OkStatus();
}

TopicImpl* BrokerImpl::topic_impl(const std::string& name) const {
  ReaderMutexLock lock(&mu_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second.get();
}

std::shared_ptr<TopicImpl> BrokerImpl::FindTopic(const std::string& name) const {
  ReaderMutexLock lock(&mu_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

absl::Status BrokerImpl::ValidateNewTopic(const std::string& name, const TopicOptions& options,
                                          bool internal) const {
  RILL_RETURN_IF_ERROR(ValidateTopicName(name));
  if (!internal && IsReservedTopicName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Topic name is invalid: '", name, "' starts with '__', reserved for internal topics"));
  }
  if (topics_.contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat("Topic '", name, "' already exists."));
  }
  std::string unified = UnifyCollisionChars(name);
  for (const auto& [existing, topic] : topics_) {
    if (UnifyCollisionChars(existing) == unified) {
      return absl::InvalidArgumentError(
          absl::StrCat("Topic '", name, "' collides with existing topic: ", existing));
    }
  }
  return options.Validate();
}

absl::Status BrokerImpl::AddPartitions(TopicImpl* topic, int32_t total, const TopicOptions& options) {
  for (int32_t p = topic->partition_count(); p < total; ++p) {
    RILL_ASSIGN_OR_RETURN(storage::Log* log,
                          logs_->GetOrCreateLog(topic->name(), p, ToLogConfig(options)));
    RILL_RETURN_IF_ERROR(store_.WritePartitionMetadata(log->dir(), topic->topic_id()));
    topic->AddPartition(std::make_unique<PartitionImpl>(topic->name(), p, log, cleaner_.get()),
                        logs_->SharedLog(topic->name(), p));
  }
  return absl::OkStatus();
}

absl::StatusOr<Topic*> BrokerImpl::CreateTopic(const std::string& name, const TopicOptions& options) {
  MutexLock lock(&mu_);
  RILL_ASSIGN_OR_RETURN(std::shared_ptr<TopicImpl> topic, CreateTopicLocked(name, options, false));
  return topic.get();
}

absl::StatusOr<std::shared_ptr<TopicImpl>> BrokerImpl::CreateInternalTopic(
    const std::string& name, const TopicOptions& options) {
  MutexLock lock(&mu_);
  return CreateTopicLocked(name, options, /*internal=*/true);
}

absl::StatusOr<std::shared_ptr<TopicImpl>> BrokerImpl::CreateTopicLocked(
    const std::string& name, const TopicOptions& options, bool internal) {
  RILL_RETURN_IF_ERROR(CheckWritable());
  RILL_RETURN_IF_ERROR(ValidateNewTopic(name, options, internal));
  auto topic = std::make_shared<TopicImpl>(name, TopicStore::NewTopicId(), options);
  absl::Status s = AddPartitions(topic.get(), options.partitions, options);
  // The topic file is the commit point: written only once every partition exists.
  if (s.ok()) s = store_.Write({name, topic->topic_id(), options});
  if (!s.ok()) {
    for (int32_t p = 0; p < topic->partition_count(); ++p) logs_->DeleteLog(name, p).IgnoreError();
    return s;
  }
  topics_[name] = topic;
  return topic;
}

absl::Status BrokerImpl::DeleteTopic(const std::string& name) {
  MutexLock lock(&mu_);
  RILL_RETURN_IF_ERROR(CheckWritable());
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    return absl::NotFoundError(absl::StrCat("Topic '", name, "' does not exist."));
  }
  // Removing the topic file first commits the delete; partition directories
  // left by a crash after it are removed at the next open.
  RILL_RETURN_IF_ERROR(store_.Remove(name));
  int32_t partitions = it->second->partition_count();
  // Producers that still hold the topic see this and fail their sends;
  // their appends meanwhile fail on the closed logs.
  it->second->MarkDeleted();
  // Consumers blocked in Poll on it learn of the delete now, not at their
  // timeout.
  for (int32_t p = 0; p < partitions; ++p) it->second->partition_impl(p)->WakeAll();
  topics_.erase(it);
  for (int32_t p = 0; p < partitions; ++p) RILL_RETURN_IF_ERROR(logs_->DeleteLog(name, p));
  return absl::OkStatus();
}

std::vector<std::string> BrokerImpl::ListTopics() const {
  ReaderMutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, topic] : topics_) names.push_back(name);
  return names;
}

absl::StatusOr<TopicDescription> BrokerImpl::DescribeTopic(const std::string& name) const {
  TopicImpl* topic = topic_impl(name);
  if (topic == nullptr) return absl::NotFoundError(absl::StrCat("Topic '", name, "' does not exist."));
  TopicDescription d;
  d.name = name;
  d.topic_id = topic->topic_id();
  d.options = topic->options();
  d.internal = IsInternalTopic(name);
  for (int32_t p = 0; p < topic->partition_count(); ++p) {
    PartitionImpl* partition = topic->partition_impl(p);
    PartitionDescription pd;
    pd.partition = p;
    pd.log_start_offset = partition->log_start_offset();
    pd.log_end_offset = partition->log_end_offset();
    pd.high_watermark = partition->high_watermark();
    pd.segments = partition->log()->segment_count();
    pd.size_bytes = partition->size_bytes();
    d.partitions.push_back(pd);
  }
  return d;
}

absl::Status BrokerImpl::CreatePartitions(const std::string& name, int32_t total) {
  MutexLock lock(&mu_);
  RILL_RETURN_IF_ERROR(CheckWritable());
  auto it = topics_.find(name);
  if (it == topics_.end()) return absl::NotFoundError(absl::StrCat("Topic '", name, "' does not exist."));
  TopicImpl* topic = it->second.get();
  int32_t current = topic->partition_count();
  if (total == current) {
    return absl::InvalidArgumentError(absl::StrCat("Topic already has ", current, " partitions."));
  }
  if (total < current) {
    return absl::InvalidArgumentError(absl::StrCat("Topic currently has ", current,
                                                   " partitions, which is higher than the requested ",
                                                   total, "."));
  }
  TopicOptions options = topic->options();
  RILL_RETURN_IF_ERROR(AddPartitions(topic, total, options));
  options.partitions = total;
  RILL_RETURN_IF_ERROR(store_.Write({name, topic->topic_id(), options}));
  topic->set_options(options);
  return absl::OkStatus();
}

absl::Status BrokerImpl::AlterConfigs(const std::string& name,
                                      const std::map<std::string, std::string>& configs) {
  MutexLock lock(&mu_);
  RILL_RETURN_IF_ERROR(CheckWritable());
  auto it = topics_.find(name);
  if (it == topics_.end()) return absl::NotFoundError(absl::StrCat("Topic '", name, "' does not exist."));
  TopicImpl* topic = it->second.get();
  for (const auto& [key, value] : configs) {
    if (key == "partitions" || key == "replication.factor") {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", key, "' is not a topic config; use CreatePartitions to add partitions"));
    }
  }
  RILL_ASSIGN_OR_RETURN(TopicOptions options, TopicOptions::FromProperties(configs, topic->options()));
  RILL_RETURN_IF_ERROR(store_.Write({name, topic->topic_id(), options}));
  topic->set_options(options);
  storage::LogConfig log_config = ToLogConfig(options);
  for (int32_t p = 0; p < topic->partition_count(); ++p) {
    RILL_RETURN_IF_ERROR(topic->partition_impl(p)->log()->SetConfig(log_config));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> BrokerImpl::AllocateProducerId() {
  constexpr int64_t kBlock = 1000;
  MutexLock lock(&id_mu_);
  if (next_producer_id_ < 0 || next_producer_id_ >= producer_id_block_end_) {
    std::string path = storage::JoinPath(dir_, ".producer-ids");
    int64_t start = 0;
    RILL_ASSIGN_OR_RETURN(bool exists, fs_->Exists(path));
    if (exists) {
      RILL_ASSIGN_OR_RETURN(auto lines, storage::ReadCheckpoint(fs_, path, 0, 1));
      if (lines.size() != 1 || !absl::SimpleAtoi(lines[0][0], &start) || start < 0) {
        return absl::DataLossError(absl::StrCat(path, ": expected one next-producer-id line"));
      }
    }
    if (next_producer_id_ > start) start = next_producer_id_;
    if (!options_.read_only) {
      RILL_RETURN_IF_ERROR(storage::WriteCheckpoint(fs_, path, 0, {absl::StrCat(start + kBlock)}));
    }
    next_producer_id_ = start;
    producer_id_block_end_ = start + kBlock;
  }
  return next_producer_id_++;
}

int64_t BrokerImpl::AddMaintenanceTask(std::function<void()> task) {
  MutexLock lock(&tasks_mu_);
  tasks_[next_task_] = std::move(task);
  return next_task_++;
}

void BrokerImpl::RemoveMaintenanceTask(int64_t handle) {
  // Holding tasks_mu_ while tasks run (Maintain) makes removal wait for a
  // running task, so its owner may be destroyed right after this returns.
  MutexLock lock(&tasks_mu_);
  tasks_.erase(handle);
}

absl::Status BrokerImpl::RunMaintenance() { return Maintain(/*force_retention=*/true); }

absl::Status BrokerImpl::Maintain(bool force_retention) {
  MutexLock lock(&maintenance_mu_);
  {
    ReaderMutexLock l(&mu_);
    if (closed_ || options_.read_only) return absl::OkStatus();
  }
  {
    MutexLock tasks(&tasks_mu_);
    for (auto& [handle, task] : tasks_) task();
  }
  int64_t now = clock_->NowMs();
  bool retention = force_retention || now - last_retention_ms_ >= options_.log_retention_check_interval_ms;
  if (retention) last_retention_ms_ = now;
  // The cleaner's threads clean on their own; an explicit RunMaintenance()
  // cleans here too, so a test with a ManualClock needs no thread.
  absl::Status cleaned = absl::OkStatus();
  if (force_retention && cleaner_ != nullptr) cleaned = cleaner_->CleanDirtiest().status();
  absl::Status s = logs_->RunMaintenance(retention);
  return cleaned.ok() ? s : cleaned;
}

void BrokerImpl::MaintenanceLoop() {
  MutexLock lock(&thread_mu_);
  while (!stop_thread_) {
    thread_cv_.wait_for(thread_mu_, std::chrono::milliseconds(options_.maintenance_interval_ms));
    if (stop_thread_) break;
    thread_mu_.Unlock();
    Maintain(/*force_retention=*/false).IgnoreError();  // A failed log reports on its next use.
    thread_mu_.Lock();
  }
}

absl::Status BrokerImpl::Close() {
  {
    MutexLock lock(&thread_mu_);
    stop_thread_ = true;
    thread_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (cleaner_ != nullptr) cleaner_->Stop();
  if (groups_ != nullptr) groups_->Close();
  MutexLock maintenance(&maintenance_mu_);
  MutexLock lock(&mu_);
  if (closed_) return absl::OkStatus();
  closed_ = true;
  if (logs_ == nullptr) return absl::OkStatus();  // Open failed before the logs loaded.
  for (auto& [name, topic] : topics_) {
    for (int32_t p = 0; p < topic->partition_count(); ++p) topic->partition_impl(p)->WakeAll();
  }
  return logs_->Close();
}

}  // namespace broker
}  // namespace rill
