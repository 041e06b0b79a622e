#include "shared/pki/ca_material.h"

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include <filesystem>
#include <utility>

namespace keyward::pki {
namespace {

const EVP_MD* DigestOf(ocsp::HashAlg alg) {
  switch (alg) {
    case ocsp::HashAlg::kSha1:
      return EVP_sha1();
    case ocsp::HashAlg::kSha256:
      return EVP_sha256();
    case ocsp::HashAlg::kSha384:
      return EVP_sha384();
    case ocsp::HashAlg::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

// ComputeHashes fills the CertID issuer hashes (RFC 6960 4.1.1): the hash of
// the DER of the CA's subject, and the hash of the contents of its
// subjectPublicKey BIT STRING (without tag, length or unused-bits octet).
Result<void> ComputeHashes(CaMaterial* ca) {
  unsigned char* name_der = nullptr;
  int name_len = i2d_X509_NAME(X509_get_subject_name(ca->cert.get()), &name_der);
  if (name_len <= 0) return Fail("CA subject: " + openssl::DrainErrors());
  const ASN1_BIT_STRING* key_bits = X509_get0_pubkey_bitstr(ca->cert.get());
  if (key_bits == nullptr) {
    OPENSSL_free(name_der);
    return Fail("CA public key: " + openssl::DrainErrors());
  }
  Result<void> result;
  for (size_t i = 0; i < ocsp::kHashAlgCount; ++i) {
    const EVP_MD* md = DigestOf(static_cast<ocsp::HashAlg>(i + 1));
    IssuerHashes& h = ca->hashes[i];
    unsigned int name_out = 0, key_out = 0;
    if (EVP_Digest(name_der, static_cast<size_t>(name_len), h.name_hash.data(), &name_out, md,
                   nullptr) != 1 ||
        EVP_Digest(ASN1_STRING_get0_data(key_bits),
                   static_cast<size_t>(ASN1_STRING_length(key_bits)), h.key_hash.data(), &key_out,
                   md, nullptr) != 1 ||
        name_out != key_out) {
      result = Fail("issuer hash: " + openssl::DrainErrors());
      break;
    }
    h.length = name_out;
  }
  OPENSSL_free(name_der);
  return result;
}

bool FileExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// KeyMatches: the private key belongs to the certificate's public key.
bool KeyMatches(X509* cert, EVP_PKEY* key) {
  bool ok = EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1;
  openssl::DrainErrors();
  return ok;
}

// CheckSigner: the delegated signer must be issued by the CA and carry
// id-kp-OCSPSigning, or clients reject its responses (RFC 6960 4.2.2.2).
Result<void> CheckDelegatedSigner(const config::CaConfig& cfg, X509* ca, X509* signer) {
  if (X509_check_issued(ca, signer) != X509_V_OK ||
      X509_verify(signer, X509_get0_pubkey(ca)) != 1) {
    openssl::DrainErrors();
    return Fail(cfg.ocsp_signer_cert + ": OCSP signer certificate is not issued by the CA in " +
                cfg.cert);
  }
  // X509_get_extension_flags computes the cached extension data first.
  bool has_eku = (X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) != 0;
  if (!has_eku || (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN) == 0) {
    return Fail(cfg.ocsp_signer_cert +
                ": OCSP signer certificate lacks extendedKeyUsage id-kp-OCSPSigning");
  }
  return {};
}

Result<void> LoadSigner(const config::CaConfig& cfg, CaMaterial* ca) {
  if (cfg.ocsp_signer_cert.empty()) {
    // No delegated responder: the CA signs its own responses.
    if (!ca->key) {
      return Fail("CA '" + cfg.name + "' has no ocsp_signer_cert, so it needs its key to sign");
    }
    X509_up_ref(ca->cert.get());
    ca->signer_cert.reset(ca->cert.get());
    EVP_PKEY_up_ref(ca->key.get());
    ca->signer_key.reset(ca->key.get());
    return {};
  }
  if (cfg.ocsp_signer_key.empty()) {
    return Fail("CA '" + cfg.name + "': ocsp_signer_cert is set but ocsp_signer_key is not");
  }
  Result<openssl::X509Ptr> cert = LoadCertificatePem(cfg.ocsp_signer_cert);
  if (!cert) return Fail(cert.error());
  Result<openssl::EvpPkeyPtr> key = LoadPrivateKeyPem(cfg.ocsp_signer_key);
  if (!key) return Fail(key.error());
  if (!KeyMatches(cert->get(), key->get())) {
    return Fail(cfg.ocsp_signer_key + ": key does not match " + cfg.ocsp_signer_cert);
  }
  // A signer configured as the CA certificate itself is not delegated.
  if (X509_cmp(cert->get(), ca->cert.get()) != 0) {
    Result<void> checked = CheckDelegatedSigner(cfg, ca->cert.get(), cert->get());
    if (!checked) return checked;
  }
  ca->signer_cert = std::move(*cert);
  ca->signer_key = std::move(*key);
  return {};
}

Result<void> LoadRa(const config::CaConfig& cfg, CaMaterial* ca) {
  if (cfg.ra_cert.empty() || cfg.ra_key.empty()) return {};
  if (!FileExists(cfg.ra_cert) || !FileExists(cfg.ra_key)) return {};
  Result<openssl::X509Ptr> cert = LoadCertificatePem(cfg.ra_cert);
  if (!cert) return Fail(cert.error());
  Result<openssl::EvpPkeyPtr> key = LoadPrivateKeyPem(cfg.ra_key);
  if (!key) return Fail(key.error());
  if (!KeyMatches(cert->get(), key->get())) {
    return Fail(cfg.ra_key + ": key does not match " + cfg.ra_cert);
  }
  ca->ra_cert = std::move(*cert);
  ca->ra_key = std::move(*key);
  return {};
}

}  // namespace

bool CaMaterial::Matches(const ocsp::CertId& id) const {
  size_t index = static_cast<size_t>(id.hash);
  if (index < 1 || index > ocsp::kHashAlgCount) return false;
  const IssuerHashes& h = hashes[index - 1];
  if (h.length == 0 || id.name_hash.size() != h.length || id.key_hash.size() != h.length) {
    return false;
  }
  // The lengths are fixed by the algorithm, so this compares a fixed number
  // of bytes whatever the content.
  int diff = CRYPTO_memcmp(id.name_hash.data(), h.name_hash.data(), h.length) |
             CRYPTO_memcmp(id.key_hash.data(), h.key_hash.data(), h.length);
  return diff == 0;
}

Result<openssl::X509Ptr> LoadCertificatePem(const std::string& path) {
  openssl::BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    openssl::DrainErrors();
    return Fail(path + ": cannot open certificate file");
  }
  openssl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Fail(path + ": no PEM certificate: " + openssl::DrainErrors());
  return cert;
}

Result<openssl::EvpPkeyPtr> LoadPrivateKeyPem(const std::string& path) {
  openssl::BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    openssl::DrainErrors();
    return Fail(path + ": cannot open key file");
  }
  // An empty passphrase callback: keys are stored unencrypted, and an
  // encrypted one must fail instead of prompting on the terminal.
  openssl::EvpPkeyPtr key(PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (!key) return Fail(path + ": no PEM private key: " + openssl::DrainErrors());
  return key;
}

Result<CaMaterial> LoadCa(const config::CaConfig& cfg, KeyUse use) {
  CaMaterial ca;
  ca.name = cfg.name;
  ca.unknown_as_revoked = cfg.unknown_as_revoked;
  if (cfg.cert.empty()) return Fail("CA '" + cfg.name + "' has no cert");
  Result<openssl::X509Ptr> cert = LoadCertificatePem(cfg.cert);
  if (!cert) return Fail(cert.error());
  ca.cert = std::move(*cert);

  // The CA key is read where Keyward issues, or where the CA signs its own
  // OCSP responses; an OCSP-only responder with a delegated signer never
  // touches it.
  bool need_key = use == KeyUse::kIssuing || cfg.ocsp_signer_cert.empty();
  if (need_key) {
    if (cfg.key.empty()) {
      return Fail("CA '" + cfg.name + "' needs its key here, but no key is configured");
    }
    Result<openssl::EvpPkeyPtr> key = LoadPrivateKeyPem(cfg.key);
    if (!key) return Fail(key.error());
    if (!KeyMatches(ca.cert.get(), key->get())) {
      return Fail(cfg.key + ": key does not match " + cfg.cert);
    }
    ca.key = std::move(*key);
  }

  Result<void> hashed = ComputeHashes(&ca);
  if (!hashed) return Fail(cfg.cert + ": " + hashed.error());
  Result<void> signer = LoadSigner(cfg, &ca);
  if (!signer) return Fail(signer.error());
  if (use == KeyUse::kIssuing) {
    Result<void> ra = LoadRa(cfg, &ca);
    if (!ra) return Fail(ra.error());
  }
  return ca;
}

}  // namespace keyward::pki
