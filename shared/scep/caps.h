#pragma once
// GetCACaps and algorithm set-up for the issuer.
#include <string>

namespace keyward::scep {

enum class LegacyClients { kOff, kOn };

// CapsText: the GetCACaps body (RFC 8894 3.5.2), one keyword a line. SHA-1
// and DES3 are offered only to legacy clients; Apple reads only
// POSTPKIOperation, AES, DES3 and the SHA-x words, and with no caps falls
// back to SHA-1 and 3DES.
std::string CapsText(LegacyClients legacy, bool next_ca_cert);

// LoadLegacyProvider loads OpenSSL's legacy provider next to the default one
// so that single-DES envelopes (micromdm scepclient 2.1, old network gear)
// can be decrypted. Answers never use it. False when the provider is missing.
bool LoadLegacyProvider();

}  // namespace keyward::scep
