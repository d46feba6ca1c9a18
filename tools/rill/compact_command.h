#ifndef RILL_TOOLS_RILL_COMPACT_COMMAND_H_
#define RILL_TOOLS_RILL_COMPACT_COMMAND_H_

// `rill compact TOPIC [--partition N]`: runs the log cleaner over every
// partition of a compacted topic now (Partition::Compact), whatever the
// dirty ratio, and prints per partition what it did:
//
//   orders-0: 1048576 -> 52311 bytes, 9000 -> 450 records, 17 -> 2 segments, compacted below offset 9000
//   (--json: {"topic","partition","bytes_before","bytes_after",
//    "records_before","records_after","segments_before","segments_after",
//    "first_dirty_offset"} per partition)
//
// Writes (takes the directory lock). Errors: NotFound for an unknown topic;
// InvalidArgument when its cleanup.policy has no "compact".

#include "tools/rill/command.h"

namespace rill::tool {

void RegisterCompactCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_COMPACT_COMMAND_H_
