//! Naming the set bits of a flag word.

/// Names of the bits set in `word`, in bit order, from a table of `(mask, name)`; each set
/// bit the table does not know appears as "0x%08x".
pub(crate) fn bit_names(word: u32, names: &[(u32, &str)]) -> Vec<String> {
    (0..32)
        .map(|bit| 1u32 << bit)
        .filter(|mask| word & mask != 0)
        .map(|mask| match names.iter().find(|(m, _)| *m == mask) {
            Some((_, name)) => (*name).to_owned(),
            None => format!("{mask:#010x}"),
        })
        .collect()
}
