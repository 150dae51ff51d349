//! The stand-in's data and the documented semantics, with no HTTP in sight:
//! configurations and their widgets, one preference object per user and
//! widget, upserts that touch only the topics sent, double opt-in, deletion.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::Value;
use usercentrics_pmp::types::{self, PreferenceAnswer, Translations, Widget};
use uuid::Uuid;

use super::fixture::Fixture;

/// A NestJS-shaped refusal: status and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The messages (a 400 lists them all).
    pub messages: Vec<String>,
}

impl Refusal {
    pub(crate) fn bad_request(messages: Vec<String>) -> Self {
        Self { status: 400, messages }
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: 404,
            messages: vec![message.into()],
        }
    }
    pub(crate) fn forbidden() -> Self {
        Self {
            status: 403,
            messages: vec!["Forbidden resource".into()],
        }
    }
    pub(crate) fn unauthorized() -> Self {
        Self {
            status: 401,
            messages: vec!["Unauthorized".into()],
        }
    }
}

/// One change of a preference object, as the Admin UI's changelog shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Who is recorded as the author: the user (`behalf=true`, or the user's
    /// own call) or the API key's owner.
    pub author: String,
    /// The language of the submission.
    pub language: String,
    /// The answers sent.
    pub answers: Vec<PreferenceAnswer>,
}

/// A stored preference object.
#[derive(Debug, Clone)]
pub struct Preference {
    /// Its id.
    pub uuid: Uuid,
    /// The configuration of its widget.
    pub pac_uuid: Uuid,
    /// The widget.
    pub widget_uuid: Uuid,
    /// The user.
    pub user_id: String,
    /// The selected options, by topic.
    pub answers: BTreeMap<Uuid, Vec<Uuid>>,
    /// Waiting for double opt-in confirmation.
    pub pending: bool,
    /// Every change, oldest first.
    pub history: Vec<Change>,
    /// For the double opt-in email when the user id is no address.
    pub email: Option<String>,
    created_at: String,
    updated_at: String,
}

/// Who makes a save.
pub(crate) enum Author<'a> {
    /// The user, through their own token.
    User,
    /// The owner of an API key, or the user when `behalf` is set.
    Key { owner: &'a str, behalf: bool },
}

pub(crate) struct Save<'a> {
    pub user_id: &'a str,
    pub email: Option<&'a str>,
    pub author: Author<'a>,
    pub body: &'a types::SavePreferencesRequest,
}

#[derive(Debug, Clone)]
struct Key {
    owner: String,
    configurations: Vec<Uuid>,
}

/// Everything the stand-in knows.
#[derive(Debug, Default)]
pub struct Store {
    keys: BTreeMap<String, Key>,
    configurations: BTreeMap<Uuid, String>,
    widgets: BTreeMap<Uuid, (Uuid, Widget)>,
    preferences: BTreeMap<Uuid, Preference>,
}

fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

impl Store {
    pub(crate) fn seed(&mut self, fixture: Fixture) {
        for key in fixture.api_keys {
            self.keys.insert(
                key.key,
                Key {
                    owner: key.owner,
                    configurations: key.configurations,
                },
            );
        }
        for configuration in fixture.configurations {
            self.configurations.insert(configuration.uuid, configuration.title);
            for widget in configuration.widgets {
                self.widgets.insert(widget.uuid, (configuration.uuid, widget));
            }
        }
        for seeded in fixture.preferences {
            let Some((pac_uuid, _)) = self.widgets.get(&seeded.widget_uuid) else {
                continue;
            };
            let stamp = now();
            self.preferences.insert(
                seeded.uuid,
                Preference {
                    uuid: seeded.uuid,
                    pac_uuid: *pac_uuid,
                    widget_uuid: seeded.widget_uuid,
                    user_id: seeded.user_id,
                    answers: seeded
                        .answers
                        .into_iter()
                        .map(|a| (a.topic_uuid, a.topic_answer_uuids))
                        .collect(),
                    pending: seeded.pending,
                    history: Vec::new(),
                    email: None,
                    created_at: stamp.clone(),
                    updated_at: stamp,
                },
            );
        }
    }

    /// The owner of an API key, if it is one.
    pub(crate) fn key_owner(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(|k| k.owner.as_str())
    }

    /// May `key` work on configuration `pac_uuid`? 404 when there is none.
    pub(crate) fn check_access(&self, key: &str, pac_uuid: Uuid) -> Result<(), Refusal> {
        if !self.configurations.contains_key(&pac_uuid) {
            return Err(Refusal::not_found(format!("Configuration {pac_uuid} not found")));
        }
        match self.keys.get(key) {
            Some(k) if k.configurations.contains(&pac_uuid) => Ok(()),
            _ => Err(Refusal::forbidden()),
        }
    }

    fn widget(&self, uuid: Uuid) -> Result<&(Uuid, Widget), Refusal> {
        self.widgets
            .get(&uuid)
            .ok_or_else(|| Refusal::not_found(format!("Widget {uuid} not found")))
    }

    /// The configuration of a widget, or 404.
    pub(crate) fn widget_configuration(&self, widget: Uuid) -> Result<Uuid, Refusal> {
        self.widget(widget).map(|(pac, _)| *pac)
    }

    /// The widget in the requested languages (English when none are asked for).
    pub(crate) fn widget_view(&self, pac_uuid: Uuid, uuid: Uuid, languages: &[String]) -> Result<Widget, Refusal> {
        let (pac, widget) = self.widget(uuid)?;
        if *pac != pac_uuid {
            return Err(Refusal::not_found(format!("Widget {uuid} not found")));
        }
        let languages: Vec<&str> = if languages.is_empty() {
            vec!["en"]
        } else {
            languages.iter().map(String::as_str).collect()
        };
        let pick = |t: &Option<Translations>| t.as_ref().map(|t| Translations(only(&t.0, &languages)));
        let mut view = widget.clone();
        view.title = pick(&widget.title);
        view.description = pick(&widget.description);
        view.additional_note = pick(&widget.additional_note);
        view.topics.sort_by_key(|t| t.order);
        for topic in &mut view.topics {
            topic.title = pick(&topic.title);
            topic.description = pick(&topic.description);
            topic.options.sort_by_key(|o| o.order);
            for option in &mut topic.options {
                option.title = pick(&option.title);
                option.description = pick(&option.description);
            }
        }
        Ok(view)
    }

    /// The user view: every object of the user in the configuration, or of one widget.
    pub(crate) fn user_view(
        &self,
        pac_uuid: Uuid,
        user_id: &str,
        widget: Option<Uuid>,
    ) -> Result<Vec<types::UserPreference>, Refusal> {
        if let Some(widget) = widget
            && self.widget_configuration(widget)? != pac_uuid
        {
            return Err(Refusal::not_found(format!("Widget {widget} not found")));
        }
        Ok(self
            .preferences
            .values()
            .filter(|p| p.pac_uuid == pac_uuid && p.user_id == user_id && widget.is_none_or(|w| p.widget_uuid == w))
            .map(|p| self.user_object(p))
            .collect())
    }

    pub(crate) fn user_object(&self, p: &Preference) -> types::UserPreference {
        types::UserPreference {
            uuid: p.uuid,
            widget_id: Some(p.widget_uuid),
            widget_uuid: None,
            pending: p.pending,
            answers: self.answers_in_order(p),
            created_at: Some(p.created_at.clone()),
            updated_at: Some(p.updated_at.clone()),
            expires_at: None,
        }
    }

    fn answers_in_order(&self, p: &Preference) -> Vec<PreferenceAnswer> {
        let order = |topic: &Uuid| {
            self.widgets
                .get(&p.widget_uuid)
                .and_then(|(_, w)| w.topics.iter().find(|t| t.uuid == *topic))
                .and_then(|t| t.order)
        };
        let mut answers: Vec<_> = p
            .answers
            .iter()
            .map(|(topic, options)| PreferenceAnswer {
                topic_uuid: *topic,
                topic_answer_uuids: options.clone(),
            })
            .collect();
        answers.sort_by_key(|a| order(&a.topic_uuid));
        answers
    }

    /// The server-side view: the user's object of one widget, with names in `language`.
    pub(crate) fn server_view(
        &self,
        widget_uuid: Uuid,
        user_id: &str,
        language: &str,
    ) -> Result<Vec<types::ServerPreference>, Refusal> {
        let (_, widget) = self.widget(widget_uuid)?;
        let name = |t: &Option<Translations>| t.as_ref().and_then(|t| text(&t.0, language));
        Ok(self
            .preferences
            .values()
            .filter(|p| p.widget_uuid == widget_uuid && p.user_id == user_id)
            .map(|p| types::ServerPreference {
                uuid: Some(p.uuid),
                widget_uuid,
                widget_name: name(&widget.title),
                pending: Some(p.pending),
                answers: self
                    .answers_in_order(p)
                    .into_iter()
                    .map(|a| {
                        let topic = widget.topics.iter().find(|t| t.uuid == a.topic_uuid);
                        let names = a
                            .topic_answer_uuids
                            .iter()
                            .filter_map(|o| {
                                topic?
                                    .options
                                    .iter()
                                    .find(|x| x.uuid == *o)
                                    .and_then(|x| name(&x.title))
                            })
                            .collect();
                        types::ServerPreferenceAnswer {
                            topic_uuid: a.topic_uuid,
                            topic_name: topic.and_then(|t| name(&t.title)),
                            topic_answer_uuids: a.topic_answer_uuids,
                            answer_name: Some(types::ServerPreferenceAnswerAnswerName::Array(names)),
                        }
                    })
                    .collect(),
            })
            .collect())
    }

    /// The upsert of POST /preferences/my and POST /preferences.
    pub(crate) fn save(&mut self, pac_uuid: Uuid, save: Save<'_>) -> Result<types::UserPreference, Refusal> {
        let body = save.body;
        let (pac, widget) = self.widget(body.widget_uuid)?;
        if *pac != pac_uuid {
            return Err(Refusal::not_found(format!("Widget {} not found", body.widget_uuid)));
        }
        let mut problems = Vec::new();
        let mut seen = Vec::new();
        for answer in &body.answers {
            let Some(topic) = widget.topics.iter().find(|t| t.uuid == answer.topic_uuid) else {
                problems.push(format!(
                    "topic {} does not belong to widget {}",
                    answer.topic_uuid, widget.uuid
                ));
                continue;
            };
            if seen.contains(&topic.uuid) {
                problems.push(format!("topic {} is answered twice", topic.uuid));
            }
            seen.push(topic.uuid);
            for option in &answer.topic_answer_uuids {
                if !topic.options.iter().any(|o| o.uuid == *option) {
                    problems.push(format!("option {option} does not belong to topic {}", topic.uuid));
                }
            }
            let single = topic.selection() == usercentrics_pmp::readers::Selection::Single;
            if single && answer.topic_answer_uuids.len() > 1 {
                problems.push(format!(
                    "topic {} allows a single answer, got {}",
                    topic.uuid,
                    answer.topic_answer_uuids.len()
                ));
            }
        }
        let existing = self
            .preferences
            .values()
            .find(|p| p.widget_uuid == body.widget_uuid && p.user_id == save.user_id)
            .map(|p| p.uuid);
        let mut merged = existing
            .map(|uuid| self.preferences[&uuid].answers.clone())
            .unwrap_or_default();
        for answer in &body.answers {
            merged.insert(answer.topic_uuid, answer.topic_answer_uuids.clone());
        }
        for topic in widget.topics.iter().filter(|t| t.required == Some(true)) {
            if merged.get(&topic.uuid).is_none_or(Vec::is_empty) {
                problems.push(format!("topic {} is required", topic.uuid));
            }
        }
        if !problems.is_empty() {
            return Err(Refusal::bad_request(problems));
        }
        let double_opt_in = widget.double_opt_in == Some(true);
        let author = match save.author {
            Author::User => save.user_id.to_string(),
            Author::Key { behalf: true, .. } => save.user_id.to_string(),
            Author::Key { owner, behalf: false } => owner.to_string(),
        };
        let change = Change {
            author,
            language: body.language.clone(),
            answers: body.answers.clone(),
        };
        let stamp = now();
        let uuid = existing.unwrap_or_else(Uuid::new_v4);
        let object = self.preferences.entry(uuid).or_insert_with(|| Preference {
            uuid,
            pac_uuid,
            widget_uuid: body.widget_uuid,
            user_id: save.user_id.to_string(),
            answers: BTreeMap::new(),
            // The first save of a double opt-in widget waits for confirmation.
            pending: double_opt_in,
            history: Vec::new(),
            email: None,
            created_at: stamp.clone(),
            updated_at: stamp.clone(),
        });
        object.answers = merged;
        object.updated_at = stamp;
        object.history.push(change);
        if let Some(email) = save.email {
            object.email = Some(email.to_string());
        }
        let object = object.clone();
        Ok(self.user_object(&object))
    }

    /// DELETE /preferences/{uuid}: the key must reach the object's configuration.
    pub(crate) fn delete_one(&mut self, key: &str, uuid: Uuid) -> Result<(), Refusal> {
        let pac = self
            .preferences
            .get(&uuid)
            .map(|p| p.pac_uuid)
            .ok_or_else(|| Refusal::not_found(format!("Preference {uuid} not found")))?;
        self.check_access(key, pac)?;
        self.preferences.remove(&uuid);
        Ok(())
    }

    /// DELETE /preferences: every object of the user in the configuration.
    pub(crate) fn delete_user(&mut self, pac_uuid: Uuid, user_id: &str) -> u64 {
        let before = self.preferences.len();
        self.preferences
            .retain(|_, p| !(p.pac_uuid == pac_uuid && p.user_id == user_id));
        (before - self.preferences.len()) as u64
    }

    /// The stored object of a user and widget, for tests.
    pub fn preference(&self, user_id: &str, widget_uuid: Uuid) -> Option<&Preference> {
        self.preferences
            .values()
            .find(|p| p.user_id == user_id && p.widget_uuid == widget_uuid)
    }

    /// Confirms a double opt-in; false if there is no such object.
    pub(crate) fn confirm(&mut self, user_id: &str, widget_uuid: Uuid) -> bool {
        let found = self
            .preferences
            .values_mut()
            .find(|p| p.user_id == user_id && p.widget_uuid == widget_uuid);
        found.map(|p| p.pending = false).is_some()
    }
}

/// A translations map cut to `languages`.
fn only(translations: &Value, languages: &[&str]) -> Value {
    match translations {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| languages.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The text in `language`, English when there is none in it.
fn text(translations: &Value, language: &str) -> Option<String> {
    let get = |l: &str| translations.get(l).and_then(Value::as_str).map(str::to_string);
    get(language).or_else(|| get("en"))
}
