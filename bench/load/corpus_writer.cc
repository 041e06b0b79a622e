#include "bench/load/corpus_writer.h"

#include <openssl/bn.h>
#include <openssl/ocsp.h>

#include "bench/load/corpus.h"
#include "bench/load/ocsp_request_builder.h"
#include "shared/openssl/ptr.h"

namespace keyward::bench {

std::string RequestFor(X509* issuer, std::string_view serial_hex, ocsp::HashAlg alg) {
  const EVP_MD* md = alg == ocsp::HashAlg::kSha1     ? EVP_sha1()
                     : alg == ocsp::HashAlg::kSha256 ? EVP_sha256()
                     : alg == ocsp::HashAlg::kSha384 ? EVP_sha384()
                                                     : EVP_sha512();
  std::string hex(serial_hex);
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) == 0) return "";
  openssl::BignumPtr bn(raw);
  openssl::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) return "";
  // OCSP_cert_id_new hashes the issuer name and the issuer key BIT STRING.
  openssl::OcspCertIdPtr id(OCSP_cert_id_new(md, X509_get_subject_name(issuer),
                                             X509_get0_pubkey_bitstr(issuer), serial.get()));
  if (!id) {
    openssl::DrainErrors();
    return "";
  }
  unsigned char* der = nullptr;
  int len = i2d_OCSP_CERTID(id.get(), &der);
  if (len <= 0) return "";
  std::string cert_id(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  std::string request;
  BuildRequest(cert_id, {}, &request);
  return request;
}

CorpusWriter::~CorpusWriter() {
  if (f_ != nullptr) std::fclose(f_);
}

Result<void> CorpusWriter::Open(const std::string& path) {
  path_ = path;
  f_ = std::fopen(path.c_str(), "w");
  if (f_ == nullptr) return Fail(path + ": cannot create");
  std::fputs("# keyward-bench corpus v1: <expected status> <base64 DER OCSPRequest>\n", f_);
  return {};
}

bool CorpusWriter::Add(ocsp::CertStatus expected, const std::string& request_der) {
  if (f_ == nullptr || request_der.empty()) return false;
  ++count_;
  return std::fprintf(f_, "%s %s\n", StatusName(expected), Base64(request_der).c_str()) > 0;
}

Result<void> CorpusWriter::Close() {
  if (f_ == nullptr) return Fail(path_ + ": not open");
  bool ok = std::fclose(f_) == 0;
  f_ = nullptr;
  if (!ok) return Fail(path_ + ": write failed");
  return {};
}

}  // namespace keyward::bench
