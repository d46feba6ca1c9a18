#include "tools/rill/record_json.h"

#include "absl/strings/escaping.h"

namespace rill::tool {
namespace {

// The length of the UTF-8 sequence at `s[i]`, or 0 when it is malformed.
// Bounds per RFC 3629 table 3-7, which rule out overlong forms, surrogates
// (ED A0..BF) and code points past U+10FFFF.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  auto in = [&](size_t k, uint8_t lo, uint8_t hi) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  uint8_t b = byte(i);
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return in(i + 1, 0x80, 0xbf) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    uint8_t lo = b == 0xe0 ? 0xa0 : 0x80;
    uint8_t hi = b == 0xed ? 0x9f : 0xbf;
    return in(i + 1, lo, hi) && in(i + 2, 0x80, 0xbf) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    uint8_t lo = b == 0xf0 ? 0x90 : 0x80;
    uint8_t hi = b == 0xf4 ? 0x8f : 0xbf;
    return in(i + 1, lo, hi) && in(i + 2, 0x80, 0xbf) && in(i + 3, 0x80, 0xbf) ? 4 : 0;
  }
  return 0;
}

std::string ToString(absl::string_view s) { return std::string(s.data(), s.size()); }

}  // namespace

bool IsValidUtf8(absl::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    size_t n = Utf8SequenceLength(bytes, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

Json BytesToJson(format::NullableBytes bytes) {
  if (!bytes) return nullptr;
  if (IsValidUtf8(*bytes)) return ToString(*bytes);
  return Json{{"base64", absl::Base64Escape(*bytes)}};
}

const char* TimestampTypeJsonName(format::TimestampType type) {
  return type == format::TimestampType::kLogAppendTime ? "log_append" : "create";
}

Json RecordToJson(const RecordSource& source, format::TimestampType type,
                  const format::RecordView& record) {
  Json headers = Json::array();
  for (const format::Header& header : record.headers) {
    headers.push_back(Json{{"key", BytesToJson(header.key)}, {"value", BytesToJson(header.value)}});
  }
  Json json;
  json["topic"] = source.topic;
  json["partition"] = source.partition;
  json["offset"] = record.offset;
  json["timestamp"] = record.timestamp;
  json["timestamp_type"] = TimestampTypeJsonName(type);
  json["key"] = BytesToJson(record.key);
  json["value"] = BytesToJson(record.value);
  json["headers"] = std::move(headers);
  return json;
}

std::string JsonLine(const Json& json) {
  return json.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

}  // namespace rill::tool
