// Live signing of arbitrary requests: whatever ParseRequest accepts, SignLive
// must turn into a response OpenSSL parses, with one SingleResponse per
// CertID (each echoed byte for byte), the nonce echoed, and a signature that
// verifies. The template copies request bytes into signed output, so this
// guards its length arithmetic against every CertID and nonce shape.
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>

#include "shared/ocsp/request.h"
#include "shared/ocsp/response_signer.h"
#include "shared/openssl/ptr.h"
#include "shared/pki/ca_material.h"
#include "shared/pki/x509_build.h"

namespace {

namespace ocsp = keyward::ocsp;
namespace openssl = keyward::openssl;
using keyward::der::Bytes;

void Check(bool ok) {
  if (!ok) abort();
}

// A self-signed P-256 certificate that is both CA and signer: the target
// checks encoding and signature, not delegation.
const keyward::pki::CaMaterial& Material() {
  static keyward::pki::CaMaterial* const kCa = [] {
    auto* ca = new keyward::pki::CaMaterial();
    ca->name = "fuzz";
    auto key = keyward::pki::GenerateKey("ec-p256");
    Check(static_cast<bool>(key));
    openssl::X509Ptr cert(X509_new());
    auto name = keyward::pki::ParseSubject("CN=fuzz");
    Check(cert && static_cast<bool>(name));
    Check(X509_set_version(cert.get(), 2) == 1);
    Check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1);
    Check(X509_set_subject_name(cert.get(), name->get()) == 1);
    Check(X509_set_issuer_name(cert.get(), name->get()) == 1);
    Check(X509_set_pubkey(cert.get(), key->get()) == 1);
    const int64_t now = std::time(nullptr);
    Check(static_cast<bool>(keyward::pki::SetValidity(cert.get(), now - 60, now + 86400)));
    Check(static_cast<bool>(keyward::pki::SignCertificate(cert.get(), key->get())));
    X509_up_ref(cert.get());
    ca->signer_cert.reset(cert.get());
    ca->cert = std::move(cert);
    EVP_PKEY_up_ref(key->get());
    ca->signer_key.reset(key->get());
    ca->key = std::move(*key);
    return ca;
  }();
  return *kCa;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ocsp::ResponseSigner signer(Material());
  ocsp::Request req;
  if (ocsp::ParseRequest(Bytes(data, size), &req) != ocsp::ParseError::kOk) return 0;
  std::array<ocsp::LiveItem, ocsp::kMaxCertIdsPerRequest> items{};
  for (size_t i = 0; i < req.cert_id_count; ++i) {
    items[i].cert_id_der = req.cert_ids[i].raw;
    items[i].status = static_cast<ocsp::CertStatus>(i % 3);
    items[i].reason =
        i % 2 == 0 ? ocsp::RevocationReason::kKeyCompromise : ocsp::RevocationReason::kNone;
    items[i].revoked_at = static_cast<int64_t>(size) * 1000;
    items[i].extended_revoked = size % 5 == 0 && i == 0;
  }
  const ocsp::Validity validity{std::time(nullptr), 3600, 60};
  keyward::Result<std::string> der =
      signer.SignLive(std::span<const ocsp::LiveItem>(items.data(), req.cert_id_count),
                      req.nonce_extn_value, validity);
  Check(static_cast<bool>(der));

  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  openssl::OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der->size())));
  Check(resp != nullptr && p == reinterpret_cast<const unsigned char*>(der->data()) + der->size());
  openssl::OcspBasicRespPtr bs(OCSP_response_get1_basic(resp.get()));
  Check(bs != nullptr);
  Check(static_cast<size_t>(OCSP_resp_count(bs.get())) == req.cert_id_count);
  for (size_t i = 0; i < req.cert_id_count; ++i) {
    const OCSP_CERTID* id = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(bs.get(), static_cast<int>(i)));
    unsigned char* id_der = nullptr;
    const int id_len = i2d_OCSP_CERTID(const_cast<OCSP_CERTID*>(id), &id_der);
    Check(id_len > 0 &&
          keyward::der::Equal(req.cert_ids[i].raw, Bytes(id_der, static_cast<size_t>(id_len))));
    OPENSSL_free(id_der);
  }
  const int nonce_at = OCSP_BASICRESP_get_ext_by_NID(bs.get(), NID_id_pkix_OCSP_Nonce, -1);
  if (req.nonce_extn_value.empty()) {
    Check(nonce_at < 0);
  } else {
    Check(nonce_at >= 0);
    const ASN1_OCTET_STRING* v =
        X509_EXTENSION_get_data(OCSP_BASICRESP_get_ext(bs.get(), nonce_at));
    Check(
        keyward::der::Equal(req.nonce_extn_value, Bytes(v->data, static_cast<size_t>(v->length))));
  }
  openssl::X509StorePtr store(X509_STORE_new());
  Check(store != nullptr);
  Check(OCSP_basic_verify(bs.get(), nullptr, store.get(), OCSP_NOVERIFY) == 1);
  openssl::DrainErrors();
  return 0;
}
