#include "tools/rill/partition_verifier.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lib/storage/log_file_names.h"
#include "tools/rill/checkpoints.h"
#include "tools/rill/live_segment.h"
#include "tools/rill/mapped_file.h"
#include "tools/rill/segment_indexes.h"
#include "tools/rill/segment_scan.h"

namespace rill::tool {
namespace {

namespace fs = std::filesystem;
using format::BatchScanner;

// How many times to reread a live segment whose owner outran the read.
constexpr int kRereads = 5;

// Which files of one base offset the directory holds.
struct SegmentFiles {
  bool log = false;
  std::vector<std::string> indexes;  // Names of .index, .timeindex, .txnindex files.
};

// Checks one partition directory; used once. Not thread safe.
class PartitionVerifier {
 public:
  PartitionVerifier(const PartitionDir& dir, const DirCheckpoints& checkpoints)
      : dir_(dir), checkpoints_(checkpoints) {
    report_.topic = dir.topic;
    report_.partition = dir.partition;
  }

  PartitionReport Run();

 private:
  std::string PathOf(const std::string& name) const {
    return (fs::path(dir_.path) / name).string();
  }
  std::string DataDirPathOf(const std::string& name) const {
    return (fs::path(dir_.path).parent_path() / name).string();
  }
  void Problem(std::string what) { report_.problems.push_back(std::move(what)); }
  void Warning(std::string what) { report_.warnings.push_back(std::move(what)); }

  void Classify(const std::vector<std::string>& names);
  void ReportOrphans();
  // Every segment, in offset order.
  void VerifySegments();
  // The batches of a segment's `.log`; nullopt (and a problem or warning)
  // when it cannot be read.
  std::optional<SegmentScan> ScanLog(const std::string& log_path, bool may_shrink);
  // `may_shrink`: the owner of a live directory may still be writing or
  // trimming it, or crashed while it did (SegmentsThatMayShrink).
  void VerifySegment(int64_t base, bool last, bool may_shrink);
  std::string LogPath(int64_t base) const {
    return PathOf(storage::SegmentFileName(base, storage::kLogSuffix));
  }
  void CountBatches(const SegmentScan& scan);
  void CheckOffsets(const std::string& log_path, int64_t base, const SegmentScan& scan);
  std::string BatchOffsetProblem(const BatchLocation& batch, bool first, int64_t base) const;
  // `may_have_tail`: the last segment, or one its owner may be writing.
  void CheckTail(const std::string& log_path, const SegmentScan& scan, bool may_have_tail);
  // `active`: the segment is or may be the one taking appends.
  void CheckIndexes(const SegmentIndexes& indexes, const SegmentScan& scan, bool active);
  void CheckUntrimmed(const std::string& path, size_t zero_bytes);
  void CheckCheckpoints();
  void CheckLogStart(int64_t log_start);
  void CheckRecoveryPoint(int64_t recovery_point);
  void CheckLeaderEpochs();

  const PartitionDir& dir_;
  const DirCheckpoints& checkpoints_;
  PartitionReport report_;
  std::map<int64_t, SegmentFiles> files_;
  std::optional<int64_t> first_base_;
  // The last offset of the last whole batch seen so far.
  std::optional<int64_t> last_offset_;
};

PartitionReport PartitionVerifier::Run() {
  absl::StatusOr<std::vector<std::string>> names = ListNames(dir_.path);
  if (!names.ok()) {
    Problem(std::string(names.status().message()));
    return report_;
  }
  Classify(*names);
  ReportOrphans();
  VerifySegments();
  CheckCheckpoints();
  CheckLeaderEpochs();
  return report_;
}

void PartitionVerifier::VerifySegments() {
  std::vector<int64_t> bases;
  std::vector<std::string> paths;
  for (const auto& [base, files] : files_) {
    if (!files.log) continue;
    bases.push_back(base);
    paths.push_back(LogPath(base));
  }
  if (bases.empty()) {
    Warning(absl::StrCat(dir_.path, ": no segments (opening the log creates an empty one)"));
  }
  std::vector<bool> may_shrink = SegmentsThatMayShrink(paths);
  for (size_t i = 0; i < bases.size(); ++i) {
    VerifySegment(bases[i], i + 1 == bases.size(), may_shrink[i]);
  }
}

void PartitionVerifier::Classify(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    std::optional<storage::ParsedFileName> parsed = storage::ParseFileName(name);
    if (!parsed || parsed->kind == storage::kSnapshotSuffix) continue;
    if (parsed->temporary == storage::kCleanedSuffix || parsed->temporary == storage::kSwapSuffix) {
      Warning(absl::StrCat(PathOf(name),
                           ": left by an interrupted log-cleaner swap (the next open finishes or "
                           "discards it)"));
    }
    // `.deleted` files wait out file.delete.delay.ms; they are no longer the log.
    if (!parsed->temporary.empty()) continue;
    SegmentFiles& files = files_[parsed->offset];
    if (parsed->kind == storage::kLogSuffix) {
      files.log = true;
    } else {
      files.indexes.push_back(name);
    }
  }
}

void PartitionVerifier::ReportOrphans() {
  for (const auto& [base, files] : files_) {
    if (files.log) continue;
    // A listing is no snapshot: a segment created meanwhile may show its
    // indexes but not its `.log`.
    std::error_code error;
    if (fs::exists(LogPath(base), error)) continue;
    for (const std::string& name : files.indexes) {
      Problem(absl::StrCat(PathOf(name), ": an index without its segment (",
                           storage::SegmentFileName(base, storage::kLogSuffix), " is missing)"));
    }
  }
}

std::optional<SegmentScan> PartitionVerifier::ScanLog(const std::string& log_path,
                                                      bool may_shrink) {
  absl::StatusOr<std::unique_ptr<MappedFile>> file = MappedFile::Load(log_path, may_shrink);
  if (!file.ok()) {
    if (absl::IsNotFound(file.status())) {
      // Listed a moment ago: its owner's retention or cleaner moved it away.
      Warning(absl::StrCat(log_path, ": removed while being verified"));
    } else {
      Problem(std::string(file.status().message()));
    }
    return std::nullopt;
  }
  SegmentScan scan = ScanSegment(log_path, (*file)->bytes(), /*verify_crc=*/true);
  // The owner appending to the last segment can outrun a read again at its
  // new end, so look a few times (live_segment.h).
  for (int i = 0; may_shrink && !scan.error.ok() && i < kRereads; ++i) {
    std::unique_ptr<MappedFile> fresh =
        RereadIfOwnerWasWriting(log_path, scan.error_position, (*file)->bytes());
    if (fresh == nullptr) break;
    *file = std::move(fresh);
    scan = ScanSegment(log_path, (*file)->bytes(), /*verify_crc=*/true);
  }
  if (may_shrink) ForgiveTornTail((*file)->bytes(), &scan);
  return scan;
}

void PartitionVerifier::VerifySegment(int64_t base, bool last, bool may_shrink) {
  std::string log_path = LogPath(base);
  // Indexes before the log: see segment_indexes.h.
  absl::StatusOr<std::optional<SegmentIndexes>> indexes = SegmentIndexes::Open(log_path);
  if (!indexes.ok()) Problem(std::string(indexes.status().message()));
  std::optional<SegmentScan> scan = ScanLog(log_path, may_shrink);
  if (!scan) return;
  ++report_.segments;
  CountBatches(*scan);
  if (!scan->error.ok()) {
    Problem(std::string(scan->error.message()));
  } else {
    CheckTail(log_path, *scan, last || may_shrink);
  }
  CheckOffsets(log_path, base, *scan);
  if (scan->error.ok() && indexes.ok() && *indexes) {
    CheckIndexes(**indexes, *scan, last || may_shrink);
  }
  if (!first_base_) first_base_ = base;
  if (!scan->batches.empty()) last_offset_ = scan->batches.back().last_offset;
  if (last) report_.log_end_offset = scan->batches.empty() ? base : *last_offset_ + 1;
}

void PartitionVerifier::CountBatches(const SegmentScan& scan) {
  report_.batches += static_cast<int64_t>(scan.batches.size());
  for (const BatchLocation& batch : scan.batches) report_.records += batch.record_count;
  report_.bytes += scan.valid_bytes;
}

void PartitionVerifier::CheckOffsets(const std::string& log_path, int64_t base,
                                     const SegmentScan& scan) {
  if (last_offset_ && base <= *last_offset_) {
    Problem(absl::StrCat(log_path, ": the name gives base offset ", base,
                         ", but the previous segment ends at offset ", *last_offset_));
  }
  std::optional<int64_t> previous = last_offset_;
  for (const BatchLocation& batch : scan.batches) {
    std::string why = BatchOffsetProblem(batch, &batch == &scan.batches.front(), base);
    if (why.empty() && previous && batch.base_offset <= *previous) {
      why = absl::StrCat("base offset ", batch.base_offset, " does not follow offset ", *previous,
                         ", the last of the batch before");
    }
    if (!why.empty()) {
      Problem(absl::StrCat(log_path, ": batch at byte ", batch.position, ": ", why));
      return;  // Later offsets would only repeat the news.
    }
    previous = batch.last_offset;
  }
}

std::string PartitionVerifier::BatchOffsetProblem(const BatchLocation& batch, bool first,
                                                  int64_t base) const {
  if (first && batch.base_offset < base) {
    return absl::StrCat("base offset ", batch.base_offset, " is below the segment's base offset ",
                        base, " (its file name)");
  }
  if (batch.last_offset - base > INT32_MAX) {
    return absl::StrCat("last offset ", batch.last_offset,
                        " lies more than 2^31-1 past the segment's base offset ", base,
                        ", beyond what its indexes can address");
  }
  return "";
}

void PartitionVerifier::CheckTail(const std::string& log_path, const SegmentScan& scan,
                                  bool may_have_tail) {
  if (scan.tail == BatchScanner::Tail::kNone) return;
  std::string what =
      scan.tail == BatchScanner::Tail::kZeroFilled
          ? absl::StrCat(log_path, ": ", scan.tail_bytes, " zero bytes at byte ", scan.valid_bytes,
                         " after the last batch")
          : absl::StrCat(log_path, ": ", scan.tail_bytes, " bytes of an incomplete batch at byte ",
                         scan.valid_bytes, " after the last complete batch");
  if (may_have_tail) {
    Warning(
        absl::StrCat(what, " (its owner may be writing it, or crashed; recovery truncates it)"));
  } else {
    Problem(absl::StrCat(what, " (only the last segment with batches may end in a tail)"));
  }
}

void PartitionVerifier::CheckIndexes(const SegmentIndexes& indexes, const SegmentScan& scan,
                                     bool active) {
  SegmentIndexReport report = indexes.Check(scan);
  for (const auto& [path, present] : {std::pair{report.index_path, report.has_index},
                                      std::pair{report.time_index_path, report.has_time_index}}) {
    if (!present) Warning(absl::StrCat(path, ": missing (recreated when the log is next opened)"));
  }
  if (!report.status.ok()) Problem(std::string(report.status.message()));
  // The active segment's indexes are preallocated; older ones were trimmed
  // when they rolled.
  if (active) return;
  CheckUntrimmed(report.index_path, report.index_zero_tail_bytes);
  CheckUntrimmed(report.time_index_path, report.time_index_zero_tail_bytes);
}

void PartitionVerifier::CheckUntrimmed(const std::string& path, size_t zero_bytes) {
  if (zero_bytes == 0) return;
  Warning(absl::StrCat(path, ": ", zero_bytes,
                       " zero bytes after the entries (not trimmed when the segment rolled; "
                       "Kafka rebuilds such an index on load)"));
}

void PartitionVerifier::CheckCheckpoints() {
  report_.log_start_offset = first_base_.value_or(report_.log_end_offset);
  std::pair<std::string, int32_t> tp{dir_.topic, dir_.partition};
  if (checkpoints_.log_start_offsets) {
    auto it = checkpoints_.log_start_offsets->find(tp);
    if (it != checkpoints_.log_start_offsets->end()) CheckLogStart(it->second);
  }
  if (checkpoints_.recovery_points) {
    auto it = checkpoints_.recovery_points->find(tp);
    if (it != checkpoints_.recovery_points->end()) CheckRecoveryPoint(it->second);
  }
}

void PartitionVerifier::CheckLogStart(int64_t log_start) {
  std::string where =
      absl::StrCat(DataDirPathOf(storage::kLogStartOffsetCheckpoint), ": ", dir_.topic, "-",
                   dir_.partition, ": log start offset ", log_start);
  if (log_start > report_.log_end_offset) {
    Problem(absl::StrCat(where, " is past the log end offset ", report_.log_end_offset));
    return;
  }
  if (first_base_ && log_start < *first_base_) {
    Warning(absl::StrCat(where, " is below the first segment's base offset ", *first_base_,
                         " (written before retention removed segments; the log starts at the "
                         "first segment)"));
    return;
  }
  // Kafka: the log start is the larger of the checkpoint and the first segment.
  report_.log_start_offset = std::max(report_.log_start_offset, log_start);
}

void PartitionVerifier::CheckRecoveryPoint(int64_t recovery_point) {
  if (recovery_point <= report_.log_end_offset) return;
  Problem(absl::StrCat(DataDirPathOf(storage::kRecoveryPointCheckpoint), ": ", dir_.topic, "-",
                       dir_.partition, ": recovery point ", recovery_point,
                       " is past the log end offset ", report_.log_end_offset,
                       " (batches below it were flushed and are gone)"));
}

void PartitionVerifier::CheckLeaderEpochs() {
  absl::StatusOr<std::optional<std::vector<LeaderEpochEntry>>> epochs =
      ReadLeaderEpochCheckpoint(PathOf(storage::kLeaderEpochCheckpoint));
  if (!epochs.ok()) Problem(std::string(epochs.status().message()));
}

}  // namespace

PartitionReport VerifyPartition(const PartitionDir& dir, const DirCheckpoints& checkpoints) {
  return PartitionVerifier(dir, checkpoints).Run();
}

}  // namespace rill::tool
