#include "shared/ocsp/issuer_cert_ids.h"

#include <openssl/ocsp.h>

#include "shared/der/reader.h"
#include "shared/der/writer.h"
#include "shared/openssl/ptr.h"

namespace keyward::ocsp {
namespace {

const EVP_MD* CertIdDigest(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return EVP_sha1();
    case HashAlg::kSha256:
      return EVP_sha256();
    case HashAlg::kSha384:
      return EVP_sha384();
    case HashAlg::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<IssuerCertIds> IssuerCertIds::For(X509* issuer) {
  IssuerCertIds ids;
  openssl::Asn1IntegerPtr one(ASN1_INTEGER_new());
  if (!one || ASN1_INTEGER_set(one.get(), 1) != 1) return Fail("out of memory");
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512}) {
    openssl::OcspCertIdPtr id(OCSP_cert_id_new(CertIdDigest(alg), X509_get_subject_name(issuer),
                                               X509_get0_pubkey_bitstr(issuer), one.get()));
    const int len = id ? i2d_OCSP_CERTID(id.get(), nullptr) : -1;
    if (len <= 0) return Fail("CertID: " + openssl::DrainErrors());
    std::vector<uint8_t> encoded(static_cast<size_t>(len));
    unsigned char* w = encoded.data();
    i2d_OCSP_CERTID(id.get(), &w);
    der::Reader top(encoded), seq;
    der::Bytes contents, alg_tlv, name_tlv, key_tlv;
    uint8_t tag = 0;
    if (!top.ReadSequence(&seq) || !seq.ReadAny(&tag, &contents, &alg_tlv) ||
        !seq.ReadAny(&tag, &contents, &name_tlv) || !seq.ReadAny(&tag, &contents, &key_tlv)) {
      return Fail("CertID does not parse");
    }
    std::vector<uint8_t>& prefix = ids.prefix_[static_cast<size_t>(alg) - 1];
    prefix.assign(alg_tlv.begin(), alg_tlv.end());
    prefix.insert(prefix.end(), name_tlv.begin(), name_tlv.end());
    prefix.insert(prefix.end(), key_tlv.begin(), key_tlv.end());
  }
  return ids;
}

Result<void> IssuerCertIds::Encode(HashAlg alg, std::string_view hex,
                                   std::vector<uint8_t>* out) const {
  if (hex.empty() || hex.size() > 2 * kMaxSerialBytes) return Fail("bad serial");
  // Value octets of the positive integer, most significant first.
  std::array<uint8_t, kMaxSerialBytes + 1> value{};
  // Walk pairs of digits from the right so an odd count leaves a lone
  // high digit.
  const size_t n = (hex.size() + 1) / 2;
  for (size_t k = 0; k < n; ++k) {
    const size_t lo_at = hex.size() - 1 - 2 * k;
    const int lo = HexValue(hex[lo_at]);
    const int hi = lo_at >= 1 ? HexValue(hex[lo_at - 1]) : 0;
    if (lo < 0 || hi < 0) return Fail("bad serial");
    value[n - 1 - k] = static_cast<uint8_t>(hi * 16 + lo);
  }
  // DER INTEGER: no leading zero octets, one 0x00 before a set high bit.
  size_t start = 0;
  while (start + 1 < n && value[start] == 0) ++start;
  const bool pad = (value[start] & 0x80) != 0;
  const size_t int_len = n - start + (pad ? 1 : 0);
  const std::vector<uint8_t>& prefix = prefix_[static_cast<size_t>(alg) - 1];
  const size_t body = prefix.size() + der::TlvSize(int_len);
  out->resize(der::TlvSize(body));
  uint8_t* p = out->data();
  der::PutHeader(p, 0x30, body);
  der::PutBytes(p, prefix);
  der::PutHeader(p, 0x02, int_len);
  if (pad) *p++ = 0x00;
  der::PutBytes(p, der::Bytes(value.data() + start, n - start));
  return {};
}

}  // namespace keyward::ocsp
