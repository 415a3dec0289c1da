//! The one scan pipeline: each host the engine finishes becomes a [`HostRecord`], the rules
//! judge it, the store keeps it, and an output format shows it. `scan` and `local` feed it
//! from the engine; `show` feeds it stored records.

use std::collections::BTreeMap;

use indicatif::ProgressBar;
use smbaudit_engine::scan::HostScan;
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Context, Severity, Vantage, evaluate};
use smbaudit_store::{ScanStatus, ScanWriter};

use crate::render::scan::{Ending, ScanSink, Scanned};

/// Which hosts are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shown {
    /// Hosts with something reachable (`HostRecord::exposed`).
    Exposed,
    /// Every host, silent ones too (`--all`, and the loopback check).
    All,
}

/// Why the pipeline stopped taking hosts.
#[derive(Debug)]
pub(crate) enum Stopped {
    /// The store refused a host.
    Store(anyhow::Error),
    /// The output could not be written.
    Output(anyhow::Error),
}

impl Stopped {
    fn into_error(self) -> anyhow::Error {
        match self {
            Self::Store(e) | Self::Output(e) => e,
        }
    }
}

/// Records, rules, store and output for one run.
pub(crate) struct Pipeline<'a> {
    ctx: Context,
    writer: Option<Box<dyn ScanWriter>>,
    sink: Box<dyn ScanSink + 'a>,
    shown: Shown,
    keep_all: bool,
    bar: ProgressBar,
    kept: Vec<Scanned>,
    worst: Option<Severity>,
    gate: Option<Severity>,
    tripped: BTreeMap<String, u64>,
    stopped: Option<Stopped>,
    /// The reader of standard output went away (`| head`): nothing more is shown, but
    /// a stored scan goes on to the end.
    output_closed: bool,
}

/// Whether an output error is the reader closing the pipe (ripgrep's rule: not an error).
fn is_broken_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

impl<'a> Pipeline<'a> {
    /// A pipeline writing to `sink` (and `writer`, if storing). `keep_all` keeps every
    /// shown host for the end even when the format does not need them (e.g. for
    /// `--relay-list`); `bar` is suspended while a host is written.
    pub(crate) fn new(
        ctx: Context,
        writer: Option<Box<dyn ScanWriter>>,
        sink: Box<dyn ScanSink + 'a>,
        shown: Shown,
        keep_all: bool,
        bar: ProgressBar,
    ) -> Self {
        let keep_all = keep_all || sink.needs_all();
        Self {
            ctx,
            writer,
            sink,
            shown,
            keep_all,
            bar,
            kept: Vec::new(),
            worst: None,
            gate: None,
            tripped: BTreeMap::new(),
            stopped: None,
            output_closed: false,
        }
    }

    /// Counts, per rule, the hosts with a finding at least as severe as `gate`
    /// (`--fail-on`), for the message that says what tripped it.
    pub(crate) fn with_gate(mut self, gate: Option<Severity>) -> Self {
        self.gate = gate;
        self
    }

    /// The format's header.
    pub(crate) fn begin(&mut self) -> std::io::Result<()> {
        match self.sink.begin() {
            Err(e) if is_broken_pipe(&e) => {
                self.output_closed = true;
                Ok(())
            }
            other => other,
        }
    }

    /// Whether there is nothing left to do for a host: output gone and nothing stored.
    fn idle(&self) -> bool {
        self.output_closed && self.writer.is_none()
    }

    /// One host the engine finished. Returns false once the pipeline has stopped (the
    /// caller cancels the scan); later hosts are ignored.
    pub(crate) fn host(&mut self, host: HostScan) -> bool {
        if self.stopped.is_some() || self.idle() {
            return false;
        }
        let mut record = HostRecord::from_scan(host);
        if let Some(netbios) = &mut record.netbios {
            crate::oui::annotate(netbios);
        }
        let show = self.shown == Shown::All || record.exposed();
        if self.writer.is_none() && !show {
            return true;
        }
        let eval = evaluate(&record, &self.ctx);
        if let Some(w) = &self.writer {
            // Every finished host is stored (silent ones too), so --resume skips it.
            if let Err(e) = w.send(&record, &eval.findings) {
                self.stopped = Some(Stopped::Store(
                    anyhow::Error::from(e).context("storing results"),
                ));
                return false;
            }
        }
        if !show {
            return true;
        }
        self.show(Scanned { record, eval })
    }

    /// One host to show as it is (a stored one). Returns false once output failed.
    pub(crate) fn show(&mut self, scanned: Scanned) -> bool {
        self.worst = self
            .worst
            .max(scanned.eval.findings.first().map(|f| f.severity));
        if let Some(gate) = self.gate {
            for f in scanned.eval.findings.iter().filter(|f| f.severity >= gate) {
                *self.tripped.entry(f.rule_id.clone()).or_default() += 1;
            }
        }
        if !self.output_closed {
            let sink = &mut self.sink;
            match self.bar.suspend(|| sink.host(&scanned)) {
                Err(e) if is_broken_pipe(&e) => self.output_closed = true,
                Err(e) => {
                    self.stopped = Some(Stopped::Output(
                        anyhow::Error::from(e).context(OUTPUT_FAILED),
                    ));
                    return false;
                }
                Ok(()) => {}
            }
        }
        if self.keep_all {
            self.kept.push(scanned);
        }
        !self.idle()
    }

    /// The most severe finding shown.
    pub(crate) fn worst(&self) -> Option<Severity> {
        self.worst
    }

    /// Ends the run: the store gets `status` (interrupted whenever the pipeline stopped
    /// early), then the format its ending. Returns the hosts kept.
    pub(crate) fn finish(mut self, status: ScanStatus, report: Report) -> anyhow::Result<Finished> {
        self.bar.finish_and_clear();
        let status = match self.stopped {
            Some(_) => ScanStatus::Interrupted,
            None => status,
        };
        if let Some(w) = self.writer.take() {
            w.finish(status)?;
        }
        if let Some(stopped) = self.stopped.take() {
            return Err(stopped.into_error());
        }
        if self.output_closed {
            return Ok(self.finished());
        }
        let ending = Ending {
            hosts: &self.kept,
            scan_id: report.scan_id,
            vantage: report.vantage,
            command: report.command,
        };
        match self.sink.end(&ending) {
            Err(e) if is_broken_pipe(&e) => self.output_closed = true,
            Err(e) => return Err(anyhow::Error::from(e).context(OUTPUT_FAILED)),
            Ok(()) => {}
        }
        Ok(self.finished())
    }

    fn finished(self) -> Finished {
        Finished {
            kept: self.kept,
            tripped: self.tripped,
            output_closed: self.output_closed,
        }
    }
}

/// What a report's ending names besides its hosts.
pub(crate) struct Report {
    /// The stored scan's number.
    pub(crate) scan_id: Option<String>,
    /// Where the scan was run from.
    pub(crate) vantage: Vantage,
    /// The command line that ran it.
    pub(crate) command: String,
}

/// What a finished pipeline leaves.
pub(crate) struct Finished {
    /// The hosts kept for the end (all shown ones when the format or a caller needs them).
    pub(crate) kept: Vec<Scanned>,
    /// Per rule, the findings at or above the `--fail-on` gate.
    pub(crate) tripped: BTreeMap<String, u64>,
    /// Standard output's reader went away before the end (a closed pipe).
    pub(crate) output_closed: bool,
}

/// What a failed write of results says: standard output, named (`> /dev/full`).
const OUTPUT_FAILED: &str = "writing results to standard output";
