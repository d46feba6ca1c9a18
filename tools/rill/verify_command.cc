#include "tools/rill/verify_command.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/status_macros.h"
#include "tools/rill/checkpoints.h"
#include "tools/rill/data_dir.h"
#include "tools/rill/open_data_dir.h"
#include "tools/rill/partition_verifier.h"
#include "tools/rill/progress.h"
#include "tools/rill/record_json.h"

namespace rill::tool {
namespace {

namespace fs = std::filesystem;

// What is wrong with the data directory itself.
struct DirReport {
  std::vector<std::string> problems;
};

// Reads `name` in `dir` into `*offsets` (left nullopt when absent or bad).
void LoadCheckpoint(const std::string& dir, const char* name,
                    std::optional<storage::PartitionOffsets>* offsets, DirReport* report) {
  absl::StatusOr<std::optional<storage::PartitionOffsets>> read =
      ReadOffsetsCheckpoint((fs::path(dir) / name).string());
  if (!read.ok()) {
    report->problems.push_back(std::string(read.status().message()));
  } else if (offsets != nullptr) {
    *offsets = std::move(*read);
  }
}

DirCheckpoints LoadCheckpoints(const std::string& dir, DirReport* report) {
  DirCheckpoints checkpoints;
  LoadCheckpoint(dir, storage::kRecoveryPointCheckpoint, &checkpoints.recovery_points, report);
  LoadCheckpoint(dir, storage::kLogStartOffsetCheckpoint, &checkpoints.log_start_offsets, report);
  // These need only parse: their offsets are not bounded by the log end.
  LoadCheckpoint(dir, kReplicationOffsetCheckpoint, nullptr, report);
  LoadCheckpoint(dir, storage::kCleanerOffsetCheckpoint, nullptr, report);
  return checkpoints;
}

// The partitions of `topics` (all when empty); a topic without any is a
// problem of the directory.
std::vector<PartitionDir> SelectTopics(const std::string& dir,
                                       const std::vector<PartitionDir>& partitions,
                                       const std::vector<std::string>& topics, DirReport* report) {
  if (topics.empty()) return partitions;
  std::vector<PartitionDir> selected;
  for (const PartitionDir& partition : partitions) {
    if (absl::c_linear_search(topics, partition.topic)) selected.push_back(partition);
  }
  for (const std::string& topic : topics) {
    if (absl::c_none_of(selected, [&](const PartitionDir& p) { return p.topic == topic; })) {
      report->problems.push_back(
          absl::StrCat("topic ", topic, ": no <topic>-<partition> directories in ", dir));
    }
  }
  return selected;
}

Json PartitionJson(const PartitionReport& report) {
  Json json;
  json["topic"] = report.topic;
  json["partition"] = report.partition;
  json["segments"] = report.segments;
  json["batches"] = report.batches;
  json["records"] = report.records;
  json["bytes"] = report.bytes;
  json["log_start_offset"] = report.log_start_offset;
  json["log_end_offset"] = report.log_end_offset;
  json["ok"] = report.ok();
  json["problems"] = report.problems;
  json["warnings"] = report.warnings;
  return json;
}

// The summary line; the first problem ends it, the rest follow indented.
void PrintPartitionText(const PartitionReport& report, std::ostream* out) {
  *out << report.topic << "-" << report.partition << ": " << report.segments << " segments, "
       << report.batches << " batches, " << report.records << " records, " << report.bytes
       << " bytes, offsets [" << report.log_start_offset << ", " << report.log_end_offset
       << "): " << (report.ok() ? "OK" : "FAILED: " + report.problems.front()) << "\n";
  for (size_t i = 1; i < report.problems.size(); ++i) {
    *out << "  problem: " << report.problems[i] << "\n";
  }
  for (const std::string& warning : report.warnings) *out << "  warning: " << warning << "\n";
}

void PrintPartition(const PartitionReport& report, bool json, std::ostream* out) {
  if (json) {
    *out << JsonLine(PartitionJson(report)) << "\n";
  } else {
    PrintPartitionText(report, out);
  }
  out->flush();  // Before the progress bar draws again on a shared terminal.
}

void PrintDirReport(const std::string& dir, const DirReport& report, bool json, std::ostream* out) {
  if (report.problems.empty()) return;
  if (json) {
    Json line;
    line["dir"] = dir;
    line["ok"] = false;
    line["problems"] = report.problems;
    *out << JsonLine(line) << "\n";
    return;
  }
  *out << dir << ": FAILED: " << report.problems.front() << "\n";
  for (size_t i = 1; i < report.problems.size(); ++i) {
    *out << "  problem: " << report.problems[i] << "\n";
  }
}

// What failed, as the one line main prints.
absl::Status Outcome(const std::string& dir, const std::vector<PartitionReport>& reports,
                     const DirReport& dir_report) {
  auto failed = absl::c_count_if(reports, [](const PartitionReport& r) { return !r.ok(); });
  if (failed > 0) {
    auto first = absl::c_find_if(reports, [](const PartitionReport& r) { return !r.ok(); });
    return absl::DataLossError(absl::StrCat("verify: ", failed, " of ", reports.size(),
                                            " partitions in ", dir,
                                            " have problems; the first: ", first->problems[0]));
  }
  if (!dir_report.problems.empty()) {
    return absl::DataLossError(absl::StrCat("verify: ", dir_report.problems.front()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Verify(const VerifyOptions& options, std::ostream* out) {
  RILL_RETURN_IF_ERROR(RequireDataDir(options.dir));
  RILL_ASSIGN_OR_RETURN(std::vector<PartitionDir> all, ListPartitionDirs(options.dir));
  DirReport dir_report;
  std::vector<PartitionDir> partitions =
      SelectTopics(options.dir, all, options.topics, &dir_report);
  DirCheckpoints checkpoints = LoadCheckpoints(options.dir, &dir_report);
  Progress progress(/*enabled=*/true, partitions.size());
  std::vector<PartitionReport> reports;
  for (size_t i = 0; i < partitions.size(); ++i) {
    progress.Update(i, fs::path(partitions[i].path).filename().string());
    reports.push_back(VerifyPartition(partitions[i], checkpoints));
    progress.Clear();
    PrintPartition(reports.back(), options.json, out);
  }
  PrintDirReport(options.dir, dir_report, options.json, out);
  return Outcome(options.dir, reports, dir_report);
}

void RegisterVerifyCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run) {
  auto topics = std::make_shared<std::vector<std::string>>();
  CLI::App* verify = app->add_subcommand(
      "verify",
      "Check every partition of the data directory (--dir): batch CRCs and framing, offsets, "
      "segment file names, indexes against their batches, orphan index files, checkpoints. "
      "Prints a summary per partition; exit 1 if anything is wrong. Never locks or writes");
  verify->add_option("TOPIC", *topics, "Check only these topics. Default: every topic");
  verify->callback([=] {
    *run = [=] {
      VerifyOptions options;
      options.dir = globals->dir;
      options.topics = *topics;
      options.json = globals->json;
      return Verify(options, &std::cout);
    };
  });
}

}  // namespace rill::tool
