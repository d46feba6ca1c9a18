#include "tools/rill/tool_configs.h"

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rill::tool {
namespace {

// How BrokerOptions::FromProperties and ProducerOptions::FromProperties
// refuse a name they do not know (lib/broker/broker_options.cc,
// lib/client/producer_options.cc); test/cli/tool_configs_test.cc notices if
// that changes.
constexpr char kUnknownBrokerConfig[] = "unknown broker config '";
constexpr char kUnknownProducerConfig[] = "unknown producer config '";
constexpr char kUnknownConsumerConfig[] = "unknown consumer config '";

// How one parser answered for one name.
enum class Verdict { kAccepted, kBadValue, kUnknownName };

Verdict Judge(const absl::Status& status, absl::string_view unknown_prefix) {
  if (status.ok()) return Verdict::kAccepted;
  if (absl::IsInvalidArgument(status) && absl::StartsWith(status.message(), unknown_prefix)) {
    return Verdict::kUnknownName;
  }
  return Verdict::kBadValue;
}

}  // namespace

CLI::Option* AddConfigOption(CLI::App* command, std::vector<std::string>* configs,
                             const std::string& what) {
  return command
      ->add_option("--config", *configs,
                   absl::StrCat(what,
                                ", as key=value; repeat for more. Wins over --config-file. "
                                "Default: none"))
      ->type_name("KEY=VALUE")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(CLI::Validator(
          [](std::string& config) -> std::string {
            size_t equals = config.find('=');
            if (equals == std::string::npos || equals == 0) {
              return "expected key=value, not \"" + config + "\"";
            }
            return "";
          },
          ""));
}

Properties ConfigFlagProperties(const std::vector<std::string>& configs) {
  Properties properties;
  for (const std::string& config : configs) {
    size_t equals = config.find('=');
    properties[config.substr(0, equals)] =
        Property{config.substr(equals + 1), absl::StrCat("--config ", config)};
  }
  return properties;
}

absl::StatusOr<Properties> LoadConfigs(const GlobalFlags& globals, const Properties& overrides) {
  Properties properties;
  if (!globals.config_file.empty()) {
    absl::StatusOr<Properties> file = ReadPropertiesFile(globals.config_file);
    if (!file.ok()) return file.status();
    properties = *std::move(file);
  }
  for (const auto& [name, property] : overrides) properties[name] = property;
  return properties;
}

absl::StatusOr<SplitConfigs> SplitByParser(const Properties& properties) {
  SplitConfigs split;
  for (const auto& [name, property] : properties) {
    std::map<std::string, std::string> one = {{name, property.value}};
    absl::Status broker = BrokerOptions::FromProperties(one).status();
    absl::Status producer = ProducerOptions::FromProperties(one).status();
    Verdict as_broker = Judge(broker, kUnknownBrokerConfig);
    Verdict as_producer = Judge(producer, kUnknownProducerConfig);
    // A consumer config is judged with a group.id, which some need
    // (enable.auto.commit=true); the command supplies the real one.
    std::map<std::string, std::string> with_group = one;
    with_group.emplace("group.id", "rill");
    absl::Status consumer = ConsumerOptions::FromProperties(with_group).status();
    Verdict as_consumer = Judge(consumer, kUnknownConsumerConfig);
    if (as_broker == Verdict::kAccepted) split.broker[name] = property.value;
    if (as_producer == Verdict::kAccepted) split.producer[name] = property.value;
    if (as_consumer == Verdict::kAccepted) split.consumer[name] = property.value;
    if (as_broker == Verdict::kAccepted || as_producer == Verdict::kAccepted ||
        as_consumer == Verdict::kAccepted) {
      continue;
    }
    if (as_broker == Verdict::kUnknownName && as_producer == Verdict::kUnknownName &&
        as_consumer == Verdict::kUnknownName) {
      return absl::InvalidArgumentError(
          absl::StrCat(property.origin, ": unknown config '", name,
                       "': neither a broker, producer nor consumer config (Kafka's names; see "
                       "docs/cli.md)"));
    }
    std::string why;
    auto add_why = [&why](Verdict verdict, const absl::Status& status) {
      if (verdict == Verdict::kBadValue)
        absl::StrAppend(&why, why.empty() ? "" : "; ", status.message());
    };
    add_why(as_broker, broker);
    add_why(as_producer, producer);
    add_why(as_consumer, consumer);
    return absl::InvalidArgumentError(absl::StrCat(property.origin, ": ", why));
  }
  return split;
}

absl::StatusOr<BrokerOptions> BrokerOptionsFrom(const SplitConfigs& split) {
  absl::StatusOr<BrokerOptions> options = BrokerOptions::FromProperties(split.broker);
  if (!options.ok()) {
    return absl::Status(options.status().code(),
                        absl::StrCat("broker configs: ", options.status().message()));
  }
  return options;
}

}  // namespace rill::tool
