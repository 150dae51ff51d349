//! `.call()` on every operation's builder: the body on success, one typed
//! [`Error`] otherwise. The generated code implements [`Call`] for each
//! builder; the hooks report what they saw to the call through a task-local
//! slot, so an error keeps its status even where progenitor's does not.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use secrecy::SecretString;

use crate::error::{ApiError, Error};
use crate::{ResponseValue, generated};

/// Options for one call.
///
/// ```no_run
/// # use usercentrics_pmp::{Client, call::{Call, CallOptions}, types};
/// # async fn run(client: Client, body: types::SavePreferencesRequest) -> Result<(), usercentrics_pmp::error::Error> {
/// // This upsert is safe to repeat, so let it be retried like a GET.
/// client
///     .save_preferences()
///     .pac_uuid(uuid::Uuid::nil())
///     .x_user_id("user@company.com")
///     .body(body)
///     .call_with(CallOptions::new().retry_post(true))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    pub(crate) retry_post: bool,
}

impl CallOptions {
    /// The client's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Retry this POST as the retry policy retries GET and DELETE. POSTs are
    /// not retried by default: a request that timed out may still have been
    /// applied.
    pub fn retry_post(mut self, retry: bool) -> Self {
        self.retry_post = retry;
        self
    }
}

/// What the hooks saw during one call.
#[derive(Default)]
pub(crate) struct CallState {
    pub(crate) options: CallOptions,
    /// A typed error from a hook (a missing credential, a failed authentication).
    pub(crate) hook_error: Option<Error>,
    /// The status of the last response.
    pub(crate) status: Option<StatusCode>,
    /// Its `Retry-After`, if any.
    pub(crate) retry_after: Option<Duration>,
    /// The API key in play, to scrub from body excerpts.
    pub(crate) api_key: Option<Arc<SecretString>>,
    /// The token in play, likewise.
    pub(crate) token: Option<Arc<SecretString>>,
}

tokio::task_local! {
    static CALL: RefCell<CallState>;
}

/// Runs `f` on the current call's state; does nothing outside `.call()`.
pub(crate) fn with_state<R>(f: impl FnOnce(&mut CallState) -> R) -> Option<R> {
    CALL.try_with(|state| f(&mut state.borrow_mut())).ok()
}

/// An operation's builder, ready to send. Implemented by the generated code
/// for every operation.
pub trait Call: Sized + Send {
    /// The decoded success body.
    type Output: Send;
    /// The decoded error body.
    type ErrorBody: Into<ApiError> + Send;
    /// The operation's name, as the client method is named.
    const OPERATION: &'static str;

    /// progenitor's `send()`: the raw result.
    fn send_raw(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Self::Output>, generated::Error<Self::ErrorBody>>> + Send;

    /// Sends the request: the body on success, a typed [`Error`] otherwise.
    fn call(self) -> impl Future<Output = Result<Self::Output, Error>> + Send {
        self.call_with(CallOptions::default())
    }

    /// [`call`](Call::call) with options for this call only.
    fn call_with(self, options: CallOptions) -> impl Future<Output = Result<Self::Output, Error>> + Send {
        let state = RefCell::new(CallState {
            options,
            ..CallState::default()
        });
        CALL.scope(state, async move {
            match self.send_raw().await {
                Ok(value) => Ok(value.into_inner()),
                Err(error) => {
                    let state = CALL.with(|state| std::mem::take(&mut *state.borrow_mut()));
                    Err(Error::from_generated(Self::OPERATION, error, state).await)
                }
            }
        })
    }
}
