#ifndef RILL_TOOLS_RILL_DIRECTORY_DUMP_H_
#define RILL_TOOLS_RILL_DIRECTORY_DUMP_H_

// `rill dump` of a directory (kafka-reference §2.1), whether rill or Apache
// Kafka wrote it:
//
//  - a partition directory: every `.log` segment in offset order
//    (segment_dump.h), then its `leader-epoch-checkpoint`;
//  - a data directory: every `<topic>-<partition>` directory in topic, then
//    partition order, as above, then the directory's checkpoints
//    (recovery-point-offset-checkpoint, log-start-offset-checkpoint,
//    replication-offset-checkpoint, cleaner-offset-checkpoint).
//
// Checkpoints print as `Dumping <file>` and one line per entry:
//   topic: orders partition: 3 offset: 1042     epoch: 0 startOffset: 0
// (--json: {"checkpoint":"<name>","file":...,"topic":...,"partition":...,
// "offset":...} or {...,"epoch":...,"start_offset":...}). Missing
// checkpoints are skipped. Never takes the directory lock, never writes.
// Errors: those of segment_dump.h, stopping at the first; DataLoss for a
// malformed checkpoint.

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "tools/rill/dump_options.h"

namespace rill::tool {

absl::Status DumpPartitionDir(const DumpOptions& options, const std::string& dir,
                              std::ostream* out);
absl::Status DumpDataDir(const DumpOptions& options, const std::string& dir, std::ostream* out);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_DIRECTORY_DUMP_H_
