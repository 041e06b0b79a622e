#include "poller/directory_pass.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "shared/directory/sync_plan.h"

namespace keyward::poller {
namespace {

using directory::DeviceState;
using directory::SyncResult;
using directory::UnlistedPolicy;

constexpr size_t kPublishBatch = 500;
constexpr size_t kLogEachChangeUpTo = 20;  // above this, one summary line per pass

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DirectoryPass::DirectoryPass(const config::Config& cfg, Poller& poller,
                             const status::StatusPublisher& publisher)
    : cfg_(cfg), poller_(poller), publisher_(publisher) {}

Result<void> DirectoryPass::Start() {
  dirs_.clear();
  dirs_.reserve(cfg_.directories.size());
  for (const config::DirectoryConfig& c : cfg_.directories) {
    Dir d;
    d.cfg = &c;
    d.unlisted = directory::UnlistedPolicyFromName(c.unlisted).value_or(UnlistedPolicy::kKeep);
    if (c.kind != "webhook") {
      Result<std::unique_ptr<directory::Source>> src = directory::MakeSource(c);
      if (!src) return Fail(src.error());
      d.source = std::move(*src);
    }
    d.store = std::make_unique<directory::StateStore>(cfg_.store, c.name);
    Result<directory::StateMap> states = d.store->Load();
    if (!states) return Fail("directory " + c.name + ": " + states.error());
    d.states = std::move(*states);
    d.metrics = std::make_unique<directory::DirectoryMetrics>();
    d.metrics->name = c.name;
    d.metrics->kind = c.kind;
    Result<std::optional<directory::HeldSync>> held = d.store->GetHeld();
    if (held && held->has_value()) d.metrics->held = 1;
    CountStates(d);
    spdlog::info("directory {}: {} (covers {} CA(s)), {} devices known from Redis", c.name, c.kind,
                 c.cas.size(), d.states.size());
    dirs_.push_back(std::move(d));
  }
  dirs_of_ca_.clear();
  for (size_t i = 0; i < dirs_.size(); ++i) {
    for (const std::string& ca : dirs_[i].cfg->cas) dirs_of_ca_[ca].push_back(i);
  }
  return {};
}

DirectoryPass::Dir* DirectoryPass::FindDir(const std::string& name) {
  for (Dir& d : dirs_) {
    if (d.cfg->name == name) return &d;
  }
  return nullptr;
}

directory::DirectoryMetrics* DirectoryPass::FindMetrics(const std::string& name) {
  Dir* d = FindDir(name);
  return d == nullptr ? nullptr : d->metrics.get();
}

std::vector<const directory::DirectoryMetrics*> DirectoryPass::metrics() const {
  std::vector<const directory::DirectoryMetrics*> out;
  for (const Dir& d : dirs_) out.push_back(d.metrics.get());
  return out;
}

void DirectoryPass::CountStates(Dir& dir) {
  int64_t n[3] = {0, 0, 0};
  for (const auto& [id, s] : dir.states) ++n[static_cast<int>(s)];
  dir.metrics->devices_active = n[0];
  dir.metrics->devices_disabled = n[1];
  dir.metrics->devices_deleted = n[2];
}

void DirectoryPass::RunDue(int64_t now) {
  bool pulled = false;
  for (Dir& d : dirs_) {
    if (!d.source || now < d.next_due) continue;
    d.next_due = now + d.cfg->interval_s;
    PullOne(d, now);
    pulled = true;
  }
  if (!pulled) return;
  // Reconcile even after a failed pull: certificates issued since the last
  // pass must follow the last known state of their device.
  Result<size_t> n = Reconcile(now);
  if (!n) spdlog::error("directory: publishing changes failed (retried next pass): {}", n.error());
}

void DirectoryPass::PullOne(Dir& d, int64_t now) {
  const int64_t started = NowMs();
  Result<SyncResult> got = d.source->Fetch(now);
  if (!got) {
    // The last known state holds; nothing flips because a directory is down.
    ++d.metrics->sync_failures;
    int64_t streak = ++d.metrics->consecutive_failures;
    d.metrics->up = 0;
    spdlog::error("directory {}: sync failed ({} in a row), last known state kept: {}", d.cfg->name,
                  streak, got.error());
    Result<void> rec = d.store->RecordError(now, got.error());
    if (!rec) spdlog::warn("directory {}: {}", d.cfg->name, rec.error());
    return;
  }
  Result<Applied> applied = Apply(d, *got, now);
  if (!applied) {
    ++d.metrics->sync_failures;
    d.metrics->up = 0;
    spdlog::error("directory {}: cannot record the sync, last known state kept: {}", d.cfg->name,
                  applied.error());
    return;
  }
  if (*applied == Applied::kApplied) d.source->Commit();
  d.metrics->up = 1;
  d.metrics->consecutive_failures = 0;
  d.metrics->last_sync_ok = now;
  d.metrics->last_sync_ms = NowMs() - started;
  Result<void> rec = d.store->RecordOk(now, 0);
  if (!rec) spdlog::warn("directory {}: {}", d.cfg->name, rec.error());
  spdlog::debug("directory {}: sync ok, {} page(s), {} device(s) known", d.cfg->name, got->pages,
                d.states.size());
}

Result<DirectoryPass::Applied> DirectoryPass::Apply(Dir& d, const SyncResult& result, int64_t now) {
  if (result.kind == SyncResult::Kind::kNotModified) return Applied::kApplied;
  directory::StateMap after = directory::Merge(d.states, result);
  int64_t stopped = directory::NewlyStopped(d.states, after, d.unlisted);
  int64_t known = static_cast<int64_t>(std::max(d.states.size(), after.size()));
  Result<bool> confirmed = d.store->TakeConfirm();
  if (!confirmed) return Fail(confirmed.error());
  if (directory::ShouldHold(stopped, known, d.cfg->max_disable_fraction, d.cfg->safety_floor)) {
    if (!*confirmed) {
      Result<std::optional<directory::HeldSync>> held = d.store->GetHeld();
      if (!held) return Fail(held.error());
      if (!held->has_value() || (*held)->count != stopped) {
        Result<void> ok = d.store->SetHeld({stopped, known, now});
        if (!ok) return Fail(ok.error());
        spdlog::warn(
            "directory {}: sync held: it would disable or delete {} of {} devices (more than "
            "max_disable_fraction {}); nothing changed. Check the directory, then run "
            "`keyward directory confirm --config {} --name {}`",
            d.cfg->name, stopped, known, d.cfg->max_disable_fraction, cfg_.path, d.cfg->name);
      }
      d.metrics->held = 1;
      return Applied::kHeld;
    }
    spdlog::warn(
        "directory {}: applying a sync that disables or deletes {} of {} devices "
        "(confirmed with keyward directory confirm)",
        d.cfg->name, stopped, known);
  }
  if (d.metrics->held.load() != 0) {
    Result<void> ok = d.store->ClearHeld();
    if (!ok) return Fail(ok.error());
    d.metrics->held = 0;
  }
  Result<void> saved = d.store->Save(d.states, after);
  if (!saved) return Fail(saved.error());
  d.states = std::move(after);
  CountStates(d);
  return Applied::kApplied;
}

std::future<EventOutcome> DirectoryPass::Submit(const std::string& name,
                                                std::vector<directory::DeviceUpdate> events) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.push_back(Pending{name, std::move(events), {}});
  return pending_.back().done.get_future();
}

void DirectoryPass::DrainEvents(int64_t now) {
  std::vector<Pending> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return;
  std::vector<EventOutcome> outcomes(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    Dir* d = FindDir(batch[i].name);
    if (d == nullptr) {
      outcomes[i] = {EventOutcome::Kind::kFailed, 0, "no such directory"};
      continue;
    }
    SyncResult events;
    events.kind = SyncResult::Kind::kDelta;
    events.devices = std::move(batch[i].events);
    Result<Applied> applied = Apply(*d, events, now);
    if (!applied) {
      outcomes[i] = {EventOutcome::Kind::kFailed, 0, applied.error()};
    } else if (*applied == Applied::kHeld) {
      outcomes[i].kind = EventOutcome::Kind::kHeld;
    } else {
      d->metrics->last_sync_ok = now;
      d->metrics->up = 1;
    }
  }
  size_t before = changes_applied_;
  Result<size_t> n = Reconcile(now);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!n && outcomes[i].kind == EventOutcome::Kind::kApplied) {
      outcomes[i] = {EventOutcome::Kind::kFailed, 0, n.error()};
    }
    // Changes are not attributed to one post when several arrive together.
    if (outcomes[i].kind == EventOutcome::Kind::kApplied)
      outcomes[i].changes = changes_applied_ - before;
    batch[i].done.set_value(outcomes[i]);
  }
}

Result<size_t> DirectoryPass::Reconcile(int64_t now) {
  Result<void> synced = poller_.Sync();
  if (!synced) return Fail(synced.error());
  std::vector<store::CertRecord> due;
  std::vector<size_t> due_dir;  // for the metrics: the directory that decided
  size_t published = 0;
  auto flush = [&]() -> Result<void> {
    if (due.empty()) return {};
    Result<void> ok = publisher_.PublishBatch(due, now);
    if (!ok) return ok;
    for (size_t i = 0; i < due.size(); ++i) {
      store::CertRecord& r = due[i];
      r.updated_at = now;
      poller_.Remember(r);
      ++dirs_[due_dir[i]].metrics->changes_applied;
      if (published + i < kLogEachChangeUpTo) {
        spdlog::info("directory {}: device {}: CA {} serial {} is now {}{}{}",
                     dirs_[due_dir[i]].cfg->name, r.device_id, r.ca, r.serial_hex,
                     ocsp::CertStatusName(r.status),
                     r.status == ocsp::CertStatus::kRevoked ? " " : "", ocsp::ReasonName(r.reason));
      }
    }
    published += due.size();
    due.clear();
    due_dir.clear();
    return {};
  };
  for (const auto& [device, certs] : poller_.by_device()) {
    for (const Poller::CertRef& c : certs) {
      auto covering = dirs_of_ca_.find(c.ca);
      if (covering == dirs_of_ca_.end()) continue;
      // Several directories may cover one CA: the strictest word wins, so
      // one directory's "enabled" cannot release another's hold.
      std::optional<DeviceState> state;
      UnlistedPolicy unlisted = UnlistedPolicy::kKeep;
      size_t decider = covering->second.front();
      for (size_t i : covering->second) {
        const Dir& d = dirs_[i];
        unlisted = std::max(unlisted, d.unlisted);
        auto it = d.states.find(device);
        if (it != d.states.end() && (!state || it->second > *state)) {
          state = it->second;
          decider = i;
        }
      }
      const Poller::Known* k = poller_.Find(c.ca, c.serial_hex);
      if (k == nullptr) continue;
      std::optional<directory::Target> target =
          directory::Decide({k->status, k->reason, k->source}, state, unlisted);
      if (!target) continue;
      Result<std::optional<store::CertRecord>> rec =
          publisher_.store().GetRecord(c.ca, c.serial_hex);
      if (!rec) return Fail(rec.error());
      if (!rec->has_value()) continue;
      directory::ApplyTarget(*target, now, &**rec);
      due.push_back(std::move(**rec));
      due_dir.push_back(decider);
      if (due.size() >= kPublishBatch) {
        Result<void> ok = flush();
        if (!ok) return Fail(ok.error());
      }
    }
  }
  Result<void> ok = flush();
  if (!ok) return Fail(ok.error());
  if (published > kLogEachChangeUpTo) {
    spdlog::info("directory: {} certificate status changes published", published);
  }
  changes_applied_ += published;
  return published;
}

}  // namespace keyward::poller
