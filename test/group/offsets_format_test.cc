#include "lib/group/offsets_format.h"

#include <catch2/catch.hpp>

#include "test/support/status_matchers.h"

namespace rill::group {
namespace {

TEST_CASE("the offset commit key is byte-exact with Kafka's example", "[group][format]") {
  std::string key = EncodeOffsetCommitKey({"g", "t", 0});
  CHECK(key == std::string("\x00\x01\x00\x01g\x00\x01t\x00\x00\x00\x00", 12));
  auto decoded = DecodeOffsetsKey(key);
  REQUIRE_OK(decoded);
  CHECK(decoded->kind == OffsetsKey::Kind::kOffsetCommit);
  CHECK(decoded->offset.topic == "t");
}

TEST_CASE("offset commit values v3 and v1 round-trip", "[group][format]") {
  OffsetCommitValue v{42, 7, "meta\xc3\xa9", 1'700'000'000'000, std::nullopt};
  auto back = DecodeOffsetCommitValue(EncodeOffsetCommitValue(v));
  REQUIRE_OK(back);
  CHECK(back->offset == 42);
  CHECK(back->leader_epoch == 7);
  CHECK(back->metadata == v.metadata);
  CHECK(EncodeOffsetCommitValue(v)[1] == 3);
  v.expire_timestamp = 5;
  back = DecodeOffsetCommitValue(EncodeOffsetCommitValue(v));
  REQUIRE_OK(back);
  CHECK(back->expire_timestamp == 5);
  CHECK(back->leader_epoch == -1);
}

TEST_CASE("group metadata values round-trip and truncation is DataLoss", "[group][format]") {
  GroupMetadataValue v;
  v.generation = 3;
  v.protocol = "range";
  v.leader = "m-1";
  v.current_state_timestamp = 99;
  v.members.push_back({"m-1", "static-1", "client", "/in-process", 300000, 45000,
                       EncodeSubscription({"t"}, {}), EncodeAssignment({{"t", 0}, {"t", 2}})});
  std::string bytes = EncodeGroupMetadataValue(v);
  auto back = DecodeGroupMetadataValue(bytes);
  REQUIRE_OK(back);
  CHECK(back->generation == 3);
  CHECK(back->members.size() == 1);
  CHECK(back->members[0].group_instance_id == "static-1");
  auto assignment = DecodeAssignment(back->members[0].assignment);
  REQUIRE_OK(assignment);
  CHECK(assignment->size() == 2);
  CHECK(absl::IsDataLoss(DecodeGroupMetadataValue(bytes.substr(0, bytes.size() - 3)).status()));
}

TEST_CASE("the group's partition is abs(String.hashCode) mod the partition count",
          "[group][format]") {
  CHECK(JavaStringHashCode("") == 0);
  CHECK(JavaStringHashCode("hello") == 99162322);
  CHECK(JavaStringHashCode("billing") == -109829509);
  CHECK(OffsetsPartitionFor("billing", 50) == 9);
  CHECK(OffsetsPartitionFor("hello", 50) == 22);
  // A supplementary character counts as two UTF-16 code units.
  CHECK(JavaStringHashCode("\xf0\x9f\x98\x80") == 31 * 0xd83d + 0xde00);
}

}  // namespace
}  // namespace rill::group
