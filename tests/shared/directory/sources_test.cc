// Directory sources against local stand-ins that serve the documented
// response shapes: the http-json contract, Microsoft Graph (Entra devices
// delta, Intune managedDevices, the Entra token endpoint) and the Jamf Pro
// API. The cloud services themselves cannot be reached from test machines.
#include <gtest/gtest.h>

#include <fstream>

#include "shared/directory/graph_source.h"
#include "shared/directory/http_json_source.h"
#include "shared/directory/jamf_source.h"
#include "tests/shared/directory/standin_server.h"

namespace keyward::directory {
namespace {

using test::StandIn;

std::string Find(const http::Request& r, const char* name) {
  const std::string* v = r.FindHeader(name);
  return v ? *v : "";
}

std::map<std::string, DeviceState> AsMap(const SyncResult& r) {
  std::map<std::string, DeviceState> m;
  for (const DeviceUpdate& d : r.devices) m[d.id] = d.state;
  return m;
}

TEST(HttpJsonSourceTest, PagesEtagAndToken) {
  StandIn* self = nullptr;
  StandIn server([&](const http::Request& r) {
    if (Find(r, "Authorization") != "Bearer tok-1") return StandIn::Json(401, "{}");
    if (r.query.empty()) {
      if (Find(r, "If-None-Match") == "\"v1\"") return StandIn::Json(304, "");
      http::Response resp = StandIn::Json(
          200, R"({"devices":[{"id":"a","enabled":true},{"id":"b","enabled":false}],"next":")" +
                   self->url() + R"(/devices?page=2"})");
      resp.headers.push_back({"ETag", "\"v1\""});
      return resp;
    }
    return StandIn::Json(200,
                         R"({"devices":[{"id":"c","enabled":true,"deleted":true}],"next":null})");
  });
  self = &server;
  std::string token_file = ::testing::TempDir() + "/kw-dir-token";
  std::ofstream(token_file) << "tok-1\n";
  config::DirectoryConfig cfg;
  cfg.name = "fleet";
  cfg.kind = "http-json";
  cfg.url = server.url() + "/devices";
  cfg.token_file = token_file;
  HttpJsonSource src(cfg);
  Result<SyncResult> first = src.Fetch(0);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(first->kind, SyncResult::Kind::kFull);
  EXPECT_EQ(first->pages, 2u);
  auto m = AsMap(*first);
  EXPECT_EQ(m["a"], DeviceState::kActive);
  EXPECT_EQ(m["b"], DeviceState::kDisabled);
  EXPECT_EQ(m["c"], DeviceState::kDeleted);
  // Not committed (e.g. held): the next fetch reads everything again.
  Result<SyncResult> again = src.Fetch(0);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->kind, SyncResult::Kind::kFull);
  src.Commit();
  Result<SyncResult> same = src.Fetch(0);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->kind, SyncResult::Kind::kNotModified);

  std::ofstream(token_file, std::ios::trunc) << "rotated-wrong\n";
  EXPECT_FALSE(src.Fetch(0));  // 401 is a failed sync, never an empty fleet
}

TEST(HttpJsonSourceTest, RefusesForeignNextAndBadShapes) {
  std::string body = R"({"devices":[],"next":"http://192.0.2.1/steal"})";
  StandIn server([&](const http::Request&) { return StandIn::Json(200, body); });
  config::DirectoryConfig cfg;
  cfg.kind = "http-json";
  cfg.url = server.url() + "/devices";
  HttpJsonSource src(cfg);
  Result<SyncResult> r = src.Fetch(0);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("origin"), std::string::npos);
  for (const char* bad : {"[]", "{}", R"({"devices":[{"enabled":true}]})",
                          R"({"devices":[{"id":"a","enabled":"no"}]})", "not json"}) {
    body = bad;
    EXPECT_FALSE(src.Fetch(0)) << bad;
  }
}

TEST(HttpJsonSourceTest, UnreachableIsAnError) {
  config::DirectoryConfig cfg;
  cfg.kind = "http-json";
  int port = 0;
  {
    StandIn gone([](const http::Request&) { return StandIn::Json(200, "{}"); });
    port = gone.port();
  }
  cfg.url = "http://127.0.0.1:" + std::to_string(port) + "/devices";
  cfg.timeout_ms = 2000;
  HttpJsonSource src(cfg);
  EXPECT_FALSE(src.Fetch(0));
}

// Graph: token endpoint + devices delta (two pages, then a delta link).
TEST(GraphSourceTest, EntraDeltaRoundsAndRemovedDevices) {
  int tokens = 0;
  StandIn* self = nullptr;
  StandIn server([&](const http::Request& r) {
    if (r.method == "POST" && r.path == "/tenant-1/oauth2/v2.0/token") {
      ++tokens;
      if (r.body.find("grant_type=client_credentials") == std::string::npos ||
          r.body.find("client_secret=shh") == std::string::npos ||
          r.body.find("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default") == std::string::npos) {
        return StandIn::Json(400, R"({"error":"invalid_request"})");
      }
      return StandIn::Json(200,
                           R"({"token_type":"Bearer","expires_in":3599,"access_token":"at-1"})");
    }
    if (Find(r, "Authorization") != "Bearer at-1") return StandIn::Json(401, "{}");
    if (r.path == "/v1.0/devices/delta" && r.query.find("$skiptoken") == std::string::npos &&
        r.query.find("$deltatoken") == std::string::npos) {
      return StandIn::Json(200, R"({"value":[
          {"id":"obj-1","deviceId":"dev-1","accountEnabled":true},
          {"id":"obj-2","deviceId":"dev-2","accountEnabled":true}],
        "@odata.nextLink":")" + self->url() +
                                    R"(/v1.0/devices/delta?$skiptoken=p2"})");
    }
    if (r.query.find("$skiptoken=p2") != std::string::npos) {
      return StandIn::Json(200, R"({"value":[
          {"id":"obj-3","deviceId":"dev-3","accountEnabled":false}],
        "@odata.deltaLink":")" + self->url() +
                                    R"(/v1.0/devices/delta?$deltatoken=d1"})");
    }
    if (r.query.find("$deltatoken=d1") != std::string::npos) {
      return StandIn::Json(200, R"({"value":[
          {"id":"obj-1","accountEnabled":false},
          {"id":"obj-2","@removed":{"reason":"deleted"}},
          {"id":"obj-3","@removed":{"reason":"changed"}}],
        "@odata.deltaLink":")" + self->url() +
                                    R"(/v1.0/devices/delta?$deltatoken=d2"})");
    }
    return StandIn::Json(404, "{}");
  });
  self = &server;
  config::DirectoryConfig cfg;
  cfg.name = "entra";
  cfg.kind = "entra";
  cfg.url = server.url();
  cfg.tenant_id = "tenant-1";
  cfg.client_id = "app-1";
  cfg.token_url = server.url() + "/tenant-1/oauth2/v2.0/token";
  GraphSource src(cfg, "shh");
  Result<SyncResult> full = src.Fetch(1000);
  ASSERT_TRUE(full) << full.error();
  EXPECT_EQ(full->kind, SyncResult::Kind::kFull);
  auto m = AsMap(*full);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m["dev-3"], DeviceState::kDisabled);
  src.Commit();
  Result<SyncResult> delta = src.Fetch(1010);
  ASSERT_TRUE(delta) << delta.error();
  EXPECT_EQ(delta->kind, SyncResult::Kind::kDelta);
  m = AsMap(*delta);
  EXPECT_EQ(m["dev-1"], DeviceState::kDisabled);
  EXPECT_EQ(m["dev-2"], DeviceState::kDeleted);
  EXPECT_EQ(m["dev-3"], DeviceState::kDisabled);  // restorable for 30 days: a hold
  EXPECT_EQ(tokens, 1);                           // cached
}

TEST(GraphSourceTest, IntuneManagedDevices) {
  StandIn server([&](const http::Request& r) {
    if (r.method == "POST") return StandIn::Json(200, R"({"access_token":"at","expires_in":3600})");
    if (r.path != "/v1.0/deviceManagement/managedDevices") return StandIn::Json(404, "{}");
    return StandIn::Json(200, R"({"value":[
        {"id":"m-1","azureADDeviceId":"aad-1","managementState":"managed"},
        {"id":"m-2","azureADDeviceId":"aad-2","managementState":"retireIssued"}]})");
  });
  config::DirectoryConfig cfg;
  cfg.kind = "intune";
  cfg.url = server.url();
  cfg.token_url = server.url() + "/t/oauth2/v2.0/token";
  GraphSource src(cfg, "shh");
  Result<SyncResult> r = src.Fetch(0);
  ASSERT_TRUE(r) << r.error();
  auto m = AsMap(*r);
  EXPECT_EQ(m["m-1"], DeviceState::kActive);
  EXPECT_EQ(m["m-2"], DeviceState::kDisabled);
  ASSERT_FALSE(server.requests().empty());
  EXPECT_NE(server.requests().back().query.find("$select=id,azureADDeviceId,managementState"),
            std::string::npos);
}

TEST(GraphSourceTest, TokenRefusedIsAnError) {
  StandIn server(
      [](const http::Request&) { return StandIn::Json(401, R"({"error":"invalid_client"})"); });
  config::DirectoryConfig cfg;
  cfg.kind = "entra";
  cfg.url = server.url();
  cfg.token_url = server.url() + "/t/oauth2/v2.0/token";
  GraphSource src(cfg, "wrong");
  Result<SyncResult> r = src.Fetch(0);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("invalid_client"), std::string::npos);
  EXPECT_EQ(r.error().find("wrong"), std::string::npos);  // never the secret
}

TEST(JamfSourceTest, ComputersAndMobileDevicesPaged) {
  StandIn server([&](const http::Request& r) {
    if (r.method == "POST" && r.path == "/api/oauth/token") {
      return StandIn::Json(200, R"({"access_token":"jt","expires_in":1199,"token_type":"Bearer"})");
    }
    if (Find(r, "Authorization") != "Bearer jt") return StandIn::Json(401, "{}");
    bool page1 = r.query.find("page=1") != std::string::npos;
    if (r.path == "/api/v1/computers-inventory") {
      if (r.query.find("section=GENERAL") == std::string::npos) return StandIn::Json(400, "{}");
      if (!page1) {
        return StandIn::Json(200, R"({"totalCount":2,"results":[
            {"id":"1","udid":"MAC-1","general":{"remoteManagement":{"managed":true}}}]})");
      }
      return StandIn::Json(200, R"({"totalCount":2,"results":[
          {"id":"2","udid":"MAC-2","general":{"remoteManagement":{"managed":false}}}]})");
    }
    if (r.path == "/api/v2/mobile-devices") {
      return StandIn::Json(200, R"({"totalCount":1,"results":[
          {"id":"7","udid":"IPAD-7","serialNumber":"S7","managed":true}]})");
    }
    return StandIn::Json(404, "{}");
  });
  config::DirectoryConfig cfg;
  cfg.kind = "jamf";
  cfg.url = server.url();
  cfg.client_id = "jamf-client";
  JamfSource src(cfg, "jamf-secret");
  Result<SyncResult> r = src.Fetch(0);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->pages, 3u);
  auto m = AsMap(*r);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m["MAC-1"], DeviceState::kActive);
  EXPECT_EQ(m["MAC-2"], DeviceState::kDisabled);
  EXPECT_EQ(m["IPAD-7"], DeviceState::kActive);
}

TEST(JamfSourceTest, ServerErrorFailsTheWholeSync) {
  StandIn server([&](const http::Request& r) {
    if (r.method == "POST") return StandIn::Json(200, R"({"access_token":"jt","expires_in":60})");
    if (r.path == "/api/v2/mobile-devices") return StandIn::Json(500, "{}");
    return StandIn::Json(200, R"({"totalCount":1,"results":[{"id":"1","udid":"MAC-1"}]})");
  });
  config::DirectoryConfig cfg;
  cfg.kind = "jamf";
  cfg.url = server.url();
  JamfSource src(cfg, "s");
  EXPECT_FALSE(src.Fetch(0));  // a partial listing must never look like deletions
}

}  // namespace
}  // namespace keyward::directory
