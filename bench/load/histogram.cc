#include "bench/load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace keyward::bench {

int Histogram::IndexOf(uint64_t v) {
  if (v < static_cast<uint64_t>(kLinear)) return static_cast<int>(v);
  int e = 63 - std::countl_zero(v);  // floor(log2 v), at least kSubBits + 1
  if (e >= kMaxExponent) return kBuckets - 1;
  int shift = e - kSubBits;
  uint64_t top = v >> shift;  // in [128, 256)
  return kLinear + (e - kSubBits - 1) * (1 << kSubBits) +
         static_cast<int>(top - (uint64_t{1} << kSubBits));
}

uint64_t Histogram::LowerBound(int index) {
  if (index < kLinear) return static_cast<uint64_t>(index);
  int rel = index - kLinear;
  int e = rel / (1 << kSubBits) + kSubBits + 1;
  uint64_t top = (uint64_t{1} << kSubBits) + static_cast<uint64_t>(rel % (1 << kSubBits));
  return top << (e - kSubBits);
}

uint64_t Histogram::Width(int index) {
  if (index < kLinear) return 1;
  int e = (index - kLinear) / (1 << kSubBits) + kSubBits + 1;
  return uint64_t{1} << (e - kSubBits);
}

void Histogram::Record(uint64_t value_ns) {
  ++counts_[IndexOf(value_ns)];
  ++count_;
  sum_ += value_ns;
  max_ = std::max(max_, value_ns);
  min_ = std::min(min_, value_ns);
}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

void Histogram::Reset() { *this = Histogram(); }

uint64_t Histogram::ValueAt(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the q-quantile, 1-based, as HdrHistogram counts it.
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      uint64_t mid = LowerBound(i) + Width(i) / 2;
      return std::min(mid, max_);
    }
  }
  return max_;
}

}  // namespace keyward::bench
