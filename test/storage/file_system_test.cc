// The FileSystem seam: the POSIX one and the memfd-backed in-memory one must
// behave alike, since the same segment and recovery code runs on both.

#include "lib/storage/file_system.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "test/storage/storage_test_util.h"
#include "test/support/faulty_file_system.h"

namespace rill::storage {
namespace {

using testing::FileBytes;
using testing::ListSorted;
using testing::TempDir;
using Mode = FileSystem::OpenMode;

// One of the two file systems, with an empty directory to work in.
struct FsFixture {
  explicit FsFixture(bool in_memory) {
    if (in_memory) {
      owned = FileSystem::NewInMemory();
      fs = owned.get();
      root = "/data";
      REQUIRE_OK(fs->CreateDirs(root));
    } else {
      tmp = std::make_unique<TempDir>();
      fs = FileSystem::Posix();
      root = tmp->path();
    }
  }
  std::string Path(const std::string& name) const { return JoinPath(root, name); }

  std::unique_ptr<FileSystem> owned;
  std::unique_ptr<TempDir> tmp;
  FileSystem* fs = nullptr;
  std::string root;
};

std::string Read(File& file, uint64_t offset, size_t n) {
  std::string out(n, '\0');
  REQUIRE_OK(file.ReadAt(offset, MutableByteSpan(reinterpret_cast<uint8_t*>(out.data()), n)));
  return out;
}

TEST_CASE("JoinPath puts exactly one slash between components", "[storage][fs]") {
  CHECK(JoinPath("a", "b") == "a/b");
  CHECK(JoinPath("a/", "b") == "a/b");
  CHECK(JoinPath("", "b") == "b");
  CHECK(JoinPath("/", "b") == "/b");
}

TEST_CASE("a file reads back what was written at any offset, with a hole of zeros",
          "[storage][fs]") {
  bool in_memory = GENERATE(false, true);
  INFO((in_memory ? "in-memory" : "posix"));
  FsFixture f(in_memory);
  auto file = f.fs->Open(f.Path("f"), Mode::kCreate);
  REQUIRE_OK(file);
  REQUIRE_OK((*file)->WriteAt(0, AsBytes("hello")));
  REQUIRE_OK((*file)->WriteAt(10, AsBytes("world")));
  auto size = (*file)->Size();
  REQUIRE_OK(size);
  CHECK(*size == 15);
  CHECK(Read(**file, 0, 15) == std::string("hello\0\0\0\0\0world", 15));
  CHECK((*file)->path() == f.Path("f"));

  SECTION("reading past the end is OutOfRange naming the file") {
    std::string buf(10, '\0');
    absl::Status s =
        (*file)->ReadAt(10, MutableByteSpan(reinterpret_cast<uint8_t*>(buf.data()), 10));
    CHECK(absl::IsOutOfRange(s));
    CHECK(absl::StrContains(s.message(), f.Path("f")));
  }
  SECTION("a second handle sees the same bytes") {
    auto again = f.fs->Open(f.Path("f"), Mode::kReadOnly);
    REQUIRE_OK(again);
    CHECK(Read(**again, 10, 5) == "world");
  }
}

TEST_CASE("open modes: ReadOnly and ReadWrite need the file, CreateExclusive refuses one",
          "[storage][fs]") {
  bool in_memory = GENERATE(false, true);
  INFO((in_memory ? "in-memory" : "posix"));
  FsFixture f(in_memory);
  std::string path = f.Path("f");

  auto missing_ro = f.fs->Open(path, Mode::kReadOnly);
  CHECK(absl::IsNotFound(missing_ro.status()));
  CHECK(absl::StrContains(missing_ro.status().message(), path));
  CHECK(absl::IsNotFound(f.fs->Open(path, Mode::kReadWrite).status()));

  REQUIRE_OK(f.fs->Open(path, Mode::kCreateExclusive));
  auto again = f.fs->Open(path, Mode::kCreateExclusive);
  CHECK(absl::IsAlreadyExists(again.status()));
  CHECK(absl::StrContains(again.status().message(), path));

  auto rw = f.fs->Open(path, Mode::kReadWrite);
  REQUIRE_OK(rw);
  REQUIRE_OK((*rw)->WriteAt(0, AsBytes("x")));
  auto created = f.fs->Open(path, Mode::kCreate);  // Existing: opened, not truncated.
  REQUIRE_OK(created);
  CHECK(Read(**created, 0, 1) == "x");
  CHECK_FALSE(absl::IsNotFound(f.fs->Open(path, Mode::kReadOnly).status()));
  CHECK(absl::IsNotFound(f.fs->Open(f.Path("no/such/dir/f"), Mode::kCreate).status()));
}

TEST_CASE("Allocate grows a file to cover the range and Truncate sets its size", "[storage][fs]") {
  bool in_memory = GENERATE(false, true);
  INFO((in_memory ? "in-memory" : "posix"));
  FsFixture f(in_memory);
  auto file = f.fs->Open(f.Path("f"), Mode::kCreate);
  REQUIRE_OK(file);
  REQUIRE_OK((*file)->WriteAt(0, AsBytes("abc")));
  REQUIRE_OK((*file)->Allocate(0, 8192));
  CHECK(*(*file)->Size() == 8192);
  CHECK(Read(**file, 0, 4) == std::string("abc\0", 4));
  REQUIRE_OK((*file)->Allocate(100, 50));  // Inside: the size stays.
  CHECK(*(*file)->Size() == 8192);
  REQUIRE_OK((*file)->Truncate(2));
  CHECK(*(*file)->Size() == 2);
  CHECK(Read(**file, 0, 2) == "ab");
  REQUIRE_OK((*file)->Truncate(10));
  CHECK(Read(**file, 0, 10) == std::string("ab\0\0\0\0\0\0\0\0", 10));
  REQUIRE_OK((*file)->Sync());
}

TEST_CASE("writes through a writable mapping show in ReadAt and in other mappings",
          "[storage][fs]") {
  bool in_memory = GENERATE(false, true);
  INFO((in_memory ? "in-memory" : "posix"));
  FsFixture f(in_memory);
  auto file = f.fs->Open(f.Path("f"), Mode::kCreate);
  REQUIRE_OK(file);
  REQUIRE_OK((*file)->Truncate(8192));
  auto writable = (*file)->Map(8192, /*writable=*/true);
  REQUIRE_OK(writable);
  auto readable = (*file)->Map(8192, /*writable=*/false);
  REQUIRE_OK(readable);
  CHECK((*writable)->size() == 8192);
  REQUIRE_OK((*writable)->Populate(0, 8192, /*for_write=*/true));
  std::memcpy((*writable)->data() + 4000, "mapped", 6);
  CHECK(Read(**file, 4000, 6) == "mapped");
  CHECK(std::memcmp((*readable)->data() + 4000, "mapped", 6) == 0);
  REQUIRE_OK((*file)->WriteAt(100, AsBytes("pwrite")));
  CHECK(std::memcmp((*readable)->data() + 100, "pwrite", 6) == 0);
  REQUIRE_OK((*file)->Sync());

  SECTION("an empty mapping is allowed") {
    auto empty = (*file)->Map(0, false);
    REQUIRE_OK(empty);
    CHECK((*empty)->size() == 0);
  }
  SECTION("a mapping outlives its File") {
    file->reset();
    CHECK(std::memcmp((*readable)->data() + 4000, "mapped", 6) == 0);
  }
}

TEST_CASE("WriteAtV writes its pieces back to back, however many there are", "[storage][fs]") {
  bool in_memory = GENERATE(false, true);
  INFO((in_memory ? "in-memory" : "posix"));
  FsFixture f(in_memory);
  auto file = f.fs->Open(f.Path("f"), Mode::kCreate);
  REQUIRE_OK(file);
  // More pieces than one pwritev takes at a time, some of them empty.
  std::vector<std::string> pieces;
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    pieces.push_back(i % 7 == 3 ? std::string() : std::string(1 + i * 37 % 5000, 'a' + i % 26));
    expected += pieces.back();
  }
  std::vector<ByteSpan> spans;
  for (const std::string& p : pieces) spans.push_back(AsBytes(p));
  REQUIRE_OK((*file)->WriteAtV(10, spans));
  auto size = (*file)->Size();
  REQUIRE_OK(size);
  CHECK(*size == 10 + expected.size());
  CHECK(Read(**file, 10, expected.size()) == expected);
  REQUIRE_OK((*file)->WriteAtV(0, {}));  // Nothing to write: fine.
}

TEST_CASE("ListDir names files and subdirectories, Exists and IsDirectory tell them apart",
          "[storage][fs]") {
  bool in_memory = GENERATE(false, true);
  INFO((in_memory ? "in-memory" : "posix"));
  FsFixture f(in_memory);
  REQUIRE_OK(f.fs->CreateDirs(f.Path("sub/deeper")));
  REQUIRE_OK(f.fs->CreateDirs(f.Path("sub")));  // Existing: OK.
  REQUIRE_OK(f.fs->Open(f.Path("a.log"), Mode::kCreate));
  REQUIRE_OK(f.fs->Open(f.Path("sub/b.index"), Mode::kCreate));

  CHECK(ListSorted(f.fs, f.root) == std::vector<std::string>{"a.log", "sub"});
  CHECK(ListSorted(f.fs, f.Path("sub")) == std::vector<std::string>{"b.index", "deeper"});
  CHECK(ListSorted(f.fs, f.Path("sub/deeper")).empty());
  CHECK(absl::IsNotFound(f.fs->ListDir(f.Path("nope")).status()));

  CHECK(*f.fs->Exists(f.Path("a.log")));
  CHECK(*f.fs->Exists(f.Path("sub")));
  CHECK_FALSE(*f.fs->Exists(f.Path("nope")));
  CHECK(*f.fs->IsDirectory(f.Path("sub")));
  CHECK_FALSE(*f.fs->IsDirectory(f.Path("a.log")));
  CHECK_FALSE(*f.fs->IsDirectory(f.Path("nope")));
  REQUIRE_OK(f.fs->SyncDir(f.Path("sub")));
  CHECK(absl::IsNotFound(f.fs->SyncDir(f.Path("nope"))));
}

TEST_CASE("Rename replaces the target with the source's bytes; RemoveFile deletes",
          "[storage][fs]") {
  bool in_memory = GENERATE(false, true);
  INFO((in_memory ? "in-memory" : "posix"));
  FsFixture f(in_memory);
  testing::WriteFile(f.fs, f.Path("new.tmp"), "new");
  testing::WriteFile(f.fs, f.Path("target"), "old contents");
  auto held = f.fs->Open(f.Path("new.tmp"), Mode::kReadOnly);  // Open across the rename.
  REQUIRE_OK(held);

  REQUIRE_OK(f.fs->Rename(f.Path("new.tmp"), f.Path("target")));
  CHECK(ListSorted(f.fs, f.root) == std::vector<std::string>{"target"});
  CHECK(FileBytes(f.fs, f.Path("target")) == "new");
  CHECK(Read(**held, 0, 3) == "new");

  absl::Status missing = f.fs->Rename(f.Path("gone"), f.Path("x"));
  CHECK(absl::IsNotFound(missing));
  CHECK(absl::StrContains(missing.message(), f.Path("gone")));

  REQUIRE_OK(f.fs->RemoveFile(f.Path("target")));
  CHECK_FALSE(*f.fs->Exists(f.Path("target")));
  CHECK(Read(**held, 0, 3) == "new");  // An open file outlives its name.
  CHECK(absl::IsNotFound(f.fs->RemoveFile(f.Path("target"))));
}

TEST_CASE("Rename moves a directory with everything below it", "[storage][fs]") {
  bool in_memory = GENERATE(false, true);
  INFO((in_memory ? "in-memory" : "posix"));
  FsFixture f(in_memory);
  REQUIRE_OK(f.fs->CreateDirs(f.Path("topic-0/inner")));
  testing::WriteFile(f.fs, f.Path("topic-0/00000000000000000000.log"), "batch");
  testing::WriteFile(f.fs, f.Path("topic-0/inner/x"), "x");

  REQUIRE_OK(f.fs->Rename(f.Path("topic-0"), f.Path("topic-0.abc-delete")));
  CHECK(ListSorted(f.fs, f.root) == std::vector<std::string>{"topic-0.abc-delete"});
  CHECK(ListSorted(f.fs, f.Path("topic-0.abc-delete")) ==
        std::vector<std::string>{"00000000000000000000.log", "inner"});
  CHECK(FileBytes(f.fs, f.Path("topic-0.abc-delete/00000000000000000000.log")) == "batch");
  CHECK(FileBytes(f.fs, f.Path("topic-0.abc-delete/inner/x")) == "x");
  CHECK_FALSE(*f.fs->Exists(f.Path("topic-0/inner/x")));
}

TEST_CASE("RemoveAll removes a directory tree and nothing beside it", "[storage][fs]") {
  bool in_memory = GENERATE(false, true);
  INFO((in_memory ? "in-memory" : "posix"));
  FsFixture f(in_memory);
  REQUIRE_OK(f.fs->CreateDirs(f.Path("t-0/sub")));
  REQUIRE_OK(f.fs->CreateDirs(f.Path("t-01")));
  testing::WriteFile(f.fs, f.Path("t-0/a"), "a");
  testing::WriteFile(f.fs, f.Path("t-0/sub/b"), "b");
  testing::WriteFile(f.fs, f.Path("t-01/c"), "c");

  REQUIRE_OK(f.fs->RemoveAll(f.Path("t-0")));
  CHECK(ListSorted(f.fs, f.root) == std::vector<std::string>{"t-01"});
  CHECK(FileBytes(f.fs, f.Path("t-01/c")) == "c");
  REQUIRE_OK(f.fs->RemoveAll(f.Path("t-0")));  // Already gone: OK.
}

TEST_CASE("a second lock of a locked directory fails naming the directory and the owner pid",
          "[storage][fs][lock]") {
  bool in_memory = GENERATE(false, true);
  INFO((in_memory ? "in-memory" : "posix"));
  FsFixture f(in_memory);
  std::string lock_path = f.Path(".lock");
  auto first = f.fs->Lock(lock_path);
  REQUIRE_OK(first);

  auto second = f.fs->Lock(lock_path);
  REQUIRE(absl::IsFailedPrecondition(second.status()));
  std::string message(second.status().message());
  CHECK(absl::StrContains(message, f.root));
  CHECK(absl::StrContains(message, absl::StrCat("process ", getpid())));

  first->reset();  // Released: the next one gets it.
  auto third = f.fs->Lock(lock_path);
  CHECK_OK(third);
}

TEST_CASE("the POSIX lock file holds the owner's pid", "[storage][fs][lock]") {
  TempDir dir;
  std::string lock_path = dir.Join(".lock");
  auto lock = FileSystem::Posix()->Lock(lock_path);
  REQUIRE_OK(lock);
  CHECK(FileBytes(FileSystem::Posix(), lock_path) == absl::StrCat(getpid(), "\n"));
}

TEST_CASE("another process cannot take the POSIX lock while this one holds it",
          "[storage][fs][lock]") {
  TempDir dir;
  std::string lock_path = dir.Join(".lock");
  auto lock = FileSystem::Posix()->Lock(lock_path);
  REQUIRE_OK(lock);
  pid_t parent = getpid();

  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Exit codes: 0 refused as expected, 1 got the lock, 2 wrong error.
    auto theirs = FileSystem::Posix()->Lock(lock_path);
    if (theirs.ok()) _exit(1);
    std::string message(theirs.status().message());
    bool expected = absl::IsFailedPrecondition(theirs.status()) &&
                    absl::StrContains(message, dir.path()) &&
                    absl::StrContains(message, absl::StrCat("process ", parent));
    _exit(expected ? 0 : 2);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  SECTION("and can once it is released") {
    lock->reset();
    pid_t child2 = fork();
    REQUIRE(child2 >= 0);
    if (child2 == 0) _exit(FileSystem::Posix()->Lock(lock_path).ok() ? 0 : 1);
    REQUIRE(waitpid(child2, &status, 0) == child2);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
}

TEST_CASE("in-memory file systems are independent of each other and of the disk", "[storage][fs]") {
  auto a = FileSystem::NewInMemory();
  auto b = FileSystem::NewInMemory();
  REQUIRE_OK(a->CreateDirs("/d"));
  testing::WriteFile(a.get(), "/d/f", "a's");
  CHECK_FALSE(*b->Exists("/d/f"));
  CHECK_FALSE(*b->Exists("/d"));
  CHECK_FALSE(*FileSystem::Posix()->Exists("/d/f"));
  auto lock_a = a->Lock("/d/.lock");
  REQUIRE_OK(lock_a);
  REQUIRE_OK(b->CreateDirs("/d"));
  CHECK_OK(b->Lock("/d/.lock"));
}

// The test double the fault-injection tests rely on must itself do what it
// says.

using rill::testing::FaultyFileSystem;
using rill::testing::FsOp;

TEST_CASE("FaultyFileSystem fails exactly the nth matching call, once or from then on",
          "[storage][fs][fault]") {
  auto mem = FileSystem::NewInMemory();
  FaultyFileSystem fs(mem.get());
  REQUIRE_OK(fs.CreateDirs("/d"));
  auto a = fs.Open("/d/a", Mode::kCreate);
  auto b = fs.Open("/d/b", Mode::kCreate);
  REQUIRE_OK(a);
  REQUIRE_OK(b);

  fs.FailNth(FsOp::kWriteAt, 2, ENOSPC, "/d/a");
  CHECK_OK((*b)->WriteAt(0, AsBytes("x")));  // Another path: not counted.
  CHECK_OK((*a)->WriteAt(0, AsBytes("1")));
  absl::Status second = (*a)->WriteAt(1, AsBytes("2"));
  CHECK(absl::IsResourceExhausted(second));
  CHECK(absl::StrContains(second.message(), "/d/a"));
  CHECK(absl::StrContains(second.message(), "injected"));
  CHECK_OK((*a)->WriteAt(1, AsBytes("3")));  // Once only.
  CHECK(fs.injected_failures() == 1);

  fs.FailFromNth(FsOp::kSync, 1, EIO);
  CHECK(absl::IsDataLoss((*a)->Sync()));
  CHECK(absl::IsDataLoss((*b)->Sync()));  // Sticky.
  fs.ClearFaults();
  CHECK_OK((*a)->Sync());
  CHECK(fs.calls(FsOp::kSync) == 3);
  CHECK(fs.calls(FsOp::kWriteAt) == 4);
}

TEST_CASE("FaultyFileSystem's random faults repeat exactly for the same seed",
          "[storage][fs][fault]") {
  auto pattern = [](uint64_t seed) {
    auto mem = FileSystem::NewInMemory();
    FaultyFileSystem fs(mem.get());
    REQUIRE_OK(fs.CreateDirs("/d"));
    auto f = fs.Open("/d/f", Mode::kCreate);
    REQUIRE_OK(f);
    fs.FailRandomly(FsOp::kAllocate, 0.3, seed, ENOSPC);
    std::string failed;
    for (int i = 0; i < 64; ++i) failed += (*f)->Allocate(0, 4096).ok() ? '.' : 'x';
    return failed;
  };
  std::string first = pattern(7);
  INFO(first);
  CHECK(pattern(7) == first);
  CHECK(pattern(8) != first);
  size_t failures = std::count(first.begin(), first.end(), 'x');
  CHECK(failures > 5);
  CHECK(failures < 40);
}

TEST_CASE("FaultyFileSystem's short write lands half the bytes before failing",
          "[storage][fs][fault]") {
  auto mem = FileSystem::NewInMemory();
  FaultyFileSystem fs(mem.get());
  REQUIRE_OK(fs.CreateDirs("/d"));
  auto f = fs.Open("/d/f", Mode::kCreate);
  REQUIRE_OK(f);
  rill::testing::Fault fault;
  fault.op = FsOp::kWriteAt;
  fault.error = ENOSPC;
  fault.short_write = true;
  fs.AddFault(fault);
  CHECK(absl::IsResourceExhausted((*f)->WriteAt(0, AsBytes("abcdefgh"))));
  CHECK(FileBytes(mem.get(), "/d/f") == "abcd");
}

TEST_CASE("FaultyFileSystem's power loss keeps synced bytes and synced names, nothing else",
          "[storage][fs][fault]") {
  bool in_memory = GENERATE(false, true);
  INFO((in_memory ? "in-memory" : "posix"));
  FsFixture base(in_memory);
  FaultyFileSystem fs(base.fs);
  std::string dir = base.Path("d");
  REQUIRE_OK(fs.CreateDirs(dir));
  REQUIRE_OK(fs.SyncDir(base.root));  // "d" itself is durable.

  auto synced = fs.Open(JoinPath(dir, "synced"), Mode::kCreate);
  REQUIRE_OK(synced);
  REQUIRE_OK((*synced)->WriteAt(0, AsBytes("durable")));
  REQUIRE_OK((*synced)->Sync());
  REQUIRE_OK(fs.SyncDir(dir));
  REQUIRE_OK((*synced)->WriteAt(7, AsBytes(" and lost")));  // After the sync.
  REQUIRE_OK((*synced)->Truncate(4096));
  // Through a mapping: the sync takes it too.
  auto mapped = fs.Open(JoinPath(dir, "mapped"), Mode::kCreate);
  REQUIRE_OK(mapped);
  REQUIRE_OK((*mapped)->Truncate(4096));
  auto map = (*mapped)->Map(4096, true);
  REQUIRE_OK(map);
  std::memcpy((*map)->data() + 100, "via mmap", 8);
  REQUIRE_OK((*mapped)->Sync());
  // A rename not followed by SyncDir.
  auto renamed = fs.Open(JoinPath(dir, "old-name"), Mode::kCreate);
  REQUIRE_OK(renamed);
  REQUIRE_OK((*renamed)->WriteAt(0, AsBytes("r")));
  REQUIRE_OK((*renamed)->Sync());
  REQUIRE_OK(fs.SyncDir(dir));
  REQUIRE_OK(fs.Rename(JoinPath(dir, "old-name"), JoinPath(dir, "new-name")));
  // Created and synced, but its name was never made durable.
  auto orphan = fs.Open(JoinPath(dir, "orphan"), Mode::kCreate);
  REQUIRE_OK(orphan);
  REQUIRE_OK((*orphan)->Sync());
  // A directory never made durable in its parent.
  REQUIRE_OK(fs.CreateDirs(base.Path("ephemeral")));

  fs.PowerLoss();
  CHECK(fs.powered_off());
  CHECK(absl::IsDataLoss((*synced)->Sync()));
  CHECK_FALSE(fs.Open(JoinPath(dir, "x"), Mode::kCreate).ok());
  CHECK_FALSE(fs.Exists(dir).ok());
  fs.Restart();

  CHECK(ListSorted(base.fs, base.root) == std::vector<std::string>{"d"});
  CHECK(ListSorted(base.fs, dir) == std::vector<std::string>{"mapped", "old-name", "synced"});
  CHECK(FileBytes(base.fs, JoinPath(dir, "synced")) == "durable");
  CHECK(FileBytes(base.fs, JoinPath(dir, "old-name")) == "r");
  std::string mapped_bytes = FileBytes(base.fs, JoinPath(dir, "mapped"));
  REQUIRE(mapped_bytes.size() == 4096);
  CHECK(mapped_bytes.substr(100, 8) == "via mmap");
  CHECK_OK(fs.Open(JoinPath(dir, "y"), Mode::kCreate));  // Working again.
}

TEST_CASE("FaultyFileSystem's power loss brings back removals that were not made durable",
          "[storage][fs][fault]") {
  auto mem = FileSystem::NewInMemory();
  FaultyFileSystem fs(mem.get());
  REQUIRE_OK(fs.CreateDirs("/d"));
  REQUIRE_OK(fs.SyncDir("/"));
  auto f = fs.Open("/d/kept", Mode::kCreate);
  REQUIRE_OK(f);
  REQUIRE_OK((*f)->WriteAt(0, AsBytes("still here")));
  REQUIRE_OK((*f)->Sync());
  REQUIRE_OK(fs.SyncDir("/d"));
  REQUIRE_OK(fs.RemoveFile("/d/kept"));
  testing::WriteFile(&fs, "/d/unsynced", "gone");
  fs.PowerLoss();
  fs.Restart();
  CHECK(ListSorted(mem.get(), "/d") == std::vector<std::string>{"kept"});
  CHECK(FileBytes(mem.get(), "/d/kept") == "still here");
}

}  // namespace
}  // namespace rill::storage
