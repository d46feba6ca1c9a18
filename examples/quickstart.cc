// rill quick start: open a data directory, create a topic, produce records
// and see where they landed. Run it twice: the topic and its records survive
// a restart, and the offsets continue.
//
//   quickstart [DIR]     (default ./rill-quickstart)
//
// Then look at the files Kafka's way:  rill dump DIR --records

#include <iostream>
#include <string>

#include "rill/rill.h"

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "rill-quickstart";
  auto broker = rill::Broker::Open(dir, rill::BrokerOptions{});
  if (!broker.ok()) {
    std::cerr << "quickstart: " << broker.status() << "\n";
    return 1;
  }
  std::cout << "rill " << rill::Version() << " on " << dir << "\n";

  rill::TopicOptions orders;
  orders.partitions = 4;
  orders.retention_ms = 24 * 3600 * 1000;  // retention.ms
  auto topic = (*broker)->CreateTopic("orders", orders);
  if (!topic.ok() && !absl::IsAlreadyExists(topic.status())) {
    std::cerr << "quickstart: " << topic.status() << "\n";
    return 1;
  }

  {
    rill::Producer producer(broker->get(), {.linger_ms = 1});
    for (int i = 0; i < 10; ++i) {
      std::string key = "customer-" + std::to_string(40 + i % 3);
      std::string value = R"({"sku":"A)" + std::to_string(i) + R"(","qty":2})";
      producer.Send({.topic = "orders", .key = key, .value = value},
                    [key](const absl::StatusOr<rill::RecordMetadata>& md) {
                      if (!md.ok()) {
                        std::cerr << "send failed: " << md.status() << "\n";
                        return;
                      }
                      std::cout << "  " << key << " -> " << md->topic << "-" << md->partition
                                << " @ " << md->offset << "\n";
                    });
    }
    producer.Flush();
  }

  auto description = (*broker)->DescribeTopic("orders");
  if (!description.ok()) {
    std::cerr << "quickstart: " << description.status() << "\n";
    return 1;
  }
  for (const rill::PartitionDescription& p : description->partitions) {
    std::cout << "orders-" << p.partition << ": offsets [" << p.log_start_offset << ", "
              << p.log_end_offset << "), " << p.size_bytes << " bytes\n";
  }
  if (absl::Status s = (*broker)->Close(); !s.ok()) {
    std::cerr << "quickstart: " << s << "\n";
    return 1;
  }
  std::cout << "inspect the files with: rill dump " << dir << " --records\n";
  return 0;
}
