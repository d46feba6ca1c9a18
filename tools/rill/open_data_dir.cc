#include "tools/rill/open_data_dir.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace rill::tool {
namespace {

// The part of the storage layer's lock error this hint belongs to
// (FileSystem::Lock in lib/storage/file_system.h).
constexpr char kInUseByProcess[] = " is in use by process ";

}  // namespace

absl::Status RequireDataDir(const std::string& dir) {
  std::error_code error;
  if (std::filesystem::is_directory(dir, error)) return absl::OkStatus();
  return absl::NotFoundError(
      absl::StrCat(dir, ": no such data directory (set --dir or $RILL_DIR)"));
}

absl::Status ExplainLockError(const absl::Status& status) {
  if (!absl::IsFailedPrecondition(status) ||
      !absl::StrContains(status.message(), kInUseByProcess)) {
    return status;
  }
  return absl::FailedPreconditionError(
      absl::StrCat(status.message(), "; use --read-only to inspect it"));
}

absl::StatusOr<std::unique_ptr<storage::LogManager>> OpenDataDir(const GlobalFlags& globals,
                                                                 DataDirAccess access) {
  if (access == DataDirAccess::kRead) {
    RILL_RETURN_IF_ERROR(RequireDataDir(globals.dir));
  } else if (globals.read_only) {
    return absl::InvalidArgumentError(
        absl::StrCat("--read-only: this command writes to ", globals.dir));
  }
  storage::LogManagerOptions options;
  options.dir = globals.dir;
  options.read_only = globals.read_only;
  absl::StatusOr<std::unique_ptr<storage::LogManager>> manager = storage::LogManager::Open(options);
  if (!manager.ok()) return ExplainLockError(manager.status());
  return manager;
}

}  // namespace rill::tool
