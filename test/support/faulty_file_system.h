#ifndef RILL_TEST_SUPPORT_FAULTY_FILE_SYSTEM_H_
#define RILL_TEST_SUPPORT_FAULTY_FILE_SYSTEM_H_

// A FileSystem that wraps another (Posix or in-memory) and passes every call
// through, except that it can
//
//  * fail calls on purpose: the Nth call of one kind of operation, every
//    call from the Nth on, or a seeded-random fraction of them, with a
//    chosen errno (mapped as the real file system maps it: ENOSPC →
//    ResourceExhausted, EIO → DataLoss, ...), optionally only on paths that
//    contain a given string, and for WriteAt as a short write (the first
//    half of the bytes land, then the error);
//  * lose power: it remembers what was made durable — a file's contents at
//    its last File::Sync (read back through ReadAt, which sees writes made
//    through a mapping because both share the page cache), a directory's
//    entries at its last SyncDir — and PowerLoss() puts the wrapped file
//    system back to exactly that state. Files never synced come back empty;
//    names created, renamed or removed since their directory's last SyncDir
//    are undone. After PowerLoss() every call fails (EIO) until Restart().
//
// Files and directories that existed before this wrapper first touched
// their directory count as durable as they were then. Approximations:
// RemoveAll and renames of directories count as durable at once; lock files
// (Lock) are left alone. Writes made through a mapping after PowerLoss() go
// to the lost files, not to the restored ones (restoring replaces each file).
//
// Deterministic: no clocks, no threads; random faults come from an RNG
// seeded by the test. Thread safe: one mutex guards all bookkeeping.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "lib/storage/file_system.h"

namespace rill::testing {

// The kinds of call a fault can target.
enum class FsOp {
  kOpen,
  kReadAt,
  kWriteAt,
  kAllocate,
  kTruncate,
  kSync,
  kMap,
  kSyncDir,
  kRename,
  kRemove,  // RemoveFile and RemoveAll.
  kCreateDirs,
  kListDir,
  kLock,
};

// "Open", "ReadAt", ...
const char* FsOpName(FsOp op);

struct Fault {
  FsOp op = FsOp::kWriteAt;
  // The errno the failing call reports.
  int error = 5;  // EIO
  // Fail the nth matching call counted from when the fault is added
  // (1 = the very next one).
  int64_t nth = 1;
  // Keep failing every matching call after the nth (a disk that stays full)
  // until ClearFaults().
  bool sticky = false;
  // When > 0, instead of `nth`: fail each matching call with this
  // probability, drawn from an RNG seeded with `seed`.
  double probability = 0;
  uint64_t seed = 0;
  // Only calls on paths containing this count (empty: all).
  std::string path_contains;
  // WriteAt only: write the first half of the bytes, then fail.
  bool short_write = false;
};

class FaultyFileSystem final : public storage::FileSystem {
 public:
  // `base` must outlive this.
  explicit FaultyFileSystem(storage::FileSystem* base);
  ~FaultyFileSystem() override;

  // Adds a fault; several may be active at once.
  void AddFault(const Fault& fault);
  // Shorthands for AddFault.
  void FailNth(FsOp op, int64_t nth, int error, const std::string& path_contains = "");
  void FailFromNth(FsOp op, int64_t nth, int error, const std::string& path_contains = "");
  void FailRandomly(FsOp op, double probability, uint64_t seed, int error,
                    const std::string& path_contains = "");
  // Removes every fault (the disk has space again, the cable is back).
  void ClearFaults();

  // Calls of `op` so far (failed ones included).
  int64_t calls(FsOp op) const;
  // Faults injected so far.
  int64_t injected_failures() const;

  // Throws away everything not made durable, as a power cut would, and
  // fails every later call until Restart(). REQUIRES: powered on.
  void PowerLoss();
  // Power is back: calls work again and every fault is cleared.
  void Restart();
  bool powered_off() const;

  // storage::FileSystem.
  absl::StatusOr<std::unique_ptr<storage::File>> Open(const std::string& path,
                                                      OpenMode mode) override;
  absl::Status CreateDirs(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) override;
  absl::StatusOr<bool> Exists(const std::string& path) override;
  absl::StatusOr<bool> IsDirectory(const std::string& path) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status RemoveAll(const std::string& path) override;
  absl::Status SyncDir(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<storage::DirLock>> Lock(const std::string& path) override;

 private:
  friend class FaultyFile;

  // A file's bytes, without its trailing zeros (preallocated tails and
  // sparse indexes stay cheap to keep).
  struct Content {
    std::string data;
    uint64_t size = 0;
  };
  // What survives a power cut of one file (an inode: it moves with renames).
  struct Inode {
    bool known = true;               // False: pre-existing, not read yet; as on disk.
    std::optional<Content> durable;  // Last synced; nullopt = never (comes back empty).
  };
  static constexpr int kDirectory = -1;  // Inode id of a directory entry.

  struct ActiveFault {
    Fault fault;
    int64_t matched = 0;
    std::mt19937_64 rng;
  };

  // OK, or the injected (or powered-off) error for a call of `op` on `path`.
  // `*short_write` is set when a failing WriteAt should write half first.
  absl::Status MaybeFail(FsOp op, const std::string& path, bool* short_write = nullptr);
  absl::Status PoweredOffError(const std::string& op, const std::string& path) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  // Bookkeeping; all REQUIRE mu_.
  void TrackDir(const std::string& dir) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TrackFile(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int NewInode(bool known) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecordSync(int inode, const storage::File& file) ABSL_LOCKS_EXCLUDED(mu_);
  std::optional<Content> ReadContent(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MovePrefix(std::map<std::string, int>* paths, const std::string& from, const std::string& to)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RestoreFile(const std::string& path, const Inode& inode) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RestoreDir(const std::string& dir, std::set<std::string>* removed_dirs)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::FileSystem* const base_;
  mutable absl::Mutex mu_;
  bool powered_off_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<ActiveFault> faults_ ABSL_GUARDED_BY(mu_);
  std::map<FsOp, int64_t> calls_ ABSL_GUARDED_BY(mu_);
  int64_t injected_ ABSL_GUARDED_BY(mu_) = 0;

  int next_inode_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int, Inode> inodes_ ABSL_GUARDED_BY(mu_);
  // Path → inode of every file known to exist now.
  std::map<std::string, int> current_ ABSL_GUARDED_BY(mu_);
  // Directory → its durable entries (name → inode, kDirectory for a subdirectory).
  std::map<std::string, std::map<std::string, int>> durable_dirs_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> lock_paths_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rill::testing

#endif  // RILL_TEST_SUPPORT_FAULTY_FILE_SYSTEM_H_
