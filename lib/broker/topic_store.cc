#include "lib/broker/topic_store.h"

#include <cstring>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/status_macros.h"
#include "lib/broker/topic_name.h"

namespace rill::broker {
namespace {

constexpr char kTopicsDir[] = ".topics";
// A topic's file is named exactly as the topic, because a Kafka name may be
// 249 characters long and a file name at most 255: no room for a suffix.
// The file being written is named with a character no topic name has
// (writes happen one at a time, under the broker's lock).
constexpr char kWritingFile[] = "#writing";

absl::StatusOr<std::string> ReadWhole(storage::FileSystem* fs, const std::string& path) {
  RILL_ASSIGN_OR_RETURN(auto file, fs->Open(path, storage::FileSystem::OpenMode::kReadOnly));
  RILL_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string text(size, '\0');
  RILL_RETURN_IF_ERROR(
      file->ReadAt(0, MutableByteSpan(reinterpret_cast<uint8_t*>(text.data()), text.size())));
  return text;
}

}  // namespace

std::string TopicStore::dir() const { return storage::JoinPath(data_dir_, kTopicsDir); }

std::string TopicStore::PathOf(const std::string& name) const {
  return storage::JoinPath(dir(), name);
}

std::string TopicStore::NewTopicId() {
  std::random_device rd;
  uint8_t bytes[16];
  for (int i = 0; i < 16; i += 4) {
    uint32_t r = rd();
    std::memcpy(bytes + i, &r, 4);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;  // Version 4.
  bytes[8] = (bytes[8] & 0x3f) | 0x80;  // IETF variant.
  std::string id;
  absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<char*>(bytes), 16), &id);
  return id;
}

absl::StatusOr<std::vector<TopicRecord>> TopicStore::LoadAll() const {
  std::vector<TopicRecord> records;
  RILL_ASSIGN_OR_RETURN(bool exists, fs_->IsDirectory(dir()));
  if (!exists) return records;
  RILL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir()));
  for (const std::string& file : names) {
    // What a crash left half written, or anything else that is no topic.
    if (!ValidateTopicName(file).ok()) continue;
    std::string path = storage::JoinPath(dir(), file);
    RILL_ASSIGN_OR_RETURN(std::string text, ReadWhole(fs_, path));
    std::map<std::string, std::string> properties;
    TopicRecord record;
    record.name = file;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (line.empty() || line[0] == '#') continue;
      std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
      if (kv.first == "topic.id") {
        record.topic_id = kv.second;
      } else {
        properties[kv.first] = kv.second;
      }
    }
    absl::StatusOr<TopicOptions> options = TopicOptions::FromProperties(properties);
    if (!options.ok()) {
      return absl::DataLossError(absl::StrCat("topic metadata ", path, ": ", options.status().message()));
    }
    record.options = *options;
    records.push_back(std::move(record));
  }
  return records;
}

absl::Status TopicStore::WriteAtomically(const std::string& path, const std::string& tmp,
                                         const std::string& text) const {
  {
    RILL_ASSIGN_OR_RETURN(auto file, fs_->Open(tmp, storage::FileSystem::OpenMode::kCreate));
    RILL_RETURN_IF_ERROR(file->Truncate(0));
    RILL_RETURN_IF_ERROR(file->WriteAt(0, AsBytes(text)));
    RILL_RETURN_IF_ERROR(file->Sync());
  }
  RILL_RETURN_IF_ERROR(fs_->Rename(tmp, path));
  std::string parent = path.substr(0, path.rfind('/'));
  return fs_->SyncDir(parent);
}

absl::Status TopicStore::Write(const TopicRecord& record) const {
  if (read_only_) return absl::FailedPreconditionError("the broker is open read-only");
  RILL_RETURN_IF_ERROR(fs_->CreateDirs(dir()));
  std::string text = absl::StrCat("# rill topic metadata: Kafka topic configs by name\n",
                                  "topic.id=", record.topic_id, "\n",
                                  "partitions=", record.options.partitions, "\n",
                                  "replication.factor=", record.options.replication_factor, "\n");
  for (const auto& [name, value] : record.options.ToProperties()) {
    absl::StrAppend(&text, name, "=", value, "\n");
  }
  return WriteAtomically(PathOf(record.name), storage::JoinPath(dir(), kWritingFile), text);
}

absl::Status TopicStore::Remove(const std::string& name) const {
  if (read_only_) return absl::FailedPreconditionError("the broker is open read-only");
  RILL_RETURN_IF_ERROR(fs_->RemoveFile(PathOf(name)));
  return fs_->SyncDir(dir());
}

absl::Status TopicStore::WritePartitionMetadata(const std::string& partition_dir,
                                                const std::string& topic_id) const {
  std::string path = storage::JoinPath(partition_dir, "partition.metadata");
  return WriteAtomically(path, path + ".tmp",
                         absl::StrCat("version: 0\ntopic_id: ", topic_id, "\n"));
}

}  // namespace rill::broker
