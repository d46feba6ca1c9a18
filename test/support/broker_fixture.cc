#include "test/support/broker_fixture.h"

#include <utility>

#include "test/support/status_matchers.h"

namespace rill::testing {

BrokerOptions ManualBrokerOptions(Clock* clock) {
  BrokerOptions o;
  o.clock = clock;
  o.background_threads = false;
  return o;
}

BrokerCase OpenBroker(bool in_memory, Clock* clock) {
  BrokerCase c;
  BrokerOptions o = clock == nullptr ? BrokerOptions() : ManualBrokerOptions(clock);
  if (in_memory) {
    auto b = Broker::OpenInMemory(o);
    REQUIRE_OK(b);
    c.broker = std::move(*b);
  } else {
    c.dir = std::make_unique<TempDir>();
    auto b = Broker::Open(c.dir->path(), o);
    REQUIRE_OK(b);
    c.broker = std::move(*b);
  }
  return c;
}

}  // namespace rill::testing
