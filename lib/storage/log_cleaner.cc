// The log cleaner: choosing a log, one cleaning pass, threads and the
// cleaner-offset-checkpoint. See log_cleaner.h for what a pass keeps.

#include "lib/storage/log_cleaner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/status_macros.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/control_record.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_reader.h"
#include "lib/storage/log_file_names.h"
#include "lib/storage/offset_map.h"

namespace rill::storage {
namespace {

using SegmentSnapshot = std::vector<std::shared_ptr<const Segment>>;

int64_t SaturatingAdd(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }

// Calls `fn(view)` for every batch of `segment`, stopping at the first error
// (`fn` returns a Status).
template <typename Fn>
absl::Status ForEachBatch(const Segment& segment, Fn&& fn) {
  uint64_t size = segment.size();
  format::BatchScanner scanner(size == 0 ? ByteSpan() : segment.Slice(0, size));
  format::BatchScanner::Slice slice;
  while (true) {
    RILL_ASSIGN_OR_RETURN(bool more, scanner.Next(&slice));
    if (!more) return absl::OkStatus();
    RILL_ASSIGN_OR_RETURN(format::RecordBatchView batch, format::RecordBatchView::Parse(slice.bytes));
    RILL_RETURN_IF_ERROR(fn(batch));
  }
}

// The transactions a pass must know of, from the batch headers (rill keeps
// no `.txnindex`): the aborted ones' offset ranges per producer, and the
// first offset of the earliest still open one (the first unstable offset).
struct Transactions {
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> aborted;
  int64_t first_unstable = INT64_MAX;

  bool IsAborted(int64_t producer_id, int64_t offset) const {
    auto it = aborted.find(producer_id);
    if (it == aborted.end()) return false;
    for (const auto& [first, last] : it->second) {
      if (offset >= first && offset <= last) return true;
    }
    return false;
  }
};

absl::StatusOr<std::optional<format::ControlRecordType>> MarkerType(
    const format::RecordBatchView& batch, ByteBuffer* scratch) {
  format::RecordReader reader;
  RILL_RETURN_IF_ERROR(reader.Open(batch, scratch));
  format::RecordView record;
  RILL_ASSIGN_OR_RETURN(bool has, reader.Next(&record));
  if (!has) return std::nullopt;
  return format::ParseControlRecordKey(record.key);
}

absl::StatusOr<Transactions> ScanTransactions(const SegmentSnapshot& segments) {
  Transactions txns;
  std::map<int64_t, int64_t> open;  // Producer id → first offset of its open transaction.
  ByteBuffer scratch;
  for (const auto& segment : segments) {
    RILL_RETURN_IF_ERROR(ForEachBatch(*segment, [&](const format::RecordBatchView& b) -> absl::Status {
      if (!b.is_transactional()) return absl::OkStatus();
      if (!b.is_control()) {
        open.emplace(b.producer_id(), b.base_offset());
        return absl::OkStatus();
      }
      auto it = open.find(b.producer_id());
      if (it == open.end()) return absl::OkStatus();
      RILL_ASSIGN_OR_RETURN(auto type, MarkerType(b, &scratch));
      if (type == format::ControlRecordType::kAbort) {
        txns.aborted[b.producer_id()].push_back({it->second, b.base_offset()});
      }
      open.erase(it);
      return absl::OkStatus();
    }));
  }
  for (const auto& [id, first] : open) txns.first_unstable = std::min(txns.first_unstable, first);
  return txns;
}

// The dirty section of a log, in whole segments.
struct Range {
  int64_t first_dirty = 0;
  size_t dirty_begin = 0;  // The segment holding first_dirty.
  size_t dirty_end = 0;    // Segments before it lie wholly below the first uncleanable offset.
  uint64_t clean_bytes = 0;
  uint64_t dirty_bytes = 0;
  bool max_lag_passed = false;

  double ratio() const {
    uint64_t total = clean_bytes + dirty_bytes;
    return total == 0 ? 0 : static_cast<double>(dirty_bytes) / static_cast<double>(total);
  }
};

Range ComputeRange(const Log::CleanerSnapshot& snap, int64_t checkpoint, int64_t now,
                   int64_t first_unstable) {
  Range r;
  const SegmentSnapshot& segs = snap.segments;
  r.first_dirty = checkpoint;
  // Kafka resets a checkpoint outside the log (truncation, DeleteRecords).
  if (r.first_dirty < snap.log_start_offset || r.first_dirty > snap.log_end_offset) {
    r.first_dirty = snap.log_start_offset;
  }
  if (segs.empty()) return r;
  size_t n = segs.size();
  int64_t limit = std::min(first_unstable, segs.back()->base_offset());
  if (snap.config.min_compaction_lag_ms > 0) {
    for (size_t i = 0; i + 1 < n; ++i) {
      if (segs[i]->max_timestamp() > now - snap.config.min_compaction_lag_ms) {
        limit = std::min(limit, segs[i]->base_offset());
        break;
      }
    }
  }
  while (r.dirty_end + 1 < n && segs[r.dirty_end + 1]->base_offset() <= limit) ++r.dirty_end;
  while (r.dirty_begin + 1 < n && segs[r.dirty_begin + 1]->base_offset() <= r.first_dirty) {
    ++r.dirty_begin;
  }
  for (size_t i = 0; i < std::min(r.dirty_begin, r.dirty_end); ++i) r.clean_bytes += segs[i]->size();
  for (size_t i = r.dirty_begin; i < r.dirty_end; ++i) r.dirty_bytes += segs[i]->size();
  if (r.dirty_bytes > 0 && snap.config.max_compaction_lag_ms != INT64_MAX) {
    // Kafka's maxCompactionDelay: the earliest first-batch timestamp of the
    // dirty segments below the active one, counting only real ones (> 0);
    // batches without a timestamp never force a cleaning.
    int64_t earliest = INT64_MAX;
    for (size_t i = r.dirty_begin; i + 1 < n; ++i) {
      std::optional<int64_t> first = segs[i]->first_batch_timestamp();
      if (first && *first > 0) earliest = std::min(earliest, *first);
    }
    r.max_lag_passed = earliest != INT64_MAX &&
                       earliest < now - std::max<int64_t>(snap.config.max_compaction_lag_ms, 0);
  }
  return r;
}

}  // namespace

// One pass over one log (see log_cleaner.h). Owns the offset map and the
// buffers; not thread safe.
class CleanerPass {
 public:
  CleanerPass(LogCleaner* cleaner, Log* log, size_t map_bytes)
      : cleaner_(cleaner), log_(log), max_map_bytes_(map_bytes) {}

  // Cleans from `checkpoint` (-1: none). `*map_full`: the offset map filled
  // before the dirty section ended. `*horizon`: the earliest delete horizon
  // the pass kept, or INT64_MAX.
  absl::StatusOr<CleanStats> Run(int64_t checkpoint, bool* map_full, int64_t* horizon);

 private:
  absl::Status BuildMap(const Range& range, bool* full);
  absl::Status CleanGroup(const SegmentSnapshot& group);
  absl::Status Recopy(const format::RecordBatchView& batch, Segment* out, bool* written);
  // `tombstones`: the batch holds tombstones or is a marker, so its delete
  // horizon (if any) asks for a later pass.
  absl::Status Write(Segment* out, ByteSpan bytes, bool tombstones = false);
  absl::Status WriteEmptyHeader(const format::RecordBatchView& batch, Segment* out);
  static format::BatchOptions OptionsOf(const format::RecordBatchView& batch);

  LogCleaner* const cleaner_;
  Log* const log_;
  const size_t max_map_bytes_;
  Log::CleanerSnapshot snap_;
  Transactions txns_;
  std::unique_ptr<OffsetMap> map_;
  int64_t end_ = 0;  // Records at or past it are kept as they are.
  int64_t now_ = 0;
  int64_t min_horizon_ = INT64_MAX;
  // Producers whose current transaction kept data in this pass.
  std::set<int64_t> txn_with_data_;
  CleanStats stats_;
  ByteBuffer scratch_;
  format::RecordBatchBuilder builder_;
  std::vector<format::RecordView> kept_;
  std::vector<format::Header> headers_;
};

absl::StatusOr<CleanStats> CleanerPass::Run(int64_t checkpoint, bool* map_full, int64_t* horizon) {
  snap_ = log_->SnapshotForCleaner();
  now_ = log_->clock()->NowMs();
  RILL_ASSIGN_OR_RETURN(txns_, ScanTransactions(snap_.segments));
  Range range = ComputeRange(snap_, checkpoint, now_, txns_.first_unstable);
  stats_.passes = 1;
  stats_.first_dirty_offset = range.first_dirty;
  end_ = range.first_dirty;
  *map_full = false;
  if (range.dirty_begin < range.dirty_end) {
    RILL_RETURN_IF_ERROR(BuildMap(range, map_full));
  } else {
    map_ = std::make_unique<OffsetMap>(2 * OffsetMap::kEntryBytes);  // Nothing dirty: a horizon pass.
  }
  stats_.end_offset = end_;
  // Every segment from the log start up to the end, in groups.
  const SegmentSnapshot& segs = snap_.segments;
  size_t last = 0;
  while (last + 1 < segs.size() && segs[last]->base_offset() < end_) ++last;
  const LogConfig& c = snap_.config;
  for (size_t i = 0; i < last;) {
    SegmentSnapshot group{segs[i]};
    uint64_t bytes = segs[i]->size();
    uint64_t index_bytes = segs[i]->offset_index().valid_bytes();
    size_t j = i + 1;
    while (j < last && bytes + segs[j]->size() <= static_cast<uint64_t>(c.segment_bytes) &&
           index_bytes + segs[j]->offset_index().valid_bytes() <=
               static_cast<uint64_t>(c.segment_index_bytes) &&
           segs[j + 1]->base_offset() - 1 - segs[i]->base_offset() <= INT32_MAX) {
      bytes += segs[j]->size();
      index_bytes += segs[j]->offset_index().valid_bytes();
      group.push_back(segs[j++]);
    }
    RILL_RETURN_IF_ERROR(CleanGroup(group));
    i = j;
  }
  *horizon = min_horizon_;
  return stats_;
}

absl::Status CleanerPass::BuildMap(const Range& range, bool* full) {
  // Sized by the dirty records (each adds at most one key), capped by
  // log.cleaner.dedupe.buffer.size.
  int64_t records = 0;
  for (size_t i = range.dirty_begin; i < range.dirty_end; ++i) {
    RILL_RETURN_IF_ERROR(ForEachBatch(*snap_.segments[i], [&](const format::RecordBatchView& b) {
      records += b.record_count();
      return absl::OkStatus();
    }));
  }
  double wanted = (static_cast<double>(records) + 16) / OffsetMap::kLoadFactor * OffsetMap::kEntryBytes;
  map_ = std::make_unique<OffsetMap>(std::min<size_t>(max_map_bytes_, static_cast<size_t>(wanted) + 64));
  int64_t first_dirty = range.first_dirty;
  for (size_t i = range.dirty_begin; i < range.dirty_end && !*full; ++i) {
    absl::Status s = ForEachBatch(*snap_.segments[i], [&](const format::RecordBatchView& b) -> absl::Status {
      if (*full || b.next_offset() <= first_dirty) return absl::OkStatus();
      if (log_->cleaning_aborted()) return absl::AbortedError(absl::StrCat(log_->dir(), " is being deleted"));
      if (!b.is_control() && !(b.is_transactional() && txns_.IsAborted(b.producer_id(), b.base_offset()))) {
        format::RecordReader reader;
        RILL_RETURN_IF_ERROR(reader.Open(b, &scratch_));
        format::RecordView record;
        while (true) {
          RILL_ASSIGN_OR_RETURN(bool more, reader.Next(&record));
          if (!more) break;
          if (record.key && !map_->Put(*record.key, record.offset)) {
            *full = true;
            return absl::OkStatus();
          }
        }
      }
      end_ = b.next_offset();
      return absl::OkStatus();
    });
    RILL_RETURN_IF_ERROR(s);
    cleaner_->Throttle(snap_.segments[i]->size());
    if (!*full) end_ = snap_.segments[i + 1]->base_offset();
  }
  if (*full && end_ <= first_dirty) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "log.cleaner.dedupe.buffer.size (", max_map_bytes_, " bytes for this thread) cannot hold the keys of one batch of ",
        log_->dir(), " at offset ", first_dirty));
  }
  return absl::OkStatus();
}

format::BatchOptions CleanerPass::OptionsOf(const format::RecordBatchView& batch) {
  format::BatchOptions o;
  o.compression = batch.compression();
  o.timestamp_type = batch.timestamp_type();
  o.log_append_time_ms = batch.max_timestamp();
  o.base_offset = batch.base_offset();
  o.partition_leader_epoch = batch.partition_leader_epoch();
  o.producer_id = batch.producer_id();
  o.producer_epoch = batch.producer_epoch();
  o.base_sequence = batch.base_sequence();
  o.is_transactional = batch.is_transactional();
  o.is_control = batch.is_control();
  return o;
}

absl::Status CleanerPass::Write(Segment* out, ByteSpan bytes, bool tombstones) {
  RILL_ASSIGN_OR_RETURN(format::RecordBatchView b, format::RecordBatchView::Parse(bytes));
  RILL_RETURN_IF_ERROR(out->Append(bytes, b.last_offset(), b.max_timestamp(), b.last_offset()));
  stats_.bytes_written += bytes.size();
  stats_.records_written += b.record_count();
  if (tombstones && b.delete_horizon_ms()) {
    min_horizon_ = std::min(min_horizon_, *b.delete_horizon_ms());
  }
  return absl::OkStatus();
}

absl::Status CleanerPass::WriteEmptyHeader(const format::RecordBatchView& batch, Segment* out) {
  builder_.Reset(OptionsOf(batch));
  builder_.set_last_offset_delta(batch.last_offset_delta());
  builder_.set_max_timestamp(batch.max_timestamp());
  RILL_ASSIGN_OR_RETURN(MutableByteSpan built, builder_.Build());
  return Write(out, built);
}

absl::Status CleanerPass::Recopy(const format::RecordBatchView& batch, Segment* out, bool* written) {
  *written = true;
  if (batch.base_offset() >= end_) return Write(out, batch.bytes());
  int64_t pid = batch.producer_id();
  std::optional<int64_t> horizon = batch.delete_horizon_ms();
  if (batch.is_control()) {
    // A marker stays while its transaction has data, then for
    // delete.retention.ms more (its own horizon), then goes.
    bool data_left = txn_with_data_.erase(pid) > 0;
    if (!batch.is_transactional() || data_left || (horizon && now_ < *horizon)) {
      return Write(out, batch.bytes(), batch.is_transactional());
    }
    if (horizon) {
      *written = false;
      return absl::OkStatus();
    }
  } else if (batch.is_transactional() && txns_.IsAborted(pid, batch.base_offset())) {
    *written = false;
    return absl::OkStatus();
  }
  format::RecordReader reader;
  RILL_RETURN_IF_ERROR(reader.Open(batch, &scratch_));
  kept_.clear();
  bool tombstone_kept = false;
  format::RecordView record;
  while (true) {
    RILL_ASSIGN_OR_RETURN(bool more, reader.Next(&record));
    if (!more) break;
    bool keep = batch.is_control() ||
                (record.key && map_->Get(*record.key) <= record.offset &&
                 (record.value || !horizon || now_ < *horizon));
    if (!keep) continue;
    tombstone_kept |= !record.value || batch.is_control();
    kept_.push_back(record);
  }
  if (batch.is_transactional() && !batch.is_control() && !kept_.empty()) txn_with_data_.insert(pid);
  bool needs_horizon = tombstone_kept && !horizon;
  if (static_cast<int32_t>(kept_.size()) == batch.record_count() && !needs_horizon) {
    return Write(out, batch.bytes(), tombstone_kept);
  }
  if (kept_.empty()) {
    auto last = snap_.producer_last_offsets.find(pid);
    // The producer's last batch keeps its header: its sequence and epoch
    // must survive a reload of the producer state.
    if (pid >= 0 && last != snap_.producer_last_offsets.end() && last->second == batch.last_offset()) {
      return WriteEmptyHeader(batch, out);
    }
    *written = false;
    return absl::OkStatus();
  }
  format::BatchOptions options = OptionsOf(batch);
  options.delete_horizon_ms = horizon;
  if (needs_horizon) options.delete_horizon_ms = SaturatingAdd(now_, snap_.config.delete_retention_ms);
  builder_.Reset(options);
  for (const format::RecordView& r : kept_) {
    headers_.clear();
    for (format::Header h : r.headers) headers_.push_back(h);
    RILL_RETURN_IF_ERROR(builder_.AppendWithOffsetDelta(r.offset_delta, r.timestamp, r.key, r.value, headers_));
  }
  builder_.set_last_offset_delta(batch.last_offset_delta());
  builder_.set_max_timestamp(batch.max_timestamp());
  RILL_ASSIGN_OR_RETURN(MutableByteSpan built, builder_.Build());
  return Write(out, built, tombstone_kept);
}

absl::Status CleanerPass::CleanGroup(const SegmentSnapshot& group) {
  SegmentOptions options = snap_.config.segment_options();
  options.preallocate = false;
  uint64_t bytes = 0;
  for (const auto& s : group) bytes += s->size();
  options.segment_bytes = std::max<uint64_t>(options.segment_bytes, bytes);
  RILL_ASSIGN_OR_RETURN(std::shared_ptr<Segment> out,
                        Segment::CreateWithSuffix(log_->fs(), log_->dir(), group.front()->base_offset(),
                                                  options, now_, kCleanedSuffix));
  auto copy = [&]() -> absl::Status {
    std::optional<std::vector<uint8_t>> dropped_last;  // The last batch read, if dropped.
    for (const auto& segment : group) {
      if (log_->cleaning_aborted()) return absl::AbortedError(absl::StrCat(log_->dir(), " is being deleted"));
      RILL_RETURN_IF_ERROR(ForEachBatch(*segment, [&](const format::RecordBatchView& b) -> absl::Status {
        bool written = false;
        stats_.records_read += b.record_count();
        RILL_RETURN_IF_ERROR(Recopy(b, out.get(), &written));
        if (written) dropped_last.reset();
        else dropped_last.emplace(b.bytes().begin(), b.bytes().begin() + format::kBatchHeaderBytes);
        return absl::OkStatus();
      }));
      stats_.bytes_read += segment->size();
      ++stats_.segments_read;
      cleaner_->Throttle(segment->size());
    }
    // The group's last offset survives, as an empty batch if need be: the
    // loader completes an interrupted swap over the `.swap` file's offsets.
    if (dropped_last) {
      // A header-only view: WriteEmptyHeader reads nothing past it.
      std::vector<uint8_t>& h = *dropped_last;
      StoreBigEndian32(h.data() + format::kLengthOffset,
                       static_cast<uint32_t>(format::kBatchHeaderBytes - format::kLogOverheadBytes));
      StoreBigEndian32(h.data() + format::kRecordsCountOffset, 0);
      StoreBigEndian16(h.data() + format::kAttributesOffset,
                       LoadBigEndian16(h.data() + format::kAttributesOffset) &
                           ~(format::kCompressionMask | format::kDeleteHorizonMask));
      RILL_ASSIGN_OR_RETURN(format::RecordBatchView header, format::RecordBatchView::Parse(ByteSpan(h.data(), h.size())));
      RILL_RETURN_IF_ERROR(WriteEmptyHeader(header, out.get()));
    }
    RILL_RETURN_IF_ERROR(out->Seal());
    return out->Flush();
  };
  if (absl::Status s = copy(); !s.ok()) {
    out->DeleteFiles().IgnoreError();  // Never part of the log; the loader removes leftovers.
    return s;
  }
  ++stats_.segments_written;
  return log_->ReplaceSegments(group, std::move(out));
}

LogTally TallyLog(const Log& log) {
  LogTally t;
  for (const auto& segment : log.segments()) {
    ++t.segments;
    t.bytes += segment->size();
    // A damaged batch ends the count; the tally is for reports only.
    ForEachBatch(*segment, [&](const format::RecordBatchView& b) {
      t.records += b.record_count();
      return absl::OkStatus();
    }).IgnoreError();
  }
  return t;
}

absl::StatusOr<std::unique_ptr<LogCleaner>> LogCleaner::Open(LogManager* logs,
                                                             const CleanerOptions& options) {
  if (options.fs == nullptr) return absl::InvalidArgumentError("LogCleaner needs a FileSystem");
  if (options.threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value ", options.threads,
                                                   " for log.cleaner.threads: must be >= 0"));
  }
  std::unique_ptr<LogCleaner> cleaner(new LogCleaner(logs, options));
  absl::StatusOr<PartitionOffsets> read =
      ReadPartitionOffsets(options.fs, JoinPath(options.dir, kCleanerOffsetCheckpoint));
  // Missing or malformed: every log starts dirty from its start, which only
  // costs a longer first pass.
  if (read.ok()) cleaner->checkpoint_ = *std::move(read);
  return cleaner;
}

LogCleaner::LogCleaner(LogManager* logs, const CleanerOptions& options)
    : logs_(logs), options_(options) {}

LogCleaner::~LogCleaner() { Stop(); }

size_t LogCleaner::MapBytesPerThread() const {
  int64_t per = options_.dedupe_buffer_size / std::max(options_.threads, 1);
  return static_cast<size_t>(std::max<int64_t>(per, 2 * OffsetMap::kEntryBytes));
}

int64_t LogCleaner::first_dirty_offset(const TopicPartition& tp) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = checkpoint_.find(tp);
  return it == checkpoint_.end() ? -1 : it->second;
}

struct LogCleaner::Candidate {
  TopicPartition tp;
  std::shared_ptr<Log> log;
};

std::optional<LogCleaner::Candidate> LogCleaner::Dirtiest(const std::set<TopicPartition>& skip) {
  std::optional<Candidate> best;
  double best_ratio = -1;
  for (const TopicPartition& tp : logs_->ListLogs()) {
    std::shared_ptr<Log> log = logs_->SharedLog(tp.first, tp.second);
    if (log == nullptr) continue;
    Log::CleanerSnapshot snap = log->SnapshotForCleaner();
    if (!snap.config.compact) continue;
    int64_t now = log->clock()->NowMs();
    std::lock_guard<std::mutex> lock(mu_);
    if (in_progress_.contains(tp) || skip.contains(tp)) continue;
    auto cp = checkpoint_.find(tp);
    // The first unstable offset is only known after a scan; the pass
    // itself honours it.
    Range r = ComputeRange(snap, cp == checkpoint_.end() ? -1 : cp->second, now, INT64_MAX);
    auto h = horizons_.find(tp);
    bool horizon_due = h != horizons_.end() && now >= h->second;
    bool eligible = (r.dirty_bytes > 0 &&
                     (r.ratio() > snap.config.min_cleanable_dirty_ratio || r.max_lag_passed)) ||
                    horizon_due;
    if (eligible && r.ratio() > best_ratio) {
      best_ratio = r.ratio();
      best = Candidate{tp, std::move(log)};
    }
  }
  if (best) {
    std::lock_guard<std::mutex> lock(mu_);
    in_progress_.insert(best->tp);
  }
  return best;
}

absl::StatusOr<CleanStats> LogCleaner::CleanPass(const TopicPartition& tp, Log* log, bool* map_full) {
  std::unique_lock<std::mutex> cleaning = log->LockForCleaning();
  if (log->cleaning_aborted()) return absl::AbortedError(absl::StrCat(log->dir(), " is being deleted"));
  int64_t checkpoint = first_dirty_offset(tp);
  CleanerPass pass(this, log, MapBytesPerThread());
  int64_t horizon = INT64_MAX;
  RILL_ASSIGN_OR_RETURN(CleanStats stats, pass.Run(checkpoint, map_full, &horizon));
  RILL_RETURN_IF_ERROR(Checkpoint(tp, stats.end_offset, horizon));
  return stats;
}

absl::Status LogCleaner::Checkpoint(const TopicPartition& tp, int64_t end, int64_t horizon) {
  std::lock_guard<std::mutex> file_lock(checkpoint_file_mu_);
  PartitionOffsets entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    checkpoint_[tp] = end;
    if (horizon == INT64_MAX) horizons_.erase(tp);
    else horizons_[tp] = horizon;
    // Logs deleted since drop out of the file.
    std::vector<TopicPartition> live = logs_->ListLogs();
    std::set<TopicPartition> alive(live.begin(), live.end());
    for (auto it = checkpoint_.begin(); it != checkpoint_.end();) {
      it = alive.contains(it->first) ? std::next(it) : checkpoint_.erase(it);
    }
    entries = checkpoint_;
  }
  return WritePartitionOffsets(options_.fs, JoinPath(options_.dir, kCleanerOffsetCheckpoint), entries);
}

absl::StatusOr<int> LogCleaner::CleanDirtiest() {
  int passes = 0;
  // A log gets one pass per call, more only while its offset map fills, so
  // a log that stays dirty (an open transaction) cannot loop.
  std::set<TopicPartition> done;
  while (true) {
    std::optional<Candidate> c = Dirtiest(done);
    if (!c) return passes;
    bool map_full = false;
    absl::StatusOr<CleanStats> r = CleanPass(c->tp, c->log.get(), &map_full);
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_progress_.erase(c->tp);
    }
    ++passes;
    // Aborted: the log changed or went away under the pass; the next call
    // starts over.
    if (!r.ok() && !absl::IsAborted(r.status())) return r.status();
    if (!r.ok() || !map_full) done.insert(c->tp);
  }
}

absl::StatusOr<CleanStats> LogCleaner::CleanNow(const std::string& topic, int32_t partition) {
  TopicPartition tp{topic, partition};
  std::shared_ptr<Log> log = logs_->SharedLog(topic, partition);
  if (log == nullptr) return absl::NotFoundError(absl::StrCat("no log for ", topic, "-", partition));
  if (!log->config().compact) {
    return absl::InvalidArgumentError(absl::StrCat(
        topic, "-", partition, " is not compacted: its cleanup.policy has no \"compact\""));
  }
  CleanStats total;
  for (int i = 0; i < 10000; ++i) {
    bool map_full = false;
    RILL_ASSIGN_OR_RETURN(CleanStats s, CleanPass(tp, log.get(), &map_full));
    if (total.passes == 0) total.first_dirty_offset = s.first_dirty_offset;
    total.passes += s.passes;
    total.end_offset = s.end_offset;
    total.bytes_read += s.bytes_read;
    total.bytes_written += s.bytes_written;
    total.records_read += s.records_read;
    total.records_written += s.records_written;
    total.segments_read += s.segments_read;
    total.segments_written += s.segments_written;
    if (!map_full) break;
  }
  return total;
}

void LogCleaner::Throttle(uint64_t bytes) {
  double rate = options_.io_max_bytes_per_second;
  if (!(rate > 0) || std::isinf(rate)) return;
  std::unique_lock<std::mutex> lock(throttle_mu_);
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  if (throttle_start_ns_ < 0) throttle_start_ns_ = now;
  throttle_bytes_ += static_cast<double>(bytes);
  double elapsed = static_cast<double>(now - throttle_start_ns_) / 1e9;
  double due = throttle_bytes_ / rate;
  if (due > elapsed) {
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::duration<double>(due - elapsed));
    lock.lock();
  }
  // A fresh window each second, so an idle spell earns no burst.
  if (elapsed > 1.0) {
    throttle_start_ns_ = now;
    throttle_bytes_ = 0;
  }
}

void LogCleaner::Start() {
  std::lock_guard<std::mutex> lock(thread_mu_);
  if (!threads_.empty()) return;
  stop_ = false;
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { ThreadLoop(); });
}

void LogCleaner::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(thread_mu_);
    stop_ = true;
    threads.swap(threads_);
  }
  thread_cv_.notify_all();
  for (std::thread& t : threads) t.join();
}

void LogCleaner::ThreadLoop() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(thread_mu_);
      if (stop_) return;
    }
    std::optional<Candidate> c = Dirtiest({});
    bool cleaned = false;
    if (c) {
      bool map_full = false;
      absl::StatusOr<CleanStats> r = CleanPass(c->tp, c->log.get(), &map_full);
      {
        std::lock_guard<std::mutex> lock(mu_);
        in_progress_.erase(c->tp);
      }
      // A failed pass (a full disk) is retried after the backoff, and so is
      // a log that stays dirty without progress (an open transaction).
      cleaned = r.ok() && (map_full || r->end_offset > r->first_dirty_offset);
    }
    if (cleaned) continue;
    std::unique_lock<std::mutex> lock(thread_mu_);
    thread_cv_.wait_for(lock, std::chrono::milliseconds(options_.backoff_ms), [this] { return stop_; });
  }
}

}  // namespace rill::storage
