#ifndef RILL_TOOLS_RILL_DUMP_COMMAND_H_
#define RILL_TOOLS_RILL_DUMP_COMMAND_H_

// `rill dump PATH [--records] [--from OFFSET] [--deep]` (spec/cli.md): prints
// what is on disk, like Kafka's kafka-dump-log.sh, for a rill or an Apache
// Kafka directory. PATH is
//  - a `.log` segment: every batch, and with --records every record
//    (segment_dump.h);
//  - a `.index` or `.timeindex` file: every entry (index_dump.h);
//  - a partition directory or a whole data directory (directory_dump.h).
// A directory with `.log` files is a partition directory; one with
// `<topic>-<partition>` directories, checkpoints, a lock or a clean-shutdown
// marker is a data directory.
//
// --deep decodes every record and checks every segment's indexes against
// its batches. dump never takes the directory lock and never writes, so it
// may look at a directory another process is writing.
// Errors: exit 1 at the first corruption, naming the file and the byte or
// index entry, after printing everything before it.

#include <ostream>

#include "absl/status/status.h"
#include "tools/rill/command.h"
#include "tools/rill/dump_options.h"

namespace rill::tool {

// Writes the dump of `options.path` to `*out`. See the file comment.
absl::Status Dump(const DumpOptions& options, std::ostream* out);

// Adds the `dump` subcommand.
void RegisterDumpCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_DUMP_COMMAND_H_
