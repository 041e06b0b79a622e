// der writer: lengths against X.690, and GeneralizedTime against OpenSSL's
// ASN1_GENERALIZEDTIME_set over a wide range of instants.
#include "shared/der/writer.h"

#include <gtest/gtest.h>

#include <openssl/asn1.h>

#include <string>
#include <vector>

namespace keyward::der {
namespace {

std::vector<uint8_t> Header(uint8_t tag, size_t len) {
  std::vector<uint8_t> out(1 + LengthSize(len));
  uint8_t* p = out.data();
  PutHeader(p, tag, len);
  EXPECT_EQ(p, out.data() + out.size());
  return out;
}

TEST(DerWriterTest, LengthForms) {
  EXPECT_EQ(Header(0x30, 0), (std::vector<uint8_t>{0x30, 0x00}));
  EXPECT_EQ(Header(0x30, 0x7F), (std::vector<uint8_t>{0x30, 0x7F}));
  EXPECT_EQ(Header(0x04, 0x80), (std::vector<uint8_t>{0x04, 0x81, 0x80}));
  EXPECT_EQ(Header(0x04, 0xFF), (std::vector<uint8_t>{0x04, 0x81, 0xFF}));
  EXPECT_EQ(Header(0x04, 0x100), (std::vector<uint8_t>{0x04, 0x82, 0x01, 0x00}));
  EXPECT_EQ(Header(0x04, 0x10000), (std::vector<uint8_t>{0x04, 0x83, 0x01, 0x00, 0x00}));
  EXPECT_EQ(TlvSize(0x7F), 0x7F + 2u);
  EXPECT_EQ(TlvSize(0x80), 0x80 + 3u);
}

std::string Ours(int64_t t) {
  uint8_t buf[kGeneralizedTimeTlvSize];
  uint8_t* p = buf;
  PutGeneralizedTime(p, t);
  EXPECT_EQ(p, buf + sizeof(buf));
  EXPECT_EQ(buf[0], 0x18);
  EXPECT_EQ(buf[1], 15);
  return std::string(reinterpret_cast<const char*>(buf + 2), 15);
}

std::string Openssl(int64_t t) {
  ASN1_GENERALIZEDTIME* g = ASN1_GENERALIZEDTIME_set(nullptr, static_cast<time_t>(t));
  EXPECT_NE(g, nullptr);
  std::string s(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g)),
                static_cast<size_t>(ASN1_STRING_length(g)));
  ASN1_GENERALIZEDTIME_free(g);
  return s;
}

TEST(DerWriterTest, GeneralizedTimeKnownInstants) {
  EXPECT_EQ(Ours(0), "19700101000000Z");
  EXPECT_EQ(Ours(951782400), "20000229000000Z");  // leap day of a century leap year
  EXPECT_EQ(Ours(-1), "19691231235959Z");
  EXPECT_EQ(Ours(253402300799), "99991231235959Z");
  EXPECT_EQ(Ours(253402300800), "99991231235959Z");  // clamped
}

TEST(DerWriterTest, GeneralizedTimeMatchesOpenssl) {
  // From 1950 to 2100, in steps that visit every month, day and second.
  for (int64_t t = -631152000; t < 4102444800; t += 86400 * 3 + 3607) {
    ASSERT_EQ(Ours(t), Openssl(t)) << t;
  }
}

}  // namespace
}  // namespace keyward::der
