#include "shared/directory/intune_scep_validation.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "shared/directory/http_client.h"
#include "shared/openssl/ptr.h"

namespace keyward::directory {
namespace {

constexpr const char* kCallerInfo = "Keyward";

std::string Base64(std::string_view der) {
  std::string out(4 * ((der.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(der.data()),
                          static_cast<int>(der.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

// RequestId: a random RFC 4122 version 4 UUID for client-request-id, which
// Microsoft support asks for when tracing a call.
std::string RequestId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    openssl::DrainErrors();
    return "00000000-0000-4000-8000-000000000000";
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

}  // namespace

IntuneScepValidator::IntuneScepValidator(const config::IntuneConfig& cfg)
    : cfg_(cfg),
      oauth_(cfg.token_url.empty() ? EntraTokenUrl(cfg.tenant_id) : cfg.token_url, cfg.client_id,
             cfg.client_secret, cfg.scope, cfg.timeout_ms) {
  while (!cfg_.validation_url.empty() && cfg_.validation_url.back() == '/') {
    cfg_.validation_url.pop_back();
  }
}

Result<std::string> IntuneScepValidator::Post(const std::string& action, const std::string& body,
                                              int64_t now) {
  if (cfg_.validation_url.empty()) return Fail("[intune] validation_url is not set");
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string token;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Result<std::string> t = oauth_.Token(now);
      if (!t) return Fail("intune: " + t.error());
      token = *t;
    }
    HttpCallSpec spec;
    spec.method = "POST";
    spec.url = cfg_.validation_url + "/ScepActions/" + action;
    spec.timeout_ms = cfg_.timeout_ms;
    spec.headers = {{"Authorization", "Bearer " + token},
                    {"Content-Type", "application/json"},
                    {"Accept", "application/json"},
                    {"api-version", cfg_.api_version},
                    {"client-request-id", RequestId()}};
    spec.body = body;
    Result<HttpReply> reply = HttpCall(spec);
    if (!reply) return Fail("intune " + action + ": " + reply.error());
    if (reply->status == 401 && attempt == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      oauth_.Forget();  // rotated or revoked early: one fresh token
      continue;
    }
    if (reply->status < 200 || reply->status > 299) {
      return Fail("intune " + action + " answered " + std::to_string(reply->status));
    }
    return reply->body;
  }
  return Fail("intune " + action + ": token refused twice");
}

Result<IntuneVerdict> IntuneScepValidator::Validate(const std::string& transaction_id,
                                                    std::string_view csr_der, int64_t now) {
  nlohmann::json req = {{"request",
                         {{"transactionId", transaction_id},
                          {"certificateRequest", Base64(csr_der)},
                          {"callerInfo", kCallerInfo}}}};
  Result<std::string> body = Post("validateRequest", req.dump(), now);
  if (!body) return Fail(body.error());
  nlohmann::json doc = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("code") || !doc["code"].is_string()) {
    return Fail("intune validateRequest: no \"code\" in the answer");
  }
  IntuneVerdict v;
  v.code = doc["code"].get<std::string>();
  v.valid = v.code == "Success";
  if (doc.contains("errorDescription") && doc["errorDescription"].is_string()) {
    v.description = doc["errorDescription"].get<std::string>();
  }
  return v;
}

Result<void> IntuneScepValidator::NotifySuccess(const IntuneIssued& issued, int64_t now) {
  nlohmann::json n = {{"notification",
                       {{"transactionId", issued.transaction_id},
                        {"certificateRequest", Base64(issued.csr_der)},
                        {"certificateThumbprint", issued.thumbprint_hex},
                        {"certificateSerialNumber", issued.serial_hex},
                        {"certificateExpirationDateUtc", issued.expires_utc},
                        {"issuingCertificateAuthority", issued.issuing_ca},
                        {"caConfiguration", issued.ca_configuration},
                        {"certificateAuthority", issued.issuing_ca},
                        {"callerInfo", kCallerInfo}}}};
  Result<std::string> body = Post("successNotification", n.dump(), now);
  if (!body) return Fail(body.error());
  return {};
}

Result<void> IntuneScepValidator::NotifyFailure(const std::string& transaction_id,
                                                std::string_view csr_der, int64_t hresult,
                                                const std::string& description, int64_t now) {
  nlohmann::json n = {{"notification",
                       {{"transactionId", transaction_id},
                        {"certificateRequest", Base64(csr_der)},
                        {"hResult", hresult},
                        {"errorDescription", description},
                        {"callerInfo", kCallerInfo}}}};
  Result<std::string> body = Post("failureNotification", n.dump(), now);
  if (!body) return Fail(body.error());
  return {};
}

}  // namespace keyward::directory
