#include "shared/directory/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <memory>
#include <mutex>

namespace keyward::directory {
namespace {

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

constexpr size_t kMaxBody = 64 * 1024 * 1024;  // a page of a very large fleet

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t len = size * n;
  if (out->size() + len > kMaxBody) return 0;  // aborts the transfer
  out->append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::vector<HttpHeader>*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  // A new status line (after a 100 Continue) starts a new header block.
  if (line.rfind("HTTP/", 0) == 0) {
    out->clear();
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  out->push_back({std::string(line.substr(0, colon)), std::string(value)});
  return len;
}

std::string WithoutQuery(const std::string& url) { return url.substr(0, url.find('?')); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string HttpReply::FindHeader(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return "";
}

Result<HttpReply> HttpCall(const HttpCallSpec& spec) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string what = spec.method + " " + WithoutQuery(spec.url);
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) return Fail(what + ": curl_easy_init failed");
  std::unique_ptr<curl_slist, SlistFree> headers;
  for (const HttpHeader& h : spec.headers) {
    std::string line = h.name + ": " + h.value;
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) return Fail(what + ": out of memory");
    headers.release();
    headers.reset(next);
  }
  HttpReply reply;
  CURL* c = curl.get();
  bool ok =
      curl_easy_setopt(c, CURLOPT_URL, spec.url.c_str()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(spec.timeout_ms)) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply.headers) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK;
  if (ok && spec.method == "POST") {
    ok = curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_POSTFIELDS, spec.body.data()) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                          static_cast<curl_off_t>(spec.body.size())) == CURLE_OK;
  } else if (ok && spec.method != "GET") {
    ok = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, spec.method.c_str()) == CURLE_OK;
  }
  if (!ok) return Fail(what + ": curl option refused");
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return Fail(what + ": " + curl_easy_strerror(rc));
  if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status) != CURLE_OK) {
    return Fail(what + ": no status code");
  }
  return reply;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    for (const std::string* part : {&k, &v}) {
      for (unsigned char ch : *part) {
        if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
          out += static_cast<char>(ch);
        } else {
          out += '%';
          out += kHex[ch >> 4];
          out += kHex[ch & 15];
        }
      }
      if (part == &k) out += '=';
    }
  }
  return out;
}

}  // namespace keyward::directory
