#ifndef RILL_STORAGE_SEGMENT_H_
#define RILL_STORAGE_SEGMENT_H_

// One log segment, as Kafka's LogSegment: `<base>.log` holding whole
// RecordBatch v2 batches end to end, with its sparse `.index` and
// `.timeindex`.
//
// Reads go through a read-only MAP_SHARED mapping of the `.log`; the bytes
// below size() are immutable while the segment lives, so readers need no
// lock. The active segment is appended to by one writer, by pwrite (the
// default) or by memcpy into a writable mapping whose pages are faulted in
// ahead of the writer with MADV_POPULATE_WRITE. bench/storage_bench measures
// both: on this project's machines pwrite wins, because faulting in a page of
// a freshly allocated file makes the kernel zero it before the memcpy
// overwrites it (memset was 13% of the mmap profile), while pwrite fills new
// page-cache pages directly. docs/storage.md has the figures.
// Its file grows in preallocated chunks (posix_fallocate), so a full disk is
// a ResourceExhausted status from Append, never a SIGBUS.
//
// Segments are shared_ptr-owned: a reader holding one keeps its mapping
// alive after retention or compaction removed it from the log.
//
// Zero fill ahead (zero_filler.h): for a log that syncs often, a broker
// thread writes zeros past the writer's end and syncs them, through a file
// descriptor of its own. The writer never writes where zeros are being
// written (it waits, rarely) and the zeros never land on a written byte.
// CutTail() (a roll, Seal) and TruncateTo() stop it and cut the zeros off
// the file; after a crash recovery cuts them as it cuts a preallocated tail.
//
// Zeros ahead in the page cache: for a log that never syncs, the writer
// itself writes zeros past its end, 256 KiB at a time on 256 KiB
// boundaries, and never syncs them. The kernel sizes page-cache folios by
// the write that creates them, so the zeros make large folios that the
// log's own (smaller, unaligned) writes then only copy into. On this
// project's VMs (Linux 6.18, ext4) writing 464 MB as 15 KB pieces took
// 64 ns of kernel time per 116-byte record without zeros ahead and 34 ns
// with them (41 and 28 ns for 61 KB pieces), and faulting the finished file
// into a reader's mapping took 28-36 ms without and 9 ms with. The log asks
// for them only while it appends fast, so the zeros are overwritten in
// memory long before writeback would write them; the tail is cut as zero
// fill's is. Writing 256 KiB of zeros takes ~60 us here, as long as nine
// ordinary appends: an appender with an idle moment (the producer's I/O
// thread, right after a Flush completed) writes them early with
// WriteZerosAheadEarly, so that an append someone waits on seldom waits
// behind them.
//
// Thread safety: Append, WriteZerosAheadEarly, Seal, TruncateTo, Recover and
// Flush belong to the log's single writer; size(), Slice(),
// FindBatchPosition() and the getters may be called from any thread at any
// time.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/base/bytes.h"
#include "lib/storage/file_system.h"
#include "lib/storage/offset_index.h"
#include "lib/storage/time_index.h"

namespace rill::storage {

enum class SegmentWriteMode {
  kPwrite,  // pwrite(2) into the page cache (the default: faster here).
  kMmap,    // memcpy into a writable mapping, populated ahead of the writer.
};

struct SegmentOptions {
  // segment.bytes: the size past which the log rolls.
  uint64_t segment_bytes = 1 << 30;
  // segment.index.bytes: preallocated size of each index.
  uint64_t max_index_bytes = 10 * 1024 * 1024;
  // index.interval.bytes: bytes between sparse index entries.
  uint32_t index_interval_bytes = 4096;
  // preallocate: reserve all of segment.bytes at creation (Kafka's meaning);
  // otherwise the file grows in chunks from 1 MiB up to 64 MiB.
  bool preallocate = false;
  // The largest batch the log accepts (max.message.bytes): the mapping
  // leaves room for one beyond segment.bytes.
  uint64_t max_batch_bytes = 1048588;
  SegmentWriteMode write_mode = SegmentWriteMode::kPwrite;
};

// What Recover() found.
struct SegmentRecovery {
  uint64_t valid_bytes = 0;
  uint64_t truncated_bytes = 0;  // Bytes cut from the tail (torn, corrupt or zero).
  bool zero_tail = false;        // The cut bytes were all zero (preallocation).
  std::string corruption;        // Why the scan stopped, if not a clean end.
  int64_t next_offset = -1;      // After the last valid batch; -1 if empty.
  int batches = 0;
};

class Segment {
 public:
  // Creates the files of a new, empty, active segment.
  static absl::StatusOr<std::shared_ptr<Segment>> Create(FileSystem* fs, const std::string& dir,
                                                         int64_t base_offset,
                                                         const SegmentOptions& options,
                                                         int64_t now_ms);
  // As Create, with `suffix` (".cleaned") appended to every file name: the
  // log cleaner's output, renamed into place by the log's segment swap.
  static absl::StatusOr<std::shared_ptr<Segment>> CreateWithSuffix(
      FileSystem* fs, const std::string& dir, int64_t base_offset, const SegmentOptions& options,
      int64_t now_ms, absl::string_view suffix);
  // Opens an existing segment. `active`: ready for appends (indexes
  // re-expanded, file mapped writable); else read-only. `read_only_process`:
  // never write anything (another process owns the directory).
  static absl::StatusOr<std::shared_ptr<Segment>> Open(FileSystem* fs, const std::string& dir,
                                                       int64_t base_offset,
                                                       const SegmentOptions& options, bool active,
                                                       bool read_only_process);

  ~Segment();

  int64_t base_offset() const { return base_offset_; }
  const std::string& log_path() const { return log_path_; }
  // Bytes of whole batches; published with release after they are written.
  uint64_t size() const { return size_.load(std::memory_order_acquire); }
  // Bytes of the segment [begin, end). REQUIRES: end <= size().
  ByteSpan Slice(uint64_t begin, uint64_t end) const {
    return ByteSpan(read_map_->data() + begin, end - begin);
  }
  const OffsetIndex& offset_index() const { return *offset_index_; }
  const TimeIndex& time_index() const { return *time_index_; }
  bool active() const { return active_; }
  // An index was missing or corrupt when the segment was opened: Recover()
  // must run before its indexes are used.
  bool needs_recovery() const { return needs_recovery_; }

  // The largest record timestamp in the segment, or -1 (retention.ms).
  int64_t max_timestamp() const { return max_timestamp_.load(std::memory_order_acquire); }
  // The maxTimestamp of the first batch, which segment.ms measures from.
  std::optional<int64_t> first_batch_timestamp() const { return first_batch_timestamp_; }
  int64_t created_ms() const { return created_ms_; }

  // Whether a batch of `bytes` can still be appended without growing past
  // the mapping (callers roll on segment.bytes before this matters).
  bool HasRoomFor(uint64_t bytes) const { return size() + bytes <= map_bytes_; }

  // Appends one or more whole batches. `last_offset` is the last offset in
  // them, `max_timestamp` their largest timestamp and
  // `offset_of_max_timestamp` the offset it belongs to. ResourceExhausted
  // when the disk is full (nothing is written then).
  absl::Status Append(ByteSpan batches, int64_t last_offset, int64_t max_timestamp,
                      int64_t offset_of_max_timestamp);

  // What the indexes need to know of one appended batch.
  struct BatchMeta {
    uint64_t bytes = 0;
    int64_t last_offset = -1;
    int64_t max_timestamp = -1;
    int64_t offset_of_max_timestamp = -1;
  };
  // Appends `batches`, whose bytes are `pieces` back to back (the pieces
  // need not be one per batch), with one gathered write. Nothing is
  // published or indexed unless all of it was written; with pwrite and
  // without preallocation a failed write is cut off the file again, so no
  // whole batch that was never acknowledged survives past size() into a
  // later recovery. ResourceExhausted when the disk is full.
  //
  // With `zeros_ahead` (pwrite mode, no preallocation, zero fill not
  // armed), the writer first writes zeros through the 256 KiB boundary
  // 256 KiB past the write whenever fewer than 128 KiB of them lie ahead:
  // see "Zeros ahead in the page cache" above.
  absl::Status AppendBatches(absl::Span<const ByteSpan> pieces, absl::Span<const BatchMeta> batches,
                             bool zeros_ahead = false);
  // The same zeros ahead, written early: when fewer than 256 KiB of them
  // lie past size() (the inline write waits for fewer than 128 KiB). Under
  // the same conditions as AppendBatches' `zeros_ahead`, and only on the
  // active segment; otherwise nothing. Best effort: returns nothing, a
  // failure stops zeros ahead for this segment.
  void WriteZerosAheadEarly();

  // fdatasync of the log and both indexes.
  absl::Status Flush();
  // fdatasync of the `.log` alone: enough for the active segment, whose
  // indexes recovery rebuilds anyway (it always lies at or after the
  // recovery point).
  absl::Status FlushLog() { return log_file_->Sync(); }

  // ---- Zero fill ahead; see zero_filler.h for why ----
  // The writer's side: true when zeros should be written ahead, i.e. fewer
  // than `ahead` bytes past size() are zero-filled, zero fill was not
  // stopped, the segment is written with pwrite and no request is pending.
  // Marks a request pending; the filler clears it (FinishZeroFillRequest).
  // The first call opens the filler's own descriptor (a failure to open
  // just turns zero fill off): the writer's descriptor must report every
  // writeback error to the writer's own fdatasync, and a sync on a shared
  // descriptor could take that report first.
  bool TakeZeroFillRequest(uint64_t ahead);
  // The filler's side, on its thread: writes zeros over `chunk` bytes past
  // everything written so far (page aligned, within segment.bytes) and
  // syncs them. Zero fill stops for good at the first error.
  absl::Status ZeroFillChunk(uint64_t chunk);
  void FinishZeroFillRequest() { zero_fill_pending_.store(false, std::memory_order_release); }
  // Bytes from the start of the file that are written (data or synced
  // zeros): a write ending at or below needs no allocation.
  uint64_t zero_filled() const { return zero_filled_.load(std::memory_order_acquire); }
  // The writer's side (or a closing log's): no more zero fill; waits for a
  // chunk in progress, closes the filler's descriptor and makes the zeros
  // part of the file's allocated length (CutTail and TruncateTo cut them).
  void StopZeroFill();

  // The segment stops being the active one (roll) or the log closes: the
  // final time-index entry, indexes and `.log` trimmed to their valid sizes.
  absl::Status Seal();
  // Stops zero fill and cuts the `.log` to size() (zeros, a preallocated
  // tail). Seal does it; a roll does it first, before the next segment
  // exists, so a reader never finds a segment with a tail below the last.
  absl::Status CutTail();

  // Trims both indexes to their valid entries (an inactive segment whose
  // indexes recovery rebuilt at full size).
  absl::Status TrimIndexes();

  // The byte position of the first batch whose last offset is >= `offset`,
  // scanning at most up to `limit` (<= size()); nullopt if there is none.
  // A batch whose length field is damaged (possible only in a segment
  // loading trusted) ends the scan: its position is returned.
  std::optional<uint64_t> FindBatchPosition(int64_t offset, uint64_t limit) const;

  // Position of the first batch with a timestamp >= `timestamp`, via the
  // time index; nullopt if none.
  std::optional<uint64_t> FindTimestampPosition(int64_t timestamp) const;

  // The offset after the last batch, computed from the last index entry and
  // a scan of the tail. -1 when empty.
  int64_t ReadNextOffset() const;

  // Rescans the whole `.log`: validates every batch (framing, CRC,
  // increasing offsets within 32 bits of the base), rebuilds both indexes,
  // and truncates the file after the last valid batch.
  absl::StatusOr<SegmentRecovery> Recover();

  // For a read-only process: finds the valid prefix of a segment another
  // process may be writing (stops at the first torn, corrupt or zero batch)
  // and limits size() to it, writing nothing. Returns size().
  uint64_t ScanValidPrefix();

  // Drops every batch whose last offset is >= `offset` (whole batches, as
  // Kafka). Returns the bytes removed.
  absl::StatusOr<uint64_t> TruncateTo(int64_t offset);

  // Renames all of the segment's files by appending `suffix` (".deleted").
  absl::Status RenameFilesWithSuffix(absl::string_view suffix);
  // Removes the files (under whatever names RenameFilesWithSuffix gave them).
  absl::Status DeleteFiles();

 private:
  Segment(FileSystem* fs, std::string dir, int64_t base_offset, const SegmentOptions& options);
  absl::Status OpenFiles(bool create, bool active, bool read_only_process);
  absl::Status OpenIndexes(bool create, bool read_only_process);
  absl::Status EnsureAllocated(uint64_t end);
  void IndexBatch(uint64_t position, uint64_t bytes, int64_t last_offset, int64_t max_timestamp,
                  int64_t offset_of_max_timestamp);
  void LoadTimestampsFromIndex();
  // The writer's slow path, for a write of [begin, end) past zero_filled():
  // waits while zeros are being written over that range, then records the
  // write so the filler starts after it.
  void ClaimUnfilled(uint64_t begin, uint64_t end);
  // The file's valid length is `file_size`: nothing zero-filled past it.
  void ResetZeroFill(uint64_t file_size);
  // The writer's zeros ahead in the page cache, before a write ending at
  // `end`. Best effort: a failure only stops them for this segment.
  void WriteZerosAhead(uint64_t end);

  FileSystem* const fs_;
  const std::string dir_;
  const int64_t base_offset_;
  const SegmentOptions options_;
  std::string log_path_;
  std::string suffix_;  // Appended to every file name (".deleted" etc.).

  std::unique_ptr<File> log_file_;
  std::unique_ptr<Mapping> read_map_;
  std::unique_ptr<Mapping> write_map_;  // Active segment in kMmap mode only.
  std::unique_ptr<OffsetIndex> offset_index_;
  std::unique_ptr<TimeIndex> time_index_;
  uint64_t map_bytes_ = 0;
  bool active_ = false;
  bool needs_recovery_ = false;

  std::atomic<uint64_t> size_{0};  // Publishes appended batches to readers.
  uint64_t allocated_ = 0;         // File length reserved with Allocate.
  uint64_t populated_ = 0;         // Write mapping faulted in up to here.
  uint64_t bytes_since_index_entry_ = 0;
  std::atomic<int64_t> max_timestamp_{-1};
  int64_t offset_of_max_timestamp_ = -1;
  std::optional<int64_t> first_batch_timestamp_;
  int64_t created_ms_ = 0;

  // Zero fill ahead. zero_filled_ only grows while zero fill runs.
  std::atomic<uint64_t> zero_filled_{0};
  std::atomic<bool> zero_fill_pending_{false};
  // The writer's: a request was granted, so writes past zero_filled_ must
  // coordinate with the filler (while unset, appends take no lock).
  bool zero_fill_armed_ = false;
  // The filler's descriptor; opened by the writer before the first request,
  // closed by StopZeroFill.
  std::unique_ptr<File> zero_file_;
  std::mutex zero_mu_;
  std::condition_variable zero_cv_;
  uint64_t zeroing_begin_ = 0;      // Guarded by zero_mu_: [begin, end) is being
  uint64_t zeroing_end_ = 0;        // zero-filled when end > begin.
  uint64_t writer_end_ = 0;         // Guarded by zero_mu_: end of the writes past zero_filled_.
  uint64_t zero_file_end_ = 0;      // Guarded by zero_mu_: the file's end after zero fill.
  bool zero_fill_stopped_ = false;  // Guarded by zero_mu_.
  bool zeros_ahead_failed_ = false;  // The writer's: a zero write failed.
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_SEGMENT_H_
