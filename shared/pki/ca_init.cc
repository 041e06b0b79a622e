#include "shared/pki/ca_init.h"

#include <ctime>
#include <filesystem>
#include <utility>

#include "shared/pki/ca_material.h"
#include "shared/pki/x509_build.h"

namespace keyward::pki {
namespace {

constexpr int64_t kDay = 24 * 3600;
constexpr int64_t kCaDays = 3650;
constexpr int64_t kSignerDays = 730;
constexpr int64_t kRaDays = 1825;
// Certificates start an hour early for relying parties with slow clocks.
constexpr int64_t kBackdate = 3600;

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// What one certificate made by `ca init` looks like.
struct Profile {
  std::string subject;
  int64_t days = 0;
  const char* basic_constraints = nullptr;
  const char* key_usage = nullptr;
  const char* eku = nullptr;  // nullptr: no extendedKeyUsage
  bool ocsp_nocheck = false;
};

// MakeCert builds a certificate for `key` signed by `issuer_key`; a null
// `issuer` means self-signed.
Result<openssl::X509Ptr> MakeCert(const Profile& p, EVP_PKEY* key, X509* issuer,
                                  EVP_PKEY* issuer_key, int64_t now) {
  openssl::X509Ptr cert(X509_new());
  if (!cert) return Fail("out of memory");
  Result<openssl::X509NamePtr> subject = ParseSubject(p.subject);
  if (!subject) return Fail(subject.error());
  Result<openssl::Asn1IntegerPtr> serial = RandomSerial();
  if (!serial) return Fail(serial.error());
  X509* issuer_cert = issuer != nullptr ? issuer : cert.get();
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial->get()) != 1 ||
      X509_set_subject_name(cert.get(), subject->get()) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return Fail("building certificate: " + openssl::DrainErrors());
  }
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) != 1) {
    return Fail("building certificate: " + openssl::DrainErrors());
  }
  int64_t not_after = now + p.days * kDay;
  if (issuer != nullptr) {
    // A certificate outliving its issuer would fail path validation early.
    int64_t issuer_end = 0;
    if (Asn1TimeToUnix(X509_get0_notAfter(issuer), &issuer_end) && issuer_end < not_after) {
      not_after = issuer_end;
    }
  }
  Result<void> valid = SetValidity(cert.get(), now - kBackdate, not_after);
  if (!valid) return Fail(valid.error());

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer_cert, cert.get(), nullptr, nullptr, 0);
  std::pair<int, const char*> exts[] = {
      {NID_basic_constraints, p.basic_constraints},
      {NID_key_usage, p.key_usage},
      {NID_ext_key_usage, p.eku},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
      {NID_id_pkix_OCSP_noCheck, p.ocsp_nocheck ? "ignored" : nullptr},
  };
  for (const auto& [nid, value] : exts) {
    if (value == nullptr) continue;
    Result<void> added = AddConfExtension(cert.get(), &ctx, nid, value);
    if (!added) return Fail(added.error());
  }
  Result<void> signed_ok = SignCertificate(cert.get(), issuer_key);
  if (!signed_ok) return Fail(signed_ok.error());
  return cert;
}

// KeyFor loads the key at `path`, or generates one of `key_type` and writes
// it (recording the file in `created`).
Result<openssl::EvpPkeyPtr> KeyFor(const std::string& path, const std::string& key_type,
                                   std::vector<std::string>* created) {
  if (Exists(path)) return LoadPrivateKeyPem(path);
  Result<openssl::EvpPkeyPtr> key = GenerateKey(key_type);
  if (!key) return Fail(path + ": " + key.error());
  Result<void> written = WritePrivateKeyFile(path, key->get());
  if (!written) return Fail(written.error());
  created->push_back(path);
  return key;
}

// SCEP key transport needs RSA, so an existing RA key must be RSA.
enum class KeyNeed { kAny, kRsa };

// EnsurePair makes sure `cert_path` and `key_path` both exist. A certificate
// without its key is an error (we cannot make the key it was issued for); a
// key without its certificate gets a new certificate.
Result<void> EnsurePair(const std::string& cert_path, const std::string& key_path,
                        const std::string& key_type, KeyNeed need, const Profile& profile,
                        X509* issuer, EVP_PKEY* issuer_key, int64_t now,
                        std::vector<std::string>* created) {
  bool have_cert = Exists(cert_path);
  bool have_key = Exists(key_path);
  if (have_cert && have_key) return {};
  if (have_cert) return Fail(cert_path + " exists but its key " + key_path + " does not");
  Result<openssl::EvpPkeyPtr> key = KeyFor(key_path, key_type, created);
  if (!key) return Fail(key.error());
  if (need == KeyNeed::kRsa && EVP_PKEY_get_base_id(key->get()) != EVP_PKEY_RSA) {
    return Fail(key_path + ": must be an RSA key");
  }
  Result<openssl::X509Ptr> cert =
      MakeCert(profile, key->get(), issuer, issuer != nullptr ? issuer_key : key->get(), now);
  if (!cert) return Fail(cert_path + ": " + cert.error());
  Result<void> written = WriteCertificateFile(cert_path, cert->get());
  if (!written) return Fail(written.error());
  created->push_back(cert_path);
  return {};
}

}  // namespace

Result<std::vector<std::string>> InitCa(const config::CaConfig& cfg) {
  if (cfg.key.empty()) return Fail("CA '" + cfg.name + "' has no key: nothing to initialise");
  if (cfg.cert.empty()) return Fail("CA '" + cfg.name + "' has no cert path");
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::vector<std::string> created;

  Profile ca_profile;
  ca_profile.subject = cfg.subject.empty() ? "CN=" + cfg.name + " CA" : cfg.subject;
  ca_profile.days = kCaDays;
  ca_profile.basic_constraints = "critical,CA:TRUE";
  ca_profile.key_usage = "critical,keyCertSign,cRLSign,digitalSignature";
  Result<void> ca_made = EnsurePair(cfg.cert, cfg.key, cfg.key_type, KeyNeed::kAny, ca_profile,
                                    nullptr, nullptr, now, &created);
  if (!ca_made) return Fail(ca_made.error());

  bool want_signer = !cfg.ocsp_signer_cert.empty() && !cfg.ocsp_signer_key.empty();
  bool want_ra = !cfg.ra_cert.empty() && !cfg.ra_key.empty();
  bool signer_done = !want_signer || (Exists(cfg.ocsp_signer_cert) && Exists(cfg.ocsp_signer_key));
  bool ra_done = !want_ra || (Exists(cfg.ra_cert) && Exists(cfg.ra_key));
  if (signer_done && ra_done) return created;

  Result<openssl::X509Ptr> ca_cert = LoadCertificatePem(cfg.cert);
  if (!ca_cert) return Fail(ca_cert.error());
  Result<openssl::EvpPkeyPtr> ca_key = LoadPrivateKeyPem(cfg.key);
  if (!ca_key) return Fail(ca_key.error());

  if (!signer_done) {
    Profile p;
    p.subject = "CN=" + cfg.name + " OCSP Signer";
    p.days = kSignerDays;
    p.basic_constraints = "critical,CA:FALSE";
    p.key_usage = "critical,digitalSignature";
    p.eku = "OCSPSigning";
    // id-pkix-ocsp-nocheck: clients need not check the signer's own status
    // (RFC 6960 4.2.2.2.1), which would otherwise recurse.
    p.ocsp_nocheck = true;
    std::string type = cfg.ocsp_signer_key_type.empty() ? "ec-p256" : cfg.ocsp_signer_key_type;
    Result<void> made = EnsurePair(cfg.ocsp_signer_cert, cfg.ocsp_signer_key, type, KeyNeed::kAny,
                                   p, ca_cert->get(), ca_key->get(), now, &created);
    if (!made) return Fail(made.error());
  }
  if (!ra_done) {
    Profile p;
    p.subject = "CN=" + cfg.name + " SCEP RA";
    p.days = kRaDays;
    p.basic_constraints = "critical,CA:FALSE";
    // SCEP clients encrypt to the RA and check both bits.
    p.key_usage = "critical,digitalSignature,keyEncipherment";
    Result<void> made = EnsurePair(cfg.ra_cert, cfg.ra_key, "rsa-2048", KeyNeed::kRsa, p,
                                   ca_cert->get(), ca_key->get(), now, &created);
    if (!made) return Fail(made.error());
  }
  return created;
}

}  // namespace keyward::pki
