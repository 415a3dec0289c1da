//! Helpers shared by the capture tests.
#![allow(dead_code, unreachable_pub)]

pub mod capture;
