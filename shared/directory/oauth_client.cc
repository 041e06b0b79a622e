#include "shared/directory/oauth_client.h"

#include <nlohmann/json.hpp>

#include "shared/directory/http_client.h"

namespace keyward::directory {

ClientCredentials::ClientCredentials(std::string token_url, std::string client_id,
                                     std::string client_secret, std::string scope, int timeout_ms)
    : token_url_(std::move(token_url)),
      client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      scope_(std::move(scope)),
      timeout_ms_(timeout_ms) {}

std::string EntraTokenUrl(const std::string& tenant_id) {
  return "https://login.microsoftonline.com/" + tenant_id + "/oauth2/v2.0/token";
}

Result<std::string> ClientCredentials::Token(int64_t now) {
  if (!token_.empty() && now + 60 < expires_at_) return token_;
  std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "client_credentials"},
                                                           {"client_id", client_id_},
                                                           {"client_secret", client_secret_}};
  if (!scope_.empty()) form.emplace_back("scope", scope_);
  HttpCallSpec spec;
  spec.method = "POST";
  spec.url = token_url_;
  spec.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Accept", "application/json"}};
  spec.body = FormEncode(form);
  spec.timeout_ms = timeout_ms_;
  Result<HttpReply> reply = HttpCall(spec);
  if (!reply) return Fail("token: " + reply.error());
  nlohmann::json doc = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (reply->status != 200) {
    std::string code = doc.is_object() && doc.contains("error") && doc["error"].is_string()
                           ? doc["error"].get<std::string>()
                           : std::string("no OAuth error code");
    return Fail("token endpoint " + token_url_ + " answered " + std::to_string(reply->status) +
                " (" + code + ")");
  }
  if (!doc.is_object() || !doc.contains("access_token") || !doc["access_token"].is_string()) {
    return Fail("token endpoint " + token_url_ + ": no access_token in the answer");
  }
  token_ = doc["access_token"].get<std::string>();
  int64_t expires_in = 3600;
  if (doc.contains("expires_in")) {
    // Entra sends a number; some servers send it as a string.
    if (doc["expires_in"].is_number_integer()) expires_in = doc["expires_in"].get<int64_t>();
    if (doc["expires_in"].is_string()) {
      expires_in = std::strtoll(doc["expires_in"].get<std::string>().c_str(), nullptr, 10);
    }
  }
  expires_at_ = now + expires_in;
  return token_;
}

}  // namespace keyward::directory
