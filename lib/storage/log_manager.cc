#include "lib/storage/log_manager.h"

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/storage/checkpoint_file.h"
#include "lib/storage/log_file_names.h"

namespace rill::storage {
namespace {

// A missing checkpoint is empty; a malformed one is treated as missing too,
// which only costs a longer recovery.
PartitionOffsets ReadOffsetsOrEmpty(FileSystem* fs, const std::string& path) {
  absl::StatusOr<PartitionOffsets> offsets = ReadPartitionOffsets(fs, path);
  return offsets.ok() ? *offsets : PartitionOffsets{};
}

}  // namespace

absl::StatusOr<std::unique_ptr<LogManager>> LogManager::Open(const LogManagerOptions& options) {
  LogManagerOptions o = options;
  if (o.fs == nullptr) o.fs = FileSystem::Posix();
  if (o.clock == nullptr) o.clock = Clock::System();
  if (!o.config_for) o.config_for = [](const std::string&) { return LogConfig{}; };
  std::unique_ptr<LogManager> manager(new LogManager(o));
  if (o.zero_fill_ahead && !o.read_only) manager->zero_filler_ = std::make_unique<ZeroFiller>();
  if (absl::Status s = manager->Load(); !s.ok()) {
    // Nothing was shut down: the destructor must not write checkpoints or a
    // clean-shutdown marker (above all not into a directory another process
    // holds).
    MutexLock lock(&manager->mu_);
    manager->closed_ = true;
    return s;
  }
  return manager;
}

LogManager::~LogManager() {
  absl::Status s = Close();
  (void)s;  // Callers who care call Close() themselves.
}

absl::Status LogManager::Load() {
  FileSystem* fs = options_.fs;
  const std::string& dir = options_.dir;
  if (options_.read_only) {
    RILL_ASSIGN_OR_RETURN(bool is_dir, fs->IsDirectory(dir));
    if (!is_dir) return absl::NotFoundError(absl::StrCat("data directory ", dir, " does not exist"));
  } else {
    RILL_RETURN_IF_ERROR(fs->CreateDirs(dir));
    RILL_ASSIGN_OR_RETURN(lock_, fs->Lock(JoinPath(dir, kLockFile)));
  }
  std::string marker = JoinPath(dir, kCleanShutdownMarker);
  RILL_ASSIGN_OR_RETURN(clean_shutdown_, fs->Exists(marker));
  recovery_points_ = ReadOffsetsOrEmpty(fs, JoinPath(dir, kRecoveryPointCheckpoint));
  log_start_offsets_ = ReadOffsetsOrEmpty(fs, JoinPath(dir, kLogStartOffsetCheckpoint));
  RILL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  for (const std::string& name : names) {
    auto tp = ParsePartitionDirName(name);
    if (!tp) continue;
    RILL_ASSIGN_OR_RETURN(bool is_dir, fs->IsDirectory(JoinPath(dir, name)));
    if (!is_dir) continue;
    LogLoadReport& report = reports_[*tp];
    RILL_ASSIGN_OR_RETURN(auto log, OpenLog(tp->first, tp->second, options_.config_for(tp->first),
                                            &report));
    MutexLock lock(&mu_);
    logs_[*tp] = std::move(log);
  }
  if (!options_.read_only && clean_shutdown_) {
    // From here on a crash must be seen as unclean.
    RILL_RETURN_IF_ERROR(fs->RemoveFile(marker));
    RILL_RETURN_IF_ERROR(fs->SyncDir(dir));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Log>> LogManager::OpenLog(const std::string& topic,
                                                         int32_t partition,
                                                         const LogConfig& config,
                                                         LogLoadReport* report) {
  LogOpenParams params;
  params.fs = options_.fs;
  params.clock = options_.clock;
  params.dir = JoinPath(options_.dir, PartitionDirName(topic, partition));
  params.config = config;
  params.read_only = options_.read_only;
  params.clean_shutdown = clean_shutdown_;
  params.zero_filler = zero_filler_.get();
  params.zeros_ahead = options_.zeros_ahead;
  auto rp = recovery_points_.find({topic, partition});
  params.recovery_point = rp == recovery_points_.end() ? -1 : rp->second;
  auto ls = log_start_offsets_.find({topic, partition});
  params.log_start_offset = ls == log_start_offsets_.end() ? -1 : ls->second;
  return Log::Open(params, report);
}

absl::StatusOr<Log*> LogManager::GetOrCreateLog(const std::string& topic, int32_t partition,
                                                const LogConfig& config) {
  MutexLock lock(&mu_);
  if (closed_) return absl::FailedPreconditionError(absl::StrCat(options_.dir, " is closed"));
  auto it = logs_.find({topic, partition});
  if (it != logs_.end()) return it->second.get();
  if (options_.read_only) {
    return absl::NotFoundError(absl::StrCat("no log for ", topic, "-", partition, " in ",
                                            options_.dir));
  }
  LogLoadReport report;
  RILL_ASSIGN_OR_RETURN(auto log, OpenLog(topic, partition, config, &report));
  Log* raw = log.get();
  logs_[{topic, partition}] = std::move(log);
  RILL_RETURN_IF_ERROR(options_.fs->SyncDir(options_.dir));
  return raw;
}

Log* LogManager::GetLog(const std::string& topic, int32_t partition) const {
  MutexLock lock(&mu_);
  auto it = logs_.find({topic, partition});
  return it == logs_.end() ? nullptr : it->second.get();
}

std::shared_ptr<Log> LogManager::SharedLog(const std::string& topic, int32_t partition) const {
  MutexLock lock(&mu_);
  auto it = logs_.find({topic, partition});
  return it == logs_.end() ? nullptr : it->second;
}

std::vector<TopicPartition> LogManager::ListLogs() const {
  MutexLock lock(&mu_);
  std::vector<TopicPartition> out;
  for (const auto& [tp, log] : logs_) out.push_back(tp);
  return out;
}

absl::Status LogManager::DeleteLog(const std::string& topic, int32_t partition) {
  std::shared_ptr<Log> log;
  {
    MutexLock lock(&mu_);
    auto it = logs_.find({topic, partition});
    if (it == logs_.end()) {
      return absl::NotFoundError(absl::StrCat("no log for ", topic, "-", partition));
    }
    log = std::move(it->second);
    logs_.erase(it);
    // A log created later under this name starts afresh, not at these.
    recovery_points_.erase({topic, partition});
    log_start_offsets_.erase({topic, partition});
  }
  std::string dir = log->dir();
  log->CloseForDeletion();
  log.reset();
  RILL_RETURN_IF_ERROR(options_.fs->RemoveAll(dir));
  return options_.fs->SyncDir(options_.dir);
}

absl::Status LogManager::WriteCheckpoints() {
  if (options_.read_only) return absl::OkStatus();
  PartitionOffsets recovery, start;
  {
    MutexLock lock(&mu_);
    for (const auto& [tp, log] : logs_) {
      recovery[tp] = log->recovery_point();
      start[tp] = log->log_start_offset();
    }
  }
  RILL_RETURN_IF_ERROR(WritePartitionOffsets(options_.fs, JoinPath(options_.dir, kRecoveryPointCheckpoint), recovery));
  return WritePartitionOffsets(options_.fs, JoinPath(options_.dir, kLogStartOffsetCheckpoint), start);
}

absl::Status LogManager::RunMaintenance(bool retention) {
  if (options_.read_only) return absl::OkStatus();
  // Shared ownership: a DeleteLog meanwhile cannot free a log under us.
  std::vector<std::shared_ptr<Log>> logs;
  {
    MutexLock lock(&mu_);
    for (const auto& [tp, log] : logs_) logs.push_back(log);
  }
  absl::Status first_error;
  for (const std::shared_ptr<Log>& log : logs) {
    absl::Status s = retention ? log->RunRetention().status() : absl::OkStatus();
    if (s.ok()) s = log->RunMaintenance();
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  absl::Status s = WriteCheckpoints();
  return first_error.ok() ? s : first_error;
}

absl::Status LogManager::Close() {
  std::map<TopicPartition, std::shared_ptr<Log>> logs;
  {
    MutexLock lock(&mu_);
    if (closed_) return absl::OkStatus();
    closed_ = true;
  }
  absl::Status first_error;
  {
    MutexLock lock(&mu_);
    for (auto& [tp, log] : logs_) {
      absl::Status s = log->Close();
      if (!s.ok() && first_error.ok()) first_error = s;
    }
  }
  if (!options_.read_only) {
    absl::Status s = WriteCheckpoints();
    if (!s.ok() && first_error.ok()) first_error = s;
    // The marker says every log was flushed and sealed: only write it then.
    if (first_error.ok()) {
      auto marker = options_.fs->Open(JoinPath(options_.dir, kCleanShutdownMarker),
                                      FileSystem::OpenMode::kCreate);
      first_error = marker.ok() ? (*marker)->Sync() : marker.status();
      if (first_error.ok()) first_error = options_.fs->SyncDir(options_.dir);
    }
  }
  {
    MutexLock lock(&mu_);
    logs = std::move(logs_);
  }
  logs.clear();
  // No zeros may land in these files once another owner can take them.
  if (zero_filler_ != nullptr) zero_filler_->Stop();
  lock_.reset();
  return first_error;
}

}  // namespace rill::storage
