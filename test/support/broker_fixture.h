#ifndef RILL_TEST_SUPPORT_BROKER_FIXTURE_H_
#define RILL_TEST_SUPPORT_BROKER_FIXTURE_H_

// Brokers for client and broker tests: deterministic options, and one
// broker opened either in memory or on a fresh TempDir so that the same
// test runs on both. Opening failures fail the test (REQUIRE_OK).

#include <memory>

#include "rill/broker.h"
#include "test/support/temp_dir.h"

namespace rill::testing {

// No background threads (maintenance runs only in RunMaintenance()) and
// `clock`, which must outlive the broker; nullptr is the system clock.
BrokerOptions ManualBrokerOptions(Clock* clock = nullptr);

// A broker and, when it is on disk, the directory it owns. Members are
// destroyed in reverse order: the broker closes before its directory goes.
struct BrokerCase {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<Broker> broker;
};

// Opens a broker in memory or in a new TempDir. Without `clock` it runs
// with background threads; with one, ManualBrokerOptions(clock).
BrokerCase OpenBroker(bool in_memory, Clock* clock = nullptr);

}  // namespace rill::testing

#endif  // RILL_TEST_SUPPORT_BROKER_FIXTURE_H_
