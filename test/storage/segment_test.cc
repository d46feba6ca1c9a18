// One segment (Kafka's LogSegment): appends in both write modes, reads by
// offset and timestamp, the sparse index rule (reference 2.4), sealing,
// reopening, recovery and truncation.

#include "lib/storage/segment.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "lib/storage/log_file_names.h"
#include "lib/storage/zero_filler.h"
#include "test/storage/storage_test_util.h"

namespace rill::storage {
namespace {

using testing::FileBytes;
using testing::FileSize;
using testing::kT0;
using testing::MakeBatchOfSize;
using testing::TestBatch;

const std::string kDir = "/p";
constexpr int64_t kBase = 1000;

SegmentOptions SmallOptions(SegmentWriteMode mode) {
  SegmentOptions o;
  o.segment_bytes = 256 * 1024;
  o.max_index_bytes = 4096;
  o.write_mode = mode;
  return o;
}

// A batch at `base_offset` of `records` records, `bytes` long in all when
// `records` is 1.
struct Appended {
  int64_t base_offset, last_offset;
  uint64_t position, bytes;
  int64_t timestamp;
  std::vector<uint8_t> data;
};

class SegmentFixture {
 public:
  explicit SegmentFixture(SegmentWriteMode mode = SegmentWriteMode::kMmap)
      : options(SmallOptions(mode)) {
    fs = FileSystem::NewInMemory();
    REQUIRE_OK(fs->CreateDirs(kDir));
  }

  std::shared_ptr<Segment> Create() {
    auto s = Segment::Create(fs.get(), kDir, kBase, options, kT0);
    REQUIRE_OK(s);
    return *s;
  }
  std::shared_ptr<Segment> Open(bool active, bool read_only = false) {
    auto s = Segment::Open(fs.get(), kDir, kBase, options, active, read_only);
    REQUIRE_OK(s);
    return *s;
  }

  // Appends a one-record batch of `bytes` bytes at the next offset.
  Appended Append(Segment& segment, uint64_t bytes, int64_t timestamp) {
    format::BatchOptions o;
    o.base_offset = next_offset;
    TestBatch b = MakeBatchOfSize(bytes, timestamp, o);
    Appended a{next_offset, next_offset, segment.size(), b.size(), timestamp, b.bytes};
    REQUIRE_OK(segment.Append(ByteSpan(b.bytes.data(), b.size()), a.last_offset, timestamp,
                              a.last_offset));
    ++next_offset;
    appended.push_back(a);
    return a;
  }

  std::string Path(absl::string_view suffix) const {
    return JoinPath(kDir, SegmentFileName(kBase, suffix));
  }

  SegmentOptions options;
  std::unique_ptr<FileSystem> fs;
  int64_t next_offset = kBase;
  std::vector<Appended> appended;
};

SegmentWriteMode AnyMode() { return GENERATE(SegmentWriteMode::kMmap, SegmentWriteMode::kPwrite); }
const char* ModeName(SegmentWriteMode m) {
  return m == SegmentWriteMode::kMmap ? "mmap" : "pwrite";
}

TEST_CASE("a new segment has empty files named after its base offset", "[storage][segment]") {
  SegmentFixture f;
  auto segment = f.Create();
  CHECK(segment->base_offset() == kBase);
  CHECK(segment->log_path() == "/p/00000000000000001000.log");
  CHECK(segment->size() == 0);
  CHECK(segment->active());
  CHECK(segment->max_timestamp() == -1);
  CHECK_FALSE(segment->first_batch_timestamp().has_value());
  CHECK(segment->created_ms() == kT0);
  CHECK(segment->ReadNextOffset() == -1);
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == 0);
  CHECK(FileSize(f.fs.get(), f.Path(".index")) == 4096);
  CHECK(FileSize(f.fs.get(), f.Path(".timeindex")) == 4092);
  auto again = Segment::Create(f.fs.get(), kDir, kBase, f.options, kT0);
  CHECK(absl::IsAlreadyExists(again.status()));
}

TEST_CASE("appended batches read back byte for byte in both write modes", "[storage][segment]") {
  SegmentWriteMode mode = AnyMode();
  INFO(ModeName(mode));
  SegmentFixture f(mode);
  auto segment = f.Create();
  for (int i = 0; i < 20; ++i) f.Append(*segment, 100 + 37 * i, kT0 + i);

  uint64_t total = 0;
  for (const Appended& a : f.appended) {
    CHECK(a.position == total);
    ByteSpan bytes = segment->Slice(a.position, a.position + a.bytes);
    CHECK(std::vector<uint8_t>(bytes.begin(), bytes.end()) == a.data);
    total += a.bytes;
  }
  CHECK(segment->size() == total);
  CHECK(segment->ReadNextOffset() == kBase + 20);
  CHECK(segment->max_timestamp() == kT0 + 19);
  CHECK(segment->first_batch_timestamp() == kT0);
  // The file holds the same bytes (pwrite and mapping share the page cache).
  std::string file = FileBytes(f.fs.get(), f.Path(".log")).substr(0, total);
  std::string expected;
  for (const Appended& a : f.appended) expected.append(a.data.begin(), a.data.end());
  CHECK(file == expected);
}

TEST_CASE("FindBatchPosition finds the batch holding an offset, or none past the end",
          "[storage][segment]") {
  SegmentFixture f;
  f.options.index_interval_bytes = 250;  // Some index entries to start from.
  auto segment = f.Create();
  for (int i = 0; i < 12; ++i) f.Append(*segment, 200, kT0);
  REQUIRE(segment->offset_index().entry_count() > 0);

  for (const Appended& a : f.appended) {
    INFO("offset " << a.base_offset);
    CHECK(segment->FindBatchPosition(a.base_offset, segment->size()) == a.position);
  }
  CHECK(segment->FindBatchPosition(0, segment->size()) == 0u);  // Below the base: the first.
  CHECK_FALSE(segment->FindBatchPosition(kBase + 12, segment->size()).has_value());
  // A limit hides the batches past it.
  CHECK_FALSE(segment->FindBatchPosition(kBase + 5, f.appended[5].position).has_value());
  CHECK(segment->FindBatchPosition(kBase + 5, f.appended[6].position) == f.appended[5].position);
}

TEST_CASE("a multi-record batch is found by any of its offsets", "[storage][segment]") {
  SegmentFixture f;
  auto segment = f.Create();
  format::BatchOptions o;
  o.base_offset = kBase;
  TestBatch first = testing::MakeBatch({"a", "b", "c"}, kT0, o);
  o.base_offset = kBase + 3;
  TestBatch second = testing::MakeBatch({"d", "e"}, kT0 + 5, o);
  REQUIRE_OK(
      segment->Append(ByteSpan(first.bytes.data(), first.size()), kBase + 2, kT0, kBase + 2));
  REQUIRE_OK(
      segment->Append(ByteSpan(second.bytes.data(), second.size()), kBase + 4, kT0 + 5, kBase + 4));
  CHECK(segment->FindBatchPosition(kBase + 1, segment->size()) == 0u);
  CHECK(segment->FindBatchPosition(kBase + 2, segment->size()) == 0u);
  CHECK(segment->FindBatchPosition(kBase + 3, segment->size()) == first.size());
  CHECK(segment->FindBatchPosition(kBase + 4, segment->size()) == first.size());
  CHECK(segment->ReadNextOffset() == kBase + 5);
  CHECK(segment->FindTimestampPosition(kT0 + 1) == first.size());
  CHECK(segment->FindTimestampPosition(kT0) == 0u);
  CHECK_FALSE(segment->FindTimestampPosition(kT0 + 6).has_value());
}

TEST_CASE(
    "the first batch never gets an index entry; one follows each crossing of "
    "index.interval.bytes",
    "[storage][segment][index]") {
  SegmentFixture f;
  auto segment = f.Create();
  // 1000-byte batches and the default 4096-byte interval: an entry goes to
  // the batch appended when more than 4096 bytes came since the last entry:
  // batches 6, 11, 16 (1-based: 5000 bytes before each).
  for (int i = 0; i < 17; ++i) f.Append(*segment, 1000, kT0 + i);
  const OffsetIndex& index = segment->offset_index();
  REQUIRE(index.entry_count() == 3);
  for (int e = 0; e < 3; ++e) {
    const Appended& a = f.appended[5 + 5 * e];
    INFO("entry " << e);
    CHECK(index.entry(e).offset == a.last_offset);
    CHECK(index.entry(e).position == a.position);
  }
  // The time index gets (max timestamp so far, its offset) at the same batches.
  const TimeIndex& time_index = segment->time_index();
  REQUIRE(time_index.entry_count() == 3);
  CHECK(time_index.entry(0).timestamp == kT0 + 5);
  CHECK(time_index.entry(0).offset == kBase + 5);
  CHECK(time_index.entry(2).timestamp == kT0 + 15);
}

TEST_CASE("with index.interval.bytes 0 every batch but the first gets an entry",
          "[storage][segment][index]") {
  SegmentFixture f;
  f.options.index_interval_bytes = 0;
  auto segment = f.Create();
  for (int i = 0; i < 4; ++i) f.Append(*segment, 100, kT0);
  const OffsetIndex& index = segment->offset_index();
  REQUIRE(index.entry_count() == 3);
  CHECK(index.entry(0).offset == kBase + 1);
  CHECK(index.entry(0).position == f.appended[1].position);
  CHECK(index.entry(2).offset == kBase + 3);
  // Equal timestamps: only the first entry's is above the "none" before it.
  CHECK(segment->time_index().entry_count() == 1);
}

TEST_CASE("the time index tracks the largest timestamp even when batches go back in time",
          "[storage][segment][index]") {
  SegmentFixture f;
  f.options.index_interval_bytes = 0;
  auto segment = f.Create();
  f.Append(*segment, 100, kT0 + 50);
  f.Append(*segment, 100, kT0 + 10);  // Entry: max so far is still batch 0's.
  f.Append(*segment, 100, kT0 + 60);
  f.Append(*segment, 100, kT0 + 20);
  const TimeIndex& t = segment->time_index();
  REQUIRE(t.entry_count() == 2);
  CHECK(t.entry(0).timestamp == kT0 + 50);
  CHECK(t.entry(0).offset == kBase);
  CHECK(t.entry(1).timestamp == kT0 + 60);
  CHECK(t.entry(1).offset == kBase + 2);
  CHECK(segment->max_timestamp() == kT0 + 60);
  CHECK(segment->first_batch_timestamp() == kT0 + 50);
}

TEST_CASE("Seal trims the .log and both indexes to exactly their contents", "[storage][segment]") {
  SegmentWriteMode mode = AnyMode();
  INFO(ModeName(mode));
  SegmentFixture f(mode);
  auto segment = f.Create();
  for (int i = 0; i < 13; ++i) f.Append(*segment, 1000, kT0 + i);
  REQUIRE(segment->offset_index().entry_count() == 2);
  REQUIRE(segment->time_index().entry_count() == 2);
  // A mapped segment reserves chunks ahead; a pwrite one grows as written.
  if (mode == SegmentWriteMode::kMmap) {
    CHECK(FileSize(f.fs.get(), f.Path(".log")) > segment->size());
  } else {
    CHECK(FileSize(f.fs.get(), f.Path(".log")) == segment->size());
  }

  REQUIRE_OK(segment->Seal());
  CHECK_FALSE(segment->active());
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == 13000);
  CHECK(FileSize(f.fs.get(), f.Path(".index")) == 2 * 8);
  // Plus the roll entry: the segment's largest timestamp and its offset.
  REQUIRE(segment->time_index().entry_count() == 3);
  CHECK(FileSize(f.fs.get(), f.Path(".timeindex")) == 3 * 12);
  CHECK(segment->time_index().entry(2).timestamp == kT0 + 12);
  CHECK(segment->time_index().entry(2).offset == kBase + 12);
  // Still readable; no longer appendable.
  CHECK(segment->FindBatchPosition(kBase + 7, segment->size()) == 7000u);
  absl::Status s =
      segment->Append(ByteSpan(f.appended[0].data.data(), 1000), kBase + 13, kT0, kBase + 13);
  CHECK(absl::IsFailedPrecondition(s));
  REQUIRE_OK(segment->Seal());  // Twice is harmless.
}

TEST_CASE("preallocate reserves all of segment.bytes at creation and Seal gives it back",
          "[storage][segment]") {
  SegmentFixture f;
  f.options.preallocate = true;
  f.options.segment_bytes = 64 * 1024;
  auto segment = f.Create();
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == 64 * 1024);
  f.Append(*segment, 500, kT0);
  REQUIRE_OK(segment->Seal());
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == 500);
}

TEST_CASE("a sealed segment reopens with the same size, indexes and timestamps",
          "[storage][segment]") {
  SegmentFixture f;
  std::string index_bytes, time_bytes;
  {
    auto segment = f.Create();
    for (int i = 0; i < 13; ++i) f.Append(*segment, 1000, kT0 + i);
    REQUIRE_OK(segment->Seal());
    index_bytes = FileBytes(f.fs.get(), f.Path(".index"));
    time_bytes = FileBytes(f.fs.get(), f.Path(".timeindex"));
  }
  auto segment = f.Open(/*active=*/false);
  CHECK_FALSE(segment->needs_recovery());
  CHECK_FALSE(segment->active());
  CHECK(segment->size() == 13000);
  CHECK(segment->offset_index().entry_count() == 2);
  CHECK(segment->time_index().entry_count() == 3);
  CHECK(segment->max_timestamp() == kT0 + 12);
  CHECK(segment->first_batch_timestamp() == kT0);
  CHECK(segment->ReadNextOffset() == kBase + 13);
  for (const Appended& a : f.appended) {
    CHECK(segment->FindBatchPosition(a.base_offset, segment->size()) == a.position);
  }
  // Opening read it; it changed nothing.
  CHECK(FileBytes(f.fs.get(), f.Path(".index")) == index_bytes);
  CHECK(FileBytes(f.fs.get(), f.Path(".timeindex")) == time_bytes);
}

TEST_CASE("a sealed segment reopened as the active one takes more appends", "[storage][segment]") {
  SegmentWriteMode mode = AnyMode();
  INFO(ModeName(mode));
  SegmentFixture f(mode);
  {
    auto segment = f.Create();
    for (int i = 0; i < 6; ++i) f.Append(*segment, 1000, kT0 + i);
    REQUIRE_OK(segment->Seal());
  }
  auto segment = f.Open(/*active=*/true);
  CHECK(segment->active());
  CHECK(FileSize(f.fs.get(), f.Path(".index")) == 4096);  // Re-expanded.
  for (int i = 6; i < 12; ++i) f.Append(*segment, 1000, kT0 + i);
  CHECK(segment->size() == 12000);
  CHECK(segment->ReadNextOffset() == kBase + 12);
  for (const Appended& a : f.appended) {
    ByteSpan bytes = segment->Slice(a.position, a.position + a.bytes);
    CHECK(std::vector<uint8_t>(bytes.begin(), bytes.end()) == a.data);
  }
}

TEST_CASE("Recover rebuilds indexes identical to those the appends wrote", "[storage][segment]") {
  SegmentFixture f;
  std::string index_bytes, time_bytes;
  {
    auto segment = f.Create();
    for (int i = 0; i < 23; ++i) f.Append(*segment, 700 + 10 * i, kT0 + (i * 7) % 11);
    REQUIRE_OK(segment->Seal());
    index_bytes = FileBytes(f.fs.get(), f.Path(".index"));
    time_bytes = FileBytes(f.fs.get(), f.Path(".timeindex"));
    REQUIRE(index_bytes.size() >= 3 * 8);
  }
  auto segment = f.Open(/*active=*/false);
  auto recovery = segment->Recover();
  REQUIRE_OK(recovery);
  CHECK(recovery->batches == 23);
  CHECK(recovery->valid_bytes == segment->size());
  CHECK(recovery->truncated_bytes == 0);
  CHECK(recovery->corruption.empty());
  CHECK(recovery->next_offset == kBase + 23);
  REQUIRE_OK(segment->TrimIndexes());
  CHECK(FileBytes(f.fs.get(), f.Path(".index")) == index_bytes);
  CHECK(FileBytes(f.fs.get(), f.Path(".timeindex")) == time_bytes);
  CHECK(segment->max_timestamp() == kT0 + 10);
}

TEST_CASE("a missing or corrupt index is flagged for recovery and rebuilt", "[storage][segment]") {
  SegmentFixture f;
  std::string index_bytes;
  {
    auto segment = f.Create();
    for (int i = 0; i < 13; ++i) f.Append(*segment, 1000, kT0 + i);
    REQUIRE_OK(segment->Seal());
    index_bytes = FileBytes(f.fs.get(), f.Path(".index"));
  }
  SECTION("missing .index") { REQUIRE_OK(f.fs->RemoveFile(f.Path(".index"))); }
  SECTION("entries that go back") {
    testing::WriteFile(f.fs.get(), f.Path(".index"), index_bytes.substr(8) + index_bytes);
  }
  SECTION("a length that is not whole entries") {
    testing::WriteFile(f.fs.get(), f.Path(".index"), index_bytes + "xyz");
  }
  auto segment = f.Open(/*active=*/false);
  CHECK(segment->needs_recovery());
  REQUIRE_OK(segment->Recover());
  REQUIRE_OK(segment->TrimIndexes());
  CHECK(FileBytes(f.fs.get(), f.Path(".index")) == index_bytes);
}

TEST_CASE("Recover cuts a zero-filled preallocated tail without calling it corruption",
          "[storage][segment][recovery]") {
  // Only a mapped segment reserves a chunk ahead (a pwrite one does with
  // preallocate=true, as the preallocation test checks).
  SegmentFixture f(SegmentWriteMode::kMmap);
  {
    auto segment = f.Create();
    for (int i = 0; i < 5; ++i) f.Append(*segment, 1000, kT0 + i);
    // Dropped without Seal, as a crash would: the file keeps its chunk.
  }
  uint64_t file_size = FileSize(f.fs.get(), f.Path(".log"));
  REQUIRE(file_size > 5000);
  auto segment = f.Open(/*active=*/true);
  auto recovery = segment->Recover();
  REQUIRE_OK(recovery);
  CHECK(recovery->valid_bytes == 5000);
  CHECK(recovery->truncated_bytes == file_size - 5000);
  CHECK(recovery->zero_tail);
  CHECK(recovery->corruption.empty());
  CHECK(recovery->batches == 5);
  CHECK(segment->size() == 5000);
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == 5000);
  // Appends go on right after the last batch.
  f.Append(*segment, 1000, kT0 + 5);
  CHECK(segment->FindBatchPosition(kBase + 5, segment->size()) == 5000u);
  CHECK(segment->ReadNextOffset() == kBase + 6);
}

TEST_CASE("Recover cuts a torn last batch and says why", "[storage][segment][recovery]") {
  SegmentFixture f;
  {
    auto segment = f.Create();
    for (int i = 0; i < 3; ++i) f.Append(*segment, 1000, kT0 + i);
    REQUIRE_OK(segment->Seal());
  }
  {
    auto log = f.fs->Open(f.Path(".log"), FileSystem::OpenMode::kReadWrite);
    REQUIRE_OK(log);
    REQUIRE_OK((*log)->Truncate(2600));  // Half of the third batch.
  }
  auto segment = f.Open(/*active=*/true);
  auto recovery = segment->Recover();
  REQUIRE_OK(recovery);
  CHECK(recovery->valid_bytes == 2000);
  CHECK(recovery->truncated_bytes == 600);
  CHECK_FALSE(recovery->zero_tail);
  CHECK(absl::StrContains(recovery->corruption, "incomplete"));
  CHECK(recovery->next_offset == kBase + 2);
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == 2000);
}

TEST_CASE("TruncateTo drops whole batches from the one holding the offset",
          "[storage][segment][truncate]") {
  SegmentWriteMode mode = AnyMode();
  INFO(ModeName(mode));
  SegmentFixture f(mode);
  f.options.index_interval_bytes = 0;
  auto segment = f.Create();
  format::BatchOptions o;
  std::vector<TestBatch> batches;
  for (int i = 0; i < 4; ++i) {
    o.base_offset = kBase + 3 * i;  // Three records per batch.
    batches.push_back(testing::MakeBatch({"a", "b", "c"}, kT0 + i, o));
    REQUIRE_OK(segment->Append(ByteSpan(batches.back().bytes.data(), batches.back().size()),
                               kBase + 3 * i + 2, kT0 + i, kBase + 3 * i + 2));
  }
  uint64_t batch_bytes = batches[0].size();

  auto removed = segment->TruncateTo(kBase + 7);  // Inside the third batch.
  REQUIRE_OK(removed);
  CHECK(*removed == 2 * batch_bytes);
  CHECK(segment->size() == 2 * batch_bytes);
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == 2 * batch_bytes);
  CHECK(segment->ReadNextOffset() == kBase + 6);
  CHECK(segment->offset_index().entry_count() == 1);  // Only the second batch's.
  CHECK(segment->offset_index().last_offset() == kBase + 5);
  CHECK(segment->time_index().last_entry().offset < kBase + 6);
  CHECK(segment->max_timestamp() == kT0 + 1);
  CHECK_FALSE(segment->FindBatchPosition(kBase + 6, segment->size()).has_value());

  SECTION("past the end removes nothing") {
    auto none = segment->TruncateTo(kBase + 100);
    REQUIRE_OK(none);
    CHECK(*none == 0);
  }
  SECTION("appends go on at the cut") {
    o.base_offset = kBase + 6;
    TestBatch next = testing::MakeBatch({"x"}, kT0 + 9, o);
    REQUIRE_OK(
        segment->Append(ByteSpan(next.bytes.data(), next.size()), kBase + 6, kT0 + 9, kBase + 6));
    CHECK(segment->FindBatchPosition(kBase + 6, segment->size()) == 2 * batch_bytes);
    CHECK(segment->ReadNextOffset() == kBase + 7);
  }
  SECTION("to the base empties it") {
    auto all = segment->TruncateTo(kBase);
    REQUIRE_OK(all);
    CHECK(segment->size() == 0);
    CHECK_FALSE(segment->first_batch_timestamp().has_value());
    CHECK(segment->offset_index().entry_count() == 0);
  }
}

TEST_CASE("truncating a sealed segment leaves no stale index entries on disk",
          "[storage][segment][truncate]") {
  SegmentFixture f;
  f.options.index_interval_bytes = 0;
  {
    auto segment = f.Create();
    for (int i = 0; i < 8; ++i) f.Append(*segment, 200, kT0 + i);
    REQUIRE_OK(segment->Seal());
    REQUIRE(segment->offset_index().entry_count() == 7);
    REQUIRE_OK(segment->TruncateTo(kBase + 4));
  }
  CHECK(FileSize(f.fs.get(), f.Path(".index")) == 3 * 8);
  auto segment = f.Open(/*active=*/true);
  CHECK(segment->offset_index().entry_count() == 3);
  CHECK(segment->offset_index().last_offset() == kBase + 3);
  CHECK(segment->time_index().last_entry().offset <= kBase + 3);
  CHECK(segment->ReadNextOffset() == kBase + 4);
}

TEST_CASE("renamed .deleted files stay readable and DeleteFiles removes them",
          "[storage][segment]") {
  SegmentFixture f;
  auto segment = f.Create();
  Appended a = f.Append(*segment, 300, kT0);
  REQUIRE_OK(segment->Seal());
  REQUIRE_OK(segment->RenameFilesWithSuffix(".deleted"));
  CHECK(testing::ListSorted(f.fs.get(), kDir) ==
        std::vector<std::string>{"00000000000000001000.index.deleted",
                                 "00000000000000001000.log.deleted",
                                 "00000000000000001000.timeindex.deleted"});
  CHECK(segment->log_path() == "/p/00000000000000001000.log.deleted");
  ByteSpan bytes = segment->Slice(0, a.bytes);
  CHECK(std::vector<uint8_t>(bytes.begin(), bytes.end()) == a.data);
  REQUIRE_OK(segment->DeleteFiles());
  CHECK(testing::ListSorted(f.fs.get(), kDir).empty());
  bytes = segment->Slice(0, a.bytes);  // Still mapped.
  CHECK(std::vector<uint8_t>(bytes.begin(), bytes.end()) == a.data);
}

TEST_CASE("a read-only process sees a segment up to its last complete batch",
          "[storage][segment]") {
  SegmentFixture f;
  auto writer = f.Create();
  for (int i = 0; i < 4; ++i) f.Append(*writer, 1000, kT0 + i);
  // A torn batch after them, as a writer mid-append would leave.
  {
    auto log = f.fs->Open(f.Path(".log"), FileSystem::OpenMode::kReadWrite);
    REQUIRE_OK(log);
    REQUIRE_OK((*log)->WriteAt(4000, ByteSpan(f.appended[0].data.data(), 100)));
  }
  auto reader = f.Open(/*active=*/true, /*read_only=*/true);
  CHECK_FALSE(reader->active());
  CHECK(reader->ScanValidPrefix() == 4000);
  CHECK(reader->size() == 4000);
  CHECK(reader->ReadNextOffset() == kBase + 4);
}

// ---- Zero fill ahead (zero_filler.h) ----

namespace zero_fill {

// Every appended batch reads back from the segment and from the file.
void CheckAppended(const SegmentFixture& f, const Segment& segment) {
  std::string file = FileBytes(f.fs.get(), f.Path(".log"));
  REQUIRE(file.size() >= segment.size());
  for (const Appended& a : f.appended) {
    ByteSpan bytes = segment.Slice(a.position, a.position + a.bytes);
    REQUIRE(std::vector<uint8_t>(bytes.begin(), bytes.end()) == a.data);
    REQUIRE(file.compare(a.position, a.bytes, std::string(a.data.begin(), a.data.end())) == 0);
  }
}

// Drops `segment` without Seal (what a kill leaves), reopens it and
// recovers: every batch is kept and the zero tail of `zero_bytes` cut.
std::shared_ptr<Segment> RecoverAfterCrash(SegmentFixture& f, std::shared_ptr<Segment> segment,
                                           uint64_t zero_bytes) {
  const uint64_t size = segment->size();
  segment.reset();
  auto reopened = f.Open(/*active=*/true);
  auto recovery = reopened->Recover();
  REQUIRE_OK(recovery);
  CHECK(recovery->valid_bytes == size);
  CHECK(recovery->zero_tail);
  CHECK(recovery->corruption.empty());
  CHECK(recovery->truncated_bytes == zero_bytes);
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == size);
  CheckAppended(f, *reopened);
  return reopened;
}

bool AllZero(const std::string& s, size_t from) {
  return s.find_first_not_of('\0', from) == std::string::npos;
}

// A pwrite segment of ten 700-byte batches with one 16 KiB chunk of zeros
// ahead (starting a quarter chunk past the batches, page aligned).
std::shared_ptr<Segment> WithZerosAhead(SegmentFixture& f) {
  auto segment = f.Create();
  for (int i = 0; i < 10; ++i) f.Append(*segment, 700, kT0 + i);
  REQUIRE(segment->TakeZeroFillRequest(16384));
  REQUIRE_OK(segment->ZeroFillChunk(16384));
  return segment;
}

}  // namespace zero_fill

TEST_CASE("zero fill writes zeros only past the writer and Seal cuts them off",
          "[storage][segment][zero_fill]") {
  SegmentFixture f(SegmentWriteMode::kPwrite);
  auto segment = f.Create();
  f.Append(*segment, 300, kT0);
  REQUIRE(segment->TakeZeroFillRequest(16384));
  CHECK_FALSE(segment->TakeZeroFillRequest(16384));  // One pending request at a time.
  REQUIRE_OK(segment->ZeroFillChunk(8192));
  // Page aligned after the 300 bytes written: [4096, 12288) is zeros now.
  CHECK(segment->zero_filled() == 4096 + 8192);
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == 4096 + 8192);
  segment->FinishZeroFillRequest();
  // Writes below the zero-filled end and past it both land intact.
  for (int i = 0; i < 40; ++i) f.Append(*segment, 500, kT0 + i);
  REQUIRE(segment->size() > segment->zero_filled());
  REQUIRE(segment->TakeZeroFillRequest(16384));
  REQUIRE_OK(segment->ZeroFillChunk(8192));
  // The filler starts a quarter chunk past the writer's end, page aligned.
  CHECK(segment->zero_filled() == (segment->size() + 2048 + 4095) / 4096 * 4096 + 8192);
  zero_fill::CheckAppended(f, *segment);
  std::string file = FileBytes(f.fs.get(), f.Path(".log"));
  CHECK(file.size() == segment->zero_filled());
  CHECK(zero_fill::AllZero(file, segment->size()));
  REQUIRE_OK(segment->Seal());
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == segment->size());
  // A sealed segment takes no more requests.
  CHECK_FALSE(segment->TakeZeroFillRequest(16384));
}

TEST_CASE("the filler's descriptor lives only while zero fill runs",
          "[storage][segment][zero_fill]") {
  auto open_fds = [] {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      (void)entry;
      ++n;
    }
    return n;
  };
  SegmentFixture f(SegmentWriteMode::kPwrite);
  auto segment = f.Create();
  f.Append(*segment, 300, kT0);
  const int before = open_fds();
  REQUIRE(segment->TakeZeroFillRequest(16384));
  CHECK(open_fds() == before + 1);
  REQUIRE_OK(segment->ZeroFillChunk(8192));
  REQUIRE_OK(segment->Seal());
  CHECK(open_fds() == before);
}

TEST_CASE("zero fill never passes segment.bytes and is off in mmap mode",
          "[storage][segment][zero_fill]") {
  {
    SegmentFixture f(SegmentWriteMode::kPwrite);
    f.options.segment_bytes = 20000;
    auto segment = f.Create();
    f.Append(*segment, 300, kT0);
    REQUIRE(segment->TakeZeroFillRequest(1 << 20));
    for (int i = 0; i < 10; ++i) REQUIRE_OK(segment->ZeroFillChunk(8192));
    CHECK(segment->zero_filled() == 20480);  // segment.bytes rounded up to a page.
  }
  {
    SegmentFixture f(SegmentWriteMode::kMmap);
    auto segment = f.Create();
    f.Append(*segment, 300, kT0);
    CHECK_FALSE(segment->TakeZeroFillRequest(16384));
  }
}

TEST_CASE("after a crash with zeros ahead, recovery keeps every batch and cuts the zeros",
          "[storage][segment][zero_fill][recovery]") {
  SegmentFixture f(SegmentWriteMode::kPwrite);
  auto segment = zero_fill::WithZerosAhead(f);
  const uint64_t size = segment->size();
  zero_fill::RecoverAfterCrash(f, std::move(segment),
                               (size + 4096 + 4095) / 4096 * 4096 + 16384 - size);
}

TEST_CASE("TruncateTo stops zero fill and cuts the zeros with the batches",
          "[storage][segment][zero_fill]") {
  SegmentFixture f(SegmentWriteMode::kPwrite);
  auto segment = zero_fill::WithZerosAhead(f);
  segment->FinishZeroFillRequest();
  auto removed = segment->TruncateTo(kBase + 5);
  REQUIRE_OK(removed);
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == segment->size());
  CHECK_FALSE(segment->TakeZeroFillRequest(16384));
  f.appended.resize(5);
  f.next_offset = kBase + 5;
  f.Append(*segment, 700, kT0);
  zero_fill::CheckAppended(f, *segment);
}

TEST_CASE("a writer racing the zero filler never loses a byte", "[storage][segment][zero_fill]") {
  // Small chunks close ahead of the writer, so writes often reach the range
  // being zero-filled and must wait for it (ThreadSanitizer runs this too).
  SegmentFixture f(SegmentWriteMode::kPwrite);
  f.options.segment_bytes = 1 << 20;
  auto segment = f.Create();
  ZeroFiller filler(/*chunk_bytes=*/4096, /*ahead_bytes=*/8192);
  uint64_t max_filled = 0;
  for (int i = 0; i < 1500; ++i) {
    f.Append(*segment, 200 + (i * 37) % 900, kT0 + i);
    if (segment->TakeZeroFillRequest(filler.ahead_bytes())) filler.Request(segment);
    max_filled = std::max(max_filled, segment->zero_filled());
  }
  zero_fill::CheckAppended(f, *segment);
  CHECK(max_filled > 0);
  REQUIRE_OK(segment->Seal());  // Waits for a chunk in progress, then cuts.
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == segment->size());
  zero_fill::CheckAppended(f, *segment);
}

// ---- Zeros ahead in the page cache (segment.h) ----

namespace zeros_ahead {

constexpr uint64_t kPiece = 256 << 10;  // Segment's kZerosAheadBytes.

// Appends a one-record batch of `bytes` bytes asking for zeros ahead.
void Append(SegmentFixture& f, Segment& segment, uint64_t bytes) {
  format::BatchOptions o;
  o.base_offset = f.next_offset;
  TestBatch b = MakeBatchOfSize(bytes, kT0, o);
  Appended a{f.next_offset, f.next_offset, segment.size(), b.size(), kT0, b.bytes};
  ByteSpan piece(b.bytes.data(), b.size());
  Segment::BatchMeta meta{b.size(), a.last_offset, kT0, a.last_offset};
  REQUIRE_OK(segment.AppendBatches(absl::MakeConstSpan(&piece, 1), absl::MakeConstSpan(&meta, 1),
                                   /*zeros_ahead=*/true));
  ++f.next_offset;
  f.appended.push_back(a);
}

}  // namespace zeros_ahead

TEST_CASE("zeros ahead reach the piece boundary a piece past the writer, and Seal cuts them",
          "[storage][segment][zeros_ahead]") {
  using zeros_ahead::kPiece;
  SegmentFixture f(SegmentWriteMode::kPwrite);
  f.options.segment_bytes = 8 << 20;
  auto segment = f.Create();
  zeros_ahead::Append(f, *segment, 300);
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == 2 * kPiece);
  // Fewer than half a piece ahead only past 1.5 pieces: no zeros until then.
  while (segment->size() + kPiece / 2 <= 2 * kPiece) {
    zeros_ahead::Append(f, *segment, 20000);
    if (segment->size() + kPiece / 2 <= 2 * kPiece) {
      CHECK(FileSize(f.fs.get(), f.Path(".log")) == 2 * kPiece);
    }
  }
  // The append that crossed 1.5 pieces wrote zeros through the boundary a
  // piece past its end.
  CHECK(FileSize(f.fs.get(), f.Path(".log")) ==
        (segment->size() + 2 * kPiece - 1) / kPiece * kPiece);
  for (int i = 0; i < 100; ++i) zeros_ahead::Append(f, *segment, 20000);
  CHECK(FileSize(f.fs.get(), f.Path(".log")) > segment->size() + kPiece / 2);
  zero_fill::CheckAppended(f, *segment);
  CHECK(zero_fill::AllZero(FileBytes(f.fs.get(), f.Path(".log")), segment->size()));
  const uint64_t size = segment->size();
  REQUIRE_OK(segment->Seal());
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == size);
  zero_fill::CheckAppended(f, *segment);
}

TEST_CASE("zeros ahead stop at segment.bytes and never come with mmap writes or preallocate",
          "[storage][segment][zeros_ahead]") {
  {
    SegmentFixture f(SegmentWriteMode::kPwrite);
    f.options.segment_bytes = 20000;
    auto segment = f.Create();
    zeros_ahead::Append(f, *segment, 300);
    CHECK(FileSize(f.fs.get(), f.Path(".log")) == 20480);  // segment.bytes rounded up to a page.
  }
  for (bool preallocate : {false, true}) {
    for (SegmentWriteMode mode : {SegmentWriteMode::kMmap, SegmentWriteMode::kPwrite}) {
      if (!preallocate && mode == SegmentWriteMode::kPwrite) continue;
      INFO(ModeName(mode) << (preallocate ? ", preallocate" : ""));
      // The same appends with and without asking for zeros ahead leave the
      // same file.
      uint64_t sizes[2];
      for (bool ahead : {false, true}) {
        SegmentFixture f(mode);
        f.options.preallocate = preallocate;
        auto segment = f.Create();
        for (int i = 0; i < 5; ++i) {
          if (ahead) {
            zeros_ahead::Append(f, *segment, 3000);
          } else {
            f.Append(*segment, 3000, kT0);
          }
        }
        sizes[ahead] = FileSize(f.fs.get(), f.Path(".log"));
      }
      CHECK(sizes[0] == sizes[1]);
    }
  }
}

TEST_CASE("after a crash with zeros ahead, recovery and a read-only reader stop at the last batch",
          "[storage][segment][zeros_ahead][recovery]") {
  SegmentFixture f(SegmentWriteMode::kPwrite);
  f.options.segment_bytes = 4 << 20;
  auto segment = f.Create();
  for (int i = 0; i < 20; ++i) zeros_ahead::Append(f, *segment, 5000);
  const uint64_t size = segment->size();
  const uint64_t file_size =
      (size + 2 * zeros_ahead::kPiece - 1) / zeros_ahead::kPiece * zeros_ahead::kPiece;
  REQUIRE(FileSize(f.fs.get(), f.Path(".log")) == file_size);
  {
    auto reader = f.Open(/*active=*/true, /*read_only=*/true);
    CHECK(reader->ScanValidPrefix() == size);
    CHECK(reader->ReadNextOffset() == kBase + 20);
  }
  auto reopened = zero_fill::RecoverAfterCrash(f, std::move(segment), file_size - size);
  // Appends go on after the recovered end, zeros ahead again.
  zeros_ahead::Append(f, *reopened, 5000);
  zero_fill::CheckAppended(f, *reopened);
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == file_size);
}

TEST_CASE("TruncateTo cuts zeros ahead with the batches", "[storage][segment][zeros_ahead]") {
  SegmentFixture f(SegmentWriteMode::kPwrite);
  f.options.segment_bytes = 4 << 20;
  auto segment = f.Create();
  for (int i = 0; i < 10; ++i) zeros_ahead::Append(f, *segment, 5000);
  auto removed = segment->TruncateTo(kBase + 5);
  REQUIRE_OK(removed);
  CHECK(segment->size() == f.appended[5].position);
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == segment->size());
  f.appended.resize(5);
  f.next_offset = kBase + 5;
  zeros_ahead::Append(f, *segment, 5000);
  zero_fill::CheckAppended(f, *segment);
  REQUIRE_OK(segment->Seal());
  CHECK(FileSize(f.fs.get(), f.Path(".log")) == segment->size());
}

TEST_CASE("WriteZerosAheadEarly writes once fewer than a piece lie ahead, never elsewhere",
          "[storage][segment][zeros_ahead]") {
  using zeros_ahead::kPiece;
  SECTION("pwrite mode, active segment") {
    SegmentFixture f(SegmentWriteMode::kPwrite);
    f.options.segment_bytes = 8 << 20;
    auto segment = f.Create();
    zeros_ahead::Append(f, *segment, 300);
    REQUIRE(FileSize(f.fs.get(), f.Path(".log")) == 2 * kPiece);
    segment->WriteZerosAheadEarly();  // Almost two pieces ahead.
    CHECK(FileSize(f.fs.get(), f.Path(".log")) == 2 * kPiece);
    // Past one piece, not yet 1.5: the inline write still waits.
    while (segment->size() + kPiece <= 2 * kPiece) zeros_ahead::Append(f, *segment, 20000);
    REQUIRE(segment->size() + kPiece / 2 <= 2 * kPiece);
    CHECK(FileSize(f.fs.get(), f.Path(".log")) == 2 * kPiece);
    segment->WriteZerosAheadEarly();
    CHECK(FileSize(f.fs.get(), f.Path(".log")) ==
          (segment->size() + 2 * kPiece - 1) / kPiece * kPiece);
    zero_fill::CheckAppended(f, *segment);
    CHECK(zero_fill::AllZero(FileBytes(f.fs.get(), f.Path(".log")), segment->size()));
    const uint64_t size = segment->size();
    REQUIRE_OK(segment->Seal());
    CHECK(FileSize(f.fs.get(), f.Path(".log")) == size);
    segment->WriteZerosAheadEarly();  // Sealed: no longer active.
    CHECK(FileSize(f.fs.get(), f.Path(".log")) == size);
  }
  SECTION("mmap writes or preallocation: nothing") {
    for (bool preallocate : {false, true}) {
      for (SegmentWriteMode mode : {SegmentWriteMode::kMmap, SegmentWriteMode::kPwrite}) {
        if (!preallocate && mode == SegmentWriteMode::kPwrite) continue;
        INFO(ModeName(mode) << (preallocate ? ", preallocate" : ""));
        SegmentFixture f(mode);
        f.options.preallocate = preallocate;
        auto segment = f.Create();
        f.Append(*segment, 3000, kT0);
        const uint64_t before = FileSize(f.fs.get(), f.Path(".log"));
        segment->WriteZerosAheadEarly();
        CHECK(FileSize(f.fs.get(), f.Path(".log")) == before);
      }
    }
  }
}

}  // namespace
}  // namespace rill::storage
