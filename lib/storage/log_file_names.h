#ifndef RILL_STORAGE_LOG_FILE_NAMES_H_
#define RILL_STORAGE_LOG_FILE_NAMES_H_

// Kafka's names for the files of a partition directory (LogFileUtils.java):
// `<base offset as 20 zero-padded digits>.log|.index|.timeindex|.snapshot|
// .txnindex`, with `.cleaned`, `.swap` or `.deleted` appended while a file is
// being replaced or removed. Thread safe (pure functions).

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace rill::storage {

inline constexpr absl::string_view kLogSuffix = ".log";
inline constexpr absl::string_view kIndexSuffix = ".index";
inline constexpr absl::string_view kTimeIndexSuffix = ".timeindex";
inline constexpr absl::string_view kTxnIndexSuffix = ".txnindex";
inline constexpr absl::string_view kSnapshotSuffix = ".snapshot";
inline constexpr absl::string_view kCleanedSuffix = ".cleaned";
inline constexpr absl::string_view kSwapSuffix = ".swap";
inline constexpr absl::string_view kDeletedSuffix = ".deleted";

// "00000000000000000042" for 42.
std::string OffsetFileStem(int64_t offset);
// "<stem><suffix>", e.g. SegmentFileName(42, kLogSuffix).
std::string SegmentFileName(int64_t base_offset, absl::string_view suffix);

// What a file name in a partition directory is.
struct ParsedFileName {
  int64_t offset = 0;
  std::string kind;       // ".log", ".index", ".timeindex", ".txnindex", ".snapshot"
  std::string temporary;  // "", ".cleaned", ".swap" or ".deleted"
};
// nullopt for names that are not segment files (checkpoints, metadata).
std::optional<ParsedFileName> ParseFileName(absl::string_view name);

// "<topic>-<partition>" and back; the topic may itself contain '-'.
std::string PartitionDirName(absl::string_view topic, int32_t partition);
std::optional<std::pair<std::string, int32_t>> ParsePartitionDirName(absl::string_view name);

}  // namespace rill::storage

#endif  // RILL_STORAGE_LOG_FILE_NAMES_H_
