#include "shared/ocsp/cert_id.h"
#include "shared/util/hex.h"

namespace keyward::ocsp {
namespace {

// DER contents of the CertID hash algorithm OIDs.
constexpr uint8_t kSha1Oid[] = {0x2B, 0x0E, 0x03, 0x02, 0x1A};  // 1.3.14.3.2.26
constexpr uint8_t kSha256Oid[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
constexpr uint8_t kSha384Oid[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
constexpr uint8_t kSha512Oid[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};

std::optional<HashAlg> HashAlgFromOid(der::Bytes oid) {
  if (der::Equal(oid, kSha1Oid)) return HashAlg::kSha1;
  if (der::Equal(oid, kSha256Oid)) return HashAlg::kSha256;
  if (der::Equal(oid, kSha384Oid)) return HashAlg::kSha384;
  if (der::Equal(oid, kSha512Oid)) return HashAlg::kSha512;
  return std::nullopt;
}

// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }.
// For the SHA family the parameters are absent or NULL (RFC 5754 2); OpenSSL
// writes NULL, others omit it. Anything else is rejected.
bool ParseHashAlgorithm(der::Reader& in, HashAlg* out) {
  der::Reader body;
  der::Bytes oid;
  if (!in.ReadSequence(&body) || !body.ReadOid(&oid)) return false;
  std::optional<HashAlg> alg = HashAlgFromOid(oid);
  if (!alg) return false;
  if (!body.empty() && !body.ReadNull()) return false;
  if (!body.empty()) return false;
  *out = *alg;
  return true;
}

constexpr char kHexDigits[] = "0123456789ABCDEF";

}  // namespace

std::string_view HashAlgName(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return "sha1";
    case HashAlg::kSha256:
      return "sha256";
    case HashAlg::kSha384:
      return "sha384";
    case HashAlg::kSha512:
      return "sha512";
  }
  return "";
}

std::optional<HashAlg> HashAlgFromName(std::string_view name) {
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512}) {
    if (name == HashAlgName(alg)) return alg;
  }
  return std::nullopt;
}

size_t HashLength(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return 20;
    case HashAlg::kSha256:
      return 32;
    case HashAlg::kSha384:
      return 48;
    case HashAlg::kSha512:
      return 64;
  }
  return 0;
}

// CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier,
//   issuerNameHash OCTET STRING, issuerKeyHash OCTET STRING,
//   serialNumber CertificateSerialNumber }            (RFC 6960 4.1.1)
bool ParseCertId(der::Reader& in, CertId* out) {
  der::Reader cursor = in;  // `in` moves only when the whole CertID is good
  der::Reader body;
  CertId id;
  if (!cursor.ReadSequence(&body, &id.raw)) return false;
  if (!ParseHashAlgorithm(body, &id.hash) || !body.ReadOctetString(&id.name_hash) ||
      !body.ReadOctetString(&id.key_hash) || !body.ReadInteger(&id.serial) || !body.empty()) {
    return false;
  }
  // A hash of the wrong size can never match an issuer; reject it here so
  // lookups can rely on the length.
  size_t want = HashLength(id.hash);
  if (id.name_hash.size() != want || id.key_hash.size() != want) return false;
  if (id.serial.size() > kMaxSerialBytes) return false;
  in = cursor;
  *out = id;
  return true;
}

size_t SerialHex(der::Bytes serial_contents, char* out) {
  der::Bytes s = serial_contents;
  // Drop the sign octet that DER adds in front of a high bit; {0x00} (zero)
  // keeps its only octet.
  if (s.size() > 1 && s[0] == 0x00) s = s.subspan(1);
  // Longer than ParseCertId accepts: no key rather than a truncated one
  // that could collide with another serial's.
  if (s.size() > kMaxSerialBytes) return 0;
  size_t n = 0;
  for (uint8_t b : s) {
    out[n++] = kHexDigits[b >> 4];
    out[n++] = kHexDigits[b & 0x0F];
  }
  return n;
}

std::string SerialHexString(der::Bytes serial_contents) {
  char buf[2 * kMaxSerialBytes];
  size_t n = SerialHex(serial_contents, buf);
  return std::string(buf, n);
}

std::optional<std::string> NormalizeSerialHex(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
  }
  std::string digits;
  for (char c : text) {
    // "00:1a" from `openssl x509 -text`, "00 1a" from some GUIs.
    if (c == ':' || c == ' ') continue;
    int v = util::HexValue(c);
    if (v < 0) return std::nullopt;
    if (digits.empty() && v == 0) continue;  // leading zeros carry no value
    digits.push_back(kHexDigits[v]);
  }
  if (digits.empty()) {
    // All zeros (the integer 0) or no digits at all.
    for (char c : text) {
      if (c == '0') return std::string("00");
    }
    return std::nullopt;
  }
  // Whole octets, as SerialHex writes them.
  if (digits.size() % 2 != 0) digits.insert(digits.begin(), '0');
  return digits;
}

}  // namespace keyward::ocsp
