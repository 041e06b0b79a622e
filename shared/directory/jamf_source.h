#pragma once
// JamfSource: Jamf Pro as a directory, through the Jamf Pro API with an API
// client's OAuth client credentials (token from token_url, default
// {url}/api/oauth/token). Each Fetch reads, paged (page, page-size=200,
// until totalCount is reached):
//   GET {url}/api/v1/computers-inventory?section=GENERAL&page=N&page-size=200&sort=id%3Aasc
//       results[]: {"id", "udid", "general": {"remoteManagement": {"managed": bool}}}
//   GET {url}/api/v2/mobile-devices?page=N&page-size=200&sort=id%3Aasc
//       results[]: {"id", "udid", "serialNumber", "managed": bool}
// and returns both together as kFull. Managed -> active; unmanaged ->
// disabled; a device gone from Jamf falls under the `unlisted` policy. The
// device ID is "udid" (what Jamf SCEP payloads write as $UDID), or id_field
// = "id" / "serialNumber". Permissions: docs/directory.md.
#include <string>

#include "shared/directory/oauth_client.h"
#include "shared/directory/source.h"

namespace keyward::directory {

class JamfSource : public Source {
 public:
  JamfSource(const config::DirectoryConfig& cfg, std::string client_secret);
  Result<SyncResult> Fetch(int64_t now) override;
  void Commit() override {}

 private:
  enum class Inventory { kComputers, kMobileDevices };
  Result<void> FetchInventory(Inventory which, int64_t now, SyncResult* out);

  config::DirectoryConfig cfg_;
  std::string base_;
  ClientCredentials oauth_;
};

}  // namespace keyward::directory
