//! The untagged enums that `cargo xtask regen` gives a kind-dispatched
//! `Deserialize` accept exactly what serde's untagged derive accepts, into
//! equal values, and refuse the rest with an error that names the kinds.
//! serde's derive on a copy of each enum is the oracle.

use std::fmt::Debug;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use usercentrics_pmp::types::{
    ErrorResponseMessage, ServerPreference, ServerPreferenceAnswerAnswerName, ServerPreferences,
};

#[derive(Deserialize)]
#[serde(untagged)]
enum OraclePreferences {
    One(ServerPreference),
    Many(Vec<ServerPreference>),
}

impl From<OraclePreferences> for ServerPreferences {
    fn from(value: OraclePreferences) -> Self {
        match value {
            OraclePreferences::One(one) => Self::ServerPreference(one),
            OraclePreferences::Many(many) => Self::Array(many),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OracleText {
    One(String),
    Many(Vec<String>),
}

impl From<OracleText> for ServerPreferenceAnswerAnswerName {
    fn from(value: OracleText) -> Self {
        match value {
            OracleText::One(one) => Self::String(one),
            OracleText::Many(many) => Self::Array(many),
        }
    }
}

impl From<OracleText> for ErrorResponseMessage {
    fn from(value: OracleText) -> Self {
        match value {
            OracleText::One(one) => Self::String(one),
            OracleText::Many(many) => Self::Array(many),
        }
    }
}

/// Decodes `input` both ways, from bytes (borrowed strings) and from a
/// `Value` (owned strings), and demands the same outcome; returns the error.
fn same<T, O>(input: &Value) -> Option<String>
where
    T: DeserializeOwned + PartialEq + Debug,
    O: DeserializeOwned + Into<T>,
{
    let bytes = serde_json::to_vec(input).unwrap();
    let ours = serde_json::from_slice::<T>(&bytes);
    let oracle = serde_json::from_slice::<O>(&bytes).map(Into::into);
    match (&ours, &oracle) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{input}"),
        (Err(_), Err(_)) => {}
        _ => panic!("{input}: ours {ours:?}, serde's untagged derive {:?}", oracle.is_ok()),
    }
    let from_value = serde_json::from_value::<T>(input.clone());
    assert_eq!(from_value.is_ok(), ours.is_ok(), "{input}: from a Value");
    if let (Ok(a), Ok(b)) = (&from_value, &ours) {
        assert_eq!(a, b, "{input}: from a Value");
    }
    ours.err().map(|e| e.to_string())
}

const ID: &str = "1234abcd-22bb-33cc-44dd-12345678abcd";

fn object(answer_name: Value) -> Value {
    json!({"uuid": ID, "widgetUuid": ID, "widgetName": "Newsletter \"DE\"", "pending": false,
           "answers": [{"topicUuid": ID, "topicAnswerUuids": [ID], "answerName": answer_name}]})
}

#[test]
fn server_preferences_decode_as_serde_untagged_does() {
    let accepted = [
        object(json!("Produkt-News")),
        object(json!(["Produkt-News", "Angebote"])),
        object(json!(null)),
        json!([object(json!("a")), object(json!(["b"]))]),
        json!([]),
    ];
    for input in &accepted {
        assert_eq!(same::<ServerPreferences, OraclePreferences>(input), None, "{input}");
    }
    let refused = [
        json!("one"),
        json!(1),
        json!(true),
        json!(null),
        json!({"uuid": ID}),
        json!([object(json!("a")), 3]),
        object(json!(7)),
        object(json!([1])),
    ];
    for input in &refused {
        assert!(same::<ServerPreferences, OraclePreferences>(input).is_some(), "{input}");
    }
}

#[test]
fn text_or_list_decodes_as_serde_untagged_does() {
    for input in [json!("x"), json!("esc\"aped \u{e9}"), json!([]), json!(["a", "b"])] {
        assert_eq!(
            same::<ServerPreferenceAnswerAnswerName, OracleText>(&input),
            None,
            "{input}"
        );
        assert_eq!(same::<ErrorResponseMessage, OracleText>(&input), None, "{input}");
    }
    for input in [json!(1), json!(null), json!({"a": "b"}), json!(["a", 1]), json!(false)] {
        assert!(
            same::<ServerPreferenceAnswerAnswerName, OracleText>(&input).is_some(),
            "{input}"
        );
        assert!(same::<ErrorResponseMessage, OracleText>(&input).is_some(), "{input}");
    }
}

#[test]
fn errors_name_the_kinds_or_the_one_variant_that_applied() {
    let wrong_kind = same::<ServerPreferences, OraclePreferences>(&json!("one")).unwrap();
    assert_eq!(
        wrong_kind,
        r#"invalid type: string "one", expected an object or an array at line 1 column 5"#
    );
    // serde's derive would say only "did not match any variant"; the object's own error is kept.
    let missing = same::<ServerPreferences, OraclePreferences>(&json!({"uuid": ID, "answers": []})).unwrap();
    assert!(missing.starts_with("missing field `widgetUuid`"), "{missing}");
}
