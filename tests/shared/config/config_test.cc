#include "shared/config/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace keyward::config {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kwcfg-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& text) {
    std::string path = (dir_ / "keyward.toml").string();
    std::ofstream(path) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(ConfigTest, LoadsContractKeysAndResolvesPathsAgainstTheFile) {
  std::string path = Write(R"(
[store]
redis = "redis://127.0.0.1:6390/2"
[[ca]]
name = "demo"
cert = "pki/demo-ca.pem"
key = "pki/demo-ca.key"
ocsp_signer_cert = "pki/demo-ocsp.pem"
ocsp_signer_key = "pki/demo-ocsp.key"
device_id = "san-uri:urn:device:"
[responder]
listen = ["127.0.0.1:8080", "[::1]:8080"]
workers = 2
[issuer]
listen = ["127.0.0.1:8081"]
ca = "demo"
challenge = "static-secret"
[poller]
interval_s = 5
[[directory]]
name = "fleet"
kind = "http-json"
url = "http://127.0.0.1:9000/devices"
interval_s = 5
cas = ["demo"]
)");
  Config cfg = Load(path);
  EXPECT_EQ(cfg.store.endpoint.port, 6390);
  EXPECT_EQ(cfg.store.endpoint.db, 2);
  ASSERT_EQ(cfg.cas.size(), 1u);
  EXPECT_EQ(cfg.cas[0].cert, (dir_ / "pki/demo-ca.pem").string());
  EXPECT_EQ(cfg.cas[0].ra_cert, (dir_ / "pki/demo-ra.pem").string());
  EXPECT_TRUE(cfg.cas[0].issues());
  EXPECT_EQ(cfg.responder.listen.size(), 2u);
  EXPECT_EQ(cfg.responder.workers, 2);
  EXPECT_EQ(cfg.issuer.challenge, "static-secret");
  ASSERT_EQ(cfg.directories.size(), 1u);
  EXPECT_EQ(cfg.directories[0].cas.at(0), "demo");
}

TEST_F(ConfigTest, ErrorsNameFileAndLine) {
  std::string path = Write("[responder]\nworkers = \"two\"\n");
  try {
    Load(path);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("keyward.toml:2"), std::string::npos) << e.what();
  }
}

TEST_F(ConfigTest, RejectsCaWithoutSigner) {
  EXPECT_THROW(Load(Write("[[ca]]\nname = \"x\"\ncert = \"c.pem\"\n")), ConfigError);
}

TEST_F(ConfigTest, RejectsCaAndDirectoryThatAreNotArraysOfTables) {
  EXPECT_THROW(Load(Write("[ca]\nname = \"x\"\n")), ConfigError);
  EXPECT_THROW(Load(Write("ca = [1, 2]\n")), ConfigError);
  EXPECT_THROW(Load(Write("directory = \"fleet\"\n")), ConfigError);
}

TEST_F(ConfigTest, UnknownAsRevokedOnlyWithoutAnExternalStatusSource) {
  const std::string ca = "[[ca]]\nname = \"x\"\ncert = \"c.pem\"\nkey = \"k.pem\"\n";
  EXPECT_TRUE(Load(Write(ca + "unknown_as_revoked = true\n")).cas[0].unknown_as_revoked);
  EXPECT_THROW(Load(Write(ca + "unknown_as_revoked = true\nindex = \"index.txt\"\n")), ConfigError);
  EXPECT_THROW(Load(Write(ca + "unknown_as_revoked = true\ncrl = \"http://127.0.0.1/x.crl\"\n")),
               ConfigError);
}

TEST_F(ConfigTest, SignerNiceDefaultsToTenAndStaysInRange) {
  EXPECT_EQ(Load(Write("")).responder.signer_nice, 10);
  EXPECT_EQ(Load(Write("[responder]\nsigner_nice = 0\n")).responder.signer_nice, 0);
  EXPECT_EQ(Load(Write("[responder]\nsigner_nice = 19\n")).responder.signer_nice, 19);
  EXPECT_THROW(Load(Write("[responder]\nsigner_nice = 20\n")), ConfigError);
  EXPECT_THROW(Load(Write("[responder]\nsigner_nice = -1\n")), ConfigError);
}

TEST_F(ConfigTest, RejectsIssuerNamingUnknownCa) {
  EXPECT_THROW(Load(Write("[issuer]\nca = \"nope\"\n")), ConfigError);
}

TEST(RedisUrl, Forms) {
  RedisEndpoint a = ParseRedisUrl("redis://127.0.0.1:6379/0");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 6379);
  RedisEndpoint b = ParseRedisUrl("redis://:s3cret@localhost/3");
  EXPECT_EQ(b.password, "s3cret");
  EXPECT_EQ(b.port, 6379);
  EXPECT_EQ(b.db, 3);
  RedisEndpoint c = ParseRedisUrl("redis://user:pw@[::1]:7000");
  EXPECT_EQ(c.username, "user");
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, 7000);
  EXPECT_THROW(ParseRedisUrl("http://x"), ConfigError);
}

TEST(Listen, Forms) {
  EXPECT_EQ(ParseListen("[::1]:8080").host, "::1");
  EXPECT_EQ(ParseListen(":9").host, "0.0.0.0");
  EXPECT_THROW(ParseListen("127.0.0.1:99999"), ConfigError);
  EXPECT_THROW(ParseListen("nonsense"), ConfigError);
}

}  // namespace
}  // namespace keyward::config
