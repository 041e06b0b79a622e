#pragma once
// Enroller: the decisions behind a PKIOperation, once the pkiMessage is
// decoded and its signature checked: is the requester allowed (challenge,
// renewal signer, webhook, manual approval), what does the certificate carry
// (profile), and the record and signed OCSP responses written to the store
// before the certificate is handed out, so every responder answers "good" for
// it at once. With the store away nothing is issued.
//
// Thread-safe: called from the HTTP worker threads; all state is read-only
// except the backend pool.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "issuer/audit.h"
#include "issuer/backend_pool.h"
#include "issuer/crl.h"
#include "shared/config/config.h"
#include "shared/directory/intune_scep_validation.h"
#include "shared/openssl/ptr.h"
#include "shared/pki/ca_material.h"
#include "shared/pki/cert_issuer.h"
#include "shared/scep/pki_message.h"
#include "shared/scep/types.h"
#include "shared/status/ca_signers.h"

namespace keyward::issuer {

using Clock = std::function<int64_t()>;

// kIntune: Microsoft Intune's SCEP validation API decides, and hears the
// outcome (docs/directory.md, "Intune SCEP validation").
enum class ChallengeMode { kStatic, kOtp, kWebhook, kManual, kIntune };

// Outcome: what the CertRep says, and the audit line.
struct Outcome {
  scep::PkiStatus status = scep::PkiStatus::kFailure;
  scep::FailInfo fail_info = scep::FailInfo::kBadRequest;
  std::string fail_text;
  std::vector<openssl::X509Ptr> certs;  // SUCCESS: the certificate
  X509CrlPtr crl;                       // SUCCESS for GetCRL
  AuditEvent audit;
};

class Enroller {
 public:
  // `cas` holds the issuing CA named by cfg.issuer.ca; both outlive this.
  Enroller(const config::Config& cfg, const std::vector<pki::CaMaterial>& cas,
           const pki::CaMaterial& ca, BackendPool& backends, Clock clock);

  // Handle decides on one decoded request.
  Outcome Handle(const scep::PkiMessage& msg, const std::string& remote);

 private:
  Outcome Enroll(const scep::PkiMessage& msg, Backend& b, Outcome out);
  Outcome Poll(const scep::PkiMessage& msg, Backend& b, Outcome out);
  // Resent: the certificate already issued for this transaction and this
  // CSR's key, when the request is a resend; false otherwise.
  bool Resent(const scep::PkiMessage& msg, Backend& b, Outcome* out);
  Outcome FromPending(const store::PendingRequest& p, Backend& b, Outcome out);
  Outcome GetCert(const scep::PkiMessage& msg, Backend& b, Outcome out);
  Outcome GetCrl(const scep::PkiMessage& msg, Backend& b, Outcome out);
  // IssueAndPublish signs `csr`, stores record + responses, archives the
  // certificate; fills out->certs or a failure.
  // `transaction_id`, when not empty, is remembered for resends in the same
  // round trip that keeps the certificate for GetCert and CertPoll.
  void IssueAndPublish(const pki::CsrInput& csr, const std::string& device_id, Backend& b,
                       Outcome* out, const std::string& transaction_id = "");
  // CheckChallenge: true when `challenge` authorises a PKCSReq; sets
  // *device_id from a webhook answer.
  bool CheckChallenge(const scep::PkiMessage& msg, const std::string& remote, Backend& b,
                      std::string* device_id, Outcome* out);
  bool StaticChallengeMatches(const std::string& challenge) const;
  // NotifyIntune reports the outcome of an Intune-validated request; best
  // effort (Intune shows it on the device, it does not gate the answer).
  void NotifyIntune(const scep::PkiMessage& msg, const Outcome& out);
  // CurrentCertOfOurs: `cert` was issued by this CA, is within its validity
  // and its record is not revoked.
  bool CurrentCertOfOurs(X509* cert, Backend& b, std::string* why);

  const config::Config& cfg_;
  const config::IssuerConfig& icfg_;
  const config::CaConfig& ca_cfg_;
  const std::vector<pki::CaMaterial>& cas_;
  status::CaSigners signers_;  // every publish shares them
  const pki::CaMaterial& ca_;
  BackendPool& backends_;
  Clock clock_;
  ChallengeMode mode_;
  std::unique_ptr<directory::IntuneScepValidator> intune_;  // kIntune only
};

ChallengeMode ChallengeModeFromName(const std::string& name);
std::string_view ChallengeModeName(ChallengeMode mode);

}  // namespace keyward::issuer
