//! `smbaudit show SCAN`: a stored scan rendered again, in any format.

use smbaudit_findings::{Context, Evaluation, Finding, Vantage, evaluate};

use indicatif::ProgressBar;
use smbaudit_store::ScanStatus;

use super::stored;
use crate::args::ShowArgs;
use crate::pipeline::{Pipeline, Report, Shown};
use crate::render::findings::colour_stdout;
use crate::render::scan::{self, Scanned};
use crate::{Fatal, exit};

pub(crate) fn run(args: &ShowArgs) -> Result<u8, Fatal> {
    let store = stored::open_existing(&args.store)?;
    let summary = stored::resolve(&*store, &args.scan)?;
    let id = summary.id;
    let vantage: Vantage = summary.vantage.parse().unwrap_or(Vantage::Lan);
    // Findings come sorted by address, then rule: one pass hands each host its own.
    let mut findings = store
        .findings(id)
        .map_err(Fatal::from)?
        .into_iter()
        .peekable();
    let mut hosts: Vec<Scanned> = Vec::new();
    for record in store.hosts(id).map_err(Fatal::from)? {
        let mut mine: Vec<Finding> = Vec::new();
        while findings.peek().is_some_and(|f| f.ip < record.ip) {
            findings.next();
        }
        while let Some(f) = findings.next_if(|f| f.ip == record.ip) {
            mine.push(f);
        }
        if !(args.all || record.exposed()) {
            continue;
        }
        // The findings as stored, in the report's order; only "not checked" is worked
        // out again.
        mine.sort_by(Finding::report_order);
        let not_checked = evaluate(&record, &Context { vantage }).not_checked;
        hosts.push(Scanned {
            record,
            eval: Evaluation {
                findings: mine,
                not_checked,
            },
        });
    }
    let stdout = std::io::stdout();
    let sink = scan::sink(args.format, args.verbose, colour_stdout(), stdout.lock());
    let ctx = Context { vantage };
    let mut pipeline = Pipeline::new(ctx, None, sink, Shown::All, false, ProgressBar::hidden());
    pipeline.begin()?;
    for host in hosts {
        if !pipeline.show(host) {
            break;
        }
    }
    let report = Report {
        scan_id: Some(id.to_string()),
        vantage,
        command: summary.command.clone(),
    };
    pipeline
        .finish(ScanStatus::Finished, report)
        .map_err(Fatal::from)?;
    Ok(exit::OK)
}
