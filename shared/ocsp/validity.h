#pragma once
// Validity: the clock and the window a signed OCSP response states.
// producedAt is `now`, thisUpdate `now - backdate_s` (a little in the past,
// for clients whose clocks run behind), nextUpdate `now + validity_s`.
#include <cstdint>

namespace keyward::ocsp {

struct Validity {
  int64_t now = 0;
  int64_t validity_s = 24 * 3600;
  int64_t backdate_s = 60;
};

}  // namespace keyward::ocsp
