#include "shared/ocsp/request.h"

#include "shared/der/reader.h"

namespace keyward::ocsp {
namespace {

// id-pkix-ocsp-nonce 1.3.6.1.5.5.7.48.1.2 (RFC 6960 4.4.1, RFC 8954).
constexpr uint8_t kNonceOid[] = {0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02};

constexpr uint8_t kVersionTag = der::tag::kContextConstructed | 0;
constexpr uint8_t kRequestorNameTag = der::tag::kContextConstructed | 1;
constexpr uint8_t kRequestExtensionsTag = der::tag::kContextConstructed | 2;
constexpr uint8_t kSingleExtensionsTag = der::tag::kContextConstructed | 0;
constexpr uint8_t kSignatureTag = der::tag::kContextConstructed | 0;
constexpr uint8_t kCertsTag = der::tag::kContextConstructed | 0;

enum class ExtensionLevel { kRequest, kSingleRequest };

// Which extension problems end the parse (kMalformed) and which are noted
// while the rest of the structure is still checked.
struct ParseState {
  Request* out;
  bool nonce_seen = false;
  ParseError soft = ParseError::kOk;
};

// The nonce extnValue wraps a DER OCTET STRING of 1..32 octets (RFC 8954 2.1).
void ParseNonce(der::Bytes extn_value, ParseState* st) {
  Request& out = *st->out;
  out.nonce_extn_value = extn_value;
  der::Reader in(extn_value);
  der::Bytes nonce;
  if (st->nonce_seen || !in.ReadOctetString(&nonce) || !in.empty() ||
      nonce.size() < kMinNonceBytes || nonce.size() > kMaxNonceBytes) {
    // A second nonce is malformed too: RFC 5280 4.2 allows one instance of
    // an extension, and which one to echo would be a guess.
    out.nonce_state = NonceState::kMalformed;
    out.nonce = {};
    st->soft = ParseError::kBadNonce;
  } else {
    out.nonce_state = NonceState::kValid;
    out.nonce = nonce;
  }
  st->nonce_seen = true;
}

// Extensions ::= SEQUENCE OF Extension (RFC 5280 4.1)
// Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
//   extnValue OCTET STRING }
// DER omits critical when FALSE; an explicit FALSE is accepted, as OpenSSL
// and most decoders do, because it changes nothing we act on.
bool ParseExtensions(der::Reader& wrapper, ExtensionLevel level, ParseState* st) {
  der::Reader list;
  if (!wrapper.ReadSequence(&list) || !wrapper.empty()) return false;
  while (!list.empty()) {
    der::Reader ext;
    der::Bytes oid;
    der::Bytes value;
    bool critical = false;
    uint8_t next = 0;
    if (!list.ReadSequence(&ext) || !ext.ReadOid(&oid)) return false;
    if (ext.PeekTag(&next) && next == der::tag::kBoolean && !ext.ReadBoolean(&critical)) {
      return false;
    }
    if (!ext.ReadOctetString(&value) || !ext.empty()) return false;
    if (level == ExtensionLevel::kRequest && der::Equal(oid, kNonceOid)) {
      ParseNonce(value, st);
    } else if (critical) {
      // RFC 5280 4.2: an unrecognised critical extension must not be ignored.
      return false;
    }
  }
  return true;
}

// GeneralName (RFC 5280 4.2.1.6) is a CHOICE of context tags [0]..[8]; each
// alternative has a fixed primitive or constructed form. Its contents are
// neither used nor checked further: an unsigned requestorName is only a claim.
bool IsGeneralNameTag(uint8_t t) {
  switch (t) {
    case der::tag::kContextConstructed | 0:  // otherName
    case der::tag::kContextPrimitive | 1:    // rfc822Name
    case der::tag::kContextPrimitive | 2:    // dNSName
    case der::tag::kContextConstructed | 3:  // x400Address
    case der::tag::kContextConstructed | 4:  // directoryName (EXPLICIT Name)
    case der::tag::kContextConstructed | 5:  // ediPartyName
    case der::tag::kContextPrimitive | 6:    // uniformResourceIdentifier
    case der::tag::kContextPrimitive | 7:    // iPAddress
    case der::tag::kContextPrimitive | 8:    // registeredID
      return true;
    default:
      return false;
  }
}

bool ParseRequestorName(der::Reader& wrapper) {
  uint8_t t = 0;
  der::Bytes contents;
  return wrapper.ReadAny(&t, &contents) && IsGeneralNameTag(t) && wrapper.empty();
}

// Signature ::= SEQUENCE { signatureAlgorithm AlgorithmIdentifier,
//   signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
// We do not verify request signatures (RFC 6960 does not require it); the
// shape is checked so that a garbled one is malformed, not silently skipped.
bool ParseSignature(der::Reader& wrapper) {
  der::Reader sig;
  der::Reader alg;
  der::Bytes oid;
  der::Bytes bits;
  if (!wrapper.ReadSequence(&sig) || !wrapper.empty()) return false;
  if (!sig.ReadSequence(&alg) || !alg.ReadOid(&oid)) return false;
  if (!alg.empty() && !alg.Skip()) return false;  // parameters ANY OPTIONAL
  if (!alg.empty()) return false;
  // BIT STRING: the unused-bit count comes first, 0..7, and 0 when empty.
  if (!sig.ReadElement(der::tag::kBitString, &bits) || bits.empty() || bits[0] > 7 ||
      (bits.size() == 1 && bits[0] != 0)) {
    return false;
  }
  der::Reader certs_wrapper;
  bool has_certs = false;
  if (!sig.ReadOptionalConstructed(kCertsTag, &certs_wrapper, &has_certs)) return false;
  if (has_certs) {
    der::Reader certs;
    if (!certs_wrapper.ReadSequence(&certs) || !certs_wrapper.empty()) return false;
    while (!certs.empty()) {
      der::Reader cert;
      if (!certs.ReadSequence(&cert)) return false;
    }
  }
  return sig.empty();
}

// Request ::= SEQUENCE { reqCert CertID,
//   singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
bool ParseSingleRequest(der::Reader& list, ParseState* st) {
  der::Reader req;
  CertId id;
  if (!list.ReadSequence(&req) || !ParseCertId(req, &id)) return false;
  der::Reader exts;
  bool has_exts = false;
  if (!req.ReadOptionalConstructed(kSingleExtensionsTag, &exts, &has_exts)) return false;
  if (has_exts && !ParseExtensions(exts, ExtensionLevel::kSingleRequest, st)) return false;
  if (!req.empty()) return false;
  Request& out = *st->out;
  // Past the cap the rest is still parsed, so that a malformed tail is
  // reported as malformed, but not stored.
  if (out.cert_id_count < kMaxCertIdsPerRequest) out.cert_ids[out.cert_id_count] = id;
  ++out.cert_id_count;
  return true;
}

// TBSRequest ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
//   requestorName [1] EXPLICIT GeneralName OPTIONAL,
//   requestList SEQUENCE OF Request,
//   requestExtensions [2] EXPLICIT Extensions OPTIONAL }
bool ParseTbsRequest(der::Reader& tbs, ParseState* st) {
  der::Reader wrapper;
  bool present = false;
  if (!tbs.ReadOptionalConstructed(kVersionTag, &wrapper, &present)) return false;
  if (present) {
    // DER would omit the DEFAULT; a client that writes v1 (0) anyway is
    // harmless. Any other version is one we do not speak.
    der::Bytes version;
    if (!wrapper.ReadInteger(&version) || !wrapper.empty()) return false;
    if (version.size() != 1 || version[0] != 0) return false;
  }
  if (!tbs.ReadOptionalConstructed(kRequestorNameTag, &wrapper, &present)) return false;
  if (present && !ParseRequestorName(wrapper)) return false;
  der::Reader list;
  if (!tbs.ReadSequence(&list)) return false;
  while (!list.empty()) {
    if (!ParseSingleRequest(list, st)) return false;
  }
  if (!tbs.ReadOptionalConstructed(kRequestExtensionsTag, &wrapper, &present)) return false;
  if (present && !ParseExtensions(wrapper, ExtensionLevel::kRequest, st)) return false;
  return tbs.empty();
}

}  // namespace

bool Request::NeedsLiveSigning() const {
  // FreeRADIUS sends a nonce by default; the answer must echo it, so it is
  // signed live. Precomputed responses name one certificate, in SHA-1 or
  // SHA-256 CertID form only.
  if (nonce_state != NonceState::kAbsent) return true;
  if (cert_id_count != 1) return true;
  HashAlg alg = cert_ids[0].hash;
  return alg != HashAlg::kSha1 && alg != HashAlg::kSha256;
}

// OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest,
//   optionalSignature [0] EXPLICIT Signature OPTIONAL }   (RFC 6960 4.1.1)
ParseError ParseRequest(der::Bytes der, Request* out) {
  *out = Request{};
  ParseState st{out};
  der::Reader input(der);
  der::Reader request;
  der::Reader tbs;
  if (!input.ReadSequence(&request) || !input.empty()) return ParseError::kMalformed;
  if (!request.ReadSequence(&tbs) || !ParseTbsRequest(tbs, &st)) return ParseError::kMalformed;
  der::Reader signature;
  if (!request.ReadOptionalConstructed(kSignatureTag, &signature, &out->has_signature)) {
    return ParseError::kMalformed;
  }
  if (out->has_signature && !ParseSignature(signature)) return ParseError::kMalformed;
  if (!request.empty()) return ParseError::kMalformed;
  if (out->cert_id_count == 0) return ParseError::kNoCertIds;
  if (out->cert_id_count > kMaxCertIdsPerRequest) {
    out->cert_id_count = kMaxCertIdsPerRequest;  // never index past the array
    return ParseError::kTooManyCertIds;
  }
  return st.soft;
}

}  // namespace keyward::ocsp
