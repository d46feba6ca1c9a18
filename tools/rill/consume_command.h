#ifndef RILL_TOOLS_RILL_CONSUME_COMMAND_H_
#define RILL_TOOLS_RILL_CONSUME_COMMAND_H_

// `rill consume TOPIC ...` (spec/cli.md): prints records, like kcat -C and
// kafka-console-consumer.sh. Without --group it reads the chosen
// partition(s) from the chosen position; with --group it joins the group,
// starts from the committed offsets (else auto.offset.reset) and commits
// what it printed before leaving (unless --no-commit). SIGINT / SIGTERM
// end a --follow run the same clean way.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/rill/command.h"

namespace rill::tool {

struct ConsumeArgs {
  std::string topic;
  std::string group;
  std::optional<int32_t> partition;
  std::optional<int64_t> offset;  // --offset
  bool from_beginning = false;
  bool from_end = false;
  std::optional<int64_t> from_time;  // --from-time (ms since the epoch)
  int64_t count = -1;                // -n; -1 = unlimited
  int64_t timeout_ms = 1000;
  bool follow = false;
  bool print_key = false;
  std::string key_separator = "\t";
  bool no_commit = false;
  std::vector<std::string> configs;  // --config k=v
};

absl::Status Consume(const GlobalFlags& globals, const ConsumeArgs& args, std::ostream* out);
void RegisterConsumeCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_CONSUME_COMMAND_H_
