//! `smbaudit show SCAN`: a stored scan rendered again, in any format.

use smbaudit_findings::identity::correlate;
use smbaudit_findings::{Context, Evaluation, Finding, Vantage, evaluate};

use super::stored;
use crate::args::ShowArgs;
use crate::render::findings::colour_stdout;
use crate::render::scan::{Ending, ScanRenderer, Scanned};
use crate::{Fatal, exit};

pub(crate) fn run(args: &ShowArgs) -> Result<u8, Fatal> {
    let (store, _) = stored::open(&args.store)?;
    let id = stored::resolve(&store, &args.scan)?;
    let summary = store.scan(id).map_err(Fatal::from)?;
    let vantage: Vantage = summary.vantage.parse().unwrap_or(Vantage::Lan);
    let mut findings = store.findings(id).map_err(Fatal::from)?;
    let hosts: Vec<Scanned> = store
        .hosts(id)
        .map_err(Fatal::from)?
        .into_iter()
        .map(|record| {
            // The findings as stored; only the "not checked" list is worked out again.
            let mut mine: Vec<Finding> = Vec::new();
            findings.retain(|f| {
                let keep = f.ip != record.ip;
                if !keep {
                    mine.push(f.clone());
                }
                keep
            });
            mine.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule_id.cmp(&b.rule_id)));
            let not_checked = evaluate(&record, &Context { vantage }).not_checked;
            Scanned {
                record,
                eval: Evaluation {
                    findings: mine,
                    not_checked,
                },
            }
        })
        .filter(|s| args.all || s.record.exposed())
        .collect();
    let stdout = std::io::stdout();
    let mut renderer = ScanRenderer::new(args.format, args.verbose, colour_stdout(), stdout.lock());
    renderer.begin()?;
    for host in &hosts {
        renderer.host(host)?;
    }
    let records: Vec<_> = hosts.iter().map(|s| s.record.clone()).collect();
    renderer.end(&Ending {
        hosts: &hosts,
        machines: &correlate(&records),
        scan_id: Some(id.to_string()),
        vantage,
        command: summary.command.clone(),
    })?;
    Ok(exit::OK)
}
