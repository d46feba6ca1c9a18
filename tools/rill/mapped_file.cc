#include "tools/rill/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rill::tool {
namespace {

absl::Status ErrnoError(const std::string& path, const char* call) {
  int error = errno;
  return absl::ErrnoToStatus(error, absl::StrCat(path, ": ", call, ": ", std::strerror(error)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, "open");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    absl::Status status = ErrnoError(path, "fstat");
    ::close(fd);
    return status;
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* data = nullptr;
  // mmap of zero bytes fails with EINVAL; an empty segment is simply empty.
  if (size > 0) {
    data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      absl::Status status = ErrnoError(path, "mmap");
      ::close(fd);
      return status;
    }
  }
  ::close(fd);
  return std::unique_ptr<MappedFile>(new MappedFile(static_cast<const uint8_t*>(data), size));
}

absl::StatusOr<std::unique_ptr<MappedFile>> MappedFile::Copy(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, "open");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    absl::Status status = ErrnoError(path, "fstat");
    ::close(fd);
    return status;
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status status = ErrnoError(path, "read");
      ::close(fd);
      return status;
    }
    if (n == 0) break;  // The owner truncated it meanwhile: what remains is the file.
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(done);
  return std::unique_ptr<MappedFile>(new MappedFile(std::move(bytes)));
}

absl::StatusOr<std::unique_ptr<MappedFile>> MappedFile::Load(const std::string& path,
                                                             bool may_shrink) {
  return may_shrink ? Copy(path) : Open(path);
}

MappedFile::~MappedFile() {
  if (copy_.empty() && size_ > 0) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace rill::tool
