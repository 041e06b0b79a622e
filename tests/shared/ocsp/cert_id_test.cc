#include "shared/ocsp/cert_id.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyward::ocsp {
namespace {

std::vector<uint8_t> Hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string Tlv(const std::string& tag, const std::string& body) {
  size_t n = body.size() / 2;
  char len[32];
  if (n < 128) {
    snprintf(len, sizeof(len), "%02zx", n);
  } else {
    snprintf(len, sizeof(len), "81%02zx", n);
  }
  return tag + len + body;
}

std::string Rep(const std::string& hex, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += hex;
  return out;
}

const std::string kSha1Alg = Tlv("30", Tlv("06", "2b0e03021a") + "0500");
const std::string kSha256Alg = Tlv("30", Tlv("06", "608648016503040201"));
const std::string kSha384Alg = Tlv("30", Tlv("06", "608648016503040202") + "0500");
const std::string kSha512Alg = Tlv("30", Tlv("06", "608648016503040203") + "0500");

std::string CertIdHex(const std::string& alg, int hash_len, const std::string& serial) {
  return Tlv("30", alg + Tlv("04", Rep("aa", hash_len)) + Tlv("04", Rep("bb", hash_len)) +
                       Tlv("02", serial));
}

TEST(CertIdTest, ParsesEveryHashAlgorithm) {
  struct Case {
    const std::string& alg;
    HashAlg hash;
    int len;
  } cases[] = {{kSha1Alg, HashAlg::kSha1, 20},
               {kSha256Alg, HashAlg::kSha256, 32},
               {kSha384Alg, HashAlg::kSha384, 48},
               {kSha512Alg, HashAlg::kSha512, 64}};
  for (const Case& c : cases) {
    std::vector<uint8_t> in = Hex(CertIdHex(c.alg, c.len, "1001") + "0500");
    der::Reader r(in);
    CertId id;
    ASSERT_TRUE(ParseCertId(r, &id)) << HashAlgName(c.hash);
    EXPECT_EQ(id.hash, c.hash);
    EXPECT_EQ(id.name_hash.size(), static_cast<size_t>(c.len));
    EXPECT_EQ(id.name_hash[0], 0xaa);
    EXPECT_EQ(id.key_hash[0], 0xbb);
    ASSERT_EQ(id.serial.size(), 2u);
    EXPECT_EQ(id.serial[0], 0x10);
    EXPECT_EQ(id.raw.size(), in.size() - 2);
    EXPECT_EQ(id.raw.data(), in.data());
    EXPECT_EQ(r.remaining(), 2u);  // the trailing NULL is left for the caller
    EXPECT_EQ(HashLength(c.hash), static_cast<size_t>(c.len));
  }
}

TEST(CertIdTest, RejectsAndLeavesTheReaderUnmoved) {
  struct Case {
    const char* name;
    std::string hex;
  } cases[] = {
      {"sha1_with_sha256_length", CertIdHex(kSha1Alg, 32, "01")},
      {"sha256_with_sha1_length", CertIdHex(kSha256Alg, 20, "01")},
      {"md5", CertIdHex(Tlv("30", Tlv("06", "2a864886f70d0205") + "0500"), 16, "01")},
      {"params_not_null", CertIdHex(Tlv("30", Tlv("06", "2b0e03021a") + "020100"), 20, "01")},
      {"params_after_null", CertIdHex(Tlv("30", Tlv("06", "2b0e03021a") + "05000500"), 20, "01")},
      {"serial_33_bytes", CertIdHex(kSha1Alg, 20, Rep("11", 33))},
      {"serial_non_minimal", CertIdHex(kSha1Alg, 20, "0001")},
      {"serial_empty", CertIdHex(kSha1Alg, 20, "")},
      {"missing_serial", Tlv("30", kSha1Alg + Tlv("04", Rep("aa", 20)) + Tlv("04", Rep("bb", 20)))},
      {"extra_field", Tlv("30", kSha1Alg + Tlv("04", Rep("aa", 20)) + Tlv("04", Rep("bb", 20)) +
                                    Tlv("02", "01") + "0500")},
      {"not_a_sequence", "3100"},
      {"empty", ""},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> in = Hex(c.hex);
    der::Reader r(in);
    CertId id;
    EXPECT_FALSE(ParseCertId(r, &id)) << c.name;
    EXPECT_EQ(r.remaining(), in.size()) << c.name;
  }
}

TEST(CertIdTest, AcceptsTheLongestSerial) {
  std::vector<uint8_t> in = Hex(CertIdHex(kSha1Alg, 20, "00" + Rep("ff", 31)));
  der::Reader r(in);
  CertId id;
  ASSERT_TRUE(ParseCertId(r, &id));
  EXPECT_EQ(id.serial.size(), kMaxSerialBytes);
  EXPECT_EQ(SerialHexString(id.serial), Rep("FF", 31));
}

TEST(CertIdTest, HashAlgNames) {
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512}) {
    EXPECT_EQ(HashAlgFromName(HashAlgName(alg)), alg);
  }
  EXPECT_EQ(HashAlgName(HashAlg::kSha256), "sha256");
  EXPECT_EQ(HashAlgFromName("SHA1"), std::nullopt);
  EXPECT_EQ(HashAlgFromName("md5"), std::nullopt);
  EXPECT_EQ(HashAlgFromName(""), std::nullopt);
}

TEST(CertIdTest, SerialHex) {
  struct Case {
    std::string contents;
    std::string hex;
  } cases[] = {
      {"01ab", "01AB"},
      {"0080", "80"},
      {"00", "00"},
      {"7f", "7F"},
      {"80", "80"},  // negative, written from its contents
      {"", ""},
      {"00" + Rep("ab", 32), Rep("AB", 32)},
      {Rep("ab", 33), ""},  // longer than any parsed serial: no key
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> in = Hex(c.contents);
    EXPECT_EQ(SerialHexString(in), c.hex) << c.contents;
    char buf[2 * kMaxSerialBytes];
    EXPECT_EQ(SerialHex(in, buf), c.hex.size());
  }
}

TEST(CertIdTest, NormalizeSerialHexMatchesSerialHex) {
  struct Case {
    std::string text;
    std::optional<std::string> want;
  } cases[] = {
      {"0x1a", "1A"},       {"1A", "1A"},        {"00:1a", "1A"},      {"1ab", "01AB"},
      {"0080", "80"},       {"80", "80"},        {"0", "00"},          {"0x00", "00"},
      {"DE AD", "DEAD"},    {"", std::nullopt},  {"0x", std::nullopt}, {"12g4", std::nullopt},
      {"-1", std::nullopt}, {":", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(NormalizeSerialHex(c.text), c.want) << c.text;
  }
  // The property the store relies on: user input and wire form agree.
  EXPECT_EQ(*NormalizeSerialHex("8AB1"), SerialHexString(Hex("008ab1")));
  EXPECT_EQ(*NormalizeSerialHex("1001"), SerialHexString(Hex("1001")));
}

}  // namespace
}  // namespace keyward::ocsp
