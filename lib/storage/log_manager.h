#ifndef RILL_STORAGE_LOG_MANAGER_H_
#define RILL_STORAGE_LOG_MANAGER_H_

// One data directory and the partition logs in it, as Kafka's LogManager for
// one log dir: the exclusive directory lock, the clean-shutdown marker
// (`.kafka_cleanshutdown`), and the directory-level checkpoints
// `recovery-point-offset-checkpoint` and `log-start-offset-checkpoint`.
//
// Open() takes the lock (unless read-only), notes whether the last shutdown
// was clean, removes the marker (so a crash from now on is seen as unclean)
// and opens every `<topic>-<partition>` directory it finds. Close() closes
// the logs, writes the checkpoints and then the marker.
//
// Thread safety: all methods may be called from any thread; logs are
// created and removed under an internal mutex. Log* pointers stay valid
// until DeleteLog or Close; SharedLog() hands out shared ownership for
// callers that may outlive a DeleteLog (a producer appending while the topic
// is deleted): such a log stays a valid object that refuses writes.
// Errors: FailedPrecondition naming the directory and owning pid when
// another process holds the lock; the logs' errors from Open.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/mutex.h"
#include "lib/storage/checkpoint_file.h"
#include "lib/storage/file_system.h"
#include "lib/storage/log.h"
#include "lib/storage/zero_filler.h"
#include "rill/clock.h"

namespace rill::storage {

inline constexpr char kCleanShutdownMarker[] = ".kafka_cleanshutdown";
inline constexpr char kLockFile[] = ".lock";

struct LogManagerOptions {
  FileSystem* fs = nullptr;  // Default: FileSystem::Posix().
  Clock* clock = nullptr;    // Default: Clock::System().
  std::string dir;
  bool read_only = false;
  // The config of each topic's logs found at Open; default LogConfig{}.
  std::function<LogConfig(const std::string& topic)> config_for;
  // Run a ZeroFiller thread for the logs that sync often (zero_filler.h).
  bool zero_fill_ahead = false;
  // Logs that never sync write zeros ahead into the page cache
  // (segment.h, "Zeros ahead in the page cache").
  bool zeros_ahead = false;
};

using TopicPartition = std::pair<std::string, int32_t>;

class LogManager {
 public:
  static absl::StatusOr<std::unique_ptr<LogManager>> Open(const LogManagerOptions& options);
  ~LogManager();

  // Whether the previous shutdown left the clean-shutdown marker.
  bool opened_after_clean_shutdown() const { return clean_shutdown_; }
  // What loading each log found, for logs opened by Open().
  const std::map<TopicPartition, LogLoadReport>& load_reports() const { return reports_; }

  // The log of (topic, partition), created (directory and first segment)
  // with `config` if missing.
  absl::StatusOr<Log*> GetOrCreateLog(const std::string& topic, int32_t partition,
                                      const LogConfig& config);
  // nullptr if there is none.
  Log* GetLog(const std::string& topic, int32_t partition) const;
  std::shared_ptr<Log> SharedLog(const std::string& topic, int32_t partition) const;
  std::vector<TopicPartition> ListLogs() const;
  // Closes the log without flushing it (Log::CloseForDeletion) and removes
  // its directory and files; holders of SharedLog() keep a log that refuses
  // appends and whose mapped segments stay readable.
  absl::Status DeleteLog(const std::string& topic, int32_t partition);

  // Writes both checkpoints for every log.
  absl::Status WriteCheckpoints();
  // Every log's timers (and retention, unless `retention` is false), then
  // the checkpoints.
  absl::Status RunMaintenance(bool retention = true);
  // Closes every log, writes the checkpoints and the clean-shutdown marker,
  // releases the lock. Idempotent.
  absl::Status Close();

  const std::string& dir() const { return options_.dir; }

 private:
  explicit LogManager(const LogManagerOptions& options) : options_(options) {}
  absl::Status Load();
  absl::StatusOr<std::unique_ptr<Log>> OpenLog(const std::string& topic, int32_t partition,
                                               const LogConfig& config, LogLoadReport* report);

  LogManagerOptions options_;
  // Declared before the logs: it must outlive them (they hold a pointer).
  std::unique_ptr<ZeroFiller> zero_filler_;
  std::unique_ptr<DirLock> lock_;
  bool clean_shutdown_ = false;
  PartitionOffsets recovery_points_;
  PartitionOffsets log_start_offsets_;
  std::map<TopicPartition, LogLoadReport> reports_;
  mutable Mutex mu_;
  std::map<TopicPartition, std::shared_ptr<Log>> logs_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_LOG_MANAGER_H_
