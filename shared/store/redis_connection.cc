#include "shared/store/redis_connection.h"

#include <sys/time.h>

namespace keyward::store {
namespace {

timeval ToTimeval(int timeout_ms) {
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>(timeout_ms % 1000) * 1000;
  return tv;
}

std::string ContextError(const redisContext* ctx) {
  if (ctx == nullptr) return "no connection";
  if (ctx->err == 0) return "no reply";
  return std::string(ctx->errstr);
}

// Argv packs borrowed words into the parallel arrays hiredis wants.
struct Argv {
  explicit Argv(const RedisArgs& args) {
    ptrs.reserve(args.size());
    lens.reserve(args.size());
    for (std::string_view a : args) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  int argc() const { return static_cast<int>(ptrs.size()); }
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
};

Result<void> Handshake(redisContext* ctx, const config::RedisEndpoint& ep, std::string_view where) {
  if (!ep.password.empty()) {
    RedisArgs auth = ep.username.empty() ? RedisArgs{"AUTH", ep.password}
                                         : RedisArgs{"AUTH", ep.username, ep.password};
    Result<RedisReplyPtr> r = RunCommand(ctx, auth, where);
    if (!r) return Fail(r.error());
  }
  if (ep.db != 0) {
    std::string db = std::to_string(ep.db);
    Result<RedisReplyPtr> r = RunCommand(ctx, {"SELECT", db}, where);
    if (!r) return Fail(r.error());
  }
  return {};
}

}  // namespace

std::string DescribeEndpoint(const config::RedisEndpoint& ep) {
  std::string text = "redis ";
  if (!ep.username.empty()) text.append(ep.username).append("@");
  if (!ep.unix_socket.empty()) {
    text.append("unix:").append(ep.unix_socket);
  } else if (ep.host.find(':') != std::string::npos) {
    text.append("[").append(ep.host).append("]:").append(std::to_string(ep.port));
  } else {
    text.append(ep.host).append(":").append(std::to_string(ep.port));
  }
  text.append("/").append(std::to_string(ep.db));
  return text;
}

Result<RedisContextPtr> ConnectBlocking(const config::RedisEndpoint& ep, int timeout_ms) {
  const std::string where = DescribeEndpoint(ep);
  const timeval tv = ToTimeval(timeout_ms);
  RedisContextPtr ctx(ep.unix_socket.empty()
                          ? redisConnectWithTimeout(ep.host.c_str(), ep.port, tv)
                          : redisConnectUnixWithTimeout(ep.unix_socket.c_str(), tv));
  if (!ctx) return Fail(where + ": cannot allocate a hiredis context");
  if (ctx->err != 0) return Fail(where + ": connect: " + ctx->errstr);
  // Without a command timeout a Redis that stops answering would hang the
  // caller forever; keep-alive finds connections a firewall dropped silently.
  if (redisSetTimeout(ctx.get(), tv) != REDIS_OK) {
    return Fail(where + ": setting the command timeout: " + ContextError(ctx.get()));
  }
  if (ep.unix_socket.empty() && redisEnableKeepAlive(ctx.get()) != REDIS_OK) {
    return Fail(where + ": enabling keep-alive: " + ContextError(ctx.get()));
  }
  if (Result<void> hs = Handshake(ctx.get(), ep, where); !hs) return Fail(hs.error());
  return ctx;
}

bool ConnectionBroken(const redisContext* ctx) { return ctx == nullptr || ctx->err != 0; }

Result<RedisReplyPtr> RunCommandAllowError(redisContext* ctx, const RedisArgs& args,
                                           std::string_view where) {
  std::string command = args.empty() ? std::string() : std::string(args[0]);
  if (ConnectionBroken(ctx)) {
    return Fail(std::string(where) + ": " + command + ": " + ContextError(ctx));
  }
  Argv argv(args);
  RedisReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(ctx, argv.argc(), argv.ptrs.data(), argv.lens.data())));
  if (!reply) return Fail(std::string(where) + ": " + command + ": " + ContextError(ctx));
  return reply;
}

Result<RedisReplyPtr> RunCommand(redisContext* ctx, const RedisArgs& args, std::string_view where) {
  Result<RedisReplyPtr> reply = RunCommandAllowError(ctx, args, where);
  if (reply && IsErrorReply(reply->get())) {
    std::string command = args.empty() ? std::string() : std::string(args[0]);
    return Fail(std::string(where) + ": " + command + ": " +
                std::string(ReplyString(reply->get())));
  }
  return reply;
}

Result<std::vector<RedisReplyPtr>> RunPipeline(redisContext* ctx,
                                               const std::vector<RedisArgs>& commands,
                                               std::string_view where) {
  if (ConnectionBroken(ctx)) return Fail(std::string(where) + ": pipeline: " + ContextError(ctx));
  for (const RedisArgs& args : commands) {
    Argv argv(args);
    if (redisAppendCommandArgv(ctx, argv.argc(), argv.ptrs.data(), argv.lens.data()) != REDIS_OK) {
      return Fail(std::string(where) + ": pipeline append: " + ContextError(ctx));
    }
  }
  std::vector<RedisReplyPtr> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) {
      return Fail(std::string(where) + ": pipeline reply " + std::to_string(i + 1) + " of " +
                  std::to_string(commands.size()) + ": " + ContextError(ctx));
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

std::string_view ReplyString(const redisReply* r) {
  if (r == nullptr) return {};
  if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS &&
      r->type != REDIS_REPLY_ERROR) {
    return {};
  }
  return std::string_view(r->str, r->len);
}

bool IsErrorReply(const redisReply* r, std::string_view code) {
  if (r == nullptr || r->type != REDIS_REPLY_ERROR) return false;
  return ReplyString(r).substr(0, code.size()) == code;
}

std::string ReplyText(const redisReply* r) {
  if (r == nullptr) return "(no reply)";
  switch (r->type) {
    case REDIS_REPLY_STRING: {
      // Built by appending: GCC 12's -Wrestrict misfires on "\"" + string.
      std::string text(1, '"');
      text.append(r->str, r->len);
      text.push_back('"');
      return text;
    }
    case REDIS_REPLY_STATUS:
      return std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return "(error) " + std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return "(integer) " + std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string text = "[";
      for (size_t i = 0; i < r->elements; ++i) {
        if (i > 0) text.append(", ");
        text.append(ReplyText(r->element[i]));
      }
      return text + "]";
    }
    default:
      return "(reply type " + std::to_string(r->type) + ")";
  }
}

RedisConnection::RedisConnection(config::RedisEndpoint endpoint, int timeout_ms,
                                 OnConnect on_connect)
    : endpoint_(std::move(endpoint)),
      timeout_ms_(timeout_ms),
      on_connect_(std::move(on_connect)),
      where_(DescribeEndpoint(endpoint_)) {}

Result<void> RedisConnection::Connect() {
  ctx_.reset();
  Result<RedisContextPtr> ctx = ConnectBlocking(endpoint_, timeout_ms_);
  if (!ctx) return Fail(ctx.error());
  if (on_connect_) {
    if (Result<void> setup = on_connect_(ctx->get(), where_); !setup) return setup;
  }
  ctx_ = std::move(*ctx);
  return {};
}

Result<void> RedisConnection::EnsureConnected() {
  if (!ConnectionBroken(ctx_.get())) return {};
  return Connect();
}

Result<RedisReplyPtr> RedisConnection::Command(const RedisArgs& args) {
  return WithRetry<RedisReplyPtr>([&](redisContext* ctx) { return RunCommand(ctx, args, where_); });
}

Result<RedisReplyPtr> RedisConnection::CommandAllowError(const RedisArgs& args) {
  return WithRetry<RedisReplyPtr>(
      [&](redisContext* ctx) { return RunCommandAllowError(ctx, args, where_); });
}

Result<std::vector<RedisReplyPtr>> RedisConnection::Pipeline(
    const std::vector<RedisArgs>& commands) {
  return WithRetry<std::vector<RedisReplyPtr>>(
      [&](redisContext* ctx) { return RunPipeline(ctx, commands, where_); });
}

}  // namespace keyward::store
