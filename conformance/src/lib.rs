//! Conformance suite for the PMP client: documented request/response and
//! error cases replayed through wiremock, and a local stand-in for the API.
//! The cases and the stand-in arrive with their own issues; this crate holds
//! their place in the workspace.
#![forbid(unsafe_code)]
