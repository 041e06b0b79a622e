#include "bench/load/corpus.h"

#include <openssl/ocsp.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/load/ocsp_request_builder.h"
#include "shared/openssl/ptr.h"

namespace keyward::bench {
namespace {

std::optional<ocsp::HashAlg> AlgFromNid(int nid) {
  switch (nid) {
    case NID_sha1:
      return ocsp::HashAlg::kSha1;
    case NID_sha256:
      return ocsp::HashAlg::kSha256;
    case NID_sha384:
      return ocsp::HashAlg::kSha384;
    case NID_sha512:
      return ocsp::HashAlg::kSha512;
    default:
      return std::nullopt;
  }
}

std::string SerialHexOf(const ASN1_INTEGER* serial) {
  openssl::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return "";
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return "";
  std::string out = hex;
  OPENSSL_free(hex);
  return out;
}

}  // namespace

std::optional<ocsp::CertStatus> StatusFromName(std::string_view name) {
  if (name == "good") return ocsp::CertStatus::kGood;
  if (name == "revoked") return ocsp::CertStatus::kRevoked;
  if (name == "unknown") return ocsp::CertStatus::kUnknown;
  return std::nullopt;
}

const char* StatusName(ocsp::CertStatus status) {
  switch (status) {
    case ocsp::CertStatus::kGood:
      return "good";
    case ocsp::CertStatus::kRevoked:
      return "revoked";
    case ocsp::CertStatus::kUnknown:
      return "unknown";
  }
  return "?";
}

bool Corpus::Add(const std::string& request_der, ocsp::CertStatus expected) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(request_der.data());
  openssl::OcspRequestPtr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request_der.size())));
  if (!req || OCSP_request_onereq_count(req.get()) < 1) {
    openssl::DrainErrors();
    return false;
  }
  OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req.get(), 0));
  ASN1_OBJECT* md = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (OCSP_id_get0_info(nullptr, &md, nullptr, &serial, id) != 1) return false;
  std::optional<ocsp::HashAlg> alg = AlgFromNid(OBJ_obj2nid(md));
  if (!alg) return false;
  unsigned char* der = nullptr;
  int len = i2d_OCSP_CERTID(id, &der);
  if (len <= 0) return false;
  CorpusEntry e;
  e.expected = expected;
  e.alg = *alg;
  e.serial_hex = SerialHexOf(serial);
  e.cert_id_der.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  BuildRequest(e.cert_id_der, {}, &e.post_body);
  e.get_target = GetTarget(e.post_body);
  pools_[static_cast<size_t>(expected)][static_cast<size_t>(*alg) - 1].push_back(
      static_cast<uint32_t>(entries_.size()));
  entries_.push_back(std::move(e));
  return true;
}

Result<Corpus> Corpus::Load(const std::string& path) {
  namespace fs = std::filesystem;
  Corpus corpus;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const fs::directory_entry& f : fs::directory_iterator(path, ec)) {
      if (f.path().extension() != ".der") continue;
      std::string name = f.path().filename().string();
      std::optional<ocsp::CertStatus> status = StatusFromName(name.substr(0, name.find('-')));
      if (!status)
        return Fail(f.path().string() + ": name must start with good-, revoked- or unknown-");
      std::ifstream in(f.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      if (!corpus.Add(ss.str(), *status)) return Fail(f.path().string() + ": not an OCSP request");
    }
  } else {
    std::ifstream in(path);
    if (!in) return Fail(path + ": cannot open");
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.empty() || line[0] == '#') continue;
      size_t space = line.find(' ');
      std::optional<ocsp::CertStatus> status = StatusFromName(line.substr(0, space));
      std::string der;
      if (space == std::string::npos || !status || !Base64Decode(line.substr(space + 1), &der) ||
          !corpus.Add(der, *status)) {
        return Fail(path + ":" + std::to_string(lineno) + ": expected '<status> <base64 request>'");
      }
    }
  }
  if (ec) return Fail(path + ": " + ec.message());
  if (corpus.entries_.empty()) return Fail(path + ": no requests");
  return corpus;
}

Result<void> MixPicker::Check() const {
  const std::pair<ocsp::CertStatus, double> weights[] = {
      {ocsp::CertStatus::kGood, mix_.good},
      {ocsp::CertStatus::kRevoked, mix_.revoked},
      {ocsp::CertStatus::kUnknown, mix_.unknown}};
  if (mix_.good + mix_.revoked + mix_.unknown <= 0) return Fail("the mix has no weight");
  for (auto [status, w] : weights) {
    if (w <= 0) continue;
    if (mix_.sha256_fraction < 1 && corpus_.Pool(status, ocsp::HashAlg::kSha1).empty()) {
      return Fail("corpus has no SHA-1 " + std::string(StatusName(status)) + " requests");
    }
    if (mix_.sha256_fraction > 0 && corpus_.Pool(status, ocsp::HashAlg::kSha256).empty()) {
      return Fail("corpus has no SHA-256 " + std::string(StatusName(status)) + " requests");
    }
  }
  return {};
}

uint32_t MixPicker::Pick(std::mt19937_64& rng) const {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double total = mix_.good + mix_.revoked + mix_.unknown;
  double x = u(rng) * total;
  ocsp::CertStatus status = x < mix_.good                  ? ocsp::CertStatus::kGood
                            : x < mix_.good + mix_.revoked ? ocsp::CertStatus::kRevoked
                                                           : ocsp::CertStatus::kUnknown;
  ocsp::HashAlg alg = u(rng) < mix_.sha256_fraction ? ocsp::HashAlg::kSha256 : ocsp::HashAlg::kSha1;
  const std::vector<uint32_t>& pool = corpus_.Pool(status, alg);
  return pool[rng() % pool.size()];
}

Result<RequestMix> ParseMix(const std::string& text, RequestMix mix) {
  mix.good = mix.revoked = mix.unknown = 0;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) return Fail("mix item '" + item + "' is not name=weight");
    std::string name = item.substr(0, eq);
    double w = 0;
    try {
      w = std::stod(item.substr(eq + 1));
    } catch (const std::exception&) {
      return Fail("mix weight '" + item + "' is not a number");
    }
    if (w < 0) return Fail("mix weight '" + item + "' is negative");
    if (name == "good")
      mix.good = w;
    else if (name == "revoked")
      mix.revoked = w;
    else if (name == "unknown")
      mix.unknown = w;
    else
      return Fail("mix names are good, revoked and unknown, not '" + name + "'");
  }
  return mix;
}

}  // namespace keyward::bench
