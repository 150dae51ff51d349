//! A local, stateful stand-in for the Preference API: the eight documented
//! operations with their documented semantics, in memory, on a loopback port.
//!
//! Use it to try the client without an account, and to test your own
//! integration:
//!
//! ```
//! use conformance::fake::{DEMO_NEWSLETTER_WIDGET, DEMO_PAC_UUID, Fake};
//! use usercentrics_pmp::{Call, Client, types};
//!
//! /// The code under test: subscribes a user to a newsletter option.
//! async fn subscribe(client: &Client, user: &str, topic: uuid::Uuid, option: uuid::Uuid, frequency: uuid::Uuid)
//!     -> Result<(), usercentrics_pmp::Error> {
//!     let answers = vec![
//!         types::PreferenceAnswer { topic_uuid: topic, topic_answer_uuids: vec![option] },
//!         types::PreferenceAnswer { topic_uuid: frequency, topic_answer_uuids: vec![conformance::fake::DEMO_MONTHLY] },
//!     ];
//!     let body = types::SavePreferencesRequest { widget_uuid: DEMO_NEWSLETTER_WIDGET, language: "en".into(), answers };
//!     client.save_preferences().pac_uuid(DEMO_PAC_UUID).x_user_id(user).body(body).call().await?;
//!     Ok(())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // In your test: start the stand-in, point the client at it, run your code, look at the state.
//! let fake = Fake::start().await;
//! let client = Client::builder().api_key(fake.api_key()).base_url(fake.url()).build().unwrap();
//! let (topics, offers) = (conformance::fake::DEMO_TOPICS, conformance::fake::DEMO_OFFERS);
//! subscribe(&client, "ada@example.com", topics, offers, conformance::fake::DEMO_FREQUENCY).await.unwrap();
//!
//! let stored = fake.preference("ada@example.com", DEMO_NEWSLETTER_WIDGET).unwrap();
//! assert!(stored.pending, "the newsletter widget has double opt-in");
//! assert_eq!(stored.answers[&topics], [offers]);
//! assert_eq!(stored.history[0].author, "owner@demo-shop.example", "saved as the key's owner");
//! # }
//! ```

mod fixture;
mod http;
mod store;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use uuid::{Uuid, uuid};
use wiremock::{Mock, MockServer};

pub use fixture::{Fixture, FixtureConfiguration, FixtureKey, FixturePreference};
pub use store::{Change, Preference, Refusal};

/// The demo API key (from `fixtures/demo.json`); it reaches [`DEMO_PAC_UUID`].
pub const DEMO_API_KEY: &str = "pmp-demo-api-key-local-stand-in";
/// A key of another tenant: [`DEMO_PAC_UUID`] answers it 403.
pub const OTHER_TENANT_API_KEY: &str = "pmp-other-tenant-api-key";
/// The demo configuration, "Demo Shop", in English and German.
pub const DEMO_PAC_UUID: Uuid = uuid!("f0e1bc09-8b14-47a3-9aa2-ef40075f8c9a");
/// The other tenant's configuration.
pub const OTHER_PAC_UUID: Uuid = uuid!("0b7c6a8e-3f2d-4c1b-9e8a-7d6c5b4a3f21");
/// The demo's "Newsletter" widget, with double opt-in.
pub const DEMO_NEWSLETTER_WIDGET: Uuid = uuid!("5c3f1d2e-8a4b-4c6d-9e0f-1a2b3c4d5e6f");
/// Its "Newsletter topics" topic: multiple selection, optional.
pub const DEMO_TOPICS: Uuid = uuid!("3b9f6a1c-2d4e-4f8a-9b0c-1d2e3f4a5b6c");
/// Options of [`DEMO_TOPICS`].
pub const DEMO_PRODUCT_NEWS: Uuid = uuid!("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
/// Options of [`DEMO_TOPICS`].
pub const DEMO_OFFERS: Uuid = uuid!("1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e");
/// Options of [`DEMO_TOPICS`].
pub const DEMO_EVENTS: Uuid = uuid!("2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f");
/// Its "Frequency" topic: single selection, required.
pub const DEMO_FREQUENCY: Uuid = uuid!("4c0a7b2d-3e5f-4a9b-8c1d-2e3f4a5b6c7d");
/// Options of [`DEMO_FREQUENCY`].
pub const DEMO_WEEKLY: Uuid = uuid!("3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a");
/// Options of [`DEMO_FREQUENCY`].
pub const DEMO_MONTHLY: Uuid = uuid!("4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b");
/// The demo's "Account notifications" widget: no double opt-in, hidden.
pub const DEMO_ACCOUNT_WIDGET: Uuid = uuid!("7d4e2f3a-9b5c-4d7e-8f1a-2b3c4d5e6f70");
/// The other tenant's widget.
pub const OTHER_WIDGET: Uuid = uuid!("9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b");

/// How a [`Fake`] starts.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// What it is seeded with. Default: [`Fixture::demo`].
    pub fixture: Fixture,
    /// How long its tokens live. Default: the documented 8 hours.
    pub token_lifetime: Duration,
    /// A fixed loopback port. Default: any free one.
    pub port: Option<u16>,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            fixture: Fixture::demo(),
            token_lifetime: Duration::from_secs(8 * 3600),
            port: None,
        }
    }
}

/// A running stand-in. It stops when dropped.
pub struct Fake {
    server: MockServer,
    state: http::Shared,
}

impl Fake {
    /// Starts the stand-in with the demo data on a free loopback port.
    pub async fn start() -> Self {
        Self::start_with(FakeOptions::default())
            .await
            .expect("a free port is always found")
    }

    /// Starts the stand-in as configured; fails when the port is taken.
    pub async fn start_with(options: FakeOptions) -> std::io::Result<Self> {
        let mut store = store::Store::default();
        store.seed(options.fixture);
        let state = Arc::new(Mutex::new(http::State::new(store, options.token_lifetime)));
        let listener = std::net::TcpListener::bind(("127.0.0.1", options.port.unwrap_or(0)))?;
        // No request recording: a long-running stand-in must not grow without bound.
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        Mock::given(wiremock::matchers::any())
            .respond_with(http::Responder(state.clone()))
            .mount(&server)
            .await;
        Ok(Self { server, state })
    }

    /// The base URL to give the client, `/public` included.
    pub fn url(&self) -> String {
        format!("{}/public", self.server.uri())
    }

    /// The demo API key.
    pub fn api_key(&self) -> &'static str {
        DEMO_API_KEY
    }

    /// Adds keys, configurations and widgets.
    pub fn seed(&self, fixture: Fixture) {
        http::lock(&self.state).store.seed(fixture);
    }

    /// Tokens issued from now on live this long (so tests can expire them).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        http::lock(&self.state).token_lifetime = lifetime;
    }

    /// Confirms the double opt-in of a user's object (what the confirmation
    /// email's link does); false when there is no such object.
    pub fn confirm(&self, user_id: &str, widget_uuid: Uuid) -> bool {
        http::lock(&self.state).store.confirm(user_id, widget_uuid)
    }

    /// The stored object of a user and widget, with its history.
    pub fn preference(&self, user_id: &str, widget_uuid: Uuid) -> Option<Preference> {
        http::lock(&self.state).store.preference(user_id, widget_uuid).cloned()
    }
}
