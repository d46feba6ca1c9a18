// Log: append, read, roll, flush and the failed state. Loading and recovery
// are in log_loader.cc; retention, truncation and deletion in
// log_retention.cc.

#include "lib/storage/log.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "lib/storage/log_file_names.h"

namespace rill::storage {
namespace {

// later - earlier, saturated: timestamps come from clients (any int64_t,
// -1 for none), and segment.ms compares their span.
int64_t TimestampSpan(int64_t earlier, int64_t later) {
  int64_t span;
  if (__builtin_sub_overflow(later, earlier, &span)) return later > earlier ? INT64_MAX : INT64_MIN;
  return span;
}

}  // namespace

Log::Log(const LogOpenParams& params)
    : fs_(params.fs),
      clock_(params.clock != nullptr ? params.clock : Clock::System()),
      dir_(params.dir),
      config_(params.config),
      read_only_(params.read_only),
      clean_shutdown_(params.clean_shutdown),
      zero_filler_(params.read_only ? nullptr : params.zero_filler),
      zeros_ahead_(params.zeros_ahead && !params.read_only),
      jitter_state_(std::hash<std::string>{}(params.dir) ^ 0x9E3779B97F4A7C15ull) {
  max_message_bytes_.store(params.config.max_message_bytes);
  recovery_point_.store(params.recovery_point);
  log_start_offset_.store(params.log_start_offset);
}

Log::~Log() {
  absl::Status s = Close();
  (void)s;  // A destructor cannot report it; Close() before destruction can.
}

std::shared_ptr<const Log::SegmentList> Log::snapshot() const {
  std::lock_guard<std::mutex> lock(segments_mu_);
  return segments_;
}

void Log::Publish(SegmentList list) {
  writer_segments_ = list;
  auto published = std::make_shared<const SegmentList>(std::move(list));
  std::lock_guard<std::mutex> lock(segments_mu_);
  segments_.swap(published);  // The old list is released after the lock.
}

std::vector<std::shared_ptr<const Segment>> Log::segments() const {
  auto snap = snapshot();
  return {snap->begin(), snap->end()};
}

int Log::segment_count() const { return static_cast<int>(snapshot()->size()); }

uint64_t Log::size_bytes() const {
  uint64_t total = 0;
  for (const auto& s : *snapshot()) total += s->size();
  return total;
}

LogConfig Log::config() const {
  MutexLock lock(&mu_);
  return config_;
}

absl::Status Log::SetConfig(const LogConfig& config) {
  RILL_RETURN_IF_ERROR(config.Validate());
  MutexLock lock(&mu_);
  config_ = config;
  max_message_bytes_.store(config.max_message_bytes, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::Status Log::failure() const {
  MutexLock lock(&mu_);
  return failure_;
}

absl::Status Log::Fail(absl::Status s) {
  if (failure_.ok()) {
    failure_ = absl::Status(s.code(), absl::StrCat("log ", dir_, " failed and refuses writes: ",
                                                   s.message()));
  }
  return failure_;
}

absl::Status Log::CheckWritable() const {
  if (deleted_) return absl::FailedPreconditionError(absl::StrCat("log ", dir_, " was deleted"));
  if (closed_) return absl::FailedPreconditionError(absl::StrCat("log ", dir_, " is closed"));
  if (read_only_) {
    return absl::FailedPreconditionError(absl::StrCat("log ", dir_, " is open read-only"));
  }
  return failure_;
}

int64_t Log::NewJitter() {
  if (config_.segment_jitter_ms <= 0) return 0;
  jitter_state_ += 0x9E3779B97F4A7C15ull;
  uint64_t z = jitter_state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<int64_t>((z ^ (z >> 31)) % static_cast<uint64_t>(config_.segment_jitter_ms));
}

absl::Status Log::ValidateForAppend(const format::RecordBatchView& batch, AppendOrigin origin,
                                    bool validate_records) {
  int32_t max_bytes = max_message_bytes_.load(std::memory_order_relaxed);
  if (batch.size_bytes() > static_cast<uint64_t>(max_bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "record batch of ", batch.size_bytes(), " bytes is larger than max.message.bytes (",
        max_bytes, ") of ", dir_));
  }
  if (validate_records) RILL_RETURN_IF_ERROR(batch.VerifyCrc());
  if (origin == AppendOrigin::kReplication) return absl::OkStatus();
  // LogValidator's checks on a client's batch.
  if (batch.record_count() <= 0 ||
      static_cast<int64_t>(batch.record_count()) != int64_t{batch.last_offset_delta()} + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "record batch has ", batch.record_count(), " records but lastOffsetDelta ",
        batch.last_offset_delta(), " (a client batch holds consecutive offsets from 0)"));
  }
  if (batch.is_control() && origin == AppendOrigin::kClient) {
    return absl::InvalidArgumentError("clients may not append control batches");
  }
  // Transaction markers carry the producer id but no sequence (-1), as
  // Kafka's coordinator writes them.
  if (batch.producer_id() >= 0 && batch.base_sequence() < 0 && !batch.is_control()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch of producer ", batch.producer_id(), " has no base sequence"));
  }
  if (!validate_records) return absl::OkStatus();
  thread_local ByteBuffer scratch;
  format::RecordReader reader;
  RILL_RETURN_IF_ERROR(reader.Open(batch, &scratch));
  format::RecordView record;
  int32_t expected_delta = 0;
  while (true) {
    RILL_ASSIGN_OR_RETURN(bool more, reader.Next(&record));
    if (!more) break;
    if (record.offset_delta != expected_delta++) {
      return absl::InvalidArgumentError(absl::StrCat(
          "record ", expected_delta - 1, " has offset delta ", record.offset_delta,
          "; a client batch's records have consecutive offset deltas"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AppendInfo> Log::Append(MutableByteSpan batch, AppendOrigin origin,
                                       bool validate_records) {
  AppendInfo info;
  size_t appended = 0;
  RILL_RETURN_IF_ERROR(
      AppendBatches(absl::MakeConstSpan(&batch, 1), origin, validate_records, &info, &appended));
  return info;
}

// The batches of one AppendBatches call that go to the active segment with
// one write, and what undoes their tentative effects if that write fails.
struct Log::PendingWrite {
  absl::InlinedVector<ByteSpan, 16> pieces;
  absl::InlinedVector<Segment::BatchMeta, 16> batches;
  uint64_t bytes = 0;
  int64_t records = 0;
  int64_t end_offset = -1;                 // Log end once written.
  std::optional<int64_t> first_timestamp;  // maxTimestamp of the first batch.
  size_t end_index = 0;                    // Batches of the call done once this is written.
  // Producer state before this group's batches updated it (nullopt: the
  // producer was unknown), restored if the write fails and the log lives on.
  absl::InlinedVector<std::pair<int64_t, std::optional<ProducerEntry>>, 2> producer_undo;

  bool empty() const { return batches.empty(); }
};

absl::Status Log::AppendBatches(absl::Span<const MutableByteSpan> batches, AppendOrigin origin,
                                bool validate_records, AppendInfo* infos, size_t* appended) {
  *appended = 0;
  // Kafka validates a produce request's batches before appending any.
  absl::InlinedVector<format::RecordBatchView, 16> views;
  views.reserve(batches.size());
  for (MutableByteSpan batch : batches) {
    RILL_ASSIGN_OR_RETURN(format::RecordBatchView view, format::RecordBatchView::Parse(batch));
    RILL_RETURN_IF_ERROR(ValidateForAppend(view, origin, validate_records));
    views.push_back(view);
  }
  MutexLock lock(&mu_);
  RILL_RETURN_IF_ERROR(CheckWritable());
  absl::Status s = AppendLocked(batches, views, origin, infos, appended);
  // Even when a later batch failed, the ones appended get the durability
  // flush.messages promises before they are reported appended.
  if (*appended > 0 && unflushed_messages_ >= config_.flush_messages) {
    if (absl::Status flushed = FlushLocked(); !flushed.ok()) {
      *appended = 0;
      return flushed;
    }
  }
  if (*appended > 0) MaybeRequestZeroFill();
  return s;
}

void Log::WriteAhead() {
  MutexLock lock(&mu_);
  // The config may have changed since (AlterConfigs): zeros that a sync
  // would write out are never wanted. A writable log always has an active
  // segment.
  if (!zeros_ahead_wanted_ || !NeverSyncs() || !CheckWritable().ok()) return;
  writer_segments_.back()->WriteZerosAheadEarly();
}

void Log::MaybeRequestZeroFill() {
  if (zero_filler_ == nullptr || !syncs_often_) return;
  const std::shared_ptr<Segment>& active = writer_segments_.back();
  // Only while the syncs go on: no sync for a chunk's worth of appends
  // (flush.messages raised, Flush no longer called) and the zeros would be
  // written for nothing until the next sync says otherwise.
  const uint64_t since_sync = last_synced_base_ == active->base_offset()
                                  ? active->size() - last_synced_size_
                                  : active->size();
  if (since_sync > zero_filler_->chunk_bytes()) return;
  if (active->TakeZeroFillRequest(zero_filler_->ahead_bytes())) zero_filler_->Request(active);
}

absl::Status Log::AppendLocked(absl::Span<const MutableByteSpan> batches,
                               absl::Span<const format::RecordBatchView> views, AppendOrigin origin,
                               AppendInfo* infos, size_t* appended) {
  PendingWrite pending;
  auto write_pending = [&]() -> absl::Status {
    if (pending.empty()) return absl::OkStatus();
    absl::Status s = WritePending(&pending);
    if (s.ok()) *appended = pending.end_index;
    pending = PendingWrite();
    return s;
  };
  int64_t next_offset = log_end_offset_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < batches.size(); ++i) {
    MutableByteSpan batch = batches[i];
    const format::RecordBatchView& view = views[i];
    AppendInfo& info = infos[i];
    info = AppendInfo();
    info.first_offset = origin == AppendOrigin::kReplication ? view.base_offset() : next_offset;
    if (info.first_offset < next_offset) {
      RILL_RETURN_IF_ERROR(write_pending());
      return absl::InvalidArgumentError(absl::StrCat("replicated batch at offset ",
                                                     info.first_offset,
                                                     " is below the log end offset ", next_offset));
    }
    info.last_offset = info.first_offset + view.last_offset_delta();
    info.record_count = view.record_count();
    info.bytes = batch.size();
    info.max_timestamp = view.max_timestamp();
    if (config_.message_timestamp_type == format::TimestampType::kLogAppendTime &&
        origin != AppendOrigin::kReplication) {
      info.log_append_time_ms = clock_->NowMs();
      info.max_timestamp = info.log_append_time_ms;
      format::StampLogAppendTime(batch, info.log_append_time_ms);
    }
    bool idempotent =
        view.producer_id() >= 0 && origin == AppendOrigin::kClient && !view.is_control();
    if (idempotent) {
      // The state already holds the pending batches (updated tentatively
      // below), so a batch may follow its producer's previous one here.
      absl::StatusOr<ProducerStateManager::Verdict> verdict = producer_state_.Check(view);
      if (!verdict.ok()) {
        RILL_RETURN_IF_ERROR(write_pending());
        return verdict.status();
      }
      if (verdict->duplicate) {
        // Kafka answers a retried batch with its original offsets.
        info.duplicate = true;
        info.last_offset = verdict->original.last_offset;
        info.first_offset = verdict->original.last_offset - verdict->original.offset_delta;
        info.max_timestamp = verdict->original.timestamp;
        if (pending.empty()) {
          *appended = i + 1;
        } else {
          pending.end_index = i + 1;
        }
        continue;
      }
    }
    if (!pending.empty() && RollDue(pending, batch.size(), info.last_offset, info.max_timestamp)) {
      RILL_RETURN_IF_ERROR(write_pending());
    }
    if (pending.empty()) {
      RILL_RETURN_IF_ERROR(
          MaybeRoll(batch.size(), info.first_offset, info.last_offset, info.max_timestamp));
    }
    if (origin != AppendOrigin::kReplication) {
      format::PatchBaseOffset(batch, info.first_offset);
      format::PatchPartitionLeaderEpoch(batch, leader_epoch_);
    }
    int32_t epoch = view.partition_leader_epoch();
    if (epoch >= 0 && epochs_->latest_epoch().value_or(-1) < epoch) {
      if (absl::Status s = epochs_->Assign(epoch, info.first_offset); !s.ok()) return Fail(s);
    }
    if (view.producer_id() >= 0) {
      int64_t pid = view.producer_id();
      bool saved = false;
      for (const auto& undo : pending.producer_undo) saved = saved || undo.first == pid;
      if (!saved) pending.producer_undo.emplace_back(pid, producer_state_.Find(pid));
      producer_state_.Update(view, info.first_offset);
    }
    if (!pending.first_timestamp) pending.first_timestamp = info.max_timestamp;
    pending.pieces.push_back(batch);
    pending.batches.push_back(
        {batch.size(), info.last_offset, info.max_timestamp, info.last_offset});
    pending.bytes += batch.size();
    pending.records += info.record_count;
    pending.end_offset = info.last_offset + 1;
    pending.end_index = i + 1;
    next_offset = info.last_offset + 1;
  }
  return write_pending();
}

bool Log::AppendingFast(uint64_t bytes) {
  const int64_t now = clock_->NowMs();
  if (now - rate_window_start_ms_ >= 1000) {
    // The window before counts only if it was the last second.
    rate_previous_bytes_ = now - rate_window_start_ms_ < 2000 ? rate_window_bytes_ : 0;
    rate_window_start_ms_ = now;
    rate_window_bytes_ = 0;
  }
  rate_window_bytes_ += bytes;
  return std::max(rate_window_bytes_, rate_previous_bytes_) >= kZerosAheadMinRate;
}

absl::Status Log::WritePending(PendingWrite* pending) {
  // Zeros written ahead would be synced too, by a log that syncs: only
  // for one that never does (it syncs at a roll and a close, after the
  // zeros are cut).
  const bool zeros_ahead = zeros_ahead_ && NeverSyncs() && AppendingFast(pending->bytes);
  zeros_ahead_wanted_ = zeros_ahead;
  absl::Status s =
      writer_segments_.back()->AppendBatches(pending->pieces, pending->batches, zeros_ahead);
  if (!s.ok()) {
    // A full disk leaves nothing written and the log usable; anything else
    // (EIO) means the file can no longer be trusted.
    if (!absl::IsResourceExhausted(s)) return Fail(s);
    for (auto& [pid, entry] : pending->producer_undo)
      producer_state_.Restore(pid, std::move(entry));
    return s;
  }
  log_end_offset_.store(pending->end_offset, std::memory_order_release);
  unflushed_messages_ += pending->records;
  if (first_unflushed_ms_ < 0) first_unflushed_ms_ = clock_->NowMs();
  return absl::OkStatus();
}

bool Log::RollDue(const PendingWrite& pending, uint64_t batch_bytes, int64_t last_offset,
                  int64_t max_timestamp) const {
  // MaybeRoll's test, against the active segment as it will be once the
  // pending batches are written. The index test is conservative (each
  // pending batch may add an entry): when in doubt the pending batches are
  // written first and MaybeRoll decides exactly.
  const Segment& active = *writer_segments_.back();
  uint64_t size = active.size() + pending.bytes;
  std::optional<int64_t> first_ts = active.first_batch_timestamp();
  if (!first_ts) first_ts = pending.first_timestamp;
  int pending_count = static_cast<int>(pending.batches.size());
  const auto& offsets = active.offset_index();
  const auto& times = active.time_index();
  return size > static_cast<uint64_t>(config_.segment_bytes) -
                    std::min<uint64_t>(batch_bytes, config_.segment_bytes) ||
         batch_bytes > static_cast<uint64_t>(config_.segment_bytes) ||
         (first_ts && RollWaitedMs(active, *first_ts, max_timestamp) >
                          config_.segment_ms - active_jitter_ms_) ||
         offsets.entry_count() + pending_count + 1 >= offsets.max_entries() ||
         times.entry_count() + pending_count + 2 >= times.max_entries() ||
         last_offset - active.base_offset() > INT32_MAX ||
         !active.HasRoomFor(pending.bytes + batch_bytes);
}

int64_t Log::RollWaitedMs(const Segment& active, int64_t first_timestamp,
                          int64_t max_timestamp) const {
  // Kafka's LogSegment.shouldRoll: by the first batch's timestamp when it has
  // one, else by the segment's creation time.
  if (first_timestamp >= 0) return TimestampSpan(first_timestamp, max_timestamp);
  return TimestampSpan(active.created_ms(), clock_->NowMs());
}

absl::Status Log::MaybeRoll(uint64_t batch_bytes, int64_t first_offset, int64_t last_offset,
                            int64_t max_timestamp) {
  const Segment& active = *writer_segments_.back();
  uint64_t size = active.size();
  if (!active.HasRoomFor(batch_bytes) && size == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "record batch of ", batch_bytes, " bytes does not fit a segment of ", dir_));
  }
  if (size == 0) return absl::OkStatus();
  int64_t waited = RollWaitedMs(active, active.first_batch_timestamp().value_or(-1), max_timestamp);
  bool roll =
      size > static_cast<uint64_t>(config_.segment_bytes) - std::min<uint64_t>(batch_bytes, config_.segment_bytes) ||
      batch_bytes > static_cast<uint64_t>(config_.segment_bytes) ||
      waited > config_.segment_ms - active_jitter_ms_ || active.offset_index().full() ||
      active.time_index().full() || last_offset - active.base_offset() > INT32_MAX ||
      !active.HasRoomFor(batch_bytes);
  if (!roll) return absl::OkStatus();
  // Kafka: the new base is max(batch base offset, log end), so a replicated
  // batch whose offsets overflowed the old base fits the new segment.
  return Roll(std::max(first_offset, log_end_offset_.load(std::memory_order_relaxed)));
}

absl::Status Log::Roll(int64_t base_offset) {
  // The old segment's zeros (and preallocated tail) go before the new
  // segment exists: a second process reading the directory scans only the
  // last segment for its end and trusts the length of the others.
  if (absl::Status s = writer_segments_.back()->CutTail(); !s.ok()) return Fail(s);
  // Then the new segment: if the disk is full the old one is still the
  // active one, with all its batches, and the log stays usable.
  auto created = Segment::Create(fs_, dir_, base_offset, config_.segment_options(), clock_->NowMs());
  if (!created.ok()) return absl::IsResourceExhausted(created.status()) ? created.status()
                                                                        : Fail(created.status());
  std::shared_ptr<Segment> old = writer_segments_.back();
  if (absl::Status s = old->Seal(); !s.ok()) return Fail(s);
  // Kafka snapshots producer state at every roll, named by the new base.
  if (absl::Status s = WriteProducerSnapshot(base_offset); !s.ok()) return Fail(s);
  SegmentList list = writer_segments_;
  list.push_back(*created);
  Publish(std::move(list));
  unflushed_sealed_.push_back(std::move(old));
  dir_dirty_ = true;
  active_jitter_ms_ = NewJitter();
  return absl::OkStatus();
}

absl::Status Log::Flush() {
  MutexLock lock(&mu_);
  RILL_RETURN_IF_ERROR(CheckWritable());
  return FlushLocked();
}

absl::Status Log::FlushLocked() {
  int64_t target = log_end_offset_.load(std::memory_order_relaxed);
  for (const auto& segment : unflushed_sealed_) {
    if (absl::Status s = segment->Flush(); !s.ok()) return Fail(s);
  }
  Segment& active = *writer_segments_.back();
  if (absl::Status s = active.FlushLog(); !s.ok()) return Fail(s);
  // Two syncs of one segment less than half a chunk apart: zero fill ahead
  // saves more metadata syncs than the one per chunk it costs.
  const uint64_t synced_size = active.size();
  if (zero_filler_ != nullptr && last_synced_base_ == active.base_offset() &&
      synced_size >= last_synced_size_) {
    syncs_often_ = synced_size - last_synced_size_ < zero_filler_->chunk_bytes() / 2;
  }
  last_synced_base_ = active.base_offset();
  last_synced_size_ = synced_size;
  if (dir_dirty_) {
    if (absl::Status s = fs_->SyncDir(dir_); !s.ok()) return Fail(s);
    dir_dirty_ = false;
  }
  unflushed_sealed_.clear();
  unflushed_messages_ = 0;
  first_unflushed_ms_ = -1;
  recovery_point_.store(target, std::memory_order_release);
  return absl::OkStatus();
}

absl::StatusOr<ReadResult> Log::Read(int64_t offset, uint64_t max_bytes, int64_t max_offset) const {
  ReadResult result;
  result.log_end_offset = log_end_offset_.load(std::memory_order_acquire);
  result.log_start_offset = log_start_offset_.load(std::memory_order_acquire);
  int64_t limit = (max_offset < 0 || max_offset > result.log_end_offset) ? result.log_end_offset
                                                                          : max_offset;
  if (offset < result.log_start_offset || offset > result.log_end_offset) {
    return absl::OutOfRangeError(absl::StrCat("offset ", offset, " is outside the log ", dir_,
                                              " [", result.log_start_offset, ", ",
                                              result.log_end_offset, "]"));
  }
  if (offset >= limit) return result;
  std::shared_ptr<const SegmentList> snap = snapshot();
  auto it = std::upper_bound(snap->begin(), snap->end(), offset,
                             [](int64_t o, const auto& s) { return o < s->base_offset(); });
  if (it != snap->begin()) --it;
  for (; it != snap->end(); ++it) {
    const Segment& segment = **it;
    uint64_t segment_size = segment.size();
    std::optional<uint64_t> start = segment.FindBatchPosition(offset, segment_size);
    if (!start) continue;  // Past this segment's last batch: the next one has it.
    uint64_t end = *start;
    while (end < segment_size) {
      uint64_t left = segment_size - end;
      ByteSpan header = segment.Slice(end, end + std::min<uint64_t>(left, format::kBatchHeaderBytes));
      uint64_t bytes = header.size() < format::kBatchHeaderBytes
                           ? 0
                           : static_cast<uint64_t>(static_cast<int32_t>(LoadBigEndian32(
                                 header.data() + format::kLengthOffset))) +
                                 format::kLogOverheadBytes;
      if (bytes < format::kBatchHeaderBytes || bytes > left) {
        // Below size() every batch is whole, so this is a damaged length
        // field in a segment loading trusted. Return the batches before it;
        // a read that starts at it fails.
        if (end > *start) break;
        return absl::DataLossError(absl::StrCat(segment.log_path(), ": batch at byte ", end,
                                                " has a damaged length field"));
      }
      int64_t base = static_cast<int64_t>(LoadBigEndian64(header.data()));
      if (base >= limit) break;
      if (end > *start && end + bytes - *start > max_bytes) break;
      end += bytes;
    }
    if (end > *start) {
      result.segment = *it;
      result.batches = segment.Slice(*start, end);
    }
    return result;
  }
  return result;
}

absl::StatusOr<std::optional<Log::OffsetAndTimestamp>> Log::OffsetForTimestamp(
    int64_t timestamp) const {
  int64_t end = log_end_offset_.load(std::memory_order_acquire);
  int64_t start = log_start_offset_.load(std::memory_order_acquire);
  std::shared_ptr<const SegmentList> snap = snapshot();
  ByteBuffer scratch;
  for (const auto& segment : *snap) {
    if (segment->max_timestamp() < timestamp) continue;
    std::optional<uint64_t> position = segment->FindTimestampPosition(timestamp);
    if (!position) continue;
    uint64_t size = segment->size();
    format::BatchScanner scanner(segment->Slice(0, size), *position);
    format::BatchScanner::Slice slice;
    while (true) {
      RILL_ASSIGN_OR_RETURN(bool more, scanner.Next(&slice));
      if (!more) break;
      RILL_ASSIGN_OR_RETURN(auto batch, format::RecordBatchView::Parse(slice.bytes));
      if (batch.base_offset() >= end) break;
      if (batch.max_timestamp() < timestamp || batch.is_control()) continue;
      format::RecordReader reader;
      RILL_RETURN_IF_ERROR(reader.Open(batch, &scratch));
      format::RecordView record;
      while (true) {
        RILL_ASSIGN_OR_RETURN(bool has, reader.Next(&record));
        if (!has) break;
        if (record.timestamp >= timestamp && record.offset >= start && record.offset < end) {
          return OffsetAndTimestamp{record.offset, record.timestamp};
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace rill::storage

namespace rill::storage {

absl::Status Log::WriteProducerSnapshot(int64_t offset) {
  if (read_only_) return absl::OkStatus();
  RILL_RETURN_IF_ERROR(producer_state_.WriteSnapshot(fs_, dir_, offset));
  // Keep the two newest: the one just written and its predecessor.
  RILL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir_));
  std::vector<int64_t> offsets;
  for (const std::string& name : names) {
    auto parsed = ParseFileName(name);
    if (parsed && parsed->kind == kSnapshotSuffix && parsed->temporary.empty()) {
      offsets.push_back(parsed->offset);
    }
  }
  std::sort(offsets.begin(), offsets.end());
  if (offsets.size() > 2) {
    return DeleteProducerSnapshots(INT64_MIN, offsets[offsets.size() - 2]);
  }
  return absl::OkStatus();
}

absl::Status Log::DeleteProducerSnapshots(int64_t from, int64_t to) {
  RILL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir_));
  for (const std::string& name : names) {
    auto parsed = ParseFileName(name);
    if (parsed && parsed->kind == kSnapshotSuffix && parsed->offset >= from &&
        parsed->offset < to) {
      absl::Status s = fs_->RemoveFile(JoinPath(dir_, name));
      if (!s.ok() && !absl::IsNotFound(s)) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Log::LoadProducerState() {
  producer_state_.Clear();
  int64_t end = log_end_offset_.load();
  RILL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir_));
  int64_t best = -1;
  for (const std::string& name : names) {
    auto parsed = ParseFileName(name);
    if (parsed && parsed->kind == kSnapshotSuffix && parsed->temporary.empty() &&
        parsed->offset <= end && parsed->offset > best) {
      best = parsed->offset;
    }
  }
  int64_t scan_from = log_start_offset_.load();
  if (best >= 0) {
    absl::Status s = producer_state_.ReadSnapshot(fs_, JoinPath(dir_, SegmentFileName(best, kSnapshotSuffix)));
    // A damaged snapshot costs a longer scan, not the log.
    if (s.ok()) scan_from = best;
    else producer_state_.Clear();
  } else if (clean_shutdown_) {
    // A clean close always writes a snapshot at the end; none means no
    // idempotent producer ever wrote here.
    return absl::OkStatus();
  }
  // Rebuild the rest from the batch headers after the snapshot.
  for (const auto& segment : writer_segments_) {
    uint64_t size = segment->size();
    if (size == 0 || segment->ReadNextOffset() <= scan_from) continue;
    format::BatchScanner scanner(segment->Slice(0, size));
    format::BatchScanner::Slice slice;
    while (true) {
      absl::StatusOr<bool> more = scanner.Next(&slice);
      if (!more.ok() || !*more) break;
      auto batch = format::RecordBatchView::Parse(slice.bytes);
      if (!batch.ok()) break;
      if (batch->last_offset() < scan_from || batch->producer_id() < 0) continue;
      producer_state_.Update(*batch, batch->base_offset());
    }
  }
  return absl::OkStatus();
}

}  // namespace rill::storage
