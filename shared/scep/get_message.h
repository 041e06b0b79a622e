#pragma once
// DecodeGetMessage: the pkiMessage carried in a GET's `message` parameter.
#include <optional>
#include <string>
#include <string_view>

namespace keyward::scep {

// DecodeGetMessage takes the already percent-decoded parameter and returns
// the DER. It accepts standard base64 with or without padding, line breaks
// anywhere (Cisco IOS sends %0A), and spaces in place of '+' (left by
// intermediaries that decode '+' as a form space). nullopt on any other
// character or a bad length.
std::optional<std::string> DecodeGetMessage(std::string_view text);

// Base64Encode: standard base64 with padding and no line breaks (tests and
// the webhook body use it).
std::string Base64Encode(std::string_view bytes);

}  // namespace keyward::scep
