#include "shared/directory/http_json_source.h"

#include <nlohmann/json.hpp>

#include <fstream>

#include "shared/directory/graph_source.h"
#include "shared/directory/http_client.h"
#include "shared/directory/jamf_source.h"

namespace keyward::directory {
namespace {

constexpr size_t kMaxPages = 100'000;

std::string Origin(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  size_t end = url.find_first_of("/?#", scheme + 3);
  std::string origin = url.substr(0, end);
  for (char& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return origin;
}

}  // namespace

bool SameOrigin(const std::string& base, const std::string& url) {
  std::string a = Origin(base);
  return !a.empty() && a == Origin(url);
}

Result<std::string> ReadSecret(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail("cannot read " + path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (s.empty()) return Fail(path + " is empty");
  return s;
}

Result<void> ParseDeviceList(std::string_view body, std::vector<DeviceUpdate>* devices,
                             std::string* next) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Fail("not a JSON object");
  auto list = doc.find("devices");
  if (list == doc.end() || !list->is_array()) return Fail("no \"devices\" list");
  for (const nlohmann::json& d : *list) {
    if (!d.is_object()) return Fail("a device is not an object");
    auto id = d.find("id");
    if (id == d.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
      return Fail("a device has no string \"id\"");
    }
    bool enabled = true;
    bool deleted = false;
    if (auto e = d.find("enabled"); e != d.end()) {
      if (!e->is_boolean()) return Fail("\"enabled\" is not true or false");
      enabled = e->get<bool>();
    }
    if (auto x = d.find("deleted"); x != d.end()) {
      if (!x->is_boolean()) return Fail("\"deleted\" is not true or false");
      deleted = x->get<bool>();
    }
    devices->push_back({id->get<std::string>(), StateOf(enabled, deleted)});
  }
  if (next != nullptr) {
    next->clear();
    if (auto n = doc.find("next"); n != doc.end() && n->is_string()) *next = n->get<std::string>();
  }
  return {};
}

Result<SyncResult> HttpJsonSource::Fetch(int64_t /*now*/) {
  std::string token;
  if (!cfg_.token_file.empty()) {
    Result<std::string> t = ReadSecret(cfg_.token_file);
    if (!t) return Fail(t.error());
    token = *t;
  }
  SyncResult out;
  out.kind = SyncResult::Kind::kFull;
  std::string url = cfg_.url;
  while (!url.empty()) {
    if (out.pages >= kMaxPages) return Fail("more than " + std::to_string(kMaxPages) + " pages");
    // A relative "next" ("/devices?page=2") is taken against the origin.
    if (url.front() == '/') url = Origin(cfg_.url) + url;
    if (!SameOrigin(cfg_.url, url)) return Fail("\"next\" leaves the directory's origin: " + url);
    HttpCallSpec spec;
    spec.url = url;
    spec.timeout_ms = cfg_.timeout_ms;
    spec.headers.push_back({"Accept", "application/json"});
    if (!token.empty()) spec.headers.push_back({"Authorization", "Bearer " + token});
    if (out.pages == 0 && !etag_.empty()) spec.headers.push_back({"If-None-Match", etag_});
    Result<HttpReply> reply = HttpCall(spec);
    if (!reply) return Fail(reply.error());
    if (out.pages == 0 && reply->status == 304) {
      out.kind = SyncResult::Kind::kNotModified;
      pending_etag_ = etag_;
      return out;
    }
    if (reply->status != 200) {
      return Fail("GET " + url.substr(0, url.find('?')) + " answered " +
                  std::to_string(reply->status));
    }
    if (out.pages == 0) pending_etag_ = reply->FindHeader("ETag");
    std::string next;
    Result<void> ok = ParseDeviceList(reply->body, &out.devices, &next);
    if (!ok) return Fail("page " + std::to_string(out.pages + 1) + ": " + ok.error());
    ++out.pages;
    url = next;
  }
  return out;
}

Result<std::unique_ptr<Source>> MakeSource(const config::DirectoryConfig& cfg) {
  if (cfg.kind == "http-json")
    return std::unique_ptr<Source>(std::make_unique<HttpJsonSource>(cfg));
  if (cfg.kind == "entra" || cfg.kind == "intune" || cfg.kind == "jamf") {
    if (cfg.client_secret_file.empty()) {
      return Fail("[[directory]] '" + cfg.name + "' needs client_secret_file");
    }
    Result<std::string> secret = ReadSecret(cfg.client_secret_file);
    if (!secret) return Fail("[[directory]] '" + cfg.name + "': " + secret.error());
    if (cfg.kind == "jamf")
      return std::unique_ptr<Source>(std::make_unique<JamfSource>(cfg, *secret));
    return std::unique_ptr<Source>(std::make_unique<GraphSource>(cfg, *secret));
  }
  return Fail("[[directory]] '" + cfg.name + "': kind " + cfg.kind + " is not pulled");
}

}  // namespace keyward::directory
