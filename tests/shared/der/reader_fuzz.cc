// Walks arbitrary bytes with der::Reader and checks its promises: outputs lie
// inside the input, a failed read does not move the cursor, and every element
// read is canonical DER (re-encoding its header gives the same bytes).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "shared/der/reader.h"

namespace {

using keyward::der::Bytes;
using keyward::der::Reader;

const uint8_t* g_begin = nullptr;
const uint8_t* g_end = nullptr;

void Check(bool ok) {
  if (!ok) abort();
}

void CheckInside(Bytes b) {
  if (b.empty()) return;
  Check(b.data() >= g_begin && b.data() + b.size() <= g_end);
}

// The minimal DER header for (tag, len) must be exactly whole[0..header).
void CheckCanonical(uint8_t tag, Bytes contents, Bytes whole) {
  uint8_t header[6];
  size_t n = 0;
  header[n++] = tag;
  size_t len = contents.size();
  if (len < 0x80) {
    header[n++] = static_cast<uint8_t>(len);
  } else {
    size_t octets = 0;
    for (size_t v = len; v != 0; v >>= 8) ++octets;
    header[n++] = static_cast<uint8_t>(0x80 | octets);
    for (size_t i = octets; i-- > 0;) header[n++] = static_cast<uint8_t>(len >> (8 * i));
  }
  Check(whole.size() == n + len);
  Check(memcmp(whole.data(), header, n) == 0);
  Check(whole.data() + n == contents.data());
}

// Each typed read either succeeds or leaves the reader where it was.
void TryTyped(const Reader& r) {
  Reader copy = r;
  Bytes b;
  bool v = false;
  uint64_t u = 0;
  Check(copy.ReadInteger(&b) || copy.remaining() == r.remaining());
  copy = r;
  Check(copy.ReadOid(&b) || copy.remaining() == r.remaining());
  copy = r;
  Check(copy.ReadBoolean(&v) || copy.remaining() == r.remaining());
  copy = r;
  if (copy.ReadSmallUnsigned(&u)) {
    Check(copy.remaining() < r.remaining());
  } else {
    Check(copy.remaining() == r.remaining());
  }
  copy = r;
  Check(copy.ReadNull() || copy.remaining() == r.remaining());
  copy = r;
  Reader child;
  bool present = false;
  if (copy.ReadOptionalConstructed(0xA0, &child, &present)) {
    Check(present || copy.remaining() == r.remaining());
  } else {
    Check(copy.remaining() == r.remaining());
  }
}

void Walk(Reader r, int depth) {
  while (!r.empty()) {
    TryTyped(r);
    size_t before = r.remaining();
    uint8_t tag = 0;
    Bytes contents;
    Bytes whole;
    if (!r.ReadAny(&tag, &contents, &whole)) {
      Check(r.remaining() == before);
      return;
    }
    CheckInside(contents);
    CheckInside(whole);
    CheckCanonical(tag, contents, whole);
    Check(r.remaining() == before - whole.size());
    if ((tag & 0x20) != 0 && depth < 32) Walk(Reader(contents), depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  g_begin = data;
  g_end = data + size;
  Walk(Reader(Bytes(data, size)), 0);
  return 0;
}
