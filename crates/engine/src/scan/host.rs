//! Everything done for one host: TCP reachability, the session service on 139 and the SMB
//! suite, within one time budget.

use std::net::IpAddr;
use std::time::Instant;

use smbaudit_probe::nbss::{CalledName, NbssFacts, SessionAttempt, called_names, session_request};
use smbaudit_probe::nbstat::NbstatReport;
use smbaudit_probe::smb::SmbFacts;
use smbaudit_wire::nbss::{SessionPacket, Transport};
use tokio::net::TcpStream;

use super::budget::Budget;
use super::conn::Conn;
use super::known::{Decided, Evidence, Known};
use super::route::Route;
use super::suite::SuiteRun;
use smbaudit_probe::observation::{HostScan, Phase, Port, PortObservation, Role};
use smbaudit_probe::smb::suite::Scope;

use super::PortSet;
use crate::tcp::PortState;

/// Probes one host. `nbstat` is what UDP 137 revealed (for the called name on 139);
/// `prior`, what discovery decided: a port it found not open is recorded as it found it,
/// with no connection.
pub(crate) async fn scan_host(
    ip: IpAddr,
    ports: PortSet,
    budget: Budget,
    nbstat: Option<&NbstatReport>,
    credentials: Option<std::sync::Arc<smbaudit_probe::smb::credentials::Credentials>>,
    prior: Option<(&Known, Evidence)>,
) -> HostScan {
    let started = Instant::now();
    let mut scan = HostScan::new(ip);
    let budget = &budget;
    let connect = |port: Option<u16>, role: Role| async move {
        let port = port?;
        let known = prior.and_then(|(known, _)| known.get(port));
        let decided = prior.and_then(|(_, evidence)| evidence.observation(port, role, known?));
        let attempt = match decided {
            Some(observation) => Err(observation),
            None => budget
                .connect(ip, port, budget.timeouts.connect)
                .await
                .map_err(|state| failed_connect(port, role, state, known)),
        };
        Some((port, attempt))
    };
    let (epm, nbss, direct) = tokio::join!(
        connect(ports.epm, Role::EndpointMapper),
        connect(ports.nbss, Role::NetbiosSession),
        connect(ports.direct, Role::Smb)
    );
    drop(observe(&mut scan, Role::EndpointMapper, epm));
    let nbss = observe(&mut scan, Role::NetbiosSession, nbss);
    let direct = observe(&mut scan, Role::Smb, direct);

    // A suite that ran sets `facts.port`: that is what "SMB answered" means below.
    let mut facts = SmbFacts::default();
    if let Some((port, stream)) = direct {
        let suite = SuiteRun {
            ip,
            route: Route::Direct(port),
            budget,
            null_session: ports.null_session,
            shares: (ports.shares, ports.write_check),
            credentials: credentials.clone(),
        };
        let conn = Conn::new(stream, Transport::Direct, budget);
        suite.run(conn, Scope::Full, &mut facts, &mut scan).await;
    }
    if let Some((port, stream)) = nbss {
        let (session, conn) = session_service(ip, port, stream, nbstat, budget, &mut scan).await;
        if let Some((conn, called)) = conn {
            let suite = SuiteRun {
                ip,
                route: Route::Session { port, called },
                budget,
                null_session: ports.null_session,
                shares: (ports.shares, ports.write_check),
                // Only a Full scope logs in: after 445 this suite is NegotiateOnly.
                credentials,
            };
            // When 445 gave the facts, one NEGOTIATE on 139 shows that SMB answers there too.
            let scope = match facts.port {
                Some(_) => Scope::NegotiateOnly,
                None => Scope::Full,
            };
            suite.run(conn, scope, &mut facts, &mut scan).await;
        }
        scan.nbss = Some(session);
    }
    scan.smb = facts.port.is_some().then_some(facts);
    scan.elapsed = started.elapsed();
    scan
}

/// Session requests on 139: the first on the connection already open, each later name on a
/// new one (a refusing server closes the connection). Returns the facts and, after a
/// positive response, the connection ready for SMB and the name that opened it.
async fn session_service(
    ip: IpAddr,
    port: u16,
    first: TcpStream,
    nbstat: Option<&NbstatReport>,
    budget: &Budget,
    scan: &mut HostScan,
) -> (NbssFacts, Option<(Conn, CalledName)>) {
    let mut facts = NbssFacts::default();
    let mut stream = Some(first);
    for called in called_names(nbstat) {
        let request = session_request(&called);
        let label = called.label.as_str();
        let tcp = match stream.take() {
            Some(s) => s,
            None => match budget.reconnect(ip, port).await {
                Ok(s) => {
                    scan.connections += 1;
                    s
                }
                Err(e) => {
                    facts.record(SessionAttempt::failed(label, e.to_string()));
                    break;
                }
            },
        };
        let mut conn = Conn::new(tcp, Transport::Nbss, budget);
        let mut error = |message: String| {
            scan.error(
                Phase::NbssSession,
                port,
                format!("called name {label}: {message}"),
            );
        };
        match conn.session_request(&request).await {
            Ok(answer) => {
                let attempt = SessionAttempt::from_answer(label, &answer);
                let session_answer = matches!(
                    answer,
                    SessionPacket::Positive
                        | SessionPacket::Negative(_)
                        | SessionPacket::Retarget { .. }
                );
                if !session_answer {
                    error(attempt.detail.clone().unwrap_or_default());
                }
                facts.record(attempt);
                match answer {
                    SessionPacket::Positive => return (facts, Some((conn, called))),
                    // Refused: the server closes; the next name needs a new connection.
                    SessionPacket::Negative(_) => {}
                    _ => break,
                }
            }
            Err(e) => {
                error(e.to_string());
                facts.record(SessionAttempt::failed(label, e.to_string()));
                if !e.is_refusal() {
                    break;
                }
            }
        }
    }
    (facts, None)
}

/// The observation of a fingerprint connect that failed: as the connect says, unless
/// discovery saw the port open (a SYN-ACK), which it then stays.
fn failed_connect(
    port: u16,
    role: Role,
    state: PortState,
    known: Option<Decided>,
) -> PortObservation {
    let failed = connect_observation(port, role, state);
    match known {
        Some(Decided::Open) => PortObservation {
            state: PortState::Open.observed(),
            evidence: format!(
                "SYN-ACK to discovery; the fingerprint's connect: {}",
                state.evidence()
            ),
            ..failed
        },
        _ => failed,
    }
}

/// The observation of a connect attempt that did not open.
fn connect_observation(port: u16, role: Role, state: PortState) -> PortObservation {
    PortObservation {
        port: Port::tcp(port),
        role,
        state: state.observed(),
        evidence: state.evidence().to_owned(),
    }
}

/// Records a port's verdict (a connection, or why there is none); returns the port and
/// stream if it is open.
fn observe(
    scan: &mut HostScan,
    role: Role,
    attempt: Option<(u16, Result<TcpStream, PortObservation>)>,
) -> Option<(u16, TcpStream)> {
    let (port, result) = attempt?;
    match result {
        Ok(stream) => {
            scan.connections += 1;
            scan.ports
                .push(connect_observation(port, role, PortState::Open));
            Some((port, stream))
        }
        Err(observation) => {
            scan.ports.push(observation);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_discovery_saw_open_stays_open_when_the_connect_fails() {
        let obs = failed_connect(445, Role::Smb, PortState::Filtered, Some(Decided::Open));
        assert_eq!(obs.state, PortState::Open.observed());
        assert_eq!(
            obs.evidence,
            "SYN-ACK to discovery; the fingerprint's connect: no answer (timeout)"
        );
        let unknown = failed_connect(445, Role::Smb, PortState::Filtered, None);
        assert_eq!(unknown.state, PortState::Filtered.observed());
        assert_eq!(unknown.evidence, "no answer (timeout)");
    }
}
