#include "shared/scep/attributes.h"

#include <openssl/objects.h>
#include <openssl/x509.h>

#include <array>

namespace keyward::scep {
namespace {

const char* OidText(Attribute attr) {
  switch (attr) {
    case Attribute::kMessageType:
      return "2.16.840.1.113733.1.9.2";
    case Attribute::kPkiStatus:
      return "2.16.840.1.113733.1.9.3";
    case Attribute::kFailInfo:
      return "2.16.840.1.113733.1.9.4";
    case Attribute::kSenderNonce:
      return "2.16.840.1.113733.1.9.5";
    case Attribute::kRecipientNonce:
      return "2.16.840.1.113733.1.9.6";
    case Attribute::kTransactionId:
      return "2.16.840.1.113733.1.9.7";
    case Attribute::kFailInfoText:
      return "1.3.6.1.5.5.7.24.1";
  }
  return "";
}

bool IsNonce(Attribute attr) {
  return attr == Attribute::kSenderNonce || attr == Attribute::kRecipientNonce;
}

}  // namespace

const ASN1_OBJECT* AttributeOid(Attribute attr) {
  // Built once, thread-safely (static initialisation); the process keeps them.
  static const std::array<ASN1_OBJECT*, 7> kOids = [] {
    std::array<ASN1_OBJECT*, 7> oids{};
    for (int i = 0; i < 7; ++i) oids[i] = OBJ_txt2obj(OidText(static_cast<Attribute>(i)), 1);
    return oids;
  }();
  return kOids[static_cast<size_t>(attr)];
}

std::optional<std::string> ReadAttribute(CMS_SignerInfo* si, Attribute attr) {
  const ASN1_OBJECT* oid = AttributeOid(attr);
  if (oid == nullptr) return std::nullopt;
  int index = CMS_signed_get_attr_by_OBJ(si, oid, -1);
  if (index < 0) return std::nullopt;
  X509_ATTRIBUTE* a = CMS_signed_get_attr(si, index);  // borrowed
  if (a == nullptr || X509_ATTRIBUTE_count(a) != 1) return std::nullopt;
  ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(a, 0);  // borrowed
  if (value == nullptr) return std::nullopt;
  switch (value->type) {
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_IA5STRING:
    case V_ASN1_UTF8STRING:
    case V_ASN1_OCTET_STRING:
      break;
    default:
      return std::nullopt;
  }
  const ASN1_STRING* s = value->value.asn1_string;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

bool AddAttribute(CMS_SignerInfo* si, Attribute attr, const std::string& value) {
  const ASN1_OBJECT* oid = AttributeOid(attr);
  if (oid == nullptr) return false;
  int type = IsNonce(attr)                      ? V_ASN1_OCTET_STRING
             : attr == Attribute::kFailInfoText ? V_ASN1_UTF8STRING
                                                : V_ASN1_PRINTABLESTRING;
  return CMS_signed_add1_attr_by_OBJ(si, oid, type, value.data(), static_cast<int>(value.size())) ==
         1;
}

}  // namespace keyward::scep
