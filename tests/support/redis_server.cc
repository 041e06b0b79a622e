#include "tests/support/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace keyward::test {
namespace {

namespace fs = std::filesystem;

// Deadlines for a server to come up or go down. They bound a hang on a broken
// machine; no test asserts on how long anything took.
constexpr auto kStartDeadline = std::chrono::seconds(20);
constexpr auto kStopDeadline = std::chrono::seconds(10);
constexpr auto kPollInterval = std::chrono::milliseconds(10);

// FreeLoopbackPort binds port 0 on 127.0.0.1 and returns what the kernel
// chose. The socket is closed before redis-server binds; another process could
// take the port in between, which Start reports as a failure to come up.
int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string MakeTempDir() {
  std::string templ = (fs::temp_directory_path() / "kw-redis-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) return {};
  return templ;
}

}  // namespace

RedisServer::RedisServer() : RedisServer(Options{}) {}

RedisServer::RedisServer(Options options) : options_(std::move(options)) {}

RedisServer::~RedisServer() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

config::RedisEndpoint RedisServer::endpoint() const {
  config::RedisEndpoint ep;
  ep.host = "127.0.0.1";
  ep.port = port_;
  ep.db = 0;
  ep.password = options_.password;
  return ep;
}

config::StoreConfig RedisServer::store_config() const {
  config::StoreConfig cfg;
  cfg.url = url();
  cfg.endpoint = endpoint();
  cfg.key_prefix = options_.key_prefix;
  return cfg;
}

std::string RedisServer::url() const {
  std::string auth = options_.password.empty() ? "" : ":" + options_.password + "@";
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + "/0";
}

::testing::AssertionResult RedisServer::Start() {
  if (running()) return ::testing::AssertionSuccess();
  if (dir_.empty()) dir_ = MakeTempDir();
  if (dir_.empty()) return ::testing::AssertionFailure() << "cannot create a temporary directory";
  if (port_ == 0) port_ = FreeLoopbackPort();
  if (port_ == 0) return ::testing::AssertionFailure() << "no free loopback port";
  if (::testing::AssertionResult launched = Launch(); !launched) return launched;
  return WaitReady();
}

::testing::AssertionResult RedisServer::Launch() {
  const std::string port = std::to_string(port_);
  const std::string log = dir_ + "/redis.log";
  std::vector<std::string> args = {
      "redis-server", "--port",      port,    "--bind", "127.0.0.1", "--save", "",
      "--appendonly", "no",          "--dir", dir_,     "--logfile", log,      "--daemonize",
      "no",           "--databases", "16"};
  if (!options_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(options_.password);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // The server logs to its file; its stdout and stderr would only clutter
  // the test output.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, "redis-server", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return ::testing::AssertionFailure() << "cannot run redis-server: " << std::strerror(rc);
  }
  pid_ = pid;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult RedisServer::WaitReady() {
  const auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return ::testing::AssertionFailure()
             << "redis-server on port " << port_ << " exited early; log:\n"
             << LogTail();
    }
    Result<store::RedisContextPtr> ctx = store::ConnectBlocking(endpoint(), 1000);
    if (ctx) {
      Result<store::RedisReplyPtr> pong = store::RunCommand(ctx->get(), {"PING"}, "ping");
      // LOADING while an RDB file is read back: not ready yet.
      if (pong && store::ReplyString(pong->get()) == "PONG") return ::testing::AssertionSuccess();
      last_error = pong ? store::ReplyText(pong->get()) : pong.error();
    } else {
      last_error = ctx.error();
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return ::testing::AssertionFailure()
         << "redis-server on port " << port_ << " did not answer PING: " << last_error << "; log:\n"
         << LogTail();
}

void RedisServer::Stop() {
  admin_.reset();
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kStopDeadline;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  pid_ = -1;
}

::testing::AssertionResult RedisServer::Restart(Data data) {
  if (data == Data::kKeep && running()) {
    Result<store::RedisReplyPtr> saved = Command({"SAVE"});
    if (!saved || store::IsErrorReply(saved->get())) {
      return ::testing::AssertionFailure()
             << "SAVE before restart failed: "
             << (saved ? store::ReplyText(saved->get()) : saved.error());
    }
  }
  Stop();
  if (data == Data::kDrop) {
    std::error_code ec;
    fs::remove(fs::path(dir_) / "dump.rdb", ec);
  }
  return Start();
}

Result<store::RedisReplyPtr> RedisServer::Command(const store::RedisArgs& args) {
  if (!admin_) admin_.emplace(endpoint(), 5000);
  return admin_->CommandAllowError(args);
}

std::string RedisServer::CommandText(const store::RedisArgs& args) {
  Result<store::RedisReplyPtr> reply = Command(args);
  if (!reply) return "(failed) " + reply.error();
  return store::ReplyText(reply->get());
}

std::optional<std::string> RedisServer::Get(std::string_view key) {
  Result<store::RedisReplyPtr> reply = Command({"GET", key});
  if (!reply || (*reply)->type != REDIS_REPLY_STRING) return std::nullopt;
  return std::string(store::ReplyString(reply->get()));
}

std::vector<std::string> RedisServer::AllKeys(std::string_view pattern) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    Result<store::RedisReplyPtr> reply =
        Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!reply || (*reply)->type != REDIS_REPLY_ARRAY || (*reply)->elements != 2) {
      ADD_FAILURE() << "SCAN failed: " << (reply ? store::ReplyText(reply->get()) : reply.error());
      return keys;
    }
    const redisReply* r = reply->get();
    cursor.assign(store::ReplyString(r->element[0]));
    for (size_t i = 0; i < r->element[1]->elements; ++i) {
      keys.emplace_back(store::ReplyString(r->element[1]->element[i]));
    }
  } while (cursor != "0");
  return keys;
}

std::vector<std::string> RedisServer::KeysWithValueContaining(std::string_view needle,
                                                              std::string_view pattern) {
  std::vector<std::string> hits;
  for (const std::string& key : AllKeys(pattern)) {
    Result<store::RedisReplyPtr> type = Command({"TYPE", key});
    if (!type) {
      ADD_FAILURE() << type.error();
      continue;
    }
    std::string_view t = store::ReplyString(type->get());
    store::RedisArgs read;
    if (t == "string") {
      read = {"GET", key};
    } else if (t == "hash") {
      read = {"HGETALL", key};
    } else if (t == "zset") {
      read = {"ZRANGE", key, "0", "-1"};
    } else if (t == "set") {
      read = {"SMEMBERS", key};
    } else if (t == "list") {
      read = {"LRANGE", key, "0", "-1"};
    } else {
      continue;  // deleted meanwhile, or a stream nothing of ours writes
    }
    Result<store::RedisReplyPtr> value = Command(read);
    if (!value) {
      ADD_FAILURE() << value.error();
      continue;
    }
    const redisReply* r = value->get();
    bool found = store::ReplyString(r).find(needle) != std::string_view::npos;
    for (size_t i = 0; !found && r->type == REDIS_REPLY_ARRAY && i < r->elements; ++i) {
      found = store::ReplyString(r->element[i]).find(needle) != std::string_view::npos;
    }
    if (found) hits.push_back(key);
  }
  return hits;
}

std::string RedisServer::LogTail(size_t max_bytes) const {
  std::ifstream in(dir_ + "/redis.log");
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > max_bytes ? all.substr(all.size() - max_bytes) : all;
}

Result<store::RedisContextPtr> Subscribe(const RedisServer& server, std::string_view channel,
                                         int timeout_ms) {
  Result<store::RedisContextPtr> ctx = store::ConnectBlocking(server.endpoint(), timeout_ms);
  if (!ctx) return Fail(ctx.error());
  // The SUBSCRIBE reply is the confirmation: read it before returning.
  Result<store::RedisReplyPtr> confirm =
      store::RunCommand(ctx->get(), {"SUBSCRIBE", channel}, "subscribe");
  if (!confirm) return Fail(confirm.error());
  const redisReply* r = confirm->get();
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
      store::ReplyString(r->element[0]) != "subscribe") {
    return Fail("SUBSCRIBE answered " + store::ReplyText(r));
  }
  return ctx;
}

Result<std::string> NextMessage(redisContext* subscriber) {
  void* raw = nullptr;
  if (redisGetReply(subscriber, &raw) != REDIS_OK || raw == nullptr) {
    return Fail(std::string("waiting for a message: ") +
                (subscriber->err != 0 ? subscriber->errstr : "no reply"));
  }
  store::RedisReplyPtr reply(static_cast<redisReply*>(raw));
  const redisReply* r = reply.get();
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
      store::ReplyString(r->element[0]) != "message") {
    return Fail("not a pub/sub message: " + store::ReplyText(r));
  }
  return std::string(store::ReplyString(r->element[2]));
}

}  // namespace keyward::test
