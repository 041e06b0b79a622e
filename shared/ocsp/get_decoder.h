#pragma once
// The GET form of OCSP (RFC 6960 A.1): "/{url-encoding of base64 of DER}".
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "shared/der/bytes.h"

namespace keyward::ocsp {

// Longest DER we accept from a GET path; anything longer is malformed.
constexpr size_t kMaxGetDerBytes = 8192;

// DecodeGetPath decodes the part of the request target after the path prefix
// (everything after the last '/' that begins the base64, query string already
// removed by the caller). It percent-decodes (%2B, %2F, %3D, any %XX), keeps a
// raw '+' as '+' (not space: base64 has no spaces), skips CR/LF (%0D %0A),
// accepts missing '=' padding, and base64-decodes into `out`. Returns the DER
// bytes (a prefix of `out`) or an empty span on any error or if the result
// would not fit. No heap.
der::Bytes DecodeGetPath(std::string_view encoded, std::span<uint8_t> out);

// OcspPathPayload picks the base64 part from a request target such as
// "/ocsp/MEMwQTA..." : the text after the last '/' that is followed by
// non-empty text, with any "?query" removed. Base64 itself may contain '/',
// raw or encoded; when the target has several raw '/' the caller should try
// the whole path after the first '/' first. See DecodeGetTarget.
// DecodeGetTarget tries the whole path (minus the leading '/') and then each
// suffix after a '/', returning the first that decodes to a DER SEQUENCE
// (first byte 0x30 with a length that covers the rest).
der::Bytes DecodeGetTarget(std::string_view target, std::span<uint8_t> out);

}  // namespace keyward::ocsp
