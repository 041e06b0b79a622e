#include "shared/status/index_txt.h"

#include <gtest/gtest.h>

namespace keyward::status {
namespace {

TEST(ParseAsn1Time, UtcAndGeneralized) {
  EXPECT_EQ(ParseAsn1Time("700101000000Z"), 0);
  EXPECT_EQ(ParseAsn1Time("491231235959Z"), 2524607999);  // UTCTime 49 is 2049
  EXPECT_EQ(ParseAsn1Time("20261201214600Z"), 1796161560);
  EXPECT_FALSE(ParseAsn1Time("2026120121460Z"));
  EXPECT_FALSE(ParseAsn1Time("261301000000Z"));  // month 13
  EXPECT_FALSE(ParseAsn1Time("26120100000AZ"));
  EXPECT_FALSE(ParseAsn1Time("261201000000X"));
}

TEST(ParseIndex, ValidRevokedExpired) {
  IndexParse p = ParseIndex(
      "V\t271201000000Z\t\t1000\tunknown\t/CN=good\n"
      "R\t271201000000Z\t261101120000Z,keyCompromise\t1001\tunknown\t/CN=bad\n"
      "R\t271201000000Z\t261101120000Z\t0A\tunknown\t/CN=noreason\n"
      "E\t200101000000Z\t\t1002\tunknown\t/CN=old\n"
      "R\t271201000000Z\t261101120000Z,holdInstruction,1.2.840.10040.2.1\t1003\tunknown\t/CN=h\n");
  ASSERT_TRUE(p.errors.empty());
  ASSERT_EQ(p.entries.size(), 5u);
  EXPECT_EQ(p.entries[0].status, ocsp::CertStatus::kGood);
  EXPECT_EQ(p.entries[0].serial_hex, "1000");
  EXPECT_EQ(p.entries[0].subject, "/CN=good");
  EXPECT_EQ(p.entries[1].status, ocsp::CertStatus::kRevoked);
  EXPECT_EQ(p.entries[1].reason, ocsp::RevocationReason::kKeyCompromise);
  EXPECT_EQ(p.entries[1].revoked_at, ParseAsn1Time("261101120000Z"));
  EXPECT_EQ(p.entries[2].reason, ocsp::RevocationReason::kUnspecified);
  EXPECT_EQ(p.entries[2].serial_hex, "0A");
  EXPECT_TRUE(p.entries[3].expired);
  EXPECT_EQ(p.entries[3].status, ocsp::CertStatus::kGood);
  EXPECT_EQ(p.entries[4].reason, ocsp::RevocationReason::kCertificateHold);
}

TEST(ParseIndex, BadLinesAreSkippedAndReported) {
  IndexParse p = ParseIndex(
      "X\t271201000000Z\t\t1000\tunknown\t/CN=a\n"
      "V\tnotatime\t\t1001\tunknown\t/CN=b\n"
      "V\t271201000000Z\t\tZZ\tunknown\t/CN=c\n"
      "R\t271201000000Z\t261101120000Z,madeUp\t1002\tunknown\t/CN=d\n"
      "V\t271201000000Z\t\n"
      "V\t271201000000Z\t\t1003\tunknown\t/CN=fine\r\n");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].serial_hex, "1003");
  ASSERT_EQ(p.errors.size(), 5u);
  EXPECT_EQ(p.errors[0].first, 1u);
  EXPECT_EQ(p.errors[4].first, 5u);
}

}  // namespace
}  // namespace keyward::status
