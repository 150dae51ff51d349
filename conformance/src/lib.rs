//! Conformance tooling for the PMP client.
//!
//! - [`fake`]: a local, stateful stand-in for the API, as a library
//!   ([`fake::Fake::start`]) and as the `pmp-fake` binary
//!   (`cargo run -p conformance --bin pmp-fake -- --port 4010`).
//! - [`python`]: the Python checkers the tests install for themselves.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod fake;
pub mod python;
