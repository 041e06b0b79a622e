#include "bench/load/sample_verifier.h"

#include <openssl/pem.h>

#include <cstdio>

namespace keyward::bench {
namespace {

std::string WithErrors(std::string what) {
  std::string detail = openssl::DrainErrors();
  if (!detail.empty()) what += " (" + detail + ")";
  return what;
}

}  // namespace

Result<SampleVerifier> SampleVerifier::Create(const std::string& ca_cert_path) {
  SampleVerifier v;
  FILE* f = std::fopen(ca_cert_path.c_str(), "r");
  if (f == nullptr) return Fail(ca_cert_path + ": cannot open");
  v.ca_.reset(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!v.ca_) return Fail(WithErrors(ca_cert_path + ": not a PEM certificate"));
  v.store_.reset(X509_STORE_new());
  if (!v.store_ || X509_STORE_add_cert(v.store_.get(), v.ca_.get()) != 1) {
    return Fail(WithErrors("X509_STORE setup failed"));
  }
  return v;
}

std::string SampleVerifier::VerifyOne(const CorpusEntry& entry, const Sample& s, NonceCheck nonce,
                                      bool* nonce_echoed) const {
  *nonce_echoed = false;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.response.data());
  openssl::OcspResponsePtr resp(
      d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(s.response.size())));
  if (!resp) return WithErrors("answer is not an OCSPResponse");
  int rs = OCSP_response_status(resp.get());
  if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return "responseStatus " + std::to_string(rs) + " (" + OCSP_response_status_str(rs) + ")";
  }
  openssl::OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  if (!basic) return WithErrors("no BasicOCSPResponse");
  if (OCSP_basic_verify(basic.get(), nullptr, store_.get(), 0) != 1) {
    return WithErrors("signature does not verify against the CA");
  }
  p = reinterpret_cast<const unsigned char*>(entry.cert_id_der.data());
  openssl::OcspCertIdPtr id(
      d2i_OCSP_CERTID(nullptr, &p, static_cast<long>(entry.cert_id_der.size())));
  if (!id) return WithErrors("corpus CertID does not parse");
  int status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *rev = nullptr, *this_upd = nullptr, *next_upd = nullptr;
  if (OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &rev, &this_upd, &next_upd) !=
      1) {
    return WithErrors("answer has no SingleResponse for the requested CertID");
  }
  int want = entry.expected == ocsp::CertStatus::kGood      ? V_OCSP_CERTSTATUS_GOOD
             : entry.expected == ocsp::CertStatus::kRevoked ? V_OCSP_CERTSTATUS_REVOKED
                                                            : V_OCSP_CERTSTATUS_UNKNOWN;
  if (status != want) {
    return std::string("status ") + OCSP_cert_status_str(status) + ", expected " +
           StatusName(entry.expected) + " for serial " + entry.serial_hex;
  }
  if (OCSP_check_validity(this_upd, next_upd, 300, -1) != 1) {
    return WithErrors("thisUpdate/nextUpdate window does not hold now");
  }
  if (s.had_nonce) {
    p = reinterpret_cast<const unsigned char*>(s.request.data());
    openssl::OcspRequestPtr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(s.request.size())));
    if (!req) return WithErrors("sent request does not parse");
    // 1: both present and equal; -1: the answer has none; 0: they differ.
    int n = OCSP_check_nonce(req.get(), basic.get());
    if (n == 1) {
      *nonce_echoed = true;
    } else if (n == 0) {
      return "nonce in the answer differs from the request's";
    } else if (nonce == NonceCheck::kRequire) {
      return "nonce not echoed";
    }
  }
  openssl::DrainErrors();
  return "";
}

void SampleVerifier::Verify(const Corpus& corpus, const std::vector<Sample>& samples,
                            NonceCheck nonce, VerifyReport* report) const {
  for (const Sample& s : samples) {
    bool echoed = false;
    std::string why = VerifyOne(corpus.entries()[s.entry], s, nonce, &echoed);
    ++report->checked;
    if (s.had_nonce) (echoed ? report->nonce_echoed : report->nonce_missing)++;
    if (!why.empty()) {
      ++report->wrong;
      if (report->first_errors.size() < 10) report->first_errors.push_back(why);
    }
  }
}

}  // namespace keyward::bench
