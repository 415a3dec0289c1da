//! Drives the sans-IO SMB [`Suite`] of one port: exchanges on the current connection, a new
//! connection over the route when the suite asks for one.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use smbaudit_probe::smb::smb2::ClientNonce;
use smbaudit_probe::smb::suite::{Action, Scope, Suite, SuiteEnv};
use smbaudit_probe::smb::{ProbeError, SmbFacts};

use super::HostScan;
use super::budget::Budget;
use super::conn::Conn;
use super::route::Route;

/// Randomness and the wall clock, from the operating system.
const ENV: SuiteEnv = SuiteEnv {
    nonce,
    unix_nanos: now_unix_nanos,
};

/// Where and within what time a suite runs.
pub(crate) struct SuiteRun<'a> {
    pub(crate) ip: IpAddr,
    pub(crate) route: Route,
    pub(crate) budget: &'a Budget,
    /// Attempt the anonymous session.
    pub(crate) null_session: bool,
    /// List shares and check their access on the sessions granted (and prove writes).
    pub(crate) shares: (bool, bool),
    /// Log in as this user (once: only a Full suite does).
    pub(crate) credentials: Option<std::sync::Arc<smbaudit_probe::smb::credentials::Credentials>>,
}

impl SuiteRun<'_> {
    /// Runs the suite in `scope` with `first` as connection A, adding to `facts`; errors
    /// and connections are counted in `out`.
    pub(crate) async fn run(
        &self,
        first: Conn,
        scope: Scope,
        facts: &mut SmbFacts,
        out: &mut HostScan,
    ) {
        let port = self.route.port();
        let taken = std::mem::take(facts);
        let mut suite = Suite::new(port, self.ip.to_string(), ENV, scope, taken)
            .with_null_session(self.null_session)
            .with_shares(self.shares.0, self.shares.1)
            .with_credentials(self.credentials.clone());
        let mut conn = Some(first);
        loop {
            match suite.poll_action() {
                Action::Exchange {
                    request,
                    waiting_for,
                    new_session,
                } => {
                    let reply = match conn.as_mut() {
                        Some(conn) => {
                            if new_session {
                                conn.begin_new_session();
                            }
                            if let Some(signer) = suite.take_signer() {
                                conn.set_signer(signer);
                            }
                            let reply = conn.exchange(&request, waiting_for).await;
                            suite.handle_sent(conn.last_sent());
                            reply
                        }
                        None => Err(ProbeError::Protocol(format!(
                            "no connection for the {waiting_for}"
                        ))),
                    };
                    suite.handle_reply(reply);
                }
                Action::Reconnect => {
                    conn = None;
                    let opened = self
                        .route
                        .open(self.ip, self.budget, &mut out.connections)
                        .await;
                    suite.handle_connected(opened.map(|c| conn = Some(c)));
                }
                Action::Done => break,
            }
        }
        let (found, errors) = suite.finish();
        *facts = found;
        for (phase, message) in errors {
            out.error(phase, port, message);
        }
    }
}

fn nonce() -> ClientNonce {
    ClientNonce {
        guid: rand::random(),
        salt: rand::random(),
    }
}

fn now_unix_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(0))
}
