#pragma once
// What every `keyward` command needs: the config, a store connection and the
// CAs' material. Each loader throws CommandError with one line for the user.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/pki/ca_material.h"
#include "shared/status/status_publisher.h"
#include "shared/store/store.h"

namespace keyward::cli {

struct Context {
  config::Config cfg;
  std::unique_ptr<store::StoreWriter> store;
  std::vector<pki::CaMaterial> cas;
  std::unique_ptr<status::StatusPublisher> publisher;

  const pki::CaMaterial& Ca(const std::string& name) const;
};

enum class NeedStore { kNo, kYes };

// LoadContext reads `config_path`, loads every CA (with `use`), and connects
// to the store when asked. Admin actions authenticate to Redis with the
// password from the config or REDIS_PASSWORD.
Context LoadContext(const std::string& config_path, pki::KeyUse use, NeedStore need_store);

config::Config LoadConfigOrThrow(const std::string& path);
const config::CaConfig& CaConfigOrThrow(const config::Config& cfg, const std::string& name);
// SerialOrThrow normalises user input to the store's serial form.
std::string SerialOrThrow(const std::string& text);
int64_t NowSeconds();
// FormatTime: "2026-12-01 21:46:00 UTC".
std::string FormatTime(int64_t unix_seconds);

}  // namespace keyward::cli
