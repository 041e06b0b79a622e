#pragma once
// PkiMessage: a client's SCEP pkiMessage (RFC 8894 3.2) decoded and checked:
// a CMS SignedData whose signer is verified against the certificate it
// carries (SCEP signers are self-signed or the client's old certificate, so no
// chain is checked here), whose SCEP attributes are read, and whose
// pkcsPKIEnvelope is decrypted with the RA key (or the CA's, when the CA is RSA).
#include <openssl/x509.h>

#include <span>
#include <string>

#include "shared/der/bytes.h"
#include "shared/openssl/ptr.h"
#include "shared/scep/types.h"

namespace keyward::scep {

// Decrypter: a certificate and key the envelope may be addressed to (borrowed).
struct Decrypter {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
};

// AlgorithmPolicy: which of the client's algorithms are accepted. MD5, RC2
// and 40/64-bit ciphers are always refused.
enum class WeakAlgorithms {
  kAccept,  // SHA-1, DES and 3DES too (old clients send them whatever the caps say)
  kRefuse,  // badAlg for SHA-1, DES and 3DES
};

struct PkiMessage {
  MessageType type = MessageType::kPkcsReq;
  std::string transaction_id;
  std::string sender_nonce;
  openssl::X509Ptr signer;     // the certificate that signed the message
  int digest_nid = NID_undef;  // the SignerInfo's digest: CertRep answers with it
  int cipher_nid = NID_undef;  // the envelope's content cipher: CertRep answers with it
  bool oaep = false;           // the key was transported with RSAES-OAEP
  std::string content;         // decrypted envelope content (DER)
  // PKCSReq, RenewalReq: the CSR, parsed without its public key being decoded
  // (pki::ParseCsrDeferringKey: X509_REQ_get0_pubkey is null), and that key,
  // decoded once; the CSR's self-signature is verified with it.
  openssl::X509ReqPtr csr;
  openssl::EvpPkeyPtr csr_key;
  std::string challenge;  // challengePassword as UTF-8; "" when absent
  // GetCert, GetCRL (IssuerAndSerialNumber); CertPoll (IssuerAndSubject):
  openssl::X509NamePtr issuer;
  openssl::Asn1IntegerPtr serial;
  openssl::X509NamePtr subject;
};

enum class DecodeStatus {
  kOk,
  // The message was readable (type, transactionID, senderNonce are set) but
  // is refused: answer a CertRep FAILURE with `fail_info`.
  kRefused,
  // Not a pkiMessage at all: answer HTTP 400.
  kMalformed,
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kMalformed;
  FailInfo fail_info = FailInfo::kBadRequest;
  std::string reason;  // for logs and the audit line
};

// DecodePkiMessage fills `out` from `der`. The envelope is decrypted with the
// first decrypter it is addressed to. Never throws; every OpenSSL error is
// drained.
DecodeResult DecodePkiMessage(der::Bytes der, std::span<const Decrypter> decrypters,
                              WeakAlgorithms weak, PkiMessage* out);

// ChallengeOf: the CSR's challengePassword as UTF-8 (PrintableString from
// Windows, UTF8String, IA5String or BMPString from others); "" when absent.
std::string ChallengeOf(X509_REQ* csr);

}  // namespace keyward::scep
