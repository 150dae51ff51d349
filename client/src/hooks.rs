//! The hooks progenitor calls around every request. `pre` attaches the
//! credential the document's `security` names for the operation (fetching a
//! session's token first) and drops the `api-version` header progenitor
//! adds, which this API does not know. `exec` sends the request: retries,
//! the one renewal of a refused token, and the tracing span.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::call::with_state;
use crate::error::{Credential as Needed, Error as PmpError};
use crate::generated::Error;
use crate::operations::{self, Credential};
use crate::retry::{self, RetryPolicy};
use crate::session::Session;
use crate::{Client, ClientInfo};

/// What the generated [`Client`] carries besides its base URL and HTTP
/// client: credentials and policies, set through
/// [`ClientBuilder`](crate::ClientBuilder). `Debug` shows no secret.
#[derive(Clone)]
pub struct Context {
    pub(crate) api_key: Option<Arc<SecretString>>,
    pub(crate) bearer: Option<Bearer>,
    pub(crate) retry: RetryPolicy,
    pub(crate) renewal_margin: Duration,
    pub(crate) trace_user_ids: bool,
}

/// Where a bearer token comes from.
#[derive(Clone)]
pub(crate) enum Bearer {
    /// Given by the caller; never renewed.
    Fixed(Arc<SecretString>),
    /// Fetched from `/authenticate` and renewed.
    Session(Arc<Session>),
}

impl Default for Context {
    fn default() -> Self {
        Self {
            api_key: None,
            bearer: None,
            retry: RetryPolicy::default(),
            renewal_margin: Duration::from_secs(60),
            trace_user_ids: false,
        }
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .field("bearer", &self.bearer)
            .field("retry", &self.retry)
            .field("renewal_margin", &self.renewal_margin)
            .field("trace_user_ids", &self.trace_user_ids)
            .finish()
    }
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(_) => f.write_str("Fixed([REDACTED])"),
            Self::Session(_) => f.write_str("Session([REDACTED])"),
        }
    }
}

impl ClientHooks<Context> for Client {
    async fn pre<E>(&self, request: &mut reqwest::Request, info: &OperationInfo) -> Result<(), Error<E>> {
        request.headers_mut().remove("api-version");
        match credential_header(self.inner(), info.operation_id).await {
            Ok(Some((name, value))) => {
                request.headers_mut().insert(name, value);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(error) => {
                // `.call()` returns the typed error; `send()` gets its text.
                let text = error.to_string();
                with_state(|state| state.hook_error = Some(error));
                Err(Error::Custom(text))
            }
        }
    }

    async fn exec(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        let operation = operations::find(info.operation_id);
        let span = tracing::info_span!(
            "pmp.request",
            operation = info.operation_id,
            method = %request.method(),
            path = operation.map_or("?", |o| o.path),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
            user_id = tracing::field::Empty,
        );
        if self.inner().trace_user_ids
            && let Some(user) = user_id(self.inner(), &request)
        {
            span.record("user_id", user);
        }
        self.send_with_retries(request, operation).instrument(span).await
    }
}

impl Client {
    async fn send_with_retries(
        &self,
        mut request: reqwest::Request,
        operation: Option<&operations::Operation>,
    ) -> reqwest::Result<reqwest::Response> {
        let context = self.inner();
        let post_opt_in = with_state(|state| state.options.retry_post).unwrap_or(false);
        let may_retry = context.retry.may_retry(request.method(), post_opt_in);
        let session = match (&context.bearer, operation.map(|o| o.credential)) {
            (Some(Bearer::Session(session)), Some(Credential::Bearer)) => Some(session),
            _ => None,
        };
        let started = Instant::now();
        let mut bearer = bearer_of(&request);
        let mut attempt = 1;
        let mut renewed = false;
        loop {
            // A copy to send again; JSON bodies are bytes, so this always succeeds.
            let mut again = if may_retry || (session.is_some() && !renewed) {
                request.try_clone()
            } else {
                None
            };
            let sent_at = Instant::now();
            let outcome = self.client().execute(request).await;
            tracing::debug!(
                attempt,
                status = outcome.as_ref().ok().map(|r| r.status().as_u16()),
                error = outcome.as_ref().err().map(|e| e.to_string()),
                latency_ms = sent_at.elapsed().as_millis() as u64,
                "attempt"
            );

            let refused = matches!(&outcome, Ok(r) if r.status() == reqwest::StatusCode::UNAUTHORIZED);
            if let (true, false, Some(session)) = (refused, renewed, session)
                && let Some(mut retry) = again.take()
            {
                // The token was refused (revoked, or expired early): renew it once.
                renewed = true;
                if let Some(used) = bearer_of(&retry) {
                    session.invalidate(&used);
                }
                match session
                    .token()
                    .await
                    .map(|t| secret_header(&format!("Bearer {}", t.expose_secret()), "token"))
                {
                    Ok(Ok(value)) => {
                        retry.headers_mut().insert(AUTHORIZATION, value);
                        tracing::debug!("token refused; renewed, sending again");
                        bearer = bearer_of(&retry);
                        request = retry;
                        continue;
                    }
                    Ok(Err(error)) => tracing::debug!(%error, "token refused; the renewed one is unusable"),
                    Err(error) => tracing::debug!(%error, "token refused; renewal failed"),
                }
            }

            let delay = if may_retry {
                context.retry.next_delay(attempt, started.elapsed(), &outcome)
            } else {
                None
            };
            match (delay, again) {
                (Some(delay), Some(again)) => {
                    tracing::info!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                    request = again;
                }
                _ => {
                    let span = tracing::Span::current();
                    span.record("attempts", attempt);
                    span.record("latency_ms", started.elapsed().as_millis() as u64);
                    let response = outcome?;
                    let status = response.status();
                    span.record("status", status.as_u16());
                    let retry_after = retry::retry_after(response.headers());
                    with_state(|state| {
                        state.status = Some(status);
                        state.retry_after = retry_after;
                    });
                    if status.is_success() {
                        return Ok(response);
                    }
                    return scrubbed(response, context.api_key.as_deref(), bearer.as_ref()).await;
                }
            }
        }
    }
}

/// An error answer with every secret of the request scrubbed from its body:
/// a server or proxy that echoes what it was sent must not carry the API key
/// or token into an error, whether `.call()` or `send()` reads it. Only
/// error answers pay for this.
async fn scrubbed(
    response: reqwest::Response,
    api_key: Option<&SecretString>,
    token: Option<&SecretString>,
) -> reqwest::Result<reqwest::Response> {
    let (status, version, headers) = (response.status(), response.version(), response.headers().clone());
    let mut body = response.bytes().await?;
    let secrets: Vec<&str> = api_key.into_iter().chain(token).map(|s| s.expose_secret()).collect();
    if !secrets.is_empty() {
        let text = crate::error::scrub(String::from_utf8_lossy(&body).into_owned(), &secrets);
        if text.as_bytes() != body.as_ref() {
            body = bytes::Bytes::from(text);
        }
    }
    let mut rebuilt = http::Response::new(body.clone());
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    rebuilt
        .headers_mut()
        .insert(reqwest::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    Ok(reqwest::Response::from(rebuilt))
}

/// The user id of a request, for tracing when the caller asked for it.
fn user_id<'a>(context: &'a Context, request: &'a reqwest::Request) -> Option<&'a str> {
    match &context.bearer {
        Some(Bearer::Session(session)) => Some(session.user_id()),
        _ => request.headers().get("x-user-id").and_then(|v| v.to_str().ok()),
    }
}

fn bearer_of(request: &reqwest::Request) -> Option<SecretString> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .map(|token| SecretString::from(token.to_string()))
}

/// The header carrying the credential `operation` needs, if it needs one.
async fn credential_header(context: &Context, operation: &str) -> Result<Option<(HeaderName, HeaderValue)>, PmpError> {
    let Some(described) = operations::find(operation) else {
        return Err(PmpError::InvalidArgument {
            operation: "?",
            message: format!("operation `{operation}` is not in the operation table; regenerate the client"),
        });
    };
    let operation = described.name;
    let secrets: Vec<Arc<SecretString>> = context.api_key.iter().cloned().collect();
    with_state(|state| state.secrets = secrets);
    let invalid = |message: String| PmpError::InvalidArgument { operation, message };
    match described.credential {
        Credential::ApiKeyHeader(header) => {
            let key = context.api_key.as_ref().ok_or(PmpError::MissingCredential {
                operation,
                credential: Needed::ApiKey,
            })?;
            // The table keeps the document's spelling (`X-API-KEY`); `from_bytes` lower-cases it.
            let name = HeaderName::from_bytes(header.as_bytes())
                .map_err(|_| invalid(format!("`{header}` from the document is not a valid header name")))?;
            Ok(Some((
                name,
                secret_header(key.expose_secret(), "API key").map_err(invalid)?,
            )))
        }
        Credential::Bearer => {
            let token = match &context.bearer {
                Some(Bearer::Fixed(token)) => token.clone(),
                Some(Bearer::Session(session)) => session.token().await?,
                None => {
                    return Err(PmpError::MissingCredential {
                        operation,
                        credential: Needed::BearerToken,
                    });
                }
            };
            with_state(|state| state.secrets.push(token.clone()));
            let value = secret_header(&format!("Bearer {}", token.expose_secret()), "token").map_err(invalid)?;
            Ok(Some((AUTHORIZATION, value)))
        }
        Credential::None => Ok(None),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_are_sensitive_and_never_echoed() {
        assert!(secret_header("key", "API key").unwrap().is_sensitive());
        assert_eq!(
            secret_header("a\nb", "API key").unwrap_err(),
            "the API key contains characters not allowed in an HTTP header"
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        let context = Context {
            api_key: Some(Arc::new(SecretString::from("the-key"))),
            bearer: Some(Bearer::Fixed(Arc::new(SecretString::from("the-token")))),
            ..Context::default()
        };
        let debug = format!("{context:?}");
        assert!(!debug.contains("the-key") && !debug.contains("the-token"), "{debug}");
    }
}
