// The commented example in deploy/ must always load.
#include <gtest/gtest.h>

#include "shared/config/config.h"

namespace keyward::config {
namespace {

TEST(ExampleConfig, Loads) {
  Config cfg = Load(std::string(KEYWARD_TEST_DATA) + "/../../deploy/keyward.example.toml");
  ASSERT_EQ(cfg.cas.size(), 1u);
  EXPECT_EQ(cfg.cas[0].name, "demo");
  EXPECT_EQ(cfg.issuer.ca, "demo");
  EXPECT_EQ(cfg.ocsp.validity_s, 86400);
  EXPECT_EQ(cfg.cas[0].ocsp_url, "http://127.0.0.1:8080/");
}

}  // namespace
}  // namespace keyward::config
