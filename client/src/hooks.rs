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
use tracing::{Instrument, Span};

use crate::call::with_state;
use crate::error::{Credential as Needed, Error as PmpError};
use crate::generated::Error;
use crate::operations::{self, Credential};
use crate::retry::{self, RetryPolicy};
use crate::secret::SecretHeader;
use crate::session::Session;
use crate::{Client, ClientInfo};

/// What the generated [`Client`] carries besides its base URL and HTTP
/// client: credentials and policies, set through
/// [`ClientBuilder`](crate::ClientBuilder). `Debug` shows no secret.
#[derive(Clone)]
pub struct Context {
    pub(crate) api_key: Option<SecretHeader>,
    pub(crate) bearer: Option<Bearer>,
    pub(crate) retry: RetryPolicy,
    pub(crate) renewal_margin: Duration,
    pub(crate) trace_user_ids: bool,
}

/// Where a bearer token comes from.
#[derive(Clone)]
pub(crate) enum Bearer {
    /// Given by the caller; never renewed.
    Fixed(SecretHeader),
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
        // Display, not the default Debug, for the text fields: fmt layers
        // escape a Debug string char by char on every request; structured
        // layers get the same string either way.
        let span = tracing::info_span!(
            "pmp.request",
            operation = %info.operation_id,
            method = %request.method().as_str(),
            path = %operation.map_or("?", |o| o.path),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            user_id = tracing::field::Empty,
        );
        if self.inner().trace_user_ids
            && let Some(user) = user_id(self.inner(), &request)
        {
            span.record("user_id", user);
        }
        self.send_with_retries(request, operation, span.clone())
            .instrument(span)
            .await
    }
}

impl Client {
    async fn send_with_retries(
        &self,
        mut request: reqwest::Request,
        operation: Option<&operations::Operation>,
        span: Span,
    ) -> reqwest::Result<reqwest::Response> {
        let context = self.inner();
        let post_opt_in = with_state(|state| state.options.retry_post).unwrap_or(false);
        let may_retry = context.retry.may_retry(request.method(), post_opt_in);
        let session = match (&context.bearer, operation.map(|o| o.credential)) {
            (Some(Bearer::Session(session)), Some(Credential::Bearer)) => Some(session),
            _ => None,
        };
        let started = Instant::now();
        // Shares the header's bytes; read as a secret only to scrub or renew.
        let mut bearer = request.headers().get(AUTHORIZATION).cloned();
        let mut attempt = 1;
        let mut renewed = false;
        loop {
            // A copy to send again; JSON bodies are bytes, so this always succeeds.
            let mut again = if may_retry || (session.is_some() && !renewed) {
                request.try_clone()
            } else {
                None
            };
            let sent_at = if attempt == 1 { started } else { Instant::now() };
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
                if let Some(used) = bearer.as_ref().and_then(token_in) {
                    session.invalidate(&used);
                }
                match session.token().await.map(|t| t.header) {
                    Ok(Some(value)) => {
                        retry.headers_mut().insert(AUTHORIZATION, value.clone());
                        tracing::debug!("token refused; renewed, sending again");
                        bearer = Some(value);
                        request = retry;
                        continue;
                    }
                    Ok(None) => tracing::debug!("token refused; the renewed one is unusable"),
                    Err(error) => tracing::debug!(%error, "token refused; renewal failed"),
                }
            }

            let delay = if may_retry {
                context.retry.next_delay(attempt, started, &outcome)
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
                    // No latency field: the span's own duration is the
                    // latency. Attempts only when resent, as OpenTelemetry's
                    // `http.request.resend_count`: each record costs a
                    // subscriber dispatch on every request.
                    if attempt > 1 {
                        span.record("attempts", attempt);
                    }
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
                    let token = bearer.as_ref().and_then(token_in);
                    let api_key = context.api_key.as_ref().map(|key| &*key.secret);
                    return scrubbed(response, api_key, token.as_ref()).await;
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

/// The token in an `Authorization: Bearer` value.
fn token_in(value: &HeaderValue) -> Option<SecretString> {
    let token = value.to_str().ok()?.strip_prefix("Bearer ")?;
    Some(SecretString::from(token))
}

/// The header carrying the credential `operation` needs, if it needs one.
/// The secrets in play go to the call's state, to be scrubbed from errors.
async fn credential_header(context: &Context, operation: &str) -> Result<Option<(HeaderName, HeaderValue)>, PmpError> {
    let Some(described) = operations::find(operation) else {
        return Err(PmpError::InvalidArgument {
            operation: "?",
            message: format!("operation `{operation}` is not in the operation table; regenerate the client"),
        });
    };
    let operation = described.name;
    let api_key = context.api_key.as_ref().map(|key| key.secret.clone());
    with_state(|state| state.api_key = api_key);
    let invalid = |message: String| PmpError::InvalidArgument { operation, message };
    let not_a_header = |what: &str| invalid(format!("the {what} contains characters not allowed in an HTTP header"));
    match described.credential {
        Credential::ApiKeyHeader(header) => {
            let key = context.api_key.as_ref().ok_or(PmpError::MissingCredential {
                operation,
                credential: Needed::ApiKey,
            })?;
            // The table keeps the document's spelling (`X-API-KEY`); `from_bytes` lower-cases it.
            let name = HeaderName::from_bytes(header.as_bytes())
                .map_err(|_| invalid(format!("`{header}` from the document is not a valid header name")))?;
            let value = key.header.clone().ok_or_else(|| not_a_header("API key"))?;
            Ok(Some((name, value)))
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
            with_state(|state| state.token = Some(token.secret.clone()));
            let value = token.header.ok_or_else(|| not_a_header("token"))?;
            Ok(Some((AUTHORIZATION, value)))
        }
        Credential::None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let context = Context {
            api_key: Some(SecretHeader::api_key(SecretString::from("the-key"))),
            bearer: Some(Bearer::Fixed(SecretHeader::bearer(SecretString::from("the-token")))),
            ..Context::default()
        };
        let debug = format!("{context:?}");
        assert!(!debug.contains("the-key") && !debug.contains("the-token"), "{debug}");
    }
}
