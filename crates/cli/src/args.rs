//! The command line, as clap sees it. Validation into typed settings happens in `commands`.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use smbaudit_engine::targets::Shard;
use smbaudit_findings::{Severity, Vantage};

/// Shows what an attacker sees of your SMB and NetBIOS exposure (137/udp, 139/tcp, 445/tcp).
///
/// With no command, audits this machine (interfaces, listeners, Samba, firewall; nothing is
/// sent) and then checks it over loopback only.
#[derive(Debug, Parser)]
#[command(name = "smbaudit", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

// One Command is parsed per run; boxing the big scan arguments would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// NetBIOS node status of many hosts (like nbtstat -A, nbtscan): names, workgroup,
    /// logged-on users, roles, MAC.
    Nbstat(NbstatArgs),
    /// Resolve a NetBIOS name with a name query to a WINS server or by broadcast (like
    /// nmblookup).
    Lookup(LookupArgs),
    /// Fingerprint SMB and NetBIOS on many hosts: ports 135/139/445 and 137/udp, the
    /// session service, SMB1/2/3 dialects, signing, NTLM names and OS build.
    Scan(ScanArgs),
    /// List shares and what the null session, a guest and `--user` may do on each (like
    /// smbclient -L, nxc --shares): `scan` of 139 and 445 shown as shares, not stored.
    Shares(ScanArgs),
    /// List the stored scans.
    History(HistoryArgs),
    /// Print a stored scan again, in any format.
    Show(ShowArgs),
    /// What changed between two stored scans: ports, findings, dialects, signing, SMB1.
    Diff(DiffArgs),
    /// A summary of a stored scan (all shards of a sharded one): hosts per finding and
    /// severity, per /16, and per group of prefixes (--groups).
    Report(ReportArgs),
    /// Which of this machine's interfaces expose NetBIOS and SMB, and the fix for each: reads
    /// interfaces, listeners, the Samba configuration and the firewall; sends nothing.
    Audit(AuditArgs),
    /// Check this machine over loopback: NetBIOS name service and the SMB ports.
    Local(LocalArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the manual page, or write one per command into a directory.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write smbaudit.1 and smbaudit-COMMAND.1 into this directory instead.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

impl Cli {
    /// Parses the command line (exiting on bad usage, as `Parser::parse` does), noting
    /// which of `scan`'s options were given rather than defaulted, which `--resume`
    /// checks against the stored scan's.
    pub(crate) fn parse_noting_given() -> Self {
        use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
        let matches = Self::command().get_matches();
        let mut cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        if let (Some(Command::Scan(args) | Command::Shares(args)), Some(("scan" | "shares", sub))) =
            (&mut cli.command, matches.subcommand())
        {
            args.given = sub
                .ids()
                .filter(|id| sub.value_source(id.as_str()) == Some(ValueSource::CommandLine))
                .map(|id| id.as_str().to_owned())
                .collect();
        }
        cli
    }
}

/// Where scans are kept.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The scan database: an SQLite file, or a postgres://USER@HOST/DB URL (password from
    /// PGPASSWORD or ~/.pgpass). Default: $SMBAUDIT_DB, else
    /// $XDG_DATA_HOME/smbaudit/smbaudit.db, else ~/.local/share/smbaudit/smbaudit.db.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) db: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// List the stored audits of this machine (`audit --db`) instead of the scans.
    #[arg(long)]
    pub(crate) audits: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
    pub(crate) format: ListFormat,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The scan: its number, its --scan-name, or `last` (the default).
    pub(crate) scan: Option<String>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Also count hosts per group: a file of `PREFIX NAME` lines (e.g.
    /// `10.20.0.0/16 AS64500 Example`; `#` comments). An address belongs to the group of
    /// its longest matching prefix.
    #[arg(long, value_name = "FILE")]
    pub(crate) groups: Option<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Table)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// Tables for people.
    Table,
    /// One JSON document.
    Json,
    /// Long-form CSV: kind,key,severity,hosts.
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The scan: its number (see `history`), its --scan-name, or `last`.
    pub(crate) scan: String,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ScanFormat::Table)]
    pub(crate) format: ScanFormat,
    /// Details under each host, evidence and fix under each finding (table).
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Also the hosts where nothing was exposed.
    #[arg(long)]
    pub(crate) all: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The older scan (number or `last`).
    pub(crate) a: String,
    /// The newer scan (number or `last`).
    pub(crate) b: String,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// A and B are stored audits (`history --audits`): compare their verdicts and findings.
    #[arg(long)]
    pub(crate) audits: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
    pub(crate) format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// Lines for people.
    Table,
    /// One JSON document.
    Json,
}

/// Which targets to probe.
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    /// Targets: IPs, host names, CIDR blocks (10.0.0.0/24), nmap-style ranges
    /// (10.0.0.1-50, 10.0.0-3.1-254), address spans (10.0.0.5-10.0.1.9), or - for stdin.
    pub(crate) targets: Vec<String>,
    /// Read targets from a file (- for stdin): white space or comma separated, # comments.
    #[arg(short = 'i', long = "input-file", alias = "iL", value_name = "FILE")]
    pub(crate) input_file: Option<PathBuf>,
    /// Targets to leave out, comma separated (same syntax as targets).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub(crate) exclude: Vec<String>,
    /// Read targets to leave out from a file.
    #[arg(long, value_name = "FILE")]
    pub(crate) exclude_file: Option<PathBuf>,
    /// Also scan reserved, multicast, broadcast and documentation space (0.0.0.0/8,
    /// 224.0.0.0/4, 240.0.0.0/4, 2001:db8::/32, ff00::/8, fe80::/10, ...), which is
    /// skipped by default.
    #[arg(long)]
    pub(crate) allow_reserved: bool,
}

/// How names are resolved and where name queries go.
#[derive(Debug, Args)]
pub(crate) struct NameServiceArgs {
    /// Resolve NetBIOS names with a unicast query to this WINS/NBNS server.
    #[arg(long, value_name = "IP", conflicts_with = "broadcast")]
    pub(crate) wins: Option<Ipv4Addr>,
    /// Resolve NetBIOS names with a broadcast query to this address (e.g. 192.0.2.255).
    #[arg(long, value_name = "ADDR")]
    pub(crate) broadcast: Option<Ipv4Addr>,
}

/// Patience of UDP 137 probes.
#[derive(Debug, Args)]
pub(crate) struct UdpArgs {
    /// Longest wait for a reply after the last query to a host: 500ms, 2s, or milliseconds.
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "TIME")]
    pub(crate) timeout: Duration,
    /// Queries re-sent to a host that has not answered.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) retries: u8,
    /// Local UDP port to send from (137 for old Windows that answers only to 137; needs
    /// root and no nmbd running).
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    pub(crate) source_port: u16,
}

#[derive(Debug, Args)]
pub(crate) struct NbstatArgs {
    #[command(flatten)]
    pub(crate) targets: TargetArgs,
    /// Most packets per second (0: no limit). Loss lowers the rate by itself.
    #[arg(long, default_value_t = 0, value_name = "PPS")]
    pub(crate) rate: u32,
    #[command(flatten)]
    pub(crate) udp: UdpArgs,
    #[command(flatten)]
    pub(crate) names: NameServiceArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = NbstatFormat::Table)]
    pub(crate) format: NbstatFormat,
    /// Show each host's name table (table format).
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Report every target, also those that did not answer.
    #[arg(long)]
    pub(crate) all: bool,
    /// Build every query but send nothing; print how many targets and bytes.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// No summary line on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NbstatFormat {
    /// One line per host (with -v, its name table too).
    Table,
    /// One JSON array of host objects.
    Json,
    /// One JSON object per host and line, as hosts answer.
    Jsonl,
    /// One CSV row per host.
    Csv,
    /// /etc/hosts lines: IP and computer name (nbtscan -e).
    Hosts,
    /// lmhosts lines: IP, computer name, #PRE (nbtscan -l).
    Lmhosts,
}

/// The discovery stage: how SYNs (or connects) and NBSTAT queries are sent.
#[derive(Debug, Args)]
pub(crate) struct DiscoveryArgs {
    /// Packets per second of TCP discovery: SYNs (or connects) and their retransmissions
    /// together (1 to 10000000). The NBSTAT sweep of 137/udp before it paces itself, as
    /// `nbstat` does with no --rate.
    #[arg(long, default_value_t = 10_000, value_name = "PPS", value_parser = parse_rate)]
    pub(crate) rate: u32,
    /// How TCP ports are discovered: auto (raw SYNs with CAP_NET_RAW, else connect()),
    /// raw (raw SYNs or an error), connect (connect() only, no privilege needed).
    #[arg(long, value_enum, default_value_t = DiscoveryMethod::Auto, value_name = "HOW")]
    pub(crate) discovery: DiscoveryMethod,
    /// SYNs per (address, port) at most, the first included (1 to 7; with connect() the
    /// kernel's retransmissions, 1 s and 3 s after the first).
    #[arg(long, default_value_t = 2, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=7))]
    pub(crate) tries: u8,
    /// How long discovery listens after its last SYN (with connect(): how long each
    /// connect waits after its last SYN).
    #[arg(long, default_value = "3s", value_parser = parse_duration, value_name = "TIME")]
    pub(crate) cooldown: Duration,
}

/// `--discovery`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiscoveryMethod {
    /// Raw SYNs when CAP_NET_RAW allows, else connect() (said in one line on stderr).
    Auto,
    /// Raw SYNs, or exit 2 if they cannot be sent.
    Raw,
    /// connect() only.
    Connect,
}

/// The highest `--rate`: 10 Mpps of 60-byte SYNs is ~5 Gbit/s, beyond any one sender.
pub(crate) const MAX_RATE: u32 = 10_000_000;

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    pub(crate) targets: TargetArgs,
    #[command(flatten)]
    pub(crate) discovery: DiscoveryArgs,
    #[command(flatten)]
    pub(crate) udp: UdpArgs,
    #[command(flatten)]
    pub(crate) names: NameServiceArgs,
    /// Ports to look at, comma separated, from 135, 137 (UDP, NBSTAT), 139 and 445.
    #[arg(short, long, value_delimiter = ',', default_value = "135,137,139,445", value_parser = parse_scan_port)]
    pub(crate) ports: Vec<u16>,
    /// Hosts fingerprinted at once over TCP (lowered to fit the open-file limit, and
    /// halved while handshakes stall). Each holds up to three connections; hundreds at
    /// once hide round trips of internet latency.
    #[arg(short = 'c', long, default_value_t = 256, value_name = "N", value_parser = parse_count)]
    pub(crate) concurrency: usize,
    /// Longest TCP handshake (4s lets the kernel send the SYN three times: at 0, 1 and 3 s).
    #[arg(long, default_value = "4s", value_parser = parse_duration, value_name = "TIME")]
    pub(crate) connect_timeout: Duration,
    /// Longest wait for each SMB or session-service reply (a busy server forking a process
    /// per connection can take seconds).
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "TIME")]
    pub(crate) reply_timeout: Duration,
    /// Longest time spent on one host's TCP probes in all.
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "TIME")]
    pub(crate) host_timeout: Duration,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ScanFormat::Table)]
    pub(crate) format: ScanFormat,
    /// Where the scan ran from, which rates what is reachable: internet or lan (default:
    /// internet if any target address is globally routable, else lan).
    #[arg(long, value_name = "WHERE")]
    pub(crate) vantage: Option<Vantage>,
    /// Exit with code 3 when a finding is at least this severe (critical, high, medium, low,
    /// info): a gate for CI jobs.
    #[arg(long, value_name = "SEVERITY")]
    pub(crate) fail_on: Option<Severity>,
    /// Write the addresses where SMB signing is not required (NTLM relay targets), one per
    /// line, to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) relay_list: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Do not keep the scan in the database.
    #[arg(long, conflicts_with = "db")]
    pub(crate) no_store: bool,
    /// Continue an interrupted scan (its number or --scan-name, or the last unfinished
    /// one): hosts it finished are not probed again. Targets default to the scan's own.
    /// A sharded scan is resumed one shard at a time, with --shard I/N.
    #[arg(long, value_name = "SCAN", num_args = 0..=1, default_missing_value = "last", conflicts_with = "no_store")]
    pub(crate) resume: Option<String>,
    /// Show each host's details under its line, and each finding's evidence and fix (table).
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Report every target, also those where nothing answered.
    #[arg(long)]
    pub(crate) all: bool,
    /// No progress bar and no summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Print the targets and the probes each would get, and send nothing (no database is
    /// created or written).
    #[arg(long, conflicts_with = "resume")]
    pub(crate) dry_run: bool,
    /// Do not attempt an anonymous (null) session (some IDSs flag it); the null-session rule
    /// then says "not checked".
    #[arg(long)]
    pub(crate) no_null_session: bool,
    /// Do not list shares or check their access on the sessions granted; the share rules
    /// then say "not checked".
    #[arg(long)]
    pub(crate) no_shares: bool,
    /// Prove write access: on each share the checks reach, create one uniquely named file
    /// (smbaudit-write-check-*.tmp) with DELETE_ON_CLOSE and close it at once. Without it,
    /// write access is inferred from the maximal access granted and nothing is written.
    #[arg(long)]
    pub(crate) write_check: bool,
    /// Log in as this user (`[DOMAIN\\]user` or `DOMAIN/user`), once per host. The
    /// password comes from --password-file, else SMBAUDIT_PASSWORD, else a prompt on the
    /// terminal; never from the command line.
    #[arg(long, value_name = "USER")]
    pub(crate) user: Option<String>,
    /// Read the password for --user from the first line of FILE.
    #[arg(long, value_name = "FILE", requires = "user")]
    pub(crate) password_file: Option<PathBuf>,
    /// Scan more than 1,048,576 addresses (a /12) without asking first.
    #[arg(long)]
    pub(crate) yes: bool,
    /// Visit the targets in the order this seed gives (a whole number, 0 to
    /// 18446744073709551615): the same seed, the same order. Without it each scan draws a
    /// new seed and prints it on stderr. The order is always scattered, so that no subnet is
    /// hit in a burst.
    #[arg(long, value_name = "N", value_parser = parse_seed)]
    pub(crate) seed: Option<u64>,
    /// Visit only shard I of N of the seed's order (1/N to N/N). N machines given the same
    /// targets, the same --seed and shards 1/N to N/N visit every target once between
    /// them. Needs --seed.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub(crate) shard: Option<Shard>,
    /// Write into the one scan of this name, shared by every worker of a sharded scan
    /// (`--shard I/N --seed S`): the first worker creates it, the others must give the
    /// same targets, seed and shard count. Each shard is claimed once; `--resume NAME
    /// --shard I/N` re-runs one whose worker failed or died.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["resume", "no_store"], value_parser = parse_scan_name)]
    pub(crate) scan_name: Option<String>,
    /// With --scan-name and --seed: take chunks of the scan's order from a work queue in
    /// the database (PostgreSQL) instead of a fixed --shard, so that faster machines do
    /// more of it; a chunk whose worker dies is taken over when its lease expires.
    #[arg(long, requires_all = ["scan_name", "seed"], conflicts_with = "shard")]
    pub(crate) queue: bool,
    /// Targets per chunk of the work queue (--queue).
    #[arg(long, value_name = "N", default_value_t = 1024, requires = "queue", value_parser = parse_chunk_size)]
    pub(crate) chunk_size: u64,
    /// How long a worker's chunk stays its own without renewal (--queue): a dead worker's
    /// chunk is taken over after this. Renewed every third of it.
    #[arg(long, value_name = "TIME", default_value = "2m", value_parser = parse_duration, requires = "queue")]
    pub(crate) lease: Duration,
    /// The options given on the command line (clap ids), not defaulted.
    #[arg(skip)]
    pub(crate) given: std::collections::BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ScanFormat {
    /// One line per host (with -v, the details too).
    Table,
    /// One JSON array of host objects, sorted by address.
    Json,
    /// One JSON object per host and line, as hosts finish (schema/scan-host.v1.json).
    Jsonl,
    /// One CSV row per host.
    Csv,
    /// One CSV row per finding.
    FindingsCsv,
    /// One self-contained HTML report.
    Html,
    /// Per host, its shares and each identity's access (like `smbclient -L`).
    Shares,
}

fn parse_scan_port(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(p @ (135 | 137 | 139 | 445)) => Ok(p),
        _ => Err(format!(
            "{s:?}: scan looks at ports 135, 137, 139 and 445 only"
        )),
    }
}

#[derive(Debug, Args)]
pub(crate) struct LookupArgs {
    /// The NetBIOS name, optionally with its suffix in hex: FILESRV1, FILESRV1#20, LABWG#1d.
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) names: NameServiceArgs,
    /// Wait for answers after each query.
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "TIME")]
    pub(crate) timeout: Duration,
    /// Queries re-sent while nobody answered.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub(crate) retries: u8,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = LookupFormat::Table)]
    pub(crate) format: LookupFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LookupFormat {
    /// `ADDRESS NAME<xx>` lines, as nmblookup prints them.
    Table,
    /// One JSON array of answers.
    Json,
    /// One JSON object per address and line.
    Jsonl,
}

#[derive(Debug, Args)]
pub(crate) struct LocalArgs {
    /// Wait for each probe (TCP handshake, each reply, the NODE STATUS answer).
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "TIME")]
    pub(crate) timeout: Duration,
    /// Output format (the same as `scan`'s).
    #[arg(short, long, value_enum, default_value_t = ScanFormat::Table)]
    pub(crate) format: ScanFormat,
    /// Show the evidence of every port, the SMB details and every fix.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// No progress lines on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Args, Default)]
pub(crate) struct AuditArgs {
    /// Treat this interface as outside-facing (repeatable), whatever its routes say.
    #[arg(long, value_name = "IFACE")]
    pub(crate) outside: Vec<String>,
    /// Treat this interface as inside (repeatable), whatever its routes say.
    #[arg(long, value_name = "IFACE")]
    pub(crate) inside: Vec<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = AuditFormat::Table)]
    pub(crate) format: AuditFormat,
    /// Show each verdict's reason and rule, each finding's evidence and its exact fix.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Also store the audit in this database (`history --audits`, `diff --audits`); an
    /// audit is not stored otherwise.
    #[arg(long, value_name = "PATH")]
    pub(crate) db: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum AuditFormat {
    /// Verdicts per interface and port, then the findings.
    #[default]
    Table,
    /// One JSON object: interfaces, listeners, Samba, firewall, cells, findings, unreadable.
    Json,
    /// One JSON object per line, each with a `type`: interface, cell, finding, unreadable.
    Jsonl,
    /// One CSV row per finding.
    FindingsCsv,
    /// One self-contained HTML page: the verdict grid, the facts, the findings and fixes.
    Html,
}

impl Default for LocalArgs {
    /// `smbaudit` with no command.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1),
            format: ScanFormat::Table,
            verbose: false,
            quiet: false,
        }
    }
}

/// A `--seed`: a whole number that fits 64 bits.
fn parse_seed(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "{s:?} is not a seed: give a whole number such as 42"
        ));
    }
    t.parse::<u64>()
        .map_err(|_| format!("{s:?} is not a seed: it must be at most {}", u64::MAX))
}

/// A `--scan-name`: printable, not a number (numbers are scan ids), at most 200 bytes.
fn parse_scan_name(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() || t.len() > 200 || t.chars().any(char::is_control) {
        return Err(format!(
            "{s:?} is not a scan name: give 1 to 200 printable characters"
        ));
    }
    if t == "last" || t.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "{s:?} is not a scan name: numbers and \"last\" name scans already"
        ));
    }
    Ok(t.to_owned())
}

/// A `--rate`: 1 to [`MAX_RATE`] packets per second.
fn parse_rate(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("a rate of 0 would send nothing: give packets per second, e.g. 10000".into()),
        Ok(n) if n > u64::from(MAX_RATE) => Err(format!(
            "{n} packets per second is beyond what one machine can send (at most {MAX_RATE})"
        )),
        Ok(n) => u32::try_from(n).map_err(|e| e.to_string()),
        Err(_) => Err(format!("{s:?} is not a whole number of packets per second")),
    }
}

/// A `--shard I/N`.
fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse::<Shard>().map_err(|e| e.to_string())
}

/// A `--chunk-size`: 1 to 1,048,576 targets.
fn parse_chunk_size(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n @ 1..=1_048_576) => Ok(n),
        _ => Err(format!("{s:?}: a chunk has 1 to 1048576 targets")),
    }
}

/// A count of at least 1.
fn parse_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{s:?} is not a whole number")),
    }
}

/// `500ms`, `2s`, `1.5s`, `1m`, or a bare number of milliseconds; more than zero (a zero
/// timeout would fail every probe and look like silence).
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "ms"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration such as 500ms or 2s"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit {unit:?}: use ms, s or m")),
    };
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if d.is_zero() => Err("a timeout must be more than 0".to_owned()),
        Ok(d) => Ok(d),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("250").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("2h").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("0s").is_err() && parse_duration("0").is_err());
        assert!(parse_count("0").is_err() && parse_count("-1").is_err());
        assert_eq!(parse_count("64"), Ok(64));
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
