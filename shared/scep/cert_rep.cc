#include "shared/scep/cert_rep.h"

#include <openssl/cms.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>

#include "shared/openssl/ptr.h"
#include "shared/scep/attributes.h"

namespace keyward::scep {
namespace {

// The stack only borrows its certificates (sk_X509_free, not pop_free).
void FreeStack(STACK_OF(X509) * s) { sk_X509_free(s); }
using X509StackPtr = std::unique_ptr<STACK_OF(X509), openssl::Free<FreeStack>>;

Result<std::string> Failed(const std::string& what) {
  return Fail(what + ": " + openssl::DrainErrors());
}

std::string ToDer(CMS_ContentInfo* cms) {
  unsigned char* der = nullptr;
  int len = i2d_CMS_ContentInfo(cms, &der);
  if (len <= 0) return std::string();
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

X509StackPtr StackOf(const std::vector<X509*>& certs) {
  X509StackPtr stack(sk_X509_new_null());
  if (stack == nullptr) return stack;
  for (X509* c : certs) {
    if (c != nullptr && sk_X509_push(stack.get(), c) <= 0) return X509StackPtr();
  }
  return stack;
}

Result<std::string> Envelope(const CertRepParams& params) {
  Result<std::string> inner = DegenerateSignedData(params.certs, params.crl);
  if (!inner) return inner;
  if (params.recipient == nullptr) return Fail("no recipient for the envelope");
  X509StackPtr recipients = StackOf({params.recipient});
  openssl::BioPtr in(BIO_new_mem_buf(inner->data(), static_cast<int>(inner->size())));
  if (recipients == nullptr || in == nullptr) return Failed("envelope setup");
  openssl::CmsPtr env(
      CMS_encrypt(recipients.get(), in.get(), ReplyCipher(params.cipher_nid), CMS_BINARY));
  if (env == nullptr) return Failed("CMS_encrypt");
  std::string der = ToDer(env.get());
  if (der.empty()) return Failed("encoding the envelope");
  return der;
}

}  // namespace

const EVP_CIPHER* ReplyCipher(int nid) {
  switch (nid) {
    case NID_aes_128_cbc:
      return EVP_aes_128_cbc();
    case NID_aes_192_cbc:
      return EVP_aes_192_cbc();
    case NID_aes_256_cbc:
      return EVP_aes_256_cbc();
    case NID_des_ede3_cbc:
    case NID_des_cbc:
      return EVP_des_ede3_cbc();
    default:
      return EVP_aes_128_cbc();
  }
}

const EVP_MD* ReplyDigest(int nid) {
  switch (nid) {
    case NID_sha1:
      return EVP_sha1();
    case NID_sha224:
      return EVP_sha224();
    case NID_sha384:
      return EVP_sha384();
    case NID_sha512:
      return EVP_sha512();
    default:
      return EVP_sha256();
  }
}

std::string RandomNonce() {
  std::string nonce(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), 16) != 1) {
    // RAND_bytes fails only without entropy; a fixed nonce would be worse
    // than refusing, so an empty nonce makes BuildCertRep fail.
    return std::string();
  }
  return nonce;
}

Result<std::string> DegenerateSignedData(const std::vector<X509*>& certs, X509_CRL* crl) {
  // Built like `openssl crl2pkcs7`: SignedData, no signers, id-data content
  // absent. Every SCEP client reads this form.
  openssl::Pkcs7Ptr p7(PKCS7_new());
  if (p7 == nullptr || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1) {
    return Failed("PKCS7_set_type");
  }
  PKCS7_SIGNED* sd = p7->d.sign;
  if (ASN1_INTEGER_set(sd->version, 1) != 1) return Failed("version");
  sd->contents->type = OBJ_nid2obj(NID_pkcs7_data);
  for (X509* c : certs) {
    if (PKCS7_add_certificate(p7.get(), c) != 1) return Failed("PKCS7_add_certificate");
  }
  if (crl != nullptr && PKCS7_add_crl(p7.get(), crl) != 1) return Failed("PKCS7_add_crl");
  unsigned char* der = nullptr;
  int len = i2d_PKCS7(p7.get(), &der);
  if (len <= 0) return Failed("i2d_PKCS7");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

Result<std::string> BuildCertRep(const CertRepSigner& signer, const CertRepParams& params) {
  std::string content;
  if (params.status == PkiStatus::kSuccess) {
    Result<std::string> env = Envelope(params);
    if (!env) return env;
    content = std::move(*env);
  }
  std::string nonce = RandomNonce();
  if (nonce.empty()) return Fail("no random bytes for senderNonce");
  X509StackPtr extra = StackOf(signer.extra_certs);
  if (extra == nullptr) return Failed("certificate stack");
  const unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
  openssl::CmsPtr cms(CMS_sign(nullptr, nullptr, extra.get(), nullptr, flags));
  if (cms == nullptr) return Failed("CMS_sign");
  CMS_SignerInfo* si =
      CMS_add1_signer(cms.get(), signer.cert, signer.key, ReplyDigest(params.digest_nid), flags);
  if (si == nullptr) return Failed("CMS_add1_signer");
  std::string status = std::to_string(static_cast<int>(params.status));
  bool ok = AddAttribute(si, Attribute::kMessageType, "3") &&
            AddAttribute(si, Attribute::kPkiStatus, status) &&
            AddAttribute(si, Attribute::kTransactionId, params.transaction_id) &&
            AddAttribute(si, Attribute::kSenderNonce, nonce) &&
            AddAttribute(si, Attribute::kRecipientNonce, params.recipient_nonce);
  if (ok && params.status == PkiStatus::kFailure) {
    ok = AddAttribute(si, Attribute::kFailInfo, std::to_string(static_cast<int>(params.fail_info)));
    if (ok && !params.fail_text.empty()) {
      ok = AddAttribute(si, Attribute::kFailInfoText, params.fail_text);
    }
  }
  if (!ok) return Failed("SCEP attributes");
  openssl::BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  if (in == nullptr) return Failed("BIO_new_mem_buf");
  if (CMS_final(cms.get(), in.get(), nullptr, CMS_BINARY) != 1) return Failed("CMS_final");
  std::string der = ToDer(cms.get());
  if (der.empty()) return Failed("i2d_CMS_ContentInfo");
  openssl::DrainErrors();
  return der;
}

}  // namespace keyward::scep
