#include "shared/directory/jamf_source.h"

#include <nlohmann/json.hpp>

#include "shared/directory/http_client.h"

namespace keyward::directory {
namespace {

constexpr int kPageSize = 200;
constexpr int kMaxPages = 100'000;

std::string IdOf(const nlohmann::json& item, const std::string& field) {
  auto it = item.find(field);
  if (it == item.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return "";
}

// Managed: computers keep it under general.remoteManagement.managed, mobile
// devices at the top level. Absent means managed: Jamf lists only enrolled
// devices, and an unreadable flag must not disable a fleet.
bool Managed(const nlohmann::json& item) {
  const nlohmann::json* flag = nullptr;
  if (auto g = item.find("general"); g != item.end() && g->is_object()) {
    if (auto rm = g->find("remoteManagement"); rm != g->end() && rm->is_object()) {
      if (auto m = rm->find("managed"); m != rm->end()) flag = &*m;
    }
  }
  if (auto m = item.find("managed"); flag == nullptr && m != item.end()) flag = &*m;
  return flag == nullptr || !flag->is_boolean() || flag->get<bool>();
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

JamfSource::JamfSource(const config::DirectoryConfig& cfg, std::string client_secret)
    : cfg_(cfg),
      base_(TrimSlash(cfg.url)),
      oauth_(cfg.token_url.empty() ? TrimSlash(cfg.url) + "/api/oauth/token" : cfg.token_url,
             cfg.client_id, std::move(client_secret), cfg.scope, cfg.timeout_ms) {
  if (cfg_.id_field.empty()) cfg_.id_field = "udid";
}

Result<SyncResult> JamfSource::Fetch(int64_t now) {
  SyncResult out;
  out.kind = SyncResult::Kind::kFull;
  if (Result<void> ok = FetchInventory(Inventory::kComputers, now, &out); !ok)
    return Fail(ok.error());
  if (Result<void> ok = FetchInventory(Inventory::kMobileDevices, now, &out); !ok) {
    return Fail(ok.error());
  }
  return out;
}

Result<void> JamfSource::FetchInventory(Inventory which, int64_t now, SyncResult* out) {
  const std::string path = which == Inventory::kComputers
                               ? "/api/v1/computers-inventory?section=GENERAL&"
                               : "/api/v2/mobile-devices?";
  int64_t seen = 0;
  for (int page = 0; page < kMaxPages; ++page) {
    Result<std::string> token = oauth_.Token(now);
    if (!token) return Fail(token.error());
    HttpCallSpec spec;
    spec.url = base_ + path + "page=" + std::to_string(page) +
               "&page-size=" + std::to_string(kPageSize) + "&sort=id%3Aasc";
    spec.timeout_ms = cfg_.timeout_ms;
    spec.headers = {{"Authorization", "Bearer " + *token}, {"Accept", "application/json"}};
    Result<HttpReply> reply = HttpCall(spec);
    if (!reply) return Fail(reply.error());
    if (reply->status != 200) {
      return Fail("GET " + base_ + path.substr(0, path.find('?')) + " answered " +
                  std::to_string(reply->status));
    }
    nlohmann::json doc = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("results") || !doc["results"].is_array()) {
      return Fail(path.substr(0, path.find('?')) + " page " + std::to_string(page) +
                  ": no \"results\" list");
    }
    const nlohmann::json& results = doc["results"];
    ++out->pages;
    for (const nlohmann::json& item : results) {
      if (!item.is_object()) continue;
      std::string id = IdOf(item, cfg_.id_field);
      if (id.empty()) continue;
      out->devices.push_back({id, Managed(item) ? DeviceState::kActive : DeviceState::kDisabled});
    }
    seen += static_cast<int64_t>(results.size());
    int64_t total = doc.contains("totalCount") && doc["totalCount"].is_number_integer()
                        ? doc["totalCount"].get<int64_t>()
                        : 0;
    if (results.empty() || seen >= total) return {};
  }
  return Fail(path + ": more than " + std::to_string(kMaxPages) + " pages");
}

}  // namespace keyward::directory
