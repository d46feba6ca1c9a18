#ifndef RILL_TOOLS_RILL_VERIFY_COMMAND_H_
#define RILL_TOOLS_RILL_VERIFY_COMMAND_H_

// `rill verify [TOPIC...]` (spec/cli.md): checks every partition of the data
// directory given by --dir (or only those of the named topics) as
// partition_verifier.h describes, plus the directory's own checkpoints, and
// prints one summary per partition in topic, then partition order:
//
//   orders-0: 3 segments, 41 batches, 410 records, 28734 bytes, offsets [0, 410): OK
//   orders-1: 2 segments, 7 batches, 70 records, 4907 bytes, offsets [0, 70): FAILED: <problem>
//     problem: <further problem>
//     warning: <warning>
//
// With --json one object per partition: {"topic","partition","segments",
// "batches","records","bytes","log_start_offset","log_end_offset","ok",
// "problems":[...],"warnings":[...]}; problems of the directory itself
// (a malformed checkpoint, a named topic with no partitions) come last, as
// `<dir>: FAILED: <problem>` or {"dir":...,"ok":false,"problems":[...]}.
//
// It never takes the directory lock and never writes, so it may inspect a
// directory another process owns. A progress bar shows on stderr when it is
// a terminal.
// Errors: NotFound when the directory does not exist; DataLoss "verify: N of
// M partitions in <dir> have problems; the first: <problem>" (exit 1) when
// anything is wrong, after printing every summary.

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/rill/command.h"

namespace rill::tool {

struct VerifyOptions {
  // The global --dir.
  std::string dir;
  // Only these topics; all when empty.
  std::vector<std::string> topics;
  // The global --json.
  bool json = false;
};

absl::Status Verify(const VerifyOptions& options, std::ostream* out);

// Adds the `verify` subcommand.
void RegisterVerifyCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_VERIFY_COMMAND_H_
