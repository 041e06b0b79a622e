#pragma once
// RedisServer: a real redis-server for tests, on a free loopback port, with
// no persistence configured and its own temporary directory. Typical use:
//
//   class MyTest : public ::testing::Test {
//    protected:
//     void SetUp() override { ASSERT_TRUE(redis_.Start()); }
//     test::RedisServer redis_;
//   };
//   ... store::ConnectRedis(redis_.store_config()) ...
//   ... ASSERT_TRUE(redis_.Restart());   // same port, data kept
//
// Only the PID it started is ever signalled. Command() talks to the server
// without a shell or redis-cli, binary-safe, for assertions on raw keys.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/result.h"
#include "shared/store/redis_connection.h"

namespace keyward::test {

class RedisServer {
 public:
  struct Options {
    std::string password;            // non-empty: --requirepass
    std::string key_prefix = "kw:";  // for store_config()
  };
  // What Restart does with the data set. kKeep SAVEs an RDB file before the
  // stop and loads it at the start, like a Redis with persistence; kDrop
  // starts empty, like a Redis without (generation back to 0).
  enum class Data { kKeep, kDrop };

  RedisServer();
  explicit RedisServer(Options options);
  ~RedisServer();  // stops the server and removes its directory
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Start launches redis-server (on a fresh free port the first time, on the
  // same port afterwards) and waits until it answers PING. On failure the
  // message includes the end of the server's log.
  ::testing::AssertionResult Start();
  // Stop sends SIGTERM to our PID and reaps it (SIGKILL if it lingers).
  // Clients see their connections break. Idempotent.
  void Stop();
  // Restart = Stop + Start on the same port.
  ::testing::AssertionResult Restart(Data data = Data::kKeep);

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  const std::string& password() const { return options_.password; }

  // endpoint / store_config / url describe the server for the code under test.
  config::RedisEndpoint endpoint() const;
  config::StoreConfig store_config() const;
  std::string url() const;  // "redis://:password@127.0.0.1:port/0"

  // Command runs one command on a private connection (reopened after a
  // restart). Redis error replies come back as replies; only a connection
  // failure is an error.
  Result<store::RedisReplyPtr> Command(const store::RedisArgs& args);
  // CommandText is Command rendered like redis-cli ("(integer) 3", "(nil)",
  // "OK", "\"value\""), or "(failed) <reason>": handy in EXPECT_EQ.
  std::string CommandText(const store::RedisArgs& args);
  // Get: the value of a string key, nullopt when absent (or on failure).
  std::optional<std::string> Get(std::string_view key);
  // AllKeys: every key matching `pattern` (SCAN, so safe on big data sets).
  std::vector<std::string> AllKeys(std::string_view pattern = "*");
  // KeysWithValueContaining: every key (matching `pattern`) whose value holds
  // `needle` anywhere: a string's bytes, a hash's fields and values, the
  // members of a set, sorted set or list. For checks such as "no PRIVATE KEY
  // ever reaches Redis".
  std::vector<std::string> KeysWithValueContaining(std::string_view needle,
                                                   std::string_view pattern = "*");
  // LogTail: the last lines of the server's log, for failure messages.
  std::string LogTail(size_t max_bytes = 2000) const;

 private:
  ::testing::AssertionResult Launch();
  ::testing::AssertionResult WaitReady();

  Options options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::optional<store::RedisConnection> admin_;
};

// Subscribe opens a new connection to `server` and SUBSCRIBEs to `channel`,
// returning once Redis confirmed the subscription: nothing published after
// that is missed.
Result<store::RedisContextPtr> Subscribe(const RedisServer& server, std::string_view channel,
                                         int timeout_ms = 5000);
// NextMessage waits (up to the subscriber's timeout) for the next pub/sub
// message and returns its payload; an error on timeout or disconnect.
Result<std::string> NextMessage(redisContext* subscriber);

}  // namespace keyward::test
