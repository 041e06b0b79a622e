#include "shared/der/reader.h"

namespace keyward::der {
namespace {

// The low five tag bits all set announce the high-tag-number form, which no
// structure we parse uses; rejecting it keeps a tag one byte.
constexpr uint8_t kHighTagNumber = 0x1F;
// More length octets than this would describe a length beyond any input we
// hold; four already allows 4 GiB.
constexpr size_t kMaxLengthOctets = 4;

// ParseHeader decodes the tag and length at the front of `in` (size `size`).
// On success *tag, *header_len (tag + length octets) and *content_len are set
// and header_len + content_len <= size. Rejects what DER forbids.
bool ParseHeader(const uint8_t* in, size_t size, uint8_t* tag, size_t* header_len,
                 size_t* content_len) {
  if (size < 2) return false;
  uint8_t t = in[0];
  if ((t & kHighTagNumber) == kHighTagNumber) return false;
  uint8_t first = in[1];
  size_t len = 0;
  size_t header = 2;
  if (first < 0x80) {
    len = first;
  } else {
    // 0x80 is the indefinite form (BER only); 0xFF is reserved (X.690 8.1.3.5).
    size_t octets = first & 0x7F;
    if (octets == 0 || octets > kMaxLengthOctets) return false;
    if (size - 2 < octets) return false;
    if (in[2] == 0) return false;  // a leading zero octet is not minimal
    for (size_t i = 0; i < octets; ++i) len = (len << 8) | in[2 + i];
    if (len < 0x80) return false;  // the short form was required
    header += octets;
  }
  if (len > size - header) return false;
  *tag = t;
  *header_len = header;
  *content_len = len;
  return true;
}

}  // namespace

bool Reader::PeekTag(uint8_t* tag) const {
  if (size_ == 0) return false;
  *tag = data_[0];
  return true;
}

bool Reader::ReadAny(uint8_t* tag, Bytes* contents, Bytes* whole) {
  uint8_t t = 0;
  size_t header = 0;
  size_t len = 0;
  if (!ParseHeader(data_, size_, &t, &header, &len)) return false;
  *tag = t;
  *contents = Bytes(data_ + header, len);
  if (whole != nullptr) *whole = Bytes(data_, header + len);
  data_ += header + len;
  size_ -= header + len;
  return true;
}

bool Reader::ReadElement(uint8_t expected_tag, Bytes* contents, Bytes* whole) {
  uint8_t t = 0;
  if (!PeekTag(&t) || t != expected_tag) return false;
  return ReadAny(&t, contents, whole);
}

bool Reader::ReadConstructed(uint8_t expected_tag, Reader* child, Bytes* whole) {
  // A primitive tag here would let a caller descend into a string's bytes.
  if ((expected_tag & 0x20) == 0) return false;
  Bytes contents;
  if (!ReadElement(expected_tag, &contents, whole)) return false;
  *child = Reader(contents);
  return true;
}

bool Reader::ReadOptionalConstructed(uint8_t expected_tag, Reader* child, bool* present) {
  uint8_t t = 0;
  if (!PeekTag(&t) || t != expected_tag) {
    *present = false;
    return true;
  }
  if (!ReadConstructed(expected_tag, child)) return false;
  *present = true;
  return true;
}

bool Reader::ReadOid(Bytes* contents) {
  Reader copy = *this;
  Bytes c;
  if (!copy.ReadElement(tag::kOid, &c)) return false;
  // X.690 8.19: each subidentifier is base-128 with no leading 0x80 octet,
  // and the last octet ends a subidentifier (high bit clear).
  if (c.empty() || (c.back() & 0x80) != 0) return false;
  bool at_start = true;
  for (uint8_t b : c) {
    if (at_start && b == 0x80) return false;
    at_start = (b & 0x80) == 0;
  }
  *this = copy;
  *contents = c;
  return true;
}

bool Reader::ReadInteger(Bytes* contents) {
  Reader copy = *this;
  Bytes c;
  if (!copy.ReadElement(tag::kInteger, &c)) return false;
  if (c.empty()) return false;
  // X.690 8.3.2: the first nine bits must not be all zeros or all ones.
  if (c.size() > 1) {
    if (c[0] == 0x00 && (c[1] & 0x80) == 0) return false;
    if (c[0] == 0xFF && (c[1] & 0x80) != 0) return false;
  }
  *this = copy;
  *contents = c;
  return true;
}

bool Reader::ReadBoolean(bool* value) {
  Reader copy = *this;
  Bytes c;
  if (!copy.ReadElement(tag::kBoolean, &c)) return false;
  // X.690 11.1: DER encodes TRUE as 0xFF only.
  if (c.size() != 1 || (c[0] != 0x00 && c[0] != 0xFF)) return false;
  *this = copy;
  *value = c[0] == 0xFF;
  return true;
}

bool Reader::ReadSmallUnsigned(uint64_t* value) {
  Reader copy = *this;
  Bytes c;
  if (!copy.ReadInteger(&c)) return false;
  if ((c[0] & 0x80) != 0) return false;  // negative
  if (c[0] == 0x00) c = c.subspan(1);    // sign octet of a value >= 0x80
  if (c.size() > sizeof(uint64_t)) return false;
  uint64_t v = 0;
  for (uint8_t b : c) v = (v << 8) | b;
  *this = copy;
  *value = v;
  return true;
}

bool Reader::ReadNull() {
  Reader copy = *this;
  Bytes c;
  if (!copy.ReadElement(tag::kNull, &c) || !c.empty()) return false;
  *this = copy;
  return true;
}

bool Reader::Skip() {
  uint8_t t = 0;
  Bytes c;
  return ReadAny(&t, &c);
}

}  // namespace keyward::der
