#include "shared/ocsp/get_decoder.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace keyward::ocsp {
namespace {

std::string Base64(const std::vector<uint8_t>& der) {
  std::string out(4 * ((der.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), der.data(),
                          static_cast<int>(der.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Replace(std::string s, char from, const std::string& to) {
  std::string out;
  for (char c : s) {
    if (c == from) {
      out += to;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Strip(std::string s, char c) {
  s.erase(std::remove(s.begin(), s.end(), c), s.end());
  return s;
}

std::string BreakLines(const std::string& s, size_t width, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < s.size(); i += width) out += s.substr(i, width) + sep;
  return out;
}

// A DER SEQUENCE holding `body_len` random bytes.
std::vector<uint8_t> RandomSequence(std::mt19937& rng, size_t body_len) {
  std::vector<uint8_t> der = {0x30};
  if (body_len < 0x80) {
    der.push_back(static_cast<uint8_t>(body_len));
  } else if (body_len < 0x100) {
    der.insert(der.end(), {0x81, static_cast<uint8_t>(body_len)});
  } else {
    der.insert(der.end(),
               {0x82, static_cast<uint8_t>(body_len >> 8), static_cast<uint8_t>(body_len & 0xff)});
  }
  for (size_t i = 0; i < body_len; ++i) der.push_back(static_cast<uint8_t>(rng()));
  return der;
}

// Every way a client has been seen to write the same base64 in a URL.
std::vector<std::pair<std::string, std::string>> Variants(const std::string& b64) {
  std::string upper = Replace(Replace(Replace(b64, '+', "%2B"), '/', "%2F"), '=', "%3D");
  std::string lower = Replace(Replace(Replace(b64, '+', "%2b"), '/', "%2f"), '=', "%3d");
  return {
      {"raw", b64},
      {"all_encoded_upper", upper},
      {"all_encoded_lower", lower},
      {"macos_only_equals_encoded", Replace(b64, '=', "%3D")},
      {"unpadded", Strip(b64, '=')},
      {"encoded_unpadded", Strip(upper, '=')},
      {"cisco_%0A", BreakLines(b64, 64, "%0A")},
      {"%0D%0A", Replace(Replace(Replace(BreakLines(b64, 76, "\r\n"), '+', "%2B"), '\r', "%0D"),
                         '\n', "%0A")},
      {"raw_crlf", BreakLines(b64, 64, "\r\n")},
      {"raw_lf_every_char", BreakLines(b64, 1, "\n")},
      {"letters_encoded", Replace(Replace(b64, 'A', "%41"), 'z', "%7a")},
  };
}

TEST(GetDecoderTest, RoundTripsRandomDerThroughEveryEncoding) {
  std::mt19937 rng(20240601);
  std::array<uint8_t, kMaxGetDerBytes> out;
  for (size_t len : {0, 1, 2, 3, 4, 5, 63, 64, 65, 127, 128, 200, 255, 256, 1000, 4000, 8000}) {
    std::vector<uint8_t> der = RandomSequence(rng, len);
    for (const auto& [name, encoded] : Variants(Base64(der))) {
      SCOPED_TRACE(name + " len " + std::to_string(len));
      der::Bytes got = DecodeGetPath(encoded, out);
      ASSERT_TRUE(der::Equal(got, der));
      got = DecodeGetTarget("/" + encoded, out);
      ASSERT_TRUE(der::Equal(got, der));
      got = DecodeGetTarget("/ocsp/" + encoded + "?x=1", out);
      ASSERT_TRUE(der::Equal(got, der));
      got = DecodeGetTarget("http://ocsp.example/a/b/" + encoded, out);
      ASSERT_TRUE(der::Equal(got, der));
    }
  }
}

TEST(GetDecoderTest, RawSlashInsideBase64IsFound) {
  // 0xFF bytes encode as '/' characters.
  std::vector<uint8_t> der = {0x30, 0x06, 0xff, 0xff, 0xff, 0x00, 0xff, 0xfe};
  std::string b64 = Base64(der);
  ASSERT_NE(b64.find('/'), std::string::npos);
  std::array<uint8_t, 64> out;
  EXPECT_TRUE(der::Equal(DecodeGetTarget("/" + b64, out), der));
  EXPECT_TRUE(der::Equal(DecodeGetTarget("/ocsp/" + b64, out), der));
  EXPECT_TRUE(der::Equal(DecodeGetTarget("/ocsp/responder/" + b64, out), der));
}

TEST(GetDecoderTest, CorpusRequestsDecode) {
  std::filesystem::path dir = std::filesystem::path(KEYWARD_TEST_DATA) / "ocsp" / "good";
  std::array<uint8_t, kMaxGetDerBytes> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::vector<uint8_t> der(std::istreambuf_iterator<char>(in), {});
    for (const auto& [name, encoded] : Variants(Base64(der))) {
      EXPECT_TRUE(der::Equal(DecodeGetTarget("/" + encoded, out), der))
          << e.path().filename() << " " << name;
    }
  }
}

TEST(GetDecoderTest, RejectsWhatIsNotBase64) {
  std::array<uint8_t, 256> out;
  struct Case {
    const char* name;
    std::string text;
  } cases[] = {
      {"empty", ""},
      {"only_padding", "===="},
      {"only_line_breaks", "%0A%0D\r\n"},
      {"space", "MEIw QDA+"},
      {"encoded_space", "MEIw%20QDA+"},
      {"base64url_minus", "MEIw-DA_"},
      {"tab", "MEIw\tQDA+"},
      {"nul", std::string("MEIw\0QDA+", 9)},
      {"high_byte", "MEIw\xc3\xa9QDA+"},
      {"percent_at_end", "MEIwQDA%"},
      {"percent_one_digit", "MEIwQDA%2"},
      {"percent_not_hex", "MEIwQDA%GG"},
      {"double_encoded", "MEIwQDA%252B"},
      {"data_after_padding", "MEI=wQDA"},
      {"too_much_padding", "MEIwQQ==="},
      {"padding_on_full_quantum", "MEIw===="},
      {"single_char_tail", "MEIwQ"},
      {"single_char", "M"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(DecodeGetPath(c.text, out).empty()) << c.name;
    EXPECT_TRUE(DecodeGetTarget("/" + c.text, out).empty()) << c.name;
  }
}

TEST(GetDecoderTest, TargetNeedsOneWholeSequence) {
  std::array<uint8_t, 64> out;
  // "MAA=" is SEQUENCE {} (30 00), the shortest acceptable payload.
  EXPECT_EQ(DecodeGetTarget("/MAA=", out).size(), 2u);
  EXPECT_TRUE(DecodeGetTarget("/MAAA", out).empty());  // 30 00 00: a byte past the SEQUENCE
  EXPECT_TRUE(DecodeGetTarget("/MAE=", out).empty());  // 30 01: length past the end
  EXPECT_TRUE(DecodeGetTarget("/BAA=", out).empty());  // 04 00: not a SEQUENCE
  EXPECT_TRUE(DecodeGetTarget("MAA=", out).empty());   // not a path
  EXPECT_TRUE(DecodeGetTarget("/", out).empty());
  EXPECT_TRUE(DecodeGetTarget("", out).empty());
  EXPECT_TRUE(DecodeGetTarget("http://host", out).empty());
  EXPECT_EQ(DecodeGetTarget("/MAA=?nonce=1", out).size(), 2u);
  EXPECT_EQ(DecodeGetPath("BAA", out).size(), 2u);  // the path decoder takes any bytes
}

TEST(GetDecoderTest, OutputThatWouldNotFitIsRejected) {
  std::mt19937 rng(7);
  std::vector<uint8_t> der = RandomSequence(rng, 100);
  std::string b64 = Base64(der);
  // Canary bytes after the span prove nothing is written past its end.
  std::vector<uint8_t> buf(der.size() + 16, 0xee);
  std::span<uint8_t> small(buf.data(), der.size() - 1);
  EXPECT_TRUE(DecodeGetPath(b64, small).empty());
  EXPECT_TRUE(DecodeGetTarget("/" + b64, small).empty());
  for (size_t i = small.size(); i < buf.size(); ++i) EXPECT_EQ(buf[i], 0xee) << i;
  std::span<uint8_t> exact(buf.data(), der.size());
  EXPECT_TRUE(der::Equal(DecodeGetPath(b64, exact), der));

  // More than kMaxGetDerBytes is refused even with room for it.
  std::vector<uint8_t> big = RandomSequence(rng, kMaxGetDerBytes);
  std::vector<uint8_t> roomy(2 * kMaxGetDerBytes);
  EXPECT_TRUE(DecodeGetPath(Base64(big), roomy).empty());
}

TEST(GetDecoderTest, SixtyFourKibOfGarbageIsRejectedWithoutOverflow) {
  std::mt19937 rng(99);
  std::vector<uint8_t> buf(kMaxGetDerBytes + 16, 0xee);
  std::span<uint8_t> out(buf.data(), kMaxGetDerBytes);
  std::vector<std::string> inputs;
  inputs.push_back(std::string(64 * 1024, 'A'));  // valid base64, far too long
  inputs.push_back(std::string(64 * 1024, '/'));  // a path of nothing but separators
  std::string random_bytes(64 * 1024, '\0');
  for (char& c : random_bytes) c = static_cast<char>(rng());
  inputs.push_back(random_bytes);
  std::string sequences;  // "MEIw/" repeated: every suffix looks like a start
  while (sequences.size() < 64 * 1024) sequences += "MEIw/";
  inputs.push_back(sequences);
  inputs.push_back("/MEIw" + BreakLines(std::string(60 * 1024, 'A'), 3, "%0A"));
  for (const std::string& in : inputs) {
    EXPECT_TRUE(DecodeGetPath(in, out).empty());
    EXPECT_TRUE(DecodeGetTarget("/" + in, out).empty());
    EXPECT_TRUE(DecodeGetTarget(in, out).empty());
  }
  for (size_t i = out.size(); i < buf.size(); ++i) ASSERT_EQ(buf[i], 0xee) << i;
}

TEST(GetDecoderTest, OcspPathPayload) {
  EXPECT_EQ(OcspPathPayload("/ocsp/MEMwQTA"), "MEMwQTA");
  EXPECT_EQ(OcspPathPayload("/MEMwQTA?x=y"), "MEMwQTA");
  EXPECT_EQ(OcspPathPayload("/ocsp/MEM/"), "MEM/");
  EXPECT_EQ(OcspPathPayload("MEM"), "MEM");
  EXPECT_EQ(OcspPathPayload("/"), "");
  EXPECT_EQ(OcspPathPayload(""), "");
}

}  // namespace
}  // namespace keyward::ocsp
