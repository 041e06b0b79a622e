#pragma once
// GraphSource: Microsoft Graph as a directory, with OAuth client credentials
// (Entra app registration; token from token_url, default
// https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token, scope
// https://graph.microsoft.com/.default).
//
// kind "entra": GET {url}/v1.0/devices/delta?$select=id,deviceId,accountEnabled
//   The first round (no delta link yet) lists every device: kFull. Its last
//   page carries "@odata.deltaLink"; later Fetches GET that link and return
//   kDelta. accountEnabled false -> disabled. An entry with "@removed" is a
//   deleted device: reason "deleted" (gone for good) -> deleted, reason
//   "changed" (in deleted items, restorable for 30 days) -> disabled. A 410
//   Gone (delta token expired) starts a new full round. The device ID is
//   "deviceId" (the Entra device ID that Intune writes as {{AAD_Device_ID}});
//   id_field = "id" uses the directory object ID instead. "@removed" entries
//   carry only the object ID, so the source remembers object ID -> device ID
//   from the rounds it has seen.
// kind "intune": GET {url}/v1.0/deviceManagement/managedDevices
//   ?$select=id,azureADDeviceId,managementState, paged by "@odata.nextLink":
//   kFull (managedDevices has no delta query). managementState
//   retirePending, retireIssued, wipePending, wipeIssued or deletePending ->
//   disabled; otherwise active. The ID is "id" (Intune's {{DeviceId}}), or
//   id_field = "azureADDeviceId".
// `url` defaults to https://graph.microsoft.com. Permissions: docs/directory.md.
#include <string>
#include <unordered_map>

#include "shared/directory/oauth_client.h"
#include "shared/directory/source.h"

namespace keyward::directory {

class GraphSource : public Source {
 public:
  GraphSource(const config::DirectoryConfig& cfg, std::string client_secret);
  Result<SyncResult> Fetch(int64_t now) override;
  void Commit() override;

 private:
  Result<SyncResult> FetchPages(const std::string& first_url, SyncResult::Kind kind, int64_t now);
  Result<void> ParsePage(const std::string& body, SyncResult* out, std::string* next,
                         std::string* delta);

  config::DirectoryConfig cfg_;
  std::string base_;
  ClientCredentials oauth_;
  std::string delta_link_;          // entra: committed cursor
  std::string pending_delta_link_;  // entra: cursor of the last fetch
  std::unordered_map<std::string, std::string> object_to_device_;  // entra
};

}  // namespace keyward::directory
