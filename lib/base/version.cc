#include "rill/version.h"

namespace rill {

std::string_view Version() { return RILL_VERSION_STRING; }

}  // namespace rill
