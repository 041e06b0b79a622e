#include "shared/ocsp/status.h"

#include <gtest/gtest.h>

namespace keyward::ocsp {
namespace {

TEST(StatusTest, CertStatusNamesRoundTrip) {
  for (CertStatus s : {CertStatus::kGood, CertStatus::kRevoked, CertStatus::kUnknown}) {
    EXPECT_EQ(CertStatusFromName(CertStatusName(s)), s);
  }
  EXPECT_EQ(CertStatusName(CertStatus::kRevoked), "revoked");
  EXPECT_EQ(CertStatusFromName("bogus"), std::nullopt);
}

TEST(StatusTest, ReasonNamesRoundTripInRfcSpelling) {
  for (RevocationReason r : {RevocationReason::kUnspecified, RevocationReason::kKeyCompromise,
                             RevocationReason::kCaCompromise, RevocationReason::kAffiliationChanged,
                             RevocationReason::kSuperseded, RevocationReason::kCessationOfOperation,
                             RevocationReason::kCertificateHold, RevocationReason::kRemoveFromCrl,
                             RevocationReason::kPrivilegeWithdrawn, RevocationReason::kAaCompromise,
                             RevocationReason::kNone}) {
    EXPECT_EQ(ReasonFromName(ReasonName(r)), r) << ReasonName(r);
  }
  EXPECT_EQ(ReasonName(RevocationReason::kCaCompromise), "cACompromise");
  EXPECT_EQ(ReasonName(RevocationReason::kRemoveFromCrl), "removeFromCRL");
  EXPECT_EQ(ReasonName(RevocationReason::kNone), "");
}

TEST(StatusTest, ReasonFromNameAcceptsOpenSslSpellingAnyCase) {
  EXPECT_EQ(ReasonFromName("CACompromise"), RevocationReason::kCaCompromise);
  EXPECT_EQ(ReasonFromName("KEYCOMPROMISE"), RevocationReason::kKeyCompromise);
  EXPECT_EQ(ReasonFromName("holdInstruction"), RevocationReason::kCertificateHold);
  EXPECT_EQ(ReasonFromName("keyTime"), RevocationReason::kKeyCompromise);
  EXPECT_EQ(ReasonFromName("CAkeyTime"), RevocationReason::kCaCompromise);
  EXPECT_EQ(ReasonFromName("stolen"), std::nullopt);
}

}  // namespace
}  // namespace keyward::ocsp
