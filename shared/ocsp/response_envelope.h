#pragma once
// WrapBasicResponse puts a signed BasicOCSPResponse into a successful
// OCSPResponse (RFC 6960 4.2.1):
//   SEQUENCE { ENUMERATED successful, [0] EXPLICIT SEQUENCE {
//     OID id-pkix-ocsp-basic, OCTET STRING { BasicOCSPResponse } } }
#include <cstddef>
#include <cstdint>
#include <string>

#include "shared/der/bytes.h"

namespace keyward::ocsp {

// OcspResponseSize is the size of the OCSPResponse around a BasicOCSPResponse
// of `basic_size` octets.
size_t OcspResponseSize(size_t basic_size);

// PutOcspResponseHeader writes everything before the BasicOCSPResponse
// (OcspResponseSize(basic_size) - basic_size octets) and moves `p` past it.
void PutOcspResponseHeader(uint8_t*& p, size_t basic_size);

std::string WrapBasicResponse(der::Bytes basic);

}  // namespace keyward::ocsp
