#ifndef RILL_STORAGE_LOG_H_
#define RILL_STORAGE_LOG_H_

// The ordered log of one topic partition: what Kafka's UnifiedLog, LocalLog
// and LogLoader do, embedded. Offsets [log_start_offset(), log_end_offset())
// live in a list of segments; the last one is active and takes appends.
//
// Thread safety: Append, Flush, TruncateTo, DeleteRecordsBefore,
// RunRetention, RunMaintenance and Close are serialized by an internal
// writer mutex. Read, OffsetForTimestamp and the offset getters never take
// it: they work from an immutable snapshot of the segment list (a pointer
// copied under a mutex held for nothing else) and the end offset published
// with release/acquire, so a reader never sees a partly written batch and
// never waits for a writer.
// Errors: InvalidArgument for a malformed or oversized batch (the message
// names the size and max.message.bytes); OutOfRange for reads outside
// [log start, log end]; ResourceExhausted when the disk is full; after a
// failed fsync the log is failed: every later append and flush returns that
// first error (it never retries and pretends success); FailedPrecondition
// after Close() or on a read-only log.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/bytes.h"
#include "lib/base/mutex.h"
#include "lib/format/record_batch_view.h"
#include "lib/storage/file_system.h"
#include "lib/storage/leader_epoch_cache.h"
#include "lib/storage/log_config.h"
#include "lib/storage/producer_state.h"
#include "lib/storage/segment.h"
#include "lib/storage/zero_filler.h"
#include "rill/clock.h"

namespace rill::storage {

struct LogOpenParams {
  FileSystem* fs = nullptr;
  Clock* clock = nullptr;
  std::string dir;  // The partition directory, "<data dir>/<topic>-<partition>".
  LogConfig config;
  // From the data directory's checkpoints; -1 when absent.
  int64_t recovery_point = -1;
  int64_t log_start_offset = -1;
  // The data directory was shut down cleanly: trust the files, scan nothing.
  bool clean_shutdown = false;
  // Another process owns the directory: never write, read up to the last
  // complete batch.
  bool read_only = false;
  // Zero fill ahead of the active segment while the log syncs often
  // (zero_filler.h); nullptr: never. Not owned; outlives the log.
  ZeroFiller* zero_filler = nullptr;
  // While the log's config never syncs it (flush.messages and flush.ms
  // unset), its writes put zeros ahead in the page cache (segment.h).
  bool zeros_ahead = false;
};

// What Open found and did (for logs and tests).
struct LogLoadReport {
  int segments = 0;
  int recovered_segments = 0;
  uint64_t recovered_bytes = 0;   // Bytes of valid batches rescanned.
  uint64_t truncated_bytes = 0;   // Torn, corrupt or zero-filled tail bytes cut.
  int64_t truncated_from_offset = -1;  // First offset lost to truncation, if any.
  std::string corruption;          // The first corruption seen, if any.
  int deleted_segments = 0;        // Segments after a truncation point, removed.
  int completed_swaps = 0;         // Interrupted cleaner swaps finished.
};

struct AppendInfo {
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t max_timestamp = -1;
  int64_t log_append_time_ms = -1;  // Set when message.timestamp.type=LogAppendTime.
  int32_t record_count = 0;
  uint64_t bytes = 0;
  // An idempotent producer's retry of a batch already in the log: nothing
  // was appended and the offsets are the original ones.
  bool duplicate = false;
};

// Who is appending: clients may not write control batches; the transaction
// coordinator writes markers.
enum class AppendOrigin { kClient, kCoordinator, kReplication };

// Whole batches from one segment; `segment` keeps the bytes mapped while
// the result lives.
struct ReadResult {
  std::shared_ptr<const Segment> segment;
  ByteSpan batches;                 // Empty at the log end.
  int64_t log_end_offset = 0;       // As seen by this read.
  int64_t log_start_offset = 0;
};

class Log {
 public:
  static absl::StatusOr<std::unique_ptr<Log>> Open(const LogOpenParams& params,
                                                   LogLoadReport* report = nullptr);
  ~Log();

  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Appends one batch: validates it (header, size against
  // max.message.bytes, record count, and with `validate_records` its CRC
  // and every record), assigns its offsets by patching base offset and
  // leader epoch in place, stamps LogAppendTime if configured, rolls when
  // needed, writes it and publishes it. Flushes when flush.messages says so.
  // `validate_records` = false is for batches this process has just built
  // (the producer): Kafka's broker checks them because they crossed a
  // network; here they never left the address space they were checksummed
  // in, and checking again cost ~3 % of an append.
  absl::StatusOr<AppendInfo> Append(MutableByteSpan batch, AppendOrigin origin = AppendOrigin::kClient,
                                    bool validate_records = true);

  // Appends several batches in order, as Kafka appends the batches of one
  // produce request: all are validated first (an invalid one fails the call
  // and nothing is appended), then each is assigned its offsets as Append
  // does, and the batches that go to the same segment are written with one
  // gathered write. Fewer, larger writes cost the kernel less and leave
  // larger page-cache folios, which readers map faster. infos[i] (the array
  // holds batches.size() entries) describes batch i; `*appended` is how many
  // of the batches, from the first, were appended (or recognised as
  // duplicates) — all of them unless an error is returned. flush.messages is
  // applied once, after the batches.
  absl::Status AppendBatches(absl::Span<const MutableByteSpan> batches, AppendOrigin origin,
                             bool validate_records, AppendInfo* infos, size_t* appended);

  // Work for an appender's idle moment that spares the appends to come:
  // writes the active segment's zeros ahead (segment.h, "Zeros ahead in the
  // page cache") early, when the last append asked for them and fewer than
  // 256 KiB lie ahead. Otherwise nothing; never fails (zeros ahead are best
  // effort). Takes the log's lock, for ~60 us when it writes.
  void WriteAhead();

  // Whole batches starting with the one that contains `offset`, at most
  // `max_bytes` (but always one whole batch if any), none at or past
  // `max_offset` (the high watermark; -1 = the log end).
  absl::StatusOr<ReadResult> Read(int64_t offset, uint64_t max_bytes, int64_t max_offset = -1) const;

  // The first offset whose record timestamp is >= `timestamp`, with that
  // timestamp; nullopt if none.
  struct OffsetAndTimestamp {
    int64_t offset;
    int64_t timestamp;
  };
  absl::StatusOr<std::optional<OffsetAndTimestamp>> OffsetForTimestamp(int64_t timestamp) const;

  // fdatasync of every segment with unflushed appends (and of the directory
  // after a roll); returns when all appended so far is on stable storage.
  absl::Status Flush();
  // Removes every batch at or past `offset` (whole batches).
  absl::Status TruncateTo(int64_t offset);
  // DeleteRecords: moves the log start offset up to `offset` (<= log end)
  // and drops the segments wholly below it.
  absl::Status DeleteRecordsBefore(int64_t offset);
  // retention.ms / retention.bytes / log-start deletion. Returns the number
  // of segments deleted.
  absl::StatusOr<int> RunRetention();
  // Timers: flush.ms, and removal of `.deleted` files whose
  // file.delete.delay.ms passed.
  absl::Status RunMaintenance();
  // Seals the active segment (trims its files); after Close every call but
  // the getters fails with FailedPrecondition.
  absl::Status Close();
  // Closes without sealing or flushing, because the files are about to be
  // removed (the topic is being deleted). Later appends fail with
  // FailedPrecondition "... was deleted"; mapped segments stay readable.
  void CloseForDeletion();

  int64_t log_start_offset() const { return log_start_offset_.load(std::memory_order_acquire); }
  int64_t log_end_offset() const { return log_end_offset_.load(std::memory_order_acquire); }
  int64_t recovery_point() const { return recovery_point_.load(std::memory_order_acquire); }
  uint64_t size_bytes() const;
  int segment_count() const;
  const std::string& dir() const { return dir_; }
  LogConfig config() const;
  // Applies new topic configs (AlterConfigs): from the next append on; the
  // segment sizes apply to segments created from now on.
  absl::Status SetConfig(const LogConfig& config);
  // The segments, oldest first (a snapshot).
  std::vector<std::shared_ptr<const Segment>> segments() const;
  // The error that failed the log, or OK.
  absl::Status failure() const;

  // For the log cleaner (log_cleaner.h).
  struct CleanerSnapshot {
    std::vector<std::shared_ptr<const Segment>> segments;  // Oldest first; the last is active.
    LogConfig config;
    int64_t log_start_offset = 0;
    int64_t log_end_offset = 0;
    // Producer id → last offset of its last batch: a batch the cleaner
    // empties keeps its header when it is its producer's last (Kafka keeps
    // it so the producer's sequence state survives a reload).
    std::map<int64_t, int64_t> producer_last_offsets;
  };
  CleanerSnapshot SnapshotForCleaner() const;
  // Swaps `cleaned` — a sealed, flushed segment whose files are named
  // `<base>.*.cleaned`, base == replaced.front()->base_offset() — in for the
  // consecutive, inactive segments `replaced`, crash-safely as Kafka's
  // replaceSegments: rename `.cleaned` → `.swap`, sync the directory, rename
  // the old files `.deleted`, rename `.swap` → final names, publish the new
  // list (one pointer swap: readers see the old list or the new one), delete
  // the old files (readers holding them keep their mappings) and sync the
  // directory. Aborted (the cleaned files removed) when the list changed
  // since the snapshot (retention, truncation, deletion); a failed rename
  // after the first fails the log, and reopening completes or discards the
  // swap (log_loader.cc).
  absl::Status ReplaceSegments(const std::vector<std::shared_ptr<const Segment>>& replaced,
                               std::shared_ptr<Segment> cleaned);
  // Held by the cleaner for the whole of a pass over this log, so two
  // cleaners never clean it at once and CloseForDeletion can wait for one.
  std::unique_lock<std::mutex> LockForCleaning() {
    return std::unique_lock<std::mutex>(cleaning_mu_);
  }
  // Set by CloseForDeletion: a cleaning pass should stop at once.
  bool cleaning_aborted() const { return abort_cleaning_.load(std::memory_order_acquire); }
  FileSystem* fs() const { return fs_; }
  Clock* clock() const { return clock_; }

 private:
  using SegmentList = std::vector<std::shared_ptr<Segment>>;
  struct PendingDeletion {
    std::shared_ptr<Segment> segment;
    int64_t due_ms;
  };

  explicit Log(const LogOpenParams& params);
  absl::Status Load(LogLoadReport* report);
  absl::Status CompleteSwaps(const std::vector<std::string>& names, LogLoadReport* report);
  absl::Status RecoverFrom(size_t first, LogLoadReport* report);
  absl::Status ValidateForAppend(const format::RecordBatchView& batch, AppendOrigin origin,
                                 bool validate_records);
  struct PendingWrite;
  absl::Status AppendLocked(absl::Span<const MutableByteSpan> batches,
                            absl::Span<const format::RecordBatchView> views, AppendOrigin origin,
                            AppendInfo* infos, size_t* appended) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WritePending(PendingWrite* pending) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RollDue(const PendingWrite& pending, uint64_t batch_bytes, int64_t last_offset,
               int64_t max_timestamp) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status MaybeRoll(uint64_t batch_bytes, int64_t first_offset, int64_t last_offset,
                         int64_t max_timestamp)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Roll(int64_t base_offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a write: asks the zero filler to keep ahead of the active segment
  // while the log syncs often.
  void MaybeRequestZeroFill() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How long the active segment has waited for segment.ms, given the
  // timestamp of its first batch (negative: none) and of the batch at hand.
  int64_t RollWaitedMs(const Segment& active, int64_t first_timestamp, int64_t max_timestamp) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status DeleteSegments(size_t count) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Fail(absl::Status s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Producer snapshots (producer_state.h): written on roll and close,
  // loaded on open, the state then rebuilt from the batches after it.
  absl::Status WriteProducerSnapshot(int64_t offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadProducerState() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status DeleteProducerSnapshots(int64_t from, int64_t to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckWritable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish(SegmentList list) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<const SegmentList> snapshot() const;
  int64_t NewJitter();

  FileSystem* const fs_;
  Clock* const clock_;
  const std::string dir_;
  LogConfig config_ ABSL_GUARDED_BY(mu_);
  // config_.max_message_bytes, for validation before taking mu_.
  std::atomic<int32_t> max_message_bytes_;
  const bool read_only_;
  const bool clean_shutdown_;

  mutable Mutex mu_;
  // Guards segments_ only and is held just to copy or swap the pointer, so
  // readers never wait for a writer's work. Not std::atomic<shared_ptr>:
  // libstdc++ 12 releases its internal lock with relaxed order after a load,
  // a data race ThreadSanitizer reports. A std::mutex, not Mutex,
  // because Debian's Abseil is built without ThreadSanitizer annotations, so
  // TSan cannot see what an Mutex orders.
  mutable std::mutex segments_mu_;
  // The segment list readers load; replaced, never edited, by the writer.
  // Guarded by segments_mu_.
  std::shared_ptr<const SegmentList> segments_;
  SegmentList writer_segments_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> log_end_offset_{0};    // Published after the bytes.
  std::atomic<int64_t> log_start_offset_{0};
  std::atomic<int64_t> recovery_point_{0};
  std::unique_ptr<LeaderEpochCache> epochs_ ABSL_GUARDED_BY(mu_);
  ProducerStateManager producer_state_ ABSL_GUARDED_BY(mu_);
  int32_t leader_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t unflushed_messages_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t first_unflushed_ms_ ABSL_GUARDED_BY(mu_) = -1;
  ZeroFiller* const zero_filler_;
  const bool zeros_ahead_;
  // Zeros ahead in the page cache only for a log appending at least this
  // many bytes a second: it overwrites them (at most 512 KiB) within a few
  // seconds, long before writeback (30 s) would write them to disk. A log
  // that stops after a burst leaves them to be written once.
  static constexpr uint64_t kZerosAheadMinRate = 256 << 10;
  // Whether the log appended kZerosAheadMinRate bytes in this second or the
  // one before, counting `bytes` about to be written.
  bool AppendingFast(uint64_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Neither flush.messages nor flush.ms is set: the log syncs only at a
  // roll or close, so zeros ahead are never written out by a sync.
  bool NeverSyncs() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return config_.flush_messages == INT64_MAX && config_.flush_ms == INT64_MAX;
  }
  // The last write's verdict on zeros ahead, for WriteAhead.
  bool zeros_ahead_wanted_ ABSL_GUARDED_BY(mu_) = false;
  int64_t rate_window_start_ms_ ABSL_GUARDED_BY(mu_) = INT64_MIN / 2;
  uint64_t rate_window_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rate_previous_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Whether the active segment was last synced less than half a zero-fill
  // chunk after the sync before: then zero fill ahead pays for itself.
  bool syncs_often_ ABSL_GUARDED_BY(mu_) = false;
  int64_t last_synced_base_ ABSL_GUARDED_BY(mu_) = -1;  // Of the segment last synced.
  uint64_t last_synced_size_ ABSL_GUARDED_BY(mu_) = 0;
  bool dir_dirty_ ABSL_GUARDED_BY(mu_) = false;  // A segment was created since the last dir sync.
  std::vector<std::shared_ptr<Segment>> unflushed_sealed_ ABSL_GUARDED_BY(mu_);
  std::vector<PendingDeletion> pending_deletions_ ABSL_GUARDED_BY(mu_);
  int64_t active_jitter_ms_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t jitter_state_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  // See LockForCleaning(). Never held together with mu_ by anyone waiting
  // for it: the cleaner takes mu_ inside it, CloseForDeletion outside.
  std::mutex cleaning_mu_;
  std::atomic<bool> abort_cleaning_{false};  // Publishes nothing but itself.
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool deleted_ ABSL_GUARDED_BY(mu_) = false;
  ByteBuffer scratch_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_LOG_H_
