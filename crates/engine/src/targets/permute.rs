//! A keyed permutation of `[0, n)`: the order a scan visits its index space in.
//!
//! **Construction.** An alternating-radix Feistel network over `[0, a·b)` with
//! `a = ⌈√n⌉`, `b = ⌈n / a⌉`, and cycle-walking for the `a·b − n` values past `n`: the
//! BlackRock cipher that masscan uses, with a stronger round function. Each round is
//! `L, R ← R, (L + F(j, R)) mod (a or b)`, which is invertible whatever `F` is, so the
//! network is a bijection of `[0, a·b)`; cycle-walking (encrypt again while the result is
//! `≥ n`) restricts a bijection of a superset to a bijection of `[0, n)`.
//!
//! **Why not ZMap's cyclic group.** A multiplicative group mod a prime `p > n` needs a prime
//! and a generator found per size at start-up, and its sharding splits the cycle in a way
//! that must be re-derived by every shard. The Feistel network needs nothing but `n` and
//! the seed, any `n` up to `2^64 − 1` works alike, and a shard is simply every `N`-th
//! position of the one permutation (as masscan shards), so shards of one seed are
//! disjoint and complete by construction.
//!
//! **Cost.** Constant memory (two radices and the round keys). Since `a·b < n + a`, the
//! values past `n` are fewer than `√n + 1`, and over a whole walk cycle-walking costs
//! `a·b / n < 1 + 1/√n` encryptions per index: O(1) amortised, [`ROUNDS`] mixes each.
//! One index may walk up to `a·b − n` extra steps (≤ 2^32), so O(1) is amortised, not worst
//! case.
//!
//! The round function is a 64-bit finaliser (splitmix64) over the half and a round key: it
//! scatters neighbours, it is **not** a cryptographic cipher, and an order is no secret.

/// Feistel rounds. BlackRock uses 4; 6 leave no visible pattern between neighbouring
/// indices (see the tests) at a cost of a few nanoseconds per index.
pub const ROUNDS: usize = 6;

/// A keyed bijection of `[0, n)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permutation {
    n: u64,
    /// The radix of the left half, `⌈√n⌉` (0 when `n` is 0).
    a: u64,
    /// The radix of the right half, `⌈n / a⌉`.
    b: u64,
    keys: [u64; ROUNDS],
}

impl Permutation {
    /// The permutation of `[0, n)` keyed by `seed`.
    pub fn new(n: u64, seed: u64) -> Self {
        let a = ceil_sqrt(n);
        let b = if a == 0 { 0 } else { n.div_ceil(a) };
        let mut state = seed;
        let keys = std::array::from_fn(|_| splitmix64(&mut state));
        Self { n, a, b, keys }
    }

    /// The size of the domain.
    pub fn len(&self) -> u64 {
        self.n
    }

    /// Whether the domain is empty.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The image of `index`, or `None` if `index` is not below [`Self::len`].
    pub fn permute(&self, index: u64) -> Option<u64> {
        if index >= self.n {
            return None;
        }
        let mut x = u128::from(index);
        // Terminates: x lies on a cycle of the network through `index` itself, and at most
        // a·b − n of that cycle's values are ≥ n.
        loop {
            x = self.encrypt(x);
            if let Ok(v) = u64::try_from(x) {
                if v < self.n {
                    return Some(v);
                }
            }
        }
    }

    /// One pass of the Feistel network over `[0, a·b)` (`x` is below `a·b`).
    fn encrypt(&self, x: u128) -> u128 {
        let (a, b) = (self.a, self.b);
        // L in [0, a), R in [0, b). Both radices are at most 2^32, so the halves and their
        // sums fit u64; only a·b itself may pass u64::MAX (n near 2^64).
        let (mut left, mut right) = match u64::try_from(x) {
            Ok(x) => (x % a, x / a),
            Err(_) => {
                let a = u128::from(a);
                let (l, r) = (x % a, x / a);
                (
                    u64::try_from(l).unwrap_or(u64::MAX),
                    u64::try_from(r).unwrap_or(u64::MAX),
                )
            }
        };
        // Each round swaps which half has which radix.
        for (round, key) in self.keys.iter().enumerate() {
            let modulus = if round % 2 == 0 { a } else { b };
            // F reduced to [0, modulus) by a multiply, not a division (Lemire's
            // "fastrange"); left + F < 2·modulus, so one subtraction wraps it.
            let f = (u128::from(mix(right ^ key)) * u128::from(modulus)) >> 64;
            let sum = left + u64::try_from(f).unwrap_or(0);
            let next = if sum >= modulus { sum - modulus } else { sum };
            left = right;
            right = next;
        }
        // After an even number of rounds L is back in [0, a) and R in [0, b).
        let (high, low) = if ROUNDS % 2 == 0 {
            (right, left)
        } else {
            (left, right)
        };
        u128::from(a) * u128::from(high) + u128::from(low)
    }
}

/// `⌈√n⌉`, at most 2^32.
fn ceil_sqrt(n: u64) -> u64 {
    let s = n.isqrt();
    if s * s < n { s + 1 } else { s }
}

/// The splitmix64 generator: derives the round keys from the seed.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    mix(*state)
}

/// The splitmix64 finaliser: every input bit moves about half of the output bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radices_cover_the_domain_with_less_than_one_radix_to_spare() {
        for n in [
            1u64,
            2,
            3,
            10,
            255,
            256,
            257,
            1 << 24,
            u64::MAX - 1,
            u64::MAX,
        ] {
            let p = Permutation::new(n, 0);
            let domain = u128::from(p.a) * u128::from(p.b);
            assert!(domain >= u128::from(n), "n={n}");
            assert!(domain < u128::from(n) + u128::from(p.a), "n={n}");
        }
        assert!(Permutation::new(0, 9).is_empty());
        assert_eq!(Permutation::new(0, 9).permute(0), None);
    }

    #[test]
    fn handles_the_largest_domain_without_overflow() {
        let p = Permutation::new(u64::MAX, 42);
        for i in [0, 1, u64::MAX / 2, u64::MAX - 1] {
            assert!(p.permute(i).is_some_and(|v| v < u64::MAX));
        }
        assert_eq!(p.permute(u64::MAX), None);
    }

    #[test]
    fn neighbours_are_scattered() {
        // A /16 in order would hit one /24 256 times running; permuted, the first 256
        // indices land in many /24s.
        let p = Permutation::new(1 << 16, 7);
        let mut blocks: Vec<u64> = (0..256)
            .filter_map(|i| p.permute(i))
            .map(|v| v >> 8)
            .collect();
        blocks.sort_unstable();
        blocks.dedup();
        assert!(blocks.len() > 128, "only {} /24s", blocks.len());
    }
}
