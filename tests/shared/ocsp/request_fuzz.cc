// ParseRequest on arbitrary bytes. Beyond "no crash", it checks the output
// invariants and cross-checks OpenSSL: whatever we accept, d2i_OCSP_REQUEST
// must parse too, to the same CertIDs. Documented exception: we check only
// the shape of requestorName and of the signature (we use neither), while
// OpenSSL decodes the GeneralName and the certificates inside; a request with
// either is not cross-checked when OpenSSL rejects it.
#include <openssl/ocsp.h>

#include <cstdint>
#include <cstdlib>

#include "shared/der/reader.h"
#include "shared/ocsp/request.h"
#include "shared/openssl/ptr.h"

namespace {

using keyward::der::Bytes;
using keyward::der::Reader;
namespace ocsp = keyward::ocsp;

void Check(bool ok) {
  if (!ok) abort();
}

bool Inside(Bytes b, const uint8_t* begin, size_t size) {
  return b.empty() || (b.data() >= begin && b.data() + b.size() <= begin + size);
}

// HasRequestorName: the TBSRequest carries [1] requestorName.
bool HasRequestorName(Bytes der) {
  Reader in(der);
  Reader req;
  Reader tbs;
  Reader skip;
  bool present = false;
  uint8_t tag = 0;
  return in.ReadSequence(&req) && req.ReadSequence(&tbs) &&
         tbs.ReadOptionalConstructed(0xA0, &skip, &present) && tbs.PeekTag(&tag) && tag == 0xA1;
}

void CrossCheck(const uint8_t* data, size_t size, const ocsp::Request& ours) {
  const unsigned char* p = data;
  keyward::openssl::OcspRequestPtr theirs(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(size)));
  keyward::openssl::DrainErrors();
  if (!theirs) {
    Check(ours.has_signature || HasRequestorName(Bytes(data, size)));
    return;
  }
  Check(p == data + size);  // we reject trailing bytes, so OpenSSL must have used them all
  Check(static_cast<size_t>(OCSP_request_onereq_count(theirs.get())) == ours.cert_id_count);
  for (size_t i = 0; i < ours.cert_id_count; ++i) {
    OCSP_CERTID* cid =
        OCSP_onereq_get0_id(OCSP_request_onereq_get0(theirs.get(), static_cast<int>(i)));
    Check(cid != nullptr);
    ASN1_OCTET_STRING* name_hash = nullptr;
    ASN1_OBJECT* md = nullptr;
    ASN1_OCTET_STRING* key_hash = nullptr;
    ASN1_INTEGER* serial = nullptr;
    Check(OCSP_id_get0_info(&name_hash, &md, &key_hash, &serial, cid) == 1);
    const ocsp::CertId& id = ours.cert_ids[i];
    Check(keyward::der::Equal(
        id.name_hash, Bytes(ASN1_STRING_get0_data(name_hash), ASN1_STRING_length(name_hash))));
    Check(keyward::der::Equal(
        id.key_hash, Bytes(ASN1_STRING_get0_data(key_hash), ASN1_STRING_length(key_hash))));
    unsigned char* cid_der = nullptr;
    int cid_len = i2d_OCSP_CERTID(cid, &cid_der);
    Check(cid_len > 0);
    Check(keyward::der::Equal(id.raw, Bytes(cid_der, static_cast<size_t>(cid_len))));
    OPENSSL_free(cid_der);
  }
  Check((OCSP_request_is_signed(theirs.get()) == 1) == ours.has_signature);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ocsp::Request req;
  ocsp::ParseError err = ocsp::ParseRequest(Bytes(data, size), &req);
  Check(req.cert_id_count <= ocsp::kMaxCertIdsPerRequest);
  if (err != ocsp::ParseError::kOk) return 0;
  Check(req.cert_id_count >= 1);
  for (size_t i = 0; i < req.cert_id_count; ++i) {
    const ocsp::CertId& id = req.cert_ids[i];
    Check(id.name_hash.size() == ocsp::HashLength(id.hash));
    Check(id.key_hash.size() == ocsp::HashLength(id.hash));
    Check(!id.serial.empty() && id.serial.size() <= ocsp::kMaxSerialBytes);
    Check(Inside(id.raw, data, size) && Inside(id.serial, data, size));
    char hex[2 * ocsp::kMaxSerialBytes];
    Check(ocsp::SerialHex(id.serial, hex) > 0);
  }
  if (req.nonce_state == ocsp::NonceState::kValid) {
    Check(req.nonce.size() >= ocsp::kMinNonceBytes && req.nonce.size() <= ocsp::kMaxNonceBytes);
    Check(Inside(req.nonce_extn_value, data, size));
  } else {
    Check(req.nonce_state == ocsp::NonceState::kAbsent);
  }
  CrossCheck(data, size, req);
  return 0;
}
