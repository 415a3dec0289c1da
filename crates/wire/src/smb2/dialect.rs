//! SMB 2/3 dialect revisions ([MS-SMB2] 2.2.3 `Dialects`, 2.2.4 `DialectRevision`).

/// SMB 2/3 dialects the scanner offers, ascending.
///
/// An enum because these are the values we *send*; what a server answers is kept as a raw
/// `u16` (it may be the wildcard 0x02FF or a dialect we don't know) and named with
/// [`dialect_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    /// SMB 2.0.2 (0x0202).
    Smb202,
    /// SMB 2.1 (0x0210).
    Smb210,
    /// SMB 3.0 (0x0300).
    Smb300,
    /// SMB 3.0.2 (0x0302).
    Smb302,
    /// SMB 3.1.1 (0x0311).
    Smb311,
}

/// [MS-SMB2] 2.2.4: the wildcard revision a server answers to an SMB1 negotiate offering
/// "SMB 2.???"; the client must then send an SMB2 NEGOTIATE.
pub const WILDCARD_REVISION: u16 = 0x02FF;

impl Dialect {
    /// Every dialect, ascending.
    pub const ALL: [Self; 5] = [
        Self::Smb202,
        Self::Smb210,
        Self::Smb300,
        Self::Smb302,
        Self::Smb311,
    ];

    /// The dialect revision code sent on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::Smb202 => 0x0202,
            Self::Smb210 => 0x0210,
            Self::Smb300 => 0x0300,
            Self::Smb302 => 0x0302,
            Self::Smb311 => 0x0311,
        }
    }

    /// The dialect with revision `code`, if it is one of the five.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }

    /// The dialect as people write it: "2.0.2", "2.1", "3.0", "3.0.2", "3.1.1".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smb202 => "2.0.2",
            Self::Smb210 => "2.1",
            Self::Smb300 => "3.0",
            Self::Smb302 => "3.0.2",
            Self::Smb311 => "3.1.1",
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Any dialect revision as text: the five names of [`Dialect::as_str`], "2.???" for the
/// wildcard 0x02FF, else the code as "0x%04x" (e.g. "0x0311" never happens, "0x0222" does).
pub fn dialect_name(code: u16) -> String {
    match Dialect::from_code(code) {
        Some(d) => d.as_str().to_owned(),
        None if code == WILDCARD_REVISION => "2.???".to_owned(),
        None => format!("{code:#06x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_roundtrip_and_ascend() {
        for d in Dialect::ALL {
            assert_eq!(Dialect::from_code(d.code()), Some(d));
        }
        assert!(Dialect::ALL.windows(2).all(|w| w[0] < w[1]));
        assert!(Dialect::ALL.windows(2).all(|w| w[0].code() < w[1].code()));
        assert_eq!(Dialect::from_code(0x02FF), None);
    }

    #[test]
    fn names_dialects() {
        assert_eq!(dialect_name(0x0202), "2.0.2");
        assert_eq!(dialect_name(0x0210), "2.1");
        assert_eq!(dialect_name(0x0300), "3.0");
        assert_eq!(dialect_name(0x0302), "3.0.2");
        assert_eq!(dialect_name(0x0311), "3.1.1");
        assert_eq!(dialect_name(0x02FF), "2.???");
        assert_eq!(dialect_name(0x0222), "0x0222");
        assert_eq!(dialect_name(0), "0x0000");
        assert_eq!(Dialect::Smb311.to_string(), "3.1.1");
    }
}
