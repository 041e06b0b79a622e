#pragma once
// der::Reader: a bounded cursor over DER bytes it does not own. Every read
// checks the remaining length first, returns [[nodiscard]] bool, and moves the
// cursor only on success. Constructed values are read into a child Reader so a
// nested parse cannot leave its element. Outputs are spans into the input.
// Rejected: non-minimal or indefinite lengths, lengths past the end, high-tag-
// number form, and (in the Read* helpers) non-minimal INTEGER encodings.
// No exceptions, no std::string, no heap.
#include <cstddef>
#include <cstdint>

#include "shared/der/bytes.h"

namespace keyward::der {

// Universal tags and the context-specific forms we need.
namespace tag {
constexpr uint8_t kBoolean = 0x01;
constexpr uint8_t kInteger = 0x02;
constexpr uint8_t kBitString = 0x03;
constexpr uint8_t kOctetString = 0x04;
constexpr uint8_t kNull = 0x05;
constexpr uint8_t kOid = 0x06;
constexpr uint8_t kEnumerated = 0x0A;
constexpr uint8_t kUtf8String = 0x0C;
constexpr uint8_t kPrintableString = 0x13;
constexpr uint8_t kIa5String = 0x16;
constexpr uint8_t kUtcTime = 0x17;
constexpr uint8_t kGeneralizedTime = 0x18;
constexpr uint8_t kSequence = 0x30;
constexpr uint8_t kSet = 0x31;
constexpr uint8_t kContextConstructed = 0xA0;  // | n for [n] EXPLICIT
constexpr uint8_t kContextPrimitive = 0x80;    // | n for [n] IMPLICIT primitive
}  // namespace tag

class Reader {
 public:
  Reader() = default;
  explicit Reader(Bytes input) : data_(input.data()), size_(input.size()) {}

  bool empty() const { return size_ == 0; }
  size_t remaining() const { return size_; }
  Bytes rest() const { return Bytes(data_, size_); }

  // PeekTag: the next tag byte, or false when empty.
  [[nodiscard]] bool PeekTag(uint8_t* tag) const;
  // ReadElement reads one TLV with tag `expected_tag`: `contents` gets its
  // value bytes and, if non-null, `whole` the entire TLV.
  [[nodiscard]] bool ReadElement(uint8_t expected_tag, Bytes* contents, Bytes* whole = nullptr);
  // ReadAny reads one TLV of any (low-number) tag.
  [[nodiscard]] bool ReadAny(uint8_t* tag, Bytes* contents, Bytes* whole = nullptr);
  // ReadConstructed reads a TLV with `expected_tag` into a child reader;
  // false if `expected_tag` lacks the constructed bit (0x20).
  [[nodiscard]] bool ReadConstructed(uint8_t expected_tag, Reader* child, Bytes* whole = nullptr);
  [[nodiscard]] bool ReadSequence(Reader* child, Bytes* whole = nullptr) {
    return ReadConstructed(tag::kSequence, child, whole);
  }
  // ReadOptionalConstructed: if the next tag is `expected_tag`, reads it into
  // `child` and sets *present; if the next tag differs (or input is empty),
  // sets *present = false and returns true. False only on a malformed TLV.
  [[nodiscard]] bool ReadOptionalConstructed(uint8_t expected_tag, Reader* child, bool* present);
  [[nodiscard]] bool ReadOctetString(Bytes* contents) {
    return ReadElement(tag::kOctetString, contents);
  }
  // ReadOid: OBJECT IDENTIFIER contents, rejecting empty contents and
  // subidentifiers that are not minimally encoded (X.690 8.19.2).
  [[nodiscard]] bool ReadOid(Bytes* contents);
  // ReadInteger: INTEGER contents, rejecting empty and non-minimal encodings.
  [[nodiscard]] bool ReadInteger(Bytes* contents);
  // ReadBoolean: DER BOOLEAN (0x00 or 0xFF only).
  [[nodiscard]] bool ReadBoolean(bool* value);
  // ReadSmallUnsigned: a non-negative INTEGER that fits in uint64_t.
  [[nodiscard]] bool ReadSmallUnsigned(uint64_t* value);
  [[nodiscard]] bool ReadNull();
  // Skip one TLV of any tag.
  [[nodiscard]] bool Skip();

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace keyward::der
