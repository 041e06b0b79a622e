#include "shared/der/reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyward::der {
namespace {

std::vector<uint8_t> Hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

TEST(ReaderTest, ReadsShortAndLongFormLengths) {
  std::vector<uint8_t> in = Hex("0403aabbcc");
  Reader r(in);
  Bytes c;
  ASSERT_TRUE(r.ReadOctetString(&c));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], 0xaa);
  EXPECT_TRUE(r.empty());

  std::vector<uint8_t> long_form = Hex("048180" + std::string(256, 'e'));
  Reader r2(long_form);
  Bytes whole;
  ASSERT_TRUE(r2.ReadElement(tag::kOctetString, &c, &whole));
  EXPECT_EQ(c.size(), 128u);
  EXPECT_EQ(whole.size(), 131u);
}

TEST(ReaderTest, RejectsWhatDerForbidsAndDoesNotMove) {
  struct Case {
    const char* name;
    std::string hex;
  } cases[] = {
      {"empty", ""},
      {"tag_only", "04"},
      {"indefinite", "048000"},
      {"long_form_for_short", "048103aabbcc"},
      {"leading_zero_length_octet", "04820080" + std::string(256, '0')},
      {"length_past_end", "0404aabbcc"},
      {"long_length_past_end", "04820100aa"},
      {"length_octets_missing", "0482"},
      {"reserved_length_ff", "04ff"},
      {"five_length_octets", "04850000000001aa"},
      {"high_tag_number", "1f2001aa"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> in = Hex(c.hex);
    Reader r(in);
    uint8_t t = 0;
    Bytes contents;
    EXPECT_FALSE(r.ReadAny(&t, &contents)) << c.name;
    EXPECT_EQ(r.remaining(), in.size()) << c.name;
  }
}

TEST(ReaderTest, ReadElementChecksTheTag) {
  std::vector<uint8_t> in = Hex("0201050401aa");
  Reader r(in);
  Bytes c;
  EXPECT_FALSE(r.ReadOctetString(&c));
  EXPECT_EQ(r.remaining(), 6u);
  ASSERT_TRUE(r.ReadInteger(&c));
  ASSERT_TRUE(r.ReadOctetString(&c));
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.ReadOctetString(&c));
  uint8_t t = 0;
  EXPECT_FALSE(r.PeekTag(&t));
}

TEST(ReaderTest, ChildReaderCannotLeaveItsElement) {
  // SEQUENCE { INTEGER 1 } followed by INTEGER 2: the child sees only 1.
  std::vector<uint8_t> in = Hex("3003020101020102");
  Reader r(in);
  Reader child;
  Bytes whole;
  ASSERT_TRUE(r.ReadSequence(&child, &whole));
  EXPECT_EQ(whole.size(), 5u);
  uint64_t v = 0;
  ASSERT_TRUE(child.ReadSmallUnsigned(&v));
  EXPECT_EQ(v, 1u);
  EXPECT_TRUE(child.empty());
  EXPECT_FALSE(child.ReadSmallUnsigned(&v));
  ASSERT_TRUE(r.ReadSmallUnsigned(&v));
  EXPECT_EQ(v, 2u);
}

TEST(ReaderTest, ConstructedNeedsTheConstructedBit) {
  std::vector<uint8_t> in = Hex("0403020101");
  Reader r(in);
  Reader child;
  EXPECT_FALSE(r.ReadConstructed(tag::kOctetString, &child));
  std::vector<uint8_t> primitive_seq = Hex("1003020101");
  Reader r2(primitive_seq);
  EXPECT_FALSE(r2.ReadSequence(&child));
}

TEST(ReaderTest, OptionalConstructed) {
  std::vector<uint8_t> in = Hex("a0030201000500");
  Reader r(in);
  Reader child;
  bool present = false;
  ASSERT_TRUE(r.ReadOptionalConstructed(0xa1, &child, &present));
  EXPECT_FALSE(present);
  ASSERT_TRUE(r.ReadOptionalConstructed(0xa0, &child, &present));
  EXPECT_TRUE(present);
  ASSERT_TRUE(r.ReadNull());
  ASSERT_TRUE(r.ReadOptionalConstructed(0xa0, &child, &present));
  EXPECT_FALSE(present);  // empty input

  std::vector<uint8_t> broken = Hex("a005020100");
  Reader r2(broken);
  EXPECT_FALSE(r2.ReadOptionalConstructed(0xa0, &child, &present));
}

TEST(ReaderTest, IntegerEncodings) {
  struct Case {
    std::string hex;
    bool ok;
  } cases[] = {
      {"020100", true},    {"02017f", true},    {"02020080", true},
      {"020180", true},    {"0202ff7f", true},  {"0200", false},
      {"02020001", false}, {"0202ff80", false}, {"0203000080", false},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> in = Hex(c.hex);
    Reader r(in);
    Bytes v;
    EXPECT_EQ(r.ReadInteger(&v), c.ok) << c.hex;
    EXPECT_EQ(r.empty(), c.ok) << c.hex;
  }
}

TEST(ReaderTest, SmallUnsigned) {
  struct Case {
    std::string hex;
    bool ok;
    uint64_t value;
  } cases[] = {
      {"020100", true, 0},
      {"020200ff", true, 255},
      {"020900ffffffffffffffff", true, UINT64_MAX},
      {"0209010000000000000000", false, 0},  // 2^64
      {"0201ff", false, 0},                  // -1
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> in = Hex(c.hex);
    Reader r(in);
    uint64_t v = 0;
    ASSERT_EQ(r.ReadSmallUnsigned(&v), c.ok) << c.hex;
    if (c.ok) {
      EXPECT_EQ(v, c.value) << c.hex;
    }
  }
}

TEST(ReaderTest, BooleanNullOid) {
  std::vector<uint8_t> t = Hex("0101ff"), f = Hex("010100"), one = Hex("010101"),
                       two = Hex("01020000");
  bool v = false;
  Reader rt(t);
  ASSERT_TRUE(rt.ReadBoolean(&v));
  EXPECT_TRUE(v);
  Reader rf(f);
  ASSERT_TRUE(rf.ReadBoolean(&v));
  EXPECT_FALSE(v);
  Reader r1(one);
  EXPECT_FALSE(r1.ReadBoolean(&v));
  Reader r2(two);
  EXPECT_FALSE(r2.ReadBoolean(&v));

  std::vector<uint8_t> null_with_content = Hex("050100");
  Reader rn(null_with_content);
  EXPECT_FALSE(rn.ReadNull());

  struct Case {
    std::string hex;
    bool ok;
  } oids[] = {
      {"06052b0e03021a", true}, {"0600", false}, {"06022b86", false},  // unterminated
      {"06032b8001", false},                                           // 0x80 starts a subid
      {"0603808001", false},
  };
  for (const Case& c : oids) {
    std::vector<uint8_t> in = Hex(c.hex);
    Reader r(in);
    Bytes oid;
    EXPECT_EQ(r.ReadOid(&oid), c.ok) << c.hex;
    EXPECT_EQ(r.remaining(), c.ok ? 0 : in.size()) << c.hex;
  }
}

TEST(ReaderTest, SkipAndRest) {
  std::vector<uint8_t> in = Hex("0500020101");
  Reader r(in);
  ASSERT_TRUE(r.Skip());
  EXPECT_EQ(r.rest().size(), 3u);
  EXPECT_EQ(r.rest()[0], 0x02);
  ASSERT_TRUE(r.Skip());
  EXPECT_FALSE(r.Skip());
}

}  // namespace
}  // namespace keyward::der
