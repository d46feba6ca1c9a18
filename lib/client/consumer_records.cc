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

ConsumerRecordsBuilder::ConsumerRecordsBuilder() = default;

ConsumerRecordsBuilder::Storage& ConsumerRecordsBuilder::storage() {
  // Made with the first record's partition: a Poll that finds nothing (a
  // consumer spinning at the log end) allocates nothing.
  if (storage_ == nullptr) storage_ = std::make_shared<Storage>();
  return *storage_;
}

void ConsumerRecordsBuilder::StartPartition(const TopicPartition& partition) {
  storage();
  auto it = std::find(storage_->topics.begin(), storage_->topics.end(), partition.topic);
  if (it == storage_->topics.end()) it = storage_->topics.insert(it, partition.topic);
  topic_ = *it;
  partition_ = partition.partition;
  starts_.push_back({partition, records_.size()});
}

void ConsumerRecordsBuilder::Pin(std::shared_ptr<const storage::Segment> segment) {
  std::vector<std::shared_ptr<const storage::Segment>>& segments = storage().segments;
  if (!segments.empty() && segments.back() == segment) return;
  segments.push_back(std::move(segment));
}

void ConsumerRecordsBuilder::Share(std::shared_ptr<const ByteBuffer> buffer) {
  std::vector<std::shared_ptr<const ByteBuffer>>& buffers = storage().buffers;
  if (!buffers.empty() && buffers.back() == buffer) return;
  buffers.push_back(std::move(buffer));
}

void ConsumerRecordsBuilder::Reserve(size_t records) { records_.reserve(records); }

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
  if (record.key) {
    r.key_ = record.key->data();
    r.key_size_ = static_cast<int32_t>(record.key->size());
  }
  if (record.value) {
    r.value_ = record.value->data();
    r.value_size_ = static_cast<int32_t>(record.value->size());
  }
  r.leader_epoch_ = std::max(batch.partition_leader_epoch(), -1);
  r.header_count_ = static_cast<uint32_t>(record.headers.size());
  if (r.header_count_ > 0) {
    // Until Build() the headers vector may still move: keep the index of
    // the first header, FixHeaderSpans makes it a pointer.
    header_begin_.push_back({records_.size() - 1, storage_->headers.size()});
    for (format::Header h : record.headers) storage_->headers.push_back({h.key, h.value});
  }
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
  std::vector<size_t> moved_to(records_.size());
  records.reserve(records_.size());
  for (size_t g = 0; g < ranges_.size(); ++g) {
    ranges_[g].begin = records.size();
    for (size_t r : members[g]) {
      moved_to[r] = records.size();
      records.push_back(records_[r]);
    }
    ranges_[g].end = records.size();
  }
  records_ = std::move(records);
  for (auto& entry : header_begin_) entry.first = moved_to[entry.first];
}

void ConsumerRecordsBuilder::FixHeaderSpans() {
  if (header_begin_.empty()) return;
  const Header* base = storage_->headers.data();
  for (const auto& [record, first_header] : header_begin_) {
    records_[record].headers_ = base + first_header;
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
