// The real FileSystem: POSIX calls on Linux.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/storage/fd_file.h"
#include "lib/storage/file_system.h"

namespace rill::storage {
namespace {

using internal::ErrnoStatus;

class PosixDirLock final : public DirLock {
 public:
  explicit PosixDirLock(int fd) : fd_(fd) {}
  ~PosixDirLock() override { close(fd_); }  // Closing releases the flock.

 private:
  int fd_;
};

class PosixFileSystem final : public FileSystem {
 public:
  absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    int flags = O_CLOEXEC;
    switch (mode) {
      case OpenMode::kReadOnly: flags |= O_RDONLY; break;
      case OpenMode::kReadWrite: flags |= O_RDWR; break;
      case OpenMode::kCreate: flags |= O_RDWR | O_CREAT; break;
      case OpenMode::kCreateExclusive: flags |= O_RDWR | O_CREAT | O_EXCL; break;
    }
    int fd = open(path.c_str(), flags, 0644);
    if (fd < 0) return ErrnoStatus(errno, "open", path);
    return internal::NewFdFile(fd, path);
  }

  absl::Status CreateDirs(const std::string& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return ErrnoStatus(ec.value(), "create directory", path);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* dir = opendir(path.c_str());
    if (dir == nullptr) return ErrnoStatus(errno, "list directory", path);
    std::vector<std::string> names;
    while (struct dirent* e = readdir(dir)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    closedir(dir);
    return names;
  }

  absl::StatusOr<bool> Exists(const std::string& path) override {
    struct stat st;
    if (stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return ErrnoStatus(errno, "stat", path);
  }

  absl::StatusOr<bool> IsDirectory(const std::string& path) override {
    struct stat st;
    if (stat(path.c_str(), &st) == 0) return S_ISDIR(st.st_mode);
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return ErrnoStatus(errno, "stat", path);
  }

  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("rename to ", to, ":"), from);
    }
    return absl::OkStatus();
  }

  absl::Status RemoveFile(const std::string& path) override {
    if (unlink(path.c_str()) != 0) return ErrnoStatus(errno, "remove", path);
    return absl::OkStatus();
  }

  absl::Status RemoveAll(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return ErrnoStatus(ec.value(), "remove directory", path);
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& path) override {
    int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open directory", path);
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    if (rc != 0) return ErrnoStatus(err, "fsync directory", path);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<DirLock>> Lock(const std::string& path) override {
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus(errno, "open lock file", path);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      std::string owner = ReadOwner(fd);
      close(fd);
      if (err == EWOULDBLOCK) {
        std::string dir = std::filesystem::path(path).parent_path().string();
        return absl::FailedPreconditionError(absl::StrCat(
            dir, " is in use by process ", owner, " (lock ", path, ")"));
      }
      return ErrnoStatus(err, "lock", path);
    }
    std::string pid = absl::StrCat(getpid(), "\n");
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      int err = errno;
      close(fd);
      return ErrnoStatus(err, "write lock file", path);
    }
    return std::unique_ptr<DirLock>(new PosixDirLock(fd));
  }

 private:
  static std::string ReadOwner(int fd) {
    char buf[32] = {};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    int64_t pid;
    if (n > 0 && absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buf, n)), &pid)) {
      return absl::StrCat(pid);
    }
    return "unknown";
  }
};

}  // namespace

FileSystem* FileSystem::Posix() {
  static FileSystem* fs = new PosixFileSystem();
  return fs;
}

std::string JoinPath(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (a.back() == '/') return a + b;
  return absl::StrCat(a, "/", b);
}

}  // namespace rill::storage
