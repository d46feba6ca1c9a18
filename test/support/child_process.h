#ifndef RILL_TEST_SUPPORT_CHILD_PROCESS_H_
#define RILL_TEST_SUPPORT_CHILD_PROCESS_H_

// What the crash tests share: a forked child that reports to the parent
// through a pipe and is killed with SIGKILL at a moment the parent chooses,
// and the environment settings that size and replay those tests.

#include <sys/types.h>

#include <cstdint>

#include "absl/functional/function_ref.h"

namespace rill::testing {

// A child process forked from the test, writing to a pipe the parent
// reads. Not thread safe: one test thread owns it. Setup failures (pipe,
// fork, waitpid) fail the test with Catch's REQUIRE.
class ChildProcess {
 public:
  // Flushes std::cout and std::cerr, then forks; the child runs
  // `body(write_fd)` and exits with status 4 if `body` returns.
  explicit ChildProcess(absl::FunctionRef<void(int write_fd)> body);
  // Kills and reaps the child unless Wait() already did.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads one whole message of `size` bytes into `out`, retrying on EINTR.
  // Returns false once the child's end of the pipe is closed (it exited or
  // was killed). REQUIRES: the child writes each message in one write(2)
  // of at most PIPE_BUF bytes, so reads are never short.
  bool Read(void* out, size_t size);
  template <typename T>
  bool Read(T* out) {
    return Read(out, sizeof *out);
  }

  // Sends SIGKILL after sleeping `delay_us` (when positive). Only the first
  // call kills; later ones do nothing.
  void Kill(int delay_us = 0);

  // Closes the pipe, reaps the child and returns its wait(2) status.
  // REQUIRES: called at most once.
  int Wait();

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
  bool killed_ = false;
  bool reaped_ = false;
};

// Whether a wait(2) status says the process died of SIGKILL.
bool KilledBySigkill(int status);
// Whether a wait(2) status says the process exited with status 0.
bool ExitedCleanly(int status);

// The environment variable `name` as an unsigned number, or `fallback`
// when it is unset or empty.
uint64_t EnvOr(const char* name, uint64_t fallback);

// RILL_CRASH_SEED, or a random seed; the same for the whole process.
uint64_t CrashSeed();

}  // namespace rill::testing

#endif  // RILL_TEST_SUPPORT_CHILD_PROCESS_H_
