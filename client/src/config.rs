//! Building a [`Client`]: credentials, base URL, timeouts, retries.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use uuid::Uuid;

use crate::error::Error;
use crate::hooks::{Bearer, Context};
use crate::retry::RetryPolicy;
use crate::secret::SecretHeader;
use crate::session::UserSession;
use crate::{Client, PRODUCTION_URL};

/// Connect timeout unless set: long enough for a slow TLS handshake.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Timeout of one attempt, from sending to the whole answer, unless set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Renew a session's token this long before it expires, unless set.
pub const DEFAULT_RENEWAL_MARGIN: Duration = Duration::from_secs(60);

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use usercentrics_pmp::{Client, retry::RetryPolicy};
///
/// let client = Client::builder()
///     .api_key("7b931a0...a0d1")
///     .timeout(Duration::from_secs(10))
///     .retry(RetryPolicy::default().max_attempts(5))
///     .build()?;
/// # Ok::<(), usercentrics_pmp::error::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    api_key: Option<SecretString>,
    token: Option<SecretString>,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    http: Option<reqwest::Client>,
    renewal_margin: Duration,
    trace_user_ids: bool,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            token: None,
            base_url: PRODUCTION_URL.to_string(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent: concat!("usercentrics-pmp-rust/", env!("CARGO_PKG_VERSION")).to_string(),
            http: None,
            renewal_margin: DEFAULT_RENEWAL_MARGIN,
            trace_user_ids: false,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("renewal_margin", &self.renewal_margin)
            .field("trace_user_ids", &self.trace_user_ids)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API key (`X-API-KEY`) for `/authenticate` and the server-side operations.
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(api_key.into()));
        self
    }

    /// A user's bearer token, for a client that only makes that user's calls
    /// (the custom-UI case, where the API key stays on another backend).
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// The API's base URL, `/public` included. `https` only, except for
    /// loopback hosts (tests, the local stand-in). Default: [`PRODUCTION_URL`].
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The connect timeout. Default: [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The timeout of one attempt. Default: [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How requests are retried. Default: [`RetryPolicy::default`];
    /// [`RetryPolicy::none`] turns retries off.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` header. Default: `usercentrics-pmp-rust/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Your own `reqwest::Client` (proxies, TLS roots, pools); the timeouts
    /// and user agent set here are then yours to set on it.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Renew a session's token this long before it expires. Default: [`DEFAULT_RENEWAL_MARGIN`].
    pub fn token_renewal_margin(mut self, margin: Duration) -> Self {
        self.renewal_margin = margin;
        self
    }

    /// Put the user id in the tracing span of each request. Off by default:
    /// user ids are personal data.
    pub fn trace_user_ids(mut self, trace: bool) -> Self {
        self.trace_user_ids = trace;
        self
    }

    /// The client, or [`Error::Config`] saying what is wrong.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = checked_base_url(&self.base_url)?;
        let non_empty = |secret: Option<SecretString>, what: &str| match secret {
            Some(s) if secrecy::ExposeSecret::expose_secret(&s).is_empty() => {
                Err(Error::Config(format!("the {what} is empty")))
            }
            other => Ok(other),
        };
        let api_key = non_empty(self.api_key, "API key")?.map(SecretHeader::api_key);
        if api_key.as_ref().is_some_and(|key| key.header.is_none()) {
            return Err(Error::Config(
                "the API key contains characters not allowed in an HTTP header".into(),
            ));
        }
        let token = non_empty(self.token, "bearer token")?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .timeout(self.timeout)
                .user_agent(self.user_agent)
                .build()
                .map_err(|e| Error::Config(format!("the HTTP client cannot be built: {e}")))?,
        };
        let context = Context {
            api_key,
            bearer: token.map(|t| Bearer::Fixed(SecretHeader::bearer(t))),
            retry: self.retry,
            renewal_margin: self.renewal_margin,
            trace_user_ids: self.trace_user_ids,
        };
        Ok(Client::new_with_client(&base_url, http, context))
    }
}

/// The base URL without a trailing slash, if it is one the client may use.
fn checked_base_url(base_url: &str) -> Result<String, Error> {
    let url = reqwest::Url::parse(base_url)
        .map_err(|e| Error::Config(format!("the base URL `{base_url}` is not a URL: {e}")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::Config(format!(
                "the base URL `{base_url}` is plain http; use https (http is allowed for loopback hosts only)"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "the base URL `{base_url}` has scheme `{other}`; use https"
            )));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "the base URL `{base_url}` has a query or fragment"
        )));
    }
    Ok(base_url.trim_end_matches('/').to_string())
}

impl Client {
    /// A [`ClientBuilder`] with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `PMP_API_KEY` (required) and `PMP_BASE_URL` (optional,
    /// default [`PRODUCTION_URL`]).
    pub fn from_env() -> Result<Client, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Client, Error> {
        let api_key = lookup("PMP_API_KEY").unwrap_or_default();
        if api_key.trim().is_empty() {
            return Err(Error::Config(
                "PMP_API_KEY is not set or empty: set it to an API key of the Preference Management Platform".into(),
            ));
        }
        let mut builder = Client::builder().api_key(api_key.trim());
        if let Some(base_url) = lookup("PMP_BASE_URL").filter(|url| !url.trim().is_empty()) {
            builder = builder.base_url(base_url.trim());
        }
        builder.build()
    }

    /// A session for one user of one configuration: its calls to the user
    /// operations carry that user's token, fetched from `/authenticate` with
    /// this client's API key on first use and renewed before it expires.
    pub fn user(&self, pac_uuid: Uuid, user_id: impl Into<String>) -> UserSession {
        UserSession::new(self, pac_uuid, user_id.into())
    }

    /// A session from a token the caller already holds (e.g. handed over by
    /// the backend that owns the API key). It is never renewed.
    pub fn with_token(&self, token: impl Into<String>) -> UserSession {
        UserSession::from_token(self, SecretString::from(token.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClientInfo;

    #[test]
    fn https_anywhere_http_on_loopback_only() {
        assert_eq!(
            checked_base_url("https://example.com/public/").unwrap(),
            "https://example.com/public"
        );
        for ok in [
            "http://127.0.0.1:4010/public",
            "http://localhost:8080",
            "http://[::1]:1/x",
        ] {
            assert!(checked_base_url(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("http://example.com/public", "plain http"),
            ("http://10.0.0.1/public", "plain http"),
            ("ftp://example.com", "scheme `ftp`"),
            ("example.com", "is not a URL"),
            ("https://example.com/public?x=1", "query or fragment"),
        ] {
            let message = checked_base_url(bad).unwrap_err().to_string();
            assert!(message.contains(why), "{bad}: {message}");
        }
    }

    #[test]
    fn from_env_names_the_missing_variable() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        for missing in [vars(&[]), vars(&[("PMP_API_KEY", "  ")])] {
            let message = Client::from_lookup(missing).unwrap_err().to_string();
            assert!(
                message.starts_with("cannot build the client: PMP_API_KEY is not set or empty"),
                "{message}"
            );
        }
        let client = Client::from_lookup(vars(&[
            ("PMP_API_KEY", "k"),
            ("PMP_BASE_URL", "http://127.0.0.1:4010/public/"),
        ]));
        assert_eq!(client.unwrap().baseurl(), "http://127.0.0.1:4010/public");
        let message = Client::from_lookup(vars(&[("PMP_API_KEY", "k"), ("PMP_BASE_URL", "http://example.com")]))
            .unwrap_err()
            .to_string();
        assert!(message.contains("plain http"), "{message}");
    }

    #[test]
    fn empty_credentials_are_refused() {
        let message = Client::builder().api_key("").build().unwrap_err().to_string();
        assert_eq!(message, "cannot build the client: the API key is empty");
        // Refused once here, not on every call, and without echoing the key.
        let message = Client::builder().api_key("key\nvalue").build().unwrap_err().to_string();
        assert_eq!(
            message,
            "cannot build the client: the API key contains characters not allowed in an HTTP header"
        );
    }
}
