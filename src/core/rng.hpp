#pragma once
// Seeded randomness: every random choice in a run comes from an Rng built from the run's seed,
// so a run is reproducible from its seed.
#include <cstdint>
#include <random>

namespace inferbench {

using Rng = std::mt19937_64;

// A generator for one named stream of a run: independent streams (arrivals, lengths, prompts)
// derived from one seed, so adding draws to one stream does not shift another.
inline Rng make_rng(std::uint64_t seed, std::uint64_t stream) {
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)};
  return Rng(seq);
}

}  // namespace inferbench
