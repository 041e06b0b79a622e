#include "shared/scep/detached_certs.h"

#include <cstdint>

#include "shared/der/reader.h"
#include "shared/der/writer.h"

namespace keyward::scep {
namespace {

// id-signedData, 1.2.840.113549.1.7.2 (RFC 5652 5.1).
constexpr uint8_t kSignedDataOid[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02};
constexpr uint8_t kCertificatesTag = der::tag::kContextConstructed | 0;  // [0] IMPLICIT SET OF

// ReadTlv reads one element with `tag` and gives the whole TLV.
bool ReadTlv(der::Reader& in, uint8_t tag, der::Bytes* whole) {
  der::Bytes contents;
  return in.ReadElement(tag, &contents, whole);
}

}  // namespace

bool DetachCertificates(der::Bytes der, DetachedCerts* out) {
  out->message.clear();
  out->certs.clear();
  der::Reader top(der);
  der::Reader content_info, explicit0, signed_data, certs;
  der::Bytes oid, oid_tlv;
  if (!top.ReadSequence(&content_info) || !top.empty()) return false;
  if (!content_info.ReadElement(der::tag::kOid, &oid, &oid_tlv) ||
      !der::Equal(oid, der::Bytes(kSignedDataOid))) {
    return false;
  }
  if (!content_info.ReadConstructed(der::tag::kContextConstructed | 0, &explicit0) ||
      !content_info.empty() || !explicit0.ReadSequence(&signed_data) || !explicit0.empty()) {
    return false;
  }
  der::Bytes version, digest_algorithms, encap;
  bool present = false;
  if (!ReadTlv(signed_data, der::tag::kInteger, &version) ||
      !ReadTlv(signed_data, der::tag::kSet, &digest_algorithms) ||
      !ReadTlv(signed_data, der::tag::kSequence, &encap) ||
      !signed_data.ReadOptionalConstructed(kCertificatesTag, &certs, &present) || !present) {
    return false;
  }
  while (!certs.empty()) {
    der::Bytes cert;
    // Other CertificateChoices (attribute certificates) are tagged: not ours.
    if (!ReadTlv(certs, der::tag::kSequence, &cert)) return false;
    out->certs.push_back(cert);
  }
  // crls and signerInfos follow, copied unread: d2i_CMS_ContentInfo checks
  // them when it parses the result.
  der::Bytes rest = signed_data.rest();

  size_t signed_len = version.size() + digest_algorithms.size() + encap.size() + rest.size();
  size_t explicit_len = der::TlvSize(signed_len);
  size_t info_len = oid_tlv.size() + der::TlvSize(explicit_len);
  out->message.resize(der::TlvSize(info_len));
  auto* p = reinterpret_cast<uint8_t*>(out->message.data());
  der::PutHeader(p, der::tag::kSequence, info_len);
  der::PutBytes(p, oid_tlv);
  der::PutHeader(p, der::tag::kContextConstructed | 0, explicit_len);
  der::PutHeader(p, der::tag::kSequence, signed_len);
  der::PutBytes(p, version);
  der::PutBytes(p, digest_algorithms);
  der::PutBytes(p, encap);
  der::PutBytes(p, rest);
  return true;
}

}  // namespace keyward::scep
