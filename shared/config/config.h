#pragma once
// Config: the one TOML file every Keyward process reads (deploy/keyward.example.toml).
// Load throws ConfigError (with file and line) at start-up only; nothing on a
// request path touches it.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace keyward::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;  // Redis ACL user (redis://user:password@host)
  std::string password;  // from the URL, [store].password_file or REDIS_PASSWORD
  std::string unix_socket;
};

struct StoreConfig {
  std::string url = "redis://127.0.0.1:6379/0";
  RedisEndpoint endpoint;
  std::string key_prefix = "kw:";  // every key Keyward writes starts with this
};

struct OcspConfig {
  // Signed responses are valid this long (nextUpdate - thisUpdate).
  int64_t validity_s = 24 * 3600;
  // Re-sign once this share of the validity has passed.
  double resign_fraction = 0.5;
  // thisUpdate is backdated by this much for clients with slow clocks.
  int64_t backdate_s = 60;
};

struct CaConfig {
  std::string name;
  std::string cert;              // CA certificate (PEM)
  std::string key;               // CA key: only where Keyward issues
  std::string ocsp_signer_cert;  // delegated OCSP signer
  std::string ocsp_signer_key;
  std::string ocsp_signer_key_type = "ec-p256";  // for `ca init`: ec-p256, rsa-2048, rsa-3072
  std::string key_type = "ec-p256";              // for `ca init` of the CA itself
  std::string ra_cert;                           // RSA RA (decrypter) certificate for SCEP
  std::string ra_key;
  std::string index;      // OpenSSL index.txt status source
  std::string crl;        // CRL status source (path or http URL)
  std::string device_id;  // "san-uri:PREFIX", "subject:CN", "san-dns"
  // For a CA Keyward issues from: answer unknown serials "revoked" with the
  // RFC 6960 2.2 extended-revoked extension instead of "unknown".
  bool unknown_as_revoked = false;
  int default_days = 365;
  // OCSP URL written into issued certificates (AIA); default: the first
  // [responder] listen address.
  std::string ocsp_url;
  std::string subject;  // for `ca init`: subject of a new CA ("CN=<name> CA" if empty)

  bool issues() const { return !key.empty(); }
};

struct ResponderConfig {
  std::vector<std::string> listen{"127.0.0.1:8080"};
  int workers = 0;  // 0: one per core
  size_t max_body_bytes = 16 * 1024;
  size_t max_url_bytes = 16 * 1024;
  size_t max_header_bytes = 16 * 1024;
  int header_timeout_ms = 10'000;
  int idle_timeout_ms = 30'000;
  int max_connections = 10'000;  // per process
  int signer_threads = 0;        // 0: one per core
  int signer_queue = 1024;       // live-signing jobs waiting, per process
  int signer_deadline_ms = 500;  // a queued job older than this gets tryLater
  // How many nice steps (0 to 19) the signer threads run below the process:
  // when signing and the event loops want the same core, the loops, and so
  // the cached hit path, win it.
  int signer_nice = 10;
  int negative_cache_s = 5;  // "unknown" answers are cached this long
};

struct IssuerConfig {
  std::vector<std::string> listen{"127.0.0.1:8081"};
  std::string ca;
  std::string challenge;                  // static challenge password
  std::string challenge_mode = "static";  // static, otp, webhook, manual
  std::string webhook_url;
  int otp_ttl_s = 3600;
  bool legacy_clients = false;  // offer SHA-1 and DES3 in GetCACaps
  int days = 365;
  size_t max_body_bytes = 256 * 1024;
  size_t max_url_bytes = 64 * 1024;
  int workers = 0;
  std::string next_ca_cert;  // GetNextCACert rollover certificate
  // Refuse SHA-1, DES and 3DES in requests unless legacy_clients is on.
  // Off by default: some clients (micromdm scepclient 2.1, old network gear)
  // use them whatever GetCACaps says. Answers never use single DES.
  bool refuse_weak_algorithms = false;
  int webhook_timeout_ms = 5000;
  std::string webhook_secret;         // sent as "Authorization: Bearer ..." (webhook_secret_file)
  int pending_ttl_s = 7 * 24 * 3600;  // manual-approval requests expire after this
  int max_connections = 1024;
  int header_timeout_ms = 10'000;
  int idle_timeout_ms = 30'000;
  int queue = 256;  // requests waiting for a worker before 503
  // Profile: what issued certificates carry.
  std::string subject;  // forced subject ("CN={cn},O=Acme"); "" copies the CSR's
  bool copy_csr_sans = true;
  std::vector<std::string> ekus{"clientAuth"};
  std::vector<std::string> uri_sans;  // added; "{cn}" is the CSR's CN ("urn:device:{cn}")
  std::vector<std::string> dns_sans;  // added; "{cn}" likewise
  bool require_cn = false;            // refuse CSRs without a CN
  std::vector<std::string> allowed_dns_suffixes;  // CSR DNS SANs must end with one (empty: any)
};

struct PollerConfig {
  int interval_s = 5;
};

struct DirectoryConfig {
  std::string name;
  std::string kind;  // http-json, webhook, entra, intune, jamf
  std::string url;
  int interval_s = 5;
  std::vector<std::string> cas;
  std::string token_file;
  std::string secret_file;
  std::string listen;
  std::string tenant_id, client_id, client_secret_file, token_url;
  double max_disable_fraction = 0.1;
  // A sync that disables or deletes no more than this many devices is never
  // held, whatever the fraction (small fleets, single events).
  int safety_floor = 10;
  // What a certificate whose device the directory does not list gets:
  // "keep" (leave as is), "hold" (certificateHold) or "revoke"
  // (cessationOfOperation).
  std::string unlisted = "keep";
  std::string id_field;       // which source field is the device ID ("" = kind's default)
  int replay_window_s = 300;  // webhook: |now - timestamp| allowed
  int timeout_ms = 10'000;    // per HTTP call to the directory
  std::string scope;          // OAuth scope ("" = kind's default)
  std::string secret;         // read from secret_file at load
};

// IntuneConfig ([intune]): Entra app credentials and the endpoint of the
// Intune SCEP validation API, for the issuer's "intune" challenge mode.
struct IntuneConfig {
  std::string tenant_id;
  std::string client_id;
  std::string client_secret_file;
  std::string client_secret;  // read from client_secret_file at load
  std::string token_url;      // "" = https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
  std::string scope = "https://api.manage.microsoft.com//.default";
  std::string validation_url;  // ScepRequestValidationFEService base URL
  std::string api_version = "2018-02-20";
  int timeout_ms = 10'000;
};

struct Config {
  std::string path;  // the file it came from
  std::string dir;   // its directory: relative paths are resolved against it
  StoreConfig store;
  OcspConfig ocsp;
  std::vector<CaConfig> cas;
  ResponderConfig responder;
  IssuerConfig issuer;
  PollerConfig poller;
  std::vector<DirectoryConfig> directories;
  IntuneConfig intune;
  std::string log_level = "info";

  const CaConfig* FindCa(const std::string& name) const;
};

// Load reads and validates `path`. Relative file paths inside it are made
// absolute against the file's directory. Throws ConfigError.
Config Load(const std::string& path);

// ParseRedisUrl: "redis://[:password@]host[:port][/db]" or "unix:///path".
// Throws ConfigError.
RedisEndpoint ParseRedisUrl(const std::string& url);

// ParseListen: "127.0.0.1:8080", "[::1]:8080", ":8080". Throws ConfigError.
struct ListenAddress {
  std::string host;
  int port = 0;
};
ListenAddress ParseListen(const std::string& text);

}  // namespace keyward::config
