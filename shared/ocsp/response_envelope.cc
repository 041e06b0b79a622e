#include "shared/ocsp/response_envelope.h"

#include "shared/der/writer.h"

namespace keyward::ocsp {
namespace {

constexpr uint8_t kSuccessful[] = {0x0A, 0x01, 0x00};
constexpr uint8_t kBasicOid[] = {0x06, 0x09, 0x2B, 0x06, 0x01, 0x05,
                                 0x05, 0x07, 0x30, 0x01, 0x01};  // id-pkix-ocsp-basic

constexpr size_t ResponseBytesSize(size_t basic_size) {
  return sizeof(kBasicOid) + der::TlvSize(basic_size);
}
constexpr size_t BodySize(size_t basic_size) {
  return sizeof(kSuccessful) + der::TlvSize(der::TlvSize(ResponseBytesSize(basic_size)));
}

}  // namespace

size_t OcspResponseSize(size_t basic_size) { return der::TlvSize(BodySize(basic_size)); }

void PutOcspResponseHeader(uint8_t*& p, size_t basic_size) {
  const size_t bytes_seq = ResponseBytesSize(basic_size);
  der::PutHeader(p, 0x30, BodySize(basic_size));
  der::PutBytes(p, kSuccessful);
  der::PutHeader(p, 0xA0, der::TlvSize(bytes_seq));
  der::PutHeader(p, 0x30, bytes_seq);
  der::PutBytes(p, kBasicOid);
  der::PutHeader(p, 0x04, basic_size);
}

std::string WrapBasicResponse(der::Bytes basic) {
  std::string out(OcspResponseSize(basic.size()), '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  PutOcspResponseHeader(p, basic.size());
  der::PutBytes(p, basic);
  return out;
}

}  // namespace keyward::ocsp
