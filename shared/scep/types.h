#pragma once
// SCEP message vocabulary (RFC 8894 3.2.1.2 - 3.2.1.4).
#include <cstdint>
#include <optional>
#include <string_view>

namespace keyward::scep {

enum class MessageType : int {
  kCertRep = 3,
  kRenewalReq = 17,
  kPkcsReq = 19,
  kCertPoll = 20,  // GetCertInitial in the drafts
  kGetCert = 21,
  kGetCrl = 22,
};

enum class PkiStatus : int { kSuccess = 0, kFailure = 2, kPending = 3 };

enum class FailInfo : int {
  kBadAlg = 0,
  kBadMessageCheck = 1,
  kBadRequest = 2,
  kBadTime = 3,
  kBadCertId = 4,
};

// MessageTypeFromText: "19" -> kPkcsReq; nullopt for anything else.
std::optional<MessageType> MessageTypeFromText(std::string_view text);
std::string_view MessageTypeName(MessageType type);  // "PKCSReq", ...
std::string_view FailInfoName(FailInfo info);        // "badAlg", ...

}  // namespace keyward::scep
