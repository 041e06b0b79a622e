#include "bench/load/scep_client.h"

#include <openssl/cms.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>

#include <ctime>

#include "bench/load/simple_http.h"

namespace keyward::bench {
namespace {

// SCEP attribute OIDs (RFC 8894 3.2.1).
constexpr char kMessageType[] = "2.16.840.1.113733.1.9.2";
constexpr char kPkiStatus[] = "2.16.840.1.113733.1.9.3";
constexpr char kSenderNonce[] = "2.16.840.1.113733.1.9.5";
constexpr char kRecipientNonce[] = "2.16.840.1.113733.1.9.6";
constexpr char kTransactionId[] = "2.16.840.1.113733.1.9.7";

using CmsStack = STACK_OF(CMS_SignerInfo);
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, openssl::Free<ASN1_OBJECT_free>>;

std::string Err(std::string what) {
  std::string d = openssl::DrainErrors();
  return d.empty() ? what : what + " (" + d + ")";
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char* k = "0123456789ABCDEF";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(k[p[i] >> 4]);
    s.push_back(k[p[i] & 15]);
  }
  return s;
}

bool AddAttr(CMS_SignerInfo* si, const char* oid, int type, const std::string& v) {
  Asn1ObjectPtr obj(OBJ_txt2obj(oid, 1));
  return obj && CMS_signed_add1_attr_by_OBJ(si, obj.get(), type, v.data(),
                                            static_cast<int>(v.size())) == 1;
}

// ReadAttr: a signed attribute's string value ("" when absent).
std::string ReadAttr(CMS_SignerInfo* si, const char* oid) {
  Asn1ObjectPtr obj(OBJ_txt2obj(oid, 1));
  if (!obj) return "";
  int idx = CMS_signed_get_attr_by_OBJ(si, obj.get(), -1);
  if (idx < 0) return "";
  X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, idx);
  ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(attr, 0);
  if (t == nullptr || (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_OCTET_STRING))
    return "";
  const ASN1_STRING* s = t->value.asn1_string;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

std::string ToDer(CMS_ContentInfo* cms) {
  unsigned char* der = nullptr;
  int len = i2d_CMS_ContentInfo(cms, &der);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

openssl::X509Ptr SelfSigned(EVP_PKEY* key, X509_NAME* name) {
  openssl::X509Ptr cert(X509_new());
  unsigned char serial[8];
  if (!cert || RAND_bytes(serial, sizeof(serial)) != 1) return nullptr;
  serial[0] &= 0x7F;
  openssl::BignumPtr bn(BN_bin2bn(serial, sizeof(serial), nullptr));
  if (!bn || X509_set_version(cert.get(), 2) != 1 ||
      BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_set_subject_name(cert.get(), name) != 1 || X509_set_issuer_name(cert.get(), name) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1 || X509_sign(cert.get(), key, EVP_sha256()) <= 0) {
    return nullptr;
  }
  return cert;
}

}  // namespace

Result<ScepServerCerts> GetCaCert(const HttpUrl& url) {
  Result<SimpleResponse> r = SimpleHttp(url, "GET", url.path + "?operation=GetCACert", "", "");
  if (!r) return Fail(r.error());
  if (r->status != 200) return Fail("GetCACert: HTTP " + std::to_string(r->status));
  ScepServerCerts out;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(r->body.data());
  if (r->content_type.find("x-x509-ca-ra-cert") != std::string::npos) {
    openssl::Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(r->body.size())));
    if (!p7 || !PKCS7_type_is_signed(p7.get()) || p7->d.sign->cert == nullptr) {
      return Fail(Err("GetCACert: not a degenerate PKCS#7"));
    }
    STACK_OF(X509)* certs = p7->d.sign->cert;
    for (int i = 0; i < sk_X509_num(certs); ++i) {
      X509* c = sk_X509_value(certs, i);
      bool self_signed = X509_check_issued(c, c) == X509_V_OK;
      // The CA is the self-signed one; the RA is the one that can decrypt (RSA, not the CA).
      if (self_signed && !out.ca) out.ca.reset(X509_dup(c));
      if (!self_signed && EVP_PKEY_get_base_id(X509_get0_pubkey(c)) == EVP_PKEY_RSA && !out.ra) {
        out.ra.reset(X509_dup(c));
      }
    }
    if (!out.ca && sk_X509_num(certs) > 0)
      out.ca.reset(X509_dup(sk_X509_value(certs, sk_X509_num(certs) - 1)));
    if (!out.ra && out.ca) out.ra.reset(X509_dup(out.ca.get()));
  } else {
    out.ca.reset(d2i_X509(nullptr, &p, static_cast<long>(r->body.size())));
    if (out.ca) out.ra.reset(X509_dup(out.ca.get()));
  }
  if (!out.ca || !out.ra) return Fail(Err("GetCACert: no usable certificate"));
  if (EVP_PKEY_get_base_id(X509_get0_pubkey(out.ra.get())) != EVP_PKEY_RSA) {
    return Fail("GetCACert: the recipient certificate is not RSA");
  }
  return out;
}

Result<ScepRequest> BuildPkcsReq(EVP_PKEY* key, const std::string& cn, const std::string& challenge,
                                 X509* ra) {
  ScepRequest req;
  req.key = key;
  // The CSR, with the challenge as a PrintableString (what Windows sends; all servers take it).
  openssl::X509ReqPtr csr(X509_REQ_new());
  openssl::X509NamePtr name(X509_NAME_new());
  if (!csr || !name ||
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1 ||
      X509_REQ_set_subject_name(csr.get(), name.get()) != 1 ||
      X509_REQ_set_pubkey(csr.get(), key) != 1 ||
      (!challenge.empty() &&
       X509_REQ_add1_attr_by_NID(csr.get(), NID_pkcs9_challengePassword, V_ASN1_PRINTABLESTRING,
                                 reinterpret_cast<const unsigned char*>(challenge.data()),
                                 static_cast<int>(challenge.size())) != 1) ||
      X509_REQ_sign(csr.get(), key, EVP_sha256()) <= 0) {
    return Fail(Err("building the CSR failed"));
  }
  unsigned char* csr_der = nullptr;
  int csr_len = i2d_X509_REQ(csr.get(), &csr_der);
  if (csr_len <= 0) return Fail(Err("encoding the CSR failed"));
  openssl::BioPtr csr_bio(BIO_new_mem_buf(csr_der, csr_len));

  // pkcsPKIEnvelope: EnvelopedData to the RA, AES-128-CBC.
  STACK_OF(X509)* recips = sk_X509_new_null();
  if (recips == nullptr || sk_X509_push(recips, ra) <= 0) {
    sk_X509_free(recips);
    OPENSSL_free(csr_der);
    return Fail("out of memory");
  }
  openssl::CmsPtr env(CMS_encrypt(recips, csr_bio.get(), EVP_aes_128_cbc(), CMS_BINARY));
  sk_X509_free(recips);
  OPENSSL_free(csr_der);
  if (!env) return Fail(Err("enveloping the CSR failed"));
  std::string env_der = ToDer(env.get());

  // SignedData over the envelope, signed by a self-signed certificate of the new key.
  openssl::X509Ptr signer = SelfSigned(key, name.get());
  if (!signer) return Fail(Err("self-signed signer failed"));
  unsigned char tid[16], nonce[16];
  if (RAND_bytes(tid, sizeof(tid)) != 1 || RAND_bytes(nonce, sizeof(nonce)) != 1)
    return Fail("RAND_bytes failed");
  req.transaction_id = Hex(tid, sizeof(tid));
  req.sender_nonce.assign(reinterpret_cast<char*>(nonce), sizeof(nonce));
  openssl::CmsPtr sd(CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_BINARY));
  if (!sd) return Fail(Err("CMS_sign failed"));
  CMS_SignerInfo* si =
      CMS_add1_signer(sd.get(), signer.get(), key, EVP_sha256(), CMS_NOSMIMECAP | CMS_BINARY);
  if (si == nullptr || !AddAttr(si, kMessageType, V_ASN1_PRINTABLESTRING, "19") ||
      !AddAttr(si, kTransactionId, V_ASN1_PRINTABLESTRING, req.transaction_id) ||
      !AddAttr(si, kSenderNonce, V_ASN1_OCTET_STRING, req.sender_nonce)) {
    return Fail(Err("adding the SCEP attributes failed"));
  }
  openssl::BioPtr env_bio(BIO_new_mem_buf(env_der.data(), static_cast<int>(env_der.size())));
  if (!env_bio || CMS_final(sd.get(), env_bio.get(), nullptr, CMS_BINARY) != 1) {
    return Fail(Err("signing the pkiMessage failed"));
  }
  req.der = ToDer(sd.get());
  if (req.der.empty()) return Fail(Err("encoding the pkiMessage failed"));
  return req;
}

std::string PkiStatusOf(const std::string& answer) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(answer.data());
  openssl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(answer.size())));
  if (!cms) {
    openssl::DrainErrors();
    return "";
  }
  CmsStack* sis = CMS_get0_SignerInfos(cms.get());
  if (sis == nullptr || sk_CMS_SignerInfo_num(sis) < 1) return "";
  return ReadAttr(sk_CMS_SignerInfo_value(sis, 0), kPkiStatus);
}

std::string CheckCertRep(const std::string& answer, const ScepRequest& req,
                         const ScepServerCerts& certs) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(answer.data());
  openssl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(answer.size())));
  if (!cms) return Err("answer is not CMS");
  CmsStack* sis = CMS_get0_SignerInfos(cms.get());
  if (sis == nullptr || sk_CMS_SignerInfo_num(sis) < 1) return "answer has no SignerInfo";
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(sis, 0);
  std::string status = ReadAttr(si, kPkiStatus);
  if (status != "0") return "pkiStatus '" + status + "', not SUCCESS";
  if (ReadAttr(si, kMessageType) != "3") return "messageType is not CertRep";
  if (ReadAttr(si, kTransactionId) != req.transaction_id) return "transactionID not echoed";
  if (ReadAttr(si, kRecipientNonce) != req.sender_nonce)
    return "recipientNonce is not our senderNonce";
  // The signer is the RA or the CA; check the signature without a chain
  // (the RA need not chain for the client to trust it by GetCACert).
  STACK_OF(X509)* others = sk_X509_new_null();
  sk_X509_push(others, certs.ra.get());
  sk_X509_push(others, certs.ca.get());
  openssl::BioPtr content(BIO_new(BIO_s_mem()));
  int ok = CMS_verify(cms.get(), others, nullptr, nullptr, content.get(),
                      CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY);
  sk_X509_free(others);
  if (ok != 1) return Err("CertRep signature does not verify");
  char* data = nullptr;
  long len = BIO_get_mem_data(content.get(), &data);
  const unsigned char* q = reinterpret_cast<const unsigned char*>(data);
  openssl::CmsPtr env(d2i_CMS_ContentInfo(nullptr, &q, len));
  if (!env) return Err("CertRep content is not an envelope");
  // Decrypt with our key; the recipient is our self-signed signer, so match by key only.
  openssl::BioPtr inner(BIO_new(BIO_s_mem()));
  if (CMS_decrypt(env.get(), req.key, nullptr, nullptr, inner.get(),
                  CMS_BINARY | CMS_DEBUG_DECRYPT) != 1) {
    return Err("cannot decrypt the CertRep envelope with our key");
  }
  len = BIO_get_mem_data(inner.get(), &data);
  q = reinterpret_cast<const unsigned char*>(data);
  openssl::Pkcs7Ptr p7(d2i_PKCS7(nullptr, &q, len));
  if (!p7 || !PKCS7_type_is_signed(p7.get()) || p7->d.sign->cert == nullptr) {
    return Err("CertRep does not carry a degenerate PKCS#7");
  }
  STACK_OF(X509)* issued = p7->d.sign->cert;
  for (int i = 0; i < sk_X509_num(issued); ++i) {
    X509* c = sk_X509_value(issued, i);
    if (EVP_PKEY_eq(X509_get0_pubkey(c), req.key) != 1) continue;
    if (X509_verify(c, X509_get0_pubkey(certs.ca.get())) != 1)
      return Err("issued certificate is not signed by the CA");
    openssl::DrainErrors();
    return "";
  }
  return "no certificate for our key in the CertRep";
}

}  // namespace keyward::bench
