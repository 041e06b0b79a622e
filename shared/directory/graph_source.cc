#include "shared/directory/graph_source.h"

#include <nlohmann/json.hpp>

#include "shared/directory/http_client.h"

namespace keyward::directory {
namespace {

constexpr size_t kMaxPages = 100'000;

bool IsRetireState(const std::string& s) {
  return s == "retirePending" || s == "retireIssued" || s == "wipePending" || s == "wipeIssued" ||
         s == "deletePending";
}

std::string StringField(const nlohmann::json& o, const std::string& key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

GraphSource::GraphSource(const config::DirectoryConfig& cfg, std::string client_secret)
    : cfg_(cfg),
      base_(cfg.url.empty() ? "https://graph.microsoft.com" : cfg.url),
      oauth_(cfg.token_url.empty() ? EntraTokenUrl(cfg.tenant_id) : cfg.token_url, cfg.client_id,
             std::move(client_secret),
             cfg.scope.empty() ? "https://graph.microsoft.com/.default" : cfg.scope,
             cfg.timeout_ms) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  if (cfg_.id_field.empty()) cfg_.id_field = cfg_.kind == "entra" ? "deviceId" : "id";
}

Result<SyncResult> GraphSource::Fetch(int64_t now) {
  if (cfg_.kind == "intune") {
    return FetchPages(
        base_ + "/v1.0/deviceManagement/managedDevices?$select=id,azureADDeviceId,managementState",
        SyncResult::Kind::kFull, now);
  }
  const std::string initial = base_ + "/v1.0/devices/delta?$select=id,deviceId,accountEnabled";
  if (delta_link_.empty()) return FetchPages(initial, SyncResult::Kind::kFull, now);
  Result<SyncResult> delta = FetchPages(delta_link_, SyncResult::Kind::kDelta, now);
  if (!delta && delta.error().find("answered 410") != std::string::npos) {
    // The delta token expired: Graph wants a new full round.
    delta_link_.clear();
    return FetchPages(initial, SyncResult::Kind::kFull, now);
  }
  return delta;
}

void GraphSource::Commit() {
  if (!pending_delta_link_.empty()) delta_link_ = pending_delta_link_;
}

Result<SyncResult> GraphSource::FetchPages(const std::string& first_url, SyncResult::Kind kind,
                                           int64_t now) {
  SyncResult out;
  out.kind = kind;
  std::string url = first_url;
  std::string delta;
  bool retried_auth = false;
  while (!url.empty()) {
    if (out.pages >= kMaxPages) return Fail("more than " + std::to_string(kMaxPages) + " pages");
    if (!SameOrigin(base_, url)) return Fail("paging link leaves " + base_);
    Result<std::string> token = oauth_.Token(now);
    if (!token) return Fail(token.error());
    HttpCallSpec spec;
    spec.url = url;
    spec.timeout_ms = cfg_.timeout_ms;
    spec.headers = {{"Authorization", "Bearer " + *token}, {"Accept", "application/json"}};
    Result<HttpReply> reply = HttpCall(spec);
    if (!reply) return Fail(reply.error());
    if (reply->status == 401 && !retried_auth) {
      // The token was revoked or rotated early: one fresh token, one retry.
      oauth_.Forget();
      retried_auth = true;
      continue;
    }
    if (reply->status != 200) {
      return Fail("GET " + url.substr(0, url.find('?')) + " answered " +
                  std::to_string(reply->status));
    }
    std::string next;
    Result<void> ok = ParsePage(reply->body, &out, &next, &delta);
    if (!ok) return Fail("page " + std::to_string(out.pages + 1) + ": " + ok.error());
    ++out.pages;
    url = next;
  }
  pending_delta_link_ = delta;
  return out;
}

Result<void> GraphSource::ParsePage(const std::string& body, SyncResult* out, std::string* next,
                                    std::string* delta) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Fail("not a JSON object");
  auto value = doc.find("value");
  if (value == doc.end() || !value->is_array()) return Fail("no \"value\" list");
  *next = StringField(doc, "@odata.nextLink");
  if (std::string d = StringField(doc, "@odata.deltaLink"); !d.empty()) *delta = d;
  for (const nlohmann::json& item : *value) {
    if (!item.is_object()) return Fail("an entry is not an object");
    std::string object_id = StringField(item, "id");
    if (cfg_.kind == "intune") {
      std::string id = StringField(item, cfg_.id_field);
      if (id.empty()) continue;  // not joined to Entra, for id_field = azureADDeviceId
      DeviceState state = IsRetireState(StringField(item, "managementState"))
                              ? DeviceState::kDisabled
                              : DeviceState::kActive;
      out->devices.push_back({id, state});
      continue;
    }
    if (auto removed = item.find("@removed"); removed != item.end()) {
      std::string id = object_id;
      if (cfg_.id_field != "id") {
        auto known = object_to_device_.find(object_id);
        id = known == object_to_device_.end() ? "" : known->second;
      }
      if (id.empty()) continue;  // removed before we ever saw it
      std::string reason = removed->is_object() ? StringField(*removed, "reason") : "";
      out->devices.push_back(
          {id, reason == "changed" ? DeviceState::kDisabled : DeviceState::kDeleted});
      continue;
    }
    // A delta entry carries only what changed: the device ID may be absent.
    std::string id = StringField(item, cfg_.id_field);
    if (id.empty() && !object_id.empty()) {
      auto known = object_to_device_.find(object_id);
      if (known != object_to_device_.end()) id = known->second;
    }
    if (id.empty()) continue;
    if (!object_id.empty()) object_to_device_[object_id] = id;
    // A delta entry lists only the properties that changed; a missing
    // accountEnabled means "unchanged", which for a known device is its
    // current state and for a new one is enabled.
    auto enabled = item.find("accountEnabled");
    bool on = enabled == item.end() || !enabled->is_boolean() || enabled->get<bool>();
    if (enabled == item.end() && out->kind == SyncResult::Kind::kDelta) continue;
    out->devices.push_back({id, on ? DeviceState::kActive : DeviceState::kDisabled});
  }
  return {};
}

}  // namespace keyward::directory
