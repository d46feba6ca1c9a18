#ifndef RILL_STORAGE_FILE_SYSTEM_H_
#define RILL_STORAGE_FILE_SYSTEM_H_

// The FileSystem seam (as LevelDB's Env): lib/storage touches files only
// through these interfaces, so tests can inject ENOSPC, EIO, short writes and
// fsync failures, and the in-memory broker can keep its segments in memfds
// through the very same code.
//
// Writes into a Mapping bypass the seam; fakes act at the durability points
// instead: Sync, Truncate, Rename, Allocate, SyncDir.
//
// Thread safety: a FileSystem is safe to use from many threads. A File is
// safe for concurrent ReadAt and Map; writes, Allocate, Truncate and Sync are
// serialized by the caller (the log's one writer). A Mapping's bytes may be
// read from many threads.
// Errors: NotFound for a missing path, AlreadyExists, ResourceExhausted for
// ENOSPC/EDQUOT, FailedPrecondition for a lock held elsewhere, Internal/
// DataLoss for EIO; every message names the path and the operation.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/base/bytes.h"

namespace rill::storage {

// A memory mapping of (a prefix of) a file. Unmapped on destruction.
class Mapping {
 public:
  virtual ~Mapping() = default;
  virtual uint8_t* data() const = 0;
  virtual size_t size() const = 0;
  // Faults in [offset, offset + length) ahead of use (MADV_POPULATE_WRITE
  // or _READ): one system call instead of one page fault per 4 KiB.
  // Best effort: returns OK when the kernel cannot do it.
  virtual absl::Status Populate(size_t offset, size_t length, bool for_write) = 0;
  // Declares that the pages of [offset, offset + length) (offset rounded up
  // to a page) are touched one at a time, in no order the kernel could
  // predict (MADV_RANDOM): a fault there maps its own page and reads nothing
  // around it. Best effort, like Populate.
  virtual void AdviseRandomAccess(size_t offset, size_t length) = 0;
};

class File {
 public:
  virtual ~File() = default;
  virtual const std::string& path() const = 0;

  virtual absl::StatusOr<uint64_t> Size() const = 0;
  // Reads exactly out.size() bytes at `offset`; OutOfRange if the file ends
  // first.
  virtual absl::Status ReadAt(uint64_t offset, MutableByteSpan out) const = 0;
  // Writes all of `data` at `offset` (retrying short writes).
  virtual absl::Status WriteAt(uint64_t offset, ByteSpan data) = 0;
  // Writes `pieces` back to back from `offset`. The POSIX file makes it one
  // pwritev: one system call instead of one per piece, and the kernel then
  // caches the bytes in larger folios, which later readers of a mapping
  // fault in more cheaply. On an error a prefix of the bytes may have been
  // written. This default writes piece by piece (test fakes).
  virtual absl::Status WriteAtV(uint64_t offset, absl::Span<const ByteSpan> pieces) {
    for (ByteSpan piece : pieces) {
      absl::Status s = WriteAt(offset, piece);
      if (!s.ok()) return s;
      offset += piece.size();
    }
    return absl::OkStatus();
  }
  // Reserves disk blocks for [offset, offset + length), growing the file
  // size to cover them (posix_fallocate). ResourceExhausted when the disk
  // is full: the only way rill learns of a full disk before a write into a
  // mapping would raise SIGBUS.
  virtual absl::Status Allocate(uint64_t offset, uint64_t length) = 0;
  virtual absl::Status Truncate(uint64_t size) = 0;
  // fdatasync: everything written so far, through WriteAt or a mapping, is
  // on stable storage when this returns OK.
  virtual absl::Status Sync() = 0;
  // Maps the first `length` bytes, which may extend past the file's end
  // (touching pages past it is the caller's bug).
  virtual absl::StatusOr<std::unique_ptr<Mapping>> Map(size_t length, bool writable) = 0;
};

// An exclusive lock on a data directory, released on destruction.
class DirLock {
 public:
  virtual ~DirLock() = default;
};

class FileSystem {
 public:
  enum class OpenMode {
    kReadOnly,
    kReadWrite,        // Must exist.
    kCreate,           // Read-write, created if missing.
    kCreateExclusive,  // Read-write, AlreadyExists if present.
  };

  virtual ~FileSystem() = default;

  // The real one. Never null; lives for the process.
  static FileSystem* Posix();
  // A fresh file system whose files are memfds and whose directories exist
  // only in memory: what Broker::OpenInMemory runs on.
  static std::unique_ptr<FileSystem> NewInMemory();

  virtual absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  // Creates `path` and any missing parents; OK if it exists.
  virtual absl::Status CreateDirs(const std::string& path) = 0;
  // Names (not paths) of the entries in `path`, in no particular order.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) = 0;
  virtual absl::StatusOr<bool> Exists(const std::string& path) = 0;
  virtual absl::StatusOr<bool> IsDirectory(const std::string& path) = 0;
  // Atomically replaces `to` if it exists.
  virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;
  virtual absl::Status RemoveFile(const std::string& path) = 0;
  // Removes a directory and everything below it.
  virtual absl::Status RemoveAll(const std::string& path) = 0;
  // Makes creations, renames and removals in `path` durable.
  virtual absl::Status SyncDir(const std::string& path) = 0;
  // Takes an exclusive lock (flock) on the file `path`, creating it and
  // writing this process's pid into it. FailedPrecondition naming the
  // directory and the owning pid when another process holds it.
  virtual absl::StatusOr<std::unique_ptr<DirLock>> Lock(const std::string& path) = 0;
};

// Joins path components with '/'.
std::string JoinPath(const std::string& a, const std::string& b);

}  // namespace rill::storage

#endif  // RILL_STORAGE_FILE_SYSTEM_H_
