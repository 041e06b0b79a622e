#pragma once
// WorkerPool: a fixed set of threads taking jobs from a bounded queue. A full
// queue refuses new jobs (TrySubmit returns false) instead of growing, so a
// flood of slow requests cannot take the process' memory; the caller answers
// 503 at once. Jobs must not throw.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace keyward::http {

class WorkerPool {
 public:
  // `threads` < 1 is taken as 1.
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // TrySubmit queues `job`; false when the queue is full or the pool stopped.
  bool TrySubmit(std::function<void()> job);
  // Stop lets running jobs finish, drops queued ones, and joins. Idempotent.
  void Stop();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  size_t max_queued_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace keyward::http
