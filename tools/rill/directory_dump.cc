#include "tools/rill/directory_dump.h"

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/storage/checkpoint_file.h"
#include "tools/rill/checkpoints.h"
#include "tools/rill/data_dir.h"
#include "tools/rill/progress.h"
#include "tools/rill/record_json.h"
#include "tools/rill/segment_dump.h"

namespace rill::tool {
namespace {

namespace fs = std::filesystem;

std::string Join(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

absl::Status DumpOffsetsCheckpoint(const std::string& path, bool json, std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(std::optional<storage::PartitionOffsets> offsets,
                        ReadOffsetsCheckpoint(path));
  if (!offsets) return absl::OkStatus();
  if (!json) *out << "Dumping " << path << "\n";
  for (const auto& [tp, offset] : *offsets) {
    if (json) {
      Json line;
      line["checkpoint"] = fs::path(path).filename().string();
      line["file"] = path;
      line["topic"] = tp.first;
      line["partition"] = tp.second;
      line["offset"] = offset;
      *out << JsonLine(line) << "\n";
    } else {
      *out << "topic: " << tp.first << " partition: " << tp.second << " offset: " << offset << "\n";
    }
  }
  return absl::OkStatus();
}

absl::Status DumpLeaderEpochs(const std::string& path, bool json, std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(std::optional<std::vector<LeaderEpochEntry>> epochs,
                        ReadLeaderEpochCheckpoint(path));
  if (!epochs) return absl::OkStatus();
  if (!json) *out << "Dumping " << path << "\n";
  for (const LeaderEpochEntry& entry : *epochs) {
    if (json) {
      Json line;
      line["checkpoint"] = storage::kLeaderEpochCheckpoint;
      line["file"] = path;
      line["epoch"] = entry.epoch;
      line["start_offset"] = entry.start_offset;
      *out << JsonLine(line) << "\n";
    } else {
      *out << "epoch: " << entry.epoch << " startOffset: " << entry.start_offset << "\n";
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DumpPartitionDir(const DumpOptions& options, const std::string& dir,
                              std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(std::vector<std::string> segments, ListSegmentFiles(dir));
  std::vector<bool> may_shrink = SegmentsThatMayShrink(segments);
  for (size_t i = 0; i < segments.size(); ++i) {
    RILL_RETURN_IF_ERROR(DumpSegment(options, segments[i], may_shrink[i], out));
  }
  return DumpLeaderEpochs(Join(dir, storage::kLeaderEpochCheckpoint), options.json, out);
}

absl::Status DumpDataDir(const DumpOptions& options, const std::string& dir, std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(std::vector<PartitionDir> partitions, ListPartitionDirs(dir));
  // The bar would be overwritten at once if the dump went to the same terminal.
  Progress progress(isatty(STDOUT_FILENO) != 1, partitions.size());
  for (size_t i = 0; i < partitions.size(); ++i) {
    progress.Update(i, fs::path(partitions[i].path).filename().string());
    RILL_RETURN_IF_ERROR(DumpPartitionDir(options, partitions[i].path, out));
  }
  progress.Clear();
  for (const char* checkpoint : kDataDirCheckpoints) {
    RILL_RETURN_IF_ERROR(DumpOffsetsCheckpoint(Join(dir, checkpoint), options.json, out));
  }
  return absl::OkStatus();
}

}  // namespace rill::tool
