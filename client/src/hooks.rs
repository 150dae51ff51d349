//! The hooks progenitor calls around every request: they attach the
//! credential the document's `security` names for the operation and drop
//! the `api-version` header progenitor adds, which this API does not know.

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::security::{self, Credential};
use crate::{Client, ClientInfo, Error};

/// What the generated [`Client`] carries besides its base URL and HTTP
/// client: the credentials. Both are held as secrets, so `Debug` redacts them.
///
/// ```
/// use usercentrics_pmp::hooks::Context;
///
/// let context = Context::new().with_api_key("7b931a0...a0d1");
/// assert!(!format!("{context:?}").contains("7b931a0"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Context {
    api_key: Option<SecretString>,
    token: Option<SecretString>,
}

impl Context {
    /// No credentials yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API key (`X-API-KEY`) for the server-side operations and `/authenticate`.
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(api_key.into()));
        self
    }

    /// The end-user JWT (from `/authenticate`) for the user operations.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }
}

impl ClientHooks<Context> for Client {
    async fn pre<E>(&self, request: &mut reqwest::Request, info: &OperationInfo) -> Result<(), Error<E>> {
        let headers = request.headers_mut();
        headers.remove("api-version");
        let context = self.inner();
        let (name, value) = match security::credential(info.operation_id) {
            Some(Credential::ApiKeyHeader(header)) => {
                let key = context.api_key.as_ref().ok_or_else(|| missing(info, "an API key (X-API-KEY)"))?;
                (header_name(header)?, secret_header(key.expose_secret(), "API key")?)
            }
            Some(Credential::Bearer) => {
                let token = context.token.as_ref().ok_or_else(|| missing(info, "a bearer token (from /authenticate)"))?;
                (AUTHORIZATION, secret_header(&format!("Bearer {}", token.expose_secret()), "token")?)
            }
            Some(Credential::None) => return Ok(()),
            None => {
                return Err(Error::InvalidRequest(format!(
                    "operation `{}` is not in the security table; regenerate the client",
                    info.operation_id
                )));
            }
        };
        headers.insert(name, value);
        Ok(())
    }
}

fn missing<E>(info: &OperationInfo, what: &str) -> Error<E> {
    Error::InvalidRequest(format!("`{}` needs {what}, and none is configured", info.operation_id))
}

/// The table keeps the document's spelling (`X-API-KEY`); `from_bytes`
/// lower-cases it as HTTP/2 requires.
fn header_name<E>(header: &str) -> Result<HeaderName, Error<E>> {
    HeaderName::from_bytes(header.as_bytes())
        .map_err(|_| Error::InvalidRequest(format!("`{header}` from the document is not a valid header name")))
}

/// A header value that is never printed: marked sensitive, and an invalid
/// value is reported without its content.
fn secret_header<E>(value: &str, what: &str) -> Result<HeaderValue, Error<E>> {
    let mut header = HeaderValue::from_str(value)
        .map_err(|_| Error::InvalidRequest(format!("the {what} contains characters not allowed in an HTTP header")))?;
    header.set_sensitive(true);
    Ok(header)
}
