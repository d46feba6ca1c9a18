#include "lib/client/consumer_records.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace rill {

std::string TopicPartition::ToString() const { return absl::StrCat(topic, "-", partition); }

std::vector<TopicPartition> ConsumerRecords::partitions() const {
  std::vector<TopicPartition> out;
  out.reserve(ranges_.size());
  for (const PartitionRange& r : ranges_) out.push_back(r.partition);
  return out;
}

absl::Span<const ConsumerRecord> ConsumerRecords::records(const TopicPartition& partition) const {
  for (const PartitionRange& r : ranges_) {
    if (r.partition == partition) {
      return absl::MakeConstSpan(records_).subspan(r.begin, r.end - r.begin);
    }
  }
  return {};
}

namespace client {

ConsumerRecordsBuilder::ConsumerRecordsBuilder() : storage_(std::make_shared<Storage>()) {}

void ConsumerRecordsBuilder::StartPartition(const TopicPartition& partition) {
  auto it = std::find(storage_->topics.begin(), storage_->topics.end(), partition.topic);
  if (it == storage_->topics.end()) it = storage_->topics.insert(it, partition.topic);
  topic_ = *it;
  partition_ = partition.partition;
  starts_.push_back({partition, records_.size()});
}

void ConsumerRecordsBuilder::Pin(std::shared_ptr<const storage::Segment> segment) {
  if (!storage_->segments.empty() && storage_->segments.back() == segment) return;
  storage_->segments.push_back(std::move(segment));
}

void ConsumerRecordsBuilder::Adopt(ByteBuffer* buffer) {
  storage_->buffers.push_back(std::move(*buffer));
  *buffer = ByteBuffer();
}

void ConsumerRecordsBuilder::Add(const format::RecordBatchView& batch,
                                 const format::RecordView& record) {
  ConsumerRecord& r = records_.emplace_back();
  r.topic_ = topic_;
  r.partition_ = partition_;
  r.offset_ = record.offset;
  r.timestamp_ = record.timestamp;
  r.timestamp_type_ = batch.timestamp_type() == format::TimestampType::kLogAppendTime
                          ? TimestampType::kLogAppendTime
                          : TimestampType::kCreateTime;
  r.key_ = record.key;
  r.value_ = record.value;
  int32_t epoch = batch.partition_leader_epoch();
  if (epoch >= 0) r.leader_epoch_ = epoch;
  header_begin_.push_back(storage_->headers.size());
  for (format::Header h : record.headers) storage_->headers.push_back({h.key, h.value});
  // The data pointer is set in FixHeaderSpans; only the count is known now.
  r.headers_ = absl::Span<const Header>(nullptr, record.headers.size());
}

void ConsumerRecordsBuilder::GroupByPartition() {
  absl::flat_hash_map<TopicPartition, size_t> group;  // Partition -> index in ranges_.
  bool repeated = false;
  for (size_t i = 0; i < starts_.size(); ++i) {
    size_t end = i + 1 < starts_.size() ? starts_[i + 1].begin : records_.size();
    if (starts_[i].begin == end) continue;
    auto [it, inserted] = group.try_emplace(starts_[i].partition, ranges_.size());
    if (inserted) {
      ranges_.push_back({starts_[i].partition, starts_[i].begin, end});
    } else {
      repeated = true;
    }
  }
  if (repeated) Regroup();
}

void ConsumerRecordsBuilder::Regroup() {
  // A partition fetched again later in the same Poll (new data arrived
  // while it waited for fetch.min.bytes) gets its records moved next to
  // its earlier ones, partitions in first-appearance order.
  std::vector<std::vector<size_t>> members(ranges_.size());
  absl::flat_hash_map<TopicPartition, size_t> group;
  for (size_t g = 0; g < ranges_.size(); ++g) group[ranges_[g].partition] = g;
  for (size_t i = 0; i < starts_.size(); ++i) {
    size_t end = i + 1 < starts_.size() ? starts_[i + 1].begin : records_.size();
    if (starts_[i].begin == end) continue;
    std::vector<size_t>& m = members[group[starts_[i].partition]];
    for (size_t r = starts_[i].begin; r < end; ++r) m.push_back(r);
  }
  std::vector<ConsumerRecord> records;
  std::vector<size_t> header_begin;
  records.reserve(records_.size());
  header_begin.reserve(records_.size());
  for (size_t g = 0; g < ranges_.size(); ++g) {
    ranges_[g].begin = records.size();
    for (size_t r : members[g]) {
      records.push_back(records_[r]);
      header_begin.push_back(header_begin_[r]);
    }
    ranges_[g].end = records.size();
  }
  records_ = std::move(records);
  header_begin_ = std::move(header_begin);
}

void ConsumerRecordsBuilder::FixHeaderSpans() {
  const Header* base = storage_->headers.data();
  for (size_t i = 0; i < records_.size(); ++i) {
    ConsumerRecord& r = records_[i];
    r.headers_ = absl::Span<const Header>(base + header_begin_[i], r.headers_.size());
  }
}

ConsumerRecords ConsumerRecordsBuilder::Build() {
  GroupByPartition();
  FixHeaderSpans();
  ConsumerRecords out;
  out.records_ = std::move(records_);
  out.ranges_ = std::move(ranges_);
  out.storage_ = std::move(storage_);
  *this = ConsumerRecordsBuilder();
  return out;
}

}  // namespace client
}  // namespace rill
