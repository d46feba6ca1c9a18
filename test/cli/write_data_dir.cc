// rill_cli_data_writer DIR [--hold]
//
// Writes a small data directory through rill::storage::LogManager for the
// `rill verify` / `rill dump` tests (test/cli/check_cli.py): topics "orders"
// (partitions 0 and 1) and "events-log" (partition 0; a topic name with a
// dash), with segment.bytes=2048 and index.interval.bytes=256 so that each
// partition has several segments and each segment several index entries.
// Some batches are gzip-compressed and some carry timestamps older than
// earlier batches, so the time index skips them.
//
// Without --hold it closes the directory cleanly (checkpoints, clean-shutdown
// marker). With --hold it keeps the directory open and locked, prints
// "ready" once everything is written, and when stdin reaches its end exits
// without closing anything, as a crashed owner would: the active segments
// keep their preallocated zero tails.

#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/format/record_batch_builder.h"
#include "lib/storage/log_manager.h"

namespace rill::cli_test {
namespace {

constexpr int64_t kBaseTime = 1700000000000;

storage::LogConfig SmallSegments() {
  storage::LogConfig config;
  config.segment_bytes = 2048;
  config.index_interval_bytes = 256;
  config.segment_index_bytes = 4096;
  // Mapped segments reserve their file in chunks, so a held directory's
  // active segments end in the preallocated zero tail the tool must accept.
  config.write_mode = storage::SegmentWriteMode::kMmap;
  return config;
}

// Batch `b` of a partition: three records, every fourth batch gzip, every
// seventh with timestamps before the ones already written.
absl::Status AppendBatch(storage::Log* log, const std::string& name, int b) {
  format::BatchOptions options;
  options.compression =
      b % 4 == 3 ? format::CompressionType::kGzip : format::CompressionType::kNone;
  format::RecordBatchBuilder builder(options);
  int64_t time = kBaseTime + b * 1000 - (b % 7 == 5 ? 600000 : 0);
  for (int r = 0; r < 3; ++r) {
    std::string key = absl::StrCat("key-", b, "-", r);
    std::string value = absl::StrCat(name, " batch ", b, " record ", r, " ",
                                     std::string(40 + (b * 7 + r) % 30, 'x'));
    RILL_RETURN_IF_ERROR(builder.Append(time + r, key, value));
  }
  RILL_ASSIGN_OR_RETURN(MutableByteSpan batch, builder.Build());
  return log->Append(batch).status();
}

absl::Status WritePartition(storage::LogManager* manager, const std::string& topic,
                            int32_t partition, int batches) {
  RILL_ASSIGN_OR_RETURN(storage::Log * log,
                        manager->GetOrCreateLog(topic, partition, SmallSegments()));
  std::string name = absl::StrCat(topic, "-", partition);
  for (int b = 0; b < batches; ++b) RILL_RETURN_IF_ERROR(AppendBatch(log, name, b));
  return log->Flush();
}

absl::Status Run(const std::string& dir, bool hold) {
  storage::LogManagerOptions options;
  options.dir = dir;
  options.config_for = [](const std::string&) { return SmallSegments(); };
  RILL_ASSIGN_OR_RETURN(std::unique_ptr<storage::LogManager> manager,
                        storage::LogManager::Open(options));
  RILL_RETURN_IF_ERROR(WritePartition(manager.get(), "orders", 0, 40));
  RILL_RETURN_IF_ERROR(WritePartition(manager.get(), "orders", 1, 25));
  RILL_RETURN_IF_ERROR(WritePartition(manager.get(), "events-log", 0, 10));
  RILL_RETURN_IF_ERROR(manager->WriteCheckpoints());
  if (!hold) return manager->Close();
  std::cout << "ready" << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  // A crash: no Close(), no destructors, the lock released by the kernel.
  _exit(0);
}

}  // namespace
}  // namespace rill::cli_test

int main(int argc, char** argv) {
  std::string hold_flag = argc == 3 ? argv[2] : "";
  if (argc < 2 || argc > 3 || (argc == 3 && hold_flag != "--hold")) {
    std::cerr << "usage: rill_cli_data_writer DIR [--hold]\n";
    return 2;
  }
  absl::Status status = rill::cli_test::Run(argv[1], argc == 3);
  if (!status.ok()) {
    std::cerr << "rill_cli_data_writer: " << status << "\n";
    return 1;
  }
  return 0;
}
