#ifndef RILL_STORAGE_FD_FILE_H_
#define RILL_STORAGE_FD_FILE_H_

// File and Mapping over a POSIX file descriptor: shared by the real file
// system and the memfd-backed in-memory one. Internal to lib/storage.

#include <memory>
#include <string>

#include "lib/storage/file_system.h"

namespace rill::storage::internal {

// An error status for `op` on `path` from errno `err`: ENOSPC/EDQUOT →
// ResourceExhausted, ENOENT → NotFound, EEXIST → AlreadyExists, else
// Internal; the message names the operation, path and strerror.
absl::Status ErrnoStatus(int err, const std::string& op, const std::string& path);

// Takes ownership of `fd`.
std::unique_ptr<File> NewFdFile(int fd, std::string path);

}  // namespace rill::storage::internal

#endif  // RILL_STORAGE_FD_FILE_H_
