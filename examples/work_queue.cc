// A work queue: worker threads in one consumer group share a topic's
// partitions; each commits after processing (at-least-once). One worker
// leaves half way; the others take over its partitions and nothing is lost.
//
//   work_queue [DATA_DIR]     (default: an in-memory broker)

#include <atomic>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rill/rill.h"

namespace {

constexpr int kJobs = 1000;

class LoggingListener : public rill::ConsumerRebalanceListener {
 public:
  explicit LoggingListener(int worker) : worker_(worker) {}
  void OnPartitionsRevoked(absl::Span<const rill::TopicPartition> ps) override {
    Log("revoked", ps);
  }
  void OnPartitionsAssigned(absl::Span<const rill::TopicPartition> ps) override {
    Log("assigned", ps);
  }

 private:
  void Log(const char* what, absl::Span<const rill::TopicPartition> ps) {
    if (ps.empty()) return;
    std::string names;
    for (const auto& tp : ps) absl::StrAppend(&names, names.empty() ? "" : ",", tp.ToString());
    std::cerr << "worker " << worker_ << " " << what << " " << names << "\n";
  }
  int worker_;
};

}  // namespace

int main(int argc, char** argv) {
  rill::BrokerOptions options;
  options.offsets_topic_num_partitions = 4;
  auto broker =
      argc > 1 ? rill::Broker::Open(argv[1], options) : rill::Broker::OpenInMemory(options);
  if (!broker.ok()) {
    std::cerr << broker.status() << "\n";
    return 1;
  }
  auto topic = (*broker)->CreateTopic("uploads", {.partitions = 6});
  if (!topic.ok() && !absl::IsAlreadyExists(topic.status())) {
    std::cerr << topic.status() << "\n";
    return 1;
  }

  std::mutex mu;
  std::set<std::string> done;  // Jobs processed (a redelivery is harmless).
  std::atomic<bool> stop{false};
  auto worker = [&](int id) {
    rill::Consumer c(broker->get(), {.group_id = "thumbnails",
                                     .auto_offset_reset = rill::OffsetReset::kEarliest,
                                     .enable_auto_commit = false});
    LoggingListener listener(id);
    if (absl::Status s = c.Subscribe({"uploads"}, &listener); !s.ok()) {
      std::cerr << s << "\n";
      return;
    }
    while (!stop.load()) {
      auto records = c.Poll(absl::Milliseconds(50));
      if (!records.ok()) continue;
      size_t processed;
      {
        std::lock_guard<std::mutex> lock(mu);
        for (const rill::ConsumerRecord& r : *records) {
          done.insert(std::string(r.value().value_or("")));
        }
        processed = done.size();
      }
      // Commit after processing: a crash before this line means the jobs
      // are done again by whoever gets the partition (at-least-once).
      if (!records->empty()) c.CommitSync().IgnoreError();
      // Worker 0 quits half way; its partitions move to the others.
      if (id == 0 && processed > kJobs / 2) break;
    }
    c.Close().IgnoreError();  // Leaves the group: a rebalance follows at once.
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < 3; ++i) workers.emplace_back(worker, i);

  rill::Producer producer(broker->get(), {.linger_ms = 1});
  for (int i = 0; i < kJobs; ++i) {
    producer.Send({.topic = "uploads",
                   .key = absl::StrCat("user-", i % 17),
                   .value = absl::StrCat("job-", i)},
                  nullptr);
  }
  producer.Flush();
  for (int waited = 0; waited < 600; ++waited) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (done.size() == kJobs) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  for (auto& t : workers) t.join();
  std::cout << "processed " << done.size() << " of " << kJobs << " jobs\n";
  return done.size() == kJobs ? 0 : 1;
}
