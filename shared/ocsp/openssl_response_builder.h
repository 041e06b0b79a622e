#pragma once
// BuildWithOpenssl makes a whole signed OCSPResponse with OpenSSL's OCSP
// API: ResponderID byKey, producedAt/thisUpdate/nextUpdate from `validity`,
// the signer certificate included, the nonce and extended-revoke extensions
// when asked for. It is the reference encoding: ResponseTemplate learns its
// constant parts from one such response, tests compare the two byte for
// byte, and signers fall back to it for key types the template cannot sign.
#include <span>
#include <string>

#include "shared/der/bytes.h"
#include "shared/ocsp/single_answer.h"
#include "shared/ocsp/validity.h"
#include "shared/pki/ca_material.h"
#include "shared/result.h"

namespace keyward::ocsp {

// `nonce_extn_value`, when non-empty, becomes the nonce extension's extnValue
// contents unchanged. Each CertID is decoded and re-encoded by OpenSSL.
Result<std::string> BuildWithOpenssl(const pki::CaMaterial& ca,
                                     std::span<const SingleAnswer> singles,
                                     der::Bytes nonce_extn_value, bool extended_revoked,
                                     const Validity& validity);

}  // namespace keyward::ocsp
