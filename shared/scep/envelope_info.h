#pragma once
// EnvelopeInfo: the algorithms of a CMS EnvelopedData, read from its DER
// (OpenSSL's CMS API decrypts but does not say with which cipher, and the
// CertRep must answer with the client's own).
#include <openssl/cms.h>
#include <openssl/objects.h>

#include "shared/der/bytes.h"

namespace keyward::scep {

struct EnvelopeInfo {
  int cipher_nid = NID_undef;  // contentEncryptionAlgorithm
  bool oaep = false;           // some KeyTransRecipientInfo uses RSAES-OAEP
};

// ReadEnvelopeInfo: false when `der` is not a ContentInfo holding an
// EnvelopedData.
bool ReadEnvelopeInfo(der::Bytes der, EnvelopeInfo* out);
// The same for a caller that has parsed `der` already (`parsed`, not null):
// DER is read as it is; only BER is re-encoded from `parsed` first.
bool ReadEnvelopeInfo(der::Bytes der, CMS_ContentInfo* parsed, EnvelopeInfo* out);

}  // namespace keyward::scep
