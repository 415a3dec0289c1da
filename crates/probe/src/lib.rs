//! Sans-IO probes: what smbaudit sends, how it matches and judges replies, and what the
//! replies reveal. No sockets or clocks here; the engine drives these with bytes.
#![forbid(unsafe_code)]

pub mod nbns;
pub mod nbss;
pub mod nbstat;
pub mod observation;
pub mod smb;
mod suffix;
pub mod sweep;

pub use suffix::suffix_meaning;

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The bytes of lower- or upper-case hex text; `None` if it is not whole bytes of hex.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if text.len() % 2 != 0 {
        return None;
    }
    let digit = |b: &u8| char::from(*b).to_digit(16);
    text.chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => u8::try_from(digit(hi)? << 4 | digit(lo)?).ok(),
            _ => None,
        })
        .collect()
}
