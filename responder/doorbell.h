#pragma once
// Doorbell: wakes an event loop from other threads, through an eventfd the
// loop polls. It stands in for uv_async_t on the signer -> loop path: in
// libuv 1.44 the loop side of uv_async_send spins (and then sched_yields)
// while a sender is between its two atomic steps, so a low-priority sender
// preempted on the loop's own core (the nice signer threads) makes the loop
// spin. An eventfd write is one syscall with no such window.
#include <uv.h>

namespace keyward::responder {

class Doorbell {
 public:
  using Callback = void (*)(void* data);

  Doorbell() = default;
  ~Doorbell();
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  // Init starts polling on `loop`; `on_ring(data)` runs on the loop after
  // one or more Ring calls. False if the eventfd or the poll handle failed.
  bool Init(uv_loop_t* loop, Callback on_ring, void* data);
  // Ring: any thread. Rings made before the callback starts are coalesced.
  void Ring();
  // Close stops polling (loop thread); the fd is closed when libuv has let
  // go of the handle.
  void Close();

 private:
  static void OnReadable(uv_poll_t* poll, int status, int events);
  static void OnClosed(uv_handle_t* handle);

  int fd_ = -1;
  uv_poll_t poll_{};
  bool polling_ = false;
  Callback on_ring_ = nullptr;
  void* data_ = nullptr;
};

}  // namespace keyward::responder
