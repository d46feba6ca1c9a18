#ifndef RILL_TOOLS_RILL_TOPICS_COMMAND_H_
#define RILL_TOOLS_RILL_TOPICS_COMMAND_H_

// `rill topics create|list|describe|alter|delete` (spec/cli.md), Kafka's
// kafka-topics.sh and kafka-configs.sh for one data directory, through
// rill::Broker:
//
//   topics create NAME [--partitions N] [--config k=v]...
//       Created topic orders.
//       (--json: the `topics list` object of the new topic)
//   topics list
//       one name per line, in name order
//       (--json: {"name":"orders","partitions":3,"configs":{"retention.ms":"1000"}},
//        configs: only those that differ from Kafka's defaults, as strings)
//   topics describe NAME
//       Topic: orders  TopicId: <id>  PartitionCount: 2  ReplicationFactor: 1
//         Partition: 0  LogStartOffset: 0  LogEndOffset: 5  HighWatermark: 5  Segments: 1
//         SizeBytes: 420
//       Configs:
//         cleanup.policy=delete          (every effective config, by name)
//       (tab separated, as kafka-topics.sh; --json: one object per partition,
//        {"topic","partition","log_start_offset","log_end_offset",
//        "high_watermark","segments","size_bytes","configs":{every effective
//        config, as strings}})
//   topics alter NAME --config k=v...
//       Altered topic orders: retention.ms=1000   (--json: as create)
//   topics delete NAME
//       Deleted topic orders.   (--json: {"name":"orders","deleted":true})
//
// create, alter and delete write (creating --dir if missing); list and
// describe also work with --read-only on a directory another process owns.
// Broker configs from --config-file (num.partitions, log.retention.hours,
// ...) set the defaults a new topic starts from; `--config` takes topic
// configs by their Kafka names.
// Errors: "topic <name>: <why>" with Kafka's messages (AlreadyExists,
// NotFound, InvalidArgument for names and configs); those of OpenBroker and
// of the config file.

#include "tools/rill/command.h"

namespace rill::tool {

// Adds the `topics` command and its subcommands.
void RegisterTopicsCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_TOPICS_COMMAND_H_
