#pragma once
// BuildCrl: a CRL (RFC 5280 5) signed by the CA, listing every revoked record
// of the CA, for SCEP GetCRL.
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "shared/openssl/ptr.h"
#include "shared/pki/ca_material.h"
#include "shared/result.h"
#include "shared/store/record.h"

namespace keyward::issuer {

using X509CrlPtr = std::unique_ptr<X509_CRL, openssl::Free<X509_CRL_free>>;

// BuildCrl: thisUpdate = now, nextUpdate = now + next_update_s, crlNumber =
// `number` (the store generation, so numbers only grow), reason codes from
// the records. Needs the CA key.
Result<X509CrlPtr> BuildCrl(const pki::CaMaterial& ca,
                            const std::vector<store::CertRecord>& records, int64_t now,
                            int64_t next_update_s, uint64_t number);

}  // namespace keyward::issuer
