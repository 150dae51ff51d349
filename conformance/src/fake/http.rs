//! The stand-in's HTTP side: routing, credentials, request validation and
//! NestJS-shaped answers.
//!
//! Built on wiremock's `Respond` with shared state rather than on an HTTP
//! framework: the conformance suite runs on wiremock already, so the stand-in
//! adds no second server stack, and eight routes are matched by hand in a
//! few lines. Each answer is computed synchronously under one lock, which is
//! all an in-memory store needs.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use usercentrics_pmp::types;
use uuid::Uuid;
use wiremock::{Request, Respond, ResponseTemplate};

use super::store::{Author, Refusal, Save, Store};

/// What a token carries.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Claims {
    pac_uuid: Uuid,
    user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_public_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_email: Option<String>,
    iat: u64,
    exp: u64,
}

pub(crate) struct State {
    pub store: Store,
    pub token_lifetime: Duration,
    secret: [u8; 32],
}

impl State {
    pub(crate) fn new(store: Store, token_lifetime: Duration) -> Self {
        let mut secret = [0; 32];
        secret[..16].copy_from_slice(Uuid::new_v4().as_bytes());
        secret[16..].copy_from_slice(Uuid::new_v4().as_bytes());
        Self {
            store,
            token_lifetime,
            secret,
        }
    }
}

pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(state: &Shared) -> std::sync::MutexGuard<'_, State> {
    // Handlers do not panic while holding the lock; if one did, the data is still usable.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Answers every request to the stand-in.
pub(crate) struct Responder(pub Shared);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let (status, body) = match route(&mut lock(&self.0), request) {
            Ok((status, body)) => (status, body),
            Err(refusal) => (refusal.status, Some(nest_error(&refusal))),
        };
        tracing::info!(target: "pmp_fake", "{} {} -> {status}", request.method, request.url.path());
        let template = ResponseTemplate::new(status);
        match body {
            Some(body) => template.set_body_json(body),
            None => template,
        }
    }
}

fn nest_error(refusal: &Refusal) -> Value {
    match refusal.status {
        400 => json!({"statusCode": 400, "message": refusal.messages, "error": "Bad Request"}),
        401 => json!({"statusCode": 401, "message": "Unauthorized"}),
        403 => json!({"statusCode": 403, "message": "Forbidden resource", "error": "Forbidden"}),
        404 => json!({"statusCode": 404, "message": refusal.messages.join("; "), "error": "Not Found"}),
        status => json!({"statusCode": status, "message": refusal.messages.join("; ")}),
    }
}

type Answer = Result<(u16, Option<Value>), Refusal>;

fn route(state: &mut State, request: &Request) -> Answer {
    let path = request.url.path().strip_prefix("/public").unwrap_or("");
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = request.method.as_str();
    match (method, segments.as_slice()) {
        ("POST", ["authenticate"]) => authenticate(state, request),
        ("GET", ["preferences", "my"]) => get_my_preferences(state, request),
        ("POST", ["preferences", "my"]) => save_my_preferences(state, request),
        ("GET", ["widgets", uuid]) => get_widget(state, request, uuid),
        ("GET", ["preferences"]) => get_preferences(state, request),
        ("POST", ["preferences"]) => save_preferences(state, request),
        ("DELETE", ["preferences"]) => delete_user_preferences(state, request),
        ("DELETE", ["preferences", uuid]) => delete_preference(state, request, uuid),
        _ => Err(Refusal::not_found(format!("Cannot {method} {}", request.url.path()))),
    }
}

fn json(value: impl Serialize) -> Option<Value> {
    Some(serde_json::to_value(value).expect("the API's types serialize"))
}

/// The API key's owner; 401 without a known key.
fn api_key<'a>(state: &'a State, request: &Request) -> Result<(&'a str, String), Refusal> {
    let key = request
        .headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    state
        .store
        .key_owner(key)
        .map(|owner| (owner, key.to_string()))
        .ok_or_else(Refusal::unauthorized)
}

/// The verified claims of the bearer token; 401 when missing, forged or expired.
fn bearer(state: &State, request: &Request) -> Result<Claims, Refusal> {
    let header = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let token = header.strip_prefix("Bearer ").ok_or_else(Refusal::unauthorized)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    let key = DecodingKey::from_secret(&state.secret).map_err(signing_failed)?;
    jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|_| Refusal::unauthorized())
}

fn signing_failed(error: jsonwebtoken::errors::Error) -> Refusal {
    Refusal {
        status: 500,
        messages: vec![format!("token signing failed: {error}")],
    }
}

fn body<T: serde::de::DeserializeOwned>(request: &Request) -> Result<T, Refusal> {
    serde_json::from_slice(&request.body).map_err(|e| Refusal::bad_request(vec![format!("invalid body: {e}")]))
}

fn query(request: &Request, name: &str) -> Vec<String> {
    request
        .url
        .query_pairs()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .collect()
}

fn uuid_param(value: &str, name: &str) -> Result<Uuid, Refusal> {
    // NestJS' ParseUUIDPipe: the 8-4-4-4-12 form only.
    let hyphenated = value.len() == 36 && value.chars().filter(|c| *c == '-').count() == 4;
    value
        .parse::<Uuid>()
        .ok()
        .filter(|_| hyphenated)
        .ok_or_else(|| Refusal::bad_request(vec![format!("{name} must be a UUID")]))
}

fn required_query_uuid(request: &Request, name: &str) -> Result<Uuid, Refusal> {
    match query(request, name).first() {
        Some(value) => uuid_param(value, name),
        None => Err(Refusal::bad_request(vec![format!("{name} must be a UUID")])),
    }
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

fn user_header(request: &Request) -> Result<&str, Refusal> {
    header(request, "x-user-id")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Refusal::bad_request(vec!["x-user-id should not be empty".into()]))
}

fn is_email(value: &str) -> bool {
    let mut parts = value.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(local), Some(domain), None)
        if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !value.contains(char::is_whitespace))
}

fn authenticate(state: &mut State, request: &Request) -> Answer {
    let (_, key) = api_key(state, request)?;
    let input: types::AuthenticateRequest = body(request)?;
    if input.user_email.as_deref().is_some_and(|e| !is_email(e)) {
        return Err(Refusal::bad_request(vec!["userEmail must be an email".into()]));
    }
    state.store.check_access(&key, input.pac_uuid)?;
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let claims = Claims {
        pac_uuid: input.pac_uuid,
        user_id: input.user_id,
        user_public_name: input.user_public_name,
        user_email: input.user_email,
        iat,
        exp: iat + state.token_lifetime.as_secs(),
    };
    let key = EncodingKey::from_secret(&state.secret).map_err(signing_failed)?;
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).map_err(signing_failed)?;
    Ok((201, Some(json!({"token": token}))))
}

fn get_my_preferences(state: &mut State, request: &Request) -> Answer {
    let claims = bearer(state, request)?;
    let widget = query(request, "widgetUuid")
        .first()
        .map(|w| uuid_param(w, "widgetUuid"))
        .transpose()?;
    Ok((
        200,
        json(state.store.user_view(claims.pac_uuid, &claims.user_id, widget)?),
    ))
}

fn save_my_preferences(state: &mut State, request: &Request) -> Answer {
    let claims = bearer(state, request)?;
    let input: types::SavePreferencesRequest = body(request)?;
    let save = Save {
        user_id: &claims.user_id,
        email: claims.user_email.as_deref(),
        author: Author::User,
        body: &input,
    };
    Ok((201, json(state.store.save(claims.pac_uuid, save)?)))
}

fn get_widget(state: &mut State, request: &Request, uuid: &str) -> Answer {
    let claims = bearer(state, request)?;
    let uuid = uuid_param(uuid, "widgetUuid")?;
    let languages = query(request, "language");
    Ok((200, json(state.store.widget_view(claims.pac_uuid, uuid, &languages)?)))
}

fn get_preferences(state: &mut State, request: &Request) -> Answer {
    let (_, key) = api_key(state, request)?;
    let widget = required_query_uuid(request, "widgetUuid")?;
    let user = user_header(request)?;
    let language = query(request, "language")
        .into_iter()
        .next()
        .unwrap_or_else(|| "en".into());
    state
        .store
        .check_access(&key, state.store.widget_configuration(widget)?)?;
    Ok((200, json(state.store.server_view(widget, user, &language)?)))
}

fn save_preferences(state: &mut State, request: &Request) -> Answer {
    let (owner, key) = api_key(state, request)?;
    let owner = owner.to_string();
    let pac_uuid = required_query_uuid(request, "pacUuid")?;
    let user = user_header(request)?;
    let behalf = match query(request, "behalf").first().map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(Refusal::bad_request(vec!["behalf must be a boolean value".into()])),
    };
    let email = header(request, "x-user-email");
    if email.is_some_and(|e| !is_email(e)) {
        return Err(Refusal::bad_request(vec!["x-user-email must be an email".into()]));
    }
    let input: types::SavePreferencesRequest = body(request)?;
    state.store.check_access(&key, pac_uuid)?;
    let save = Save {
        user_id: user,
        email,
        author: Author::Key { owner: &owner, behalf },
        body: &input,
    };
    Ok((201, json(state.store.save(pac_uuid, save)?)))
}

fn delete_user_preferences(state: &mut State, request: &Request) -> Answer {
    let (_, key) = api_key(state, request)?;
    let pac_uuid = required_query_uuid(request, "pacUuid")?;
    let user = user_header(request)?;
    state.store.check_access(&key, pac_uuid)?;
    Ok((200, Some(json!({"deleted": state.store.delete_user(pac_uuid, user)}))))
}

fn delete_preference(state: &mut State, request: &Request, uuid: &str) -> Answer {
    let (_, key) = api_key(state, request)?;
    let uuid = uuid_param(uuid, "preferenceUuid")?;
    state.store.delete_one(&key, uuid)?;
    Ok((200, None))
}
