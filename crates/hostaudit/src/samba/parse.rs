//! Our own smb.conf reader, for machines without testparm.
//!
//! It follows Samba's own parser (lib/util/tini.c and the section/parameter callbacks in
//! loadparm.c) rather than a generic INI reader, because the differences decide what
//! the daemon does:
//! - a comment is a line whose first non-blank character is `;` or `#`; a `;` later in a
//!   line is part of the value (and a list separator);
//! - runs of blanks become one; a line ending in `\` (or `\ `) continues on the next;
//! - a line without `=` is ignored; a `[` line without `]` or a parameter without a name
//!   makes Samba refuse the file;
//! - `include = FILE` is textual: after it, the section is whichever the included file
//!   opened last; a missing include file is skipped, as Samba does;
//! - share parameters in `[global]` are copied into each share when it is first defined,
//!   so their order matters.

use std::io;
use std::path::{Path, PathBuf};

use super::values::{self, ListStyle, Loaded, Share, key};
use crate::model::Unreadable;

/// Samba's own include depth limit ("Maximum include depth (100) exceeded!").
pub(crate) const MAX_INCLUDE_DEPTH: usize = 100;
/// The most bytes read over a file and all its includes: real configurations are a few
/// kilobytes, and this bounds the work on a hostile or runaway file.
pub const MAX_CONFIG_BYTES: usize = 8 << 20;
/// The most files read for one configuration (one include line can be repeated).
pub(crate) const MAX_FILES: usize = 1000;

/// Where the text comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A config file: includes are followed and lists are written smb.conf lists.
    File,
    /// `testparm -sv` output: includes are already expanded and lists are printed lists.
    Testparm,
}

/// Which section parameters go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Global,
    Share(usize),
}

/// The loader's state over a file and its includes.
struct Loader<'a> {
    text_of: &'a dyn Fn(&Path) -> io::Result<String>,
    origin: Origin,
    loaded: Loaded,
    section: Section,
    /// The include chain being read, outermost first.
    chain: Vec<PathBuf>,
    bytes: usize,
    files: usize,
    notes: Vec<String>,
}

/// A parsed configuration with what the reader noticed but could not resolve.
pub(crate) struct Parsed {
    pub(crate) loaded: Loaded,
    pub(crate) notes: Vec<String>,
}

/// Reads `path` and its includes through `text_of`.
pub(crate) fn load_file(
    text_of: &dyn Fn(&Path) -> io::Result<String>,
    path: &Path,
) -> Result<Parsed, Unreadable> {
    let mut loader = Loader::new(text_of, Origin::File);
    let text =
        text_of(path).map_err(|e| Unreadable::new(path.display().to_string(), io_why(&e)))?;
    loader.chain.push(path.to_owned());
    loader.feed(path, &text)?;
    Ok(loader.finish())
}

/// Reads testparm's output (includes already expanded by Samba).
pub(crate) fn load_testparm_output(path: &Path, text: &str) -> Result<Parsed, Unreadable> {
    let never = |_: &Path| -> io::Result<String> { Err(io::ErrorKind::Unsupported.into()) };
    let mut loader = Loader::new(&never, Origin::Testparm);
    loader.chain.push(path.to_owned());
    loader.feed(path, text)?;
    Ok(loader.finish())
}

/// Words for an I/O error reading a config file.
pub(crate) fn io_why(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied: run as root".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory, not a config file".to_owned(),
        _ => error.to_string(),
    }
}

impl<'a> Loader<'a> {
    fn new(text_of: &'a dyn Fn(&Path) -> io::Result<String>, origin: Origin) -> Self {
        Self {
            text_of,
            origin,
            loaded: Loaded::default(),
            section: Section::Global,
            chain: Vec::new(),
            bytes: 0,
            files: 0,
            notes: Vec::new(),
        }
    }

    fn finish(self) -> Parsed {
        Parsed {
            loaded: self.loaded,
            notes: self.notes,
        }
    }

    fn fail(path: &Path, line: usize, why: impl std::fmt::Display) -> Unreadable {
        Unreadable::new(
            path.display().to_string(),
            format!("line {line}: {why} (Samba refuses to load this file too)"),
        )
    }

    /// Parses one file's text; `path` is already on the include chain.
    fn feed(&mut self, path: &Path, text: &str) -> Result<(), Unreadable> {
        self.files += 1;
        self.bytes = self.bytes.saturating_add(text.len());
        if self.bytes > MAX_CONFIG_BYTES {
            return Err(Unreadable::new(
                path.display().to_string(),
                format!(
                    "the configuration is larger than {} MiB with its includes; not read",
                    MAX_CONFIG_BYTES >> 20
                ),
            ));
        }
        for (line_no, line) in logical_lines(text) {
            if let Some(rest) = line.strip_prefix('[') {
                let Some((name, _)) = rest.split_once(']') else {
                    return Err(Self::fail(path, line_no, "section header without ']'"));
                };
                self.open_section(name);
            } else if let Some((name, value)) = line.split_once('=') {
                let name = trim_one_space(name);
                if name.is_empty() {
                    return Err(Self::fail(path, line_no, "parameter without a name"));
                }
                // Samba lower-cases parametric names (`x:y`) through iconv, which fails
                // on bytes that are not UTF-8 (they arrive here as U+FFFD).
                if name.contains(':') && name.contains(char::REPLACEMENT_CHARACTER) {
                    return Err(Self::fail(
                        path,
                        line_no,
                        "a parametric option name that is not valid UTF-8",
                    ));
                }
                self.set(path, line_no, name, trim_one_space(value))?;
            }
        }
        Ok(())
    }

    fn open_section(&mut self, name: &str) {
        let folded = values::fold(name);
        if folded == "global" || folded == "globals" {
            self.section = Section::Global;
            return;
        }
        let shares = &mut self.loaded.shares;
        let index = match shares.iter().position(|s| values::fold(&s.name) == folded) {
            Some(index) => index,
            None => {
                shares.push(Share {
                    name: name.to_owned(),
                    params: self.loaded.share_defaults.clone(),
                });
                shares.len() - 1
            }
        };
        self.section = Section::Share(index);
    }

    fn set(&mut self, path: &Path, line: usize, name: &str, value: &str) -> Result<(), Unreadable> {
        let key = values::fold(name);
        if key == key::INCLUDE {
            return self.include(value);
        }
        if key == key::CONFIG_FILE && self.origin == Origin::File && !value.is_empty() {
            self.notes.push(format!(
                "config file = {value}: Samba rereads from that file; not followed"
            ));
        }
        values::check(&key, value)
            .map_err(|why| Self::fail(path, line, format!("{name}: {why}")))?;
        match self.section {
            Section::Global if values::SHARE_LEVEL.contains(&key.as_str()) => {
                self.loaded.share_defaults.insert(key, value.to_owned());
            }
            Section::Global => {
                self.loaded.global.insert(key, value.to_owned());
            }
            // Samba: "Global parameter ... found in service section!", ignored.
            Section::Share(_) if values::is_global_only(&key) => {}
            Section::Share(index) => {
                if let Some(share) = self.loaded.shares.get_mut(index) {
                    share.params.insert(key, value.to_owned());
                }
            }
        }
        Ok(())
    }

    fn include(&mut self, value: &str) -> Result<(), Unreadable> {
        if self.origin == Origin::Testparm || value.is_empty() {
            return Ok(());
        }
        if value.contains('%') {
            self.notes.push(format!(
                "include = {value}: Samba expands the macros per client; not followed"
            ));
            return Ok(());
        }
        if value.eq_ignore_ascii_case("registry") {
            self.notes.push(
                "include = registry: the registry part of the configuration is not read".into(),
            );
            return Ok(());
        }
        let path = PathBuf::from(value);
        let top = self.chain.first().cloned().unwrap_or_else(|| path.clone());
        let what = top.display().to_string();
        if self.chain.contains(&path) {
            let start = self.chain.iter().position(|p| *p == path).unwrap_or(0);
            let cycle: Vec<String> = self.chain[start..]
                .iter()
                .chain(std::iter::once(&path))
                .map(|p| p.display().to_string())
                .collect();
            return Err(Unreadable::new(
                what,
                format!("include loop: {}", cycle.join(" -> ")),
            ));
        }
        if self.chain.len() >= MAX_INCLUDE_DEPTH {
            return Err(Unreadable::new(
                what,
                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} (Samba's own limit)"),
            ));
        }
        if self.files >= MAX_FILES {
            return Err(Unreadable::new(
                what,
                format!("more than {MAX_FILES} include files read; stopped"),
            ));
        }
        let text = match (self.text_of)(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Samba: "Can't find include file", and goes on.
                self.notes.push(format!(
                    "include = {value}: no such file (Samba skips it too)"
                ));
                return Ok(());
            }
            Err(e) => {
                return Err(Unreadable::new(
                    value.to_owned(),
                    format!("included from {what}: {}", io_why(&e)),
                ));
            }
        };
        self.chain.push(path.clone());
        let result = self.feed(&path, &text);
        self.chain.pop();
        result
    }
}

/// How lists in text of this origin are split.
pub(crate) fn list_style(origin: Origin) -> ListStyle {
    match origin {
        Origin::File => ListStyle::Written,
        Origin::Testparm => ListStyle::Printed,
    }
}

/// C `isspace` in the C locale.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// Removes at most one blank at each end, as tini's `trim_one_space` does (runs of
/// blanks are already one).
fn trim_one_space(s: &str) -> &str {
    let s = s.strip_prefix(is_space).unwrap_or(s);
    s.strip_suffix(is_space).unwrap_or(s)
}

/// Samba's logical lines (tini `get_line`): leading blanks skipped, comment and blank
/// lines dropped, blank runs squeezed, `\` continuations joined, text after a NUL cut.
/// Yields (first physical line number, line).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut physical = text.split('\n').enumerate();
    while let Some((index, first)) = physical.next() {
        let start = first.trim_start_matches(|c: char| is_space(c) && c != '\n');
        if start.is_empty() || start.starts_with('#') || start.starts_with(';') {
            continue;
        }
        let mut buf = String::new();
        let mut part = start;
        loop {
            for c in part.chars() {
                if buf.ends_with(is_space) && is_space(c) {
                    continue;
                }
                buf.push(c);
            }
            let continued = if buf.ends_with('\\') {
                buf.pop();
                true
            } else if buf.len() > 1
                && buf.ends_with(is_space)
                && buf[..buf.len() - 1].ends_with('\\')
            {
                buf.pop();
                buf.pop();
                true
            } else {
                false
            };
            if !continued {
                break;
            }
            match physical.next() {
                Some((_, next)) => part = next,
                None => break,
            }
        }
        if let Some(nul) = buf.find('\0') {
            buf.truncate(nul);
        }
        if !buf.is_empty() {
            lines.push((index + 1, buf));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_continuations_and_squeezes_blanks() {
        let lines = logical_lines("  a  =  b \\\n   c\n; x \\\n[s]\n#\n\td\t= e\\ \nf\n");
        let texts: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(texts, ["a = b c", "[s]", "d\t= ef"]);
        assert_eq!(lines[2].0, 6);
    }

    #[test]
    fn a_continued_last_line_ends_the_text() {
        let lines = logical_lines("a = b\\");
        assert_eq!(lines, [(1, "a = b".to_owned())]);
    }

    /// Text made of smb.conf's own syntax pieces in random order, so sections, includes,
    /// continuations and odd bytes meet (xorshift64: a failing seed replays).
    fn syntax_noise(seed: u64, pieces: usize) -> String {
        const PIECES: &[&str] = &[
            "[",
            "]",
            "=",
            "\\",
            "\n",
            " ",
            "\t",
            ";",
            "#",
            "\0",
            "\u{fffd}",
            ":",
            "%m",
            "global",
            "include = /inc",
            "include = /top",
            "guest ok",
            "yes",
            "maybe",
            "hosts allow",
            "10.",
            "interfaces",
            "\"",
            ",",
            "smb ports",
            "65536",
            "-1",
            "map to guest",
            "bad user",
            "\r",
        ];
        let mut state = seed.max(1);
        (0..pieces)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let index = usize::try_from(state % PIECES.len() as u64).unwrap_or(0);
                PIECES.get(index).copied().unwrap_or("")
            })
            .collect()
    }

    #[test]
    fn arbitrary_syntax_never_panics_and_stays_bounded() {
        for seed in 1..=500_u64 {
            let top = syntax_noise(seed, 400);
            let inc = syntax_noise(seed.wrapping_mul(7919), 200);
            let text_of = |path: &Path| -> io::Result<String> {
                match path.to_str() {
                    Some("/top") => Ok(top.clone()),
                    Some("/inc") => Ok(inc.clone()),
                    _ => Err(io::ErrorKind::NotFound.into()),
                }
            };
            if let Ok(parsed) = load_file(&text_of, Path::new("/top")) {
                let params = parsed.loaded.params(ListStyle::Written);
                assert!(
                    params.smb_ports.iter().all(|&port| port != 0),
                    "seed {seed}"
                );
            }
        }
    }
}
