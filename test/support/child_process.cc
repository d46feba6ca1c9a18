#include "test/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

namespace rill::testing {

ChildProcess::ChildProcess(absl::FunctionRef<void(int write_fd)> body) {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  // Unflushed output would be written twice, once by each process.
  std::cout.flush();
  std::cerr.flush();
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    close(fds[0]);
    body(fds[1]);
    _exit(4);
  }
  close(fds[1]);
  read_fd_ = fds[0];
}

ChildProcess::~ChildProcess() {
  if (reaped_) return;
  Kill();
  close(read_fd_);
  waitpid(pid_, nullptr, 0);
}

bool ChildProcess::Read(void* out, size_t size) {
  while (true) {
    ssize_t n = read(read_fd_, out, size);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return false;
    REQUIRE(n == static_cast<ssize_t>(size));
    return true;
  }
}

void ChildProcess::Kill(int delay_us) {
  if (killed_) return;
  killed_ = true;
  if (delay_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
  kill(pid_, SIGKILL);
}

int ChildProcess::Wait() {
  close(read_fd_);
  int status = 0;
  REQUIRE(waitpid(pid_, &status, 0) == pid_);
  reaped_ = true;
  return status;
}

bool KilledBySigkill(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

bool ExitedCleanly(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

uint64_t CrashSeed() {
  static const uint64_t seed = EnvOr("RILL_CRASH_SEED", std::random_device{}());
  return seed;
}

}  // namespace rill::testing
