#include "issuer/enroller.h"

#include <spdlog/spdlog.h>

#include <ctime>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "issuer/profile.h"
#include "issuer/webhook.h"
#include "shared/ocsp/cert_id.h"
#include "shared/pki/cert_issuer.h"
#include "shared/pki/x509_build.h"
#include "shared/status/status_publisher.h"

namespace keyward::issuer {
namespace {

constexpr char kStoreAway[] = "certificate store unavailable; retry later";
// How long a transaction's answer is remembered for resends.
constexpr int64_t kTransactionMemoryS = 24 * 3600;

Outcome Refuse(Outcome out, scep::FailInfo info, std::string text) {
  out.status = scep::PkiStatus::kFailure;
  out.fail_info = info;
  out.fail_text = text;
  out.audit.result = "failure";
  out.audit.reason = std::move(text);
  return out;
}

std::string SerialHexOf(const ASN1_INTEGER* serial) {
  std::vector<uint8_t> contents = pki::IntegerContents(serial);
  if (contents.empty()) return "";
  return ocsp::SerialHexString(contents);
}

std::string Der(X509_REQ* csr) {
  unsigned char* der = nullptr;
  int len = i2d_X509_REQ(csr, &der);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string Pem(X509_REQ* csr) {
  openssl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), csr) != 1) return "";
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : "";
}

openssl::X509ReqPtr CsrFromDer(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return openssl::X509ReqPtr(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
}

openssl::X509Ptr CertFromDer(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return openssl::X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

}  // namespace

ChallengeMode ChallengeModeFromName(const std::string& name) {
  if (name == "otp") return ChallengeMode::kOtp;
  if (name == "webhook") return ChallengeMode::kWebhook;
  if (name == "manual") return ChallengeMode::kManual;
  if (name == "intune") return ChallengeMode::kIntune;
  return ChallengeMode::kStatic;
}

std::string_view ChallengeModeName(ChallengeMode mode) {
  switch (mode) {
    case ChallengeMode::kStatic:
      return "static";
    case ChallengeMode::kOtp:
      return "otp";
    case ChallengeMode::kWebhook:
      return "webhook";
    case ChallengeMode::kManual:
      return "manual";
    case ChallengeMode::kIntune:
      return "intune";
  }
  return "static";
}

Enroller::Enroller(const config::Config& cfg, const std::vector<pki::CaMaterial>& cas,
                   const pki::CaMaterial& ca, BackendPool& backends, Clock clock)
    : cfg_(cfg),
      icfg_(cfg.issuer),
      ca_cfg_(*cfg.FindCa(ca.name)),
      cas_(cas),
      signers_(cas),
      ca_(ca),
      backends_(backends),
      clock_(std::move(clock)),
      mode_(ChallengeModeFromName(cfg.issuer.challenge_mode)) {
  if (mode_ == ChallengeMode::kIntune) {
    intune_ = std::make_unique<directory::IntuneScepValidator>(cfg.intune);
  }
}

Outcome Enroller::Handle(const scep::PkiMessage& msg, const std::string& remote) {
  Outcome out;
  out.audit.op = std::string(scep::MessageTypeName(msg.type));
  out.audit.remote = remote;
  out.audit.transaction_id = msg.transaction_id;
  if (msg.csr) out.audit.subject = pki::NameToRfc2253(X509_REQ_get_subject_name(msg.csr.get()));
  // Every operation needs the store: issuing must publish, polls and
  // GetCert/GetCRL read it. Without it, refuse clearly rather than hand out
  // a certificate no responder knows.
  Result<BackendPool::Lease> lease = backends_.Acquire();
  if (!lease) return Refuse(std::move(out), scep::FailInfo::kBadRequest, kStoreAway);
  Backend& b = *lease.value().operator->();
  switch (msg.type) {
    case scep::MessageType::kPkcsReq:
    case scep::MessageType::kRenewalReq: {
      Outcome result = Enroll(msg, b, std::move(out));
      if (result.fail_text == kStoreAway) lease.value().Discard();
      return result;
    }
    case scep::MessageType::kCertPoll:
      return Poll(msg, b, std::move(out));
    case scep::MessageType::kGetCert:
      return GetCert(msg, b, std::move(out));
    case scep::MessageType::kGetCrl:
      return GetCrl(msg, b, std::move(out));
    case scep::MessageType::kCertRep:
      break;
  }
  return Refuse(std::move(out), scep::FailInfo::kBadRequest, "not a request");
}

bool Enroller::StaticChallengeMatches(const std::string& challenge) const {
  const std::string& want = icfg_.challenge;
  // An empty configured challenge authorises nobody.
  if (want.empty() || challenge.size() != want.size()) return false;
  return CRYPTO_memcmp(challenge.data(), want.data(), want.size()) == 0;
}

bool Enroller::CurrentCertOfOurs(X509* cert, Backend& b, std::string* why) {
  EVP_PKEY* ca_key = X509_get0_pubkey(ca_.cert.get());
  if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(ca_.cert.get())) != 0 ||
      ca_key == nullptr || X509_verify(cert, ca_key) != 1) {
    openssl::DrainErrors();
    *why = "signer certificate was not issued by this CA";
    return false;
  }
  time_t now = static_cast<time_t>(clock_());
  if (X509_cmp_time(X509_get0_notAfter(cert), &now) <= 0 ||
      X509_cmp_time(X509_get0_notBefore(cert), &now) > 0) {
    *why = "signer certificate is outside its validity";
    return false;
  }
  std::string serial = SerialHexOf(X509_get0_serialNumber(cert));
  Result<std::optional<store::CertRecord>> rec = b.store->GetRecord(ca_.name, serial);
  if (!rec) {
    *why = kStoreAway;
    return false;
  }
  if (!*rec || (*rec)->status != ocsp::CertStatus::kGood) {
    *why = "signer certificate " + serial + " is revoked or unknown";
    return false;
  }
  return true;
}

bool Enroller::CheckChallenge(const scep::PkiMessage& msg, const std::string& remote, Backend& b,
                              std::string* device_id, Outcome* out) {
  out->audit.challenge = std::string(ChallengeModeName(mode_));
  switch (mode_) {
    case ChallengeMode::kStatic:
    case ChallengeMode::kManual:
      if (mode_ == ChallengeMode::kManual && icfg_.challenge.empty()) return true;
      if (StaticChallengeMatches(msg.challenge)) return true;
      *out = Refuse(std::move(*out), scep::FailInfo::kBadRequest, "wrong challenge password");
      return false;
    case ChallengeMode::kOtp: {
      Result<std::optional<std::string>> ca = b.challenges->ConsumeChallenge(msg.challenge);
      if (!ca) {
        *out = Refuse(std::move(*out), scep::FailInfo::kBadRequest, kStoreAway);
        return false;
      }
      if (*ca && **ca == ca_.name) return true;
      *out = Refuse(std::move(*out), scep::FailInfo::kBadRequest,
                    "one-time challenge unknown, expired or already used");
      return false;
    }
    case ChallengeMode::kWebhook: {
      WebhookRequest req{msg.transaction_id, std::string(scep::MessageTypeName(msg.type)),
                         ca_.name,           remote,
                         out->audit.subject, msg.challenge,
                         Pem(msg.csr.get())};
      Result<WebhookVerdict> verdict = CallWebhook(
          WebhookConfig{icfg_.webhook_url, icfg_.webhook_secret, icfg_.webhook_timeout_ms}, req);
      if (!verdict) {
        *out = Refuse(std::move(*out), scep::FailInfo::kBadRequest,
                      "challenge webhook unreachable: " + verdict.error());
        return false;
      }
      if (!verdict->allowed) {
        *out =
            Refuse(std::move(*out), scep::FailInfo::kBadRequest,
                   "challenge webhook refused (HTTP " + std::to_string(verdict->http_status) + ")");
        return false;
      }
      *device_id = verdict->device_id;
      return true;
    }
    case ChallengeMode::kIntune: {
      // Intune minted the challenge and alone can say whether it fits this
      // CSR; an unreachable Intune means no certificate.
      Result<directory::IntuneVerdict> verdict =
          intune_->Validate(msg.transaction_id, Der(msg.csr.get()), clock_());
      if (!verdict) {
        *out = Refuse(std::move(*out), scep::FailInfo::kBadRequest,
                      "Intune validation unreachable: " + verdict.error());
        return false;
      }
      if (!verdict->valid) {
        *out = Refuse(std::move(*out), scep::FailInfo::kBadRequest,
                      "Intune refused the request: " + verdict->code);
        NotifyIntune(msg, *out);
        return false;
      }
      return true;
    }
  }
  return false;
}

void Enroller::NotifyIntune(const scep::PkiMessage& msg, const Outcome& out) {
  int64_t now = clock_();
  std::string csr_der = Der(msg.csr.get());
  Result<void> sent;
  if (out.status == scep::PkiStatus::kSuccess && !out.certs.empty()) {
    X509* cert = out.certs.front().get();
    directory::IntuneIssued issued;
    issued.transaction_id = msg.transaction_id;
    issued.csr_der = csr_der;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (X509_digest(cert, EVP_sha1(), md, &md_len) == 1) {
      static const char kHex[] = "0123456789ABCDEF";
      for (unsigned int i = 0; i < md_len; ++i) {
        issued.thumbprint_hex.push_back(kHex[md[i] >> 4]);
        issued.thumbprint_hex.push_back(kHex[md[i] & 15]);
      }
    }
    openssl::DrainErrors();
    issued.serial_hex = out.audit.serial_hex;
    struct tm tm {};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
      char buf[40];
      std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S.0000000Z", &tm);
      issued.expires_utc = buf;
    }
    char* issuer = X509_NAME_oneline(X509_get_issuer_name(cert), nullptr, 0);
    if (issuer != nullptr) {
      issued.issuing_ca = issuer;
      OPENSSL_free(issuer);
    }
    issued.ca_configuration = ca_.name;
    sent = intune_->NotifySuccess(issued, now);
  } else {
    // 0x80004005: E_FAIL, what Intune expects for a generic refusal.
    sent = intune_->NotifyFailure(msg.transaction_id, csr_der, 0x80004005, out.fail_text, now);
  }
  if (!sent)
    spdlog::warn("issuer: Intune notification for {} failed: {}", msg.transaction_id, sent.error());
}

bool Enroller::Resent(const scep::PkiMessage& msg, Backend& b, Outcome* out) {
  std::string id = store::PendingId(msg.transaction_id);
  Result<std::optional<std::string>> serial = b.challenges->GetTransaction(ca_.name, id);
  if (!serial || !*serial) return false;
  Result<std::optional<std::string>> der = b.challenges->GetIssued(ca_.name, **serial);
  if (!der || !*der) return false;
  openssl::X509Ptr cert = CertFromDer(**der);
  EVP_PKEY* requested = msg.csr_key.get();
  // Only the same key gets the same certificate back: a transactionID is
  // the client's choice, not a credential.
  if (!cert || requested == nullptr || EVP_PKEY_eq(X509_get0_pubkey(cert.get()), requested) != 1) {
    openssl::DrainErrors();
    return false;
  }
  out->status = scep::PkiStatus::kSuccess;
  out->audit.result = "success";
  out->audit.serial_hex = **serial;
  out->audit.reason = "resent request: same certificate";
  out->certs.push_back(std::move(cert));
  return true;
}

Outcome Enroller::Enroll(const scep::PkiMessage& msg, Backend& b, Outcome out) {
  std::string why;
  std::string device_id;
  if (Resent(msg, b, &out)) return out;
  if (msg.type == scep::MessageType::kRenewalReq) {
    // RenewalReq is authorised by the old certificate that signed it.
    out.audit.challenge = "renewal";
    if (!CurrentCertOfOurs(msg.signer.get(), b, &why)) {
      return Refuse(std::move(out), scep::FailInfo::kBadMessageCheck, why);
    }
  } else {
    if (mode_ == ChallengeMode::kManual) {
      Result<std::optional<store::PendingRequest>> existing =
          b.challenges->GetPending(store::PendingId(msg.transaction_id));
      if (!existing) return Refuse(std::move(out), scep::FailInfo::kBadRequest, kStoreAway);
      if (*existing) return FromPending(**existing, b, std::move(out));  // a resent PKCSReq
    }
    if (!CheckChallenge(msg, out.audit.remote, b, &device_id, &out)) return out;
  }
  if (Result<void> ok = CheckCsr(icfg_, msg.csr.get()); !ok) {
    return Refuse(std::move(out), scep::FailInfo::kBadRequest, ok.error());
  }
  if (mode_ == ChallengeMode::kManual && msg.type == scep::MessageType::kPkcsReq) {
    store::PendingRequest p;
    p.id = store::PendingId(msg.transaction_id);
    p.ca = ca_.name;
    p.transaction_id = msg.transaction_id;
    p.csr_der = Der(msg.csr.get());
    p.subject = out.audit.subject;
    p.remote = out.audit.remote;
    p.requested_at = clock_();
    if (Result<void> put = b.challenges->PutPending(p, icfg_.pending_ttl_s); !put) {
      return Refuse(std::move(out), scep::FailInfo::kBadRequest, kStoreAway);
    }
    out.status = scep::PkiStatus::kPending;
    out.audit.result = "pending";
    out.audit.reason = "awaiting approval: keyward pending approve " + p.id;
    return out;
  }
  // DecodePkiMessage verified the CSR with msg.csr_key.
  IssueAndPublish({msg.csr.get(), msg.csr_key.get(), pki::CsrSignature::kCheckedByCaller},
                  device_id, b, &out, store::PendingId(msg.transaction_id));
  if (mode_ == ChallengeMode::kIntune && msg.type == scep::MessageType::kPkcsReq) {
    NotifyIntune(msg, out);
  }
  return out;
}

void Enroller::IssueAndPublish(const pki::CsrInput& csr, const std::string& device_id, Backend& b,
                               Outcome* out, const std::string& transaction_id) {
  // No store check first: Publish below is the check, and the certificate
  // it fails for is never handed out. A round trip per enrollment saved
  // costs a wasted signature only while Redis is away.
  int64_t now = clock_();
  pki::IssueProfile profile = BuildProfile(icfg_, csr.csr, device_id);
  Result<pki::IssuedCert> issued = pki::Issue(ca_, csr, profile, ca_cfg_.ocsp_url, now);
  if (!issued) {
    *out = Refuse(std::move(*out), scep::FailInfo::kBadRequest, "cannot issue: " + issued.error());
    return;
  }
  issued->record.device_id = pki::DeviceIdOf(issued->cert.get(), ca_cfg_.device_id);
  status::StatusPublisher publisher(*b.store, signers_, cfg_.ocsp);
  if (Result<uint64_t> gen = publisher.Publish(issued->record, now); !gen) {
    // Signed but never handed out: no responder would know it.
    *out = Refuse(std::move(*out), scep::FailInfo::kBadRequest, kStoreAway);
    out->audit.reason += " (" + gen.error() + ")";
    return;
  }
  unsigned char* der = nullptr;
  int len = i2d_X509(issued->cert.get(), &der);
  if (len > 0) {
    std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    // Best effort: without the certificate GetCert and CertPoll answer
    // badCertId; without the transaction a resend is judged afresh.
    if (transaction_id.empty()) {
      (void)b.challenges->PutIssued(ca_.name, issued->record.serial_hex, bytes,
                                    issued->record.not_after - now);
    } else {
      (void)b.challenges->PutIssuedForTransaction(ca_.name, issued->record.serial_hex, bytes,
                                                  issued->record.not_after - now, transaction_id,
                                                  kTransactionMemoryS);
    }
    OPENSSL_free(der);
  }
  out->status = scep::PkiStatus::kSuccess;
  out->audit.result = "success";
  out->audit.serial_hex = issued->record.serial_hex;
  out->audit.subject = issued->record.subject;
  out->certs.push_back(std::move(issued->cert));
}

Outcome Enroller::FromPending(const store::PendingRequest& p, Backend& b, Outcome out) {
  out.audit.challenge = "manual";
  if (out.audit.subject.empty()) out.audit.subject = p.subject;
  switch (p.state) {
    case store::PendingState::kPending:
      out.status = scep::PkiStatus::kPending;
      out.audit.result = "pending";
      return out;
    case store::PendingState::kRejected:
      return Refuse(std::move(out), scep::FailInfo::kBadRequest,
                    "rejected by an administrator" + (p.note.empty() ? "" : ": " + p.note));
    case store::PendingState::kIssued: {
      Result<std::optional<std::string>> der = b.challenges->GetIssued(p.ca, p.serial_hex);
      if (!der || !*der) return Refuse(std::move(out), scep::FailInfo::kBadCertId, kStoreAway);
      openssl::X509Ptr cert = CertFromDer(**der);
      if (!cert)
        return Refuse(std::move(out), scep::FailInfo::kBadCertId, "archived cert unreadable");
      out.status = scep::PkiStatus::kSuccess;
      out.audit.result = "success";
      out.audit.serial_hex = p.serial_hex;
      out.certs.push_back(std::move(cert));
      return out;
    }
    case store::PendingState::kApproved:
      break;
  }
  openssl::X509ReqPtr csr = CsrFromDer(p.csr_der);
  if (!csr) return Refuse(std::move(out), scep::FailInfo::kBadRequest, "stored CSR unreadable");
  IssueAndPublish({csr.get()}, "", b, &out);
  if (out.status == scep::PkiStatus::kSuccess) {
    Result<bool> moved =
        b.challenges->Transition(p.id, store::PendingState::kApproved, store::PendingState::kIssued,
                                 "", out.audit.serial_hex);
    if (!moved || !*moved) out.audit.reason = "issued; pending state not updated";
  }
  return out;
}

Outcome Enroller::Poll(const scep::PkiMessage& msg, Backend& b, Outcome out) {
  Result<std::optional<store::PendingRequest>> p =
      b.challenges->GetPending(store::PendingId(msg.transaction_id));
  if (!p) return Refuse(std::move(out), scep::FailInfo::kBadRequest, kStoreAway);
  if (!*p) return Refuse(std::move(out), scep::FailInfo::kBadCertId, "no such pending request");
  return FromPending(**p, b, std::move(out));
}

Outcome Enroller::GetCert(const scep::PkiMessage& msg, Backend& b, Outcome out) {
  if (X509_NAME_cmp(msg.issuer.get(), X509_get_subject_name(ca_.cert.get())) != 0) {
    return Refuse(std::move(out), scep::FailInfo::kBadCertId, "issuer is not this CA");
  }
  std::string serial = SerialHexOf(msg.serial.get());
  out.audit.serial_hex = serial;
  Result<std::optional<std::string>> der = b.challenges->GetIssued(ca_.name, serial);
  if (!der) return Refuse(std::move(out), scep::FailInfo::kBadRequest, kStoreAway);
  if (!*der) return Refuse(std::move(out), scep::FailInfo::kBadCertId, "no such certificate");
  openssl::X509Ptr cert = CertFromDer(**der);
  if (!cert) return Refuse(std::move(out), scep::FailInfo::kBadCertId, "archived cert unreadable");
  out.status = scep::PkiStatus::kSuccess;
  out.audit.result = "success";
  out.certs.push_back(std::move(cert));
  return out;
}

Outcome Enroller::GetCrl(const scep::PkiMessage& msg, Backend& b, Outcome out) {
  if (X509_NAME_cmp(msg.issuer.get(), X509_get_subject_name(ca_.cert.get())) != 0) {
    return Refuse(std::move(out), scep::FailInfo::kBadCertId, "issuer is not this CA");
  }
  Result<std::vector<store::CertRecord>> records = b.store->ListRecords(ca_.name);
  Result<uint64_t> gen = b.store->Generation();
  if (!records || !gen) return Refuse(std::move(out), scep::FailInfo::kBadRequest, kStoreAway);
  Result<X509CrlPtr> crl = BuildCrl(ca_, *records, clock_(), cfg_.ocsp.validity_s, *gen);
  if (!crl) return Refuse(std::move(out), scep::FailInfo::kBadRequest, crl.error());
  out.status = scep::PkiStatus::kSuccess;
  out.audit.result = "success";
  out.crl = std::move(*crl);
  return out;
}

}  // namespace keyward::issuer
