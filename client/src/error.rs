//! The one error type of the client. Every error that came from an HTTP
//! response keeps its status and, where the body decoded, the API's error
//! body; `Display` says in one line what happened and what to do.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use secrecy::ExposeSecret;

use crate::call::CallState;
use crate::{generated, retry, types};

/// How much of an unexpected body an error keeps.
const EXCERPT_CHARS: usize = 300;
/// How much of it is read at most, whatever its size.
const EXCERPT_BYTES: usize = 4096;

/// The API's error body (NestJS' default), with `message` always a list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiError {
    /// `statusCode` as the body states it.
    pub status_code: Option<i64>,
    /// The messages: one, or the validation messages of a 400.
    pub message: Vec<String>,
    /// The status text, e.g. `Bad Request`.
    pub error: Option<String>,
}

impl From<types::ErrorResponse> for ApiError {
    fn from(body: types::ErrorResponse) -> Self {
        let message = match body.message {
            types::ErrorResponseMessage::String(one) => vec![one],
            types::ErrorResponseMessage::Array(many) => many,
        };
        Self {
            status_code: Some(body.status_code),
            message,
            error: body.error,
        }
    }
}

/// An operation without a documented error body.
impl From<()> for ApiError {
    fn from((): ()) -> Self {
        Self::default()
    }
}

/// An answer from the server that was not a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The operation, as the client method is named.
    pub operation: &'static str,
    /// The HTTP status.
    pub status: StatusCode,
    /// The decoded error body, where the body was one.
    pub body: Option<ApiError>,
    /// The first part of the body as text, secrets scrubbed.
    pub excerpt: String,
}

impl Failure {
    /// The server's messages joined, or the excerpt when it sent none.
    fn said(&self) -> String {
        match &self.body {
            Some(body) if !body.message.is_empty() => body.message.join("; "),
            _ if self.excerpt.is_empty() => "no body".into(),
            _ => format!("body: {}", self.excerpt),
        }
    }
}

/// Which credential an operation lacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// The API key (`X-API-KEY`).
    ApiKey,
    /// A user's bearer token.
    BearerToken,
}

/// Everything that can go wrong in a call.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// 400: the server rejected the request; `body.message` lists why.
    BadRequest(Box<Failure>),
    /// 401: the credential is missing, wrong or expired.
    Unauthorized(Box<Failure>),
    /// 403: the credential may not access this configuration.
    Forbidden(Box<Failure>),
    /// 404: the widget, configuration or preference object does not exist.
    NotFound(Box<Failure>),
    /// 429: too many requests; wait `retry_after` if the server said.
    RateLimited {
        /// The answer.
        failure: Box<Failure>,
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// 5xx: the server failed.
    Server(Box<Failure>),
    /// A status the document does not list for the operation and that fits
    /// none of the above.
    UndocumentedStatus(Box<Failure>),
    /// A success status whose body does not match the document.
    UndecodableBody {
        /// The answer.
        failure: Box<Failure>,
        /// Why it did not decode.
        reason: String,
    },
    /// No answer within the timeout.
    Timeout {
        /// The operation.
        operation: &'static str,
    },
    /// The request did not reach the server, or the answer did not arrive whole.
    Transport {
        /// The operation.
        operation: &'static str,
        /// What went wrong.
        source: Arc<reqwest::Error>,
    },
    /// The operation needs a credential the client was not given.
    MissingCredential {
        /// The operation.
        operation: &'static str,
        /// What it needs.
        credential: Credential,
    },
    /// An argument cannot be sent (not a valid header value, a required
    /// parameter left out, …).
    InvalidArgument {
        /// The operation, where there is one.
        operation: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The client cannot be built as configured.
    Config(String),
}

impl Error {
    /// The HTTP status, for every error that came from a response.
    pub fn status(&self) -> Option<StatusCode> {
        self.failure().map(|f| f.status)
    }

    /// The answer, for every error that came from a response.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Self::BadRequest(f)
            | Self::Unauthorized(f)
            | Self::Forbidden(f)
            | Self::NotFound(f)
            | Self::Server(f)
            | Self::UndocumentedStatus(f)
            | Self::RateLimited { failure: f, .. }
            | Self::UndecodableBody { failure: f, .. } => Some(f),
            _ => None,
        }
    }

    /// The decoded error body, where there is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        self.failure().and_then(|f| f.body.as_ref())
    }

    /// The error for an answer with a non-success status.
    pub(crate) fn from_status(failure: Failure, retry_after: Option<Duration>) -> Self {
        let failure = Box::new(failure);
        match failure.status.as_u16() {
            400 => Self::BadRequest(failure),
            401 => Self::Unauthorized(failure),
            403 => Self::Forbidden(failure),
            404 => Self::NotFound(failure),
            429 => Self::RateLimited { failure, retry_after },
            500..=599 => Self::Server(failure),
            _ => Self::UndocumentedStatus(failure),
        }
    }

    /// The typed error for what progenitor returned, with what the hooks saw.
    pub(crate) async fn from_generated<E: Into<ApiError>>(
        operation: &'static str,
        error: generated::Error<E>,
        state: CallState,
    ) -> Self {
        if let Some(error) = state.hook_error {
            return error;
        }
        // Error answers arrive scrubbed by the hooks; a success body that did
        // not decode did not, so its excerpt is scrubbed here.
        let secrets: Vec<&str> = state
            .api_key
            .iter()
            .chain(&state.token)
            .map(|s| s.expose_secret())
            .collect();
        let failure = |status, body: Option<ApiError>, bytes: &[u8]| {
            let excerpt = scrub(excerpt(bytes), &secrets);
            Failure {
                operation,
                status,
                body,
                excerpt,
            }
        };
        match error {
            generated::Error::InvalidRequest(message) | generated::Error::Custom(message) => {
                Self::InvalidArgument { operation, message }
            }
            generated::Error::CommunicationError(source)
            | generated::Error::InvalidUpgrade(source)
            | generated::Error::ResponseBodyError(source) => Self::from_reqwest(operation, source),
            generated::Error::ErrorResponse(value) => {
                let status = value.status();
                let retry_after = retry::retry_after(value.headers());
                Self::from_status(failure(status, Some(value.into_inner().into()), &[]), retry_after)
            }
            generated::Error::InvalidResponsePayload(bytes, reason) => {
                // progenitor drops the status here; the hooks kept it.
                let status = state.status.unwrap_or(StatusCode::OK);
                let failure = failure(status, None, &bytes);
                if status.is_success() {
                    Self::UndecodableBody {
                        failure: Box::new(failure),
                        reason: reason.to_string(),
                    }
                } else {
                    Self::from_status(failure, state.retry_after)
                }
            }
            generated::Error::UnexpectedResponse(response) => {
                let status = response.status();
                let retry_after = retry::retry_after(response.headers());
                let bytes = read_start(response).await;
                let body = serde_json::from_slice::<types::ErrorResponse>(&bytes)
                    .ok()
                    .map(ApiError::from);
                let failure = failure(status, body, &bytes);
                if status.is_success() {
                    // A success the document does not list (e.g. 204 where it
                    // promised a body) is an answer we cannot read.
                    Self::UndecodableBody {
                        failure: Box::new(failure),
                        reason: format!("status {status} is not documented"),
                    }
                } else {
                    Self::from_status(failure, retry_after)
                }
            }
        }
    }

    pub(crate) fn from_reqwest(operation: &'static str, source: reqwest::Error) -> Self {
        if source.is_timeout() {
            Self::Timeout { operation }
        } else {
            Self::Transport {
                operation,
                source: Arc::new(source),
            }
        }
    }
}

/// Reads at most `EXCERPT_BYTES` of a body: enough to say what it was.
async fn read_start(mut response: reqwest::Response) -> Vec<u8> {
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes
}

fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_BYTES)]);
    let mut excerpt: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == ' ')
        .take(EXCERPT_CHARS)
        .collect();
    if text.chars().count() > EXCERPT_CHARS {
        excerpt.push('…');
    }
    excerpt
}

/// A server may echo what it was sent; no secret leaves through an error.
/// Every secret in `text` replaced by `[REDACTED]`.
pub(crate) fn scrub(mut text: String, secrets: &[&str]) -> String {
    for secret in secrets {
        if !secret.is_empty() && text.contains(secret) {
            text = text.replace(secret, "[REDACTED]");
        }
    }
    text
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadRequest(x) => write!(
                f,
                "{} was rejected as invalid (HTTP {}): {}; fix the arguments",
                x.operation,
                x.status.as_u16(),
                x.said()
            ),
            Self::Unauthorized(x) => write!(
                f,
                "{} was not authorized (HTTP {}): {}; check the API key, or the user's token and its expiry",
                x.operation,
                x.status.as_u16(),
                x.said()
            ),
            Self::Forbidden(x) => write!(
                f,
                "{} was forbidden (HTTP {}): {}; the API key's owner needs access to this configuration in the Admin UI",
                x.operation,
                x.status.as_u16(),
                x.said()
            ),
            Self::NotFound(x) => write!(
                f,
                "{} found nothing (HTTP {}): {}; check the widget, configuration or preference id",
                x.operation,
                x.status.as_u16(),
                x.said()
            ),
            Self::RateLimited {
                failure: x,
                retry_after,
            } => {
                write!(
                    f,
                    "{} was rate limited (HTTP {}): {}; ",
                    x.operation,
                    x.status.as_u16(),
                    x.said()
                )?;
                match retry_after {
                    Some(wait) => write!(f, "retry after {}s", wait.as_secs_f64().ceil()),
                    None => write!(f, "slow down and retry later"),
                }
            }
            Self::Server(x) => write!(
                f,
                "{} failed on the server (HTTP {}): {}; retry later",
                x.operation,
                x.status.as_u16(),
                x.said()
            ),
            Self::UndocumentedStatus(x) => write!(
                f,
                "{} got HTTP {}, which the API document does not list: {}",
                x.operation,
                x.status.as_u16(),
                x.said()
            ),
            Self::UndecodableBody { failure: x, reason } => write!(
                f,
                "{} got HTTP {} with a body that does not match the API document ({reason}): {}; the API may have changed, see `cargo xtask regen`",
                x.operation,
                x.status.as_u16(),
                x.said()
            ),
            Self::Timeout { operation } => write!(
                f,
                "{operation} timed out; the server is slow or unreachable: retry, or raise the timeout"
            ),
            Self::Transport { operation, source } => {
                write!(
                    f,
                    "{operation} could not talk to the server: {}",
                    innermost(source.as_ref())
                )?;
                write!(f, "; check the base URL and the network")
            }
            Self::MissingCredential {
                operation,
                credential: Credential::ApiKey,
            } => write!(
                f,
                "{operation} needs an API key (X-API-KEY) and the client has none: set one with ClientBuilder::api_key or PMP_API_KEY"
            ),
            Self::MissingCredential {
                operation,
                credential: Credential::BearerToken,
            } => write!(
                f,
                "{operation} needs a user's bearer token and the client has none: call it on a session from client.user(..) or client.with_token(..)"
            ),
            Self::InvalidArgument { operation, message } => write!(f, "invalid argument for {operation}: {message}"),
            Self::Config(message) => write!(f, "cannot build the client: {message}"),
        }
    }
}

/// reqwest's outermost message is generic ("error sending request"); the
/// innermost cause says what happened ("Connection refused").
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_single_line_and_scrubbed() {
        let long = "x".repeat(1000);
        assert_eq!(excerpt(long.as_bytes()).chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(
            excerpt(b"<html>\n<body>down</body>\n</html>"),
            "<html><body>down</body></html>"
        );
        assert_eq!(scrub("echo: s3cret!".into(), &["s3cret", ""]), "echo: [REDACTED]!");
    }

    #[test]
    fn a_string_message_becomes_a_list() {
        let body = types::ErrorResponse {
            status_code: 401,
            message: types::ErrorResponseMessage::String("Unauthorized".into()),
            error: None,
        };
        assert_eq!(ApiError::from(body).message, ["Unauthorized"]);
    }
}
