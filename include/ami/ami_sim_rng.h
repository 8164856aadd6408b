/*
 * ami_sim_rng.h -- the small, fast, seedable PRNG of the simulators.
 *
 * xoshiro256** (Blackman and Vigna, 2018): 256 bits of state, period
 * 2^256 - 1, passes BigCrush, a handful of shifts and rotations per draw.
 * Its state is filled from a 64-bit seed by splitmix64 (Steele, Lea and
 * Flood, 2014), as its authors recommend, so that neighbouring seeds give
 * unrelated streams.
 *
 * The simulators never keep one long stream per meter: they derive a fresh
 * generator from (seed, household, slot) with ami_sim_rng_seed3, so that any
 * instant can be evaluated in O(1) without replaying what came before, and
 * the same arguments always give the same values on every platform (only
 * integer arithmetic; the double conversion is exact).
 *
 * Not for cryptography.
 */
#ifndef AMI_SIM_RNG_H
#define AMI_SIM_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ami_sim_rng {
  uint64_t s[4];
} ami_sim_rng;

/* splitmix64: advances *x and returns a well-mixed 64-bit value. Also used
 * as a stateless hash of 64-bit keys. */
static inline uint64_t ami_sim_splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Seeds the generator from one 64-bit value (every seed is valid: the
 * splitmix64 expansion never yields the all-zero state in practice, and an
 * all-zero state is corrected). */
static inline void ami_sim_rng_seed(ami_sim_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = ami_sim_splitmix64(&x);
  if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
    r->s[0] = 1;
}

/* Seeds from three keys (typically seed, household, slot index). */
static inline void ami_sim_rng_seed3(ami_sim_rng *r, uint64_t a, uint64_t b,
                                     uint64_t c) {
  uint64_t x = a;
  uint64_t h = ami_sim_splitmix64(&x);
  x = h ^ b;
  h = ami_sim_splitmix64(&x);
  ami_sim_rng_seed(r, h ^ c);
}

static inline uint64_t ami_sim__rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

/* Next 64 random bits (xoshiro256**). */
static inline uint64_t ami_sim_rng_next(ami_sim_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = ami_sim__rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = ami_sim__rotl(s[3], 45);
  return result;
}

/* Uniform double in [0, 1) with 53 random bits (exact conversion). */
static inline double ami_sim_rng_uniform(ami_sim_rng *r) {
  return (double)(ami_sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the bias is
 * below 2^-32 for the small n the simulators use). */
static inline uint32_t ami_sim_rng_below(ami_sim_rng *r, uint32_t n) {
  return (uint32_t)(((ami_sim_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

#ifdef __cplusplus
}
#endif
#endif /* AMI_SIM_RNG_H */
