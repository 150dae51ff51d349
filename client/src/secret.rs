//! Secrets and the types that carry them. The generated types derive a
//! plain `Debug`; [`AuthenticateResponse`] replaces one of them (see
//! `SECRET_BODIES` in the xtask) so that printing an answer never prints a
//! token. The credentials the client sends are kept with their header value.

use std::fmt;
use std::sync::Arc;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The answer of `POST /authenticate`.
///
/// ```
/// use secrecy::ExposeSecret;
/// use usercentrics_pmp::secret::AuthenticateResponse;
///
/// let answer: AuthenticateResponse = serde_json::from_str(r#"{"token": "eyJhbG...erJY"}"#).unwrap();
/// assert_eq!(answer.token.expose_secret(), "eyJhbG...erJY");
/// assert_eq!(format!("{answer:?}"), "AuthenticateResponse { token: [REDACTED] }");
/// ```
#[derive(Clone, Deserialize)]
pub struct AuthenticateResponse {
    /// A JWT for one user of one configuration, valid for 8 hours; send it as
    /// `Authorization: Bearer <token>` (or use [`Client::user`](crate::Client::user)).
    pub token: SecretString,
}

impl fmt::Debug for AuthenticateResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthenticateResponse { token: [REDACTED] }")
    }
}

/// A credential with the header value that carries it, built once: the
/// value is marked sensitive, so it is never printed, and a clone shares its
/// bytes, so attaching it to a request allocates nothing.
#[derive(Clone)]
pub(crate) struct SecretHeader {
    pub(crate) secret: Arc<SecretString>,
    /// `None` when the secret holds characters no header value may carry.
    pub(crate) header: Option<HeaderValue>,
}

impl SecretHeader {
    /// An API key, sent as it is.
    pub(crate) fn api_key(key: SecretString) -> Self {
        let header = sensitive(key.expose_secret());
        Self {
            secret: Arc::new(key),
            header,
        }
    }

    /// A bearer token, sent as `Bearer <token>`.
    pub(crate) fn bearer(token: SecretString) -> Self {
        let header = sensitive(&format!("Bearer {}", token.expose_secret()));
        Self {
            secret: Arc::new(token),
            header,
        }
    }
}

fn sensitive(value: &str) -> Option<HeaderValue> {
    let mut header = HeaderValue::from_str(value).ok()?;
    header.set_sensitive(true);
    Some(header)
}

impl fmt::Debug for SecretHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_sensitive_and_never_printed() {
        let key = SecretHeader::api_key(SecretString::from("the-key"));
        assert!(key.header.as_ref().is_some_and(HeaderValue::is_sensitive));
        let token = SecretHeader::bearer(SecretString::from("the-token"));
        assert_eq!(token.header.as_ref().unwrap().as_bytes(), b"Bearer the-token");
        assert!(
            format!("{:?} {:?} {:?}", key, token, token.header)
                .matches("the-")
                .count()
                == 0
        );
    }

    #[test]
    fn a_secret_no_header_may_carry_has_no_header() {
        assert!(SecretHeader::api_key(SecretString::from("a\nb")).header.is_none());
        assert!(SecretHeader::bearer(SecretString::from("a\rb")).header.is_none());
    }
}
