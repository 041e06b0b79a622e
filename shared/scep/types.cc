#include "shared/scep/types.h"

namespace keyward::scep {

std::optional<MessageType> MessageTypeFromText(std::string_view text) {
  if (text == "3") return MessageType::kCertRep;
  if (text == "17") return MessageType::kRenewalReq;
  if (text == "19") return MessageType::kPkcsReq;
  if (text == "20") return MessageType::kCertPoll;
  if (text == "21") return MessageType::kGetCert;
  if (text == "22") return MessageType::kGetCrl;
  return std::nullopt;
}

std::string_view MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kCertRep:
      return "CertRep";
    case MessageType::kRenewalReq:
      return "RenewalReq";
    case MessageType::kPkcsReq:
      return "PKCSReq";
    case MessageType::kCertPoll:
      return "CertPoll";
    case MessageType::kGetCert:
      return "GetCert";
    case MessageType::kGetCrl:
      return "GetCRL";
  }
  return "unknown";
}

std::string_view FailInfoName(FailInfo info) {
  switch (info) {
    case FailInfo::kBadAlg:
      return "badAlg";
    case FailInfo::kBadMessageCheck:
      return "badMessageCheck";
    case FailInfo::kBadRequest:
      return "badRequest";
    case FailInfo::kBadTime:
      return "badTime";
    case FailInfo::kBadCertId:
      return "badCertId";
  }
  return "unknown";
}

}  // namespace keyward::scep
