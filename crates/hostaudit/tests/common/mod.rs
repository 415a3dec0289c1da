//! Shared by the Samba tests: the lab configurations and a temp dir to write them to.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use smbaudit_hostaudit::samba::{self, Preferred, ReadMethod, SambaConfig};

/// Lab configuration 1: Samba's defaults.
pub const DEFAULTS: &str = "[global]\n";

/// Lab configuration 2: `interfaces` + `bind interfaces only`.
pub const INTERFACES: &str = "\
[global]
   interfaces = lo eth1
   bind interfaces only = yes
";

/// Lab configuration 3: `disable netbios` + `smb ports = 445`.
pub const NO_NETBIOS: &str = "\
[global]
   disable netbios = yes
   smb ports = 445
";

/// Lab configuration 4: guest shares, restrict anonymous, hosts allow.
pub const GUESTS: &str = "\
[global]
   map to guest = Bad User
   restrict anonymous = 2
   hosts allow = 192.168.1.0/24 127.0.0.1
   hosts deny = ALL
   server min protocol = SMB3
   server signing = mandatory
[public]
   path = /tmp
   guest ok = yes
[dropbox]
   path = /tmp
   public = yes
[private]
   path = /tmp
";

/// Samba's parser quirks in one file: comments only at line start, `;` in a value,
/// continuation lines, blank squeezing, quoted list entries, synonyms, underscores not
/// folded, enum aliases, `[globals]`, repeated and reopened sections, a section name
/// with blanks, share defaults copied when a share is first defined.
pub const QUIRKS: &str = "\
workgroup = BEFORE-ANY-SECTION
; a comment
  # another
[share-before]
   path = /tmp
   smb ports = 1139
[GLOBAL]
   Interfaces = \"eth1;speed=1000,capability=RSS\" lo, \\
      10.1.2.3/24 eth2;speed=10 192.168.5.0/255.255.255.0
   bind_interfaces_only = yes
   Bind  Interfaces   Only = on
   min protocol = smb2_10
   server signing = auto
   map to guest = bad  uid
   restrict anonymous = 1x
   hosts allow = 10.0.0.0/8 ; not a comment
   allow hosts = 192.168.0.0/16 ,fe80::/64
   deny hosts = ALL EXCEPT 10.9.
   line without equals sign
   guest ok = yes
[ spaced name ]
   path = /tmp
[globals]
   disable netbios = 0
[Share-Before]
   comment = reopened
[after]
   path = /tmp
   guest ok = no
";

/// A temp dir holding config files.
pub struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    /// A fresh temp dir.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The dir.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `name` in the dir and returns its path.
    pub fn write(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write config");
        path
    }
}

/// Reads `path` with testparm and with our parser, asserting which method each used.
pub fn both(path: &Path) -> (SambaConfig, SambaConfig) {
    let by_testparm = samba::read_file(path, Preferred::Testparm)
        .unwrap_or_else(|e| panic!("testparm read of {}: {e:?}", path.display()));
    assert_eq!(
        by_testparm.method,
        ReadMethod::Testparm,
        "these tests need testparm (apt-get install samba-common-bin)"
    );
    let by_parser = samba::read_file(path, Preferred::Parser)
        .unwrap_or_else(|e| panic!("parser read of {}: {e:?}", path.display()));
    assert_eq!(by_parser.method, ReadMethod::Parsed);
    (by_testparm, by_parser)
}

/// Reads `text` both ways and asserts they agree; returns the values.
pub fn agreed(lab: &Lab, name: &str, text: &str) -> samba::SambaParams {
    let path = lab.write(name, text);
    let (by_testparm, by_parser) = both(&path);
    assert_eq!(by_testparm.params, by_parser.params, "{name}:\n{text}");
    by_testparm.params
}
