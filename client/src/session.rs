//! A user's session: the bearer token for the user operations, fetched from
//! `/authenticate` on first use, cached until shortly before it expires, and
//! fetched once however many calls wait for it.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::call::Call;
use crate::error::Error;
use crate::hooks::Bearer;
use crate::secret::SecretHeader;
use crate::{Client, types};

/// How long a token lives when its payload says nothing: the documented 8 hours.
const DOCUMENTED_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// A token, its header value, and when to stop using it.
#[derive(Clone)]
struct CachedToken {
    token: SecretHeader,
    expires_at: SystemTime,
}

type Flight = Shared<BoxFuture<'static, Result<CachedToken, Error>>>;

#[derive(Default)]
struct State {
    token: Option<CachedToken>,
    /// The `/authenticate` call in progress, shared by everyone waiting.
    flight: Option<Flight>,
}

/// Who the token is for.
#[derive(Clone)]
struct Identity {
    pac_uuid: Uuid,
    user_id: String,
    public_name: Option<String>,
    email: Option<String>,
}

pub(crate) struct Session {
    identity: Identity,
    /// The API-key client that calls `/authenticate`.
    api: Client,
    margin: Duration,
    state: Mutex<State>,
}

impl Session {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The lock guards plain data and no code panics while holding it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current token, authenticating when there is none or it is about to expire.
    pub(crate) async fn token(&self) -> Result<SecretHeader, Error> {
        let flight = {
            let mut state = self.state();
            if let Some(token) = &state.token
                && SystemTime::now() + self.margin < token.expires_at
            {
                return Ok(token.token.clone());
            }
            match &state.flight {
                Some(flight) => flight.clone(),
                None => {
                    let flight = self.authenticate().shared();
                    state.flight = Some(flight.clone());
                    flight
                }
            }
        };
        let result = flight.clone().await;
        let mut state = self.state();
        // The first waiter back stores the outcome; a failure is not cached.
        if state.flight.as_ref().is_some_and(|current| current.ptr_eq(&flight)) {
            state.flight = None;
            if let Ok(token) = &result {
                state.token = Some(token.clone());
            }
        }
        result.map(|cached| cached.token)
    }

    /// Forgets `used` after the server refused it, unless it was replaced already.
    pub(crate) fn invalidate(&self, used: &SecretString) {
        let mut state = self.state();
        if state
            .token
            .as_ref()
            .is_some_and(|t| t.token.secret.expose_secret() == used.expose_secret())
        {
            state.token = None;
        }
    }

    pub(crate) fn user_id(&self) -> &str {
        &self.identity.user_id
    }

    fn authenticate(&self) -> BoxFuture<'static, Result<CachedToken, Error>> {
        let api = self.api.clone();
        let identity = self.identity.clone();
        // Boxed: this runs inside the hooks of the user's call, and the
        // authenticate call runs the same hooks.
        async move {
            let body = types::AuthenticateRequest {
                pac_uuid: identity.pac_uuid,
                user_id: identity.user_id,
                user_public_name: identity.public_name,
                user_email: identity.email,
            };
            let token = api.authenticate().body(body).call().await?.token;
            let expires_at = expiry(token.expose_secret()).unwrap_or_else(|| SystemTime::now() + DOCUMENTED_LIFETIME);
            Ok(CachedToken {
                token: SecretHeader::bearer(token),
                expires_at,
            })
        }
        .boxed()
    }
}

/// `exp` from a JWT's payload, read without verifying the signature: the
/// client holds no key, and the server verifies anyway. `None` when the
/// token is no JWT or has no usable `exp`.
pub(crate) fn expiry(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_f64()?;
    // Seconds since the epoch; anything past the year 5000 is not a date.
    (exp.is_finite() && (0.0..1e11).contains(&exp)).then(|| UNIX_EPOCH + Duration::from_secs_f64(exp))
}

/// A client for one user's own operations (`get_my_preferences`,
/// `save_my_preferences`, `get_widget`), from [`Client::user`] or
/// [`Client::with_token`]. It dereferences to [`Client`], so every operation
/// is called on it directly; the token is attached, renewed a margin before
/// it expires, and renewed once more if the server refuses it.
///
/// ```no_run
/// use usercentrics_pmp::{Client, call::Call};
///
/// # async fn run() -> Result<(), usercentrics_pmp::error::Error> {
/// let client = Client::from_env()?;
/// let user = client.user("f0e1bc09-8b14-47a3-9aa2-ef40075f8c9a".parse().unwrap(), "user@company.com");
/// let mine = user.get_my_preferences().call().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct UserSession {
    client: Client,
    bearer: Bearer,
}

impl UserSession {
    pub(crate) fn new(api: &Client, pac_uuid: Uuid, user_id: String) -> Self {
        let identity = Identity {
            pac_uuid,
            user_id,
            public_name: None,
            email: None,
        };
        Self::from_identity(api, identity)
    }

    fn from_identity(api: &Client, identity: Identity) -> Self {
        let margin = api.inner.renewal_margin;
        let session = Session {
            identity,
            api: api.clone(),
            margin,
            state: Mutex::default(),
        };
        Self::with_bearer(api, Bearer::Session(Arc::new(session)))
    }

    pub(crate) fn from_token(api: &Client, token: SecretString) -> Self {
        Self::with_bearer(api, Bearer::Fixed(SecretHeader::bearer(token)))
    }

    fn with_bearer(api: &Client, bearer: Bearer) -> Self {
        let mut client = api.clone();
        client.inner.bearer = Some(bearer.clone());
        Self { client, bearer }
    }

    /// A human-readable name for the Preference app (`userPublicName`). Set
    /// it before the first call: it starts a new session. Ignored on a
    /// session from a given token.
    pub fn public_name(self, name: impl Into<String>) -> Self {
        self.with_identity(|identity| identity.public_name = Some(name.into()))
    }

    /// The address for transactional (double opt-in) emails when the user id
    /// is no email address (`userEmail`). Set it before the first call: it
    /// starts a new session. Ignored on a session from a given token.
    pub fn email(self, email: impl Into<String>) -> Self {
        self.with_identity(|identity| identity.email = Some(email.into()))
    }

    fn with_identity(self, change: impl FnOnce(&mut Identity)) -> Self {
        let Bearer::Session(session) = &self.bearer else {
            return self;
        };
        let mut identity = session.identity.clone();
        change(&mut identity);
        Self::from_identity(&session.api, identity)
    }

    /// The user's token, authenticating if there is none yet: for handing to
    /// a front end that calls the user operations itself.
    pub async fn token(&self) -> Result<SecretString, Error> {
        let token = match &self.bearer {
            Bearer::Session(session) => session.token().await?,
            Bearer::Fixed(token) => token.clone(),
        };
        Ok(SecretString::from(token.secret.expose_secret()))
    }

    /// The client behind the session.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Deref for UserSession {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl fmt::Debug for UserSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserSession")
            .field("bearer", &self.bearer)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.signature",
            encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            encode(payload)
        )
    }

    #[test]
    fn reads_exp_without_verifying() {
        assert_eq!(
            expiry(&jwt(r#"{"exp":1700000000}"#)),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        assert_eq!(
            expiry(&jwt(r#"{"exp":1700000000.5}"#)),
            Some(UNIX_EPOCH + Duration::from_secs_f64(1_700_000_000.5))
        );
    }

    #[test]
    fn anything_else_has_no_expiry() {
        for token in [
            "eyJhbG...erJY".to_string(),
            "not-a-jwt".into(),
            jwt(r#"{"sub":"u"}"#),
            jwt(r#"{"exp":"tomorrow"}"#),
            jwt(r#"{"exp":-5}"#),
            jwt(r#"{"exp":1e300}"#),
            "a.%%%.c".into(),
        ] {
            assert_eq!(expiry(&token), None, "{token}");
        }
    }
}
