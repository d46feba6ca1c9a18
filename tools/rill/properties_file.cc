#include "tools/rill/properties_file.h"

#include <cerrno>
#include <cstdio>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace rill::tool {
namespace {

// java.util.Properties' whitespace: space, tab and form feed.
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

absl::string_view SkipBlanks(absl::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsBlank(s[i])) ++i;
  return s.substr(i);
}

// The natural lines of `text`, ended by \n, \r or \r\n.
std::vector<absl::string_view> NaturalLines(absl::string_view text) {
  std::vector<absl::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

// Whether `line` ends in an odd number of backslashes: an escaped line end.
bool Continues(absl::string_view line) {
  size_t backslashes = 0;
  while (backslashes < line.size() && line[line.size() - 1 - backslashes] == '\\') ++backslashes;
  return backslashes % 2 == 1;
}

uint32_t HexValue(char c) {
  return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xe0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  }
}

// Decodes the escapes of a key or value. Surrogates (\uD800-\uDFFF) are
// refused rather than paired: Kafka's names and values are ASCII.
absl::StatusOr<std::string> Unescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 't':
        out.push_back('\t');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u': {
        absl::string_view hex = s.substr(i + 1, 4);
        uint32_t code_point = 0;
        bool ok = hex.size() == 4;
        for (size_t k = 0; ok && k < hex.size(); ++k) {
          ok = absl::ascii_isxdigit(hex[k]);
          code_point = code_point * 16 + (ok ? HexValue(hex[k]) : 0);
        }
        if (!ok || (code_point >= 0xd800 && code_point <= 0xdfff)) {
          return absl::InvalidArgumentError(absl::StrCat("malformed \\u escape \"\\u", hex,
                                                         "\" (expected 4 hex digits of a "
                                                         "code point that is not a surrogate)"));
        }
        AppendUtf8(code_point, &out);
        i += 4;
        break;
      }
      default:
        out.push_back(c);
    }
  }
  return out;
}

// Splits a logical line into its raw (still escaped) key and value.
std::pair<absl::string_view, absl::string_view> SplitKeyValue(absl::string_view line) {
  size_t end = 0;
  while (end < line.size()) {
    char c = line[end];
    if (c == '\\') {
      end += 2;
      continue;
    }
    if (c == '=' || c == ':' || IsBlank(c)) break;
    ++end;
  }
  end = std::min(end, line.size());
  absl::string_view rest = SkipBlanks(line.substr(end));
  if (!rest.empty() && (rest[0] == '=' || rest[0] == ':')) rest = SkipBlanks(rest.substr(1));
  return {line.substr(0, end), rest};
}

absl::Status ParseLogicalLine(absl::string_view line, const std::string& origin, Properties* out) {
  auto [raw_key, raw_value] = SplitKeyValue(line);
  if (raw_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": expected key=value, not \"", line, "\" (the key is empty)"));
  }
  absl::StatusOr<std::string> key = Unescape(raw_key);
  absl::StatusOr<std::string> value = key.ok() ? Unescape(raw_value) : key;
  if (!value.ok())
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", value.status().message()));
  (*out)[*key] = Property{*std::move(value), origin};
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Properties> ParseProperties(absl::string_view text, const std::string& file) {
  Properties properties;
  std::vector<absl::string_view> lines = NaturalLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view first = SkipBlanks(lines[i]);
    if (first.empty() || first[0] == '#' || first[0] == '!') continue;
    std::string origin = absl::StrCat(file, " line ", i + 1);
    std::string logical(first);
    while (Continues(logical) && i + 1 < lines.size()) {
      logical.pop_back();
      absl::StrAppend(&logical, SkipBlanks(lines[++i]));
    }
    if (Continues(logical)) logical.pop_back();  // A backslash at the end of the file.
    RILL_RETURN_IF_ERROR(ParseLogicalLine(logical, origin, &properties));
  }
  return properties;
}

absl::StatusOr<Properties> ReadPropertiesFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": cannot open"));
  std::string text;
  char buffer[1 << 14];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) text.append(buffer, n);
  int error = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (error != 0) return absl::ErrnoToStatus(error, absl::StrCat(path, ": cannot read"));
  return ParseProperties(text, path);
}

std::map<std::string, std::string> PropertyValues(const Properties& properties) {
  std::map<std::string, std::string> values;
  for (const auto& [name, property] : properties) values[name] = property.value;
  return values;
}

}  // namespace rill::tool
