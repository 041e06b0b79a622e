#include "shared/scep/pki_message.h"

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>

#include <utility>

#include "shared/pki/deferred_key.h"
#include "shared/scep/attributes.h"
#include "shared/scep/detached_certs.h"
#include "shared/scep/envelope_info.h"

namespace keyward::scep {
namespace {

void FreeCerts(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
using CertStack = std::unique_ptr<STACK_OF(X509), openssl::Free<FreeCerts>>;

// ParseDetached parses a DER pkiMessage with its certificates detached
// (DetachCertificates) and pushes them, parsed by pki::ParseCertificate, onto
// `certs`. Null when the message does not split that way or a part does not
// parse; the caller then parses it whole, which also classifies the error.
openssl::CmsPtr ParseDetached(der::Bytes der, STACK_OF(X509) * certs) {
  DetachedCerts parts;
  if (certs == nullptr || !DetachCertificates(der, &parts)) return nullptr;
  for (der::Bytes c : parts.certs) {
    openssl::X509Ptr cert = pki::ParseCertificate(c);
    if (!cert || sk_X509_push(certs, cert.get()) <= 0) return nullptr;
    cert.release();  // owned by the stack
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(parts.message.data());
  openssl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(parts.message.size())));
  if (cms &&
      p != reinterpret_cast<const unsigned char*>(parts.message.data()) + parts.message.size()) {
    cms.reset();
  }
  openssl::DrainErrors();
  return cms;
}

DecodeResult Malformed(std::string reason) {
  openssl::DrainErrors();
  return DecodeResult{DecodeStatus::kMalformed, FailInfo::kBadRequest, std::move(reason)};
}

DecodeResult Refused(FailInfo info, std::string reason) {
  openssl::DrainErrors();
  return DecodeResult{DecodeStatus::kRefused, info, std::move(reason)};
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return std::string();
  return std::string(data, static_cast<size_t>(len));
}

// Digest and cipher checks: SCEP clients choose from what GetCACaps offers,
// but some (micromdm's scepclient 2.1, old network gear) send SHA-1 and DES
// whatever it says.
bool DigestAccepted(int nid, WeakAlgorithms weak) {
  switch (nid) {
    case NID_sha256:
    case NID_sha384:
    case NID_sha512:
    case NID_sha224:
      return true;
    case NID_sha1:
      return weak == WeakAlgorithms::kAccept;
    default:
      return false;  // MD5 and anything unknown
  }
}

bool CipherAccepted(int nid, WeakAlgorithms weak) {
  switch (nid) {
    case NID_aes_128_cbc:
    case NID_aes_192_cbc:
    case NID_aes_256_cbc:
      return true;
    case NID_des_ede3_cbc:
    case NID_des_cbc:
      return weak == WeakAlgorithms::kAccept;
    default:
      return false;  // RC2, 40-bit, and what OpenSSL cannot name
  }
}

// Decrypt tries each decrypter on `parsed` (the envelope, parsed; consumed).
bool Decrypt(const std::string& envelope, openssl::CmsPtr parsed,
             std::span<const Decrypter> decrypters, std::string* out) {
  for (const Decrypter& d : decrypters) {
    if (d.cert == nullptr || d.key == nullptr) continue;
    // Parsed afresh for every further key: a failed attempt may leave state
    // behind.
    openssl::CmsPtr env = std::move(parsed);
    if (env == nullptr) {
      const unsigned char* p = reinterpret_cast<const unsigned char*>(envelope.data());
      env.reset(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(envelope.size())));
    }
    if (env == nullptr) return false;
    openssl::BioPtr plain(BIO_new(BIO_s_mem()));
    if (plain == nullptr) return false;
    if (CMS_decrypt(env.get(), d.key, d.cert, nullptr, plain.get(), CMS_BINARY) == 1) {
      *out = BioContents(plain.get());
      openssl::DrainErrors();
      return true;
    }
    openssl::DrainErrors();
  }
  return false;
}

// IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name } (CertPoll).
bool ParseIssuerAndSubject(const std::string& der, PkiMessage* out) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  long len = 0;
  int tag = 0, cls = 0;
  int ret = ASN1_get_object(&p, &len, &tag, &cls, end - p);
  if ((ret & 0x80) != 0 || ret == 0x21 || tag != V_ASN1_SEQUENCE || len != end - p) return false;
  out->issuer.reset(d2i_X509_NAME(nullptr, &p, end - p));
  if (out->issuer == nullptr) return false;
  out->subject.reset(d2i_X509_NAME(nullptr, &p, end - p));
  return out->subject != nullptr && p == end;
}

bool ParseIssuerAndSerial(const std::string& der, PkiMessage* out) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  PKCS7_ISSUER_AND_SERIAL* ias =
      d2i_PKCS7_ISSUER_AND_SERIAL(nullptr, &p, static_cast<long>(der.size()));
  if (ias == nullptr) return false;
  bool whole = p == reinterpret_cast<const unsigned char*>(der.data()) + der.size();
  out->issuer.reset(X509_NAME_dup(ias->issuer));
  out->serial.reset(ASN1_INTEGER_dup(ias->serial));
  PKCS7_ISSUER_AND_SERIAL_free(ias);
  return whole && out->issuer != nullptr && out->serial != nullptr;
}

DecodeResult ParseContent(PkiMessage* out) {
  const std::string& c = out->content;
  switch (out->type) {
    case MessageType::kPkcsReq:
    case MessageType::kRenewalReq: {
      out->csr = pki::ParseCsrDeferringKey(
          der::Bytes(reinterpret_cast<const uint8_t*>(c.data()), c.size()));
      if (out->csr == nullptr) return Refused(FailInfo::kBadRequest, "envelope holds no CSR");
      out->csr_key = pki::DecodePublicKey(X509_REQ_get_X509_PUBKEY(out->csr.get()));
      if (!out->csr_key || X509_REQ_verify(out->csr.get(), out->csr_key.get()) != 1) {
        return Refused(FailInfo::kBadMessageCheck, "CSR self-signature does not verify");
      }
      out->challenge = ChallengeOf(out->csr.get());
      break;
    }
    case MessageType::kCertPoll:
      if (!ParseIssuerAndSubject(c, out)) {
        return Refused(FailInfo::kBadRequest, "CertPoll without IssuerAndSubject");
      }
      break;
    case MessageType::kGetCert:
    case MessageType::kGetCrl:
      if (!ParseIssuerAndSerial(c, out)) {
        return Refused(FailInfo::kBadRequest, "no IssuerAndSerialNumber");
      }
      break;
    case MessageType::kCertRep:
      return Refused(FailInfo::kBadRequest, "CertRep is not a request");
  }
  openssl::DrainErrors();
  return DecodeResult{DecodeStatus::kOk, FailInfo::kBadRequest, ""};
}

}  // namespace

std::string ChallengeOf(X509_REQ* csr) {
  int index = X509_REQ_get_attr_by_NID(csr, NID_pkcs9_challengePassword, -1);
  if (index < 0) return std::string();
  X509_ATTRIBUTE* attr = X509_REQ_get_attr(csr, index);  // borrowed
  if (attr == nullptr || X509_ATTRIBUTE_count(attr) < 1) return std::string();
  ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attr, 0);  // borrowed
  if (value == nullptr || value->type == V_ASN1_BOOLEAN || value->type == V_ASN1_NULL ||
      value->type == V_ASN1_OBJECT || value->type == V_ASN1_SEQUENCE || value->type == V_ASN1_SET) {
    return std::string();
  }
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, value->value.asn1_string);
  if (len < 0) {
    openssl::DrainErrors();
    return std::string();
  }
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

DecodeResult DecodePkiMessage(der::Bytes der, std::span<const Decrypter> decrypters,
                              WeakAlgorithms weak, PkiMessage* out) {
  *out = PkiMessage();
  CertStack certs(sk_X509_new_null());
  openssl::CmsPtr cms = ParseDetached(der, certs.get());
  if (cms == nullptr) {
    // BER, or a shape DetachCertificates leaves alone: OpenSSL reads it all.
    certs.reset(sk_X509_new_null());
    const unsigned char* p = der.data();
    cms.reset(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
    if (cms == nullptr) return Malformed("not a CMS ContentInfo");
    if (p != der.data() + der.size()) return Malformed("trailing bytes after the pkiMessage");
  }
  if (certs == nullptr) return Malformed("out of memory");
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    return Malformed("pkiMessage is not SignedData");
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());  // borrowed
  if (infos == nullptr || sk_CMS_SignerInfo_num(infos) != 1) {
    return Malformed("pkiMessage needs exactly one signer");
  }
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  std::optional<std::string> type = ReadAttribute(si, Attribute::kMessageType);
  std::optional<MessageType> parsed_type =
      type ? MessageTypeFromText(*type) : std::optional<MessageType>();
  std::optional<std::string> tid = ReadAttribute(si, Attribute::kTransactionId);
  std::optional<std::string> nonce = ReadAttribute(si, Attribute::kSenderNonce);
  if (!parsed_type) return Malformed("no SCEP messageType");
  if (!tid || tid->empty() || tid->size() > 256) return Malformed("no SCEP transactionID");
  if (!nonce || nonce->empty() || nonce->size() > 64) return Malformed("no SCEP senderNonce");
  out->type = *parsed_type;
  out->transaction_id = std::move(*tid);
  out->sender_nonce = std::move(*nonce);

  // From here a refusal can be answered with a CertRep FAILURE.
  // Matches the SignerInfo to its certificate, among the detached ones and
  // any the message still carries.
  CMS_set1_signers_certs(cms.get(), certs.get(), 0);
  X509* signer = nullptr;
  X509_ALGOR* digest_alg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, &signer, &digest_alg, nullptr);
  if (signer == nullptr) return Refused(FailInfo::kBadMessageCheck, "signer certificate missing");
  X509_up_ref(signer);
  out->signer.reset(signer);
  const ASN1_OBJECT* digest_obj = nullptr;
  if (digest_alg != nullptr) X509_ALGOR_get0(&digest_obj, nullptr, nullptr, digest_alg);
  out->digest_nid = digest_obj == nullptr ? NID_undef : OBJ_obj2nid(digest_obj);
  if (!DigestAccepted(out->digest_nid, weak)) {
    return Refused(FailInfo::kBadAlg,
                   std::string("digest ") + OBJ_nid2sn(out->digest_nid) + " not accepted");
  }
  // The signer is self-signed or the client's own old certificate: only the
  // signature is checked here, the certificate's standing by the caller.
  openssl::BioPtr envelope_bio(BIO_new(BIO_s_mem()));
  if (envelope_bio == nullptr) return Refused(FailInfo::kBadRequest, "out of memory");
  if (CMS_verify(cms.get(), certs.get(), nullptr, nullptr, envelope_bio.get(),
                 CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
    return Refused(FailInfo::kBadMessageCheck, "signature does not verify");
  }
  std::string envelope = BioContents(envelope_bio.get());
  der::Bytes envelope_bytes(reinterpret_cast<const uint8_t*>(envelope.data()), envelope.size());
  const unsigned char* ep = envelope_bytes.data();
  openssl::CmsPtr parsed_envelope(
      d2i_CMS_ContentInfo(nullptr, &ep, static_cast<long>(envelope_bytes.size())));
  EnvelopeInfo info;
  if (parsed_envelope == nullptr ||
      !ReadEnvelopeInfo(envelope_bytes, parsed_envelope.get(), &info)) {
    return Refused(FailInfo::kBadRequest, "content is not an EnvelopedData");
  }
  out->cipher_nid = info.cipher_nid;
  out->oaep = info.oaep;
  if (!CipherAccepted(out->cipher_nid, weak)) {
    return Refused(FailInfo::kBadAlg,
                   std::string("cipher ") + OBJ_nid2sn(out->cipher_nid) + " not accepted");
  }
  if (!Decrypt(envelope, std::move(parsed_envelope), decrypters, &out->content)) {
    return Refused(FailInfo::kBadMessageCheck, "envelope is not for our RA/CA key or is corrupt");
  }
  return ParseContent(out);
}

}  // namespace keyward::scep
