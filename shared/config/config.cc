#include "shared/config/config.h"

#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace keyward::config {
namespace {

namespace fs = std::filesystem;

std::string Where(const std::string& path, const toml::node& node) {
  std::ostringstream out;
  out << path << ":" << node.source().begin.line;
  return out.str();
}

class Reader {
 public:
  Reader(const std::string& path, const std::string& dir) : path_(path), dir_(dir) {}

  template <class T>
  void Get(const toml::table& t, const char* key, T* out) const {
    const toml::node* node = t.get(key);
    if (node == nullptr) return;
    if constexpr (std::is_same_v<T, std::string>) {
      if (!node->is_string()) Throw(*node, key, "a string");
      *out = **node->as_string();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!node->is_boolean()) Throw(*node, key, "true or false");
      *out = **node->as_boolean();
    } else if constexpr (std::is_same_v<T, double>) {
      if (!node->is_number()) Throw(*node, key, "a number");
      *out = node->value<double>().value();
    } else {
      if (!node->is_integer()) Throw(*node, key, "an integer");
      int64_t v = **node->as_integer();
      if (v < 0) Throw(*node, key, "a non-negative integer");
      *out = static_cast<T>(v);
    }
  }

  void GetPath(const toml::table& t, const char* key, std::string* out) const {
    Get(t, key, out);
    if (out->empty()) return;
    fs::path p(*out);
    if (p.is_relative()) *out = (fs::path(dir_) / p).lexically_normal().string();
  }

  void GetList(const toml::table& t, const char* key, std::vector<std::string>* out) const {
    const toml::node* node = t.get(key);
    if (node == nullptr) return;
    if (node->is_string()) {
      *out = {std::string(**node->as_string())};
      return;
    }
    const toml::array* arr = node->as_array();
    if (arr == nullptr) Throw(*node, key, "a list of strings");
    out->clear();
    for (const toml::node& item : *arr) {
      if (!item.is_string()) Throw(item, key, "a list of strings");
      out->push_back(std::string(**item.as_string()));
    }
  }

  [[noreturn]] void Throw(const toml::node& node, const char* key, const char* what) const {
    throw ConfigError(Where(path_, node) + ": '" + key + "' must be " + what);
  }
  [[noreturn]] void Fail(const toml::node& node, const std::string& message) const {
    throw ConfigError(Where(path_, node) + ": " + message);
  }

 private:
  std::string path_;
  std::string dir_;
};

// ForEachTable calls `fn` on each table of the [[key]] array, failing with
// file and line when `key` is not an array of tables.
template <class Fn>
void ForEachTable(const Reader& r, const toml::table& root, const char* key, Fn fn) {
  const toml::node* node = root.get(key);
  if (node == nullptr) return;
  const std::string want = std::string("use [[") + key + "]] tables";
  const toml::array* arr = node->as_array();
  if (arr == nullptr) r.Fail(*node, want);
  for (const toml::node& item : *arr) {
    const toml::table* t = item.as_table();
    if (t == nullptr) r.Fail(item, want);
    fn(*t);
  }
}

const toml::table* Table(const toml::table& root, const char* key) {
  const toml::node* node = root.get(key);
  return node == nullptr ? nullptr : node->as_table();
}

void LoadCa(const Reader& r, const toml::table& t, CaConfig* ca) {
  r.Get(t, "name", &ca->name);
  r.GetPath(t, "cert", &ca->cert);
  r.GetPath(t, "key", &ca->key);
  r.GetPath(t, "ocsp_signer_cert", &ca->ocsp_signer_cert);
  r.GetPath(t, "ocsp_signer_key", &ca->ocsp_signer_key);
  r.Get(t, "ocsp_signer_key_type", &ca->ocsp_signer_key_type);
  r.Get(t, "key_type", &ca->key_type);
  r.GetPath(t, "ra_cert", &ca->ra_cert);
  r.GetPath(t, "ra_key", &ca->ra_key);
  r.GetPath(t, "index", &ca->index);
  std::string crl;
  r.Get(t, "crl", &crl);
  ca->crl = crl;
  if (!crl.empty() && crl.rfind("http://", 0) != 0 && crl.rfind("https://", 0) != 0) {
    r.GetPath(t, "crl", &ca->crl);
  }
  r.Get(t, "device_id", &ca->device_id);
  r.Get(t, "unknown_as_revoked", &ca->unknown_as_revoked);
  r.Get(t, "default_days", &ca->default_days);
  r.Get(t, "subject", &ca->subject);
  r.Get(t, "ocsp_url", &ca->ocsp_url);
  if (ca->name.empty()) r.Fail(t, "[[ca]] needs a name");
  for (char c : ca->name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      r.Fail(t, "[[ca]] name '" + ca->name + "' may hold only letters, digits, '-', '_' and '.'");
    }
  }
  if (ca->cert.empty()) r.Fail(t, "[[ca]] '" + ca->name + "' needs cert");
  if (ca->ocsp_signer_cert.empty() != ca->ocsp_signer_key.empty()) {
    r.Fail(t, "[[ca]] '" + ca->name + "': set both ocsp_signer_cert and ocsp_signer_key");
  }
  if (ca->ocsp_signer_cert.empty() && ca->key.empty()) {
    r.Fail(t, "[[ca]] '" + ca->name + "' needs ocsp_signer_cert/ocsp_signer_key (or key)");
  }
  // Only a CA whose every certificate Keyward itself records can call a
  // serial it has no record of "never issued": under an index.txt or CRL
  // source a certificate the other CA issued a minute ago, not yet polled,
  // would be answered revoked.
  if (ca->unknown_as_revoked && (!ca->index.empty() || !ca->crl.empty())) {
    r.Fail(t,
           "[[ca]] '" + ca->name +
               "': unknown_as_revoked needs a CA Keyward issues from, not an index or crl source");
  }
  if (!ca->device_id.empty() && ca->device_id != "subject:CN" && ca->device_id != "san-dns" &&
      ca->device_id.rfind("san-uri:", 0) != 0 && ca->device_id.rfind("subject:", 0) != 0) {
    r.Fail(t,
           "[[ca]] '" + ca->name + "': device_id must be san-uri:PREFIX, subject:ATTR or san-dns");
  }
  // SCEP needs an RSA key for key transport; default RA files sit beside the CA key.
  if (ca->issues() && ca->ra_cert.empty()) {
    fs::path key(ca->key);
    std::string stem = key.stem().string();
    if (stem.size() > 3 && stem.ends_with("-ca")) stem.resize(stem.size() - 3);
    ca->ra_cert = (key.parent_path() / (stem + "-ra.pem")).string();
    ca->ra_key = (key.parent_path() / (stem + "-ra.key")).string();
  }
}

void LoadDirectory(const Reader& r, const toml::table& t, DirectoryConfig* d) {
  r.Get(t, "name", &d->name);
  r.Get(t, "kind", &d->kind);
  r.Get(t, "url", &d->url);
  r.Get(t, "interval_s", &d->interval_s);
  r.GetList(t, "cas", &d->cas);
  r.GetPath(t, "token_file", &d->token_file);
  r.GetPath(t, "secret_file", &d->secret_file);
  r.Get(t, "listen", &d->listen);
  r.Get(t, "tenant_id", &d->tenant_id);
  r.Get(t, "client_id", &d->client_id);
  r.GetPath(t, "client_secret_file", &d->client_secret_file);
  r.Get(t, "token_url", &d->token_url);
  r.Get(t, "max_disable_fraction", &d->max_disable_fraction);
  r.Get(t, "safety_floor", &d->safety_floor);
  r.Get(t, "unlisted", &d->unlisted);
  r.Get(t, "id_field", &d->id_field);
  r.Get(t, "replay_window_s", &d->replay_window_s);
  r.Get(t, "timeout_ms", &d->timeout_ms);
  r.Get(t, "scope", &d->scope);
  static const char* kKinds[] = {"http-json", "webhook", "entra", "intune", "jamf"};
  bool known = false;
  for (const char* k : kKinds) known = known || d->kind == k;
  if (d->name.empty()) r.Fail(t, "[[directory]] needs a name");
  if (!known) {
    r.Fail(t, "[[directory]] '" + d->name +
                  "': kind must be http-json, webhook, entra, intune or jamf");
  }
  if (d->unlisted != "keep" && d->unlisted != "hold" && d->unlisted != "revoke") {
    r.Fail(t, "[[directory]] '" + d->name + "': unlisted must be keep, hold or revoke");
  }
  if (d->max_disable_fraction < 0 || d->max_disable_fraction > 1) {
    r.Fail(t, "[[directory]] '" + d->name + "': max_disable_fraction must be between 0 and 1");
  }
  if (d->interval_s < 1)
    r.Fail(t, "[[directory]] '" + d->name + "': interval_s must be at least 1");
  if (d->kind == "webhook" && (d->listen.empty() || d->secret_file.empty())) {
    r.Fail(t, "[[directory]] '" + d->name + "': kind = \"webhook\" needs listen and secret_file");
  }
  if (d->kind != "webhook" && d->url.empty() && d->kind != "entra" && d->kind != "intune") {
    r.Fail(t, "[[directory]] '" + d->name + "' needs url");
  }
  if (!d->listen.empty()) ParseListen(d->listen);
}

std::string ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read " + path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

const CaConfig* Config::FindCa(const std::string& name) const {
  for (const CaConfig& ca : cas) {
    if (ca.name == name) return &ca;
  }
  return nullptr;
}

RedisEndpoint ParseRedisUrl(const std::string& url) {
  RedisEndpoint ep;
  if (url.rfind("unix://", 0) == 0) {
    ep.unix_socket = url.substr(7);
    return ep;
  }
  if (url.rfind("redis://", 0) != 0)
    throw ConfigError("redis URL must start with redis://: " + url);
  std::string rest = url.substr(8);
  size_t at = rest.rfind('@');
  if (at != std::string::npos) {
    std::string cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = cred.find(':');
    if (colon == std::string::npos) {
      ep.password = cred;
    } else {
      ep.username = cred.substr(0, colon);
      ep.password = cred.substr(colon + 1);
    }
  }
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos && slash + 1 < rest.size()) {
    try {
      ep.db = std::stoi(rest.substr(slash + 1));
    } catch (const std::exception&) {
      throw ConfigError("bad database number in redis URL: " + url);
    }
  }
  ListenAddress addr = ParseListen(
      hostport.find(':') == std::string::npos && hostport.front() != '[' ? hostport + ":6379"
                                                                         : hostport);
  ep.host = addr.host.empty() ? "127.0.0.1" : addr.host;
  ep.port = addr.port;
  return ep;
}

ListenAddress ParseListen(const std::string& text) {
  ListenAddress out;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw ConfigError("bad address '" + text + "' (want [::1]:PORT)");
    }
    out.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos)
      throw ConfigError("bad address '" + text + "' (want HOST:PORT)");
    out.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (out.host.empty()) out.host = "0.0.0.0";
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535) {
    throw ConfigError("bad port in '" + text + "'");
  }
  out.port = static_cast<int>(p);
  return out;
}

Config Load(const std::string& path) {
  Config cfg;
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  cfg.path = abs.string();
  cfg.dir = abs.parent_path().string();
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream out;
    out << path << ":" << e.source().begin.line << ": " << e.description();
    throw ConfigError(out.str());
  }
  Reader r(cfg.path, cfg.dir);

  if (const toml::table* t = Table(root, "store")) {
    r.Get(*t, "redis", &cfg.store.url);
    r.Get(*t, "key_prefix", &cfg.store.key_prefix);
    cfg.store.endpoint = ParseRedisUrl(cfg.store.url);
    std::string password_file;
    r.GetPath(*t, "password_file", &password_file);
    if (!password_file.empty()) cfg.store.endpoint.password = ReadSecretFile(password_file);
  } else {
    cfg.store.endpoint = ParseRedisUrl(cfg.store.url);
  }
  if (const char* pw = std::getenv("REDIS_PASSWORD"); pw != nullptr && *pw != '\0') {
    cfg.store.endpoint.password = pw;
  }
  if (const toml::table* t = Table(root, "ocsp")) {
    r.Get(*t, "validity_s", &cfg.ocsp.validity_s);
    r.Get(*t, "resign_fraction", &cfg.ocsp.resign_fraction);
    r.Get(*t, "backdate_s", &cfg.ocsp.backdate_s);
    if (cfg.ocsp.validity_s < 60) r.Fail(*t, "validity_s must be at least 60");
    if (cfg.ocsp.resign_fraction <= 0 || cfg.ocsp.resign_fraction >= 1) {
      r.Fail(*t, "resign_fraction must be between 0 and 1");
    }
  }
  ForEachTable(r, root, "ca", [&](const toml::table& t) {
    CaConfig ca;
    LoadCa(r, t, &ca);
    if (cfg.FindCa(ca.name) != nullptr) r.Fail(t, "duplicate [[ca]] name '" + ca.name + "'");
    cfg.cas.push_back(std::move(ca));
  });
  if (const toml::table* t = Table(root, "responder")) {
    ResponderConfig& c = cfg.responder;
    r.GetList(*t, "listen", &c.listen);
    r.Get(*t, "workers", &c.workers);
    r.Get(*t, "max_body_bytes", &c.max_body_bytes);
    r.Get(*t, "max_url_bytes", &c.max_url_bytes);
    r.Get(*t, "max_header_bytes", &c.max_header_bytes);
    r.Get(*t, "header_timeout_ms", &c.header_timeout_ms);
    r.Get(*t, "idle_timeout_ms", &c.idle_timeout_ms);
    r.Get(*t, "max_connections", &c.max_connections);
    r.Get(*t, "signer_threads", &c.signer_threads);
    r.Get(*t, "signer_queue", &c.signer_queue);
    r.Get(*t, "signer_deadline_ms", &c.signer_deadline_ms);
    r.Get(*t, "negative_cache_s", &c.negative_cache_s);
    r.Get(*t, "signer_nice", &c.signer_nice);
    if (c.signer_nice < 0 || c.signer_nice > 19) r.Fail(*t, "signer_nice must be between 0 and 19");
    for (const std::string& l : c.listen) ParseListen(l);
  }
  for (CaConfig& ca : cfg.cas) {
    if (ca.ocsp_url.empty() && !cfg.responder.listen.empty()) {
      ListenAddress addr = ParseListen(cfg.responder.listen.front());
      std::string host = addr.host == "0.0.0.0" ? "127.0.0.1" : addr.host;
      if (host.find(':') != std::string::npos) host = "[" + host + "]";
      ca.ocsp_url = "http://" + host + ":" + std::to_string(addr.port) + "/";
    }
  }
  if (const toml::table* t = Table(root, "issuer")) {
    IssuerConfig& c = cfg.issuer;
    r.GetList(*t, "listen", &c.listen);
    r.Get(*t, "ca", &c.ca);
    r.Get(*t, "challenge", &c.challenge);
    r.Get(*t, "challenge_mode", &c.challenge_mode);
    r.Get(*t, "webhook_url", &c.webhook_url);
    r.Get(*t, "otp_ttl_s", &c.otp_ttl_s);
    r.Get(*t, "legacy_clients", &c.legacy_clients);
    r.Get(*t, "days", &c.days);
    r.Get(*t, "max_body_bytes", &c.max_body_bytes);
    r.Get(*t, "max_url_bytes", &c.max_url_bytes);
    r.Get(*t, "workers", &c.workers);
    r.GetPath(*t, "next_ca_cert", &c.next_ca_cert);
    r.Get(*t, "refuse_weak_algorithms", &c.refuse_weak_algorithms);
    r.Get(*t, "webhook_timeout_ms", &c.webhook_timeout_ms);
    std::string webhook_secret_file;
    r.GetPath(*t, "webhook_secret_file", &webhook_secret_file);
    if (!webhook_secret_file.empty()) c.webhook_secret = ReadSecretFile(webhook_secret_file);
    r.Get(*t, "pending_ttl_s", &c.pending_ttl_s);
    r.Get(*t, "max_connections", &c.max_connections);
    r.Get(*t, "header_timeout_ms", &c.header_timeout_ms);
    r.Get(*t, "idle_timeout_ms", &c.idle_timeout_ms);
    r.Get(*t, "queue", &c.queue);
    r.Get(*t, "subject", &c.subject);
    r.Get(*t, "copy_csr_sans", &c.copy_csr_sans);
    r.GetList(*t, "ekus", &c.ekus);
    r.GetList(*t, "uri_sans", &c.uri_sans);
    r.GetList(*t, "dns_sans", &c.dns_sans);
    r.Get(*t, "require_cn", &c.require_cn);
    r.GetList(*t, "allowed_dns_suffixes", &c.allowed_dns_suffixes);
    if (c.challenge_mode != "static" && c.challenge_mode != "otp" &&
        c.challenge_mode != "webhook" && c.challenge_mode != "manual" &&
        c.challenge_mode != "intune") {
      r.Fail(*t, "challenge_mode must be static, otp, webhook, manual or intune");
    }
    if (c.challenge_mode == "webhook" && c.webhook_url.empty()) {
      r.Fail(*t, "challenge_mode = \"webhook\" needs webhook_url");
    }
    std::string challenge_file;
    r.GetPath(*t, "challenge_file", &challenge_file);
    if (!challenge_file.empty()) c.challenge = ReadSecretFile(challenge_file);
    if (!c.ca.empty() && cfg.FindCa(c.ca) == nullptr) {
      r.Fail(*t, "[issuer] ca '" + c.ca + "' is not a [[ca]]");
    }
    for (const std::string& l : c.listen) ParseListen(l);
  }
  if (const toml::table* t = Table(root, "poller")) {
    r.Get(*t, "interval_s", &cfg.poller.interval_s);
    if (cfg.poller.interval_s < 1) r.Fail(*t, "interval_s must be at least 1");
  }
  ForEachTable(r, root, "directory", [&](const toml::table& t) {
    DirectoryConfig d;
    LoadDirectory(r, t, &d);
    for (const DirectoryConfig& other : cfg.directories) {
      if (other.name == d.name) r.Fail(t, "duplicate [[directory]] name '" + d.name + "'");
    }
    for (const std::string& ca : d.cas) {
      if (cfg.FindCa(ca) == nullptr) {
        r.Fail(t, "[[directory]] '" + d.name + "': cas names '" + ca + "', not a [[ca]]");
      }
    }
    if (!d.secret_file.empty()) d.secret = ReadSecretFile(d.secret_file);
    cfg.directories.push_back(std::move(d));
  });

  if (const toml::table* t = Table(root, "intune")) {
    IntuneConfig& c = cfg.intune;
    r.Get(*t, "tenant_id", &c.tenant_id);
    r.Get(*t, "client_id", &c.client_id);
    r.GetPath(*t, "client_secret_file", &c.client_secret_file);
    r.Get(*t, "token_url", &c.token_url);
    r.Get(*t, "scope", &c.scope);
    r.Get(*t, "validation_url", &c.validation_url);
    r.Get(*t, "api_version", &c.api_version);
    r.Get(*t, "timeout_ms", &c.timeout_ms);
    if (!c.client_secret_file.empty()) c.client_secret = ReadSecretFile(c.client_secret_file);
  }
  if (const toml::table* t = Table(root, "log")) r.Get(*t, "level", &cfg.log_level);
  return cfg;
}

}  // namespace keyward::config
