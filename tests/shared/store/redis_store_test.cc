// Redis-only behaviour of the store, against a real redis-server: the raw
// schema, pub/sub, AUTH, reconnects and hygiene (prefix, no private keys).
// The behaviour both stores share is in store_test.cc.
#include <gtest/gtest.h>

#include <map>

#include "shared/store/store.h"
#include "tests/shared/store/store_test_data.h"
#include "tests/support/redis_server.h"

namespace keyward::store {
namespace {

class RedisStoreTest : public ::testing::Test {
 protected:
  explicit RedisStoreTest(test::RedisServer::Options options = {}) : redis_(std::move(options)) {}

  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    Result<std::unique_ptr<StoreWriter>> store = ConnectRedis(redis_.store_config());
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
  }

  // HashFields: a hash's fields and values, read with HGETALL; empty (and
  // a test failure) when the command fails.
  std::map<std::string, std::string> HashFields(const std::string& key) {
    std::map<std::string, std::string> fields;
    Result<RedisReplyPtr> hash = redis_.Command({"HGETALL", key});
    EXPECT_TRUE(hash) << hash.error();
    if (!hash) return fields;
    for (size_t i = 0; i + 1 < (*hash)->elements; i += 2) {
      fields[std::string(ReplyString((*hash)->element[i]))] = ReplyString((*hash)->element[i + 1]);
    }
    return fields;
  }

  test::RedisServer redis_;
  std::unique_ptr<StoreWriter> store_;
};

TEST_F(RedisStoreTest, WritesTheDocumentedSchema) {
  CertUpdate u = MakeUpdate("demo", "01AB", ocsp::CertStatus::kRevoked);
  ASSERT_TRUE(store_->Apply(u));

  std::map<std::string, std::string> want = {
      {"ca", "demo"},
      {"serial", "01AB"},
      {"status", "revoked"},
      {"revoked_at", "1700000500"},
      {"reason", "keyCompromise"},
      {"not_before", "1700000000"},
      {"not_after", "1800000000"},
      {"subject", "CN=device 01AB,O=Keyward Test"},
      {"device_id", "dev-01AB"},
      {"source", "directory"},
      {"updated_at", "1700000600"},
  };
  EXPECT_EQ(HashFields("kw:cert:demo:01AB"), want);

  // Both responses in the serial's bucket (kw:resp:demo:3F7F), one field each.
  std::map<std::string, std::string> want_blobs = {
      {"sha1:01AB", EncodeResponseBlob(u.responses[0].second)},
      {"sha256:01AB", EncodeResponseBlob(u.responses[1].second)},
  };
  EXPECT_EQ(HashFields("kw:resp:demo:3F7F"), want_blobs);
  EXPECT_EQ(redis_.CommandText({"TYPE", "kw:resp:demo:3F7F"}), "hash");
  EXPECT_EQ(redis_.Get("kw:gen"), "1");
  EXPECT_EQ(redis_.CommandText({"ZRANGE", "kw:changes", "0", "-1", "WITHSCORES"}),
            "[\"1 demo 01AB\", \"1\"]");
  EXPECT_EQ(redis_.CommandText({"TYPE", "kw:changes"}), "zset");
}

TEST_F(RedisStoreTest, PublishesTheInvalidationAfterTheData) {
  Result<RedisContextPtr> sub = test::Subscribe(redis_, "kw:inval");
  ASSERT_TRUE(sub) << sub.error();
  ASSERT_TRUE(store_->Apply(MakeUpdate("demo", "01")));
  Result<uint64_t> second = store_->Apply(MakeUpdate("demo", "02"));
  ASSERT_TRUE(second) << second.error();

  Result<std::string> first_msg = test::NextMessage(sub->get());
  ASSERT_TRUE(first_msg) << first_msg.error();
  EXPECT_EQ(*first_msg, "1 demo 01");
  Result<std::string> second_msg = test::NextMessage(sub->get());
  ASSERT_TRUE(second_msg) << second_msg.error();
  EXPECT_EQ(*second_msg, FormatInvalidation({*second, "demo", "02"}));
  std::optional<Invalidation> parsed = ParseInvalidation(*second_msg);
  ASSERT_TRUE(parsed);
  // When the message arrives, the data it names is already readable.
  Result<std::optional<CertRecord>> rec = store_->GetRecord(parsed->ca, parsed->serial_hex);
  ASSERT_TRUE(rec && rec->has_value());
}

TEST_F(RedisStoreTest, BatchPublishesOneMessagePerUpdate) {
  Result<RedisContextPtr> sub = test::Subscribe(redis_, "kw:inval");
  ASSERT_TRUE(sub) << sub.error();
  ASSERT_TRUE(
      store_->ApplyBatch({MakeUpdate("a", "01"), MakeUpdate("b", "02"), MakeUpdate("a", "03")}));
  for (const char* want : {"1 a 01", "2 b 02", "3 a 03"}) {
    Result<std::string> msg = test::NextMessage(sub->get());
    ASSERT_TRUE(msg) << msg.error();
    EXPECT_EQ(*msg, want);
  }
}

TEST_F(RedisStoreTest, FallsBackToEvalWhenTheScriptCacheIsFlushed) {
  ASSERT_TRUE(store_->Apply(MakeUpdate("demo", "01")));
  EXPECT_EQ(redis_.CommandText({"SCRIPT", "FLUSH"}), "OK");
  Result<uint64_t> gen = store_->Apply(MakeUpdate("demo", "02"));
  ASSERT_TRUE(gen) << gen.error();
  EXPECT_EQ(*gen, 2u);
  EXPECT_EQ(redis_.CommandText({"SCRIPT", "FLUSH"}), "OK");
  Result<void> batch = store_->ApplyBatch({MakeUpdate("demo", "03"), MakeUpdate("demo", "04")});
  ASSERT_TRUE(batch) << batch.error();
  Result<ChangesSince> changes = store_->Changes(2);
  ASSERT_TRUE(changes) << changes.error();
  ASSERT_EQ(changes->changes.size(), 2u);
  EXPECT_EQ(changes->changes[0].serial_hex, "03");
  EXPECT_EQ(changes->changes[1].serial_hex, "04");
}

TEST_F(RedisStoreTest, ReconnectsAfterARestart) {
  ASSERT_TRUE(store_->Apply(MakeUpdate("demo", "01")));
  ASSERT_TRUE(redis_.Restart(test::RedisServer::Data::kKeep));
  // The old connection is dead; the first call reconnects by itself.
  Result<std::optional<CertRecord>> rec = store_->GetRecord("demo", "01");
  ASSERT_TRUE(rec) << rec.error();
  EXPECT_TRUE(rec->has_value());
  ASSERT_TRUE(redis_.Restart(test::RedisServer::Data::kKeep));
  Result<uint64_t> gen = store_->Apply(MakeUpdate("demo", "02"));  // script cache is empty now
  ASSERT_TRUE(gen) << gen.error();
  EXPECT_EQ(*gen, 2u);

  // A Redis that comes back empty: the generation went backwards, so a
  // reader that saw generation 2 is told to reload.
  ASSERT_TRUE(redis_.Restart(test::RedisServer::Data::kDrop));
  Result<ChangesSince> changes = store_->Changes(2);
  ASSERT_TRUE(changes) << changes.error();
  EXPECT_TRUE(changes->truncated);
  EXPECT_EQ(changes->generation, 0u);
}

TEST_F(RedisStoreTest, FailsWhileRedisIsDownAndRecoversAfter) {
  redis_.Stop();
  Result<uint64_t> down = store_->Apply(MakeUpdate("demo", "01"));
  ASSERT_FALSE(down);
  EXPECT_NE(down.error().find("redis 127.0.0.1:" + std::to_string(redis_.port()) + "/0"),
            std::string::npos)
      << down.error();
  EXPECT_FALSE(store_->Ping());
  ASSERT_TRUE(redis_.Start());
  EXPECT_TRUE(store_->Ping());
  Result<uint64_t> up = store_->Apply(MakeUpdate("demo", "01"));
  ASSERT_TRUE(up) << up.error();
}

TEST_F(RedisStoreTest, CorruptDataIsAnErrorNotAWrongAnswer) {
  EXPECT_EQ(redis_.CommandText({"HSET", "kw:resp:demo:30F5", "sha1:01", "short"}), "(integer) 1");
  Result<std::optional<StoredResponse>> resp =
      store_->GetResponse("demo", ocsp::HashAlg::kSha1, "01");
  ASSERT_FALSE(resp);
  EXPECT_NE(resp.error().find("kw:resp:demo:30F5 sha1:01"), std::string::npos) << resp.error();
  EXPECT_EQ(redis_.CommandText(
                {"HSET", "kw:cert:demo:01", "ca", "demo", "serial", "01", "status", "maybe"}),
            "(integer) 3");
  EXPECT_FALSE(store_->GetRecord("demo", "01"));
  EXPECT_FALSE(store_->ListRecords("demo"));
}

TEST_F(RedisStoreTest, SelectsTheConfiguredDatabase) {
  config::StoreConfig cfg = redis_.store_config();
  cfg.endpoint.db = 3;
  Result<std::unique_ptr<StoreWriter>> store = ConnectRedis(cfg);
  ASSERT_TRUE(store) << store.error();
  ASSERT_TRUE((*store)->Apply(MakeUpdate("demo", "01")));
  EXPECT_EQ(redis_.CommandText({"EXISTS", "kw:gen"}), "(integer) 0");
  EXPECT_EQ(redis_.CommandText({"SELECT", "3"}), "OK");
  EXPECT_EQ(redis_.CommandText({"EXISTS", "kw:gen"}), "(integer) 1");
  EXPECT_EQ(redis_.CommandText({"SELECT", "0"}), "OK");
}

class RedisStorePrefixTest : public RedisStoreTest {
 protected:
  RedisStorePrefixTest() : RedisStoreTest({.password = "", .key_prefix = "tp:"}) {}
};

TEST_F(RedisStorePrefixTest, WritesNoKeyOutsideThePrefixAndNoPrivateKey) {
  Result<RedisContextPtr> sub = test::Subscribe(redis_, "tp:inval");
  ASSERT_TRUE(sub) << sub.error();
  std::vector<CertUpdate> updates;
  for (int i = 0; i < 20; ++i) {
    updates.push_back(MakeUpdate("demo", std::to_string(10 + i),
                                 i % 3 ? ocsp::CertStatus::kGood : ocsp::CertStatus::kRevoked));
  }
  ASSERT_TRUE(store_->ApplyBatch(updates));
  ASSERT_TRUE(store_->Apply(MakeUpdate("other", "FF")));
  ASSERT_TRUE(store_->Changes(0));
  ASSERT_TRUE(store_->ListRecords(""));
  Result<std::string> msg = test::NextMessage(sub->get());
  ASSERT_TRUE(msg) << msg.error();
  EXPECT_EQ(*msg, "1 demo 10");

  std::vector<std::string> keys = redis_.AllKeys();
  // 21 records with a device index and a response bucket each (no two of
  // these serials share a bucket), the counter and the change log.
  EXPECT_EQ(keys.size(), 21u * 3 + 2);
  for (const std::string& key : keys) EXPECT_EQ(key.rfind("tp:", 0), 0u) << key;
  EXPECT_TRUE(redis_.KeysWithValueContaining("PRIVATE KEY").empty());
  // The check itself works: a planted PEM key is found.
  EXPECT_EQ(redis_.CommandText({"SET", "tp:planted", "-----BEGIN PRIVATE KEY-----"}), "OK");
  EXPECT_EQ(redis_.KeysWithValueContaining("PRIVATE KEY"), std::vector<std::string>{"tp:planted"});
}

class RedisStoreAuthTest : public RedisStoreTest {
 protected:
  RedisStoreAuthTest() : RedisStoreTest({.password = "s3cret pass", .key_prefix = "kw:"}) {}
};

TEST_F(RedisStoreAuthTest, AuthenticatesWithThePassword) {
  Result<uint64_t> gen = store_->Apply(MakeUpdate("demo", "01"));
  ASSERT_TRUE(gen) << gen.error();
  ASSERT_TRUE(redis_.Restart());  // AUTH again on the reconnect
  Result<std::optional<CertRecord>> rec = store_->GetRecord("demo", "01");
  ASSERT_TRUE(rec) << rec.error();
  EXPECT_TRUE(rec->has_value());
}

TEST_F(RedisStoreAuthTest, WrongOrMissingPasswordFailsNamingTheEndpointOnly) {
  for (const char* password : {"wrong", ""}) {
    config::StoreConfig cfg = redis_.store_config();
    cfg.endpoint.password = password;
    Result<std::unique_ptr<StoreWriter>> store = ConnectRedis(cfg);
    ASSERT_FALSE(store) << "password '" << password << "'";
    EXPECT_NE(store.error().find("redis 127.0.0.1:" + std::to_string(redis_.port()) + "/0"),
              std::string::npos)
        << store.error();
    EXPECT_EQ(store.error().find("s3cret"), std::string::npos) << store.error();
  }
}

TEST_F(RedisStoreAuthTest, AuthenticatesAsAnAclUser) {
  EXPECT_EQ(redis_.CommandText(
                {"ACL", "SETUSER", "keyward", "on", ">user pass", "~kw:*", "&kw:*", "+@all"}),
            "OK");
  config::StoreConfig cfg = redis_.store_config();
  cfg.endpoint.username = "keyward";
  cfg.endpoint.password = "user pass";
  Result<std::unique_ptr<StoreWriter>> store = ConnectRedis(cfg);
  ASSERT_TRUE(store) << store.error();
  ASSERT_TRUE((*store)->Apply(MakeUpdate("demo", "01")));
  cfg.endpoint.password = "nope";
  Result<std::unique_ptr<StoreWriter>> denied = ConnectRedis(cfg);
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().find("redis keyward@127.0.0.1:"), std::string::npos) << denied.error();
}

TEST(RedisConnectionTest, ConnectFailureNamesTheEndpoint) {
  test::RedisServer redis;
  ASSERT_TRUE(redis.Start());
  config::RedisEndpoint ep = redis.endpoint();
  redis.Stop();  // nothing listens on that port now
  Result<RedisContextPtr> ctx = ConnectBlocking(ep, 1000);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().find("redis 127.0.0.1:" + std::to_string(ep.port) + "/0: connect"),
            std::string::npos)
      << ctx.error();
}

TEST(RedisConnectionTest, DescribesEndpointsWithoutPasswords) {
  config::RedisEndpoint ep;
  ep.host = "::1";
  ep.port = 6380;
  ep.db = 2;
  ep.password = "hidden";
  EXPECT_EQ(DescribeEndpoint(ep), "redis [::1]:6380/2");
  ep.unix_socket = "/run/redis.sock";
  ep.username = "kw";
  EXPECT_EQ(DescribeEndpoint(ep), "redis kw@unix:/run/redis.sock/2");
}

}  // namespace
}  // namespace keyward::store
