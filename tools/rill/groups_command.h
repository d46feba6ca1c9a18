#ifndef RILL_TOOLS_RILL_GROUPS_COMMAND_H_
#define RILL_TOOLS_RILL_GROUPS_COMMAND_H_

// `rill groups list|describe|reset-offsets|delete` and `rill lag [G]`
// (spec/cli.md), over rill::Admin: what kafka-consumer-groups.sh does.
// list, describe and lag only read (--read-only works); reset-offsets and
// delete write, and refuse a group with live members.

#include "tools/rill/command.h"

namespace rill::tool {

void RegisterGroupsCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run);
void RegisterLagCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_GROUPS_COMMAND_H_
