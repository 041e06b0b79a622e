#include "tests/support/test_pki.h"

#include <stdlib.h>

#include <ctime>
#include <filesystem>
#include <utility>

#include "shared/pki/ca_init.h"
#include "shared/pki/x509_build.h"

namespace keyward::test {
namespace {

void FreeExtensions(STACK_OF(X509_EXTENSION) * exts) {
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}
using ExtensionsPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), openssl::Free<FreeExtensions>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, openssl::Free<GENERAL_NAMES_free>>;

bool PushIa5Name(GENERAL_NAMES* names, int type, const std::string& value) {
  GENERAL_NAME* gn = GENERAL_NAME_new();
  ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
  if (gn == nullptr || ia5 == nullptr ||
      ASN1_STRING_set(ia5, value.data(), static_cast<int>(value.size())) != 1) {
    GENERAL_NAME_free(gn);
    ASN1_IA5STRING_free(ia5);
    return false;
  }
  GENERAL_NAME_set0_value(gn, type, ia5);
  if (sk_GENERAL_NAME_push(names, gn) <= 0) {
    GENERAL_NAME_free(gn);
    return false;
  }
  return true;
}

}  // namespace

Result<openssl::X509ReqPtr> MakeCsr(EVP_PKEY* key, const std::string& cn,
                                    const std::vector<std::string>& dns_sans,
                                    const std::vector<std::string>& uri_sans) {
  openssl::X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_pubkey(req.get(), key) != 1) {
    return Fail("CSR: " + openssl::DrainErrors());
  }
  if (!cn.empty() &&
      X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.data()),
                                 static_cast<int>(cn.size()), -1, 0) != 1) {
    return Fail("CSR subject: " + openssl::DrainErrors());
  }
  if (!dns_sans.empty() || !uri_sans.empty()) {
    GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
    if (!names) return Fail("out of memory");
    for (const std::string& dns : dns_sans) {
      if (!PushIa5Name(names.get(), GEN_DNS, dns)) return Fail("CSR SAN");
    }
    for (const std::string& uri : uri_sans) {
      if (!PushIa5Name(names.get(), GEN_URI, uri)) return Fail("CSR SAN");
    }
    ExtensionsPtr exts(sk_X509_EXTENSION_new_null());
    openssl::X509ExtPtr san(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
    if (!exts || !san || sk_X509_EXTENSION_push(exts.get(), san.get()) <= 0) {
      return Fail("CSR SAN: " + openssl::DrainErrors());
    }
    san.release();  // owned by `exts`
    if (X509_REQ_add_extensions(req.get(), exts.get()) != 1) {
      return Fail("CSR extensions: " + openssl::DrainErrors());
    }
  }
  const EVP_MD* md = nullptr;
  if (!pki::SignatureDigestFor(key, &md) || X509_REQ_sign(req.get(), key, md) <= 0) {
    return Fail("CSR sign: " + openssl::DrainErrors());
  }
  return req;
}

TestPki::TestPki() : TestPki(Options{}) {}

TestPki::TestPki(Options options) : options_(std::move(options)) {}

TestPki::~TestPki() {
  if (dir_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

::testing::AssertionResult TestPki::Create() {
  if (!dir_.empty()) return ::testing::AssertionFailure() << "TestPki::Create called twice";
  std::string base = std::filesystem::temp_directory_path().string() + "/keyward-pki-XXXXXX";
  if (mkdtemp(base.data()) == nullptr) {
    return ::testing::AssertionFailure() << "mkdtemp " << base << " failed";
  }
  dir_ = base;
  const std::string& n = options_.name;
  config_.name = n;
  config_.cert = Path(n + "-ca.pem");
  config_.key = Path(n + "-ca.key");
  config_.key_type = options_.key_type;
  config_.ocsp_signer_key_type = options_.signer_key_type;
  if (options_.delegated_signer) {
    config_.ocsp_signer_cert = Path(n + "-ocsp.pem");
    config_.ocsp_signer_key = Path(n + "-ocsp.key");
  }
  if (options_.ra) {
    config_.ra_cert = Path(n + "-ra.pem");
    config_.ra_key = Path(n + "-ra.key");
  }
  config_.device_id = options_.device_id;
  config_.ocsp_url = options_.ocsp_url;

  Result<std::vector<std::string>> created = pki::InitCa(config_);
  if (!created) return ::testing::AssertionFailure() << "InitCa: " << created.error();
  Result<pki::CaMaterial> ca = pki::LoadCa(config_, pki::KeyUse::kIssuing);
  if (!ca) return ::testing::AssertionFailure() << "LoadCa: " << ca.error();
  ca_ = std::move(*ca);
  return ::testing::AssertionSuccess();
}

Result<TestPki::Leaf> TestPki::IssueLeaf(const std::string& stem, const LeafOptions& options) {
  Leaf leaf;
  Result<openssl::EvpPkeyPtr> key = pki::GenerateKey(options.key_type);
  if (!key) return Fail(key.error());
  leaf.key = std::move(*key);
  std::string cn = options.cn.empty() ? stem : options.cn;
  Result<openssl::X509ReqPtr> csr = MakeCsr(leaf.key.get(), cn, options.dns_sans, options.uri_sans);
  if (!csr) return Fail(csr.error());
  int64_t now = options.now != 0 ? options.now : static_cast<int64_t>(std::time(nullptr));
  Result<pki::IssuedCert> issued =
      pki::Issue(ca_, csr->get(), options.profile, options_.ocsp_url, now);
  if (!issued) return Fail(issued.error());
  leaf.cert = std::move(issued->cert);
  leaf.record = std::move(issued->record);
  leaf.record.device_id = pki::DeviceIdOf(leaf.cert.get(), options_.device_id);
  leaf.cert_path = Path(stem + ".pem");
  leaf.key_path = Path(stem + ".key");
  Result<void> wrote = pki::WriteCertificateFile(leaf.cert_path, leaf.cert.get());
  if (!wrote) return Fail(wrote.error());
  wrote = pki::WritePrivateKeyFile(leaf.key_path, leaf.key.get());
  if (!wrote) return Fail(wrote.error());
  return leaf;
}

std::string TestPki::CaToml() const {
  auto line = [](const char* key, const std::string& value) {
    return value.empty() ? std::string() : std::string(key) + " = \"" + value + "\"\n";
  };
  return "[[ca]]\n" + line("name", config_.name) + line("cert", config_.cert) +
         line("key", config_.key) + line("ocsp_signer_cert", config_.ocsp_signer_cert) +
         line("ocsp_signer_key", config_.ocsp_signer_key) + line("ra_cert", config_.ra_cert) +
         line("ra_key", config_.ra_key) + line("device_id", config_.device_id) +
         line("ocsp_url", config_.ocsp_url);
}

}  // namespace keyward::test
