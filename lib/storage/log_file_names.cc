#include "lib/storage/log_file_names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace rill::storage {

std::string OffsetFileStem(int64_t offset) { return absl::StrFormat("%020d", offset); }

std::string SegmentFileName(int64_t base_offset, absl::string_view suffix) {
  return absl::StrCat(OffsetFileStem(base_offset), suffix);
}

std::optional<ParsedFileName> ParseFileName(absl::string_view name) {
  ParsedFileName parsed;
  for (absl::string_view temp : {kCleanedSuffix, kSwapSuffix, kDeletedSuffix}) {
    if (absl::ConsumeSuffix(&name, temp)) {
      parsed.temporary = std::string(temp);
      break;
    }
  }
  for (absl::string_view kind :
       {kLogSuffix, kIndexSuffix, kTimeIndexSuffix, kTxnIndexSuffix, kSnapshotSuffix}) {
    if (absl::ConsumeSuffix(&name, kind)) {
      parsed.kind = std::string(kind);
      break;
    }
  }
  if (parsed.kind.empty() || name.size() != 20) return std::nullopt;
  for (char c : name) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  if (!absl::SimpleAtoi(name, &parsed.offset) || parsed.offset < 0) return std::nullopt;
  return parsed;
}

std::string PartitionDirName(absl::string_view topic, int32_t partition) {
  return absl::StrCat(topic, "-", partition);
}

std::optional<std::pair<std::string, int32_t>> ParsePartitionDirName(absl::string_view name) {
  size_t dash = name.rfind('-');
  if (dash == absl::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  absl::string_view digits = name.substr(dash + 1);
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  int32_t partition;
  if (!absl::SimpleAtoi(digits, &partition)) return std::nullopt;
  return std::make_pair(std::string(name.substr(0, dash)), partition);
}

}  // namespace rill::storage
