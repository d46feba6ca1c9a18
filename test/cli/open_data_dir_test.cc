#include "tools/rill/open_data_dir.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/storage/log_manager.h"
#include "test/support/status_matchers.h"

namespace rill::tool {
namespace {

// A fresh directory under $TMPDIR, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rill-cli-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

GlobalFlags FlagsFor(const std::string& dir, bool read_only = false) {
  GlobalFlags flags;
  flags.dir = dir;
  flags.read_only = read_only;
  return flags;
}

absl::StatusOr<std::unique_ptr<storage::LogManager>> TakeLock(const std::string& dir) {
  storage::LogManagerOptions options;
  options.dir = dir;
  return storage::LogManager::Open(options);
}

TEST_CASE("a directory another owner locked names its pid and suggests --read-only", "[cli]") {
  ScratchDir scratch;
  // flock locks belong to an open file, so a second open in this process
  // conflicts just as another process would.
  auto owner = TakeLock(scratch.path());
  REQUIRE_OK(owner);
  auto second = OpenDataDir(FlagsFor(scratch.path()), DataDirAccess::kWrite);
  REQUIRE(absl::IsFailedPrecondition(second.status()));
  CHECK(second.status().message() == absl::StrCat(scratch.path(), " is in use by process ",
                                                  getpid(), " (lock ", scratch.path(),
                                                  "/.lock); use --read-only to inspect it"));
}

TEST_CASE("a read-only open of a locked directory skips the lock", "[cli]") {
  ScratchDir scratch;
  auto owner = TakeLock(scratch.path());
  REQUIRE_OK(owner);
  auto reader = OpenDataDir(FlagsFor(scratch.path(), /*read_only=*/true), DataDirAccess::kRead);
  REQUIRE_OK(reader);
}

TEST_CASE("a reading command fails on a missing directory and does not create it", "[cli]") {
  ScratchDir scratch;
  std::string missing = scratch.path() + "/nope";
  auto opened = OpenDataDir(FlagsFor(missing), DataDirAccess::kRead);
  REQUIRE(absl::IsNotFound(opened.status()));
  CHECK(opened.status().message() ==
        absl::StrCat(missing, ": no such data directory (set --dir or $RILL_DIR)"));
  CHECK_FALSE(std::filesystem::exists(missing));
}

TEST_CASE("a writing command creates the directory and refuses --read-only", "[cli]") {
  ScratchDir scratch;
  std::string dir = scratch.path() + "/new";
  CHECK(absl::IsInvalidArgument(
      OpenDataDir(FlagsFor(dir, /*read_only=*/true), DataDirAccess::kWrite).status()));
  auto opened = OpenDataDir(FlagsFor(dir), DataDirAccess::kWrite);
  REQUIRE_OK(opened);
  CHECK(std::filesystem::is_directory(dir));
}

TEST_CASE("a broker opens a directory it created and refuses one with foreign partitions",
          "[cli]") {
  ScratchDir scratch;
  std::string dir = scratch.path() + "/data";
  {
    auto broker = OpenBroker(FlagsFor(dir), DataDirAccess::kWrite, BrokerOptions{});
    REQUIRE_OK(broker);
    REQUIRE_OK((*broker)->CreateTopic("orders"));
    REQUIRE_OK((*broker)->Close());
  }
  auto again = OpenBroker(FlagsFor(dir), DataDirAccess::kRead, BrokerOptions{});
  REQUIRE_OK(again);
  CHECK((*again)->ListTopics() == std::vector<std::string>{"orders"});
  again->reset();

  // Partitions written through the storage layer alone, as Kafka's would be.
  std::string foreign = scratch.path() + "/foreign";
  {
    auto logs = TakeLock(foreign);
    REQUIRE_OK(logs);
    REQUIRE_OK((*logs)->GetOrCreateLog("events", 0, storage::LogConfig{}));
  }
  auto refused = OpenBroker(FlagsFor(foreign), DataDirAccess::kWrite, BrokerOptions{});
  REQUIRE(absl::IsFailedPrecondition(refused.status()));
  CHECK(absl::StrContains(refused.status().message(),
                          "has partition directories (events-0) but no rill topic metadata"));
  CHECK(std::filesystem::is_directory(foreign + "/events-0"));
  auto read_only =
      OpenBroker(FlagsFor(foreign, /*read_only=*/true), DataDirAccess::kRead, BrokerOptions{});
  REQUIRE_OK(read_only);
  CHECK((*read_only)->ListTopics().empty());
}

TEST_CASE("ExplainLockError leaves every other error alone", "[cli]") {
  absl::Status other = absl::FailedPreconditionError("orders-0 is closed");
  CHECK(ExplainLockError(other) == other);
  CHECK(ExplainLockError(absl::OkStatus()).ok());
  absl::Status lock = absl::FailedPreconditionError("/d is in use by process 7 (lock /d/.lock)");
  CHECK(ExplainLockError(lock).message() ==
        "/d is in use by process 7 (lock /d/.lock); use --read-only to inspect it");
}

}  // namespace
}  // namespace rill::tool
