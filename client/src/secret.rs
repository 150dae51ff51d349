//! Types of the API whose values are secrets. The generated types derive a
//! plain `Debug`; these replace them (see `SECRET_BODIES` in the xtask) so
//! that printing an answer never prints a token.

use std::fmt;

use secrecy::SecretString;
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
