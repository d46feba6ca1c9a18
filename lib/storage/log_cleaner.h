#ifndef RILL_STORAGE_LOG_CLEANER_H_
#define RILL_STORAGE_LOG_CLEANER_H_

// Kafka's log cleaner (LogCleaner.scala, LogCleanerManager.scala): log
// compaction for every log whose cleanup.policy contains "compact", the
// internal __consumer_offsets included — nothing here knows a topic.
//
// A pass over one log:
//  1. The dirty section runs from the first dirty offset (the log's entry in
//     `cleaner-offset-checkpoint`, else the log start) to the first
//     uncleanable offset: the active segment's base, the first unstable
//     offset (an open transaction's first offset), and the base of the
//     first segment whose newest record is younger than
//     min.compaction.lag.ms — rounded down to whole segments.
//  2. An OffsetMap of key → latest offset is built over the dirty section
//     in a bounded buffer; when it fills, the pass cleans up to the batch
//     that did not fit and the next pass continues from there.
//  3. Every segment from the log start up to that end is rewritten, grouped
//     into new segments of at most segment.bytes (and segment.index.bytes,
//     and 2^31 offsets): a record survives if no later record of its key is
//     in the map; tombstones survive delete.retention.ms after the cleaning
//     that first saw them (the KIP-534 delete horizon in the batch); keyless
//     records and aborted transactions' batches go; transaction markers stay
//     until their transaction's data is gone and their own horizon passed;
//     batches keep their offsets, leader epoch, producer id/epoch/base
//     sequence, codec and lastOffsetDelta (gaps remain); a batch that loses
//     every record keeps an empty header when it is its producer's last, or
//     the group's last (so a swap's offset range stays whole).
//  4. Each group is swapped in crash-safely (Log::ReplaceSegments) and the
//     new first dirty offset checkpointed.
//
// Readers and writers of the log never wait for a pass: it reads sealed
// segments through a snapshot and takes the log's writer lock only for the
// swap.
//
// Thread safety: all methods may be called from any thread; a log is
// cleaned by one pass at a time. Errors: the FileSystem's (ResourceExhausted
// for a full disk: the pass is abandoned, the log untouched); Aborted when
// the log changed under a pass (retention, truncation, deletion);
// ResourceExhausted when log.cleaner.dedupe.buffer.size cannot hold the
// keys of a single batch.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/storage/checkpoint_file.h"
#include "lib/storage/log.h"
#include "lib/storage/log_manager.h"

namespace rill::storage {

struct CleanerOptions {
  FileSystem* fs = nullptr;  // Where `cleaner-offset-checkpoint` lives.
  std::string dir;           // The data directory.
  // log.cleaner.threads: background cleaner threads (Start()). Default 1.
  int threads = 1;
  // log.cleaner.dedupe.buffer.size: offset-map memory, split across the
  // threads. Default 128 MiB.
  int64_t dedupe_buffer_size = 128LL << 20;
  // log.cleaner.io.max.bytes.per.second: read + write throttle shared by
  // all threads; <= 0 or infinity = unlimited (the default).
  double io_max_bytes_per_second = 0;
  // log.cleaner.backoff.ms: how long a thread sleeps when no log needs
  // cleaning. Default 15 s.
  int64_t backoff_ms = 15'000;
};

// What cleaning did to one log (summed over passes).
struct CleanStats {
  int passes = 0;
  int64_t first_dirty_offset = -1;  // Where the first pass started.
  int64_t end_offset = -1;          // The new first dirty offset.
  uint64_t bytes_read = 0;          // Of the segments rewritten.
  uint64_t bytes_written = 0;
  int64_t records_read = 0;
  int64_t records_written = 0;
  int segments_read = 0;
  int segments_written = 0;
};

// A log's size, records physically present (the batches' record counts)
// and segments, from one snapshot of its segment list.
struct LogTally {
  uint64_t bytes = 0;
  int64_t records = 0;
  int32_t segments = 0;
};
LogTally TallyLog(const Log& log);

class LogCleaner {
 public:
  // Reads the checkpoint (a malformed one counts as empty). Starts no thread.
  static absl::StatusOr<std::unique_ptr<LogCleaner>> Open(LogManager* logs,
                                                          const CleanerOptions& options);
  ~LogCleaner();  // Stop().

  LogCleaner(const LogCleaner&) = delete;
  LogCleaner& operator=(const LogCleaner&) = delete;

  // Starts options.threads threads that clean the dirtiest log, or sleep
  // backoff_ms when there is none. Idempotent.
  void Start();
  // Stops and joins the threads (a running pass finishes first).
  void Stop();

  // Cleans dirtiest-first until no log is cleanable (dirty ratio above
  // min.cleanable.dirty.ratio, max.compaction.lag.ms passed, or a delete
  // horizon of a kept tombstone passed): what RunMaintenance runs with a
  // ManualClock. Returns the number of passes.
  absl::StatusOr<int> CleanDirtiest();
  // Cleans the log of (topic, partition) now, whatever its dirty ratio,
  // until its whole cleanable section is clean (several passes if the
  // offset map fills). InvalidArgument when its cleanup.policy has no
  // "compact"; NotFound when there is no such log.
  absl::StatusOr<CleanStats> CleanNow(const std::string& topic, int32_t partition);

  // The checkpointed first dirty offset of a log, or -1.
  int64_t first_dirty_offset(const TopicPartition& tp) const;

 private:
  struct Candidate;
  LogCleaner(LogManager* logs, const CleanerOptions& options);
  // The log to clean next (none in progress), or nullopt.
  std::optional<Candidate> Dirtiest(const std::set<TopicPartition>& skip);
  // One pass; `*map_full`: the offset map filled before the dirty section
  // ended, so another pass would clean more.
  absl::StatusOr<CleanStats> CleanPass(const TopicPartition& tp, Log* log, bool* map_full);
  absl::Status Checkpoint(const TopicPartition& tp, int64_t end, int64_t horizon);
  void ThreadLoop();
  size_t MapBytesPerThread() const;

  LogManager* const logs_;
  const CleanerOptions options_;

  mutable std::mutex mu_;
  PartitionOffsets checkpoint_;  // Guarded by mu_.
  // The earliest delete horizon of a tombstone or marker a pass kept, per
  // log: once it passes, the log is cleaned again to remove them. Guarded
  // by mu_.
  std::map<TopicPartition, int64_t> horizons_;
  std::set<TopicPartition> in_progress_;  // Guarded by mu_.
  std::mutex checkpoint_file_mu_;         // One checkpoint write at a time.

  std::mutex thread_mu_;
  std::condition_variable thread_cv_;
  bool stop_ = false;  // Guarded by thread_mu_.
  std::vector<std::thread> threads_;

  // log.cleaner.io.max.bytes.per.second over all threads.
  std::mutex throttle_mu_;
  int64_t throttle_start_ns_ = -1;  // Guarded by throttle_mu_.
  double throttle_bytes_ = 0;       // Guarded by throttle_mu_.
  friend class CleanerPass;
  void Throttle(uint64_t bytes);
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_LOG_CLEANER_H_
