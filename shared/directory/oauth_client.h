#pragma once
// ClientCredentials: an OAuth 2.0 client-credentials token (RFC 6749 4.4),
// as Microsoft Entra ID (for Graph and the Intune SCEP validation API) and
// Jamf Pro API clients issue them. The token is cached until a minute before
// it expires. Not thread-safe: one per caller thread.
#include <cstdint>
#include <string>

#include "shared/result.h"

namespace keyward::directory {

class ClientCredentials {
 public:
  // `scope` may be empty (Jamf takes none).
  ClientCredentials(std::string token_url, std::string client_id, std::string client_secret,
                    std::string scope, int timeout_ms);

  // Token returns a valid access token, fetching one when none is cached or
  // the cached one expires within 60 s of `now`. Errors carry the endpoint's
  // status and its OAuth error code, never the secret.
  Result<std::string> Token(int64_t now);
  // Forget drops the cached token (after a 401).
  void Forget() { token_.clear(); }

 private:
  std::string token_url_, client_id_, client_secret_, scope_;
  int timeout_ms_;
  std::string token_;
  int64_t expires_at_ = 0;
};

// EntraTokenUrl: https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token.
std::string EntraTokenUrl(const std::string& tenant_id);

}  // namespace keyward::directory
