//! Calls an operation of the client from a case's JSON arguments, through the
//! client's public API, and renders the typed result.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value;
use usercentrics_pmp::{Call as _, Client, Error};

use crate::case::Call;

/// The typed result of a call, rendered with `{:#?}`; `Err` of the outer
/// result means the case's arguments do not fit the operation.
pub type Outcome = Result<Result<String, Error>, String>;

struct Args<'a> {
    operation: &'a str,
    values: &'a BTreeMap<String, Value>,
}

impl Args<'_> {
    fn text(&self, name: &str) -> Result<Option<&str>, String> {
        match self.values.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!(
                "{}: argument `{name}` must be a string, not {other}",
                self.operation
            )),
        }
    }

    fn typed<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, String> {
        self.values
            .get(name)
            .map(|v| {
                serde_json::from_value(v.clone()).map_err(|e| format!("{}: argument `{name}`: {e}", self.operation))
            })
            .transpose()
    }
}

fn render<T: std::fmt::Debug>(result: Result<T, Error>) -> Result<String, Error> {
    result.map(|output| format!("{output:#?}"))
}

/// Calls `call.operation` on `client` with `call.args`. An argument left out
/// is not set, so the client's own checks of required arguments are tested too.
pub async fn call(client: &Client, call: &Call) -> Outcome {
    let args = Args {
        operation: &call.operation,
        values: &call.args,
    };
    let known = [
        "body",
        "widgetUuid",
        "language",
        "x-user-id",
        "x-user-email",
        "pacUuid",
        "behalf",
        "preferenceUuid",
    ];
    if let Some(unknown) = call.args.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!("{}: unknown argument `{unknown}`", call.operation));
    }
    Ok(match call.operation.as_str() {
        "authenticate" => {
            let mut builder = client.authenticate();
            if let Some(body) = args.typed::<usercentrics_pmp::types::AuthenticateRequest>("body")? {
                builder = builder.body(body);
            }
            render(builder.call().await)
        }
        "get_my_preferences" => {
            let mut builder = client.get_my_preferences();
            if let Some(widget) = args.text("widgetUuid")? {
                builder = builder.widget_uuid(widget);
            }
            render(builder.call().await)
        }
        "save_my_preferences" => {
            let mut builder = client.save_my_preferences();
            if let Some(body) = args.typed::<usercentrics_pmp::types::SavePreferencesRequest>("body")? {
                builder = builder.body(body);
            }
            render(builder.call().await)
        }
        "get_widget" => {
            let mut builder = client.get_widget();
            if let Some(widget) = args.text("widgetUuid")? {
                builder = builder.widget_uuid(widget);
            }
            if let Some(languages) = args.typed::<Vec<String>>("language")? {
                builder = builder.language(languages);
            }
            render(builder.call().await)
        }
        "get_preferences" => {
            let mut builder = client.get_preferences();
            if let Some(widget) = args.text("widgetUuid")? {
                builder = builder.widget_uuid(widget);
            }
            if let Some(user) = args.text("x-user-id")? {
                builder = builder.x_user_id(user);
            }
            if let Some(language) = args.text("language")? {
                builder = builder.language(language);
            }
            render(builder.call().await)
        }
        "save_preferences" => {
            let mut builder = client.save_preferences();
            if let Some(pac) = args.text("pacUuid")? {
                builder = builder.pac_uuid(pac);
            }
            if let Some(user) = args.text("x-user-id")? {
                builder = builder.x_user_id(user);
            }
            if let Some(email) = args.text("x-user-email")? {
                builder = builder.x_user_email(email);
            }
            if let Some(behalf) = args.typed::<bool>("behalf")? {
                builder = builder.behalf(behalf);
            }
            if let Some(body) = args.typed::<usercentrics_pmp::types::SavePreferencesRequest>("body")? {
                builder = builder.body(body);
            }
            render(builder.call().await)
        }
        "delete_preference" => {
            let mut builder = client.delete_preference();
            if let Some(preference) = args.text("preferenceUuid")? {
                builder = builder.preference_uuid(preference);
            }
            render(builder.call().await)
        }
        "delete_user_preferences" => {
            let mut builder = client.delete_user_preferences();
            if let Some(pac) = args.text("pacUuid")? {
                builder = builder.pac_uuid(pac);
            }
            if let Some(user) = args.text("x-user-id")? {
                builder = builder.x_user_id(user);
            }
            render(builder.call().await)
        }
        other => return Err(format!("unknown operation `{other}`")),
    })
}
