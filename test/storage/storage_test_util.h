#ifndef RILL_TEST_STORAGE_STORAGE_TEST_UTIL_H_
#define RILL_TEST_STORAGE_STORAGE_TEST_UTIL_H_

// Helpers the storage tests share: building batches, opening a small test
// log, reading a log back with every CRC checked, and looking at files.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/bytes.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "lib/storage/file_system.h"
#include "lib/storage/log.h"
#include "lib/storage/log_config.h"
#include "rill/clock.h"
#include "test/support/status_matchers.h"
#include "test/support/temp_dir.h"

namespace rill::storage::testing {

using rill::testing::TempDir;

// ManualClock's default start, in ms: test timestamps sit near it.
inline constexpr int64_t kT0 = 1'700'000'000'000;

// One encoded batch, owned and mutable so Log::Append can patch it; converts
// to the MutableByteSpan Append takes, also as a temporary.
struct TestBatch {
  std::vector<uint8_t> bytes;
  operator MutableByteSpan() { return MutableByteSpan(bytes.data(), bytes.size()); }
  MutableByteSpan span() { return MutableByteSpan(bytes.data(), bytes.size()); }
  size_t size() const { return bytes.size(); }
};

// A batch of one record per value, all with timestamp `timestamp_ms`.
inline TestBatch MakeBatch(const std::vector<std::string>& values, int64_t timestamp_ms = kT0,
                           const format::BatchOptions& options = {}) {
  format::RecordBatchBuilder builder(options);
  for (const std::string& v : values) {
    absl::Status s = builder.Append(timestamp_ms, std::nullopt, absl::string_view(v));
    REQUIRE(s.ok());
  }
  absl::StatusOr<MutableByteSpan> built = builder.Build();
  REQUIRE(built.ok());
  return TestBatch{std::vector<uint8_t>(built->begin(), built->end())};
}

// A one-record batch of exactly `batch_bytes` bytes (>= 80).
inline TestBatch MakeBatchOfSize(size_t batch_bytes, int64_t timestamp_ms = kT0,
                                 const format::BatchOptions& options = {}) {
  size_t overhead = MakeBatch({""}, timestamp_ms, options).size();
  // Varints grow with the value, so step down from the first guess.
  for (size_t value = batch_bytes > overhead ? batch_bytes - overhead : 0;; --value) {
    TestBatch b = MakeBatch({std::string(value, 'v')}, timestamp_ms, options);
    if (b.size() == batch_bytes) return b;
    if (b.size() < batch_bytes || value == 0) break;
  }
  FAIL("cannot build a batch of exactly " << batch_bytes << " bytes");
  return {};
}

// Small, fast defaults for tests: small segments and indexes, no flushing.
inline LogConfig SmallConfig() {
  LogConfig c;
  c.segment_bytes = 64 * 1024;
  c.segment_index_bytes = 4096;
  c.retention_ms = -1;
  return c;
}

inline LogOpenParams TestParams(const std::string& data_dir, FileSystem* fs, Clock* clock,
                                const LogConfig& config = SmallConfig()) {
  LogOpenParams p;
  p.fs = fs;
  p.clock = clock;
  p.dir = JoinPath(data_dir, "test-0");
  p.config = config;
  return p;
}

// The log of partition "test-0" under `data_dir`.
inline absl::StatusOr<std::unique_ptr<Log>> OpenTestLog(const std::string& data_dir, FileSystem* fs,
                                                        Clock* clock,
                                                        const LogConfig& config = SmallConfig(),
                                                        LogLoadReport* report = nullptr) {
  return Log::Open(TestParams(data_dir, fs, clock, config), report);
}

// A record read back from a log.
struct ReadRecord {
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::string value;
  bool operator==(const ReadRecord&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const ReadRecord& r) {
  return os << "{" << r.offset << ", " << r.timestamp << ", \"" << r.value << "\"}";
}

// Appends the records of every batch in `batches` to `*out`, checking each
// batch's framing and CRC.
inline absl::Status DecodeBatches(ByteSpan batches, std::vector<ReadRecord>* out) {
  format::BatchScanner scanner(batches);
  format::BatchScanner::Slice slice;
  ByteBuffer scratch;
  while (true) {
    absl::StatusOr<bool> more = scanner.Next(&slice);
    if (!more.ok()) return more.status();
    if (!*more) break;
    absl::StatusOr<format::RecordBatchView> batch = format::RecordBatchView::Parse(slice.bytes);
    if (!batch.ok()) return batch.status();
    if (absl::Status s = batch->VerifyCrc(); !s.ok()) return s;
    format::RecordReader reader;
    if (absl::Status s = reader.Open(*batch, &scratch); !s.ok()) return s;
    format::RecordView record;
    while (true) {
      absl::StatusOr<bool> has = reader.Next(&record);
      if (!has.ok()) return has.status();
      if (!*has) break;
      out->push_back({record.offset, record.timestamp,
                      record.value ? std::string(*record.value) : std::string()});
    }
  }
  if (scanner.tail() != format::BatchScanner::Tail::kNone) {
    return absl::DataLossError("a read returned a partial batch");
  }
  return absl::OkStatus();
}

// Every record from `from` (default: log start) to the log end. With
// `allow_gaps`, a read that finds nothing below the log end skips to the
// next segment: after a power loss a rolled segment may have lost its
// unflushed batches while the next one survived, as in Kafka.
inline absl::StatusOr<std::vector<ReadRecord>> ReadAll(const Log& log, int64_t from = -1,
                                                       bool allow_gaps = false) {
  std::vector<ReadRecord> records;
  int64_t offset = from >= 0 ? from : log.log_start_offset();
  while (offset < log.log_end_offset()) {
    absl::StatusOr<ReadResult> r = log.Read(offset, 1 << 20);
    if (!r.ok()) return r.status();
    if (r->batches.empty()) {
      int64_t next_base = log.log_end_offset();
      for (const auto& s : log.segments()) {
        if (s->base_offset() > offset) next_base = std::min(next_base, s->base_offset());
      }
      if (allow_gaps) {
        offset = next_base;
        continue;
      }
      return absl::InternalError(
          absl::StrCat("empty read at ", offset, " below the log end ", log.log_end_offset()));
    }
    size_t before = records.size();
    if (absl::Status s = DecodeBatches(r->batches, &records); !s.ok()) return s;
    if (records.size() == before) return absl::InternalError("a read returned no records");
    offset = records.back().offset + 1;
  }
  // Records at or past `from` only (the first batch may start before it).
  std::erase_if(records, [&](const ReadRecord& r) { return from >= 0 && r.offset < from; });
  return records;
}

// Just the values of ReadAll.
inline std::vector<std::string> Values(const std::vector<ReadRecord>& records) {
  std::vector<std::string> values;
  for (const ReadRecord& r : records) values.push_back(r.value);
  return values;
}

inline std::vector<std::string> ReadValues(const Log& log, bool allow_gaps = false) {
  absl::StatusOr<std::vector<ReadRecord>> records = ReadAll(log, -1, allow_gaps);
  REQUIRE_OK(records);
  return Values(*records);
}

// The whole content of a file.
inline std::string FileBytes(FileSystem* fs, const std::string& path) {
  auto file = fs->Open(path, FileSystem::OpenMode::kReadOnly);
  REQUIRE_OK(file);
  auto size = (*file)->Size();
  REQUIRE_OK(size);
  std::string bytes(*size, '\0');
  REQUIRE_OK((*file)->ReadAt(0, MutableByteSpan(reinterpret_cast<uint8_t*>(bytes.data()), *size)));
  return bytes;
}

inline uint64_t FileSize(FileSystem* fs, const std::string& path) {
  auto file = fs->Open(path, FileSystem::OpenMode::kReadOnly);
  REQUIRE_OK(file);
  auto size = (*file)->Size();
  REQUIRE_OK(size);
  return *size;
}

inline void WriteFile(FileSystem* fs, const std::string& path, absl::string_view bytes) {
  auto file = fs->Open(path, FileSystem::OpenMode::kCreate);
  REQUIRE_OK(file);
  REQUIRE_OK((*file)->Truncate(0));
  REQUIRE_OK((*file)->WriteAt(0, AsBytes(bytes)));
}

// Entry names of a directory, sorted.
inline std::vector<std::string> ListSorted(FileSystem* fs, const std::string& dir) {
  auto names = fs->ListDir(dir);
  REQUIRE_OK(names);
  std::sort(names->begin(), names->end());
  return *names;
}

// The base offsets of a log's segments, oldest first.
inline std::vector<int64_t> SegmentBases(const Log& log) {
  std::vector<int64_t> bases;
  for (const auto& s : log.segments()) bases.push_back(s->base_offset());
  return bases;
}

inline std::string Hex(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace rill::storage::testing

#endif  // RILL_TEST_STORAGE_STORAGE_TEST_UTIL_H_
