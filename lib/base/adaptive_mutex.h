#ifndef RILL_BASE_ADAPTIVE_MUTEX_H_
#define RILL_BASE_ADAPTIVE_MUTEX_H_

// AdaptiveMutex: a mutex that spins briefly before sleeping (glibc's
// PTHREAD_MUTEX_ADAPTIVE_NP), for locks held for tens of nanoseconds by
// threads on different cores. A plain std::mutex puts a contending thread to
// sleep at once, and its holder then pays a futex wake-up (over a
// microsecond here) on unlock: on the producer's partition queues, which the
// sending thread takes per record and the I/O thread per batch, that
// cost more than the work the lock protects.
//
// BasicLockable (std::lock_guard, std::unique_lock,
// std::condition_variable_any); ThreadSanitizer sees it as a pthread mutex.
// Thread safe, as a mutex is.

#include <pthread.h>

#include "absl/base/thread_annotations.h"

namespace rill {

class ABSL_LOCKABLE AdaptiveMutex {
 public:
  AdaptiveMutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
#ifdef __GLIBC__
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    pthread_mutex_init(&mu_, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  ~AdaptiveMutex() { pthread_mutex_destroy(&mu_); }
  AdaptiveMutex(const AdaptiveMutex&) = delete;
  AdaptiveMutex& operator=(const AdaptiveMutex&) = delete;

  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { pthread_mutex_lock(&mu_); }
  void unlock() ABSL_UNLOCK_FUNCTION() { pthread_mutex_unlock(&mu_); }
  bool try_lock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return pthread_mutex_trylock(&mu_) == 0; }

 private:
  pthread_mutex_t mu_;
};

}  // namespace rill

#endif  // RILL_BASE_ADAPTIVE_MUTEX_H_
