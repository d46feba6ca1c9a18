#ifndef RILL_TOOLS_RILL_PRODUCE_COMMAND_H_
#define RILL_TOOLS_RILL_PRODUCE_COMMAND_H_

// `rill produce TOPIC [--partition P] [--key-separator SEP]
// [--null-value-marker S] [--compression C] [--acks A] [--linger-ms N]
// [--batch-size N] [--header k=v]... [--config k=v]... [--print-offsets]`
// (spec/cli.md), Kafka's kafka-console-producer.sh for one data directory:
// reads stdin one record per line (produce_input.h says how a line becomes
// a record; with --json one record object per line) and sends each through
// a rill::Producer, streaming: a line's bytes live only during its Send, and
// the producer's buffer.memory bounds what waits in batches.
//
// --print-offsets prints `LINE PARTITION OFFSET` (LINE 1-based; with --json
// {"line":L,"partition":P,"offset":O}) from the producer's callback, as soon
// as each record is acknowledged, and flushes it at once: a script that
// kills the process knows which records were acknowledged. Acknowledged
// means what acks says: with acks=1 or all, appended to the partition's log
// (in the page cache: it survives the process, not a power loss, unless the
// topic's flush.messages / flush.ms fsync it before the callback); with
// acks=0 nothing is waited for and the offset is -1, as in Kafka.
//
// It stops reading at the first failure (a bad line or a failed send),
// waits for the records in flight, closes the producer and the broker
// cleanly (Close() flushes every log) and exits.
// Configs: producer and broker configs from --config-file and --config
// (tool_configs.h); the dedicated flags win over both.
// Errors: NotFound "topic T: ..." for a missing topic (unless
// auto.create.topics.enable) or partition, before reading stdin;
// "stdin line N: ..." for a line that is not a record; "stdin line N: topic T
// [partition P]: <why> (F of R records failed)" for the failed record with
// the lowest line; the errors of OpenBroker and of the configs.

#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/rill/command.h"
#include "tools/rill/produce_input.h"

namespace rill::tool {

// What `rill produce` was asked for.
struct ProduceArgs {
  std::string topic;
  std::optional<int32_t> partition;
  TextInputOptions text;
  // Dedicated producer flags, as producer properties: compression.type,
  // acks, linger.ms, batch.size; they win over --config and --config-file.
  std::map<std::string, std::string> producer_flags;
  // --header, added to every record after its own headers.
  std::vector<std::string> headers;
  // --config k=v.
  std::vector<std::string> configs;
  bool print_offsets = false;
};

// Produces the records of `*in` to the data directory of `globals`; writes
// the --print-offsets lines to `*out`.
absl::Status Produce(const GlobalFlags& globals, const ProduceArgs& args, std::istream* in,
                     std::ostream* out);

// Adds the `produce` subcommand.
void RegisterProduceCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_PRODUCE_COMMAND_H_
