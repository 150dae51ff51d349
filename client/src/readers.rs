//! Readers for the shapes the docs leave open. The document models them
//! loosely so that any plausible answer decodes (see `openapi/README.md`);
//! these methods read whichever shape arrived.

use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

use crate::types::{
    DeletedCount, ServerPreference, ServerPreferenceAnswer, ServerPreferenceAnswerAnswerName, ServerPreferences,
    Translations, UserPreference, WidgetTopic,
};

impl Translations {
    /// The text in `language` (ISO 639-1, e.g. `de`).
    ///
    /// Reads a map by language (`{"de": "…"}`), a list of
    /// `{language|lang|code|locale, value|text|translation}` objects, or a
    /// plain string, which is the text whatever the language.
    ///
    /// ```
    /// use usercentrics_pmp::types::Translations;
    ///
    /// let map = Translations(serde_json::json!({"en": "Newsletter", "de": "Rundbrief"}));
    /// assert_eq!(map.get("de"), Some("Rundbrief"));
    /// let list = Translations(serde_json::json!([{"language": "de", "value": "Rundbrief"}]));
    /// assert_eq!(list.get("de"), Some("Rundbrief"));
    /// assert_eq!(list.get("fr"), None);
    /// ```
    pub fn get(&self, language: &str) -> Option<&str> {
        self.entries()
            .find(|(lang, _)| lang.is_none_or(|l| l.eq_ignore_ascii_case(language)))
            .map(|(_, text)| text)
    }

    /// Every language and its text (a plain string is listed under `""`).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.entries()
            .map(|(lang, text)| (lang.unwrap_or_default().to_string(), text.to_string()))
            .collect()
    }

    fn entries(&self) -> impl Iterator<Item = (Option<&str>, &str)> {
        let entries: Vec<(Option<&str>, &str)> = match &self.0 {
            Value::String(text) => vec![(None, text.as_str())],
            Value::Object(map) => map
                .iter()
                .filter_map(|(lang, text)| Some((Some(lang.as_str()), text.as_str()?)))
                .collect(),
            Value::Array(items) => items
                .iter()
                .filter_map(|item| {
                    let field = |names: &[&str]| names.iter().find_map(|n| item.get(*n)?.as_str());
                    Some((
                        Some(field(&["language", "lang", "code", "locale"])?),
                        field(&["value", "text", "translation"])?,
                    ))
                })
                .collect(),
            _ => Vec::new(),
        };
        entries.into_iter()
    }
}

/// How many options of a topic a user may pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// One (radio buttons or a drop-down).
    Single,
    /// Any number (checkboxes).
    Multiple,
    /// A `selectType` this client does not recognise.
    Unknown,
}

impl WidgetTopic {
    /// Reads `selectType`, whose literal values are not documented: radio,
    /// drop-down, select and single mean one option; checkbox and multi mean any.
    ///
    /// ```
    /// use usercentrics_pmp::{readers::Selection, types::WidgetTopic};
    ///
    /// let topic: WidgetTopic = serde_json::from_value(serde_json::json!({
    ///     "uuid": "1234abcd-22bb-33cc-44dd-12345678abcd", "options": [], "selectType": "CHECKBOX"
    /// })).unwrap();
    /// assert_eq!(topic.selection(), Selection::Multiple);
    /// ```
    pub fn selection(&self) -> Selection {
        let Some(kind) = self.select_type.as_deref().map(str::to_ascii_lowercase) else {
            return Selection::Unknown;
        };
        if ["checkbox", "multi"].iter().any(|k| kind.contains(k)) {
            Selection::Multiple
        } else if ["radio", "drop", "select", "single"].iter().any(|k| kind.contains(k)) {
            Selection::Single
        } else {
            Selection::Unknown
        }
    }
}

impl ServerPreferences {
    /// The preference objects, whether the server sent one or a list.
    pub fn objects(&self) -> &[ServerPreference] {
        match self {
            Self::ServerPreference(one) => std::slice::from_ref(one),
            Self::Array(many) => many,
        }
    }

    /// The preference objects, owned.
    pub fn into_vec(self) -> Vec<ServerPreference> {
        match self {
            Self::ServerPreference(one) => vec![one],
            Self::Array(many) => many,
        }
    }
}

impl ServerPreferenceAnswer {
    /// The names of the selected options, whether sent as one string or a list.
    pub fn answer_names(&self) -> Vec<&str> {
        match &self.answer_name {
            Some(ServerPreferenceAnswerAnswerName::String(one)) => vec![one.as_str()],
            Some(ServerPreferenceAnswerAnswerName::Array(many)) => many.iter().map(String::as_str).collect(),
            None => Vec::new(),
        }
    }
}

impl DeletedCount {
    /// The number of records deleted, under whichever name the server used.
    ///
    /// ```
    /// use usercentrics_pmp::types::DeletedCount;
    ///
    /// assert_eq!(DeletedCount::Integer(3).count(), Some(3));
    /// let typeorm: DeletedCount = serde_json::from_str(r#"{"raw": [], "affected": 2}"#).unwrap();
    /// assert_eq!(typeorm.count(), Some(2));
    /// ```
    pub fn count(&self) -> Option<u64> {
        match self {
            Self::Integer(n) => Some(*n),
            Self::Object {
                deleted,
                count,
                affected,
            } => deleted.or(*count).or(*affected),
        }
    }
}

impl UserPreference {
    /// The widget this object belongs to, named `widgetId` or `widgetUuid`.
    pub fn widget(&self) -> Option<Uuid> {
        self.widget_id.or(self.widget_uuid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn translations_in_every_plausible_shape() {
        assert_eq!(Translations(json!("Newsletter")).get("de"), Some("Newsletter"));
        assert_eq!(Translations(json!({"en": "A", "de": "B"})).get("DE"), Some("B"));
        assert_eq!(
            Translations(json!([{"lang": "de", "text": "B"}, {"code": "en", "translation": "A"}])).get("en"),
            Some("A")
        );
        assert_eq!(Translations(json!(null)).get("en"), None);
        assert_eq!(Translations(json!({"en": 3})).get("en"), None);
        assert_eq!(Translations(json!({"en": "A", "de": "B"})).to_map().len(), 2);
    }

    #[test]
    fn select_types() {
        let topic = |kind: Option<&str>| -> WidgetTopic {
            serde_json::from_value(json!({"uuid": Uuid::nil(), "options": [], "selectType": kind})).unwrap()
        };
        for (kind, selection) in [
            (Some("radio"), Selection::Single),
            (Some("dropdown"), Selection::Single),
            (Some("SINGLE_SELECT"), Selection::Single),
            (Some("checkbox"), Selection::Multiple),
            (Some("multiSelect"), Selection::Multiple),
            (Some("slider"), Selection::Unknown),
            (None, Selection::Unknown),
        ] {
            assert_eq!(topic(kind).selection(), selection, "{kind:?}");
        }
    }

    #[test]
    fn answer_names_and_counts() {
        let answer: ServerPreferenceAnswer =
            serde_json::from_value(json!({"topicUuid": Uuid::nil(), "answerName": ["A", "B"]})).unwrap();
        assert_eq!(answer.answer_names(), ["A", "B"]);
        let empty: DeletedCount = serde_json::from_value(json!({})).unwrap();
        assert_eq!(empty.count(), None);
    }
}
