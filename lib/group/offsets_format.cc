#include "lib/group/offsets_format.h"

#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace rill::group {
namespace {

class Writer {
 public:
  void Int16(int16_t v) { Big(static_cast<uint16_t>(v), 2); }
  void Int32(int32_t v) { Big(static_cast<uint32_t>(v), 4); }
  void Int64(int64_t v) { Big(static_cast<uint64_t>(v), 8); }
  void String(absl::string_view s) {
    Int16(static_cast<int16_t>(s.size()));
    out_.append(s.data(), s.size());
  }
  void NullableString(const std::optional<std::string>& s) {
    if (!s) return Int16(-1);
    String(*s);
  }
  void Bytes(absl::string_view s) {
    Int32(static_cast<int32_t>(s.size()));
    out_.append(s.data(), s.size());
  }
  // A ConsumerProtocol partitions array: [topic, [partition]] grouped by topic.
  void TopicPartitions(const std::vector<TopicPartition>& partitions) {
    std::map<std::string, std::vector<int32_t>> by_topic;
    for (const TopicPartition& tp : partitions) by_topic[tp.topic].push_back(tp.partition);
    Int32(static_cast<int32_t>(by_topic.size()));
    for (const auto& [topic, ids] : by_topic) {
      String(topic);
      Int32(static_cast<int32_t>(ids.size()));
      for (int32_t id : ids) Int32(id);
    }
  }
  std::string Take() { return std::move(out_); }

 private:
  void Big(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

class Reader {
 public:
  Reader(absl::string_view bytes, const char* what) : in_(bytes), what_(what) {}

  absl::StatusOr<int16_t> Int16(const char* field) {
    RILL_ASSIGN_OR_RETURN(uint64_t v, Big(2, field));
    return static_cast<int16_t>(v);
  }
  absl::StatusOr<int32_t> Int32(const char* field) {
    RILL_ASSIGN_OR_RETURN(uint64_t v, Big(4, field));
    return static_cast<int32_t>(v);
  }
  absl::StatusOr<int64_t> Int64(const char* field) {
    RILL_ASSIGN_OR_RETURN(uint64_t v, Big(8, field));
    return static_cast<int64_t>(v);
  }
  absl::StatusOr<std::optional<std::string>> NullableString(const char* field) {
    RILL_ASSIGN_OR_RETURN(int16_t n, Int16(field));
    if (n < 0) return std::optional<std::string>();
    RILL_ASSIGN_OR_RETURN(absl::string_view s, Take(static_cast<size_t>(n), field));
    return std::optional<std::string>(std::string(s));
  }
  absl::StatusOr<std::string> String(const char* field) {
    RILL_ASSIGN_OR_RETURN(std::optional<std::string> s, NullableString(field));
    if (!s) return Corrupt(field, "is null");
    return *std::move(s);
  }
  absl::StatusOr<std::string> Bytes(const char* field) {
    RILL_ASSIGN_OR_RETURN(int32_t n, Int32(field));
    if (n < 0) return std::string();
    RILL_ASSIGN_OR_RETURN(absl::string_view s, Take(static_cast<size_t>(n), field));
    return std::string(s);
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  absl::StatusOr<uint64_t> Big(int bytes, const char* field) {
    RILL_ASSIGN_OR_RETURN(absl::string_view s, Take(bytes, field));
    uint64_t v = 0;
    for (char c : s) v = (v << 8) | static_cast<uint8_t>(c);
    return v;
  }
  absl::StatusOr<absl::string_view> Take(size_t n, const char* field) {
    if (in_.size() - pos_ < n) return Corrupt(field, "is truncated");
    absl::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  absl::Status Corrupt(const char* field, const char* why) const {
    return absl::DataLossError(
        absl::StrCat("__consumer_offsets ", what_, ": field ", field, " at byte ", pos_, " ", why));
  }

  absl::string_view in_;
  size_t pos_ = 0;
  const char* what_;
};

// Decodes one UTF-8 sequence at `s[*i]`; malformed bytes count as U+FFFD,
// as Java's decoder would replace them.
uint32_t NextCodePoint(absl::string_view s, size_t* i) {
  uint8_t c = static_cast<uint8_t>(s[(*i)++]);
  int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
  if (c >= 0x80 && extra == 0) return 0xfffd;
  uint32_t cp = extra == 0 ? c : c & (0x3f >> extra);
  for (int k = 0; k < extra; ++k) {
    if (*i >= s.size() || (static_cast<uint8_t>(s[*i]) & 0xc0) != 0x80) return 0xfffd;
    cp = (cp << 6) | (static_cast<uint8_t>(s[(*i)++]) & 0x3f);
  }
  return cp;
}

}  // namespace

int32_t JavaStringHashCode(absl::string_view utf8) {
  uint32_t h = 0;  // Java int arithmetic wraps; unsigned does the same here.
  for (size_t i = 0; i < utf8.size();) {
    uint32_t cp = NextCodePoint(utf8, &i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      h = 31 * h + (0xd800 + (cp >> 10));
      h = 31 * h + (0xdc00 + (cp & 0x3ff));
    } else {
      h = 31 * h + cp;
    }
  }
  return static_cast<int32_t>(h);
}

int32_t OffsetsPartitionFor(absl::string_view group_id, int32_t partitions) {
  int32_t h = JavaStringHashCode(group_id);
  // Kafka's Utils.abs: Integer.MIN_VALUE maps to 0.
  int32_t abs = h == INT32_MIN ? 0 : std::abs(h);
  return abs % partitions;
}

std::string EncodeOffsetCommitKey(const OffsetCommitKey& key) {
  Writer w;
  w.Int16(kOffsetCommitKeyVersion);
  w.String(key.group);
  w.String(key.topic);
  w.Int32(key.partition);
  return w.Take();
}

std::string EncodeOffsetCommitValue(const OffsetCommitValue& value) {
  Writer w;
  if (value.expire_timestamp) {
    w.Int16(kOffsetCommitValueVersionWithExpire);
    w.Int64(value.offset);
    w.String(value.metadata);
    w.Int64(value.commit_timestamp);
    w.Int64(*value.expire_timestamp);
    return w.Take();
  }
  w.Int16(kOffsetCommitValueVersion);
  w.Int64(value.offset);
  w.Int32(value.leader_epoch);
  w.String(value.metadata);
  w.Int64(value.commit_timestamp);
  return w.Take();
}

std::string EncodeGroupMetadataKey(absl::string_view group) {
  Writer w;
  w.Int16(kGroupMetadataKeyVersion);
  w.String(group);
  return w.Take();
}

std::string EncodeGroupMetadataValue(const GroupMetadataValue& value) {
  Writer w;
  w.Int16(kGroupMetadataValueVersion);
  w.String(value.protocol_type);
  w.Int32(value.generation);
  w.NullableString(value.protocol);
  w.NullableString(value.leader);
  w.Int64(value.current_state_timestamp);
  w.Int32(static_cast<int32_t>(value.members.size()));
  for (const GroupMemberMetadata& m : value.members) {
    w.String(m.member_id);
    w.NullableString(m.group_instance_id);
    w.String(m.client_id);
    w.String(m.client_host);
    w.Int32(m.rebalance_timeout_ms);
    w.Int32(m.session_timeout_ms);
    w.Bytes(m.subscription);
    w.Bytes(m.assignment);
  }
  return w.Take();
}

absl::StatusOr<OffsetsKey> DecodeOffsetsKey(absl::string_view bytes) {
  Reader r(bytes, "key");
  OffsetsKey key;
  RILL_ASSIGN_OR_RETURN(key.version, r.Int16("version"));
  if (key.version == 0 || key.version == 1) {
    key.kind = OffsetsKey::Kind::kOffsetCommit;
    RILL_ASSIGN_OR_RETURN(key.offset.group, r.String("group"));
    RILL_ASSIGN_OR_RETURN(key.offset.topic, r.String("topic"));
    RILL_ASSIGN_OR_RETURN(key.offset.partition, r.Int32("partition"));
    key.group = key.offset.group;
  } else if (key.version == 2) {
    key.kind = OffsetsKey::Kind::kGroupMetadata;
    RILL_ASSIGN_OR_RETURN(key.group, r.String("group"));
  }
  return key;
}

absl::StatusOr<OffsetCommitValue> DecodeOffsetCommitValue(absl::string_view bytes) {
  Reader r(bytes, "offset commit value");
  OffsetCommitValue v;
  RILL_ASSIGN_OR_RETURN(int16_t version, r.Int16("version"));
  if (version < 0 || version > 3) {
    return absl::DataLossError(
        absl::StrCat("__consumer_offsets offset commit value: unknown version ", version));
  }
  RILL_ASSIGN_OR_RETURN(v.offset, r.Int64("offset"));
  if (version >= 3) {
    RILL_ASSIGN_OR_RETURN(v.leader_epoch, r.Int32("leaderEpoch"));
  }
  RILL_ASSIGN_OR_RETURN(v.metadata, r.String("metadata"));
  RILL_ASSIGN_OR_RETURN(v.commit_timestamp, r.Int64("commitTimestamp"));
  if (version == 1) {
    RILL_ASSIGN_OR_RETURN(v.expire_timestamp, r.Int64("expireTimestamp"));
  }
  return v;
}

absl::StatusOr<GroupMetadataValue> DecodeGroupMetadataValue(absl::string_view bytes) {
  Reader r(bytes, "group metadata value");
  GroupMetadataValue v;
  RILL_ASSIGN_OR_RETURN(int16_t version, r.Int16("version"));
  if (version < 0 || version > 3) {
    return absl::DataLossError(
        absl::StrCat("__consumer_offsets group metadata value: unknown version ", version));
  }
  RILL_ASSIGN_OR_RETURN(v.protocol_type, r.String("protocolType"));
  RILL_ASSIGN_OR_RETURN(v.generation, r.Int32("generation"));
  RILL_ASSIGN_OR_RETURN(v.protocol, r.NullableString("protocol"));
  RILL_ASSIGN_OR_RETURN(v.leader, r.NullableString("leader"));
  if (version >= 2) {
    RILL_ASSIGN_OR_RETURN(v.current_state_timestamp, r.Int64("currentStateTimestamp"));
  }
  RILL_ASSIGN_OR_RETURN(int32_t count, r.Int32("members"));
  for (int32_t i = 0; i < count; ++i) {
    GroupMemberMetadata m;
    RILL_ASSIGN_OR_RETURN(m.member_id, r.String("memberId"));
    if (version >= 3) {
      RILL_ASSIGN_OR_RETURN(m.group_instance_id, r.NullableString("groupInstanceId"));
    }
    RILL_ASSIGN_OR_RETURN(m.client_id, r.String("clientId"));
    RILL_ASSIGN_OR_RETURN(m.client_host, r.String("clientHost"));
    if (version >= 1) {
      RILL_ASSIGN_OR_RETURN(m.rebalance_timeout_ms, r.Int32("rebalanceTimeout"));
    }
    RILL_ASSIGN_OR_RETURN(m.session_timeout_ms, r.Int32("sessionTimeout"));
    RILL_ASSIGN_OR_RETURN(m.subscription, r.Bytes("subscription"));
    RILL_ASSIGN_OR_RETURN(m.assignment, r.Bytes("assignment"));
    v.members.push_back(std::move(m));
  }
  return v;
}

std::string EncodeSubscription(const std::vector<std::string>& topics,
                               const std::vector<TopicPartition>& owned) {
  Writer w;
  w.Int16(1);
  w.Int32(static_cast<int32_t>(topics.size()));
  for (const std::string& t : topics) w.String(t);
  w.Int32(-1);  // userData: null.
  w.TopicPartitions(owned);
  return w.Take();
}

std::string EncodeAssignment(const std::vector<TopicPartition>& partitions) {
  Writer w;
  w.Int16(0);
  w.TopicPartitions(partitions);
  w.Int32(-1);  // userData: null.
  return w.Take();
}

absl::StatusOr<std::vector<TopicPartition>> DecodeAssignment(absl::string_view bytes) {
  Reader r(bytes, "assignment");
  std::vector<TopicPartition> out;
  RILL_ASSIGN_OR_RETURN(int16_t version, r.Int16("version"));
  (void)version;  // Every version starts with the partitions.
  RILL_ASSIGN_OR_RETURN(int32_t topics, r.Int32("assignedPartitions"));
  for (int32_t t = 0; t < topics; ++t) {
    RILL_ASSIGN_OR_RETURN(std::string topic, r.String("topic"));
    RILL_ASSIGN_OR_RETURN(int32_t n, r.Int32("partitions"));
    for (int32_t i = 0; i < n; ++i) {
      RILL_ASSIGN_OR_RETURN(int32_t p, r.Int32("partition"));
      out.push_back({topic, p});
    }
  }
  return out;
}

}  // namespace rill::group
