//! Typed client for the Usercentrics Preference Management Platform (PMP)
//! public API: authenticate end users, read the widget structure, and read,
//! save and delete users' communication preferences.
//!
//! The operations, their builders and the types come from the pinned OpenAPI
//! document (`openapi/preference-api.json`) through progenitor, and are
//! re-exported here. Around them, a small hand-written layer: [`config`]
//! builds the client, [`hooks`] attaches each operation's credential and
//! sends with [`retry`] and tracing, [`session`] keeps a user's token,
//! [`call`] turns every answer into the body or one [`Error`], and
//! [`readers`] reads the shapes the docs leave open.
//!
//! Every builder has `.call()` (from [`Call`]): the body, or a typed error.
//! (`.send()` is progenitor's own, with its raw result.)
//!
//! # Every operation
//!
//! ```no_run
//! use usercentrics_pmp::{Call, Client, types};
//!
//! # async fn run() -> Result<(), usercentrics_pmp::Error> {
//! let client = Client::builder().api_key("…").build()?;
//! let (pac, widget, id): (uuid::Uuid, uuid::Uuid, uuid::Uuid) = Default::default();
//! let answers = || types::SavePreferencesRequest { widget_uuid: widget, language: "en".into(), answers: vec![] };
//!
//! // POST /authenticate (API key): a token for one user of one configuration.
//! let body = types::AuthenticateRequest { pac_uuid: pac, user_id: "user@company.com".into(), user_public_name: None, user_email: None };
//! let token = client.authenticate().body(body).call().await?.token;
//! // GET /preferences (API key): one user's preferences for one widget, names translated.
//! let found = client.get_preferences().widget_uuid(widget).x_user_id("user@company.com").language("de").call().await?;
//! // POST /preferences (API key): save for a user, optionally on the user's behalf.
//! let saved = client.save_preferences().pac_uuid(pac).x_user_id("user@company.com").behalf(true).body(answers()).call().await?;
//! // DELETE /preferences/{preferenceUuid} (API key): one preference object.
//! client.delete_preference().preference_uuid(saved.uuid).call().await?;
//! // DELETE /preferences (API key): all of a user's objects in a configuration.
//! let deleted = client.delete_user_preferences().pac_uuid(pac).x_user_id("user@company.com").call().await?;
//!
//! let user = client.user(pac, "user@company.com"); // or client.with_token(token)
//! // GET /preferences/my (bearer): the user's own preferences, of one widget or all.
//! let mine = user.get_my_preferences().widget_uuid(widget).call().await?;
//! // POST /preferences/my (bearer): save the user's own preferences.
//! let saved = user.save_my_preferences().body(answers()).call().await?;
//! // GET /widgets/{widgetUuid} (bearer): the widget's structure, in the languages asked for.
//! let structure = user.get_widget().widget_uuid(widget).language(vec!["en".into(), "de".into()]).call().await?;
//! # Ok(()) }
//! ```
//!
//! # Server side: read, update on behalf of a user, delete
//!
//! ```no_run
//! use usercentrics_pmp::{Call, Client, types};
//!
//! # async fn run() -> Result<(), usercentrics_pmp::Error> {
//! let client = Client::from_env()?; // PMP_API_KEY, optionally PMP_BASE_URL
//! let pac_uuid: uuid::Uuid = "f0e1bc09-8b14-47a3-9aa2-ef40075f8c9a".parse().unwrap();
//! let widget_uuid: uuid::Uuid = "1234abcd-22bb-33cc-44dd-12345678abcd".parse().unwrap();
//!
//! // A user's preferences for one widget, names in German.
//! let found = client.get_preferences().widget_uuid(widget_uuid).x_user_id("user@company.com").language("de").call().await?;
//! for object in found.objects() {
//!     println!("{:?}: {} answers", object.widget_name, object.answers.len());
//! }
//!
//! // Subscribe the user to a topic, recorded as the user's own change.
//! let topic: uuid::Uuid = "1234abcd-22bb-33cc-44dd-12345678abcd".parse().unwrap();
//! let option: uuid::Uuid = "1234abcd-22bb-33cc-44dd-12345678abcd".parse().unwrap();
//! let saved = client
//!     .save_preferences()
//!     .pac_uuid(pac_uuid)
//!     .x_user_id("user@company.com")
//!     .behalf(true)
//!     .body(types::SavePreferencesRequest {
//!         widget_uuid,
//!         language: "en".into(),
//!         answers: vec![types::PreferenceAnswer { topic_uuid: topic, topic_answer_uuids: vec![option] }],
//!     })
//!     .call()
//!     .await?;
//!
//! // Delete that object, then everything of the user in the configuration.
//! client.delete_preference().preference_uuid(saved.uuid).call().await?;
//! let deleted = client.delete_user_preferences().pac_uuid(pac_uuid).x_user_id("user@company.com").call().await?;
//! println!("deleted {:?} records", deleted.count());
//! # Ok(()) }
//! ```
//!
//! # Custom UI: authenticate, widget structure, save, read back
//!
//! ```no_run
//! use usercentrics_pmp::{Call, Client, types};
//!
//! # async fn run() -> Result<(), usercentrics_pmp::Error> {
//! let client = Client::from_env()?;
//! let pac_uuid: uuid::Uuid = "f0e1bc09-8b14-47a3-9aa2-ef40075f8c9a".parse().unwrap();
//! let widget_uuid: uuid::Uuid = "1234abcd-22bb-33cc-44dd-12345678abcd".parse().unwrap();
//!
//! // The token is fetched on the first call and renewed before it expires.
//! let user = client.user(pac_uuid, "user@company.com").public_name("Test User");
//! let widget = user.get_widget().widget_uuid(widget_uuid).language(vec!["en".into(), "de".into()]).call().await?;
//! for topic in &widget.topics {
//!     let title = topic.title.as_ref().and_then(|t| t.get("de"));
//!     println!("{title:?} ({:?})", topic.selection());
//! }
//! let first = &widget.topics[0];
//! user.save_my_preferences()
//!     .body(types::SavePreferencesRequest {
//!         widget_uuid,
//!         language: "de".into(),
//!         answers: vec![types::PreferenceAnswer { topic_uuid: first.uuid, topic_answer_uuids: vec![first.options[0].uuid] }],
//!     })
//!     .call()
//!     .await?;
//! let mine = user.get_my_preferences().widget_uuid(widget_uuid).call().await?;
//!
//! // Or hand the token to a front end, which calls with it alone.
//! let token = user.token().await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[rustfmt::skip] // prettyplease's layout; rustfmt would rewrite its doc comments.
#[allow(clippy::all, clippy::pedantic, missing_docs, rustdoc::all)]
mod generated;

pub mod call;
pub mod config;
pub mod error;
pub mod hooks;
pub mod readers;
pub mod retry;
pub mod secret;
pub mod session;

pub use call::{Call, CallOptions};
pub use config::ClientBuilder;
pub use error::Error;
/// progenitor's error, as `.send()` returns it; `.call()` returns [`Error`].
pub use generated::Error as RawError;
pub use generated::{Client, ClientInfo, ResponseValue, builder, operations, prelude, types};
pub use session::UserSession;

/// The production base URL of the public API.
pub const PRODUCTION_URL: &str = "https://preference-api.preference-management.usercentrics.eu/public";
