#ifndef RILL_TOOLS_RILL_MAPPED_FILE_H_
#define RILL_TOOLS_RILL_MAPPED_FILE_H_

// The bytes of a whole file, read-only, for the tool's commands that inspect
// files without the storage layer (dump, verify). Open() maps the file: the
// mapping is private and never written; another process appending to the
// file is harmless, since only the size seen at Open() is read, but one
// truncating it while it is mapped makes reads past the new end raise
// SIGBUS. So files another process may shrink while they are read — the
// active segment and its indexes, trimmed when the segment rolls — are
// Copy()'d into memory instead, where a shrinking file only ends the read
// early.
// Not thread safe to move; reading bytes() is. Errors: the errno of open,
// fstat, mmap or read, as a status naming the file.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/base/bytes.h"

namespace rill::tool {

class MappedFile {
 public:
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path);
  // Reads the file (as much of it as remains) into memory.
  static absl::StatusOr<std::unique_ptr<MappedFile>> Copy(const std::string& path);
  // Copy() when `may_shrink`, else Open().
  static absl::StatusOr<std::unique_ptr<MappedFile>> Load(const std::string& path, bool may_shrink);
  ~MappedFile();

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Valid while this object lives.
  ByteSpan bytes() const { return ByteSpan(data_, size_); }

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  explicit MappedFile(std::vector<uint8_t> copy)
      : copy_(std::move(copy)), data_(copy_.data()), size_(copy_.size()) {}

  std::vector<uint8_t> copy_;  // Copy()'s bytes; empty for a mapping.
  const uint8_t* data_;
  size_t size_;
};

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_MAPPED_FILE_H_
