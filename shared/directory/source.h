#pragma once
// directory::Source: one [[directory]] that is pulled (http-json, entra,
// intune, jamf). A webhook directory has no Source: its events are pushed.
//
// Fetch reads the directory once. It either fails (nothing changes: the last
// known state holds) or returns what it saw:
//   kNotModified  the listing is as last committed (ETag matched);
//   kFull         every device the directory lists now;
//   kDelta        only the devices that changed since the last commit.
// Commit tells the source that the result was applied, so it may advance its
// cursor (ETag, delta link). A result that was not applied (held by the
// safety threshold, or a failed publish) is not committed, and the next Fetch
// reads the same changes again.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/directory/device_state.h"
#include "shared/result.h"

namespace keyward::directory {

struct SyncResult {
  enum class Kind : uint8_t { kNotModified, kFull, kDelta };
  Kind kind = Kind::kFull;
  std::vector<DeviceUpdate> devices;
  size_t pages = 0;  // HTTP pages read
};

class Source {
 public:
  virtual ~Source() = default;
  virtual Result<SyncResult> Fetch(int64_t now) = 0;
  virtual void Commit() = 0;
};

// MakeSource builds the source for `cfg.kind` (not "webhook"), reading its
// token or client secret file. Errors name the directory and the file.
Result<std::unique_ptr<Source>> MakeSource(const config::DirectoryConfig& cfg);

// ReadSecret: a file's content without trailing whitespace; errors name it.
Result<std::string> ReadSecret(const std::string& path);

// SameOrigin: `url` has the scheme, host and port of `base`. Paging links are
// followed, and credentials sent, only to the directory's own origin.
bool SameOrigin(const std::string& base, const std::string& url);

}  // namespace keyward::directory
