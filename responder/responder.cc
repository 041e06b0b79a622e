#include "responder/responder.h"

#include <unistd.h>

#include <thread>

#include "responder/listen_socket.h"
#include "responder/signer_pool.h"
#include "responder/subscriber.h"
#include "responder/worker.h"

namespace keyward::responder {

Responder::Responder(const config::Config& cfg, std::vector<pki::CaMaterial> cas,
                     ResponderOptions options)
    : cfg_(cfg), options_(options) {
  int n = options_.workers > 0 ? options_.workers : cfg_.responder.workers;
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  worker_count_ = static_cast<size_t>(n);
  const Clock* clock = options_.clock != nullptr ? options_.clock : &system_clock_;
  ctx_ = std::make_unique<Context>(cfg_, std::move(cas), worker_count_, clock);
}

Responder::~Responder() { Stop(); }

Result<void> Responder::Start() {
  // Every worker gets its own socket per address, all bound to one port with
  // SO_REUSEPORT; the first socket of an address fixes the port.
  std::vector<std::vector<int>> fds(worker_count_);
  auto close_all = [&] {
    for (auto& list : fds) {
      for (int fd : list) close(fd);
    }
  };
  for (const std::string& text : cfg_.responder.listen) {
    config::ListenAddress addr;
    try {
      addr = config::ParseListen(text);
    } catch (const config::ConfigError& e) {
      close_all();
      return Fail(e.what());
    }
    int port = 0;
    for (size_t w = 0; w < worker_count_; ++w) {
      Result<int> fd = OpenListenSocket(addr, 1024, &port);
      if (!fd) {
        close_all();
        return Fail(fd.error());
      }
      fds[w].push_back(*fd);
      addr.port = port;
    }
    ports_.push_back(port);
  }
  if (options_.live_signing) {
    signer_ = std::make_unique<SignerPool>(*ctx_);
    signer_->Start();
    ctx_->signer = signer_.get();
  }
  subscriber_ = std::make_unique<Subscriber>(*ctx_);
  if (!subscriber_->Start()) {
    close_all();
    return Fail("could not start the subscriber loop");
  }
  for (size_t w = 0; w < worker_count_; ++w) {
    auto worker = std::make_unique<Worker>(w, *ctx_, std::move(fds[w]));
    if (!worker->Start()) return Fail("could not start worker " + std::to_string(w));
    workers_.push_back(std::move(worker));
  }
  started_ = true;
  return {};
}

void Responder::Stop() {
  for (auto& w : workers_) w->Stop();
  for (auto& w : workers_) w->Join();
  // Workers are gone, so no one submits or receives live-signing results.
  if (signer_) signer_->Stop();
  if (subscriber_) subscriber_->Stop();
  workers_.clear();
  ctx_->signer = nullptr;
  started_ = false;
}

}  // namespace keyward::responder
