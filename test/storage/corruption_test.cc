// Damaged partition directories: each test writes a log of deterministic
// content (log_content.h) with several segments, closes it cleanly, damages
// the files as a crash, a bad disk or a careless operator would, reopens
// and checks that loading recovers as reference section 2.8 specifies (or
// fails with a clear status), with a LogLoadReport that says what was cut.
// Nothing may crash: the last test case applies seeded random damage.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/byte_buffer.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "lib/storage/checkpoint_file.h"
#include "lib/storage/file_system.h"
#include "lib/storage/log.h"
#include "lib/storage/log_file_names.h"
#include "lib/storage/log_manager.h"
#include "test/storage/log_checks.h"
#include "test/storage/log_content.h"
#include "test/support/status_matchers.h"

namespace rill::storage {
namespace {

namespace fs = std::filesystem;
using testing::RawBatch;
using testing::RawSegment;

constexpr uint64_t kSeed = 20240601;
constexpr char kTopic[] = "damaged";

LogConfig TestConfig() {
  LogConfig c;
  c.segment_bytes = 384 << 10;
  c.index_interval_bytes = 4096;
  c.segment_index_bytes = 64 << 10;
  c.retention_ms = -1;  // The content's timestamps are from 2023.
  return c;
}

absl::StatusOr<std::unique_ptr<Log>> OpenLog(const std::string& dir, bool clean,
                                             int64_t recovery_point, LogLoadReport* report,
                                             const LogConfig& config = TestConfig()) {
  LogOpenParams p;
  p.fs = FileSystem::Posix();
  p.dir = dir;
  p.config = config;
  p.clean_shutdown = clean;
  p.recovery_point = recovery_point;
  return Log::Open(p, report);
}

// Appends the content's batches until the log has `segments` segments and
// `extra` batches in the last one.
void AppendContent(Log* log, int segments, int extra) {
  while (log->segment_count() < segments || extra > 0) {
    if (log->segment_count() >= segments) --extra;
    auto batch = testing::BuildBatchAt(kSeed, log->log_end_offset(), -1);
    REQUIRE_OK(batch);
    REQUIRE_OK(log->Append(MutableByteSpan(batch->data(), batch->size())));
  }
}

std::string FileName(int64_t base, absl::string_view suffix) {
  return SegmentFileName(base, suffix);
}

// A closed log of deterministic content in a fresh directory, and a copy of
// every file as the clean close left it.
class TestLog {
 public:
  explicit TestLog(int segments = 4, int extra_batches = 6, LogConfig config = TestConfig())
      : dir_(JoinPath(scratch_.path(), absl::StrCat(kTopic, "-0"))), config_(config) {
    LogLoadReport report;
    auto log = OpenLog(dir_, /*clean=*/false, -1, &report, config_);
    REQUIRE_OK(log);
    AppendContent(log->get(), segments, extra_batches);
    end_ = (*log)->log_end_offset();
    REQUIRE_OK((*log)->Close());
    log->reset();
    Rescan();
    for (const std::string& name : testing::ListNames(dir_)) {
      original_[name] = testing::ReadFileBytes(path(name));
    }
    REQUIRE(segments_.size() == static_cast<size_t>(segments));
  }

  const std::string& dir() const { return dir_; }
  const std::string& scratch() const { return scratch_.path(); }
  const LogConfig& config() const { return config_; }
  std::string path(const std::string& name) const { return JoinPath(dir_, name); }
  std::string path(int64_t base, absl::string_view suffix) const {
    return path(FileName(base, suffix));
  }
  int64_t end() const { return end_; }
  const RawSegment& segment(size_t i) const { return segments_.at(i); }
  const RawSegment& last() const { return segments_.back(); }
  size_t segment_count() const { return segments_.size(); }
  const std::map<std::string, std::string>& original() const { return original_; }
  void Rescan() { segments_ = testing::ScanPartitionDir(dir_); }

 private:
  testing::TempDir scratch_;
  std::string dir_;
  LogConfig config_;
  int64_t end_ = 0;
  std::vector<RawSegment> segments_;
  std::map<std::string, std::string> original_;
};

const RawBatch& MiddleBatch(const RawSegment& seg) {
  REQUIRE(seg.batches.size() >= 3);
  return seg.batches[seg.batches.size() / 2];
}

void FlipBit(const std::string& path, uint64_t position, int bit) {
  std::string bytes = testing::ReadFileBytes(path);
  REQUIRE(position < bytes.size());
  bytes[position] = static_cast<char>(bytes[position] ^ (1 << bit));
  testing::WriteFileBytes(path, bytes);
}

void TruncateFile(const std::string& path, uint64_t size) {
  std::error_code ec;
  fs::resize_file(path, size, ec);
  REQUIRE_FALSE(ec);
}

void AppendToFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

void RemoveFile(const std::string& path) {
  std::error_code ec;
  REQUIRE(fs::remove(path, ec));
}

void CopyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  REQUIRE_FALSE(ec);
}

std::string Describe(const LogLoadReport& r) {
  return absl::StrCat("segments ", r.segments, ", recovered ", r.recovered_segments, " (",
                      r.recovered_bytes, " bytes), truncated ", r.truncated_bytes,
                      " bytes from offset ", r.truncated_from_offset, ", deleted ",
                      r.deleted_segments, ", swaps ", r.completed_swaps, ", corruption '",
                      r.corruption, "'");
}

// Every segment file of the directory equals the clean close's copy.
void CheckFilesAsOriginal(const TestLog& t) {
  for (const auto& [name, bytes] : t.original()) {
    if (!absl::EndsWith(name, ".log") && !absl::EndsWith(name, ".index") &&
        !absl::EndsWith(name, ".timeindex")) {
      continue;
    }
    INFO("file " << name);
    REQUIRE(testing::FileExists(t.path(name)));
    REQUIRE(testing::ReadFileBytes(t.path(name)) == bytes);
  }
}

// Appends one more batch, closes, and checks the closed files: contiguous
// offsets, content, and indexes that point where they should.
void AppendCloseAndCheck(std::unique_ptr<Log> log, const std::string& dir) {
  int64_t end = log->log_end_offset();
  auto batch = testing::BuildBatchAt(kSeed, end, -1);
  REQUIRE_OK(batch);
  auto info = log->Append(MutableByteSpan(batch->data(), batch->size()));
  REQUIRE_OK(info);
  REQUIRE(info->first_offset == end);
  testing::CheckLogContent(*log, kSeed, log->log_start_offset());
  testing::CheckOpenIndexes(*log);
  REQUIRE_OK(log->Close());
  log.reset();
  for (const RawSegment& seg : testing::ScanPartitionDir(dir)) {
    REQUIRE(seg.tail_bytes() == 0);
    testing::CheckClosedIndexFiles(seg);
  }
}

TEST_CASE("after a clean shutdown the log opens without scanning and changes no file",
          "[storage][recovery]") {
  TestLog t;
  LogLoadReport report;
  auto log = OpenLog(t.dir(), /*clean=*/true, /*recovery_point=*/-1, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.segments == 4);
  CHECK(report.recovered_segments == 0);
  CHECK(report.recovered_bytes == 0);
  CHECK(report.truncated_bytes == 0);
  CHECK(report.corruption.empty());
  REQUIRE((*log)->log_end_offset() == t.end());
  REQUIRE((*log)->recovery_point() == t.end());
  testing::CheckLogContent(**log, kSeed);
  REQUIRE_OK((*log)->Close());
  log->reset();
  CheckFilesAsOriginal(t);
}

TEST_CASE("an unclean open rescans from the segment holding the recovery point",
          "[storage][recovery]") {
  TestLog t;
  LogLoadReport report;
  // The recovery point lies inside segment 2: segments 2 and 3 are rescanned.
  int64_t recovery_point = t.segment(2).base + 1;
  auto log = OpenLog(t.dir(), /*clean=*/false, recovery_point, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.recovered_segments == 2);
  CHECK(report.recovered_bytes == t.segment(2).content.size() + t.last().content.size());
  CHECK(report.truncated_bytes == 0);
  CHECK(report.truncated_from_offset == -1);
  CHECK(report.corruption.empty());
  REQUIRE((*log)->log_end_offset() == t.end());
  REQUIRE_OK((*log)->Close());
  log->reset();
  // The rebuilt indexes are the ones appending wrote.
  CheckFilesAsOriginal(t);
}

TEST_CASE("a flipped bit in a middle batch of the last segment truncates the log from that batch",
          "[storage][recovery][corruption]") {
  TestLog t;
  const RawSegment& seg = t.last();
  const RawBatch& b = MiddleBatch(seg);
  std::string expected_message;
  SECTION("in a record") {
    FlipBit(seg.path, b.position + format::kRecordsOffset + (b.bytes - format::kRecordsOffset) / 2,
            3);
    expected_message = "CRC mismatch";
  }
  SECTION("in the stored CRC") {
    FlipBit(seg.path, b.position + format::kCrcOffset + 2, 0);
    expected_message = "CRC mismatch";
  }
  SECTION("in the attributes (the codec)") {
    FlipBit(seg.path, b.position + format::kAttributesOffset + 1, 1);
    expected_message = "batch";
  }
  SECTION("in the magic byte") {
    FlipBit(seg.path, b.position + format::kMagicOffset, 2);
    expected_message = "magic";
  }
  SECTION("in the length field, running the batch past the end of the file") {
    FlipBit(seg.path, b.position + format::kLengthOffset + 1, 6);
    expected_message = "incomplete";
  }
  SECTION("in the length field, shortening the batch") {
    FlipBit(seg.path, b.position + format::kLengthOffset + 3, 4);
    expected_message = "batch";
  }
  SECTION("in the base offset, sending it backwards") {
    int lowest_set_bit = __builtin_ctzll(static_cast<uint64_t>(b.base));
    FlipBit(seg.path, b.position + 7 - lowest_set_bit / 8, lowest_set_bit % 8);
    expected_message = "out of order";
  }
  LogLoadReport report;
  auto log = OpenLog(t.dir(), /*clean=*/false, seg.base, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.recovered_segments == 1);
  CHECK(report.truncated_bytes == seg.content.size() - b.position);
  CHECK(report.truncated_from_offset == b.base);
  CHECK(report.deleted_segments == 0);
  CHECK(absl::StrContains(report.corruption, seg.path));
  CHECK(absl::StrContains(report.corruption, expected_message));
  REQUIRE((*log)->log_end_offset() == b.base);
  REQUIRE(testing::ReadFileBytes(seg.path).size() == b.position);
  testing::CheckLogContent(**log, kSeed);
  AppendCloseAndCheck(std::move(*log), t.dir());
}

TEST_CASE(
    "a corrupt batch in an older segment above the recovery point cuts the log there and "
    "deletes every later segment",
    "[storage][recovery][corruption]") {
  TestLog t(5);
  const RawSegment& seg = t.segment(1);
  const RawBatch& b = MiddleBatch(seg);
  FlipBit(seg.path, b.position + b.bytes - 1, 0);
  LogLoadReport report;
  auto log = OpenLog(t.dir(), /*clean=*/false, /*recovery_point=*/-1, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.segments == 5);
  CHECK(report.recovered_segments == 2);  // Segments 0 and 1; the rest were deleted unread.
  CHECK(report.truncated_bytes == seg.content.size() - b.position);
  CHECK(report.truncated_from_offset == b.base);
  CHECK(report.deleted_segments == 3);
  CHECK(absl::StrContains(report.corruption, "CRC mismatch"));
  REQUIRE((*log)->log_end_offset() == b.base);
  REQUIRE((*log)->segment_count() == 2);
  for (size_t i = 2; i < 5; ++i) {
    for (absl::string_view suffix : {kLogSuffix, kIndexSuffix, kTimeIndexSuffix}) {
      INFO("segment " << t.segment(i).base << suffix);
      CHECK_FALSE(testing::FileExists(t.path(t.segment(i).base, suffix)));
    }
  }
  testing::CheckLogContent(**log, kSeed);
  AppendCloseAndCheck(std::move(*log), t.dir());
}

// What happens to damage in a segment loading trusts: nothing on open; the
// bytes come back from Read as they are on disk, and a reader that checks
// the CRC (every consumer does) gets DataLoss.
TEST_CASE(
    "a flipped bit below the recovery point is trusted, and a validating reader sees DataLoss",
    "[storage][recovery][corruption]") {
  TestLog t;
  const RawSegment& seg = t.segment(0);
  const RawBatch& b = MiddleBatch(seg);
  FlipBit(seg.path, b.position + b.bytes - 3, 5);
  bool clean = true;
  int64_t recovery_point = -1;
  SECTION("after a clean shutdown") {}
  SECTION("after an unclean one with the recovery point in the last segment") {
    clean = false;
    recovery_point = t.last().base;
  }
  LogLoadReport report;
  auto log = OpenLog(t.dir(), clean, recovery_point, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.recovered_segments == (clean ? 0 : 1));
  CHECK(report.truncated_bytes == 0);
  CHECK(report.corruption.empty());
  REQUIRE((*log)->log_end_offset() == t.end());

  auto read = (*log)->Read(b.base + 1, 1);
  REQUIRE_OK(read);
  format::BatchScanner scanner(read->batches);
  format::BatchScanner::Slice slice;
  REQUIRE(*scanner.Next(&slice));
  auto view = format::RecordBatchView::Parse(slice.bytes);
  REQUIRE_OK(view);
  REQUIRE(view->base_offset() == b.base);
  absl::Status crc = view->VerifyCrc();
  REQUIRE(absl::IsDataLoss(crc));
  CHECK(absl::StrContains(crc.message(), "CRC mismatch"));
  // The batches around it read and validate as ever.
  auto before = (*log)->Read(0, 1 << 20);
  REQUIRE_OK(before);
  REQUIRE(view->base_offset() > 0);
  log->reset();

  // An unclean open that scans the segment cuts the log at that batch.
  auto rescanned = OpenLog(t.dir(), /*clean=*/false, /*recovery_point=*/-1, &report);
  REQUIRE_OK(rescanned);
  CHECK(report.truncated_from_offset == b.base);
  CHECK(report.deleted_segments == 3);
  REQUIRE((*rescanned)->log_end_offset() == b.base);
}

// A read at `offset` either fails with DataLoss naming the segment or
// returns well-framed batches starting with the one that holds `offset`:
// never a silent skip past damage, never a hang.
void CheckReadAt(const Log& log, int64_t offset, const std::string& segment_path) {
  INFO("read at offset " << offset);
  auto read = log.Read(offset, 1 << 20);
  if (!read.ok()) {
    CHECK(absl::IsDataLoss(read.status()));
    CHECK(absl::StrContains(read.status().message(), segment_path));
    return;
  }
  REQUIRE(!read->batches.empty());
  format::BatchScanner scanner(read->batches);
  format::BatchScanner::Slice slice;
  bool first = true;
  while (true) {
    auto more = scanner.Next(&slice);
    REQUIRE_OK(more);
    if (!*more) break;
    auto view = format::RecordBatchView::Parse(slice.bytes);
    REQUIRE_OK(view);
    if (first) {
      CHECK(view->base_offset() <= offset);
      CHECK(view->last_offset() >= offset);
    }
    first = false;
  }
  REQUIRE(scanner.tail() == format::BatchScanner::Tail::kNone);
}

TEST_CASE(
    "a damaged length field in a trusted segment makes Read report DataLoss, "
    "not skip or hang",
    "[storage][recovery][corruption]") {
  TestLog t;
  const RawSegment& seg = t.segment(0);
  const RawBatch& b = MiddleBatch(seg);
  int32_t length = GENERATE(-12, -100, 0, 13, 49, INT32_MAX, -1);
  if (length == -1) length = static_cast<int32_t>(b.bytes) - 12 - 16;  // 16 bytes short.
  INFO("length field of the batch at offset " << b.base << " set to " << length);
  std::string bytes = testing::ReadFileBytes(seg.path);
  StoreBigEndian32(reinterpret_cast<uint8_t*>(bytes.data()) + b.position + format::kLengthOffset,
                   static_cast<uint32_t>(length));
  testing::WriteFileBytes(seg.path, bytes);
  LogLoadReport report;
  auto log = OpenLog(t.dir(), /*clean=*/true, -1, &report);
  REQUIRE_OK(log);
  REQUIRE((*log)->log_end_offset() == t.end());
  size_t i = static_cast<size_t>(&b - seg.batches.data());
  CheckReadAt(**log, seg.batches[i - 1].base, seg.path);
  CheckReadAt(**log, b.base, seg.path);
  CheckReadAt(**log, b.last, seg.path);
  CheckReadAt(**log, seg.batches[i + 1].base, seg.path);
  CheckReadAt(**log, seg.batches.back().last, seg.path);
  CheckReadAt(**log, t.segment(1).base, t.segment(1).path);
}

TEST_CASE("a .log cut off mid-batch loses only the torn batch", "[storage][recovery][torn]") {
  TestLog t;
  const RawSegment& seg = t.last();
  const RawBatch& b = seg.batches.back();
  uint64_t cut = 0;
  SECTION("inside the header") { cut = b.position + 30; }
  SECTION("inside the records") { cut = b.position + b.bytes / 2; }
  SECTION("one byte short") { cut = b.position + b.bytes - 1; }
  TruncateFile(seg.path, cut);
  LogLoadReport report;
  auto log = OpenLog(t.dir(), /*clean=*/false, seg.base, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.truncated_bytes == cut - b.position);
  CHECK(report.truncated_from_offset == b.base);
  CHECK(report.deleted_segments == 0);
  CHECK(absl::StrContains(report.corruption, "incomplete"));
  REQUIRE((*log)->log_end_offset() == b.base);
  REQUIRE(testing::ReadFileBytes(seg.path).size() == b.position);
  AppendCloseAndCheck(std::move(*log), t.dir());
}

TEST_CASE("a torn batch in a segment that is not the last deletes the segments after it",
          "[storage][recovery][torn]") {
  TestLog t;
  const RawSegment& seg = t.segment(1);
  const RawBatch& b = MiddleBatch(seg);
  TruncateFile(seg.path, b.position + b.bytes / 2);
  LogLoadReport report;
  auto log = OpenLog(t.dir(), /*clean=*/false, /*recovery_point=*/seg.base, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.truncated_bytes == b.bytes / 2);
  CHECK(report.truncated_from_offset == b.base);
  CHECK(report.deleted_segments == 2);
  REQUIRE((*log)->log_end_offset() == b.base);
  REQUIRE((*log)->segment_count() == 2);
  AppendCloseAndCheck(std::move(*log), t.dir());
}

TEST_CASE("a zero-filled tail is cut without reporting corruption", "[storage][recovery][zero]") {
  TestLog t;
  size_t zeros = GENERATE(5, 17, 18, 61, 4096, 100000);
  INFO(zeros << " zero bytes");
  const RawSegment& seg = t.last();
  AppendToFile(seg.path, std::string(zeros, '\0'));
  LogLoadReport report;
  auto log = OpenLog(t.dir(), /*clean=*/false, seg.base, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.truncated_bytes == zeros);
  CHECK(report.truncated_from_offset == -1);
  CHECK(report.corruption.empty());
  CHECK(report.deleted_segments == 0);
  REQUIRE((*log)->log_end_offset() == t.end());
  REQUIRE(testing::ReadFileBytes(seg.path) == seg.content);
  REQUIRE_OK((*log)->Close());
  log->reset();
  CheckFilesAsOriginal(t);
}

TEST_CASE("a zero-filled tail in a segment that is not the last keeps the later segments",
          "[storage][recovery][zero]") {
  // What a kill between Seal's time-index entry and its truncation of a
  // preallocated `.log` leaves.
  TestLog t;
  AppendToFile(t.segment(1).path, std::string(8192, '\0'));
  LogLoadReport report;
  auto log = OpenLog(t.dir(), /*clean=*/false, /*recovery_point=*/-1, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.recovered_segments == 4);
  CHECK(report.truncated_bytes == 8192);
  CHECK(report.truncated_from_offset == -1);
  CHECK(report.deleted_segments == 0);
  REQUIRE((*log)->log_end_offset() == t.end());
  testing::CheckLogContent(**log, kSeed);
  REQUIRE_OK((*log)->Close());
  log->reset();
  CheckFilesAsOriginal(t);
}

TEST_CASE("a preallocated segment left by a crash opens with its zero tail cut",
          "[storage][recovery][zero]") {
  LogConfig config = TestConfig();
  config.preallocate = true;
  testing::TempDir scratch;
  std::string dir = JoinPath(scratch.path(), "pre-0");
  std::string image = JoinPath(scratch.path(), "image-0");
  int64_t end = 0;
  {
    LogLoadReport report;
    auto log = OpenLog(dir, false, -1, &report, config);
    REQUIRE_OK(log);
    AppendContent(log->get(), 3, 4);
    end = (*log)->log_end_offset();
    // The files as a SIGKILL now would leave them: what the page cache holds.
    fs::copy(dir, image);
  }
  auto segments = testing::ScanPartitionDir(image);
  REQUIRE(segments.size() == 3);
  REQUIRE(segments.back().content.size() == static_cast<size_t>(config.segment_bytes));
  REQUIRE(segments.back().zero_tail);
  LogLoadReport report;
  auto log = OpenLog(image, /*clean=*/false, segments.back().base, &report, config);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.truncated_bytes == segments.back().tail_bytes());
  CHECK(report.truncated_from_offset == -1);
  CHECK(report.corruption.empty());
  REQUIRE((*log)->log_end_offset() == end);
  testing::CheckLogContent(**log, kSeed);
  // Appends go on in the recovered (again preallocated) segment.
  AppendCloseAndCheck(std::move(*log), image);
}

TEST_CASE("missing or damaged index files are rebuilt identical to what a clean close wrote",
          "[storage][recovery][index]") {
  TestLog t;
  int64_t base = t.segment(1).base;
  int expected_recovered = 1;
  std::string what;
  SECTION("a missing .index") {
    what = "a missing .index";
    RemoveFile(t.path(base, kIndexSuffix));
  }
  SECTION("a missing .timeindex") {
    what = "a missing .timeindex";
    RemoveFile(t.path(base, kTimeIndexSuffix));
  }
  SECTION("both missing") {
    what = "both missing";
    RemoveFile(t.path(base, kIndexSuffix));
    RemoveFile(t.path(base, kTimeIndexSuffix));
  }
  SECTION("the last segment's .index missing") {
    what = "the last segment's .index missing";
    base = t.last().base;
    RemoveFile(t.path(base, kIndexSuffix));
  }
  SECTION("every index missing") {
    what = "every index missing";
    for (size_t i = 0; i < t.segment_count(); ++i) {
      RemoveFile(t.path(t.segment(i).base, kIndexSuffix));
      RemoveFile(t.path(t.segment(i).base, kTimeIndexSuffix));
    }
    expected_recovered = static_cast<int>(t.segment_count());
  }
  SECTION("empty index files (a kill in the middle of a rebuild)") {
    what = "empty index files";
    testing::WriteFileBytes(t.path(base, kIndexSuffix), "");
    testing::WriteFileBytes(t.path(base, kTimeIndexSuffix), "");
  }
  SECTION("an .index whose length is not a multiple of 8") {
    what = "an .index whose length is not a multiple of 8";
    AppendToFile(t.path(base, kIndexSuffix), "abc");
  }
  SECTION("a .timeindex whose length is not a multiple of 12") {
    what = "a .timeindex whose length is not a multiple of 12";
    AppendToFile(t.path(base, kTimeIndexSuffix), std::string(7, 'x'));
  }
  SECTION("an .index with two entries swapped") {
    what = "an .index with two entries swapped";
    std::string index = t.original().at(FileName(base, kIndexSuffix));
    REQUIRE(index.size() >= 16);
    std::swap_ranges(index.begin(), index.begin() + 8, index.begin() + 8);
    testing::WriteFileBytes(t.path(base, kIndexSuffix), index);
  }
  SECTION("an .index of zeros") {
    what = "an .index of zeros";
    size_t n = t.original().at(FileName(base, kIndexSuffix)).size();
    testing::WriteFileBytes(t.path(base, kIndexSuffix), std::string(n + 16, '\0'));
  }
  SECTION("a .timeindex with a timestamp going down") {
    what = "a .timeindex with a timestamp going down";
    std::string times = t.original().at(FileName(base, kTimeIndexSuffix));
    REQUIRE(times.size() >= 24);
    // The second entry's timestamp becomes the first's: not increasing.
    std::copy_n(times.begin(), 8, times.begin() + 12);
    testing::WriteFileBytes(t.path(base, kTimeIndexSuffix), times);
  }
  INFO("damage: " << what);
  LogLoadReport report;
  // Trusted segments (a clean shutdown) are rebuilt only for their indexes.
  auto log = OpenLog(t.dir(), /*clean=*/true, -1, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.recovered_segments == expected_recovered);
  CHECK(report.truncated_bytes == 0);
  REQUIRE((*log)->log_end_offset() == t.end());
  testing::CheckLogContent(**log, kSeed);
  testing::CheckOpenIndexes(**log);
  // Timestamp lookups use the rebuilt time index.
  int64_t probe = t.segment(1).batches[1].base;
  auto found = (*log)->OffsetForTimestamp(testing::TimestampAt(kSeed, probe));
  REQUIRE_OK(found);
  REQUIRE(found->has_value());
  CHECK((*found)->offset <= probe);
  CHECK((*found)->timestamp >= testing::TimestampAt(kSeed, probe));
  REQUIRE_OK((*log)->Close());
  log->reset();
  CheckFilesAsOriginal(t);
}

TEST_CASE("leftover .deleted, .cleaned and .swap files are handled as Kafka's LogLoader does",
          "[storage][recovery][swap]") {
  TestLog t;
  const RawSegment& s1 = t.segment(1);
  const RawSegment& s2 = t.segment(2);
  auto copy_as = [&](int64_t from_base, int64_t to_base, absl::string_view kind,
                     absl::string_view suffix) {
    CopyFile(t.path(from_base, kind), t.path(absl::StrCat(FileName(to_base, kind), suffix)));
  };
  int completed_swaps = 0;
  size_t segments_after = t.segment_count();
  SECTION(".deleted files are removed") {
    for (absl::string_view kind : {kLogSuffix, kIndexSuffix, kTimeIndexSuffix}) {
      copy_as(s1.base, s1.base, kind, kDeletedSuffix);
    }
    copy_as(s1.base, 999999, kLogSuffix, kDeletedSuffix);
  }
  SECTION(".cleaned files are removed") {
    copy_as(s1.base, s1.base, kLogSuffix, kCleanedSuffix);
    copy_as(s1.base, s1.base, kIndexSuffix, kCleanedSuffix);
  }
  SECTION("a .swap at or above the smallest .cleaned is an interrupted split and is removed") {
    copy_as(s1.base, s1.base, kLogSuffix, kCleanedSuffix);
    copy_as(s2.base, s2.base, kLogSuffix, kSwapSuffix);
  }
  SECTION("a .swap replacing one segment completes the swap") {
    for (absl::string_view kind : {kLogSuffix, kIndexSuffix, kTimeIndexSuffix}) {
      copy_as(s1.base, s1.base, kind, kSwapSuffix);
    }
    completed_swaps = 1;
  }
  SECTION("a .swap merging two segments replaces both") {
    testing::WriteFileBytes(t.path(absl::StrCat(FileName(s1.base, kLogSuffix), kSwapSuffix)),
                            s1.content + s2.content);
    completed_swaps = 1;
    segments_after = t.segment_count() - 1;
  }
  SECTION("index files without a .log are removed") {
    copy_as(s1.base, 999999, kIndexSuffix, "");
    copy_as(s1.base, 999999, kTimeIndexSuffix, "");
  }
  LogLoadReport report;
  auto log = OpenLog(t.dir(), /*clean=*/true, -1, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.completed_swaps == completed_swaps);
  CHECK(report.segments == static_cast<int>(segments_after));
  CHECK(report.truncated_bytes == 0);
  REQUIRE((*log)->log_end_offset() == t.end());
  REQUIRE((*log)->segment_count() == static_cast<int>(segments_after));
  testing::CheckLogContent(**log, kSeed);
  for (const std::string& name : testing::ListNames(t.dir())) {
    INFO("left in the directory: " << name);
    CHECK_FALSE(absl::EndsWith(name, kDeletedSuffix));
    CHECK_FALSE(absl::EndsWith(name, kCleanedSuffix));
    CHECK_FALSE(absl::EndsWith(name, kSwapSuffix));
    CHECK_FALSE(absl::StartsWith(name, FileName(999999, "")));
  }
  AppendCloseAndCheck(std::move(*log), t.dir());
}

TEST_CASE("a deleted segment leaves a gap that reads skip, as in Kafka", "[storage][recovery]") {
  TestLog t;
  const RawSegment& gone = t.segment(1);
  for (absl::string_view suffix : {kLogSuffix, kIndexSuffix, kTimeIndexSuffix}) {
    RemoveFile(t.path(gone.base, suffix));
  }
  bool clean = GENERATE(true, false);
  INFO((clean ? "clean" : "unclean") << " open");
  LogLoadReport report;
  auto log = OpenLog(t.dir(), clean, -1, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.segments == 3);
  CHECK(report.truncated_bytes == 0);
  REQUIRE((*log)->log_end_offset() == t.end());
  // Kafka cannot tell a missing segment from compaction: an offset in the
  // gap reads as the next batch after it.
  auto read = (*log)->Read(gone.base + 1, 1);
  REQUIRE_OK(read);
  auto first = format::RecordBatchView::Parse(
      read->batches.subspan(0, LoadBigEndian32(read->batches.data() + format::kLengthOffset) + 12));
  REQUIRE_OK(first);
  CHECK(first->base_offset() == t.segment(2).base);
  testing::CheckLogContent(**log, kSeed, 0, gone.base);
  testing::CheckLogContent(**log, kSeed, t.segment(2).base);
}

TEST_CASE("losing the first or the last segment moves the log start or end",
          "[storage][recovery]") {
  TestLog t;
  bool first = GENERATE(true, false);
  const RawSegment& gone = first ? t.segment(0) : t.last();
  for (absl::string_view suffix : {kLogSuffix, kIndexSuffix, kTimeIndexSuffix}) {
    RemoveFile(t.path(gone.base, suffix));
  }
  LogLoadReport report;
  auto log = OpenLog(t.dir(), /*clean=*/true, -1, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  if (first) {
    REQUIRE((*log)->log_start_offset() == t.segment(1).base);
    REQUIRE((*log)->log_end_offset() == t.end());
    auto read = (*log)->Read(0, 1000);
    REQUIRE(absl::IsOutOfRange(read.status()));
  } else {
    REQUIRE((*log)->log_start_offset() == 0);
    REQUIRE((*log)->log_end_offset() == t.last().base);
  }
  AppendCloseAndCheck(std::move(*log), t.dir());
}

TEST_CASE("an empty .log is a segment with no batches", "[storage][recovery]") {
  TestLog t(3, 4);
  int64_t base = t.end();
  bool clean = GENERATE(true, false);
  bool with_indexes = GENERATE(true, false);
  INFO((clean ? "clean" : "unclean")
       << " open, " << (with_indexes ? "with" : "without") << " index files");
  // What a kill right after a roll leaves: a new, empty last segment.
  testing::WriteFileBytes(t.path(base, kLogSuffix), "");
  if (with_indexes) {
    testing::WriteFileBytes(t.path(base, kIndexSuffix), "");
    testing::WriteFileBytes(t.path(base, kTimeIndexSuffix), "");
  }
  LogLoadReport report;
  auto log = OpenLog(t.dir(), clean, t.last().base, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.segments == 4);
  CHECK(report.truncated_bytes == 0);
  CHECK(report.corruption.empty());
  REQUIRE((*log)->segment_count() == 4);
  REQUIRE((*log)->log_end_offset() == base);
  testing::CheckLogContent(**log, kSeed);
  AppendCloseAndCheck(std::move(*log), t.dir());
  // The batch went into the empty segment.
  REQUIRE(testing::ScanPartitionDir(t.dir()).back().base == base);
  REQUIRE(testing::ScanPartitionDir(t.dir()).back().batches.size() == 1);
}

TEST_CASE("an empty .log as the only segment opens as an empty log", "[storage][recovery]") {
  testing::TempDir scratch;
  std::string dir = JoinPath(scratch.path(), "t-0");
  REQUIRE(fs::create_directories(dir));
  testing::WriteFileBytes(JoinPath(dir, FileName(0, kLogSuffix)), "");
  LogLoadReport report;
  auto log = OpenLog(dir, /*clean=*/false, -1, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.segments == 1);
  CHECK(report.recovered_segments == 1);
  CHECK(report.truncated_bytes == 0);
  REQUIRE((*log)->log_end_offset() == 0);
  AppendCloseAndCheck(std::move(*log), dir);
}

TEST_CASE("garbage in place of a .log is cut to nothing and reported",
          "[storage][recovery][corruption]") {
  testing::TempDir scratch;
  std::string dir = JoinPath(scratch.path(), "t-0");
  REQUIRE(fs::create_directories(dir));
  std::mt19937_64 rng(7);
  std::string garbage(5000, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  testing::WriteFileBytes(JoinPath(dir, FileName(0, kLogSuffix)), garbage);
  LogLoadReport report;
  auto log = OpenLog(dir, /*clean=*/false, -1, &report);
  REQUIRE_OK(log);
  INFO(Describe(report));
  CHECK(report.truncated_bytes == garbage.size());
  CHECK(report.truncated_from_offset == 0);
  CHECK_FALSE(report.corruption.empty());
  REQUIRE((*log)->log_end_offset() == 0);
  AppendCloseAndCheck(std::move(*log), dir);
}

// The data directory's checkpoints, through LogManager.
class TestDataDir {
 public:
  TestDataDir() : dir_(JoinPath(scratch_.path(), "data")) {
    auto manager = Open();
    REQUIRE_OK(manager);
    auto log = (*manager)->GetOrCreateLog(kTopic, 0, TestConfig());
    REQUIRE_OK(log);
    AppendContent(*log, 3, 5);
    end_ = (*log)->log_end_offset();
    REQUIRE_OK((*manager)->Close());
  }
  absl::StatusOr<std::unique_ptr<LogManager>> Open() const {
    LogManagerOptions options;
    options.dir = dir_;
    options.config_for = [](const std::string&) { return TestConfig(); };
    return LogManager::Open(options);
  }
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return JoinPath(dir_, name); }
  std::string partition_dir() const { return path(absl::StrCat(kTopic, "-0")); }
  int64_t end() const { return end_; }

 private:
  testing::TempDir scratch_;
  std::string dir_;
  int64_t end_ = 0;
};

TEST_CASE("the data directory's checkpoints are written in Kafka's text format",
          "[storage][checkpoint]") {
  TestDataDir d;
  REQUIRE(testing::ReadFileBytes(d.path(kRecoveryPointCheckpoint)) ==
          absl::StrCat("0\n1\n", kTopic, " 0 ", d.end(), "\n"));
  REQUIRE(testing::ReadFileBytes(d.path(kLogStartOffsetCheckpoint)) ==
          absl::StrCat("0\n1\n", kTopic, " 0 0\n"));
  REQUIRE(testing::ReadFileBytes(JoinPath(d.partition_dir(), kLeaderEpochCheckpoint)) ==
          "0\n1\n0 0\n");
  REQUIRE(testing::FileExists(d.path(kCleanShutdownMarker)));
}

TEST_CASE("a corrupt recovery-point or log-start checkpoint only costs a longer recovery",
          "[storage][checkpoint][corruption]") {
  TestDataDir d;
  std::string garbage =
      GENERATE(std::string(""), std::string("0\n"), std::string("7\n1\nx 0 1\n"),
               std::string("0\n2\ndamaged 0 5\n"), std::string("0\n1\ndamaged zero 5\n"),
               std::string("\xff\xfe garbage"));
  INFO("checkpoint text: '" << garbage << "'");
  bool unclean = GENERATE(true, false);
  if (unclean) RemoveFile(d.path(kCleanShutdownMarker));
  testing::WriteFileBytes(d.path(kRecoveryPointCheckpoint), garbage);
  testing::WriteFileBytes(d.path(kLogStartOffsetCheckpoint), garbage);
  auto manager = d.Open();
  REQUIRE_OK(manager);
  const LogLoadReport& report = (*manager)->load_reports().at({kTopic, 0});
  INFO(Describe(report));
  // Without a recovery point an unclean open rescans every segment.
  CHECK(report.recovered_segments == (unclean ? 3 : 0));
  Log* log = (*manager)->GetLog(kTopic, 0);
  REQUIRE(log != nullptr);
  REQUIRE(log->log_start_offset() == 0);
  REQUIRE(log->log_end_offset() == d.end());
  testing::CheckLogContent(*log, kSeed);
  REQUIRE_OK((*manager)->Close());
  // Closing wrote good checkpoints again.
  REQUIRE(testing::ReadFileBytes(d.path(kRecoveryPointCheckpoint)) ==
          absl::StrCat("0\n1\n", kTopic, " 0 ", d.end(), "\n"));
}

TEST_CASE("a recovery point past the log end rescans only the last segment",
          "[storage][checkpoint]") {
  TestDataDir d;
  RemoveFile(d.path(kCleanShutdownMarker));
  testing::WriteFileBytes(d.path(kRecoveryPointCheckpoint),
                          absl::StrCat("0\n1\n", kTopic, " 0 1000000000\n"));
  auto manager = d.Open();
  REQUIRE_OK(manager);
  const LogLoadReport& report = (*manager)->load_reports().at({kTopic, 0});
  INFO(Describe(report));
  CHECK(report.recovered_segments == 1);
  Log* log = (*manager)->GetLog(kTopic, 0);
  REQUIRE(log->log_end_offset() == d.end());
  REQUIRE(log->recovery_point() == d.end());
}

TEST_CASE("a corrupt leader-epoch-checkpoint fails the open with a status naming it",
          "[storage][checkpoint][corruption]") {
  TestDataDir d;
  testing::WriteFileBytes(JoinPath(d.partition_dir(), kLeaderEpochCheckpoint), "0\n1\nzero 0\n");
  auto manager = d.Open();
  REQUIRE_FALSE(manager.ok());
  CHECK(absl::IsDataLoss(manager.status()));
  CHECK(absl::StrContains(manager.status().message(), kLeaderEpochCheckpoint));
}

// Applies one seeded-random piece of damage to a file of `dir`; returns
// what it did.
std::string Damage(const std::string& dir, std::mt19937_64& rng) {
  std::vector<std::string> names = testing::ListNames(dir);
  REQUIRE(!names.empty());
  std::string name = names[rng() % names.size()];
  std::string path = JoinPath(dir, name);
  std::string bytes = testing::ReadFileBytes(path);
  switch (rng() % 6) {
    case 0: {  // Flip a bit.
      if (bytes.empty()) return "nothing (empty file)";
      size_t at = rng() % bytes.size();
      int bit = static_cast<int>(rng() % 8);
      bytes[at] = static_cast<char>(bytes[at] ^ (1 << bit));
      testing::WriteFileBytes(path, bytes);
      return absl::StrCat("flipped bit ", bit, " of byte ", at, " of ", name);
    }
    case 1: {  // Flip a bit in a batch header, where framing lives.
      if (bytes.size() < 61) return "nothing (short file)";
      size_t at = rng() % 61;
      bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
      testing::WriteFileBytes(path, bytes);
      return absl::StrCat("flipped a bit of header byte ", at, " of ", name);
    }
    case 2: {
      size_t size = bytes.empty() ? 0 : rng() % bytes.size();
      TruncateFile(path, size);
      return absl::StrCat("truncated ", name, " to ", size);
    }
    case 3:
      RemoveFile(path);
      return absl::StrCat("removed ", name);
    case 4: {
      std::string garbage(1 + rng() % 300, '\0');
      for (char& c : garbage) c = static_cast<char>(rng());
      AppendToFile(path, garbage);
      return absl::StrCat("appended ", garbage.size(), " random bytes to ", name);
    }
    default: {
      if (bytes.empty()) return "nothing (empty file)";
      size_t at = rng() % bytes.size();
      size_t n = std::min<size_t>(bytes.size() - at, 1 + rng() % 5000);
      std::fill_n(bytes.begin() + static_cast<ptrdiff_t>(at), n, '\0');
      testing::WriteFileBytes(path, bytes);
      return absl::StrCat("zeroed ", n, " bytes at ", at, " of ", name);
    }
  }
}

// Everything a consumer and the writer would do with the log. Statuses may
// be errors, but must say what is wrong; nothing may crash or hang.
void ExerciseDamagedLog(Log* log, bool all_validated) {
  int64_t next = log->log_start_offset();
  int reads = 0;
  ByteBuffer scratch;
  while (next < log->log_end_offset() && reads++ < 10000) {
    auto read = log->Read(next, 50000);
    if (!read.ok()) {
      CHECK_FALSE(read.status().message().empty());
      break;
    }
    if (read->batches.empty()) break;
    format::BatchScanner scanner(read->batches);
    format::BatchScanner::Slice slice;
    int64_t after = next;
    while (true) {
      auto more = scanner.Next(&slice);
      if (!more.ok() || !*more) break;
      auto view = format::RecordBatchView::Parse(slice.bytes);
      if (!view.ok()) {
        CHECK_FALSE(view.status().message().empty());
        break;
      }
      absl::Status valid = view->Validate(&scratch);
      // Recovery validated every batch it kept.
      if (all_validated) REQUIRE_OK(valid);
      if (!valid.ok()) CHECK_FALSE(valid.message().empty());
      after = std::max(after, view->next_offset());
    }
    if (after <= next) break;  // A damaged, trusted segment: stop here.
    next = after;
  }
  auto by_time = log->OffsetForTimestamp(testing::kContentBaseTimeMs + 5000);
  if (!by_time.ok()) CHECK_FALSE(by_time.status().message().empty());
  auto batch = testing::BuildBatchAt(kSeed, log->log_end_offset(), -1);
  REQUIRE_OK(batch);
  auto info = log->Append(MutableByteSpan(batch->data(), batch->size()));
  if (!info.ok()) CHECK_FALSE(info.status().message().empty());
  absl::Status closed = log->Close();
  if (!closed.ok()) CHECK_FALSE(closed.message().empty());
}

TEST_CASE("random damage never crashes a load, a read or an append", "[storage][corruption]") {
  const uint64_t seed = std::random_device{}();
  std::mt19937_64 rng(seed);
  TestLog t;
  for (int iteration = 0; iteration < 40; ++iteration) {
    std::string copy = JoinPath(t.scratch(), absl::StrCat("copy", iteration, "-0"));
    fs::copy(t.dir(), copy);
    std::vector<std::string> damage;
    int pieces = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < pieces; ++i) damage.push_back(Damage(copy, rng));
    bool clean = rng() % 2 == 0;
    INFO("seed " << seed << ", iteration " << iteration << ", " << (clean ? "clean" : "unclean")
                 << " open after: " << absl::StrJoin(damage, "; "));
    LogLoadReport report;
    auto log = OpenLog(copy, clean, -1, &report);
    if (!log.ok()) {
      // Only a broken leader-epoch-checkpoint may stop the open.
      CHECK(absl::IsDataLoss(log.status()));
      CHECK(absl::StrContains(log.status().message(), kLeaderEpochCheckpoint));
      continue;
    }
    INFO(Describe(report));
    ExerciseDamagedLog(log->get(), /*all_validated=*/!clean);
    log->reset();
    fs::remove_all(copy);
  }
}

}  // namespace
}  // namespace rill::storage
