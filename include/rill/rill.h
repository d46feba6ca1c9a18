#ifndef RILL_RILL_H_
#define RILL_RILL_H_

// The umbrella header: include this to use rill.
#include "rill/admin.h"
#include "rill/broker.h"
#include "rill/clock.h"
#include "rill/consumer.h"
#include "rill/producer.h"
#include "rill/topic_options.h"
#include "rill/version.h"

#endif  // RILL_RILL_H_
