#pragma once
// IntuneScepValidator: the Intune SCEP validation API, for an issuer that
// takes Intune's SCEP profiles (a "third-party CA" in Intune terms). Intune
// puts an encrypted challenge in the CSR that only Intune can check, so for
// each PKCSReq the issuer
//   1. POSTs the CSR and the SCEP transaction ID to
//        {validation_url}/ScepActions/validateRequest
//        {"request": {"transactionId", "certificateRequest" (base64 DER),
//                     "callerInfo"}}
//      and issues only when the answer is {"code": "Success"};
//   2. then reports the outcome:
//        {validation_url}/ScepActions/successNotification
//        {"notification": {"transactionId", "certificateRequest",
//          "certificateThumbprint", "certificateSerialNumber",
//          "certificateExpirationDateUtc", "issuingCertificateAuthority",
//          "caConfiguration", "certificateAuthority", "callerInfo"}}
//        {validation_url}/ScepActions/failureNotification
//        {"notification": {"transactionId", "certificateRequest", "hResult",
//          "errorDescription", "callerInfo"}}
// Every call carries "Authorization: Bearer" (an Entra app token by client
// credentials, scope https://api.manage.microsoft.com//.default),
// "api-version" and a fresh "client-request-id". `validation_url` is the
// ScepRequestValidationFEService address (docs/directory.md says how to find
// it); tests point it at a local stand-in. Thread-safe.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "shared/config/config.h"
#include "shared/directory/oauth_client.h"
#include "shared/result.h"

namespace keyward::directory {

struct IntuneVerdict {
  bool valid = false;
  std::string code;         // "Success", "ChallengeExpiredError", ...
  std::string description;  // errorDescription
};

struct IntuneIssued {
  std::string transaction_id;
  std::string csr_der;
  std::string thumbprint_hex;  // SHA-1 of the certificate DER, upper-case hex
  std::string serial_hex;
  std::string expires_utc;       // "2027-01-31T12:00:00.0000000Z"
  std::string issuing_ca;        // issuer DN
  std::string ca_configuration;  // free text: the Keyward CA name
};

class IntuneScepValidator {
 public:
  explicit IntuneScepValidator(const config::IntuneConfig& cfg);

  // Validate asks Intune about one request. An error (transport, non-2xx,
  // unreadable answer) means "not validated": the issuer must refuse.
  Result<IntuneVerdict> Validate(const std::string& transaction_id, std::string_view csr_der,
                                 int64_t now);
  // NotifySuccess / NotifyFailure report the outcome; Intune shows it on the
  // device's profile status. hresult: a Windows HRESULT, e.g. 0x80004005.
  Result<void> NotifySuccess(const IntuneIssued& issued, int64_t now);
  Result<void> NotifyFailure(const std::string& transaction_id, std::string_view csr_der,
                             int64_t hresult, const std::string& description, int64_t now);

 private:
  Result<std::string> Post(const std::string& action, const std::string& body, int64_t now);

  config::IntuneConfig cfg_;
  std::mutex mu_;  // guards oauth_
  ClientCredentials oauth_;
};

}  // namespace keyward::directory
