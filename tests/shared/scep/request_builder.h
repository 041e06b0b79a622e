#pragma once
// Test-side SCEP client: builds pkiMessages with OpenSSL CMS independently of
// shared/scep (own attribute handling, own envelope), and opens CertReps.
// Header-only so that both the unit tests and the fuzz target's seed writer
// can use it.
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <optional>
#include <string>
#include <vector>

#include "shared/openssl/ptr.h"

namespace keyward::test::scep_client {

inline const char* kOidMessageType = "2.16.840.1.113733.1.9.2";
inline const char* kOidPkiStatus = "2.16.840.1.113733.1.9.3";
inline const char* kOidFailInfo = "2.16.840.1.113733.1.9.4";
inline const char* kOidSenderNonce = "2.16.840.1.113733.1.9.5";
inline const char* kOidRecipientNonce = "2.16.840.1.113733.1.9.6";
inline const char* kOidTransactionId = "2.16.840.1.113733.1.9.7";
inline const char* kOidFailInfoText = "1.3.6.1.5.5.7.24.1";

inline openssl::EvpPkeyPtr RsaKey(int bits = 2048) {
  return openssl::EvpPkeyPtr(EVP_RSA_gen(static_cast<unsigned>(bits)));
}

inline std::string DerOf(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len > 0 ? len : 0));
  OPENSSL_free(der);
  return out;
}

enum class ChallengeType { kUtf8, kPrintable, kNone };

struct CsrSpec {
  std::string cn = "device-1";
  std::string challenge = "static-secret";
  ChallengeType challenge_type = ChallengeType::kUtf8;
  std::vector<std::string> dns_sans;
};

inline openssl::X509ReqPtr MakeCsr(EVP_PKEY* key, const CsrSpec& spec) {
  openssl::X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key);
  if (spec.challenge_type != ChallengeType::kNone) {
    int type = spec.challenge_type == ChallengeType::kPrintable ? V_ASN1_PRINTABLESTRING
                                                                : V_ASN1_UTF8STRING;
    X509_REQ_add1_attr_by_NID(req.get(), NID_pkcs9_challengePassword, type,
                              reinterpret_cast<const unsigned char*>(spec.challenge.data()),
                              static_cast<int>(spec.challenge.size()));
  }
  if (!spec.dns_sans.empty()) {
    std::string value;
    for (const std::string& d : spec.dns_sans) value += (value.empty() ? "DNS:" : ",DNS:") + d;
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, value.c_str());
    sk_X509_EXTENSION_push(exts, ext);
    X509_REQ_add_extensions(req.get(), exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  X509_REQ_sign(req.get(), key, EVP_sha256());
  return req;
}

enum class SignerStyle {
  kSelfSignedSha256,
  // Windows: self-signed with SHA1-RSA and a critical AuthorityKeyIdentifier.
  kWindowsSha1CriticalAki,
};

inline openssl::X509Ptr SelfSigned(EVP_PKEY* key, SignerStyle style, const std::string& cn) {
  openssl::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 4242);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key);
  const EVP_MD* md = EVP_sha256();
  if (style == SignerStyle::kWindowsSha1CriticalAki) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ski = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_key_identifier, "hash");
    X509_add_ext(cert.get(), ski, -1);
    X509_EXTENSION_free(ski);
    X509_EXTENSION* aki =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "critical,keyid:always");
    X509_add_ext(cert.get(), aki, -1);
    X509_EXTENSION_free(aki);
    md = EVP_sha1();
  }
  X509_sign(cert.get(), key, md);
  return cert;
}

enum class KeyTransport { kPkcs1, kOaep };

struct MessageSpec {
  std::string type = "19";  // PKCSReq
  std::string transaction_id = "tid-0001";
  std::string sender_nonce = "0123456789abcdef";
  const EVP_CIPHER* cipher = EVP_aes_128_cbc();
  const EVP_MD* digest = EVP_sha256();
  KeyTransport transport = KeyTransport::kPkcs1;
};

inline void AddAttr(CMS_SignerInfo* si, const char* oid, int type, const std::string& v) {
  ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
  CMS_signed_add1_attr_by_OBJ(si, obj, type, v.data(), static_cast<int>(v.size()));
  ASN1_OBJECT_free(obj);
}

inline std::string CmsDer(CMS_ContentInfo* cms) {
  unsigned char* der = nullptr;
  int len = i2d_CMS_ContentInfo(cms, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len > 0 ? len : 0));
  OPENSSL_free(der);
  return out;
}

// Envelope encrypts `content` to `recipient` (the RA).
inline std::string Envelope(const std::string& content, X509* recipient, const MessageSpec& spec) {
  STACK_OF(X509)* certs = sk_X509_new_null();
  sk_X509_push(certs, recipient);
  openssl::BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  unsigned flags = CMS_BINARY | CMS_PARTIAL;
  openssl::CmsPtr env(CMS_encrypt(nullptr, nullptr, spec.cipher, flags));
  CMS_RecipientInfo* ri = CMS_add1_recipient_cert(env.get(), recipient, CMS_BINARY | CMS_KEY_PARAM);
  if (spec.transport == KeyTransport::kOaep) {
    EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING);
  }
  CMS_final(env.get(), in.get(), nullptr, CMS_BINARY);
  sk_X509_free(certs);
  return CmsDer(env.get());
}

// Sign wraps `inner` (an envelope) in SignedData with the SCEP attributes.
inline std::string Sign(const std::string& inner, X509* signer, EVP_PKEY* key,
                        const MessageSpec& spec) {
  unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
  openssl::CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  CMS_SignerInfo* si = CMS_add1_signer(cms.get(), signer, key, spec.digest, flags);
  AddAttr(si, kOidMessageType, V_ASN1_PRINTABLESTRING, spec.type);
  AddAttr(si, kOidTransactionId, V_ASN1_PRINTABLESTRING, spec.transaction_id);
  AddAttr(si, kOidSenderNonce, V_ASN1_OCTET_STRING, spec.sender_nonce);
  openssl::BioPtr in(BIO_new_mem_buf(inner.data(), static_cast<int>(inner.size())));
  CMS_final(cms.get(), in.get(), nullptr, CMS_BINARY);
  return CmsDer(cms.get());
}

inline std::string CsrDer(X509_REQ* csr) {
  unsigned char* der = nullptr;
  int len = i2d_X509_REQ(csr, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len > 0 ? len : 0));
  OPENSSL_free(der);
  return out;
}

// PkcsReq: a whole pkiMessage carrying `csr`, signed by signer/key.
inline std::string Request(const std::string& content, X509* ra, X509* signer, EVP_PKEY* key,
                           const MessageSpec& spec) {
  return Sign(Envelope(content, ra, spec), signer, key, spec);
}

// IssuerAndSerial / IssuerAndSubject content for GetCert/GetCRL/CertPoll.
inline std::string IssuerAndSerial(X509_NAME* issuer, long serial_or_zero,
                                   const ASN1_INTEGER* serial) {
  PKCS7_ISSUER_AND_SERIAL* ias = PKCS7_ISSUER_AND_SERIAL_new();
  X509_NAME_set(&ias->issuer, issuer);
  if (serial != nullptr) {
    ASN1_INTEGER_free(ias->serial);
    ias->serial = ASN1_INTEGER_dup(serial);
  } else {
    ASN1_INTEGER_set(ias->serial, serial_or_zero);
  }
  unsigned char* der = nullptr;
  int len = i2d_PKCS7_ISSUER_AND_SERIAL(ias, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len > 0 ? len : 0));
  OPENSSL_free(der);
  PKCS7_ISSUER_AND_SERIAL_free(ias);
  return out;
}

inline std::string IssuerAndSubject(X509_NAME* issuer, X509_NAME* subject) {
  unsigned char* a = nullptr;
  unsigned char* b = nullptr;
  int la = i2d_X509_NAME(issuer, &a);
  int lb = i2d_X509_NAME(subject, &b);
  std::string body(reinterpret_cast<char*>(a), static_cast<size_t>(la));
  body.append(reinterpret_cast<char*>(b), static_cast<size_t>(lb));
  OPENSSL_free(a);
  OPENSSL_free(b);
  std::string out;
  out += '\x30';
  if (body.size() < 128) {
    out += static_cast<char>(body.size());
  } else {
    out += '\x82';
    out += static_cast<char>(body.size() >> 8);
    out += static_cast<char>(body.size() & 0xff);
  }
  return out + body;
}

// Reply: an opened CertRep.
struct Reply {
  bool signature_ok = false;
  std::string message_type, pki_status, fail_info, fail_text, transaction_id, recipient_nonce;
  int digest_nid = NID_undef;
  int cipher_nid = NID_undef;  // of the envelope, when SUCCESS
  std::vector<openssl::X509Ptr> certs;
  std::vector<std::string> crls_der;
};

inline std::optional<std::string> Attr(CMS_SignerInfo* si, const char* oid) {
  ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
  int idx = CMS_signed_get_attr_by_OBJ(si, obj, -1);
  ASN1_OBJECT_free(obj);
  if (idx < 0) return std::nullopt;
  ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, idx), 0);
  const ASN1_STRING* s = t->value.asn1_string;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

// OpenReply verifies the CertRep's signature against `ra` (the expected
// signer) and decrypts its envelope with the client's cert and key.
inline Reply OpenReply(const std::string& der, X509* ra, X509* client, EVP_PKEY* client_key) {
  Reply r;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  openssl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) return r;
  STACK_OF(X509)* signers = sk_X509_new_null();
  sk_X509_push(signers, ra);
  openssl::BioPtr content(BIO_new(BIO_s_mem()));
  r.signature_ok = CMS_verify(cms.get(), signers, nullptr, nullptr, content.get(),
                              CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY | CMS_NOINTERN) == 1;
  sk_X509_free(signers);
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
  X509_ALGOR* dig = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &dig, nullptr);
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, dig);
  r.digest_nid = OBJ_obj2nid(obj);
  r.message_type = Attr(si, kOidMessageType).value_or("");
  r.pki_status = Attr(si, kOidPkiStatus).value_or("");
  r.fail_info = Attr(si, kOidFailInfo).value_or("");
  r.fail_text = Attr(si, kOidFailInfoText).value_or("");
  r.transaction_id = Attr(si, kOidTransactionId).value_or("");
  r.recipient_nonce = Attr(si, kOidRecipientNonce).value_or("");
  if (r.pki_status != "0") return r;
  char* data = nullptr;
  long len = BIO_get_mem_data(content.get(), &data);
  std::string env(data, static_cast<size_t>(len));
  p = reinterpret_cast<const unsigned char*>(env.data());
  openssl::CmsPtr envelope(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(env.size())));
  if (!envelope) return r;
  openssl::BioPtr plain(BIO_new(BIO_s_mem()));
  if (CMS_decrypt(envelope.get(), client_key, client, nullptr, plain.get(), CMS_BINARY) != 1) {
    return r;
  }
  {
    // The envelope's cipher, via the PKCS7 view of the same bytes.
    p = reinterpret_cast<const unsigned char*>(env.data());
    PKCS7* p7 = d2i_PKCS7(nullptr, &p, static_cast<long>(env.size()));
    if (p7 != nullptr && PKCS7_type_is_enveloped(p7)) {
      r.cipher_nid = OBJ_obj2nid(p7->d.enveloped->enc_data->algorithm->algorithm);
    }
    PKCS7_free(p7);
  }
  len = BIO_get_mem_data(plain.get(), &data);
  p = reinterpret_cast<const unsigned char*>(data);
  PKCS7* certs = d2i_PKCS7(nullptr, &p, len);
  if (certs == nullptr || !PKCS7_type_is_signed(certs)) {
    PKCS7_free(certs);
    return r;
  }
  STACK_OF(X509)* list = certs->d.sign->cert;
  for (int i = 0; list != nullptr && i < sk_X509_num(list); ++i) {
    X509* c = sk_X509_value(list, i);
    X509_up_ref(c);
    r.certs.emplace_back(c);
  }
  STACK_OF(X509_CRL)* crls = certs->d.sign->crl;
  for (int i = 0; crls != nullptr && i < sk_X509_CRL_num(crls); ++i) {
    unsigned char* der2 = nullptr;
    int l = i2d_X509_CRL(sk_X509_CRL_value(crls, i), &der2);
    r.crls_der.emplace_back(reinterpret_cast<char*>(der2), static_cast<size_t>(l));
    OPENSSL_free(der2);
  }
  PKCS7_free(certs);
  return r;
}

}  // namespace keyward::test::scep_client
