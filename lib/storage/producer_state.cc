#include "lib/storage/producer_state.h"

#include "absl/strings/str_cat.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/status_macros.h"
#include "lib/format/crc32c.h"
#include "lib/storage/log_file_names.h"

namespace rill::storage {
namespace {

constexpr int16_t kSnapshotVersion = 1;
constexpr size_t kHeaderBytes = 2 + 4 + 4;  // version, CRC, entry count.
constexpr size_t kEntryBytes = 46;

// The sequence after `seq`, wrapping past INT32_MAX to 0 as Kafka does.
int32_t NextSequence(int32_t seq) { return seq == INT32_MAX ? 0 : seq + 1; }

}  // namespace

absl::StatusOr<ProducerStateManager::Verdict> ProducerStateManager::Check(
    const format::RecordBatchView& batch) const {
  Verdict verdict;
  int64_t pid = batch.producer_id();
  auto it = producers_.find(pid);
  // A producer with no state (new, or expired) may start at any sequence.
  if (it == producers_.end() || it->second.batches.empty()) return verdict;
  const ProducerEntry& entry = it->second;
  int16_t epoch = batch.producer_epoch();
  int32_t first = batch.base_sequence(), last = batch.last_sequence();
  if (epoch < entry.epoch) {
    return absl::FailedPreconditionError(absl::StrCat(
        "producer ", pid, " epoch ", epoch, " is fenced: the partition has seen epoch ", entry.epoch));
  }
  if (epoch > entry.epoch) {
    if (first != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "out of order sequence number for producer ", pid, ": a new epoch ", epoch,
          " must start at sequence 0, not ", first));
    }
    return verdict;
  }
  for (const ProducerBatch& b : entry.batches) {
    if (b.first_sequence == first && b.last_sequence == last) {
      verdict.duplicate = true;
      verdict.original = b;
      return verdict;
    }
  }
  int32_t expected = NextSequence(entry.batches.back().last_sequence);
  if (first != expected) {
    return absl::FailedPreconditionError(absl::StrCat(
        "out of order sequence number for producer ", pid, " epoch ", epoch, ": expected ",
        expected, ", got ", first));
  }
  return verdict;
}

void ProducerStateManager::Update(const format::RecordBatchView& batch, int64_t base_offset) {
  if (batch.producer_id() < 0) return;
  ProducerEntry& entry = producers_[batch.producer_id()];
  if (batch.producer_epoch() != entry.epoch) {
    entry.epoch = batch.producer_epoch();
    entry.batches.clear();
  }
  if (batch.is_control()) return;  // Markers carry no sequence.
  ProducerBatch b;
  b.first_sequence = batch.base_sequence();
  b.last_sequence = batch.last_sequence();
  b.offset_delta = batch.last_offset_delta();
  b.last_offset = base_offset + batch.last_offset_delta();
  b.timestamp = batch.max_timestamp();
  entry.batches.push_back(b);
  while (entry.batches.size() > kMaxCachedBatches) entry.batches.pop_front();
}

void ProducerStateManager::TruncateTo(int64_t offset) {
  for (auto it = producers_.begin(); it != producers_.end();) {
    auto& batches = it->second.batches;
    while (!batches.empty() && batches.back().last_offset >= offset) batches.pop_back();
    it = batches.empty() ? producers_.erase(it) : std::next(it);
  }
}

absl::Status ProducerStateManager::WriteSnapshot(FileSystem* fs, const std::string& dir,
                                                 int64_t offset) const {
  ByteBuffer buf;
  uint8_t* h = buf.Extend(kHeaderBytes);
  StoreBigEndian16(h, kSnapshotVersion);
  int32_t count = 0;
  for (const auto& [pid, entry] : producers_) {
    if (entry.batches.empty()) continue;
    const ProducerBatch& last = entry.batches.back();
    uint8_t* e = buf.Extend(kEntryBytes);
    StoreBigEndian64(e, static_cast<uint64_t>(pid));
    StoreBigEndian16(e + 8, static_cast<uint16_t>(entry.epoch));
    StoreBigEndian32(e + 10, static_cast<uint32_t>(last.last_sequence));
    StoreBigEndian64(e + 14, static_cast<uint64_t>(last.last_offset));
    StoreBigEndian32(e + 22, static_cast<uint32_t>(last.offset_delta));
    StoreBigEndian64(e + 26, static_cast<uint64_t>(last.timestamp));
    StoreBigEndian32(e + 34, static_cast<uint32_t>(entry.coordinator_epoch));
    StoreBigEndian64(e + 38, static_cast<uint64_t>(entry.current_txn_first_offset));
    ++count;
  }
  StoreBigEndian32(buf.data() + 6, static_cast<uint32_t>(count));
  StoreBigEndian32(buf.data() + 2, format::Crc32c(buf.span().subspan(6)));
  std::string path = JoinPath(dir, SegmentFileName(offset, kSnapshotSuffix));
  std::string tmp = path + ".tmp";
  {
    RILL_ASSIGN_OR_RETURN(auto file, fs->Open(tmp, FileSystem::OpenMode::kCreate));
    RILL_RETURN_IF_ERROR(file->Truncate(0));
    RILL_RETURN_IF_ERROR(file->WriteAt(0, buf.span()));
    RILL_RETURN_IF_ERROR(file->Sync());
  }
  RILL_RETURN_IF_ERROR(fs->Rename(tmp, path));
  return fs->SyncDir(dir);
}

absl::Status ProducerStateManager::ReadSnapshot(FileSystem* fs, const std::string& path) {
  RILL_ASSIGN_OR_RETURN(auto file, fs->Open(path, FileSystem::OpenMode::kReadOnly));
  RILL_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("producer snapshot ", path, ": ", why));
  };
  if (size < kHeaderBytes || size > (64 << 20)) return corrupt("bad length");
  ByteBuffer buf;
  buf.resize(size);
  RILL_RETURN_IF_ERROR(file->ReadAt(0, buf.mutable_span()));
  const uint8_t* p = buf.data();
  if (static_cast<int16_t>(LoadBigEndian16(p)) != kSnapshotVersion) return corrupt("unknown version");
  if (LoadBigEndian32(p + 2) != format::Crc32c(buf.span().subspan(6))) return corrupt("CRC mismatch");
  int32_t count = static_cast<int32_t>(LoadBigEndian32(p + 6));
  if (count < 0 || kHeaderBytes + size_t(count) * kEntryBytes != size) return corrupt("entry count does not match the length");
  producers_.clear();
  for (int32_t i = 0; i < count; ++i) {
    const uint8_t* e = p + kHeaderBytes + size_t(i) * kEntryBytes;
    ProducerEntry& entry = producers_[static_cast<int64_t>(LoadBigEndian64(e))];
    entry.epoch = static_cast<int16_t>(LoadBigEndian16(e + 8));
    ProducerBatch b;
    b.last_sequence = static_cast<int32_t>(LoadBigEndian32(e + 10));
    b.last_offset = static_cast<int64_t>(LoadBigEndian64(e + 14));
    b.offset_delta = static_cast<int32_t>(LoadBigEndian32(e + 22));
    b.timestamp = static_cast<int64_t>(LoadBigEndian64(e + 26));
    b.first_sequence = static_cast<int32_t>(int64_t{b.last_sequence} - b.offset_delta);
    entry.coordinator_epoch = static_cast<int32_t>(LoadBigEndian32(e + 34));
    entry.current_txn_first_offset = static_cast<int64_t>(LoadBigEndian64(e + 38));
    entry.batches.push_back(b);
  }
  return absl::OkStatus();
}

}  // namespace rill::storage
