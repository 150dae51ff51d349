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
        if let Some((name, value)) =
            credential_header(self.inner(), info.operation_id).map_err(Error::InvalidRequest)?
        {
            headers.insert(name, value);
        }
        Ok(())
    }
}

/// The header carrying the credential `operation` needs, if it needs one.
fn credential_header(context: &Context, operation: &str) -> Result<Option<(HeaderName, HeaderValue)>, String> {
    let missing = |what: &str| format!("`{operation}` needs {what}, and none is configured");
    match security::credential(operation) {
        Some(Credential::ApiKeyHeader(header)) => {
            let key = context
                .api_key
                .as_ref()
                .ok_or_else(|| missing("an API key (X-API-KEY)"))?;
            // The table keeps the document's spelling (`X-API-KEY`); `from_bytes` lower-cases it.
            let name = HeaderName::from_bytes(header.as_bytes())
                .map_err(|_| format!("`{header}` from the document is not a valid header name"))?;
            Ok(Some((name, secret_header(key.expose_secret(), "API key")?)))
        }
        Some(Credential::Bearer) => {
            let token = context
                .token
                .as_ref()
                .ok_or_else(|| missing("a bearer token (from /authenticate)"))?;
            Ok(Some((
                AUTHORIZATION,
                secret_header(&format!("Bearer {}", token.expose_secret()), "token")?,
            )))
        }
        Some(Credential::None) => Ok(None),
        None => Err(format!(
            "operation `{operation}` is not in the security table; regenerate the client"
        )),
    }
}

/// A header value that is never printed: marked sensitive, and an invalid
/// value is reported without its content.
fn secret_header(value: &str, what: &str) -> Result<HeaderValue, String> {
    let mut header = HeaderValue::from_str(value)
        .map_err(|_| format!("the {what} contains characters not allowed in an HTTP header"))?;
    header.set_sensitive(true);
    Ok(header)
}
