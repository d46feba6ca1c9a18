// The `rill` command-line tool (spec/cli.md):
//   rill [--dir DIR] [--read-only] [--json] [--config-file FILE] COMMAND [ARGS]
// Exit codes: 0 success; 1 an error, as one `rill: <what>: <why>` line on
// stderr; 2 a usage error, with the usage of the command.
//
// Each command is a `<name>_command.cc` with a registrar (command.h); adding
// one is a line in kCommands and a source in CMakeLists.txt.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "rill/rill.h"
#include "tools/rill/command.h"
#include "tools/rill/compact_command.h"
#include "tools/rill/consume_command.h"
#include "tools/rill/dump_command.h"
#include "tools/rill/groups_command.h"
#include "tools/rill/produce_command.h"
#include "tools/rill/topics_command.h"
#include "tools/rill/verify_command.h"

namespace rill::tool {
namespace {

// The commands, in the order `rill --help` lists them.
constexpr CommandRegistrar kCommands[] = {
    RegisterTopicsCommand,
    RegisterProduceCommand,
    RegisterConsumeCommand,
    RegisterGroupsCommand,
    RegisterLagCommand,
    RegisterDumpCommand,
    RegisterVerifyCommand,
    RegisterCompactCommand,
};

// Every command's usage ends with this, since CLI11 lists a parent's flags
// only in the parent's usage.
constexpr char kGlobalFlagsFooter[] =
    "Global flags (before or after the command; see rill --help): --dir DIR, --read-only, "
    "--json, --config-file FILE";

std::string DefaultDataDir() {
  const char* env = std::getenv("RILL_DIR");
  return env != nullptr && *env != '\0' ? env : "./rill-data";
}

void AddGlobalFlags(CLI::App* app, GlobalFlags* globals) {
  globals->dir = DefaultDataDir();
  app->set_version_flag("--version", std::string(Version()), "Print the rill version and exit");
  app->add_option("--dir", globals->dir, "The data directory. Default: $RILL_DIR, else ./rill-data")
      ->type_name("DIR")
      ->capture_default_str();
  app->add_flag("--read-only", globals->read_only,
                "Open the data directory without its lock, to inspect one another process owns; "
                "never write. Default: off");
  app->add_flag("--json", globals->json,
                "Machine-readable output: one JSON object per line. Default: off");
  app->add_option("--config-file", globals->config_file,
                  "Kafka-style key=value properties (broker, producer or consumer configs by "
                  "their Kafka names); --config k=v on a command wins. Default: none")
      ->type_name("FILE");
}

// The subcommand of `parent` called `name`, or nullptr.
CLI::App* FindSubcommand(CLI::App* parent, const std::string& name) {
  std::vector<CLI::App*> found =
      parent->get_subcommands([&](CLI::App* sub) { return sub->check_name(name); });
  return found.empty() ? nullptr : found.front();
}

// Gives every command and subcommand (`topics create`) the global flags footer.
void SetFooters(CLI::App* parent) {
  for (CLI::App* command : parent->get_subcommands([](CLI::App*) { return true; })) {
    command->footer(kGlobalFlagsFooter);
    SetFooters(command);
  }
}

// `rill help [COMMAND [SUBCOMMAND...]]`: the usage of that command, with
// every flag and its default; the tool's usage without one.
void RegisterHelpCommand(CLI::App* app, CommandRun* run) {
  auto names = std::make_shared<std::vector<std::string>>();
  CLI::App* help = app->add_subcommand("help", "Print the usage of COMMAND with every flag");
  help->add_option("COMMAND", *names, "The command (and subcommand) to describe");
  help->callback([app, help, names, run] {
    CLI::App* target = app;
    std::string parents;
    for (const std::string& name : *names) {
      CLI::App* sub = FindSubcommand(target, name);
      if (sub == nullptr || sub == help) {
        throw CLI::ValidationError("COMMAND", "no command \"" + name + "\"");
      }
      parents = parents.empty() ? target->get_name() : parents + " " + target->get_name();
      target = sub;
    }
    std::string text = target->help(parents);
    *run = [text] {
      std::cout << text;
      return absl::OkStatus();
    };
  });
}

// --help and --version (exit 0) or a usage error (exit 2, usage on stderr).
int ExitOnParseError(const CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
  // help() describes the command the error is in, when one was named.
  std::cerr << "rill: usage error: " << e.what() << "\n\n" << app.help();
  return 2;
}

int Main(int argc, char** argv) {
  CLI::App app("rill: inspect and drive a rill data directory, Kafka's log embedded", "rill");
  // Global flags may also follow the command: `rill dump x.log --json`.
  app.fallthrough();
  app.require_subcommand(1);
  GlobalFlags globals;
  CommandRun run;
  AddGlobalFlags(&app, &globals);
  for (CommandRegistrar add : kCommands) add(&app, &globals, &run);
  RegisterHelpCommand(&app, &run);
  SetFooters(&app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ExitOnParseError(app, e);
  }
  if (!run) {
    std::cerr << "rill: usage error: a command needs a subcommand\n\n" << app.help();
    return 2;
  }
  absl::Status status = run();
  std::cout.flush();
  if (!status.ok()) {
    std::cerr << "rill: " << status.message() << std::endl;
    return 1;
  }
  if (!std::cout) {
    std::cerr << "rill: stdout: write failed" << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace rill::tool

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  return rill::tool::Main(argc, argv);
}
