//! Typed client for the Usercentrics Preference Management Platform (PMP)
//! public API: authenticate end users, read the widget structure, and read,
//! save and delete users' communication preferences.
//!
//! The operations, their builders and the types come from the pinned OpenAPI
//! document (`openapi/preference-api.json`) through progenitor; they live in
//! the generated module and are re-exported here. The hand-written part is
//! small: [`hooks`] attaches the right credential to each operation.
//!
//! ```no_run
//! use usercentrics_pmp::{Client, hooks::Context, types};
//!
//! # async fn run() -> Result<(), usercentrics_pmp::Error<types::ErrorResponse>> {
//! let http = reqwest::Client::new();
//! let client = Client::new_with_client(
//!     usercentrics_pmp::PRODUCTION_URL,
//!     http,
//!     Context::new().with_api_key(std::env::var("PMP_API_KEY").unwrap_or_default()),
//! );
//! let preferences = client
//!     .get_preferences()
//!     .widget_uuid("1234abcd-22bb-33cc-44dd-12345678abcd".parse::<uuid::Uuid>().unwrap())
//!     .x_user_id("user@company.com")
//!     .language("de")
//!     .send()
//!     .await?;
//! println!("{:?}", preferences.into_inner());
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

#[rustfmt::skip] // prettyplease's layout; rustfmt would rewrite its doc comments.
#[allow(clippy::all, clippy::pedantic, missing_docs, rustdoc::all)]
mod generated;
pub mod hooks;

pub use generated::{Client, ClientInfo, Error, ResponseValue, builder, prelude, security, types};

/// The production base URL of the public API.
pub const PRODUCTION_URL: &str = "https://preference-api.preference-management.usercentrics.eu/public";
