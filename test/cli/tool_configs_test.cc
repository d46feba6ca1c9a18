#include "tools/rill/tool_configs.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "test/support/status_matchers.h"

namespace rill::tool {
namespace {

Properties FromFile(std::initializer_list<std::pair<const char*, const char*>> entries) {
  Properties properties;
  int line = 0;
  for (const auto& [name, value] : entries) {
    properties[name] = Property{value, "f.properties line " + std::to_string(++line)};
  }
  return properties;
}

TEST_CASE("configs go to the parser that knows their name", "[cli]") {
  auto split = SplitByParser(FromFile(
      {{"num.partitions", "3"}, {"log.retention.hours", "1"}, {"acks", "1"}, {"linger.ms", "0"}}));
  REQUIRE_OK(split);
  CHECK(split->broker ==
        std::map<std::string, std::string>{{"num.partitions", "3"}, {"log.retention.hours", "1"}});
  CHECK(split->producer == std::map<std::string, std::string>{{"acks", "1"}, {"linger.ms", "0"}});
  auto broker = BrokerOptionsFrom(*split);
  REQUIRE_OK(broker);
  CHECK(broker->default_topic.partitions == 3);
  CHECK(broker->default_topic.retention_ms == 3'600'000);
}

TEST_CASE("a config both parsers know goes to each that takes its value", "[cli]") {
  auto both = SplitByParser(FromFile({{"compression.type", "gzip"}}));
  REQUIRE_OK(both);
  CHECK(both->broker.contains("compression.type"));
  CHECK(both->producer.contains("compression.type"));
  auto broker_only = SplitByParser(FromFile({{"compression.type", "producer"}}));
  REQUIRE_OK(broker_only);
  CHECK(broker_only->broker.contains("compression.type"));
  CHECK_FALSE(broker_only->producer.contains("compression.type"));
  auto neither = SplitByParser(FromFile({{"compression.type", "brotli"}}));
  REQUIRE(absl::IsInvalidArgument(neither.status()));
  CHECK(
      absl::StartsWith(neither.status().message(), "f.properties line 1: invalid value 'brotli'"));
}

TEST_CASE("a config no parser knows is an error naming where it was set", "[cli]") {
  auto split = SplitByParser(FromFile({{"acks", "all"}, {"retention.mss", "1"}}));
  REQUIRE(absl::IsInvalidArgument(split.status()));
  CHECK(split.status().message() ==
        "f.properties line 2: unknown config 'retention.mss': neither a broker, producer nor "
        "consumer config (Kafka's names; see docs/cli.md)");
}

TEST_CASE("a bad value is an error naming where it was set and the parser's why", "[cli]") {
  auto split = SplitByParser(ConfigFlagProperties({"linger.ms=soon"}));
  REQUIRE(absl::IsInvalidArgument(split.status()));
  CHECK(absl::StartsWith(split.status().message(),
                         "--config linger.ms=soon: invalid value 'soon' for producer config "
                         "linger.ms"));
}

TEST_CASE("command-line config flags win over the config file", "[cli]") {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("rill-cli-configs-" + std::to_string(getpid()) + ".properties"))
                         .string();
  {
    std::ofstream file(path);
    file << "linger.ms=7\nacks=1\n";
  }
  GlobalFlags globals;
  globals.config_file = path;
  auto loaded = LoadConfigs(globals, ConfigFlagProperties({"linger.ms=9", "client.id=a=b"}));
  std::filesystem::remove(path);
  REQUIRE_OK(loaded);
  CHECK(loaded->at("linger.ms").value == "9");
  CHECK(loaded->at("linger.ms").origin == "--config linger.ms=9");
  CHECK(loaded->at("client.id").value == "a=b");
  CHECK(loaded->at("acks").value == "1");
  CHECK(loaded->at("acks").origin == path + " line 2");
}

// SplitByParser relies on the wording of the library's refusal of unknown
// names; this notices when it changes.
TEST_CASE("the library refuses unknown broker and producer names as SplitByParser expects",
          "[cli]") {
  auto broker = BrokerOptions::FromProperties({{"no.such", "1"}});
  CHECK(absl::StartsWith(broker.status().message(), "unknown broker config 'no.such'"));
  auto producer = ProducerOptions::FromProperties({{"no.such", "1"}});
  CHECK(absl::StartsWith(producer.status().message(), "unknown producer config 'no.such'"));
}

}  // namespace
}  // namespace rill::tool
