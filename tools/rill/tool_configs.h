#ifndef RILL_TOOLS_RILL_TOOL_CONFIGS_H_
#define RILL_TOOLS_RILL_TOOL_CONFIGS_H_

// The Kafka configs a command runs with (spec/cli.md "Common"): the global
// --config-file, then the command's `--config k=v` flags, which win.
//
// One file may mix broker configs (server.properties: num.partitions,
// log.retention.hours, ...) and producer configs (acks, linger.ms, ...). Each
// name goes to the library parser that knows it — BrokerOptions::
// FromProperties or ProducerOptions::FromProperties, asked one name at a
// time: a parser that answers "unknown ... config" does not know it, any
// other answer (even a bad value) means it does. A name both know
// (compression.type: a broker's topic default, a producer's codec) goes to
// each whose values include its value. A name neither knows is an error
// naming the file and line (or the flag) that set it.
// Thread safe (pure functions).

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rill/broker.h"
#include "rill/consumer.h"
#include "rill/producer.h"
#include "tools/rill/command.h"
#include "tools/rill/properties_file.h"

namespace CLI {
class Option;
}  // namespace CLI

namespace rill::tool {

// Adds the repeatable `--config k=v` option to `command`; a value without
// '=' (or with an empty key) is a usage error. `what` says which configs it
// takes, for the help text.
CLI::Option* AddConfigOption(CLI::App* command, std::vector<std::string>* configs,
                             const std::string& what);

// `--config k=v` values as properties (origin "--config k=v"), later ones
// replacing earlier ones. REQUIRES: each holds '=' (AddConfigOption checks).
Properties ConfigFlagProperties(const std::vector<std::string>& configs);

// The properties of the --config-file of `globals` (none without one),
// overlaid with `overrides`. Errors: those of ReadPropertiesFile.
absl::StatusOr<Properties> LoadConfigs(const GlobalFlags& globals,
                                       const Properties& overrides = {});

// Properties sorted by which parser takes them; see the file comment.
struct SplitConfigs {
  std::map<std::string, std::string> broker;
  std::map<std::string, std::string> producer;
  std::map<std::string, std::string> consumer;  // ConsumerOptions::FromProperties
};

// Errors: InvalidArgument "<origin>: unknown config '<name>': neither a broker
// nor a producer config"; InvalidArgument "<origin>: <why>" for a value no
// parser that knows the name accepts.
absl::StatusOr<SplitConfigs> SplitByParser(const Properties& properties);

// BrokerOptions::FromProperties(split.broker), its errors prefixed
// "broker configs: ".
absl::StatusOr<BrokerOptions> BrokerOptionsFrom(const SplitConfigs& split);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_TOOL_CONFIGS_H_
