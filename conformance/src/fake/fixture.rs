//! What the stand-in is seeded with: API keys and the configurations they
//! reach, and widgets in the API's own shape (`GET /widgets/{uuid}`).

use serde::Deserialize;
use usercentrics_pmp::types::Widget;
use uuid::Uuid;

/// A seed: keys, configurations, widgets.
///
/// ```
/// let fixture = conformance::fake::Fixture::demo();
/// assert_eq!(fixture.api_keys[0].key, conformance::fake::DEMO_API_KEY);
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fixture {
    /// The API keys that are accepted.
    pub api_keys: Vec<FixtureKey>,
    /// The configurations and their widgets.
    pub configurations: Vec<FixtureConfiguration>,
    /// Preference objects that exist from the start.
    #[serde(default)]
    pub preferences: Vec<FixturePreference>,
}

/// A stored preference object.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FixturePreference {
    /// Its id.
    pub uuid: Uuid,
    /// Its widget, which must be seeded too.
    pub widget_uuid: Uuid,
    /// Its user.
    pub user_id: String,
    /// The selected options by topic.
    #[serde(default)]
    pub answers: Vec<usercentrics_pmp::types::PreferenceAnswer>,
    /// Waiting for double opt-in.
    #[serde(default)]
    pub pending: bool,
}

/// An API key.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FixtureKey {
    /// The key itself (`X-API-KEY`).
    pub key: String,
    /// Its owner, recorded as the author of its changes unless `behalf=true`.
    pub owner: String,
    /// The configurations it may access; others answer 403.
    pub configurations: Vec<Uuid>,
}

/// A configuration (pacUuid) and its widgets.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FixtureConfiguration {
    /// The configuration id.
    pub uuid: Uuid,
    /// Its title (the Preference Center's header).
    pub title: String,
    /// Its widgets, with translations as maps by language code.
    pub widgets: Vec<Widget>,
}

/// The demo seed, `conformance/fixtures/demo.json`.
const DEMO: &str = include_str!("../../fixtures/demo.json");

impl Fixture {
    /// The documented demo: one configuration in English and German with a
    /// double opt-in newsletter widget and an account widget, and a second
    /// configuration the demo key may not access.
    pub fn demo() -> Self {
        Self::from_json(DEMO).expect("the demo fixture is valid; a test checks it")
    }

    /// A seed from JSON in the shape of `fixtures/demo.json`.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_fixture_parses() {
        let fixture = super::Fixture::from_json(super::DEMO).unwrap();
        assert_eq!(fixture.configurations.len(), 2);
    }

    #[test]
    fn every_published_demo_id_and_key_is_in_the_fixture() {
        use crate::fake::*;
        let ids = [
            DEMO_PAC_UUID,
            OTHER_PAC_UUID,
            DEMO_NEWSLETTER_WIDGET,
            DEMO_TOPICS,
            DEMO_PRODUCT_NEWS,
            DEMO_OFFERS,
            DEMO_EVENTS,
            DEMO_FREQUENCY,
            DEMO_WEEKLY,
            DEMO_MONTHLY,
            DEMO_ACCOUNT_WIDGET,
            OTHER_WIDGET,
        ];
        for id in ids {
            assert!(
                super::DEMO.contains(&id.to_string()),
                "{id} is not in fixtures/demo.json"
            );
        }
        for key in [DEMO_API_KEY, OTHER_TENANT_API_KEY] {
            assert!(super::DEMO.contains(key), "{key} is not in fixtures/demo.json");
        }
    }
}
