#pragma once
// TestPki: a throwaway Keyward CA for tests, made the way `keyward ca init`
// makes one (pki::InitCa) in its own temporary directory, plus leaf
// certificates issued from fresh keys and CSRs with pki::Issue. Typical use:
//
//   class MyTest : public ::testing::Test {
//    protected:
//     void SetUp() override { ASSERT_TRUE(pki_.Create()); }
//     test::TestPki pki_;  // ec-p256 CA and OCSP signer, RSA RA
//   };
//   Result<test::TestPki::Leaf> leaf = pki_.IssueLeaf("device1");
//   ... pki_.ca() (loaded CaMaterial), pki_.config() (its CaConfig),
//   ... leaf->cert_path, pki_.ca_cert_path(), pki_.CaToml() for a config file
//
// The directory and everything in it is removed by the destructor.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/openssl/ptr.h"
#include "shared/pki/ca_material.h"
#include "shared/pki/cert_issuer.h"
#include "shared/result.h"
#include "shared/store/record.h"

namespace keyward::test {

class TestPki {
 public:
  // Every member has an initializer, so designated initializers
  // (Options{.key_type = "rsa-2048"}) compile without warnings.
  struct Options {
    std::string name = "test";                        // [[ca]] name
    std::string key_type = "ec-p256";                 // the CA key (rsa-2048, ...)
    std::string signer_key_type = "ec-p256";          // the delegated OCSP signer key
    bool delegated_signer = true;                     // false: the CA signs its own responses
    bool ra = true;                                   // make the RSA RA (SCEP) pair
    std::string device_id{};                          // [[ca]] device_id rule, "" for none
    std::string ocsp_url = "http://127.0.0.1:8080/";  // AIA in leaves; "" for none
  };

  // A leaf certificate and where it was written.
  struct Leaf {
    openssl::X509Ptr cert;
    openssl::EvpPkeyPtr key;
    store::CertRecord record;  // from Issue, device_id filled by the CA's rule
    std::string cert_path;     // PEM
    std::string key_path;      // PKCS#8 PEM
  };

  struct LeafOptions {
    std::string cn{};                     // CSR subject CN; default: the file stem
    std::string key_type = "ec-p256";     // the leaf's own key
    std::vector<std::string> dns_sans{};  // requested in the CSR
    std::vector<std::string> uri_sans{};  // requested in the CSR
    pki::IssueProfile profile{};          // passed to Issue as is
    int64_t now = 0;                      // 0: the current time
  };

  TestPki();
  explicit TestPki(Options options);
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // Create makes the directory, runs InitCa and loads the result with
  // KeyUse::kIssuing. Call once.
  ::testing::AssertionResult Create();

  // IssueLeaf makes a fresh key and CSR, issues it with the test CA and
  // writes <dir>/<stem>.pem and <dir>/<stem>.key.
  Result<Leaf> IssueLeaf(const std::string& stem, const LeafOptions& options);
  Result<Leaf> IssueLeaf(const std::string& stem) { return IssueLeaf(stem, LeafOptions{}); }

  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& file) const { return dir_ + "/" + file; }
  const config::CaConfig& config() const { return config_; }
  pki::CaMaterial& ca() { return ca_; }
  const std::string& ca_cert_path() const { return config_.cert; }
  const Options& options() const { return options_; }
  // CaToml: this CA as a [[ca]] table for a Keyward config file.
  std::string CaToml() const;

 private:
  Options options_;
  std::string dir_;
  config::CaConfig config_;
  pki::CaMaterial ca_;
};

// MakeCsr builds a CSR for `key` with subject CN=`cn` (none when empty) and
// the given subjectAltNames in its extensionRequest, self-signed.
Result<openssl::X509ReqPtr> MakeCsr(EVP_PKEY* key, const std::string& cn,
                                    const std::vector<std::string>& dns_sans = {},
                                    const std::vector<std::string>& uri_sans = {});

}  // namespace keyward::test
