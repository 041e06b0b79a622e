#include "shared/pki/prehash_signer.h"

#include <openssl/rsa.h>

#include <utility>

#include "shared/pki/x509_build.h"

namespace keyward::pki {
namespace {

// Enough idle contexts for every signer thread of a large machine; more
// than this at once are made and freed per call rather than kept.
constexpr size_t kMaxIdle = 64;

}  // namespace

Result<std::unique_ptr<PrehashSigner>> PrehashSigner::Create(EVP_PKEY* key) {
  const EVP_MD* legacy = nullptr;
  if (key == nullptr || !SignatureDigestFor(key, &legacy) || legacy == nullptr) {
    return Fail("key type cannot sign a precomputed digest");
  }
  // A fetched digest: the legacy EVP_sha256() makes OpenSSL 3 look the
  // implementation up again on every use.
  EVP_MD* md = EVP_MD_fetch(nullptr, EVP_MD_get0_name(legacy), nullptr);
  const int size = EVP_PKEY_get_size(key);
  if (md == nullptr || size <= 0) {
    EVP_MD_free(md);
    return Fail("signer set-up: " + openssl::DrainErrors());
  }
  std::unique_ptr<PrehashSigner> signer(new PrehashSigner(key, md, static_cast<size_t>(size)));
  openssl::EvpPkeyCtxPtr probe = signer->NewContext();
  if (!probe) return Fail("signer set-up: " + openssl::DrainErrors());
  signer->Return(std::move(probe));
  return signer;
}

PrehashSigner::PrehashSigner(EVP_PKEY* key, EVP_MD* md, size_t max_signature_size)
    : key_(key), md_(md), max_signature_size_(max_signature_size) {}

PrehashSigner::~PrehashSigner() { EVP_MD_free(md_); }

openssl::EvpPkeyCtxPtr PrehashSigner::NewContext() const {
  openssl::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), md_) != 1) {
    return nullptr;
  }
  if (EVP_PKEY_get_base_id(key_) == EVP_PKEY_RSA &&
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    return nullptr;
  }
  return ctx;
}

openssl::EvpPkeyCtxPtr PrehashSigner::Borrow() const {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      openssl::EvpPkeyCtxPtr ctx = std::move(idle_.back());
      idle_.pop_back();
      return ctx;
    }
  }
  return NewContext();
}

void PrehashSigner::Return(openssl::EvpPkeyCtxPtr ctx) const {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(ctx));
}

Result<size_t> PrehashSigner::Sign(der::Bytes data, uint8_t* out) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &digest_len, md_, nullptr) != 1) {
    return Fail("digest: " + openssl::DrainErrors());
  }
  openssl::EvpPkeyCtxPtr ctx = Borrow();
  if (!ctx) return Fail("signer context: " + openssl::DrainErrors());
  size_t len = max_signature_size_;
  if (EVP_PKEY_sign(ctx.get(), out, &len, digest, digest_len) != 1) {
    // A context that failed may hold state from the failure: drop it.
    return Fail("signing: " + openssl::DrainErrors());
  }
  Return(std::move(ctx));
  return len;
}

}  // namespace keyward::pki
