#ifndef RILL_TEST_STORAGE_LOG_CHECKS_H_
#define RILL_TEST_STORAGE_LOG_CHECKS_H_

// Checks shared by the crash and corruption tests: an independent scan of a
// partition directory's files (std::ifstream, BatchScanner and CRC only, no
// Segment or index classes), Catch2 checks that a log holds exactly the
// content of log_content.h, and a parser of `.index` / `.timeindex` files
// written from reference section 2.2-2.3 rather than from rill's index code.
//
// Not thread safe (Catch2 assertions).

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/bytes.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "lib/storage/log.h"
#include "test/storage/log_content.h"
#include "test/support/status_matchers.h"
#include "test/support/temp_dir.h"

namespace rill::testing {

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline bool FileExists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

inline std::vector<std::string> ListNames(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

inline std::string Stem(int64_t offset) { return absl::StrFormat("%020d", offset); }

// One batch of a segment's valid prefix.
struct RawBatch {
  uint64_t position = 0;
  uint64_t bytes = 0;
  int64_t base = 0;
  int64_t last = 0;
  int64_t max_timestamp = 0;
};

// A `.log` file as recovery should see it.
struct RawSegment {
  int64_t base = 0;
  std::string path;
  std::string content;
  std::vector<RawBatch> batches;  // The valid prefix.
  uint64_t valid_bytes = 0;
  // Bytes after the valid prefix exist and all are zero (preallocation).
  bool zero_tail = false;
  uint64_t tail_bytes() const { return content.size() - valid_bytes; }
  int64_t next_offset() const { return batches.empty() ? -1 : batches.back().last + 1; }
};

// The valid prefix of a `.log`: framing, CRC and offsets increasing from
// the base, as reference 2.8 step 4 validates.
inline RawSegment ScanLogFile(const std::string& path, int64_t base) {
  RawSegment seg;
  seg.base = base;
  seg.path = path;
  seg.content = ReadFileBytes(path);
  ByteSpan data = AsBytes(seg.content);
  format::BatchScanner scanner(data);
  format::BatchScanner::Slice slice;
  int64_t expected = base;
  while (true) {
    absl::StatusOr<bool> more = scanner.Next(&slice);
    if (!more.ok() || !*more) break;
    auto batch = format::RecordBatchView::Parse(slice.bytes);
    if (!batch.ok() || !batch->VerifyCrc().ok() || batch->base_offset() < expected ||
        batch->last_offset() - base > INT32_MAX) {
      break;
    }
    seg.batches.push_back({slice.position, slice.bytes.size(), batch->base_offset(),
                           batch->last_offset(), batch->max_timestamp()});
    expected = batch->next_offset();
    seg.valid_bytes = slice.position + slice.bytes.size();
  }
  seg.zero_tail = seg.valid_bytes < seg.content.size() &&
                  std::all_of(seg.content.begin() + static_cast<ptrdiff_t>(seg.valid_bytes),
                              seg.content.end(), [](char c) { return c == 0; });
  return seg;
}

// The `.log` files of a partition directory (no temporary suffixes), by base.
inline std::vector<RawSegment> ScanPartitionDir(const std::string& dir) {
  std::vector<RawSegment> segments;
  for (const std::string& name : ListNames(dir)) {
    if (name.size() != 24 || name.substr(20) != ".log") continue;
    segments.push_back(ScanLogFile(absl::StrCat(dir, "/", name), std::stoll(name.substr(0, 20))));
  }
  return segments;
}

// `batch` is byte for byte the batch log_content.h defines at its base, and
// its records decode to the expected keys, values, timestamps and headers.
inline void CheckBatchContent(uint64_t seed, ByteSpan batch, int64_t expected_base,
                              bool compress = true) {
  INFO("batch at offset " << expected_base << " (content seed " << seed << ")");
  auto view = format::RecordBatchView::Parse(batch);
  REQUIRE_OK(view);
  ByteBuffer scratch;
  REQUIRE_OK(view->Validate(&scratch));
  REQUIRE(view->base_offset() == expected_base);
  auto expected = BuildBatchAt(seed, expected_base, /*leader_epoch=*/0, compress);
  REQUIRE_OK(expected);
  REQUIRE(AsStringView(batch) == AsStringView(ByteSpan(expected->data(), expected->size())));
  format::RecordReader reader;
  REQUIRE_OK(reader.Open(*view, &scratch));
  format::RecordView r;
  int64_t o = expected_base;
  while (true) {
    auto more = reader.Next(&r);
    REQUIRE_OK(more);
    if (!*more) break;
    REQUIRE(r.offset == o);
    REQUIRE(r.timestamp == TimestampAt(seed, o));
    std::optional<std::string> key = KeyAt(seed, o), value = ValueAt(seed, o);
    REQUIRE(r.key.has_value() == key.has_value());
    if (key) REQUIRE(std::string(*r.key) == *key);
    REQUIRE(r.value.has_value() == value.has_value());
    if (value) REQUIRE(std::string(*r.value) == *value);
    REQUIRE(r.headers.size() == (HasHeaderAt(o) ? 1 : 0));
    if (HasHeaderAt(o)) {
      format::Header h = *r.headers.begin();
      REQUIRE(std::string(h.key) == "h");
      REQUIRE(h.value.has_value());
      REQUIRE(std::string(*h.value) == HeaderValueAt(o));
    }
    ++o;
  }
  REQUIRE(o == expected_base + RecordsAt(seed, expected_base));
}

// Reads [from, to) (to = -1: the log end) through Log::Read in chunks of
// `max_bytes` and checks every batch: contiguous offsets, valid CRC and
// records, and the content log_content.h defines. Returns the number of
// batches.
inline int CheckLogContent(const storage::Log& log, uint64_t seed, int64_t from = 0,
                           int64_t to = -1, uint64_t max_bytes = 100000, bool compress = true) {
  int64_t next = from;
  int batches = 0;
  const int64_t end = to < 0 ? log.log_end_offset() : to;
  while (next < end) {
    auto read = log.Read(next, max_bytes);
    REQUIRE_OK(read);
    INFO("read at offset " << next << " of [" << from << ", " << end << ")");
    REQUIRE(!read->batches.empty());
    format::BatchScanner scanner(read->batches);
    format::BatchScanner::Slice slice;
    while (true) {
      auto more = scanner.Next(&slice);
      REQUIRE_OK(more);
      if (!*more) break;
      if (next >= end) break;
      CheckBatchContent(seed, slice.bytes, next, compress);
      next += RecordsAt(seed, next);
      ++batches;
    }
    REQUIRE((next >= end || scanner.tail() == format::BatchScanner::Tail::kNone));
  }
  REQUIRE(next == end);
  return batches;
}

// The entries of index files, parsed as reference 2.2/2.3 describe them.
struct RawOffsetEntry {
  int32_t relative_offset;
  int32_t position;
};
struct RawTimeEntry {
  int64_t timestamp;
  int32_t relative_offset;
};

inline std::vector<RawOffsetEntry> ParseOffsetIndex(const std::string& bytes) {
  std::vector<RawOffsetEntry> entries;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    entries.push_back({static_cast<int32_t>(LoadBigEndian32(p + i)),
                       static_cast<int32_t>(LoadBigEndian32(p + i + 4))});
  }
  return entries;
}

inline std::vector<RawTimeEntry> ParseTimeIndex(const std::string& bytes) {
  std::vector<RawTimeEntry> entries;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t i = 0; i + 12 <= bytes.size(); i += 12) {
    entries.push_back({static_cast<int64_t>(LoadBigEndian64(p + i)),
                       static_cast<int32_t>(LoadBigEndian32(p + i + 8))});
  }
  return entries;
}

// Checks a closed segment's `.index` and `.timeindex`: trimmed to whole
// entries, increasing, each offset entry at the start of a batch whose last
// offset it names, each time entry (T, O) naming the last offset O of the
// batch that raised the maximum timestamp to T, and the last time entry
// holding the segment's maximum (the entry written on roll and close).
inline void CheckClosedIndexFiles(const RawSegment& seg) {
  INFO("indexes of " << seg.path);
  std::string stem = seg.path.substr(0, seg.path.size() - 4);
  REQUIRE(seg.valid_bytes == seg.content.size());
  std::string index = ReadFileBytes(stem + ".index");
  std::string time_index = ReadFileBytes(stem + ".timeindex");
  REQUIRE(index.size() % 8 == 0);
  REQUIRE(time_index.size() % 12 == 0);
  std::map<uint64_t, const RawBatch*> by_position;
  std::map<int64_t, size_t> by_last_offset;
  for (size_t i = 0; i < seg.batches.size(); ++i) {
    by_position[seg.batches[i].position] = &seg.batches[i];
    by_last_offset[seg.batches[i].last] = i;
  }
  int64_t previous_offset = -1;
  int64_t previous_position = -1;
  for (const RawOffsetEntry& e : ParseOffsetIndex(index)) {
    REQUIRE(e.relative_offset > previous_offset);
    REQUIRE(e.position > previous_position);
    auto it = by_position.find(static_cast<uint64_t>(e.position));
    INFO("offset index entry (" << e.relative_offset << ", " << e.position << ")");
    REQUIRE(it != by_position.end());
    REQUIRE(it->second->last == seg.base + e.relative_offset);
    previous_offset = e.relative_offset;
    previous_position = e.position;
  }
  std::vector<RawTimeEntry> times = ParseTimeIndex(time_index);
  int64_t previous_ts = INT64_MIN;
  int64_t previous_rel = -1;
  for (const RawTimeEntry& e : times) {
    INFO("time index entry (" << e.timestamp << ", " << e.relative_offset << ")");
    REQUIRE(e.timestamp > previous_ts);
    REQUIRE(e.relative_offset >= previous_rel);
    auto it = by_last_offset.find(seg.base + e.relative_offset);
    REQUIRE(it != by_last_offset.end());
    int64_t max_so_far = INT64_MIN;
    for (size_t i = 0; i <= it->second; ++i) {
      max_so_far = std::max(max_so_far, seg.batches[i].max_timestamp);
    }
    REQUIRE(e.timestamp == max_so_far);
    REQUIRE(seg.batches[it->second].max_timestamp == e.timestamp);
    previous_ts = e.timestamp;
    previous_rel = e.relative_offset;
  }
  int64_t segment_max = INT64_MIN;
  for (const RawBatch& b : seg.batches) segment_max = std::max(segment_max, b.max_timestamp);
  if (!seg.batches.empty() && segment_max >= 0) {
    REQUIRE(!times.empty());
    REQUIRE(times.back().timestamp == segment_max);
  }
}

// The same checks on an open log's index objects (the active segment's
// files are preallocated, so only the objects know how many entries count).
inline void CheckOpenIndexes(const storage::Log& log) {
  for (const auto& segment : log.segments()) {
    INFO("indexes of " << segment->log_path());
    uint64_t size = segment->size();
    const storage::OffsetIndex& index = segment->offset_index();
    for (int i = 0; i < index.entry_count(); ++i) {
      storage::OffsetIndex::Entry e = index.entry(i);
      REQUIRE(e.position + uint64_t{format::kBatchHeaderBytes} <= size);
      ByteSpan header = segment->Slice(e.position, e.position + format::kBatchHeaderBytes);
      int64_t base = static_cast<int64_t>(LoadBigEndian64(header.data()));
      int32_t delta =
          static_cast<int32_t>(LoadBigEndian32(header.data() + format::kLastOffsetDeltaOffset));
      REQUIRE(base + delta == e.offset);
      if (i > 0) REQUIRE(e.offset > index.entry(i - 1).offset);
    }
    const storage::TimeIndex& times = segment->time_index();
    for (int i = 1; i < times.entry_count(); ++i) {
      REQUIRE(times.entry(i).timestamp > times.entry(i - 1).timestamp);
      REQUIRE(times.entry(i).offset >= times.entry(i - 1).offset);
    }
  }
}

}  // namespace rill::testing

#endif  // RILL_TEST_STORAGE_LOG_CHECKS_H_
