// libFuzzer target for the PKIOperation decoder: the input is tried as a
// DER pkiMessage (decoded with a fixed RA key, so the seed corpus in
// tests/fuzz/corpus/pki_operation_fuzz/ reaches decryption and CSR parsing)
// and as the text of a GET message parameter.
#include <openssl/pem.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/openssl/ptr.h"
#include "shared/scep/caps.h"
#include "shared/scep/envelope_info.h"
#include "shared/scep/get_message.h"
#include "shared/scep/pki_message.h"
#include "tests/shared/scep/fuzz_ra.h"

namespace {

struct Ra {
  keyward::openssl::X509Ptr cert;
  keyward::openssl::EvpPkeyPtr key;
};

const Ra& FuzzRa() {
  static const Ra ra = [] {
    Ra r;
    keyward::openssl::BioPtr kb(BIO_new_mem_buf(keyward::test::kFuzzRaKeyPem, -1));
    keyward::openssl::BioPtr cb(BIO_new_mem_buf(keyward::test::kFuzzRaCertPem, -1));
    r.key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    r.cert.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    keyward::scep::LoadLegacyProvider();
    return r;
  }();
  return ra;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward;
  const Ra& ra = FuzzRa();
  scep::Decrypter d{ra.cert.get(), ra.key.get()};
  scep::PkiMessage msg;
  der::Bytes bytes(data, size);
  (void)scep::DecodePkiMessage(bytes, std::span<const scep::Decrypter>(&d, 1),
                               scep::WeakAlgorithms::kAccept, &msg);
  scep::EnvelopeInfo info;
  (void)scep::ReadEnvelopeInfo(bytes, &info);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<std::string> der = scep::DecodeGetMessage(text);
  if (der) {
    der::Bytes decoded(reinterpret_cast<const uint8_t*>(der->data()), der->size());
    (void)scep::DecodePkiMessage(decoded, std::span<const scep::Decrypter>(&d, 1),
                                 scep::WeakAlgorithms::kRefuse, &msg);
  }
  openssl::DrainErrors();
  return 0;
}
