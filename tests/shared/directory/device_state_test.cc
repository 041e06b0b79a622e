// The device-state mapping (DESIGN.md contract) and sync planning.
#include "shared/directory/device_state.h"

#include <gtest/gtest.h>

#include "shared/directory/sync_plan.h"

namespace keyward::directory {
namespace {

using ocsp::CertStatus;
using ocsp::RevocationReason;
using store::Source;

const CertView kGood{CertStatus::kGood, RevocationReason::kNone, Source::kKeyward};
const CertView kHeld{CertStatus::kRevoked, RevocationReason::kCertificateHold, Source::kDirectory};
const CertView kGone{CertStatus::kRevoked, RevocationReason::kCessationOfOperation,
                     Source::kDirectory};
const CertView kAdmin{CertStatus::kRevoked, RevocationReason::kKeyCompromise, Source::kKeyward};
const CertView kAdminHold{CertStatus::kRevoked, RevocationReason::kCertificateHold,
                          Source::kKeyward};
const CertView kIndexRevoked{CertStatus::kRevoked, RevocationReason::kSuperseded, Source::kIndex};

std::string Show(std::optional<Target> t) {
  if (!t) return "stay";
  if (t->status == CertStatus::kGood) return "good";
  return "revoked/" + std::string(ocsp::ReasonName(t->reason));
}

TEST(DecideTest, ContractMapping) {
  const UnlistedPolicy keep = UnlistedPolicy::kKeep;
  EXPECT_EQ(Show(Decide(kGood, DeviceState::kActive, keep)), "stay");
  EXPECT_EQ(Show(Decide(kGood, DeviceState::kDisabled, keep)), "revoked/certificateHold");
  EXPECT_EQ(Show(Decide(kGood, DeviceState::kDeleted, keep)), "revoked/cessationOfOperation");
  EXPECT_EQ(Show(Decide(kHeld, DeviceState::kActive, keep)), "good");
  EXPECT_EQ(Show(Decide(kHeld, DeviceState::kDisabled, keep)), "stay");
  EXPECT_EQ(Show(Decide(kHeld, DeviceState::kDeleted, keep)), "revoked/cessationOfOperation");
  // Deletion is permanent.
  EXPECT_EQ(Show(Decide(kGone, DeviceState::kActive, keep)), "stay");
  EXPECT_EQ(Show(Decide(kGone, DeviceState::kDisabled, keep)), "stay");
}

TEST(DecideTest, AdminAndCaDatabaseRevocationsStand) {
  for (DeviceState s : {DeviceState::kActive, DeviceState::kDisabled, DeviceState::kDeleted}) {
    EXPECT_EQ(Show(Decide(kAdmin, s, UnlistedPolicy::kKeep)), "stay");
    EXPECT_EQ(Show(Decide(kAdminHold, s, UnlistedPolicy::kKeep)), "stay");
    EXPECT_EQ(Show(Decide(kIndexRevoked, s, UnlistedPolicy::kKeep)), "stay");
  }
}

TEST(DecideTest, UnlistedPolicy) {
  EXPECT_EQ(Show(Decide(kGood, std::nullopt, UnlistedPolicy::kKeep)), "stay");
  EXPECT_EQ(Show(Decide(kHeld, std::nullopt, UnlistedPolicy::kKeep)), "stay");
  EXPECT_EQ(Show(Decide(kGood, std::nullopt, UnlistedPolicy::kHold)), "revoked/certificateHold");
  EXPECT_EQ(Show(Decide(kGood, std::nullopt, UnlistedPolicy::kRevoke)),
            "revoked/cessationOfOperation");
}

TEST(DecideTest, ApplyTargetMarksTheDirectory) {
  store::CertRecord r;
  r.status = CertStatus::kGood;
  ApplyTarget({CertStatus::kRevoked, RevocationReason::kCertificateHold}, 1000, &r);
  EXPECT_EQ(r.source, Source::kDirectory);
  EXPECT_EQ(r.revoked_at, 1000);
  ApplyTarget({CertStatus::kRevoked, RevocationReason::kCessationOfOperation}, 2000, &r);
  EXPECT_EQ(r.revoked_at, 1000);  // stopped being good at the hold
  EXPECT_EQ(r.reason, RevocationReason::kCessationOfOperation);
  store::CertRecord back;
  back.status = CertStatus::kRevoked;
  back.revoked_at = 5;
  back.reason = RevocationReason::kCertificateHold;
  ApplyTarget({CertStatus::kGood, RevocationReason::kNone}, 3000, &back);
  EXPECT_EQ(back.status, CertStatus::kGood);
  EXPECT_EQ(back.revoked_at, 0);
  EXPECT_EQ(back.reason, RevocationReason::kNone);
}

TEST(SyncPlanTest, MergeKinds) {
  StateMap before = {{"a", DeviceState::kActive}, {"b", DeviceState::kDisabled}};
  SyncResult full{SyncResult::Kind::kFull, {{"a", DeviceState::kDisabled}}, 1};
  StateMap after = Merge(before, full);
  EXPECT_EQ(after.size(), 1u);
  EXPECT_EQ(after.at("a"), DeviceState::kDisabled);
  SyncResult delta{SyncResult::Kind::kDelta, {{"c", DeviceState::kDeleted}}, 1};
  after = Merge(before, delta);
  EXPECT_EQ(after.size(), 3u);
  SyncResult same{SyncResult::Kind::kNotModified, {}, 1};
  EXPECT_EQ(Merge(before, same), before);
}

TEST(SyncPlanTest, ThresholdCountsOnlyNewlyStopped) {
  StateMap before;
  for (int i = 0; i < 100; ++i) before["d" + std::to_string(i)] = DeviceState::kActive;
  before["d0"] = DeviceState::kDisabled;
  StateMap after = before;
  for (int i = 0; i < 30; ++i) after["d" + std::to_string(i)] = DeviceState::kDisabled;
  EXPECT_EQ(NewlyStopped(before, after, UnlistedPolicy::kKeep), 29);
  EXPECT_TRUE(ShouldHold(29, 100, 0.1, 10));
  EXPECT_FALSE(ShouldHold(29, 100, 0.3, 10));
  EXPECT_FALSE(ShouldHold(9, 20, 0.1, 10));  // under the floor
  StateMap shrunk = before;
  for (int i = 50; i < 100; ++i) shrunk.erase("d" + std::to_string(i));
  EXPECT_EQ(NewlyStopped(before, shrunk, UnlistedPolicy::kKeep), 0);
  EXPECT_EQ(NewlyStopped(before, shrunk, UnlistedPolicy::kHold), 50);
}

}  // namespace
}  // namespace keyward::directory
