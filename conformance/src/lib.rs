//! Conformance tooling for the PMP client.
//!
//! - [`case`], [`call`], [`document`]: the conformance suite's cases (files
//!   under `conformance/cases/`), the calls they make through the client, and
//!   the pinned document they are checked against. The runner is
//!   `conformance/tests/cases.rs`.
//! - [`fake`]: a local, stateful stand-in for the API, as a library
//!   ([`fake::Fake::start`]) and as the `pmp-fake` binary
//!   (`cargo run -p conformance --bin pmp-fake -- --port 4010`).
//! - [`contract`]: the live contract run (`cargo xtask contract`), the
//!   `pmp-contract` binary.
//! - [`bench`]: the benchmark behind `cargo xtask bench` (bin pmp-bench).
//! - [`python`]: the Python checkers the tests install for themselves.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bench;
pub mod call;
pub mod case;
pub mod contract;
pub mod document;
pub mod fake;
pub mod python;
