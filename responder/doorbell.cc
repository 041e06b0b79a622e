#include "responder/doorbell.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace keyward::responder {

Doorbell::~Doorbell() {
  // Close() hands the fd to OnClosed; only a doorbell never polled closes
  // it here.
  if (!polling_ && fd_ >= 0) close(fd_);
}

bool Doorbell::Init(uv_loop_t* loop, Callback on_ring, void* data) {
  on_ring_ = on_ring;
  data_ = data;
  fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd_ < 0) return false;
  if (uv_poll_init(loop, &poll_, fd_) != 0) return false;
  poll_.data = this;
  polling_ = true;
  return uv_poll_start(&poll_, UV_READABLE, OnReadable) == 0;
}

void Doorbell::Ring() {
  const uint64_t one = 1;
  // EAGAIN only when the counter is at its maximum: it is ringing already.
  ssize_t n = write(fd_, &one, sizeof(one));
  (void)n;
}

void Doorbell::Close() {
  if (!polling_) return;
  uv_poll_stop(&poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnClosed);
}

void Doorbell::OnReadable(uv_poll_t* poll, int status, int /*events*/) {
  auto* self = static_cast<Doorbell*>(poll->data);
  if (status < 0) return;
  uint64_t count = 0;
  // Reset the counter before running the callback, so a Ring made while it
  // runs wakes the loop again.
  ssize_t n = read(self->fd_, &count, sizeof(count));
  (void)n;
  self->on_ring_(self->data_);
}

void Doorbell::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<Doorbell*>(handle->data);
  close(self->fd_);
  self->fd_ = -1;
  self->polling_ = false;
}

}  // namespace keyward::responder
