#pragma once
// Builds OCSP requests (RFC 6960 4.1.1) for the load generator: from a CertID
// TLV, with or without a nonce (RFC 8954), and their GET form (RFC 6960 A.1).
// Small and allocation-light so a fresh nonce per request stays cheap.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace keyward::bench {

constexpr size_t kBenchNonceBytes = 16;

// BuildRequest appends a DER OCSPRequest for one CertID (whole TLV) to `out`;
// `nonce` empty means no requestExtensions.
void BuildRequest(std::string_view cert_id_der, std::span<const uint8_t> nonce, std::string* out);

// Base64 (standard alphabet, padded).
std::string Base64(std::string_view bytes);
// Base64Decode accepts the standard alphabet with or without padding and
// ignores whitespace; false on any other character.
bool Base64Decode(std::string_view text, std::string* out);

// GetTarget: "/" + base64 with '+', '/' and '=' percent-encoded, the form
// every client sends and every server under test decodes.
std::string GetTarget(std::string_view request_der);

}  // namespace keyward::bench
