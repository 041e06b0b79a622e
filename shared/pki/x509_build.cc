#include "shared/pki/x509_build.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace keyward::pki {
namespace {

// Bytes held by a memory BIO, as a span of its buffer (owned by the BIO).
std::string_view BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return {};
  return std::string_view(data, static_cast<size_t>(len));
}

// WriteNewFile creates `path` (and its parent directories) with `mode` and
// writes `data`. O_EXCL makes "never overwrite" hold even against a race.
Result<void> WriteNewFile(const std::string& path, std::string_view data, mode_t mode) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      return Fail(path + ": cannot create directory " + parent.string() + ": " + ec.message());
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Fail(path + ": " + std::strerror(errno));
  // umask may have taken bits away from mode, never added; set it exactly.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  int saved = errno;
  if (::close(fd) != 0) ok = false;
  if (!ok) {
    ::unlink(path.c_str());
    return Fail(path + ": write failed: " + std::strerror(saved));
  }
  return {};
}

// Undo RFC 2253 escaping ("\," -> ",") in one attribute value.
std::string Unescape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) ++i;
    out.push_back(v[i]);
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

Result<openssl::EvpPkeyPtr> GenerateKey(std::string_view key_type) {
  EVP_PKEY* key = nullptr;
  if (key_type == "ec-p256") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (key_type == "ec-p384") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  } else if (key_type == "rsa-2048") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  } else if (key_type == "rsa-3072") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072});
  } else if (key_type == "rsa-4096") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096});
  } else {
    return Fail("unknown key type '" + std::string(key_type) +
                "' (ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096)");
  }
  if (key == nullptr) return Fail("key generation failed: " + openssl::DrainErrors());
  return openssl::EvpPkeyPtr(key);
}

bool SignatureDigestFor(const EVP_PKEY* key, const EVP_MD** md) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      *md = EVP_sha256();
      return true;
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
      *md = nullptr;  // EdDSA signs the message itself
      return true;
    case EVP_PKEY_EC: {
      char group[64];
      size_t len = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) {
        openssl::DrainErrors();
        return false;
      }
      std::string_view g(group, len);
      // Match the digest to the curve's strength (RFC 5480 4).
      if (g == "prime256v1" || g == "P-256") {
        *md = EVP_sha256();
      } else if (g == "secp384r1" || g == "P-384") {
        *md = EVP_sha384();
      } else if (g == "secp521r1" || g == "P-521") {
        *md = EVP_sha512();
      } else {
        *md = EVP_sha256();
      }
      return true;
    }
    default:
      return false;
  }
}

Result<openssl::X509NamePtr> ParseSubject(std::string_view text) {
  std::vector<std::string_view> rdns;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '\\') {
      ++i;
      continue;
    }
    if (i == text.size() || text[i] == ',') {
      std::string_view rdn = Trim(text.substr(start, i - start));
      if (!rdn.empty()) rdns.push_back(rdn);
      start = i + 1;
    }
  }
  if (rdns.empty()) return Fail("empty subject");
  openssl::X509NamePtr name(X509_NAME_new());
  if (!name) return Fail("out of memory");
  // RFC 2253 text lists the most specific RDN first; the DER SEQUENCE holds
  // the least specific first, so add them in reverse.
  for (auto it = rdns.rbegin(); it != rdns.rend(); ++it) {
    size_t eq = it->find('=');
    if (eq == std::string_view::npos) return Fail("subject: '" + std::string(*it) + "' has no '='");
    std::string attr(Trim(it->substr(0, eq)));
    std::string value = Unescape(Trim(it->substr(eq + 1)));
    if (X509_NAME_add_entry_by_txt(name.get(), attr.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      openssl::DrainErrors();
      return Fail("subject: bad attribute '" + attr + "'");
    }
  }
  return name;
}

std::string NameToRfc2253(const X509_NAME* name) {
  openssl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    openssl::DrainErrors();
    return {};
  }
  return std::string(BioContents(bio.get()));
}

bool Asn1TimeToUnix(const ASN1_TIME* t, int64_t* out) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    openssl::DrainErrors();
    return false;
  }
  *out = static_cast<int64_t>(timegm(&tm));
  return true;
}

Result<openssl::Asn1IntegerPtr> RandomSerial() {
  uint8_t octets[16];
  do {
    if (RAND_bytes(octets, sizeof(octets)) != 1) {
      return Fail("RAND_bytes failed: " + openssl::DrainErrors());
    }
    octets[0] &= 0x7F;       // positive, so no 0x00 sign octet is needed
  } while (octets[0] == 0);  // and minimal: exactly 16 content octets
  openssl::Asn1IntegerPtr serial(ASN1_INTEGER_new());
  if (!serial || ASN1_STRING_set(serial.get(), octets, sizeof(octets)) != 1) {
    return Fail("serial: " + openssl::DrainErrors());
  }
  return serial;
}

std::vector<uint8_t> IntegerContents(const ASN1_INTEGER* v) {
  int der_len = i2d_ASN1_INTEGER(v, nullptr);
  if (der_len <= 0) {
    openssl::DrainErrors();
    return {};
  }
  std::vector<uint8_t> der(static_cast<size_t>(der_len));
  unsigned char* w = der.data();
  if (i2d_ASN1_INTEGER(v, &w) != der_len) return {};
  const unsigned char* p = der.data();
  long len = 0;
  int tag = 0, cls = 0;
  if (ASN1_get_object(&p, &len, &tag, &cls, der_len) & 0x80) {
    openssl::DrainErrors();
    return {};
  }
  size_t header = static_cast<size_t>(p - der.data());
  return std::vector<uint8_t>(der.begin() + static_cast<std::ptrdiff_t>(header), der.end());
}

Result<void> AddConfExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  openssl::X509ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return Fail(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value + ": " +
                openssl::DrainErrors());
  }
  return {};
}

Result<void> SignCertificate(X509* cert, EVP_PKEY* key) {
  const EVP_MD* md = nullptr;
  if (!SignatureDigestFor(key, &md)) return Fail("unsupported signing key type");
  if (X509_sign(cert, key, md) <= 0) return Fail("signing failed: " + openssl::DrainErrors());
  return {};
}

Result<void> SetValidity(X509* cert, int64_t from, int64_t to) {
  if (ASN1_TIME_set(X509_getm_notBefore(cert), static_cast<time_t>(from)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), static_cast<time_t>(to)) == nullptr) {
    return Fail("validity: " + openssl::DrainErrors());
  }
  return {};
}

Result<void> WritePrivateKeyFile(const std::string& path, EVP_PKEY* key) {
  // A secure-memory BIO clears the PEM text when it is freed.
  openssl::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Fail(path + ": encoding key: " + openssl::DrainErrors());
  }
  return WriteNewFile(path, BioContents(bio.get()), 0600);
}

Result<void> WriteCertificateFile(const std::string& path, X509* cert) {
  openssl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return Fail(path + ": encoding certificate: " + openssl::DrainErrors());
  }
  return WriteNewFile(path, BioContents(bio.get()), 0644);
}

}  // namespace keyward::pki
