#include "test/support/faulty_file_system.h"

#include <cerrno>
#include <stdexcept>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/storage/fd_file.h"

namespace rill::testing {
namespace {

using storage::File;
using storage::JoinPath;
using storage::internal::ErrnoStatus;

std::string Normalize(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string Parent(const std::string& path) {
  std::string p = Normalize(path);
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : p.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  std::string p = Normalize(path);
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

bool IsUnder(const std::string& path, const std::string& dir) {
  return path == dir || absl::StartsWith(path, dir + "/");
}

// PowerLoss() cannot return a status; a failure to restore the wrapped file
// system is a broken test environment.
void CheckRestore(const absl::Status& s) {
  if (!s.ok())
    throw std::runtime_error(absl::StrCat("FaultyFileSystem::PowerLoss: ", s.ToString()));
}

}  // namespace

const char* FsOpName(FsOp op) {
  switch (op) {
    case FsOp::kOpen:
      return "Open";
    case FsOp::kReadAt:
      return "ReadAt";
    case FsOp::kWriteAt:
      return "WriteAt";
    case FsOp::kAllocate:
      return "Allocate";
    case FsOp::kTruncate:
      return "Truncate";
    case FsOp::kSync:
      return "Sync";
    case FsOp::kMap:
      return "Map";
    case FsOp::kSyncDir:
      return "SyncDir";
    case FsOp::kRename:
      return "Rename";
    case FsOp::kRemove:
      return "Remove";
    case FsOp::kCreateDirs:
      return "CreateDirs";
    case FsOp::kListDir:
      return "ListDir";
    case FsOp::kLock:
      return "Lock";
  }
  return "?";
}

// A File of the wrapped file system that asks its FaultyFileSystem before
// each call and reports each Sync to it.
class FaultyFile final : public File {
 public:
  FaultyFile(FaultyFileSystem* fs, std::unique_ptr<File> base, int inode)
      : fs_(fs), base_(std::move(base)), inode_(inode) {}

  const std::string& path() const override { return base_->path(); }

  absl::StatusOr<uint64_t> Size() const override {
    if (fs_->powered_off()) return ErrnoStatus(EIO, "stat (power is off)", path());
    return base_->Size();
  }

  absl::Status ReadAt(uint64_t offset, MutableByteSpan out) const override {
    absl::Status s = fs_->MaybeFail(FsOp::kReadAt, path());
    return s.ok() ? base_->ReadAt(offset, out) : s;
  }

  absl::Status WriteAt(uint64_t offset, ByteSpan data) override {
    bool short_write = false;
    absl::Status s = fs_->MaybeFail(FsOp::kWriteAt, path(), &short_write);
    if (s.ok()) return base_->WriteAt(offset, data);
    if (short_write && data.size() > 1) {
      // What a disk filling up mid-write leaves: a prefix landed.
      base_->WriteAt(offset, data.first(data.size() / 2)).IgnoreError();
    }
    return s;
  }

  absl::Status Allocate(uint64_t offset, uint64_t length) override {
    absl::Status s = fs_->MaybeFail(FsOp::kAllocate, path());
    return s.ok() ? base_->Allocate(offset, length) : s;
  }

  absl::Status Truncate(uint64_t size) override {
    absl::Status s = fs_->MaybeFail(FsOp::kTruncate, path());
    return s.ok() ? base_->Truncate(size) : s;
  }

  absl::Status Sync() override {
    absl::Status s = fs_->MaybeFail(FsOp::kSync, path());
    if (s.ok()) s = base_->Sync();
    if (s.ok()) fs_->RecordSync(inode_, *base_);
    return s;
  }

  absl::StatusOr<std::unique_ptr<storage::Mapping>> Map(size_t length, bool writable) override {
    absl::Status s = fs_->MaybeFail(FsOp::kMap, path());
    if (!s.ok()) return s;
    return base_->Map(length, writable);
  }

 private:
  FaultyFileSystem* const fs_;
  std::unique_ptr<File> base_;
  const int inode_;
};

FaultyFileSystem::FaultyFileSystem(storage::FileSystem* base) : base_(base) {}
FaultyFileSystem::~FaultyFileSystem() = default;

void FaultyFileSystem::AddFault(const Fault& fault) {
  absl::MutexLock lock(&mu_);
  faults_.push_back(ActiveFault{fault, 0, std::mt19937_64(fault.seed)});
}

void FaultyFileSystem::FailNth(FsOp op, int64_t nth, int error, const std::string& path_contains) {
  Fault f;
  f.op = op;
  f.nth = nth;
  f.error = error;
  f.path_contains = path_contains;
  AddFault(f);
}

void FaultyFileSystem::FailFromNth(FsOp op, int64_t nth, int error,
                                   const std::string& path_contains) {
  Fault f;
  f.op = op;
  f.nth = nth;
  f.error = error;
  f.sticky = true;
  f.path_contains = path_contains;
  AddFault(f);
}

void FaultyFileSystem::FailRandomly(FsOp op, double probability, uint64_t seed, int error,
                                    const std::string& path_contains) {
  Fault f;
  f.op = op;
  f.probability = probability;
  f.seed = seed;
  f.error = error;
  f.path_contains = path_contains;
  AddFault(f);
}

void FaultyFileSystem::ClearFaults() {
  absl::MutexLock lock(&mu_);
  faults_.clear();
}

int64_t FaultyFileSystem::calls(FsOp op) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

int64_t FaultyFileSystem::injected_failures() const {
  absl::MutexLock lock(&mu_);
  return injected_;
}

bool FaultyFileSystem::powered_off() const {
  absl::MutexLock lock(&mu_);
  return powered_off_;
}

absl::Status FaultyFileSystem::PoweredOffError(const std::string& op,
                                               const std::string& path) const {
  return ErrnoStatus(EIO, absl::StrCat(op, " (power is off)"), path);
}

absl::Status FaultyFileSystem::MaybeFail(FsOp op, const std::string& path, bool* short_write) {
  absl::MutexLock lock(&mu_);
  ++calls_[op];
  if (powered_off_) return PoweredOffError(FsOpName(op), path);
  for (ActiveFault& f : faults_) {
    if (f.fault.op != op) continue;
    if (!f.fault.path_contains.empty() && !absl::StrContains(path, f.fault.path_contains)) continue;
    ++f.matched;
    bool fail;
    if (f.fault.probability > 0) {
      // 53 random bits as a double in [0, 1): the same on every platform.
      fail = static_cast<double>(f.rng() >> 11) * 0x1.0p-53 < f.fault.probability;
    } else {
      fail = f.matched == f.fault.nth || (f.fault.sticky && f.matched > f.fault.nth);
    }
    if (!fail) continue;
    ++injected_;
    if (short_write != nullptr) *short_write = f.fault.short_write;
    return ErrnoStatus(f.fault.error, absl::StrCat(FsOpName(op), " (injected fault)"), path);
  }
  return absl::OkStatus();
}

int FaultyFileSystem::NewInode(bool known) {
  int id = next_inode_++;
  inodes_[id] = Inode{known, std::nullopt};
  return id;
}

std::optional<FaultyFileSystem::Content> FaultyFileSystem::ReadContent(const std::string& path) {
  auto file = base_->Open(path, OpenMode::kReadOnly);
  if (!file.ok()) return std::nullopt;
  auto size = (*file)->Size();
  if (!size.ok()) return std::nullopt;
  Content c;
  c.size = *size;
  c.data.resize(*size);
  MutableByteSpan out(reinterpret_cast<uint8_t*>(c.data.data()), c.data.size());
  if (!(*file)->ReadAt(0, out).ok()) return std::nullopt;
  c.data.erase(c.data.find_last_not_of('\0') + 1);
  return c;
}

void FaultyFileSystem::RecordSync(int inode, const File& file) {
  Content c;
  absl::StatusOr<uint64_t> size = file.Size();
  if (!size.ok()) return;
  c.size = *size;
  c.data.resize(*size);
  MutableByteSpan out(reinterpret_cast<uint8_t*>(c.data.data()), c.data.size());
  if (!file.ReadAt(0, out).ok()) return;
  c.data.erase(c.data.find_last_not_of('\0') + 1);
  absl::MutexLock lock(&mu_);
  Inode& i = inodes_[inode];
  i.known = true;
  i.durable = std::move(c);
}

void FaultyFileSystem::TrackDir(const std::string& dir) {
  if (durable_dirs_.contains(dir)) return;
  auto names = base_->ListDir(dir);
  if (!names.ok()) return;  // Not there (yet).
  std::map<std::string, int>& listing = durable_dirs_[dir];
  for (const std::string& name : *names) {
    std::string path = JoinPath(dir, name);
    if (base_->IsDirectory(path).value_or(false)) {
      listing[name] = kDirectory;
      continue;
    }
    auto it = current_.find(path);
    int id = it != current_.end() ? it->second : (current_[path] = NewInode(/*known=*/false));
    listing[name] = id;
  }
}

void FaultyFileSystem::TrackFile(const std::string& raw) {
  std::string path = Normalize(raw);
  TrackDir(Parent(path));
  auto it = current_.find(path);
  if (it == current_.end()) {
    // Made behind this wrapper's back (by Lock, or before it was used).
    if (!base_->Exists(path).value_or(false) || base_->IsDirectory(path).value_or(true)) return;
    it = current_.emplace(path, NewInode(/*known=*/false)).first;
  }
  Inode& inode = inodes_[it->second];
  if (!inode.known) {
    // First touch of a file that predates us: as it is now, it is durable.
    inode.durable = ReadContent(path);
    inode.known = true;
  }
}

void FaultyFileSystem::MovePrefix(std::map<std::string, int>* paths, const std::string& from,
                                  const std::string& to) {
  std::map<std::string, int> moved;
  for (auto it = paths->begin(); it != paths->end();) {
    if (IsUnder(it->first, from)) {
      moved[to + it->first.substr(from.size())] = it->second;
      it = paths->erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [path, id] : moved) (*paths)[path] = id;
}

absl::StatusOr<std::unique_ptr<File>> FaultyFileSystem::Open(const std::string& raw,
                                                             OpenMode mode) {
  std::string path = Normalize(raw);
  if (absl::Status s = MaybeFail(FsOp::kOpen, path); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  TrackFile(path);
  absl::StatusOr<std::unique_ptr<File>> file = base_->Open(path, mode);
  if (!file.ok()) return file.status();
  auto it = current_.find(path);
  if (it == current_.end()) it = current_.emplace(path, NewInode(/*known=*/true)).first;
  return std::unique_ptr<File>(new FaultyFile(this, std::move(*file), it->second));
}

absl::Status FaultyFileSystem::CreateDirs(const std::string& raw) {
  std::string path = Normalize(raw);
  if (absl::Status s = MaybeFail(FsOp::kCreateDirs, path); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  std::vector<std::string> missing;
  std::string p = path;
  while (!p.empty() && !base_->Exists(p).value_or(false)) {
    missing.push_back(p);
    p = Parent(p);
  }
  if (!p.empty()) TrackDir(p);
  if (absl::Status s = base_->CreateDirs(path); !s.ok()) return s;
  // New directories are empty, durably so; whether they exist after a power
  // cut is up to their parents' SyncDir.
  for (const std::string& dir : missing) durable_dirs_[dir] = {};
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FaultyFileSystem::ListDir(const std::string& path) {
  if (absl::Status s = MaybeFail(FsOp::kListDir, path); !s.ok()) return s;
  return base_->ListDir(path);
}

absl::StatusOr<bool> FaultyFileSystem::Exists(const std::string& path) {
  {
    absl::MutexLock lock(&mu_);
    if (powered_off_) return PoweredOffError("Exists", path);
  }
  return base_->Exists(path);
}

absl::StatusOr<bool> FaultyFileSystem::IsDirectory(const std::string& path) {
  {
    absl::MutexLock lock(&mu_);
    if (powered_off_) return PoweredOffError("IsDirectory", path);
  }
  return base_->IsDirectory(path);
}

absl::Status FaultyFileSystem::Rename(const std::string& raw_from, const std::string& raw_to) {
  std::string from = Normalize(raw_from), to = Normalize(raw_to);
  if (absl::Status s = MaybeFail(FsOp::kRename, from); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  bool is_dir = base_->IsDirectory(from).value_or(false);
  if (is_dir) {
    TrackDir(Parent(from));
    TrackDir(Parent(to));
  } else {
    TrackFile(from);
    TrackFile(to);
  }
  if (absl::Status s = base_->Rename(from, to); !s.ok()) return s;
  if (is_dir) {
    // Approximation: a directory rename is durable at once.
    MovePrefix(&current_, from, to);
    std::map<std::string, std::map<std::string, int>> moved;
    for (auto it = durable_dirs_.begin(); it != durable_dirs_.end();) {
      if (IsUnder(it->first, from)) {
        moved[to + it->first.substr(from.size())] = std::move(it->second);
        it = durable_dirs_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [dir, listing] : moved) durable_dirs_[dir] = std::move(listing);
    if (auto it = durable_dirs_.find(Parent(from)); it != durable_dirs_.end()) {
      it->second.erase(BaseName(from));
    }
    if (auto it = durable_dirs_.find(Parent(to)); it != durable_dirs_.end()) {
      it->second[BaseName(to)] = kDirectory;
    }
    return absl::OkStatus();
  }
  auto it = current_.find(from);
  if (it != current_.end()) {
    int id = it->second;
    current_.erase(it);
    current_[to] = id;
  }
  return absl::OkStatus();
}

absl::Status FaultyFileSystem::RemoveFile(const std::string& raw) {
  std::string path = Normalize(raw);
  if (absl::Status s = MaybeFail(FsOp::kRemove, path); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  TrackFile(path);
  if (absl::Status s = base_->RemoveFile(path); !s.ok()) return s;
  current_.erase(path);
  return absl::OkStatus();
}

absl::Status FaultyFileSystem::RemoveAll(const std::string& raw) {
  std::string path = Normalize(raw);
  if (absl::Status s = MaybeFail(FsOp::kRemove, path); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  TrackDir(Parent(path));
  if (absl::Status s = base_->RemoveAll(path); !s.ok()) return s;
  // Approximation: removing a tree is durable at once.
  for (auto it = current_.begin(); it != current_.end();) {
    it = IsUnder(it->first, path) ? current_.erase(it) : std::next(it);
  }
  for (auto it = durable_dirs_.begin(); it != durable_dirs_.end();) {
    it = IsUnder(it->first, path) ? durable_dirs_.erase(it) : std::next(it);
  }
  if (auto it = durable_dirs_.find(Parent(path)); it != durable_dirs_.end()) {
    it->second.erase(BaseName(path));
  }
  return absl::OkStatus();
}

absl::Status FaultyFileSystem::SyncDir(const std::string& raw) {
  std::string dir = Normalize(raw);
  if (absl::Status s = MaybeFail(FsOp::kSyncDir, dir); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (absl::Status s = base_->SyncDir(dir); !s.ok()) return s;
  auto names = base_->ListDir(dir);
  if (!names.ok()) return names.status();
  std::map<std::string, int> listing;
  for (const std::string& name : *names) {
    std::string path = JoinPath(dir, name);
    if (base_->IsDirectory(path).value_or(false)) {
      listing[name] = kDirectory;
      durable_dirs_.try_emplace(path);  // Known from here on, empty if new to us.
      continue;
    }
    auto it = current_.find(path);
    listing[name] = it != current_.end() ? it->second : (current_[path] = NewInode(false));
  }
  durable_dirs_[dir] = std::move(listing);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<storage::DirLock>> FaultyFileSystem::Lock(const std::string& path) {
  if (absl::Status s = MaybeFail(FsOp::kLock, path); !s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    lock_paths_.insert(Normalize(path));
  }
  return base_->Lock(path);
}

void FaultyFileSystem::RestoreFile(const std::string& path, const Inode& inode) {
  Content content = inode.durable.value_or(Content{});
  // Into a fresh file renamed over the name, so mappings of the lost file
  // (a log still alive) cannot write into the restored one.
  std::string tmp = path + ".powerloss-restore";
  {
    auto file = base_->Open(tmp, OpenMode::kCreate);
    CheckRestore(file.status());
    CheckRestore((*file)->Truncate(0));
    CheckRestore((*file)->Truncate(content.size));
    if (!content.data.empty()) CheckRestore((*file)->WriteAt(0, AsBytes(content.data)));
  }
  CheckRestore(base_->Rename(tmp, path));
}

void FaultyFileSystem::RestoreDir(const std::string& dir, std::set<std::string>* removed_dirs) {
  for (const std::string& removed : *removed_dirs) {
    if (IsUnder(dir, removed)) {
      removed_dirs->insert(dir);
      return;
    }
  }
  if (!base_->IsDirectory(dir).value_or(false)) {
    auto parent = durable_dirs_.find(Parent(dir));
    bool durable =
        parent == durable_dirs_.end() ||
        (parent->second.contains(BaseName(dir)) && parent->second.at(BaseName(dir)) == kDirectory);
    if (!durable) {
      removed_dirs->insert(dir);
      return;
    }
    CheckRestore(base_->CreateDirs(dir));
  }
  const std::map<std::string, int>& listing = durable_dirs_[dir];
  auto names = base_->ListDir(dir);
  CheckRestore(names.status());
  for (const std::string& name : *names) {
    std::string path = JoinPath(dir, name);
    if (lock_paths_.contains(path)) continue;
    bool is_dir = base_->IsDirectory(path).value_or(false);
    auto it = listing.find(name);
    if (it != listing.end() && (it->second == kDirectory) == is_dir) continue;
    if (is_dir) {
      CheckRestore(base_->RemoveAll(path));
      removed_dirs->insert(path);
    } else {
      CheckRestore(base_->RemoveFile(path));
    }
  }
  for (const auto& [name, id] : listing) {
    std::string path = JoinPath(dir, name);
    if (id == kDirectory) {
      CheckRestore(base_->CreateDirs(path));
      continue;
    }
    const Inode& inode = inodes_[id];
    if (!inode.known) continue;  // Never touched: still as it was.
    RestoreFile(path, inode);
  }
}

void FaultyFileSystem::PowerLoss() {
  absl::MutexLock lock(&mu_);
  powered_off_ = true;
  std::set<std::string> removed_dirs;
  // Parents sort before their children, so a directory is settled before
  // what is inside it.
  for (const auto& [dir, listing] : durable_dirs_) RestoreDir(dir, &removed_dirs);
  for (const std::string& dir : removed_dirs) durable_dirs_.erase(dir);
  current_.clear();
  for (const auto& [dir, listing] : durable_dirs_) {
    for (const auto& [name, id] : listing) {
      if (id != kDirectory) current_[JoinPath(dir, name)] = id;
    }
  }
}

void FaultyFileSystem::Restart() {
  absl::MutexLock lock(&mu_);
  powered_off_ = false;
  faults_.clear();
}

}  // namespace rill::testing
