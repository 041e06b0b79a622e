#include "shared/directory/metrics.h"

namespace keyward::directory {
namespace {

struct Family {
  const char* name;
  const char* type;
  const char* help;
  std::atomic<int64_t> DirectoryMetrics::*field;
};

const Family kFamilies[] = {
    {"keyward_directory_up", "gauge", "1 when the last sync of the directory succeeded",
     &DirectoryMetrics::up},
    {"keyward_directory_last_sync_timestamp_seconds", "gauge", "Unix time of the last good sync",
     &DirectoryMetrics::last_sync_ok},
    {"keyward_directory_last_sync_duration_ms", "gauge", "Duration of the last good sync",
     &DirectoryMetrics::last_sync_ms},
    {"keyward_directory_sync_failures_total", "counter", "Syncs that failed (state kept)",
     &DirectoryMetrics::sync_failures},
    {"keyward_directory_consecutive_failures", "gauge", "Failed syncs since the last good one",
     &DirectoryMetrics::consecutive_failures},
    {"keyward_directory_changes_applied_total", "counter",
     "Certificate status changes published because of the directory",
     &DirectoryMetrics::changes_applied},
    {"keyward_directory_sync_held", "gauge", "1 while a sync waits for keyward directory confirm",
     &DirectoryMetrics::held},
    {"keyward_directory_webhook_accepted_total", "counter", "Webhook posts accepted",
     &DirectoryMetrics::webhook_accepted},
    {"keyward_directory_webhook_refused_total", "counter",
     "Webhook posts refused (signature, timestamp, replay, body)",
     &DirectoryMetrics::webhook_refused},
};

}  // namespace

std::string RenderMetrics(const std::vector<const DirectoryMetrics*>& all) {
  std::string out;
  for (const Family& f : kFamilies) {
    out +=
        std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.type + "\n";
    for (const DirectoryMetrics* m : all) {
      out += std::string(f.name) + "{directory=\"" + m->name + "\",kind=\"" + m->kind + "\"} " +
             std::to_string((m->*f.field).load()) + "\n";
    }
  }
  out +=
      "# HELP keyward_directory_devices Devices by state as the directory last said\n"
      "# TYPE keyward_directory_devices gauge\n";
  for (const DirectoryMetrics* m : all) {
    const std::pair<const char*, int64_t> states[] = {{"active", m->devices_active.load()},
                                                      {"disabled", m->devices_disabled.load()},
                                                      {"deleted", m->devices_deleted.load()}};
    for (const auto& [state, n] : states) {
      out += "keyward_directory_devices{directory=\"" + m->name + "\",state=\"" + state + "\"} " +
             std::to_string(n) + "\n";
    }
  }
  return out;
}

}  // namespace keyward::directory
