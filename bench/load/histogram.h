#pragma once
// Histogram: a log-linear latency histogram in the manner of HdrHistogram.
// Values (nanoseconds) below 256 are counted exactly; above, each power of two
// is split into 128 equal buckets, so any reported percentile is within 0.8 %
// of the true value. Fixed memory (about 36 KiB), no allocation on Record.
#include <array>
#include <cstdint>

namespace keyward::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 7;                   // 128 sub-buckets per octave
  static constexpr int kMaxExponent = 42;              // 2^42 ns is about 73 minutes
  static constexpr int kLinear = 1 << (kSubBits + 1);  // 256 exact values
  static constexpr int kBuckets = kLinear + (kMaxExponent - kSubBits) * (1 << kSubBits);

  void Record(uint64_t value_ns);
  void Merge(const Histogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  double Mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // ValueAt: the value at quantile q in [0, 1] (the midpoint of its bucket,
  // capped at the recorded maximum); 0 when empty.
  uint64_t ValueAt(double q) const;

 private:
  static int IndexOf(uint64_t v);
  static uint64_t LowerBound(int index);
  static uint64_t Width(int index);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
};

}  // namespace keyward::bench
