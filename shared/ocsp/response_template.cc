#include "shared/ocsp/response_template.h"

#include <array>
#include <vector>

#include "shared/der/reader.h"
#include "shared/der/writer.h"
#include "shared/ocsp/openssl_response_builder.h"
#include "shared/ocsp/response_envelope.h"

namespace keyward::ocsp {
namespace {

constexpr size_t kTimeSize = der::kGeneralizedTimeTlvSize;
// Signatures up to RSA-4096 fit on the stack.
constexpr size_t kMaxSignature = 1024;

// id-pkix-ocsp-nonce (1.3.6.1.5.5.7.48.1.2), as an OID TLV.
constexpr uint8_t kNonceOid[] = {0x06, 0x09, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02};
// Extension { id-pkix-ocsp-extended-revoke (1.3.6.1.5.5.7.48.1.9), extnValue NULL }.
constexpr uint8_t kExtendedRevoke[] = {0x30, 0x0F, 0x06, 0x09, 0x2B, 0x06, 0x01, 0x05, 0x05,
                                       0x07, 0x30, 0x01, 0x09, 0x04, 0x02, 0x05, 0x00};

size_t RevokedInfoSize(const SingleAnswer& a) {
  return kTimeSize + (a.reason != RevocationReason::kNone ? 5 : 0);
}

size_t CertStatusSize(const SingleAnswer& a) {
  return a.status == CertStatus::kRevoked ? der::TlvSize(RevokedInfoSize(a)) : 2;
}

// SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate,
//   nextUpdate [0] EXPLICIT GeneralizedTime }
size_t SingleSize(const SingleAnswer& a) {
  return a.cert_id.size() + CertStatusSize(a) + kTimeSize + der::TlvSize(kTimeSize);
}

void PutSingle(uint8_t*& p, const SingleAnswer& a, const Validity& v) {
  der::PutHeader(p, 0x30, SingleSize(a));
  der::PutBytes(p, a.cert_id);
  switch (a.status) {
    case CertStatus::kGood:
      *p++ = 0x80;  // good [0] IMPLICIT NULL
      *p++ = 0x00;
      break;
    case CertStatus::kRevoked:
      der::PutHeader(p, 0xA1, RevokedInfoSize(a));  // revoked [1] IMPLICIT RevokedInfo
      der::PutGeneralizedTime(p, a.revoked_at);
      if (a.reason != RevocationReason::kNone) {
        const uint8_t reason[] = {0xA0, 0x03, 0x0A, 0x01, static_cast<uint8_t>(a.reason)};
        der::PutBytes(p, reason);
      }
      break;
    case CertStatus::kUnknown:
      *p++ = 0x82;  // unknown [2] IMPLICIT NULL
      *p++ = 0x00;
      break;
  }
  der::PutGeneralizedTime(p, v.now - v.backdate_s);
  der::PutHeader(p, 0xA0, kTimeSize);
  der::PutGeneralizedTime(p, v.now + v.validity_s);
}

// A CertID that only serves to make OpenSSL build one sample response:
// SHA-1, zero hashes, serial 1.
std::vector<uint8_t> SampleCertId() {
  std::vector<uint8_t> id = {0x30, 0x3A, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E,
                             0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14};
  id.insert(id.end(), 20, 0);
  id.insert(id.end(), {0x04, 0x14});
  id.insert(id.end(), 20, 0);
  id.insert(id.end(), {0x02, 0x01, 0x01});
  return id;
}

// The scratch buffer each thread encodes ResponseData into before signing
// it; it keeps its capacity, so steady-state encoding does not allocate.
std::vector<uint8_t>& Scratch() {
  thread_local std::vector<uint8_t> buffer;
  return buffer;
}

}  // namespace

Result<std::unique_ptr<ResponseTemplate>> ResponseTemplate::Learn(const pki::CaMaterial& ca) {
  if (!ca.signer_cert || !ca.signer_key) return Fail("CA '" + ca.name + "' has no OCSP signer");
  Result<std::unique_ptr<pki::PrehashSigner>> signer =
      pki::PrehashSigner::Create(ca.signer_key.get());
  if (!signer) return Fail(signer.error());
  if ((*signer)->max_signature_size() > kMaxSignature) return Fail("signer key too large");

  const std::vector<uint8_t> id = SampleCertId();
  const SingleAnswer sample{der::Bytes(id.data(), id.size()), CertStatus::kGood};
  Result<std::string> built = BuildWithOpenssl(ca, std::span(&sample, 1), {}, false, Validity{});
  if (!built) return Fail(built.error());

  // OCSPResponse { status, [0] { SEQUENCE { oid, OCTET STRING { Basic } } } }
  der::Reader top(der::Bytes(reinterpret_cast<const uint8_t*>(built->data()), built->size()));
  der::Reader resp, explicit_bytes, bytes, basic_reader, tbs;
  der::Bytes unused, basic;
  if (!top.ReadSequence(&resp) || !resp.ReadElement(der::tag::kEnumerated, &unused) ||
      !resp.ReadConstructed(der::tag::kContextConstructed | 0, &explicit_bytes) ||
      !explicit_bytes.ReadSequence(&bytes) || !bytes.ReadOid(&unused) ||
      !bytes.ReadOctetString(&basic)) {
    return Fail("sample response does not parse");
  }
  // BasicOCSPResponse { tbsResponseData, signatureAlgorithm, signature, [0] certs }
  // ResponseData { responderID, producedAt, responses } (v1: no version)
  basic_reader = der::Reader(basic);
  der::Reader basic_seq;
  der::Bytes responder_id, sig_alg, certs;
  uint8_t tag = 0;
  if (!basic_reader.ReadSequence(&basic_seq) || !basic_seq.ReadSequence(&tbs) ||
      !tbs.ReadAny(&tag, &unused, &responder_id) || tag != (der::tag::kContextConstructed | 2) ||
      !basic_seq.ReadAny(&tag, &unused, &sig_alg) || tag != der::tag::kSequence ||
      !basic_seq.ReadElement(der::tag::kBitString, &unused)) {
    return Fail("sample response does not parse");
  }
  if (!basic_seq.empty() &&
      (!basic_seq.ReadAny(&tag, &unused, &certs) || tag != der::tag::kContextConstructed)) {
    return Fail("sample response does not parse");
  }
  std::unique_ptr<ResponseTemplate> t(new ResponseTemplate());
  t->signer_ = std::move(*signer);
  t->responder_id_ = {responder_id.begin(), responder_id.end()};
  t->signature_alg_ = {sig_alg.begin(), sig_alg.end()};
  t->certs_ = {certs.begin(), certs.end()};
  return t;
}

Result<std::string> ResponseTemplate::Encode(std::span<const SingleAnswer> answers,
                                             der::Bytes nonce, bool extended_revoked,
                                             const Validity& v) const {
  size_t responses = 0;
  for (const SingleAnswer& a : answers) responses += der::TlvSize(SingleSize(a));
  const size_t nonce_ext = nonce.empty() ? 0 : sizeof(kNonceOid) + der::TlvSize(nonce.size());
  const size_t extensions = (nonce.empty() ? 0 : der::TlvSize(nonce_ext)) +
                            (extended_revoked ? sizeof(kExtendedRevoke) : 0);
  const size_t tbs_body = responder_id_.size() + kTimeSize + der::TlvSize(responses) +
                          (extensions != 0 ? der::TlvSize(der::TlvSize(extensions)) : 0);
  const size_t tbs_size = der::TlvSize(tbs_body);

  // ResponseData, into the scratch buffer.
  std::vector<uint8_t>& tbs = Scratch();
  tbs.resize(tbs_size);
  uint8_t* p = tbs.data();
  der::PutHeader(p, 0x30, tbs_body);
  der::PutBytes(p, responder_id_);
  der::PutGeneralizedTime(p, v.now);  // producedAt
  der::PutHeader(p, 0x30, responses);
  for (const SingleAnswer& a : answers) PutSingle(p, a, v);
  if (extensions != 0) {
    der::PutHeader(p, 0xA1, der::TlvSize(extensions));  // responseExtensions [1] EXPLICIT
    der::PutHeader(p, 0x30, extensions);
    if (!nonce.empty()) {
      der::PutHeader(p, 0x30, nonce_ext);
      der::PutBytes(p, kNonceOid);
      der::PutHeader(p, 0x04, nonce.size());
      der::PutBytes(p, nonce);
    }
    if (extended_revoked) der::PutBytes(p, kExtendedRevoke);
  }
  if (p != tbs.data() + tbs.size()) return Fail("ResponseData size mismatch");

  std::array<uint8_t, kMaxSignature> signature;
  Result<size_t> sig_len = signer_->Sign(tbs, signature.data());
  if (!sig_len) return Fail(sig_len.error());

  const size_t basic_body =
      tbs_size + signature_alg_.size() + der::TlvSize(1 + *sig_len) + certs_.size();
  const size_t basic_size = der::TlvSize(basic_body);
  std::string out(OcspResponseSize(basic_size), '\0');
  auto* w = reinterpret_cast<uint8_t*>(out.data());
  PutOcspResponseHeader(w, basic_size);
  der::PutHeader(w, 0x30, basic_body);
  der::PutBytes(w, tbs);
  der::PutBytes(w, signature_alg_);
  der::PutHeader(w, 0x03, 1 + *sig_len);
  *w++ = 0x00;  // no unused bits
  der::PutBytes(w, der::Bytes(signature.data(), *sig_len));
  der::PutBytes(w, certs_);
  if (w != reinterpret_cast<uint8_t*>(out.data()) + out.size()) {
    return Fail("OCSPResponse size mismatch");
  }
  return out;
}

}  // namespace keyward::ocsp
