//! Integration tests of `smbaudit` (one test binary). Tests that need real
//! Samba servers build them with [`lab::Lab`]: network namespaces on this
//! machine, never the real network.

mod audit;
mod audit_here;
mod capture;
mod cli;
mod creds;
mod deploy;
mod discovery;
mod findings;
mod html;
mod icmp_order;
mod ipv6;
pub mod lab;
mod lab_selftest;
mod local;
mod nbstat;
mod order;
#[path = "../../../store-postgres/tests/pg/mod.rs"]
mod pg;
mod pipes;
mod postgres;
mod resume;
mod run;
mod scan;
mod scope;
mod sessions;
mod shards;
mod shards_bench;
mod shares;
mod signals;
mod smb1_auth;
mod smb1_only;
mod store;
mod vendor;
