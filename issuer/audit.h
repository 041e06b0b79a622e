#pragma once
// Audit: one log line per enrollment decision, on the "audit" logger:
//   audit op=PKCSReq result=success challenge=otp remote=10.0.0.7:51234
//         txid=... subject="CN=dev1" serial=1A2B... reason=""
// It names who asked, how they were authorised and what they got. It never
// holds the challenge itself.
#include <string>

namespace keyward::issuer {

struct AuditEvent {
  std::string op;         // PKCSReq, RenewalReq, CertPoll, GetCert, GetCRL
  std::string result;     // success, failure, pending
  std::string challenge;  // static, otp, webhook, manual, renewal, none
  std::string remote;
  std::string transaction_id;
  std::string subject;
  std::string serial_hex;
  std::string reason;
};

void Audit(const AuditEvent& event);

// Quote: the value in double quotes with '"', '\' and control bytes escaped,
// so a hostile subject cannot forge fields or lines.
std::string Quote(const std::string& value);

}  // namespace keyward::issuer
