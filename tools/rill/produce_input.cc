#include "tools/rill/produce_input.h"

#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace rill::tool {
namespace {

using nlohmann::json;

absl::Status Bad(absl::string_view why) { return absl::InvalidArgumentError(why); }

// A key, value or header value: a string, {"base64": "..."} or null.
absl::Status BytesFromJson(const json& field, absl::string_view name,
                           std::optional<std::string>* out) {
  if (field.is_null()) {
    out->reset();
    return absl::OkStatus();
  }
  if (field.is_string()) {
    *out = field.get_ref<const std::string&>();
    return absl::OkStatus();
  }
  if (field.is_object() && field.size() == 1 && field.contains("base64") &&
      field["base64"].is_string()) {
    std::string bytes;
    if (!absl::Base64Unescape(field["base64"].get_ref<const std::string&>(), &bytes)) {
      return Bad(absl::StrCat("\"", name, "\": \"base64\" is not valid base64"));
    }
    *out = std::move(bytes);
    return absl::OkStatus();
  }
  return Bad(absl::StrCat("\"", name, "\": expected a string, {\"base64\": \"...\"} or null, not ",
                          field.dump()));
}

absl::Status HeadersFromJson(const json& field, InputRecord* record) {
  if (field.is_null()) return absl::OkStatus();
  if (!field.is_array()) return Bad("\"headers\": expected an array of {\"key\", \"value\"}");
  for (const json& header : field) {
    if (!header.is_object() || !header.contains("key") ||
        header.size() != (header.contains("value") ? 2u : 1u)) {
      return Bad(absl::StrCat("\"headers\": expected {\"key\": ..., \"value\": ...}, not ",
                              header.dump()));
    }
    std::optional<std::string> key, value;
    RILL_RETURN_IF_ERROR(BytesFromJson(header["key"], "headers[].key", &key));
    if (!key) return Bad("\"headers\": a header key is null (Kafka's header keys are not)");
    if (header.contains("value")) {
      RILL_RETURN_IF_ERROR(BytesFromJson(header["value"], "headers[].value", &value));
    }
    record->headers.emplace_back(*std::move(key), std::move(value));
  }
  return absl::OkStatus();
}

// An integer field in [min, max], or nullopt when null.
template <typename T>
absl::Status IntegerFromJson(const json& field, absl::string_view name, T min,
                             std::optional<T>* out) {
  if (field.is_null()) {
    out->reset();
    return absl::OkStatus();
  }
  bool fits = field.is_number_unsigned()
                  ? field.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max())
                  : field.is_number_integer() && field.get<int64_t>() >= min &&
                        field.get<int64_t>() <= std::numeric_limits<T>::max();
  if (!fits) {
    return Bad(absl::StrCat("\"", name, "\": expected an integer in [", min, ", ",
                            std::numeric_limits<T>::max(), "] or null, not ", field.dump()));
  }
  *out = static_cast<T>(field.get<int64_t>());
  return absl::OkStatus();
}

absl::Status FieldFromJson(const std::string& name, const json& field, InputRecord* record) {
  if (name == "key") return BytesFromJson(field, name, &record->key);
  if (name == "value") return BytesFromJson(field, name, &record->value);
  if (name == "headers") return HeadersFromJson(field, record);
  if (name == "partition") return IntegerFromJson<int32_t>(field, name, 0, &record->partition);
  if (name == "timestamp") {
    return IntegerFromJson<int64_t>(field, name, std::numeric_limits<int64_t>::min(),
                                    &record->timestamp);
  }
  if (name == "topic" || name == "offset" || name == "timestamp_type") return absl::OkStatus();
  return Bad(absl::StrCat("unknown field \"", name,
                          "\" (a record has key, value, headers, partition and timestamp)"));
}

// `line` as JSON; InvalidArgument with the parser's message if it is not.
absl::Status ParseJson(absl::string_view line, json* out) {
  try {
    *out = json::parse(line.begin(), line.end());
  } catch (const json::exception& e) {
    // nlohmann's parser reports only by exception; it stops here.
    return Bad(absl::StrCat("not JSON: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseTextLine(absl::string_view line, const TextInputOptions& options,
                           InputRecord* record) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  record->headers.clear();
  record->partition.reset();
  record->timestamp.reset();
  record->key.reset();
  if (options.key_separator) {
    size_t at = line.find(*options.key_separator);
    if (at == absl::string_view::npos) {
      return Bad(absl::StrCat("no key separator \"", *options.key_separator, "\" in the line"));
    }
    record->key.emplace(line.substr(0, at));
    line.remove_prefix(at + options.key_separator->size());
  }
  if (options.null_value_marker && line == *options.null_value_marker) {
    record->value.reset();
  } else if (record->value) {
    record->value->assign(line.data(), line.size());
  } else {
    record->value.emplace(line);
  }
  return absl::OkStatus();
}

absl::Status ParseJsonLine(absl::string_view line, InputRecord* record) {
  json object;
  RILL_RETURN_IF_ERROR(ParseJson(line, &object));
  if (!object.is_object()) return Bad("expected a JSON object, one record per line");
  *record = InputRecord{};
  for (const auto& [name, field] : object.items()) {
    RILL_RETURN_IF_ERROR(FieldFromJson(name, field, record));
  }
  return absl::OkStatus();
}

std::pair<std::string, std::optional<std::string>> ParseHeaderFlag(absl::string_view flag) {
  size_t equals = flag.find('=');
  if (equals == absl::string_view::npos) return {std::string(flag), std::nullopt};
  return {std::string(flag.substr(0, equals)), std::string(flag.substr(equals + 1))};
}

}  // namespace rill::tool
