#pragma once
// PrehashSigner signs bytes with one private key the way X.509 and OCSP
// signatures are made (hash with SignatureDigestFor's digest, then sign the
// hash: PKCS#1 v1.5 for RSA, DER ECDSA-Sig-Value for EC), with contexts set up
// once. OpenSSL 3 spends nearly as long in EVP_DigestSignInit (algorithm
// fetches, key import into the provider) as P-256 spends signing; here a
// pool of ready EVP_PKEY_CTX makes each signature cost little more than the
// private-key operation itself. Thread-safe: each call borrows a context.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <openssl/evp.h>

#include "shared/der/bytes.h"
#include "shared/openssl/ptr.h"
#include "shared/result.h"

namespace keyward::pki {

class PrehashSigner {
 public:
  // Create fails for a key that signs without a separate digest (Ed25519)
  // or that OpenSSL cannot set up for signing. The key must outlive the
  // signer.
  static Result<std::unique_ptr<PrehashSigner>> Create(EVP_PKEY* key);
  ~PrehashSigner();
  PrehashSigner(const PrehashSigner&) = delete;
  PrehashSigner& operator=(const PrehashSigner&) = delete;

  // The largest signature Sign can write.
  size_t max_signature_size() const { return max_signature_size_; }

  // Sign writes the signature of `data` to `out` (max_signature_size()
  // octets available) and returns its length.
  Result<size_t> Sign(der::Bytes data, uint8_t* out) const;

 private:
  PrehashSigner(EVP_PKEY* key, EVP_MD* md, size_t max_signature_size);
  openssl::EvpPkeyCtxPtr NewContext() const;
  openssl::EvpPkeyCtxPtr Borrow() const;
  void Return(openssl::EvpPkeyCtxPtr ctx) const;

  EVP_PKEY* key_;
  EVP_MD* md_;  // fetched once; owned
  size_t max_signature_size_;
  mutable std::mutex mu_;
  mutable std::vector<openssl::EvpPkeyCtxPtr> idle_;
};

}  // namespace keyward::pki
