//! Integration tests on real kernel state in network namespaces this test makes
//! (`hft-<pid>-<n>`), one test binary.

mod interfaces;
mod listeners;
mod netns;
mod samba;
mod unprivileged;
