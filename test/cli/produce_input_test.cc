#include "tools/rill/produce_input.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "test/support/status_matchers.h"

namespace rill::tool {
namespace {

using Headers = std::vector<std::pair<std::string, std::optional<std::string>>>;

TEST_CASE("a text line is the value, with a null key", "[cli]") {
  InputRecord record;
  REQUIRE_OK(ParseTextLine("hello world\r", {}, &record));
  CHECK_FALSE(record.key.has_value());
  CHECK(record.value == "hello world");
  REQUIRE_OK(ParseTextLine("", {}, &record));
  CHECK(record.value == "");
}

TEST_CASE("a key separator splits a line at its first occurrence", "[cli]") {
  TextInputOptions options;
  options.key_separator = "::";
  InputRecord record;
  REQUIRE_OK(ParseTextLine("user-7::a::b", options, &record));
  CHECK(record.key == "user-7");
  CHECK(record.value == "a::b");
  REQUIRE_OK(ParseTextLine("::", options, &record));
  CHECK(record.key == "");
  CHECK(record.value == "");
  absl::Status missing = ParseTextLine("no separator", options, &record);
  REQUIRE(absl::IsInvalidArgument(missing));
  CHECK(missing.message() == "no key separator \"::\" in the line");
}

TEST_CASE("a value equal to the null marker is null, a key never is", "[cli]") {
  TextInputOptions options;
  options.key_separator = ":";
  options.null_value_marker = "NULL";
  InputRecord record;
  REQUIRE_OK(ParseTextLine("NULL:NULL", options, &record));
  CHECK(record.key == "NULL");
  CHECK_FALSE(record.value.has_value());
  REQUIRE_OK(ParseTextLine("k:NULLx", options, &record));
  CHECK(record.value == "NULLx");
}

TEST_CASE("a JSON record decodes strings, base64 and null", "[cli]") {
  InputRecord record;
  REQUIRE_OK(ParseJsonLine(
      R"({"topic":"elsewhere","partition":2,"offset":9,"timestamp":1700000000123,)"
      R"("timestamp_type":"create","key":{"base64":"AP8="},"value":"h\u00e9",)"
      R"("headers":[{"key":"trace","value":null},{"key":"b","value":{"base64":"AQI="}}]})",
      &record));
  CHECK(record.key == std::string("\x00\xff", 2));
  CHECK(record.value == "h\xc3\xa9");
  CHECK(record.partition == 2);
  CHECK(record.timestamp == 1700000000123);
  CHECK(record.headers == Headers{{"trace", std::nullopt}, {"b", std::string("\x01\x02")}});
  SECTION("absent fields are null and reset what the last line set") {
    REQUIRE_OK(ParseJsonLine(R"({"value":null})", &record));
    CHECK_FALSE(record.key.has_value());
    CHECK_FALSE(record.value.has_value());
    CHECK_FALSE(record.partition.has_value());
    CHECK_FALSE(record.timestamp.has_value());
    CHECK(record.headers.empty());
  }
}

TEST_CASE("a JSON record that is not one says why", "[cli]") {
  InputRecord record;
  auto why = [&](const char* line) {
    absl::Status s = ParseJsonLine(line, &record);
    CHECK(absl::IsInvalidArgument(s));
    return std::string(s.message());
  };
  CHECK(absl::StartsWith(why("{\"value\":"), "not JSON: "));
  CHECK(why("[1]") == "expected a JSON object, one record per line");
  CHECK(absl::StartsWith(why(R"({"valeu":"x"})"), "unknown field \"valeu\""));
  CHECK(absl::StartsWith(why(R"({"value":1})"), "\"value\": expected a string"));
  CHECK(why(R"({"key":{"base64":"@@"}})") == "\"key\": \"base64\" is not valid base64");
  CHECK(absl::StartsWith(why(R"({"partition":-1})"), "\"partition\": expected an integer in [0, "));
  CHECK(absl::StartsWith(why(R"({"partition":1.5})"), "\"partition\": expected an integer"));
  CHECK(absl::StartsWith(why(R"({"headers":[{"key":null,"value":"v"}]})"),
                         "\"headers\": a header key is null"));
  CHECK(absl::StartsWith(why(R"({"headers":{"k":"v"}})"), "\"headers\": expected an array"));
}

TEST_CASE("a --header flag without '=' has a null value", "[cli]") {
  CHECK(ParseHeaderFlag("trace=a=b") ==
        std::pair<std::string, std::optional<std::string>>("trace", std::string("a=b")));
  CHECK(ParseHeaderFlag("flag") ==
        std::pair<std::string, std::optional<std::string>>("flag", std::nullopt));
}

}  // namespace
}  // namespace rill::tool
