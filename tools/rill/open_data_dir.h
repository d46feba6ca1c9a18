#ifndef RILL_TOOLS_RILL_OPEN_DATA_DIR_H_
#define RILL_TOOLS_RILL_OPEN_DATA_DIR_H_

// How commands find and open the data directory named by --dir, with
// cli.md's rules: commands that write create it and take its lock; commands
// that only read need it to exist; --read-only opens without the lock; a
// directory locked by another process gives
//
//   rill: <dir> is in use by process <pid> (lock <file>); use --read-only to inspect it
//
// Thread safe (no state of its own).

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/storage/log_manager.h"
#include "rill/broker.h"
#include "tools/rill/command.h"

namespace rill::tool {

enum class DataDirAccess {
  kRead,   // The directory must exist; --read-only skips the lock.
  kWrite,  // Created if missing; always locked (--read-only is refused).
};

// NotFound "<dir>: no such data directory (set --dir or $RILL_DIR)" unless
// `dir` is a directory.
absl::Status RequireDataDir(const std::string& dir);

// Opens the data directory of `globals` for `access`. Errors: as
// RequireDataDir; the lock error above (FailedPrecondition);
// InvalidArgument for kWrite with --read-only; LogManager::Open's.
absl::StatusOr<std::unique_ptr<storage::LogManager>> OpenDataDir(const GlobalFlags& globals,
                                                                 DataDirAccess access);

// Opens the data directory of `globals` as a rill::Broker for `access`, with
// `options` (its read_only set from --read-only). A writable broker removes
// partition directories no topic metadata accounts for (a crashed create),
// so a directory that has partition directories but no `.topics` at all —
// Apache Kafka's, or one written through the storage layer alone — is
// refused rather than emptied. Errors: as OpenDataDir; FailedPrecondition
// "<dir>: has partition directories (<first>, ...) but no rill topic
// metadata ..." for such a directory; Broker::Open's.
absl::StatusOr<std::unique_ptr<Broker>> OpenBroker(const GlobalFlags& globals, DataDirAccess access,
                                                   BrokerOptions options);

// `status` with the hint "; use --read-only to inspect it" when it is the
// storage layer's "<dir> is in use by process <pid> (lock <file>)"; any other
// status unchanged.
absl::Status ExplainLockError(const absl::Status& status);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_OPEN_DATA_DIR_H_
