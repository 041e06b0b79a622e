// RespReader and the command encoder: replies split at every byte boundary,
// error replies, oversized values, and one malformed stream per failure mode.
#include "responder/warm_resp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace keyward::responder {
namespace {

using Result = RespReader::Result;

// Feed hands out `wire` in chunks of at most `chunk` bytes, then end of stream.
RespReader::ReadFn Feed(std::string wire, size_t chunk) {
  auto at = std::make_shared<size_t>(0);
  auto data = std::make_shared<std::string>(std::move(wire));
  return [at, data, chunk](uint8_t* buf, size_t len) -> ssize_t {
    size_t n = std::min({len, chunk, data->size() - *at});
    std::memcpy(buf, data->data() + *at, n);
    *at += n;
    return static_cast<ssize_t>(n);
  };
}

// A SCAN-shaped reply followed by an MGET-shaped one: a value holding CR, LF
// and NUL bytes, an empty value and a nil.
std::string Binary() { return std::string("a\r\nb\0c\r", 7); }
std::string Wire() {
  std::string w = "*2\r\n$3\r\n128\r\n*2\r\n$10\r\nkw:resp:x1\r\n$0\r\n\r\n";
  w += "*3\r\n$7\r\n" + Binary() + "\r\n$-1\r\n$4\r\nlast\r\n";
  return w;
}

void ExpectWire(RespReader& r) {
  int64_t n = 0;
  RespReader::Bulk b;
  ASSERT_EQ(r.ReadArrayHeader(&n), Result::kOk);
  EXPECT_EQ(n, 2);
  ASSERT_EQ(r.ReadBulk(64, &b), Result::kOk);
  EXPECT_EQ(b.value, "128");
  ASSERT_EQ(r.ReadArrayHeader(&n), Result::kOk);
  EXPECT_EQ(n, 2);
  ASSERT_EQ(r.ReadBulk(64, &b), Result::kOk);
  EXPECT_EQ(b.value, "kw:resp:x1");
  ASSERT_EQ(r.ReadBulk(64, &b), Result::kOk);
  EXPECT_TRUE(b.value.empty());
  EXPECT_FALSE(b.nil);
  ASSERT_EQ(r.ReadArrayHeader(&n), Result::kOk);
  EXPECT_EQ(n, 3);
  ASSERT_EQ(r.ReadBulk(64, &b), Result::kOk);
  EXPECT_EQ(b.value, Binary());
  ASSERT_EQ(r.ReadBulk(64, &b), Result::kOk);
  EXPECT_TRUE(b.nil);
  ASSERT_EQ(r.ReadBulk(64, &b), Result::kOk);
  EXPECT_EQ(b.value, "last");
  // Nothing more on the wire: the stream has ended.
  EXPECT_EQ(r.ReadArrayHeader(&n), Result::kBroken);
}

TEST(RespReaderTest, ParsesWhateverTheChunking) {
  std::string wire = Wire();
  for (size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    RespReader r(Feed(wire, chunk), 64);  // a small buffer forces compaction
    ExpectWire(r);
  }
}

TEST(RespReaderTest, GrowsForAValueLargerThanItsBuffer) {
  std::string big(100'000, 'x');
  big[0] = '\r';
  big[50'000] = '\n';
  std::string wire = "$100000\r\n" + big + "\r\n$2\r\nok\r\n";
  RespReader r(Feed(wire, 4096), 64);
  RespReader::Bulk b;
  ASSERT_EQ(r.ReadBulk(200'000, &b), Result::kOk);
  EXPECT_EQ(b.value, big);
  ASSERT_EQ(r.ReadBulk(16, &b), Result::kOk);
  EXPECT_EQ(b.value, "ok");
}

TEST(RespReaderTest, SkipsAValueOverTheLimitAndGoesOn) {
  std::string wire = "*2\r\n$20\r\n" + std::string(20, 'v') + "\r\n$3\r\nabc\r\n";
  for (size_t chunk : {1u, 3u, 1000u}) {
    RespReader r(Feed(wire, chunk), 64);
    int64_t n = 0;
    RespReader::Bulk b;
    ASSERT_EQ(r.ReadArrayHeader(&n), Result::kOk);
    ASSERT_EQ(r.ReadBulk(19, &b), Result::kOk);
    EXPECT_TRUE(b.skipped);
    EXPECT_TRUE(b.value.empty());
    ASSERT_EQ(r.ReadBulk(19, &b), Result::kOk);
    EXPECT_FALSE(b.skipped);
    EXPECT_EQ(b.value, "abc");
  }
}

TEST(RespReaderTest, ErrorReplyKeepsTheStreamUsable) {
  RespReader r(Feed("-NOPERM this user has no permissions\r\n*0\r\n", 5));
  int64_t n = 0;
  ASSERT_EQ(r.ReadArrayHeader(&n), Result::kErrorReply);
  EXPECT_EQ(r.error_text(), "NOPERM this user has no permissions");
  ASSERT_EQ(r.ReadArrayHeader(&n), Result::kOk);
  EXPECT_EQ(n, 0);
}

TEST(RespReaderTest, NilArray) {
  RespReader r(Feed("*-1\r\n", 1));
  int64_t n = 0;
  ASSERT_EQ(r.ReadArrayHeader(&n), Result::kOk);
  EXPECT_EQ(n, -1);
}

// One malformed stream per failure mode, each read as an array header then
// a bulk string.
struct BadCase {
  const char* name;
  std::string wire;
};

TEST(RespReaderTest, RejectsMalformedStreams) {
  const std::vector<BadCase> cases = {
      {"wrong_type_prefix", "+OK\r\n"},
      {"bare_lf", "*1\n$1\r\na\r\n"},
      {"non_digit_length", "*1x\r\n"},
      {"empty_length", "*\r\n"},
      {"negative_length", "*-2\r\n"},
      {"too_many_digits", "*1234567890123456789\r\n"},
      {"array_over_cap", "*99999999\r\n"},
      {"line_over_cap", "*1" + std::string(RespReader::kMaxLineBytes + 10, '1') + "\r\n"},
      {"bulk_without_crlf", "*1\r\n$1\r\naXY"},
      {"truncated_bulk", "*1\r\n$10\r\nabc"},
      {"truncated_header", "*1\r"},
      {"negative_bulk", "*1\r\n$-5\r\n"},
      {"skipped_bulk_without_crlf", "*1\r\n$5\r\nabcdeXY"},
  };
  for (const BadCase& c : cases) {
    for (size_t chunk : {1u, 1000u}) {
      SCOPED_TRACE(std::string(c.name) + " chunk " + std::to_string(chunk));
      RespReader r(Feed(c.wire, chunk), 64);
      int64_t n = 0;
      RespReader::Bulk b;
      Result first = r.ReadArrayHeader(&n);
      Result second = first == Result::kOk ? r.ReadBulk(2, &b) : first;
      EXPECT_EQ(second, Result::kBroken);
    }
  }
}

TEST(RespReaderTest, ReadFailureBreaksTheStream) {
  RespReader r([](uint8_t*, size_t) -> ssize_t { return -1; });
  int64_t n = 0;
  EXPECT_EQ(r.ReadArrayHeader(&n), Result::kBroken);
}

TEST(RespWriterTest, EncodesCommands) {
  std::string out;
  AppendCommand(&out, {"SCAN", "0", "MATCH", "kw:resp:*"});
  EXPECT_EQ(out, "*4\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nMATCH\r\n$9\r\nkw:resp:*\r\n");
  out.clear();
  AppendArrayHeader(&out, 2);
  AppendBulk(&out, "MGET");
  AppendBulk(&out, std::string_view("a\0b", 3));
  EXPECT_EQ(out, std::string("*2\r\n$4\r\nMGET\r\n$3\r\na\0b\r\n", 23));
}

}  // namespace
}  // namespace keyward::responder
