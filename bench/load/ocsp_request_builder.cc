#include "bench/load/ocsp_request_builder.h"

namespace keyward::bench {
namespace {

void AppendLength(size_t n, std::string* out) {
  if (n < 0x80) {
    out->push_back(static_cast<char>(n));
    return;
  }
  char buf[8];
  int len = 0;
  while (n > 0) {
    buf[len++] = static_cast<char>(n & 0xFF);
    n >>= 8;
  }
  out->push_back(static_cast<char>(0x80 | len));
  while (len > 0) out->push_back(buf[--len]);
}

void AppendTlv(uint8_t tag, std::string_view contents, std::string* out) {
  out->push_back(static_cast<char>(tag));
  AppendLength(contents.size(), out);
  out->append(contents);
}

std::string Tlv(uint8_t tag, std::string_view contents) {
  std::string out;
  AppendTlv(tag, contents, &out);
  return out;
}

// id-pkix-ocsp-nonce, 1.3.6.1.5.5.7.48.1.2
constexpr char kNonceOid[] = {0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02};

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

void BuildRequest(std::string_view cert_id_der, std::span<const uint8_t> nonce, std::string* out) {
  // Request ::= SEQUENCE { reqCert CertID }
  std::string request = Tlv(0x30, cert_id_der);
  std::string tbs = Tlv(0x30, request);  // requestList
  if (!nonce.empty()) {
    std::string_view nonce_bytes(reinterpret_cast<const char*>(nonce.data()), nonce.size());
    // RFC 8954: extnValue holds an OCTET STRING wrapping the nonce.
    std::string ext = Tlv(0x06, std::string_view(kNonceOid, sizeof(kNonceOid)));
    AppendTlv(0x04, Tlv(0x04, nonce_bytes), &ext);
    // requestExtensions [2] EXPLICIT Extensions
    tbs += Tlv(0xA2, Tlv(0x30, Tlv(0x30, ext)));
  }
  AppendTlv(0x30, Tlv(0x30, tbs), out);
}

std::string Base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (rest == 2) v |= uint8_t(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=' || c == '\n' || c == '\r' || c == ' ' || c == '\t')
      continue;
    else
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

std::string GetTarget(std::string_view request_der) {
  std::string b64 = Base64(request_der);
  std::string out = "/";
  out.reserve(b64.size() * 3 / 2);
  for (char c : b64) {
    if (c == '+')
      out += "%2B";
    else if (c == '/')
      out += "%2F";
    else if (c == '=')
      out += "%3D";
    else
      out.push_back(c);
  }
  return out;
}

}  // namespace keyward::bench
