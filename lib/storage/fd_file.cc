#include "lib/storage/fd_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; Debian 12's headers may predate it.
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace rill::storage::internal {

absl::Status ErrnoStatus(int err, const std::string& op, const std::string& path) {
  std::string message = absl::StrCat(op, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    case ENOENT:
      return absl::NotFoundError(message);
    case EEXIST:
      return absl::AlreadyExistsError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EIO:
      return absl::DataLossError(message);
    default:
      return absl::InternalError(message);
  }
}

namespace {

class FdMapping final : public Mapping {
 public:
  FdMapping(uint8_t* data, size_t size) : data_(data), size_(size) {}
  ~FdMapping() override {
    if (size_ > 0) munmap(data_, size_);
  }
  uint8_t* data() const override { return data_; }
  size_t size() const override { return size_; }

  absl::Status Populate(size_t offset, size_t length, bool for_write) override {
    if (offset >= size_ || length == 0) return absl::OkStatus();
    length = std::min(length, size_ - offset);
    // madvise wants a page-aligned start.
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t start = offset / page * page;
    madvise(data_ + start, length + (offset - start),
            for_write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
    return absl::OkStatus();  // Only a hint: faults still work without it.
  }

  void AdviseRandomAccess(size_t offset, size_t length) override {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t start = (offset + page - 1) / page * page;
    size_t end = std::min(size_, offset + length);
    // A hint: ignoring a failure is safe.
    if (start < end) madvise(data_ + start, end - start, MADV_RANDOM);
  }

 private:
  uint8_t* data_;
  size_t size_;
};

class FdFile final : public File {
 public:
  FdFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FdFile() override { close(fd_); }

  const std::string& path() const override { return path_; }

  absl::StatusOr<uint64_t> Size() const override {
    struct stat st;
    if (fstat(fd_, &st) != 0) return ErrnoStatus(errno, "stat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status ReadAt(uint64_t offset, MutableByteSpan out) const override {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = pread(fd_, out.data() + done, out.size() - done, offset + done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "read", path_);
      }
      if (n == 0) {
        return absl::OutOfRangeError(absl::StrCat("read ", path_, ": file ends before byte ",
                                                  offset + out.size()));
      }
      done += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }

  absl::Status WriteAt(uint64_t offset, ByteSpan data) override {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = pwrite(fd_, data.data() + done, data.size() - done, offset + done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "write", path_);
      }
      done += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }

  absl::Status WriteAtV(uint64_t offset, absl::Span<const ByteSpan> pieces) override {
    // pwritev takes at most IOV_MAX pieces and may write fewer bytes than
    // asked: refill the vector from where it stopped.
    constexpr size_t kMaxPieces = 64;
    iovec iov[kMaxPieces];
    size_t next = 0;  // First piece not yet in iov.
    size_t skip = 0;  // Bytes of pieces[next] already written.
    while (next < pieces.size()) {
      int count = 0;
      for (size_t i = next; i < pieces.size() && count < static_cast<int>(kMaxPieces); ++i) {
        size_t from = i == next ? skip : 0;
        iov[count].iov_base = const_cast<uint8_t*>(pieces[i].data() + from);
        iov[count].iov_len = pieces[i].size() - from;
        ++count;
      }
      ssize_t n = pwritev(fd_, iov, count, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "write", path_);
      }
      if (n == 0 && iov[0].iov_len > 0) {
        return absl::InternalError(absl::StrCat("write ", path_, ": pwritev wrote nothing"));
      }
      offset += static_cast<uint64_t>(n);
      size_t left = static_cast<size_t>(n);
      while (next < pieces.size() && left >= pieces[next].size() - skip) {
        left -= pieces[next].size() - skip;
        skip = 0;
        ++next;
      }
      skip += left;
    }
    return absl::OkStatus();
  }

  absl::Status Allocate(uint64_t offset, uint64_t length) override {
    int err = posix_fallocate(fd_, static_cast<off_t>(offset), static_cast<off_t>(length));
    if (err != 0) return ErrnoStatus(err, "allocate", path_);
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    if (ftruncate(fd_, static_cast<off_t>(size)) != 0) return ErrnoStatus(errno, "truncate", path_);
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (fdatasync(fd_) != 0) return ErrnoStatus(errno, "fdatasync", path_);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Mapping>> Map(size_t length, bool writable) override {
    if (length == 0) return std::unique_ptr<Mapping>(new FdMapping(nullptr, 0));
    int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
    void* p = mmap(nullptr, length, prot, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) return ErrnoStatus(errno, "mmap", path_);
    return std::unique_ptr<Mapping>(new FdMapping(static_cast<uint8_t*>(p), length));
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

std::unique_ptr<File> NewFdFile(int fd, std::string path) {
  return std::make_unique<FdFile>(fd, std::move(path));
}

}  // namespace rill::storage::internal
