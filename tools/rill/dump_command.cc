#include "tools/rill/dump_command.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/storage/log_file_names.h"
#include "tools/rill/data_dir.h"
#include "tools/rill/directory_dump.h"
#include "tools/rill/index_dump.h"
#include "tools/rill/segment_dump.h"

namespace rill::tool {
namespace {

namespace fs = std::filesystem;

absl::Status DumpFile(const DumpOptions& options, const fs::path& path, std::ostream* out) {
  std::string extension = path.extension().string();
  if (extension == storage::kLogSuffix) {
    return DumpSegment(options, path.string(), SegmentMayShrink(path.string()), out);
  }
  if (extension == storage::kIndexSuffix) return DumpOffsetIndex(options, path.string(), out);
  if (extension == storage::kTimeIndexSuffix) return DumpTimeIndex(options, path.string(), out);
  if (extension == storage::kTxnIndexSuffix || extension == storage::kSnapshotSuffix) {
    return absl::UnimplementedError(
        absl::StrCat(path.string(), ": dump of ", extension, " files arrives with transactions"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path.string(), ": not a Kafka .log, .index or .timeindex file, nor a directory"));
}

absl::Status DumpDirectory(const DumpOptions& options, const fs::path& dir, std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(std::vector<std::string> segments, ListSegmentFiles(dir.string()));
  if (!segments.empty()) return DumpPartitionDir(options, dir.string(), out);
  RILL_ASSIGN_OR_RETURN(bool data_dir, LooksLikeDataDir(dir.string()));
  if (data_dir) return DumpDataDir(options, dir.string(), out);
  return absl::InvalidArgumentError(
      absl::StrCat(dir.string(),
                   ": neither a partition directory (no .log segments) nor a data directory (no "
                   "<topic>-<partition> directories or checkpoints)"));
}

}  // namespace

absl::Status Dump(const DumpOptions& options, std::ostream* out) {
  fs::path path(options.path);
  std::error_code error;
  fs::file_status status = fs::status(path, error);
  if (error) return absl::NotFoundError(absl::StrCat(options.path, ": ", error.message()));
  if (fs::is_directory(status)) return DumpDirectory(options, path, out);
  return DumpFile(options, path, out);
}

void RegisterDumpCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run) {
  auto options = std::make_shared<DumpOptions>();
  auto from = std::make_shared<int64_t>(0);
  CLI::App* dump = app->add_subcommand(
      "dump",
      "Print what is on disk: the batches (and records) of a .log segment, the entries of a "
      ".index or .timeindex file, or every segment and checkpoint of a partition or data "
      "directory (rill's or Apache Kafka's). Never locks or writes");
  dump->add_option("PATH", options->path,
                   "A .log, .index or .timeindex file, a partition directory (its segments in "
                   "offset order) or a data directory (its partitions in topic and partition "
                   "order, then its checkpoints)")
      ->required();
  dump->add_flag(
      "--records", options->records,
      "Also print every record, with topic and partition from a <topic>-<partition> "
      "directory name (else \"\" and -1); transaction markers print as COMMIT/ABORT "
      "with the coordinator epoch. Decodes (checks) every record as --deep does. Default: off");
  CLI::Option* from_option =
      dump->add_option("--from", *from,
                       "Skip batches whose last offset (index entries whose offset) is below "
                       "OFFSET. Default: none, start at the first")
          ->type_name("OFFSET");
  dump->add_flag("--deep", options->deep,
                 "Decompress and decode every record, checking it, even without --records, and "
                 "check each segment's .index and .timeindex against its batches. Default: off "
                 "(check framing, batch header and CRC only)");
  dump->callback([=] {
    *run = [=] {
      DumpOptions resolved = *options;
      if (from_option->count() > 0) resolved.from = *from;
      resolved.json = globals->json;
      return Dump(resolved, &std::cout);
    };
  });
}

}  // namespace rill::tool
