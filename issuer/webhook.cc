#include "issuer/webhook.h"

#include <curl/curl.h>

#include <memory>
#include <nlohmann/json.hpp>

namespace keyward::issuer {
namespace {

constexpr size_t kMaxAnswerBytes = 64 * 1024;

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using SlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

size_t Collect(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t len = size * n;
  if (out->size() + len > kMaxAnswerBytes) return 0;  // aborts the transfer
  out->append(data, len);
  return len;
}

}  // namespace

std::string WebhookBody(const WebhookRequest& r) {
  nlohmann::json body = {
      {"transaction_id", r.transaction_id},
      {"message_type", r.message_type},
      {"ca", r.ca},
      {"remote", r.remote},
      {"subject", r.subject},
      {"challenge", r.challenge},
      {"csr", r.csr_pem},
  };
  // Replace invalid UTF-8 instead of throwing: the subject comes from a client.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<WebhookVerdict> CallWebhook(const WebhookConfig& cfg, const WebhookRequest& request) {
  CurlPtr curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return Fail("webhook: curl_easy_init failed");
  std::string body = WebhookBody(request);
  std::string answer;
  SlistPtr headers(curl_slist_append(nullptr, "Content-Type: application/json"),
                   &curl_slist_free_all);
  if (!headers) return Fail("webhook: out of memory");
  if (!cfg.bearer.empty()) {
    std::string auth = "Authorization: Bearer " + cfg.bearer;
    curl_slist* more = curl_slist_append(headers.get(), auth.c_str());
    if (more == nullptr) return Fail("webhook: out of memory");
    headers.release();
    headers.reset(more);
  }
  CURL* c = curl.get();
  bool ok =
      curl_easy_setopt(c, CURLOPT_URL, cfg.url.c_str()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size())) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg.timeout_ms)) == CURLE_OK &&
      // Worker threads: no SIGALRM-based DNS timeouts.
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Collect) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer) == CURLE_OK;
  if (!ok) return Fail("webhook: curl_easy_setopt failed");
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    return Fail(std::string("webhook ") + cfg.url + ": " + curl_easy_strerror(rc));
  WebhookVerdict verdict;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &verdict.http_status);
  verdict.allowed = verdict.http_status >= 200 && verdict.http_status < 300;
  if (verdict.allowed && !answer.empty()) {
    nlohmann::json parsed = nlohmann::json::parse(answer, nullptr, false);
    if (parsed.is_object() && parsed.contains("device_id") && parsed["device_id"].is_string()) {
      verdict.device_id = parsed["device_id"].get<std::string>();
    }
  }
  return verdict;
}

}  // namespace keyward::issuer
