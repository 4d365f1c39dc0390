// Counter-based randomness for the simulator: every random number is a hash
// of (seed, what, index), so a device's signals do not depend on the order
// in which threads compute them, and --seed reproduces a run exactly.
#ifndef QILIAN_PLATFORM_DEVSIM_RANDOM_H_
#define QILIAN_PLATFORM_DEVSIM_RANDOM_H_

#include <cmath>
#include <cstdint>

namespace qilian::platform::devsim {

// SplitMix64's finaliser: a bijection on 64 bits with good avalanche.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t Hash(uint64_t a, uint64_t b) { return Mix64(a ^ Mix64(b)); }
inline uint64_t Hash(uint64_t a, uint64_t b, uint64_t c) { return Hash(Hash(a, b), c); }

// Uniform in [0, 1).
inline double Unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

// Standard normal (Box-Muller on two uniforms drawn from h).
inline double Gaussian(uint64_t h) {
  double u1 = Unit(Mix64(h)), u2 = Unit(Mix64(h ^ 0x5851F42D4C957F2Dull));
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

}  // namespace qilian::platform::devsim

#endif  // QILIAN_PLATFORM_DEVSIM_RANDOM_H_
