#include "tools/rill/open_data_dir.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "tools/rill/data_dir.h"

namespace rill::tool {
namespace {

// The part of the storage layer's lock error this hint belongs to
// (FileSystem::Lock in lib/storage/file_system.h).
constexpr char kInUseByProcess[] = " is in use by process ";

// Where a rill broker keeps one properties file per topic
// (docs/broker-and-producer.md, "Persistence").
constexpr char kTopicMetadataDir[] = ".topics";

absl::Status CheckAccess(const GlobalFlags& globals, DataDirAccess access) {
  if (access == DataDirAccess::kRead) return RequireDataDir(globals.dir);
  if (globals.read_only) {
    return absl::InvalidArgumentError(
        absl::StrCat("--read-only: this command writes to ", globals.dir));
  }
  return absl::OkStatus();
}

// See OpenBroker: a writable broker must not open a directory whose
// partitions no rill topic owns.
absl::Status RefuseForeignPartitions(const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return absl::OkStatus();  // Created afresh.
  if (std::filesystem::exists(std::filesystem::path(dir) / kTopicMetadataDir, error)) {
    return absl::OkStatus();
  }
  RILL_ASSIGN_OR_RETURN(std::vector<PartitionDir> partitions, ListPartitionDirs(dir));
  if (partitions.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      dir, ": has partition directories (", partitions.front().topic, "-",
      partitions.front().partition, partitions.size() > 1 ? ", ..." : "",
      ") but no rill topic metadata (", kTopicMetadataDir,
      "): written by Apache Kafka or by rill's storage layer alone, and a broker would remove "
      "them; inspect it with --read-only, rill dump or rill verify"));
}

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
  RILL_RETURN_IF_ERROR(CheckAccess(globals, access));
  storage::LogManagerOptions options;
  options.dir = globals.dir;
  options.read_only = globals.read_only;
  absl::StatusOr<std::unique_ptr<storage::LogManager>> manager = storage::LogManager::Open(options);
  if (!manager.ok()) return ExplainLockError(manager.status());
  return manager;
}

absl::StatusOr<std::unique_ptr<Broker>> OpenBroker(const GlobalFlags& globals, DataDirAccess access,
                                                   BrokerOptions options) {
  RILL_RETURN_IF_ERROR(CheckAccess(globals, access));
  options.read_only = globals.read_only;
  if (!options.read_only) RILL_RETURN_IF_ERROR(RefuseForeignPartitions(globals.dir));
  absl::StatusOr<std::unique_ptr<Broker>> broker = Broker::Open(globals.dir, options);
  if (!broker.ok()) return ExplainLockError(broker.status());
  return broker;
}

}  // namespace rill::tool
