#pragma once
// Listening sockets with SO_REUSEPORT, one per worker per address, so the
// kernel spreads connections over the worker loops. libuv 1.44 has no flag
// for SO_REUSEPORT, so the socket is made here and handed to uv_tcp_open.
#include <string>

#include "shared/config/config.h"
#include "shared/result.h"

namespace keyward::responder {

// OpenListenSocket binds and listens on `addr` (port 0 picks a free port;
// *bound_port gets the port actually bound). IPv6 sockets are IPV6_V6ONLY.
// Returns the non-blocking fd, owned by the caller.
Result<int> OpenListenSocket(const config::ListenAddress& addr, int backlog, int* bound_port);

}  // namespace keyward::responder
