#include "lib/storage/index_file.h"

#include <algorithm>

#include "lib/base/status_macros.h"

#include "absl/strings/str_cat.h"

namespace rill::storage {

absl::Status IndexFile::OpenFile(FileSystem* fs, const std::string& path,
                                 uint64_t max_index_bytes, bool writable) {
  writable_ = writable;
  path_ = path;
  auto file = fs->Open(path, writable ? FileSystem::OpenMode::kCreate
                                      : FileSystem::OpenMode::kReadOnly);
  if (!writable && absl::IsNotFound(file.status())) {
    // A reader of a directory it may not repair: a missing index is an
    // empty one (lookups then scan the segment), as Kafka recreates it.
    entries_.store(0, std::memory_order_release);
    return absl::OkStatus();
  }
  if (!file.ok()) return file.status();
  file_ = std::move(*file);
  if (!writable) return ReadCopy();
  absl::StatusOr<uint64_t> size = file_->Size();
  if (!size.ok()) return size.status();
  RILL_RETURN_IF_ERROR(CheckLength(*size));
  uint64_t entries = *size / entry_bytes_;
  uint64_t capacity = std::max<uint64_t>(max_index_bytes / entry_bytes_, entries);  // Keep a larger index.
  if (capacity > static_cast<uint64_t>(INT32_MAX / entry_bytes_)) {
    return absl::InvalidArgumentError(absl::StrCat("index ", path, " would hold ", capacity,
                                                   " entries, more than supported"));
  }
  uint64_t mapped = capacity * entry_bytes_;
  if (mapped > *size) {
    absl::Status s = file_->Truncate(mapped);
    if (!s.ok()) return s;
  }
  auto mapping = file_->Map(mapped, writable);
  if (!mapping.ok()) return mapping.status();
  mapping_ = std::move(*mapping);
  // The preallocated, sparse part only: without the hint the first fault
  // there reads around it, and the kernel allocates and zeroes up to
  // read_ahead_kb of page cache (8 MiB on this project's VM, ~6 ms inside
  // the first append) for entries that arrive one 8- or 12-byte entry per
  // index.interval.bytes. The existing entries keep readahead: SanityCheck
  // reads them all at open, from disk after a reboot.
  if (mapped > *size) mapping_->AdviseRandomAccess(*size, mapped - *size);
  base_ = mapping_->data();
  max_entries_ = static_cast<int>(capacity);
  entries_.store(static_cast<int>(entries), std::memory_order_release);
  return absl::OkStatus();
}

absl::Status IndexFile::CheckLength(uint64_t size) const {
  if (size % entry_bytes_ != 0) {
    return absl::DataLossError(absl::StrCat("index ", path_, " has length ", size,
                                            ", not a multiple of its ", entry_bytes_,
                                            "-byte entries"));
  }
  if (size / entry_bytes_ > static_cast<uint64_t>(INT32_MAX / entry_bytes_)) {
    return absl::InvalidArgumentError(absl::StrCat("index ", path_, " has length ", size,
                                                   ", more entries than supported"));
  }
  return absl::OkStatus();
}

absl::Status IndexFile::ReadCopy() {
  // The owner trims a preallocated index when its segment rolls: a read
  // that comes up short because the file shrank meanwhile is simply retried
  // at the new length.
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<uint64_t> size = file_->Size();
    if (!size.ok()) return size.status();
    RILL_RETURN_IF_ERROR(CheckLength(*size));
    auto copy = std::make_unique<uint8_t[]>(std::max<uint64_t>(*size, 1));
    last = file_->ReadAt(0, MutableByteSpan(copy.get(), *size));
    if (!last.ok()) continue;
    absl::StatusOr<uint64_t> after = file_->Size();
    if (!after.ok()) return after.status();
    if (*after < *size) continue;  // Trimmed while we read: the tail may be stale.
    copy_ = std::move(copy);
    base_ = copy_.get();
    max_entries_ = static_cast<int>(*size / entry_bytes_);
    entries_.store(max_entries_, std::memory_order_release);
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat("index ", path_,
                                             " kept changing while it was read: ", last.message()));
}

absl::Status IndexFile::TrimToValidSize() {
  if (file_ == nullptr) return absl::OkStatus();
  // The mapping stays as it is: readers never look past entry_count(), so the
  // pages beyond the new end of file are never touched.
  return file_->Truncate(valid_bytes());
}

absl::Status IndexFile::RenameTo(FileSystem* fs, const std::string& new_path) {
  if (file_ == nullptr) return absl::OkStatus();
  absl::Status s = fs->Rename(file_->path(), new_path);
  if (!s.ok()) return s;
  // Reopen by the new name so later errors name the right file; the mapping
  // is unaffected by the rename.
  auto file = fs->Open(new_path, writable_ ? FileSystem::OpenMode::kReadWrite
                                           : FileSystem::OpenMode::kReadOnly);
  if (!file.ok()) return file.status();
  file_ = std::move(*file);
  path_ = new_path;
  return absl::OkStatus();
}

}  // namespace rill::storage
