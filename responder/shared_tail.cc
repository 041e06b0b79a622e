#include "responder/shared_tail.h"

#include <openssl/crypto.h>

#include "shared/der/writer.h"

namespace keyward::responder {

std::string SignerCertsTail(const X509* cert) {
  if (cert == nullptr) return {};
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) return {};
  const size_t n = static_cast<size_t>(len);
  const size_t seq = der::TlvSize(n);
  std::string out(der::TlvSize(seq), '\0');
  uint8_t* p = reinterpret_cast<uint8_t*>(out.data());
  der::PutHeader(p, 0xA0, seq);  // [0] EXPLICIT
  der::PutHeader(p, 0x30, n);    // SEQUENCE OF Certificate
  der::PutBytes(p, der::Bytes(der, n));
  OPENSSL_free(der);
  return out;
}

}  // namespace keyward::responder
