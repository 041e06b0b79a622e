#include "cli/context.h"

#include <ctime>

#include "cli/commands.h"
#include "shared/ocsp/cert_id.h"

namespace keyward::cli {

const pki::CaMaterial& Context::Ca(const std::string& name) const {
  for (const pki::CaMaterial& ca : cas) {
    if (ca.name == name) return ca;
  }
  throw CommandError("no [[ca]] named '" + name + "' in " + cfg.path);
}

config::Config LoadConfigOrThrow(const std::string& path) {
  try {
    return config::Load(path);
  } catch (const config::ConfigError& e) {
    throw CommandError(e.what());
  }
}

const config::CaConfig& CaConfigOrThrow(const config::Config& cfg, const std::string& name) {
  const config::CaConfig* ca = cfg.FindCa(name);
  if (ca == nullptr) throw CommandError("no [[ca]] named '" + name + "' in " + cfg.path);
  return *ca;
}

std::string SerialOrThrow(const std::string& text) {
  std::optional<std::string> serial = ocsp::NormalizeSerialHex(text);
  if (!serial) throw CommandError("serial '" + text + "' is not a hexadecimal number");
  return *serial;
}

Context LoadContext(const std::string& config_path, pki::KeyUse use, NeedStore need_store) {
  Context ctx;
  ctx.cfg = LoadConfigOrThrow(config_path);
  for (const config::CaConfig& ca_cfg : ctx.cfg.cas) {
    // Only a CA that has a key can issue; index- or CRL-backed CAs sign
    // responses with their delegated signer alone.
    pki::KeyUse ca_use = ca_cfg.issues() ? use : pki::KeyUse::kOcspOnly;
    Result<pki::CaMaterial> ca = pki::LoadCa(ca_cfg, ca_use);
    if (!ca) {
      throw CommandError("CA '" + ca_cfg.name + "': " + ca.error() +
                         " (run `keyward ca init --config " + ctx.cfg.path + "` to create it)");
    }
    ctx.cas.push_back(std::move(*ca));
  }
  if (need_store == NeedStore::kYes) {
    Result<std::unique_ptr<store::StoreWriter>> store = store::ConnectRedis(ctx.cfg.store);
    if (!store) throw CommandError(store.error());
    ctx.store = std::move(*store);
    ctx.publisher = std::make_unique<status::StatusPublisher>(*ctx.store, ctx.cas, ctx.cfg.ocsp);
  }
  return ctx;
}

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

std::string FormatTime(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace keyward::cli
