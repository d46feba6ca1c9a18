#include "tools/rill/properties_file.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "test/support/status_matchers.h"

namespace rill::tool {
namespace {

std::string ValueOf(const Properties& properties, const std::string& name) {
  auto it = properties.find(name);
  return it == properties.end() ? "<missing>" : it->second.value;
}

TEST_CASE("a properties file reads as java.util.Properties reads it", "[cli]") {
  auto parsed = ParseProperties(
      "# comment\n"
      "! also a comment\n"
      "\n"
      "   log.retention.hours=168\n"
      "linger.ms: 5\n"
      "client.id   spaced out value  \n"
      "acks = all\r\n"
      "empty=\n"
      "alone\n"
      "continued=a\\\n"
      "          b\n"
      "escaped\\=key=tab\\there\\u00e9\n"
      "batch.size=1\n"
      "batch.size=2\n",
      "p.properties");
  REQUIRE_OK(parsed);
  CHECK(ValueOf(*parsed, "log.retention.hours") == "168");
  CHECK(ValueOf(*parsed, "linger.ms") == "5");
  CHECK(ValueOf(*parsed, "client.id") == "spaced out value  ");
  CHECK(ValueOf(*parsed, "acks") == "all");
  CHECK(ValueOf(*parsed, "empty") == "");
  CHECK(ValueOf(*parsed, "alone") == "");
  CHECK(ValueOf(*parsed, "continued") == "ab");
  CHECK(ValueOf(*parsed, "escaped=key") == "tab\there\xc3\xa9");
  SECTION("a later key replaces an earlier one and names its own line") {
    CHECK(ValueOf(*parsed, "batch.size") == "2");
    CHECK(parsed->at("batch.size").origin == "p.properties line 14");
  }
  SECTION("a continued line is named by the line it starts on") {
    CHECK(parsed->at("continued").origin == "p.properties line 10");
  }
  CHECK(parsed->size() == 9);
}

TEST_CASE("a properties line with an empty key or a bad escape names file and line", "[cli]") {
  auto empty_key = ParseProperties("a=1\n=2\n", "f");
  REQUIRE(absl::IsInvalidArgument(empty_key.status()));
  CHECK(absl::StartsWith(empty_key.status().message(), "f line 2: expected key=value"));
  auto bad_escape = ParseProperties("\n\nx=\\u12g4\n", "f");
  REQUIRE(absl::IsInvalidArgument(bad_escape.status()));
  CHECK(absl::StartsWith(bad_escape.status().message(), "f line 3: malformed \\u escape"));
}

TEST_CASE("a missing properties file is NotFound naming it", "[cli]") {
  auto missing = ReadPropertiesFile("/nonexistent/rill.properties");
  REQUIRE(absl::IsNotFound(missing.status()));
  CHECK(absl::StartsWith(missing.status().message(), "/nonexistent/rill.properties: cannot open"));
}

}  // namespace
}  // namespace rill::tool
