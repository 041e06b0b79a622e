#include "shared/scep/envelope_info.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "shared/openssl/ptr.h"

namespace keyward::scep {
namespace {

// Tlv: one element found by Next; `body` spans its contents.
struct Tlv {
  int tag = 0;
  int cls = 0;
  const unsigned char* start = nullptr;  // first byte of the whole TLV
  const unsigned char* body = nullptr;
  const unsigned char* end = nullptr;  // one past the contents
};

// Next reads one definite-length TLV at *p (bounded by end) and moves past it.
bool Next(const unsigned char** p, const unsigned char* end, Tlv* t) {
  if (*p >= end) return false;
  const unsigned char* q = *p;
  long len = 0;
  int tag = 0;
  int cls = 0;
  int ret = ASN1_get_object(&q, &len, &tag, &cls, end - *p);
  if ((ret & 0x80) != 0 || ret == 0x21) return false;  // error, or indefinite length
  if (len < 0 || len > end - q) return false;
  t->tag = tag;
  t->cls = cls;
  t->start = *p;
  t->body = q;
  t->end = q + len;
  *p = t->end;
  return true;
}

int OidNid(const Tlv& t) {
  if (t.cls != V_ASN1_UNIVERSAL || t.tag != V_ASN1_OBJECT) return NID_undef;
  const unsigned char* q = t.start;
  ASN1_OBJECT* obj = d2i_ASN1_OBJECT(nullptr, &q, t.end - t.start);
  if (obj == nullptr) return NID_undef;
  int nid = OBJ_obj2nid(obj);
  ASN1_OBJECT_free(obj);
  return nid;
}

bool IsSequence(const Tlv& t) { return t.cls == V_ASN1_UNIVERSAL && t.tag == V_ASN1_SEQUENCE; }

// AlgorithmNid: the OID of an AlgorithmIdentifier SEQUENCE.
int AlgorithmNid(const Tlv& alg) {
  if (!IsSequence(alg)) return NID_undef;
  const unsigned char* p = alg.body;
  Tlv oid;
  if (!Next(&p, alg.end, &oid)) return NID_undef;
  return OidNid(oid);
}

// RecipientUsesOaep: a KeyTransRecipientInfo whose keyEncryptionAlgorithm is
// RSAES-OAEP. Other recipient kinds are tagged, not SEQUENCEs.
bool RecipientUsesOaep(const Tlv& ri) {
  if (!IsSequence(ri)) return false;
  const unsigned char* p = ri.body;
  Tlv version, rid, alg;
  if (!Next(&p, ri.end, &version) || !Next(&p, ri.end, &rid) || !Next(&p, ri.end, &alg)) {
    return false;
  }
  return AlgorithmNid(alg) == NID_rsaesOaep;
}

bool ReadDer(const unsigned char* p, const unsigned char* end, EnvelopeInfo* out) {
  Tlv content_info, type, explicit0, env;
  if (!Next(&p, end, &content_info) || !IsSequence(content_info)) return false;
  p = content_info.body;
  if (!Next(&p, content_info.end, &type) || OidNid(type) != NID_pkcs7_enveloped) return false;
  if (!Next(&p, content_info.end, &explicit0) || explicit0.cls != V_ASN1_CONTEXT_SPECIFIC) {
    return false;
  }
  p = explicit0.body;
  if (!Next(&p, explicit0.end, &env) || !IsSequence(env)) return false;
  p = env.body;
  Tlv version, item;
  if (!Next(&p, env.end, &version)) return false;
  if (!Next(&p, env.end, &item)) return false;
  if (item.cls == V_ASN1_CONTEXT_SPECIFIC && item.tag == 0) {  // originatorInfo
    if (!Next(&p, env.end, &item)) return false;
  }
  if (item.cls != V_ASN1_UNIVERSAL || item.tag != V_ASN1_SET) return false;
  const unsigned char* r = item.body;
  Tlv ri;
  while (r < item.end && Next(&r, item.end, &ri)) out->oaep = out->oaep || RecipientUsesOaep(ri);
  Tlv eci, eci_type, alg;
  if (!Next(&p, env.end, &eci) || !IsSequence(eci)) return false;
  p = eci.body;
  if (!Next(&p, eci.end, &eci_type) || !Next(&p, eci.end, &alg)) return false;
  out->cipher_nid = AlgorithmNid(alg);
  return out->cipher_nid != NID_undef;
}

}  // namespace

bool ReadEnvelopeInfo(der::Bytes der, EnvelopeInfo* out) {
  const unsigned char* p = der.data();
  openssl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (cms == nullptr) {
    *out = EnvelopeInfo();
    return false;
  }
  return ReadEnvelopeInfo(der, cms.get(), out);
}

bool ReadEnvelopeInfo(der::Bytes der, CMS_ContentInfo* parsed, EnvelopeInfo* out) {
  *out = EnvelopeInfo();
  // Most clients send DER, which is walked as it is.
  if (ReadDer(der.data(), der.data() + der.size(), out)) return true;
  // Clients may send BER (indefinite lengths); OpenSSL reads it, and
  // re-encoding gives DER with definite lengths to walk.
  *out = EnvelopeInfo();
  unsigned char* encoded = nullptr;
  int len = i2d_CMS_ContentInfo(parsed, &encoded);
  if (len <= 0) return false;
  bool ok = ReadDer(encoded, encoded + len, out);
  OPENSSL_free(encoded);
  return ok;
}

}  // namespace keyward::scep
