#pragma once
// Blocking hiredis plumbing shared by everything that talks to Redis outside
// an event loop: the Redis store, the SCEP challenge store, the poller and the
// CLI. hiredis 0.14.1 speaks RESP2 only and has no TLS.
//
// Two layers:
//  - free functions over a raw redisContext (ConnectBlocking, RunCommand,
//    RunPipeline) for callers that manage their own connection;
//  - RedisConnection, which owns one context, knows its endpoint and
//    reconnects once when a command fails on a broken connection, so a
//    long-running poller or a CLI survives a Redis restart.
//
// Every argument goes through redisCommandArgv / redisAppendCommandArgv with
// explicit lengths, so values may hold NUL bytes (OCSP DER does). Every error
// message starts with the endpoint ("redis 127.0.0.1:6379/0: ..."), never with
// the password.
#include <hiredis/hiredis.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shared/config/config.h"
#include "shared/result.h"

namespace keyward::store {

struct RedisContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct RedisReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
// RedisContextPtr owns a connection; RedisReplyPtr owns one reply tree
// (element pointers inside it are borrowed from the root).
using RedisContextPtr = std::unique_ptr<redisContext, RedisContextFree>;
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyFree>;

// RedisArgs: one command, its words borrowed for the duration of the call.
using RedisArgs = std::vector<std::string_view>;

// DescribeEndpoint: "redis 127.0.0.1:6379/0" or "redis unix:/path/0", with a
// "user@" when an ACL user is set. Never includes the password.
std::string DescribeEndpoint(const config::RedisEndpoint& ep);

// ConnectBlocking connects (TCP or unix socket) within `timeout_ms`, sends
// AUTH (username + password, or password alone) when a password is set,
// SELECTs the database when it is not 0, enables TCP keep-alive and sets
// `timeout_ms` as the timeout of every later command. On failure returns an
// error naming the endpoint; nothing is leaked.
Result<RedisContextPtr> ConnectBlocking(const config::RedisEndpoint& ep, int timeout_ms);

// ConnectionBroken: true when `ctx` is null or hiredis has flagged an I/O or
// protocol error on it. A broken context answers nothing more: reconnect.
bool ConnectionBroken(const redisContext* ctx);

// RunCommand runs one command and returns its reply. Fails when the
// connection breaks or times out, and when Redis answers with an error reply
// (its text goes into the message). `where` prefixes every message.
Result<RedisReplyPtr> RunCommand(redisContext* ctx, const RedisArgs& args, std::string_view where);
// RunCommandAllowError is RunCommand, except that an error reply is returned
// as a reply (type REDIS_REPLY_ERROR) for callers that act on it (NOSCRIPT).
Result<RedisReplyPtr> RunCommandAllowError(redisContext* ctx, const RedisArgs& args,
                                           std::string_view where);
// RunPipeline appends every command, then reads one reply per command, in
// order: one round trip for the lot. Error replies are returned as replies;
// only a connection failure fails the whole call (the context is then broken
// and the caller cannot know which commands ran).
Result<std::vector<RedisReplyPtr>> RunPipeline(redisContext* ctx,
                                               const std::vector<RedisArgs>& commands,
                                               std::string_view where);

// Reply helpers. ReplyString is the bytes of a string, status or error reply
// ("" otherwise); IsErrorReply checks the type and that the text starts with
// `code` ("NOSCRIPT", "WRONGPASS"; any error when `code` is empty).
std::string_view ReplyString(const redisReply* r);
bool IsErrorReply(const redisReply* r, std::string_view code = {});
// ReplyText renders a reply roughly as redis-cli prints it, for messages.
std::string ReplyText(const redisReply* r);

// RedisConnection: one owned blocking connection that reconnects on demand.
// Not thread-safe: give each thread its own, or guard it with a mutex.
class RedisConnection {
 public:
  // OnConnect runs after every successful (re)connect, before any command:
  // for per-connection setup such as SCRIPT LOAD. Its failure fails the
  // connect.
  using OnConnect = std::function<Result<void>(redisContext* ctx, std::string_view where)>;

  RedisConnection(config::RedisEndpoint endpoint, int timeout_ms, OnConnect on_connect = {});

  // Connect (re)opens the connection now, dropping any old one.
  Result<void> Connect();

  // Command / CommandAllowError / Pipeline: as the free functions, on this
  // connection. When there is no connection yet, or a call fails because the
  // connection is broken (Redis restarted, idle connection cut, timeout),
  // they reconnect once and run the call again; if that fails too, the error
  // is returned and the next call tries again. A retried write may thus run
  // twice when the first attempt reached Redis before the connection broke:
  // keep retried commands idempotent (the store's Apply is: a second run
  // only bumps the generation once more).
  Result<RedisReplyPtr> Command(const RedisArgs& args);
  Result<RedisReplyPtr> CommandAllowError(const RedisArgs& args);
  Result<std::vector<RedisReplyPtr>> Pipeline(const std::vector<RedisArgs>& commands);

  // WithRetry runs `op` on a live context with the same reconnect-once rule,
  // for a sequence of calls that must share one connection (MULTI/EXEC).
  template <class T>
  Result<T> WithRetry(const std::function<Result<T>(redisContext*)>& op);

  // where() is DescribeEndpoint(endpoint), the prefix of every message.
  const std::string& where() const { return where_; }
  // context() is the current connection or null; borrowed.
  redisContext* context() const { return ctx_.get(); }

 private:
  Result<void> EnsureConnected();

  config::RedisEndpoint endpoint_;
  int timeout_ms_;
  OnConnect on_connect_;
  std::string where_;
  RedisContextPtr ctx_;
};

template <class T>
Result<T> RedisConnection::WithRetry(const std::function<Result<T>(redisContext*)>& op) {
  if (Result<void> up = EnsureConnected(); !up) return Fail(up.error());
  Result<T> first = op(ctx_.get());
  if (first || !ConnectionBroken(ctx_.get())) return first;
  // The connection broke under the call: one fresh connection, one retry.
  if (Result<void> up = Connect(); !up) return Fail(first.error() + "; reconnect: " + up.error());
  Result<T> second = op(ctx_.get());
  if (!second && ConnectionBroken(ctx_.get())) ctx_.reset();
  return second;
}

}  // namespace keyward::store
