#include "shared/pki/deferred_key.h"

#include <openssl/asn1t.h>
#include <openssl/crypto.h>
#include <openssl/provider.h>

namespace keyward::pki {
namespace {

// KeylessContext: a library context holding only the null provider, so it
// has no decoders and a public key parsed in it is left undecoded. Loading a
// provider explicitly also stops the default one from being loaded as a
// fallback. Built once; the process keeps it. Null if it cannot be made.
OSSL_LIB_CTX* KeylessContext() {
  static OSSL_LIB_CTX* const kContext = [] {
    OSSL_LIB_CTX* ctx = OSSL_LIB_CTX_new();
    if (ctx != nullptr && OSSL_PROVIDER_load(ctx, "null") == nullptr) {
      OSSL_LIB_CTX_free(ctx);
      ctx = nullptr;
    }
    openssl::DrainErrors();
    return ctx;
  }();
  return kContext;
}

}  // namespace

openssl::X509ReqPtr ParseCsrDeferringKey(der::Bytes der) {
  const unsigned char* p = der.data();
  long len = static_cast<long>(der.size());
  OSSL_LIB_CTX* keyless = KeylessContext();
  // The context reaches only the SubjectPublicKeyInfo (its decode step); the
  // X509_REQ itself stays in the default context, so verifying it works.
  openssl::X509ReqPtr csr(keyless == nullptr
                              ? d2i_X509_REQ(nullptr, &p, len)
                              : reinterpret_cast<X509_REQ*>(ASN1_item_d2i_ex(
                                    nullptr, &p, len, ASN1_ITEM_rptr(X509_REQ), keyless, nullptr)));
  // The failed decode in the keyless context leaves errors behind.
  openssl::DrainErrors();
  return csr;
}

openssl::X509Ptr ParseCertificate(der::Bytes der) {
  const unsigned char* p = der.data();
  long len = static_cast<long>(der.size());
  const unsigned char* end = der.data() + der.size();
  OSSL_LIB_CTX* keyless = KeylessContext();
  openssl::X509Ptr cert(keyless == nullptr
                            ? nullptr
                            : reinterpret_cast<X509*>(ASN1_item_d2i_ex(
                                  nullptr, &p, len, ASN1_ITEM_rptr(X509), keyless, nullptr)));
  openssl::DrainErrors();
  if (cert && p == end) {
    openssl::EvpPkeyPtr rsa = RsaPublicKeyOf(X509_get_X509_PUBKEY(cert.get()));
    // X509_set_pubkey re-encodes the SubjectPublicKeyInfo: keep the result
    // only if the certificate still encodes to the bytes it was signed as.
    bool same = false;
    if (rsa && X509_set_pubkey(cert.get(), rsa.get()) == 1) {
      unsigned char* now = nullptr;
      int now_len = i2d_X509(cert.get(), &now);
      same = now_len > 0 && static_cast<size_t>(now_len) == der.size() &&
             CRYPTO_memcmp(now, der.data(), der.size()) == 0;
      OPENSSL_free(now);
    }
    openssl::DrainErrors();
    if (same) return cert;
  }
  p = der.data();
  cert.reset(d2i_X509(nullptr, &p, len));
  if (cert && p != end) cert.reset();
  openssl::DrainErrors();
  return cert;
}

openssl::EvpPkeyPtr RsaPublicKeyOf(const X509_PUBKEY* spki) {
  ASN1_OBJECT* alg = nullptr;
  const unsigned char* bits = nullptr;
  int len = 0;
  if (spki == nullptr || X509_PUBKEY_get0_param(&alg, &bits, &len, nullptr, spki) != 1 ||
      OBJ_obj2nid(alg) != NID_rsaEncryption || bits == nullptr) {
    return nullptr;
  }
  // RFC 3279 2.3.1: the BIT STRING holds RSAPublicKey ::= SEQUENCE { n, e }.
  const unsigned char* p = bits;
  openssl::EvpPkeyPtr key(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, len));
  if (key && p != bits + len) key.reset();  // trailing bytes in the key
  if (!key) openssl::DrainErrors();
  return key;
}

openssl::EvpPkeyPtr DecodePublicKey(const X509_PUBKEY* spki) {
  if (spki == nullptr) return nullptr;
  if (openssl::EvpPkeyPtr rsa = RsaPublicKeyOf(spki)) return rsa;
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(spki, &der);
  openssl::EvpPkeyPtr key;
  if (len > 0) {
    const unsigned char* p = der;
    key.reset(d2i_PUBKEY(nullptr, &p, len));
  }
  OPENSSL_free(der);
  openssl::DrainErrors();
  return key;
}

}  // namespace keyward::pki
