#include "lib/storage/segment.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_batch_format.h"
#include "lib/format/record_batch_view.h"
#include "lib/storage/log_file_names.h"

namespace rill::storage {
namespace {

constexpr uint64_t kMinGrowthBytes = 1 << 20;
constexpr uint64_t kMaxGrowthBytes = 64 << 20;
// How far ahead of the writer the write mapping is faulted in: a page fault
// costs ~12 µs on this project's VMs, MADV_POPULATE_WRITE of 1 MiB far less
// per page.
constexpr uint64_t kPopulateStepBytes = 1 << 20;
// Zeros ahead in the page cache (segment.h): written 256 KiB at a time on
// 256 KiB boundaries, whenever fewer than 128 KiB lie ahead of the writer.
// Larger pieces make larger folios, which readers map faster still (1 MiB:
// 4.5 ms instead of 9 for 464 MB), but ext4 walks every block of a folio
// on each small write into it: with 1 MiB pieces rill's appends took 10 %
// more CPU than with none, with 256 KiB pieces a little less.
constexpr uint64_t kZerosAheadBytes = 256 << 10;

// Writes zeros over [begin, end) of `file`: one static buffer of zeros,
// written many times by one pwritev.
absl::Status WriteZeros(File& file, uint64_t begin, uint64_t end) {
  static constexpr size_t kZeroBufferBytes = 64 << 10;
  alignas(4096) static const uint8_t kZeros[kZeroBufferBytes] = {};
  absl::InlinedVector<ByteSpan, 64> pieces;
  for (uint64_t at = begin; at < end; at += kZeroBufferBytes) {
    pieces.push_back(ByteSpan(kZeros, std::min<uint64_t>(kZeroBufferBytes, end - at)));
  }
  return file.WriteAtV(begin, pieces);
}

uint64_t RoundUpToPage(uint64_t n) {
  uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

int64_t BatchLastOffset(const uint8_t* p) {
  return static_cast<int64_t>(LoadBigEndian64(p + format::kBaseOffsetOffset)) +
         static_cast<int32_t>(LoadBigEndian32(p + format::kLastOffsetDeltaOffset));
}
uint64_t BatchBytes(const uint8_t* p) {
  return static_cast<uint64_t>(static_cast<int32_t>(LoadBigEndian32(p + format::kLengthOffset))) +
         format::kLogOverheadBytes;
}
int64_t BatchMaxTimestamp(const uint8_t* p) {
  return static_cast<int64_t>(LoadBigEndian64(p + format::kMaxTimestampOffset));
}
// Whether a batch of `bytes` (from BatchBytes) at `position` is framed
// within `limit`: false for a damaged length field (below the header size,
// negative, or running past the end), without overflowing on either.
bool FitsBefore(uint64_t position, uint64_t bytes, uint64_t limit) {
  return bytes >= format::kBatchHeaderBytes && position <= limit && bytes <= limit - position;
}

}  // namespace

Segment::Segment(FileSystem* fs, std::string dir, int64_t base_offset,
                 const SegmentOptions& options)
    : fs_(fs), dir_(std::move(dir)), base_offset_(base_offset), options_(options) {}

Segment::~Segment() = default;

absl::StatusOr<std::shared_ptr<Segment>> Segment::Create(FileSystem* fs, const std::string& dir,
                                                         int64_t base_offset,
                                                         const SegmentOptions& options,
                                                         int64_t now_ms) {
  return CreateWithSuffix(fs, dir, base_offset, options, now_ms, "");
}

absl::StatusOr<std::shared_ptr<Segment>> Segment::CreateWithSuffix(
    FileSystem* fs, const std::string& dir, int64_t base_offset, const SegmentOptions& options,
    int64_t now_ms, absl::string_view suffix) {
  std::shared_ptr<Segment> segment(new Segment(fs, dir, base_offset, options));
  segment->created_ms_ = now_ms;
  segment->suffix_ = std::string(suffix);
  absl::Status s = segment->OpenFiles(/*create=*/true, /*active=*/true, false);
  if (s.ok()) return segment;
  // Once the .log was created the files are ours: remove them all, or the
  // next attempt at this base offset (after a full disk) would find them.
  bool created = segment->log_file_ != nullptr;
  segment.reset();
  for (absl::string_view kind : {kLogSuffix, kIndexSuffix, kTimeIndexSuffix}) {
    if (created) {
      fs->RemoveFile(absl::StrCat(JoinPath(dir, SegmentFileName(base_offset, kind)), suffix))
          .IgnoreError();
    }
  }
  return s;
}

absl::StatusOr<std::shared_ptr<Segment>> Segment::Open(FileSystem* fs, const std::string& dir,
                                                       int64_t base_offset,
                                                       const SegmentOptions& options, bool active,
                                                       bool read_only_process) {
  std::shared_ptr<Segment> segment(new Segment(fs, dir, base_offset, options));
  RILL_RETURN_IF_ERROR(segment->OpenFiles(/*create=*/false, active, read_only_process));
  segment->LoadTimestampsFromIndex();
  return segment;
}

absl::Status Segment::OpenFiles(bool create, bool active, bool read_only_process) {
  log_path_ = absl::StrCat(JoinPath(dir_, SegmentFileName(base_offset_, kLogSuffix)), suffix_);
  using Mode = FileSystem::OpenMode;
  Mode mode = create ? Mode::kCreateExclusive
                     : (read_only_process ? Mode::kReadOnly : Mode::kReadWrite);
  RILL_ASSIGN_OR_RETURN(log_file_, fs_->Open(log_path_, mode));
  RILL_ASSIGN_OR_RETURN(uint64_t file_size, log_file_->Size());
  active_ = active && !read_only_process;
  allocated_ = file_size;
  size_.store(file_size, std::memory_order_release);
  ResetZeroFill(file_size);
  map_bytes_ = active_ ? RoundUpToPage(std::max(options_.segment_bytes, file_size) +
                                       options_.max_batch_bytes)
                       : file_size;
  RILL_ASSIGN_OR_RETURN(read_map_, log_file_->Map(map_bytes_, /*writable=*/false));
  if (active_ && options_.write_mode == SegmentWriteMode::kMmap) {
    RILL_ASSIGN_OR_RETURN(write_map_, log_file_->Map(map_bytes_, /*writable=*/true));
    populated_ = file_size / 4096 * 4096;
  }
  RILL_RETURN_IF_ERROR(OpenIndexes(create, read_only_process));
  if (create && options_.preallocate) {
    RILL_RETURN_IF_ERROR(EnsureAllocated(options_.segment_bytes));
  }
  return absl::OkStatus();
}

absl::Status Segment::OpenIndexes(bool create, bool read_only_process) {
  std::string index_path =
      absl::StrCat(JoinPath(dir_, SegmentFileName(base_offset_, kIndexSuffix)), suffix_);
  std::string time_path =
      absl::StrCat(JoinPath(dir_, SegmentFileName(base_offset_, kTimeIndexSuffix)), suffix_);
  uint64_t index_bytes = active_ ? options_.max_index_bytes : 0;
  if (!create) {
    RILL_ASSIGN_OR_RETURN(bool has_index, fs_->Exists(index_path));
    RILL_ASSIGN_OR_RETURN(bool has_time_index, fs_->Exists(time_path));
    // Kafka recovers a segment whose .index is missing but recreates a
    // missing .timeindex empty; rill rebuilds that too, since an empty time
    // index loses the segment's largest timestamp (retention.ms) and makes
    // timestamp lookups scan the whole segment.
    if (!has_index || !has_time_index) needs_recovery_ = true;
    (void)has_time_index;  // A read-only process reads a missing index as empty.
  }
  auto open_both = [&]() -> absl::Status {
    RILL_ASSIGN_OR_RETURN(offset_index_, OffsetIndex::Open(fs_, index_path, base_offset_,
                                                           index_bytes, !read_only_process));
    RILL_ASSIGN_OR_RETURN(time_index_, TimeIndex::Open(fs_, time_path, base_offset_, index_bytes,
                                                       !read_only_process));
    if (read_only_process) {
      // The owner's active index is preallocated: only its increasing prefix
      // is real.
      offset_index_->KeepIncreasingPrefix();
      time_index_->KeepIncreasingPrefix();
    }
    RILL_RETURN_IF_ERROR(offset_index_->SanityCheck());
    return time_index_->SanityCheck();
  };
  absl::Status s = open_both();
  // An empty .timeindex beside batches is what a kill in the middle of a
  // rebuild leaves (Recover() empties it before refilling it): rebuild it,
  // or the segment's largest timestamp (retention.ms) is lost.
  if (s.ok() && !create && size() > 0 && time_index_->entry_count() == 0) needs_recovery_ = true;
  if (s.ok() || !absl::IsDataLoss(s) || read_only_process) return s;
  // A corrupt index is rebuilt by recovery, as Kafka does.
  needs_recovery_ = true;
  offset_index_.reset();
  time_index_.reset();
  for (const std::string& p : {index_path, time_path}) {
    RILL_ASSIGN_OR_RETURN(auto f, fs_->Open(p, FileSystem::OpenMode::kCreate));
    RILL_RETURN_IF_ERROR(f->Truncate(0));
  }
  return open_both();
}

void Segment::LoadTimestampsFromIndex() {
  TimeIndex::Entry last = time_index_->last_entry();
  max_timestamp_.store(last.timestamp, std::memory_order_release);
  offset_of_max_timestamp_ = last.offset;
  if (size() >= format::kBatchHeaderBytes) {
    first_batch_timestamp_ = BatchMaxTimestamp(read_map_->data());
  }
}

absl::Status Segment::EnsureAllocated(uint64_t end) {
  if (end <= allocated_) return absl::OkStatus();
  // pwrite reports a full disk itself (ext4's delayed allocation reserves
  // blocks in write()), so without `preallocate` the file just grows, as
  // Kafka's does. Reserving chunks ahead only pays for memcpy into a
  // mapping, where a write past the disk's room would be a SIGBUS; here it
  // cost ~10% of an fdatasync-per-commit workload, converting the
  // reserved-but-unwritten extents at every sync.
  if (options_.write_mode == SegmentWriteMode::kPwrite && !options_.preallocate) {
    if (end > map_bytes_) {
      return absl::FailedPreconditionError(absl::StrCat(
          log_path_, ": append to byte ", end, " would pass the segment's mapping of ",
          map_bytes_, " bytes"));
    }
    allocated_ = std::max(allocated_, end);  // The file may go on with zeros.
    return absl::OkStatus();
  }
  if (end > map_bytes_) {
    return absl::FailedPreconditionError(absl::StrCat(
        log_path_, ": append to byte ", end, " would pass the segment's mapping of ", map_bytes_,
        " bytes"));
  }
  uint64_t growth = options_.preallocate
                        ? options_.segment_bytes
                        : std::clamp(allocated_, kMinGrowthBytes, kMaxGrowthBytes);
  uint64_t target = std::min(std::max(allocated_ + growth, end), map_bytes_);
  absl::Status s = log_file_->Allocate(allocated_, target - allocated_);
  if (!s.ok()) {
    // Preallocation failed, perhaps for want of a whole chunk: try for just
    // what this append needs before reporting the disk full.
    if (target > end && log_file_->Allocate(allocated_, end - allocated_).ok()) {
      allocated_ = end;
      return absl::OkStatus();
    }
    return s;
  }
  allocated_ = target;
  return absl::OkStatus();
}

absl::Status Segment::Append(ByteSpan batches, int64_t last_offset, int64_t max_timestamp,
                             int64_t offset_of_max_timestamp) {
  BatchMeta meta{batches.size(), last_offset, max_timestamp, offset_of_max_timestamp};
  return AppendBatches(absl::MakeConstSpan(&batches, 1), absl::MakeConstSpan(&meta, 1));
}

absl::Status Segment::AppendBatches(absl::Span<const ByteSpan> pieces,
                                    absl::Span<const BatchMeta> batches, bool zeros_ahead) {
  if (!active_) {
    return absl::FailedPreconditionError(absl::StrCat(log_path_, " is not the active segment"));
  }
  uint64_t position = size_.load(std::memory_order_relaxed);
  uint64_t bytes = 0;
  for (ByteSpan piece : pieces) bytes += piece.size();
  uint64_t end = position + bytes;
  RILL_RETURN_IF_ERROR(EnsureAllocated(end));
  if (zero_fill_armed_ && end > zero_filled_.load(std::memory_order_acquire)) {
    ClaimUnfilled(position, end);
  } else if (zeros_ahead && end + kZerosAheadBytes / 2 > allocated_) {
    WriteZerosAhead(end);
  }
  if (write_map_ != nullptr) {
    if (end + kPopulateStepBytes / 2 > populated_ && populated_ < allocated_) {
      uint64_t step = std::min(std::max(kPopulateStepBytes, end - populated_),
                               allocated_ - populated_);
      write_map_->Populate(populated_, step, /*for_write=*/true).IgnoreError();  // A hint.
      populated_ += step;
    }
    uint64_t at = position;
    for (ByteSpan piece : pieces) {
      std::memcpy(write_map_->data() + at, piece.data(), piece.size());
      at += piece.size();
    }
  } else if (absl::Status s = log_file_->WriteAtV(position, pieces); !s.ok()) {
    // A prefix may be on the file, perhaps whole batches the caller will
    // report as failed: a crash before the next append overwrote them would
    // let recovery bring them back. Cut them off (the file ends at
    // `position` otherwise, in this mode).
    if (!options_.preallocate) {
      StopZeroFill();  // Its zeros past `position` go with the cut.
      if (absl::Status t = log_file_->Truncate(position); !t.ok()) {
        // The file may now hold part of a write that failed: DataLoss (never
        // ResourceExhausted, whatever `s` was), so the log fails.
        return absl::DataLossError(
            absl::StrCat(s.message(), "; then cutting it back failed: ", t.message()));
      }
    }
    return s;
  }
  for (const BatchMeta& b : batches) {
    IndexBatch(position, b.bytes, b.last_offset, b.max_timestamp, b.offset_of_max_timestamp);
    position += b.bytes;
  }
  size_.store(end, std::memory_order_release);
  return absl::OkStatus();
}

void Segment::IndexBatch(uint64_t position, uint64_t bytes, int64_t last_offset,
                         int64_t max_timestamp, int64_t offset_of_max_timestamp) {
  if (!first_batch_timestamp_) first_batch_timestamp_ = max_timestamp;
  if (max_timestamp > max_timestamp_.load(std::memory_order_relaxed)) {
    max_timestamp_.store(max_timestamp, std::memory_order_release);
    offset_of_max_timestamp_ = offset_of_max_timestamp;
  }
  // Kafka's rule: an entry once more than index.interval.bytes were appended
  // since the last one, pointing at the batch that crossed it. The log rolls
  // before an index fills; a full index (a tiny segment.index.bytes, or in
  // Recover()) just takes no more entries and lookups scan further.
  if (bytes_since_index_entry_ > options_.index_interval_bytes && !offset_index_->full() &&
      !time_index_->full()) {
    offset_index_->Append(last_offset, static_cast<uint32_t>(position)).IgnoreError();
    time_index_->MaybeAppend(max_timestamp_.load(std::memory_order_relaxed),
                             offset_of_max_timestamp_)
        .IgnoreError();
    bytes_since_index_entry_ = 0;
  }
  bytes_since_index_entry_ += bytes;
}

absl::Status Segment::Flush() {
  RILL_RETURN_IF_ERROR(log_file_->Sync());
  RILL_RETURN_IF_ERROR(offset_index_->Sync());
  return time_index_->Sync();
}

absl::Status Segment::Seal() {
  if (!active_) return absl::OkStatus();
  if (max_timestamp_.load() >= 0) {
    RILL_RETURN_IF_ERROR(time_index_->MaybeAppend(max_timestamp_.load(),
                                                  offset_of_max_timestamp_, /*roll=*/true));
  }
  RILL_RETURN_IF_ERROR(offset_index_->TrimToValidSize());
  RILL_RETURN_IF_ERROR(time_index_->TrimToValidSize());
  RILL_RETURN_IF_ERROR(CutTail());
  write_map_.reset();
  active_ = false;
  return absl::OkStatus();
}

absl::Status Segment::CutTail() {
  StopZeroFill();
  uint64_t size = this->size();
  if (allocated_ > size) {
    RILL_RETURN_IF_ERROR(log_file_->Truncate(size));
    allocated_ = size;
  }
  return absl::OkStatus();
}

absl::Status Segment::TrimIndexes() {
  RILL_RETURN_IF_ERROR(offset_index_->TrimToValidSize());
  return time_index_->TrimToValidSize();
}

std::optional<uint64_t> Segment::FindBatchPosition(int64_t offset, uint64_t limit) const {
  uint64_t position = offset_index_->Lookup(offset).position;
  if (position > limit) position = 0;  // An index ahead of the data: scan it all.
  const uint8_t* base = read_map_ ? read_map_->data() : nullptr;
  while (position + format::kBatchHeaderBytes <= limit) {
    const uint8_t* p = base + position;
    uint64_t bytes = BatchBytes(p);
    // A damaged batch in a segment loading trusted: stop at it, so the
    // caller sees the damage instead of skipping to the next segment.
    if (!FitsBefore(position, bytes, limit)) return position;
    if (BatchLastOffset(p) >= offset) return position;
    position += bytes;
  }
  return std::nullopt;
}

std::optional<uint64_t> Segment::FindTimestampPosition(int64_t timestamp) const {
  TimeIndex::Entry t = time_index_->Lookup(timestamp);
  uint64_t limit = size();
  std::optional<uint64_t> start = FindBatchPosition(t.offset, limit);
  if (!start) return std::nullopt;
  const uint8_t* base = read_map_->data();
  for (uint64_t position = *start; position + format::kBatchHeaderBytes <= limit;) {
    const uint8_t* p = base + position;
    uint64_t bytes = BatchBytes(p);
    if (!FitsBefore(position, bytes, limit)) return std::nullopt;
    if (BatchMaxTimestamp(p) >= timestamp) return position;
    position += bytes;
  }
  return std::nullopt;
}

int64_t Segment::ReadNextOffset() const {
  uint64_t limit = size();
  if (limit < format::kBatchHeaderBytes) return -1;
  uint64_t position = offset_index_->Lookup(INT64_MAX).position;
  if (position > limit) position = 0;
  int64_t next = -1;
  const uint8_t* base = read_map_->data();
  while (position + format::kBatchHeaderBytes <= limit) {
    uint64_t bytes = BatchBytes(base + position);
    if (!FitsBefore(position, bytes, limit)) break;
    next = BatchLastOffset(base + position) + 1;
    position += bytes;
  }
  return next;
}

absl::StatusOr<SegmentRecovery> Segment::Recover() {
  // Indexes are rebuilt from scratch with room for a full segment's entries.
  std::string index_path = offset_index_->path(), time_path = time_index_->path();
  offset_index_.reset();
  time_index_.reset();
  for (const std::string& p : {index_path, time_path}) {
    RILL_ASSIGN_OR_RETURN(auto f, fs_->Open(p, FileSystem::OpenMode::kCreate));
    RILL_RETURN_IF_ERROR(f->Truncate(0));
  }
  RILL_ASSIGN_OR_RETURN(offset_index_, OffsetIndex::Open(fs_, index_path, base_offset_,
                                                         options_.max_index_bytes, true));
  RILL_ASSIGN_OR_RETURN(time_index_, TimeIndex::Open(fs_, time_path, base_offset_,
                                                     options_.max_index_bytes, true));
  RILL_ASSIGN_OR_RETURN(uint64_t file_size, log_file_->Size());
  if (read_map_ == nullptr || read_map_->size() < file_size) {
    RILL_ASSIGN_OR_RETURN(read_map_, log_file_->Map(file_size, false));
    if (!active_) map_bytes_ = file_size;
  }
  max_timestamp_.store(-1);
  offset_of_max_timestamp_ = -1;
  first_batch_timestamp_.reset();
  bytes_since_index_entry_ = 0;

  SegmentRecovery result;
  ByteSpan data = file_size == 0 ? ByteSpan() : ByteSpan(read_map_->data(), file_size);
  format::BatchScanner scanner(data);
  format::BatchScanner::Slice slice;
  int64_t expected = base_offset_;
  while (true) {
    absl::StatusOr<bool> more = scanner.Next(&slice);
    if (!more.ok()) {
      result.corruption = std::string(more.status().message());
      break;
    }
    if (!*more) {
      result.zero_tail = scanner.tail() == format::BatchScanner::Tail::kZeroFilled;
      if (scanner.tail() == format::BatchScanner::Tail::kPartial) {
        result.corruption = absl::StrCat("batch at byte ", scanner.position(), " is incomplete");
      }
      break;
    }
    absl::StatusOr<format::RecordBatchView> batch = format::RecordBatchView::Parse(slice.bytes);
    absl::Status s = batch.ok() ? batch->VerifyCrc() : batch.status();
    if (s.ok() && (batch->base_offset() < expected ||
                   batch->last_offset() - base_offset_ > INT32_MAX)) {
      s = absl::DataLossError(absl::StrCat("batch at offset ", batch->base_offset(),
                                           " is out of order (expected >= ", expected, ")"));
    }
    // A full index is no reason to drop valid batches: the rebuild can need
    // more entries than appends made (they restart the index.interval.bytes
    // count when a segment is reopened), so IndexBatch then just stops
    // adding entries and lookups scan further.
    if (!s.ok()) {
      result.corruption = absl::StrCat("byte ", slice.position, ": ", s.message());
      break;
    }
    IndexBatch(slice.position, slice.bytes.size(), batch->last_offset(), batch->max_timestamp(),
               batch->last_offset());
    expected = batch->next_offset();
    result.next_offset = expected;
    result.valid_bytes = slice.position + slice.bytes.size();
    ++result.batches;
  }
  // As Kafka's LogSegment.recover: end the time index with the largest
  // timestamp, the entry Seal() writes, so a rebuilt index equals the one
  // a clean close leaves.
  if (max_timestamp_.load() >= 0) {
    RILL_RETURN_IF_ERROR(time_index_->MaybeAppend(max_timestamp_.load(), offset_of_max_timestamp_,
                                                  /*roll=*/true));
  }
  result.truncated_bytes = file_size - result.valid_bytes;
  if (result.truncated_bytes > 0) {
    RILL_RETURN_IF_ERROR(log_file_->Truncate(result.valid_bytes));
  }
  allocated_ = result.valid_bytes;
  populated_ = result.valid_bytes / 4096 * 4096;
  size_.store(result.valid_bytes, std::memory_order_release);
  ResetZeroFill(result.valid_bytes);
  return result;
}

uint64_t Segment::ScanValidPrefix() {
  // The owner may trim this file's preallocated zero tail (when it rolls)
  // while we scan, and touching a mapped page past the new end of file
  // raises SIGBUS. So each batch's frame is first read with pread: only a
  // batch whose length and magic were really written (it lies below the
  // owner's end, which it never trims) is then read through the mapping to
  // check its CRC; a zero, torn or vanished frame ends the scan.
  const uint64_t file_size = size();
  uint64_t valid = 0;
  int64_t expected = base_offset_;
  while (valid + format::kBatchHeaderBytes <= file_size) {
    uint8_t frame[format::kBatchHeaderBytes];
    if (!log_file_->ReadAt(valid, MutableByteSpan(frame, sizeof(frame))).ok()) break;
    uint64_t bytes = BatchBytes(frame);
    if (!FitsBefore(valid, bytes, file_size) || frame[format::kMagicOffset] != format::kMagicV2) break;
    absl::StatusOr<format::RecordBatchView> batch =
        format::RecordBatchView::Parse(ByteSpan(read_map_->data() + valid, bytes));
    if (!batch.ok() || !batch->VerifyCrc().ok() || batch->base_offset() < expected) break;
    expected = batch->next_offset();
    valid += bytes;
  }
  size_.store(valid, std::memory_order_release);
  return valid;
}

absl::StatusOr<uint64_t> Segment::TruncateTo(int64_t offset) {
  uint64_t old_size = size();
  std::optional<uint64_t> position = FindBatchPosition(offset, old_size);
  if (!position) return 0;
  StopZeroFill();
  offset_index_->TruncateTo(offset);
  time_index_->TruncateTo(offset);
  // A sealed segment's index files hold exactly their entries (a reopen
  // trusts every entry up to the file's length): drop the cut ones there too.
  if (!active_) RILL_RETURN_IF_ERROR(TrimIndexes());
  size_.store(*position, std::memory_order_release);
  // Cut the file too: stale batches past the new end would come back in a
  // recovery after a crash.
  RILL_RETURN_IF_ERROR(log_file_->Truncate(*position));
  allocated_ = *position;
  populated_ = std::min(populated_, *position / 4096 * 4096);
  // The largest timestamp left: the time index only knows it up to its
  // last entry, so read the batch headers (Kafka's readLargestTimestamp).
  int64_t max_ts = -1, offset_of_max = -1;
  const uint8_t* base = read_map_ ? read_map_->data() : nullptr;
  for (uint64_t at = 0; at + format::kBatchHeaderBytes <= *position;) {
    const uint8_t* p = base + at;
    if (BatchMaxTimestamp(p) > max_ts) {
      max_ts = BatchMaxTimestamp(p);
      offset_of_max = BatchLastOffset(p);
    }
    at += BatchBytes(p);
  }
  max_timestamp_.store(max_ts, std::memory_order_release);
  offset_of_max_timestamp_ = offset_of_max;
  bytes_since_index_entry_ = 0;
  if (*position == 0) first_batch_timestamp_.reset();
  return old_size - *position;
}

void Segment::ResetZeroFill(uint64_t file_size) {
  std::lock_guard<std::mutex> lock(zero_mu_);
  zero_filled_.store(file_size, std::memory_order_release);
  writer_end_ = file_size;
  zero_file_end_ = file_size;
}

void Segment::ClaimUnfilled(uint64_t begin, uint64_t end) {
  std::unique_lock<std::mutex> lock(zero_mu_);
  zero_cv_.wait(lock, [&] {
    return zeroing_end_ <= zeroing_begin_ || end <= zeroing_begin_ || begin >= zeroing_end_;
  });
  writer_end_ = std::max(writer_end_, end);
}

bool Segment::TakeZeroFillRequest(uint64_t ahead) {
  if (!active_ || write_map_ != nullptr) return false;
  const uint64_t filled = zero_filled_.load(std::memory_order_acquire);
  // Enough ahead, or zero-filled to segment.bytes: the log rolls before that.
  if (filled >= size() + ahead || filled >= RoundUpToPage(options_.segment_bytes)) return false;
  if (zero_fill_pending_.load(std::memory_order_relaxed)) return false;
  {
    std::lock_guard<std::mutex> lock(zero_mu_);
    if (zero_fill_stopped_) return false;
    if (zero_file_ == nullptr) {
      absl::StatusOr<std::unique_ptr<File>> f =
          fs_->Open(log_path_, FileSystem::OpenMode::kReadWrite);
      if (!f.ok()) {
        zero_fill_stopped_ = true;  // Only an optimisation: appends go on without it.
        return false;
      }
      zero_file_ = *std::move(f);
    }
    // Until armed, writes past zero_filled_ were not recorded in
    // writer_end_: the writer (our caller, between writes) ends at size().
    writer_end_ = std::max(writer_end_, size());
  }
  zero_fill_armed_ = true;
  return !zero_fill_pending_.exchange(true, std::memory_order_acq_rel);
}

void Segment::WriteZerosAheadEarly() {
  const uint64_t end = size_.load(std::memory_order_relaxed);
  if (!active_ || zero_fill_armed_ || end + kZerosAheadBytes <= allocated_) return;
  WriteZerosAhead(end);
}

void Segment::WriteZerosAhead(uint64_t end) {
  if (write_map_ != nullptr || options_.preallocate || zeros_ahead_failed_) return;
  // Page aligned past the write, so no block holds both; through the
  // boundary a piece past it, so later zeros start on a boundary.
  const uint64_t begin = std::max(allocated_, RoundUpToPage(end));
  const uint64_t stop =
      std::min((end + 2 * kZerosAheadBytes - 1) / kZerosAheadBytes * kZerosAheadBytes,
               std::min(map_bytes_, RoundUpToPage(options_.segment_bytes)));
  if (begin >= stop) return;
  // Even a failed write may have lengthened the file: CutTail cuts up to
  // allocated_. A failure (a full disk, most likely) ends zeros ahead here;
  // the append that follows reports it if it matters.
  if (!WriteZeros(*log_file_, begin, stop).ok()) zeros_ahead_failed_ = true;
  allocated_ = stop;
}

absl::Status Segment::ZeroFillChunk(uint64_t chunk) {
  uint64_t begin, end;
  {
    std::lock_guard<std::mutex> lock(zero_mu_);
    if (zero_fill_stopped_ || zero_file_ == nullptr) return absl::OkStatus();
    // Page aligned past every write, so the zeros never share a block with
    // data; starting a quarter chunk past the writer (when the filler is
    // not yet ahead, as after a roll), so its next appends do not wait for
    // this chunk's write and sync.
    begin = std::max(zero_filled_.load(std::memory_order_relaxed),
                     RoundUpToPage(writer_end_ + chunk / 4));
    end = std::min(begin + chunk, RoundUpToPage(options_.segment_bytes));
    if (begin >= end) return absl::OkStatus();
    zeroing_begin_ = begin;
    zeroing_end_ = end;
  }
  absl::Status s = WriteZeros(*zero_file_, begin, end);
  // The sync is the point: it makes the blocks' allocation durable now (a
  // journal commit, or the inode's write), so the writer's later fdatasync
  // of data written over them has no metadata to write.
  if (s.ok()) s = zero_file_->Sync();
  {
    std::lock_guard<std::mutex> lock(zero_mu_);
    zeroing_begin_ = zeroing_end_ = 0;
    zero_file_end_ = std::max(zero_file_end_, end);  // Even a failed write may have grown it.
    if (s.ok()) {
      zero_filled_.store(end, std::memory_order_release);
    } else {
      zero_fill_stopped_ = true;
    }
  }
  zero_cv_.notify_all();
  return s;
}

void Segment::StopZeroFill() {
  std::unique_lock<std::mutex> lock(zero_mu_);
  zero_fill_stopped_ = true;
  zero_cv_.wait(lock, [&] { return zeroing_end_ <= zeroing_begin_; });
  zero_file_.reset();  // A sealed segment may live for days: no spare descriptor.
  // The zeros lengthen the file: Seal and TruncateTo cut what lies past size().
  allocated_ = std::max(allocated_, zero_file_end_);
}

absl::Status Segment::RenameFilesWithSuffix(absl::string_view suffix) {
  std::string new_log = absl::StrCat(JoinPath(dir_, SegmentFileName(base_offset_, kLogSuffix)),
                                     suffix);
  RILL_RETURN_IF_ERROR(fs_->Rename(log_path_, new_log));
  log_path_ = new_log;
  RILL_RETURN_IF_ERROR(offset_index_->RenameTo(
      fs_, absl::StrCat(JoinPath(dir_, SegmentFileName(base_offset_, kIndexSuffix)), suffix)));
  RILL_RETURN_IF_ERROR(time_index_->RenameTo(
      fs_, absl::StrCat(JoinPath(dir_, SegmentFileName(base_offset_, kTimeIndexSuffix)), suffix)));
  suffix_ = std::string(suffix);
  return absl::OkStatus();
}

absl::Status Segment::DeleteFiles() {
  for (const std::string& path : {log_path_, offset_index_->path(), time_index_->path()}) {
    absl::Status s = fs_->RemoveFile(path);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

}  // namespace rill::storage
