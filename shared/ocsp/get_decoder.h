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
// accepts missing '=' padding, and base64-decodes into `out`. Anything that
// is not (after percent-decoding) standard base64, '=' or CR/LF is an error,
// as are data after '=', more '=' than needed, and a lone final character.
// Returns the DER bytes (a prefix of `out`) or an empty span on any error or
// if the result would not fit in `out` or kMaxGetDerBytes. No heap.
der::Bytes DecodeGetPath(std::string_view encoded, std::span<uint8_t> out);

// OcspPathPayload picks the base64 part from a request target such as
// "/ocsp/MEMwQTA..." : the text after the last '/' that is followed by
// non-empty text, with any "?query" removed (the whole target when it has no
// '/'; empty when it has only '/'). Base64 itself may contain '/', raw or
// encoded, so this is a guess for logs and simple callers; decoding should go
// through DecodeGetTarget.
std::string_view OcspPathPayload(std::string_view target);

// DecodeGetTarget decodes a whole request target ("/MEIw...%3D",
// "/ocsp/MEIw...", "http://host/ocsp/MEIw..."; "?query" ignored). It tries the
// whole path (minus the leading '/') and then each suffix after a '/', left
// to right, at most 16 tries, returning the first that decodes (as
// DecodeGetPath does) to one DER SEQUENCE: first byte 0x30 with a length that
// covers exactly the rest. Base64 containing raw '/' is thus found by the
// first try when the payload starts the path. Returns a prefix of `out`, or
// an empty span when no try succeeds. No heap.
der::Bytes DecodeGetTarget(std::string_view target, std::span<uint8_t> out);

}  // namespace keyward::ocsp
