#pragma once
// The SCEP authenticated attributes (RFC 8894 3.2.1): OIDs under
// id-VeriSign pki attributes 2.16.840.1.113733.1.9, read from and added to a
// CMS SignerInfo.
#include <openssl/cms.h>

#include <optional>
#include <string>

namespace keyward::scep {

enum class Attribute {
  kMessageType,     // .2 PrintableString
  kPkiStatus,       // .3 PrintableString
  kFailInfo,        // .4 PrintableString
  kSenderNonce,     // .5 OCTET STRING
  kRecipientNonce,  // .6 OCTET STRING
  kTransactionId,   // .7 PrintableString
  kFailInfoText,    // id-scep-failInfoText 1.3.6.1.5.5.7.24.1 UTF8String (RFC 8894 3.2.1.4.6)
};

// AttributeOid: the attribute's OID, created once and shared (never freed,
// never registered in OpenSSL's global table).
const ASN1_OBJECT* AttributeOid(Attribute attr);

// ReadAttribute: the bytes of a single-valued signed attribute of any string
// type (PrintableString, IA5String, UTF8String, OCTET STRING). nullopt when
// absent, multi-valued or not a string.
std::optional<std::string> ReadAttribute(CMS_SignerInfo* si, Attribute attr);

// AddAttribute adds a signed attribute: OCTET STRING for the nonces,
// UTF8String for failInfoText, PrintableString otherwise. False on an OpenSSL failure.
bool AddAttribute(CMS_SignerInfo* si, Attribute attr, const std::string& value);

}  // namespace keyward::scep
