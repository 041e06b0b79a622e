#pragma once
// CertID (RFC 6960 4.1.1): the (hash algorithm, issuer name hash, issuer key
// hash, serial) that names one certificate in an OCSP request or response.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/der/bytes.h"
#include "shared/der/reader.h"

namespace keyward::ocsp {

// HashAlg is the CertID hash algorithm. kSha1 and kSha256 have precomputed
// responses; kSha384 and kSha512 are answered by live signing.
enum class HashAlg : uint8_t { kSha1 = 1, kSha256 = 2, kSha384 = 3, kSha512 = 4 };

constexpr size_t kHashAlgCount = 4;
// Serials are at most 20 octets (RFC 5280 4.1.2.2); a little slack for CAs
// that got it wrong, and a hard cap so keys stay fixed-size.
constexpr size_t kMaxSerialBytes = 32;

// HashAlgName is "sha1", "sha256", "sha384" or "sha512" (used in store keys).
std::string_view HashAlgName(HashAlg alg);
// HashAlgFromName is the inverse of HashAlgName; nullopt for anything else.
std::optional<HashAlg> HashAlgFromName(std::string_view name);
// HashLength is the digest size in bytes: 20, 32, 48 or 64.
size_t HashLength(HashAlg alg);

// CertId holds spans into the parsed request; the request bytes own them.
struct CertId {
  HashAlg hash = HashAlg::kSha1;
  der::Bytes name_hash;  // issuerNameHash contents
  der::Bytes key_hash;   // issuerKeyHash contents
  der::Bytes serial;     // serialNumber INTEGER contents, as on the wire
  der::Bytes raw;        // the whole CertID TLV, echoed in live responses
};

// ParseCertId reads one CertID SEQUENCE from `in`. It returns false (and
// leaves `in` unmoved) on any DER error, an unknown hash algorithm, a hash of
// the wrong length for its algorithm, or a serial longer than
// kMaxSerialBytes. AlgorithmIdentifier parameters may be absent or NULL.
[[nodiscard]] bool ParseCertId(der::Reader& in, CertId* out);

// SerialHex writes the canonical text form of a serial: uppercase hex of the
// INTEGER contents with a single leading 0x00 sign octet dropped. "01AB" for
// contents {0x01,0xAB}; "80" for {0x00,0x80}. Both the writers of the store and
// the responder use it, so keys agree by construction. `out` needs
// 2*kMaxSerialBytes bytes; returns the length written (0 for empty input, or
// for more than kMaxSerialBytes octets after the sign octet).
// Serials are positive (RFC 5280 4.1.2.2); a negative serial from a
// non-conforming CA is written from its contents as they are.
size_t SerialHex(der::Bytes serial_contents, char* out);
std::string SerialHexString(der::Bytes serial_contents);

// NormalizeSerialHex turns user input ("0x1a", "1A", "00:1a") into the form
// SerialHex produces for the same positive integer; nullopt if not hex.
std::optional<std::string> NormalizeSerialHex(std::string_view text);

}  // namespace keyward::ocsp
