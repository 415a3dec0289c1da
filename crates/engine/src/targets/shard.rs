//! `--shard I/N`: one of N machines' share of a permuted index space.
//!
//! Shards are numbered **from 1**, `1/4` to `4/4`, as masscan's `--shard 1/4` (the same
//! `I/N` syntax; ZMap's `--shard 0 --shards 4` counts from 0 with two options instead).
//! Shard `I` of `N` takes positions `I−1, I−1+N, I−1+2N, …` of the one permutation of a
//! seed, so the `N` shards of a seed are disjoint and together visit every index once,
//! whatever the size.

use std::fmt;
use std::str::FromStr;

use super::permute::Permutation;

/// Shard `index` of `count` (1-based: `1 ≤ index ≤ count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// The whole space, `1/1`.
    pub const WHOLE: Self = Self { index: 1, count: 1 };

    /// Shard `index` of `count`, or why not.
    pub fn new(index: u64, count: u64) -> Result<Self, ShardError> {
        if count == 0 {
            return Err(ShardError::NoShards);
        }
        if index == 0 || index > count {
            return Err(ShardError::OutOfRange { index, count });
        }
        Ok(Self { index, count })
    }

    /// Its number, from 1.
    pub fn index(self) -> u64 {
        self.index
    }

    /// How many shards there are.
    pub fn count(self) -> u64 {
        self.count
    }

    /// Whether this is the whole space (`1/1`).
    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    /// The indices of this shard, in permuted order.
    pub fn indices(self, permutation: Permutation) -> ShardIndices {
        self.indices_from(permutation, 0)
    }

    /// The indices of this shard in permuted order, after its first `done` (as counted by
    /// [`ShardIndices::position`]): how a stored scan continues where it stopped.
    pub fn indices_from(self, permutation: Permutation, done: u64) -> ShardIndices {
        let next = done
            .checked_mul(self.count)
            .and_then(|p| p.checked_add(self.index - 1));
        ShardIndices {
            permutation,
            next,
            step: self.count,
            position: done,
        }
    }
}

impl Default for Shard {
    fn default() -> Self {
        Self::WHOLE
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Why a `--shard` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// Not two whole numbers around a slash.
    #[error("{0:?} is not a shard: write I/N, two whole numbers (1/4 is the first of 4 shards)")]
    Syntax(String),
    /// N is 0.
    #[error("there must be at least one shard (N ≥ 1; 1/1 is the whole scan)")]
    NoShards,
    /// I is 0 or past N.
    #[error("shard {index} of {count} does not exist: shards are numbered 1 to {count}")]
    OutOfRange {
        /// The I given.
        index: u64,
        /// The N given.
        count: u64,
    },
}

impl FromStr for Shard {
    type Err = ShardError;

    /// Parses `I/N` (blanks around either number allowed).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = || ShardError::Syntax(s.to_owned());
        let (i, n) = s.split_once('/').ok_or_else(syntax)?;
        let number = |t: &str| {
            let t = t.trim();
            // `u64::from_str` takes a leading '+'; a shard is digits only.
            if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
                return Err(syntax());
            }
            t.parse::<u64>().map_err(|_| syntax())
        };
        Self::new(number(i)?, number(n)?)
    }
}

/// The permuted indices of one shard; constant memory.
#[derive(Debug, Clone)]
pub struct ShardIndices {
    permutation: Permutation,
    /// The next position of the permutation to take (`None`: past `u64::MAX`).
    next: Option<u64>,
    step: u64,
    position: u64,
}

impl ShardIndices {
    /// How many indices this shard has yielded (counting those skipped by
    /// [`Shard::indices_from`]).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The permutation walked.
    pub fn permutation(&self) -> &Permutation {
        &self.permutation
    }

    /// How many indices are left.
    pub fn remaining(&self) -> u64 {
        match self.next {
            Some(next) if next < self.permutation.len() => {
                (self.permutation.len() - next).div_ceil(self.step)
            }
            _ => 0,
        }
    }
}

impl Iterator for ShardIndices {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let at = self.next?;
        let value = self.permutation.permute(at)?;
        self.next = at.checked_add(self.step);
        self.position += 1;
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.remaining()).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_one_based_shards_and_names_the_fault() {
        assert_eq!("1/1".parse(), Ok(Shard::WHOLE));
        let s: Shard = " 3 / 4 ".parse().unwrap();
        assert_eq!(
            (s.index(), s.count(), s.to_string()),
            (3, 4, "3/4".to_owned())
        );
        assert_eq!(
            "3/2".parse::<Shard>(),
            Err(ShardError::OutOfRange { index: 3, count: 2 })
        );
        assert_eq!(
            "0/2".parse::<Shard>(),
            Err(ShardError::OutOfRange { index: 0, count: 2 })
        );
        assert_eq!("0/0".parse::<Shard>(), Err(ShardError::NoShards));
        for bad in [
            "x/y",
            "1",
            "1/",
            "/2",
            "+1/2",
            "1/2/3",
            "-1/2",
            "1.5/2",
            "",
            "99999999999999999999/1",
        ] {
            assert_eq!(
                bad.parse::<Shard>(),
                Err(ShardError::Syntax(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert!(
            "3/2"
                .parse::<Shard>()
                .unwrap_err()
                .to_string()
                .contains("numbered 1 to 2"),
        );
    }

    #[test]
    fn resumes_at_a_position() {
        let p = Permutation::new(1000, 5);
        let shard = Shard::new(2, 3).unwrap();
        let all: Vec<u64> = shard.indices(p.clone()).collect();
        let mut rest = shard.indices_from(p, 100);
        assert_eq!(rest.remaining() as usize, all.len() - 100);
        assert_eq!(rest.by_ref().collect::<Vec<_>>(), all[100..]);
        assert_eq!(rest.position() as usize, all.len());
    }
}
