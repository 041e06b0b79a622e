#pragma once
// Webhook challenge verification: the issuer POSTs the CSR and the
// transaction details as JSON to the configured URL and issues only when it
// answers 2xx (the pattern of Intune's and Jamf's SCEP validation hooks).
//
// Request body:
//   {"transaction_id": "...", "message_type": "PKCSReq", "ca": "demo",
//    "remote": "10.0.0.7:51234", "subject": "CN=dev1", "challenge": "...",
//    "csr": "-----BEGIN CERTIFICATE REQUEST-----..."}
// The challenge goes to the hook because judging it is the hook's job; it is
// never logged. A 2xx answer may carry {"device_id": "..."}, which profiles
// use as {device_id}.
#include <optional>
#include <string>

#include "shared/result.h"

namespace keyward::issuer {

struct WebhookRequest {
  std::string transaction_id;
  std::string message_type;
  std::string ca;
  std::string remote;
  std::string subject;
  std::string challenge;
  std::string csr_pem;
};

struct WebhookVerdict {
  bool allowed = false;
  long http_status = 0;
  std::string device_id;  // from the answer's JSON, "" when absent
};

struct WebhookConfig {
  std::string url;
  std::string bearer;  // "" for none
  int timeout_ms = 5000;
};

// CallWebhook blocks up to timeout_ms. An error means the hook could not be
// asked (connection refused, timeout): the enrollment is refused too.
Result<WebhookVerdict> CallWebhook(const WebhookConfig& cfg, const WebhookRequest& request);

// WebhookBody: the JSON sent, for tests.
std::string WebhookBody(const WebhookRequest& request);

}  // namespace keyward::issuer
