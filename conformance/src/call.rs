//! Calls an operation of the client from a case's JSON arguments, through the
//! client's public API, and renders the typed result.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde_json::Value;
use usercentrics_pmp::{Call as _, Client, Error};

use crate::case::Call;

/// The typed result of a call, rendered with `{:#?}`; `Err` of the outer
/// result means the case's arguments do not fit the operation.
pub type Outcome = Result<Result<String, Error>, String>;

/// A case's arguments; remembers which ones the operation read, so that one
/// it does not take is refused instead of silently left out.
struct Args<'a> {
    operation: &'a str,
    values: &'a BTreeMap<String, Value>,
    read: RefCell<BTreeSet<&'a str>>,
}

impl<'a> Args<'a> {
    fn get(&self, name: &'a str) -> Option<&'a Value> {
        self.read.borrow_mut().insert(name);
        self.values.get(name)
    }

    fn text(&self, name: &'a str) -> Result<Option<&'a str>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!(
                "{}: argument `{name}` must be a string, not {other}",
                self.operation
            )),
        }
    }

    fn typed<T: DeserializeOwned>(&self, name: &'a str) -> Result<Option<T>, String> {
        self.get(name)
            .map(|v| {
                serde_json::from_value(v.clone()).map_err(|e| format!("{}: argument `{name}`: {e}", self.operation))
            })
            .transpose()
    }

    /// `builder`, once every argument of the case was read.
    fn all_read<B>(&self, builder: B) -> Result<B, String> {
        let read = self.read.borrow();
        match self.values.keys().find(|k| !read.contains(k.as_str())) {
            Some(unused) => Err(format!("{}: takes no argument `{unused}`", self.operation)),
            None => Ok(builder),
        }
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
        read: RefCell::default(),
    };
    Ok(match call.operation.as_str() {
        "authenticate" => {
            let mut builder = client.authenticate();
            if let Some(body) = args.typed::<usercentrics_pmp::types::AuthenticateRequest>("body")? {
                builder = builder.body(body);
            }
            render(args.all_read(builder)?.call().await)
        }
        "get_my_preferences" => {
            let mut builder = client.get_my_preferences();
            if let Some(widget) = args.text("widgetUuid")? {
                builder = builder.widget_uuid(widget);
            }
            render(args.all_read(builder)?.call().await)
        }
        "save_my_preferences" => {
            let mut builder = client.save_my_preferences();
            if let Some(body) = args.typed::<usercentrics_pmp::types::SavePreferencesRequest>("body")? {
                builder = builder.body(body);
            }
            render(args.all_read(builder)?.call().await)
        }
        "get_widget" => {
            let mut builder = client.get_widget();
            if let Some(widget) = args.text("widgetUuid")? {
                builder = builder.widget_uuid(widget);
            }
            if let Some(languages) = args.typed::<Vec<String>>("language")? {
                builder = builder.language(languages);
            }
            render(args.all_read(builder)?.call().await)
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
            render(args.all_read(builder)?.call().await)
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
            render(args.all_read(builder)?.call().await)
        }
        "delete_preference" => {
            let mut builder = client.delete_preference();
            if let Some(preference) = args.text("preferenceUuid")? {
                builder = builder.preference_uuid(preference);
            }
            render(args.all_read(builder)?.call().await)
        }
        "delete_user_preferences" => {
            let mut builder = client.delete_user_preferences();
            if let Some(pac) = args.text("pacUuid")? {
                builder = builder.pac_uuid(pac);
            }
            if let Some(user) = args.text("x-user-id")? {
                builder = builder.x_user_id(user);
            }
            render(args.all_read(builder)?.call().await)
        }
        other => return Err(format!("unknown operation `{other}`")),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn an_argument_the_operation_does_not_take_is_refused_before_sending() {
        // Nothing listens on the discard port: a request sent would fail differently.
        let client = Client::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:9/public")
            .build()
            .unwrap();
        for (extra, value) in [("behalf", json!(true)), ("colour", json!("red"))] {
            let case: Call = serde_json::from_value(json!({
                "operation": "get_preferences",
                "args": {"widgetUuid": "1234abcd-22bb-33cc-44dd-12345678abcd", "x-user-id": "u", extra: value},
            }))
            .unwrap();
            let outcome = call(&client, &case).await;
            assert_eq!(
                outcome.unwrap_err(),
                format!("get_preferences: takes no argument `{extra}`")
            );
        }
    }
}
