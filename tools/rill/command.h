#ifndef RILL_TOOLS_RILL_COMMAND_H_
#define RILL_TOOLS_RILL_COMMAND_H_

// How the `rill` tool's commands plug into main.cc (docs: spec/cli.md). Each
// command lives in its own `<name>_command.cc` and exposes one registrar that
// adds its CLI11 subcommand; main.cc lists the registrars, parses, and runs
// whatever the chosen subcommand left in `*run`.
//
// A command reports failure by returning a Status whose message reads
// "<what>: <why>" (naming the topic, partition, offset or file); main prints
// it as `rill: <message>` and exits 1. Usage errors are CLI11 exceptions
// thrown during parsing and exit 2 with the command's usage.

#include <functional>
#include <string>

#include "absl/status/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace rill::tool {

// The flags every command shares (cli.md "Common"). Filled by parsing; valid
// for the whole run.
struct GlobalFlags {
  // --dir: the data directory. Default $RILL_DIR, else ./rill-data.
  std::string dir;
  // --read-only: open without the directory lock; never write.
  bool read_only = false;
  // --json: one JSON object per output line.
  bool json = false;
  // --config-file: Kafka-style key=value properties; empty for none.
  std::string config_file;
};

// The work a parsed command line asks for. Writes its output to stdout.
using CommandRun = std::function<absl::Status()>;

// Adds one command to `app`. When parsing selects it, its callback stores
// the work in `*run`. `globals` and `run` outlive `app`.
using CommandRegistrar = void (*)(CLI::App* app, const GlobalFlags* globals, CommandRun* run);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_COMMAND_H_
