// A FileSystem whose files are memfds and whose directory tree lives in a
// map: the in-memory broker runs the same segment, mmap and recovery code as
// the on-disk one, without touching a disk.

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/mutex.h"
#include "lib/storage/fd_file.h"
#include "lib/storage/file_system.h"

namespace rill::storage {
namespace {

using internal::ErrnoStatus;

std::string Normalize(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

class InMemoryFileSystem;

class InMemoryDirLock final : public DirLock {
 public:
  InMemoryDirLock(InMemoryFileSystem* fs, std::string path) : fs_(fs), path_(std::move(path)) {}
  ~InMemoryDirLock() override;

 private:
  InMemoryFileSystem* fs_;
  std::string path_;
};

class InMemoryFileSystem final : public FileSystem {
 public:
  ~InMemoryFileSystem() override {
    for (auto& [path, fd] : files_) close(fd);
  }

  absl::StatusOr<std::unique_ptr<File>> Open(const std::string& raw, OpenMode mode) override {
    std::string path = Normalize(raw);
    MutexLock lock(&mu_);
    auto it = files_.find(path);
    if (it == files_.end()) {
      if (mode == OpenMode::kReadOnly || mode == OpenMode::kReadWrite) {
        return ErrnoStatus(ENOENT, "open", path);
      }
      if (!dirs_.contains(Parent(path))) return ErrnoStatus(ENOENT, "open", path);
      int fd = memfd_create("rill", MFD_CLOEXEC);
      if (fd < 0) return ErrnoStatus(errno, "memfd_create", path);
      it = files_.emplace(path, fd).first;
    } else if (mode == OpenMode::kCreateExclusive) {
      return ErrnoStatus(EEXIST, "open", path);
    }
    int dup_fd = fcntl(it->second, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return ErrnoStatus(errno, "dup", path);
    return internal::NewFdFile(dup_fd, path);
  }

  absl::Status CreateDirs(const std::string& raw) override {
    MutexLock lock(&mu_);
    for (std::string p = Normalize(raw); !p.empty() && !dirs_.contains(p); p = Parent(p)) {
      if (files_.contains(p)) return ErrnoStatus(ENOTDIR, "create directory", p);
      dirs_.insert(p);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& raw) override {
    std::string path = Normalize(raw);
    MutexLock lock(&mu_);
    if (!dirs_.contains(path)) return ErrnoStatus(ENOENT, "list directory", path);
    std::vector<std::string> names;
    std::string prefix = path == "/" ? "/" : path + "/";
    auto add_children = [&](const auto& container) {
      for (auto it = container.lower_bound(prefix);
           it != container.end() && absl::StartsWith(Key(*it), prefix); ++it) {
        absl::string_view rest = absl::string_view(Key(*it)).substr(prefix.size());
        if (!rest.empty() && !absl::StrContains(rest, '/')) names.emplace_back(rest);
      }
    };
    add_children(files_);
    add_children(dirs_);
    return names;
  }

  absl::StatusOr<bool> Exists(const std::string& raw) override {
    std::string path = Normalize(raw);
    MutexLock lock(&mu_);
    return files_.contains(path) || dirs_.contains(path);
  }

  absl::StatusOr<bool> IsDirectory(const std::string& raw) override {
    MutexLock lock(&mu_);
    return dirs_.contains(Normalize(raw));
  }

  absl::Status Rename(const std::string& raw_from, const std::string& raw_to) override {
    std::string from = Normalize(raw_from), to = Normalize(raw_to);
    MutexLock lock(&mu_);
    if (!dirs_.contains(Parent(to))) return ErrnoStatus(ENOENT, "rename to " + to + ":", from);
    if (auto it = files_.find(from); it != files_.end()) {
      int fd = it->second;
      files_.erase(it);
      if (auto old = files_.find(to); old != files_.end()) {
        close(old->second);
        files_.erase(old);
      }
      files_.emplace(to, fd);
      return absl::OkStatus();
    }
    if (!dirs_.contains(from)) return ErrnoStatus(ENOENT, "rename to " + to + ":", from);
    MovePrefix(from, to);
    return absl::OkStatus();
  }

  absl::Status RemoveFile(const std::string& raw) override {
    std::string path = Normalize(raw);
    MutexLock lock(&mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return ErrnoStatus(ENOENT, "remove", path);
    close(it->second);
    files_.erase(it);
    return absl::OkStatus();
  }

  absl::Status RemoveAll(const std::string& raw) override {
    std::string path = Normalize(raw);
    MutexLock lock(&mu_);
    std::string prefix = path + "/";
    for (auto it = files_.begin(); it != files_.end();) {
      if (it->first == path || absl::StartsWith(it->first, prefix)) {
        close(it->second);
        it = files_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = dirs_.begin(); it != dirs_.end();) {
      it = (*it == path || absl::StartsWith(*it, prefix)) ? dirs_.erase(it) : std::next(it);
    }
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& raw) override {
    MutexLock lock(&mu_);
    if (!dirs_.contains(Normalize(raw))) return ErrnoStatus(ENOENT, "fsync directory", raw);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<DirLock>> Lock(const std::string& raw) override {
    std::string path = Normalize(raw);
    MutexLock lock(&mu_);
    if (!locks_.insert(path).second) {
      return absl::FailedPreconditionError(absl::StrCat(
          Parent(path), " is in use by process ", getpid(), " (lock ", path, ")"));
    }
    return std::unique_ptr<DirLock>(new InMemoryDirLock(this, path));
  }

  void Unlock(const std::string& path) {
    MutexLock lock(&mu_);
    locks_.erase(path);
  }

 private:
  static const std::string& Key(const std::pair<const std::string, int>& e) { return e.first; }
  static const std::string& Key(const std::string& e) { return e; }

  void MovePrefix(const std::string& from, const std::string& to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::string prefix = from + "/";
    std::map<std::string, int> moved_files;
    for (auto it = files_.begin(); it != files_.end();) {
      if (absl::StartsWith(it->first, prefix)) {
        moved_files.emplace(to + it->first.substr(from.size()), it->second);
        it = files_.erase(it);
      } else {
        ++it;
      }
    }
    files_.merge(moved_files);
    std::set<std::string> moved_dirs;
    for (auto it = dirs_.begin(); it != dirs_.end();) {
      if (*it == from || absl::StartsWith(*it, prefix)) {
        moved_dirs.insert(to + it->substr(from.size()));
        it = dirs_.erase(it);
      } else {
        ++it;
      }
    }
    dirs_.merge(moved_dirs);
  }

  Mutex mu_;
  std::map<std::string, int> files_ ABSL_GUARDED_BY(mu_);  // Path → memfd.
  std::set<std::string> dirs_ ABSL_GUARDED_BY(mu_) = {"", "/", "."};
  std::set<std::string> locks_ ABSL_GUARDED_BY(mu_);
};

InMemoryDirLock::~InMemoryDirLock() { fs_->Unlock(path_); }

}  // namespace

std::unique_ptr<FileSystem> FileSystem::NewInMemory() {
  return std::make_unique<InMemoryFileSystem>();
}

}  // namespace rill::storage
