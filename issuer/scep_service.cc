#include "issuer/scep_service.h"

#include <strings.h>

#include <spdlog/spdlog.h>

#include "shared/http/url.h"
#include "shared/scep/caps.h"
#include "shared/scep/get_message.h"

namespace keyward::issuer {
namespace {

constexpr char kPkiMessageType[] = "application/x-pki-message";

bool SamePath(const std::string& path, const char* want) {
  return strcasecmp(path.c_str(), want) == 0;
}

bool IsScepPath(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return SamePath(path, "/scep") || SamePath(path, "/scep/pkiclient.exe") ||
         SamePath(path, "/cgi-bin/pkiclient.exe");
}

bool IsRsa(EVP_PKEY* key) { return key != nullptr && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA; }

std::string CertDer(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

http::Response Binary(const char* type, std::string body) {
  http::Response r;
  r.content_type = type;
  r.body = std::move(body);
  return r;
}

}  // namespace

Result<std::unique_ptr<ScepService>> ScepService::Create(const config::Config& cfg,
                                                         const std::vector<pki::CaMaterial>& cas,
                                                         BackendPool& backends, Clock clock) {
  const pki::CaMaterial* ca = nullptr;
  for (const pki::CaMaterial& m : cas) {
    if ((cfg.issuer.ca.empty() && m.key) || m.name == cfg.issuer.ca) {
      ca = &m;
      break;
    }
  }
  if (ca == nullptr) return Fail("[issuer] ca '" + cfg.issuer.ca + "' is not a loaded [[ca]]");
  if (!ca->key) return Fail("CA '" + ca->name + "' has no key: the issuer needs it");
  if (cfg.FindCa(ca->name) == nullptr) return Fail("CA '" + ca->name + "' is not configured");
  bool ra = ca->ra_cert && IsRsa(ca->ra_key.get());
  if (!ra && !IsRsa(ca->key.get())) {
    return Fail("CA '" + ca->name +
                "' is not RSA and has no RSA RA certificate: SCEP needs an RSA key for key "
                "transport (run `keyward ca init`)");
  }
  std::unique_ptr<ScepService> s(new ScepService(cfg, cas, *ca, backends, std::move(clock)));
  if (ra) s->decrypters_.push_back({ca->ra_cert.get(), ca->ra_key.get()});
  if (IsRsa(ca->key.get())) s->decrypters_.push_back({ca->cert.get(), ca->key.get()});
  s->signer_.cert = ra ? ca->ra_cert.get() : ca->cert.get();
  s->signer_.key = ra ? ca->ra_key.get() : ca->key.get();
  if (ra) s->signer_.extra_certs.push_back(ca->cert.get());

  s->caps_ = scep::CapsText(
      cfg.issuer.legacy_clients ? scep::LegacyClients::kOn : scep::LegacyClients::kOff,
      !cfg.issuer.next_ca_cert.empty());
  if (ra) {
    Result<std::string> chain =
        scep::DegenerateSignedData({ca->ra_cert.get(), ca->cert.get()}, nullptr);
    if (!chain) return Fail("GetCACert: " + chain.error());
    s->ca_cert_ = Binary("application/x-x509-ca-ra-cert", std::move(*chain));
  } else {
    s->ca_cert_ = Binary("application/x-x509-ca-cert", CertDer(ca->cert.get()));
  }
  s->next_ca_cert_ = http::Response::Text(404, "no CA rollover configured\n");
  if (!cfg.issuer.next_ca_cert.empty()) {
    Result<openssl::X509Ptr> next = pki::LoadCertificatePem(cfg.issuer.next_ca_cert);
    if (!next) return Fail(next.error());
    s->next_ca_ = std::move(*next);
    std::vector<X509*> certs{s->next_ca_.get()};
    if (ra) certs.push_back(ca->ra_cert.get());
    Result<std::string> inner = scep::DegenerateSignedData(certs, nullptr);
    if (!inner) return Fail("GetNextCACert: " + inner.error());
    // RFC 8894 4.7: signed by the current CA (or RA), so clients can trust it.
    openssl::BioPtr in(BIO_new_mem_buf(inner->data(), static_cast<int>(inner->size())));
    openssl::CmsPtr signed_next(
        in ? CMS_sign(s->signer_.cert, s->signer_.key, nullptr, in.get(), CMS_BINARY) : nullptr);
    unsigned char* der = nullptr;
    int len = signed_next ? i2d_CMS_ContentInfo(signed_next.get(), &der) : 0;
    if (len <= 0) return Fail("GetNextCACert: signing failed: " + openssl::DrainErrors());
    s->next_ca_cert_ = Binary("application/x-x509-next-ca-cert",
                              std::string(reinterpret_cast<char*>(der), static_cast<size_t>(len)));
    OPENSSL_free(der);
  }
  return s;
}

ScepService::ScepService(const config::Config& cfg, const std::vector<pki::CaMaterial>& cas,
                         const pki::CaMaterial& ca, BackendPool& backends, Clock clock)
    : cfg_(cfg),
      ca_(ca),
      enroller_(cfg, cas, ca, backends, std::move(clock)),
      weak_(cfg.issuer.refuse_weak_algorithms && !cfg.issuer.legacy_clients
                ? scep::WeakAlgorithms::kRefuse
                : scep::WeakAlgorithms::kAccept) {}

http::Response ScepService::Handle(const http::Request& req) {
  if (!IsScepPath(req.path)) return http::Response::Text(404, "not a SCEP path\n");
  if (req.method != "GET" && req.method != "POST") {
    http::Response r = http::Response::Text(405, "GET or POST\n");
    r.headers.push_back({"Allow", "GET, POST"});
    return r;
  }
  std::optional<std::string> op = http::QueryParam(req.query, "operation");
  if (!op) return http::Response::Text(400, "missing operation\n");
  if (strcasecmp(op->c_str(), "GetCACaps") == 0) return Binary("text/plain", caps_);
  if (strcasecmp(op->c_str(), "GetCACert") == 0) return ca_cert_;
  if (strcasecmp(op->c_str(), "GetNextCACert") == 0) return next_ca_cert_;
  if (strcasecmp(op->c_str(), "PKIOperation") != 0) {
    return http::Response::Text(400, "unknown operation\n");
  }
  if (req.method == "POST") {
    // Some clients POST base64 instead of DER; DER always starts with 0x30.
    if (!req.body.empty() && static_cast<unsigned char>(req.body[0]) != 0x30) {
      std::optional<std::string> der = scep::DecodeGetMessage(req.body);
      if (!der) return http::Response::Text(400, "body is neither DER nor base64\n");
      return PkiOperation(*der, req.remote);
    }
    return PkiOperation(req.body, req.remote);
  }
  std::optional<std::string> message = http::QueryParam(req.query, "message");
  if (!message) return http::Response::Text(400, "PKIOperation without message\n");
  std::optional<std::string> der = scep::DecodeGetMessage(*message);
  if (!der) return http::Response::Text(400, "message is not base64\n");
  return PkiOperation(*der, req.remote);
}

http::Response ScepService::PkiOperation(const std::string& der, const std::string& remote) {
  scep::PkiMessage msg;
  der::Bytes bytes(reinterpret_cast<const uint8_t*>(der.data()), der.size());
  scep::DecodeResult decoded = scep::DecodePkiMessage(bytes, decrypters_, weak_, &msg);
  if (decoded.status == scep::DecodeStatus::kMalformed) {
    spdlog::debug("scep: malformed pkiMessage from {}: {}", remote, decoded.reason);
    return http::Response::Text(400, "malformed pkiMessage: " + decoded.reason + "\n");
  }
  if (decoded.status == scep::DecodeStatus::kRefused) {
    Outcome out;
    out.status = scep::PkiStatus::kFailure;
    out.fail_info = decoded.fail_info;
    out.fail_text = decoded.reason;
    out.audit = AuditEvent{std::string(scep::MessageTypeName(msg.type)),
                           "failure",
                           "",
                           remote,
                           msg.transaction_id,
                           "",
                           "",
                           decoded.reason};
    return CertRep(msg, std::move(out));
  }
  return CertRep(msg, enroller_.Handle(msg, remote));
}

http::Response ScepService::CertRep(const scep::PkiMessage& msg, Outcome outcome) {
  Audit(outcome.audit);
  scep::CertRepParams p;
  p.status = outcome.status;
  p.fail_info = outcome.fail_info;
  p.fail_text = outcome.fail_text;
  p.transaction_id = msg.transaction_id;
  p.recipient_nonce = msg.sender_nonce;
  p.digest_nid = msg.digest_nid;
  p.cipher_nid = msg.cipher_nid;
  p.recipient = msg.signer.get();
  for (const openssl::X509Ptr& c : outcome.certs) p.certs.push_back(c.get());
  p.crl = outcome.crl.get();
  Result<std::string> der = scep::BuildCertRep(signer_, p);
  if (!der) {
    // Only an OpenSSL failure gets here; answer 500 rather than nothing.
    spdlog::error("scep: building CertRep: {}", der.error());
    return http::Response::Text(500, "cannot build CertRep\n");
  }
  return Binary(kPkiMessageType, std::move(*der));
}

}  // namespace keyward::issuer
