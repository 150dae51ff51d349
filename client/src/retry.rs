//! When to try a request again, and how long to wait first.
//!
//! Exponential backoff with full jitter (a random wait between zero and
//! `initial_backoff * 2^(attempt-1)`, capped at `max_backoff`), a server's
//! `Retry-After` taking its place, all bounded by attempts and total time.
//! Written out rather than taken from a retry crate: the rules (which
//! statuses, `Retry-After` with a cap, idempotent methods only) live in the
//! hooks' request loop, which a crate's own retry loop would not see into;
//! what is left is the delay formula below.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};

/// How the client retries. The default retries GET and DELETE.
///
/// ```
/// use std::time::Duration;
/// use usercentrics_pmp::retry::RetryPolicy;
///
/// let policy = RetryPolicy::default().max_attempts(5).max_elapsed(Duration::from_secs(60));
/// assert_eq!(policy.attempts(), 5);
/// let off = RetryPolicy::none();
/// assert_eq!(off.attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
    max_retry_after: Duration,
    retry_posts: bool,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 200 ms up to 5 s, at most 30 s in all, a
    /// `Retry-After` of up to 30 s honoured, POST not retried.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(30),
            retry_posts: false,
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The attempts in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The cap of the first backoff; each later one doubles, up to `max_backoff`.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest single backoff.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// No retry starts after this much time since the first attempt.
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// The longest `Retry-After` waited for; a longer one ends retrying and
    /// is reported in [`Error::RateLimited`](crate::error::Error::RateLimited).
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Retry POST requests too. They are not by default: a POST that timed
    /// out may have been applied. Per call: [`CallOptions::retry_post`](crate::call::CallOptions::retry_post).
    pub fn retry_posts(mut self, retry: bool) -> Self {
        self.retry_posts = retry;
        self
    }

    /// Whether requests with this method may be sent again.
    pub(crate) fn may_retry(&self, method: &Method, post_opt_in: bool) -> bool {
        self.max_attempts > 1
            && match *method {
                Method::GET | Method::HEAD | Method::DELETE | Method::PUT | Method::OPTIONS => true,
                Method::POST => self.retry_posts || post_opt_in,
                _ => false,
            }
    }

    /// How long to wait before attempt `attempt + 1` of a request first sent
    /// at `started`, given what attempt `attempt` got; `None`: do not retry.
    pub(crate) fn next_delay(
        &self,
        attempt: u32,
        started: Instant,
        outcome: &Result<reqwest::Response, reqwest::Error>,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let delay = match outcome {
            Ok(response) if is_retryable_status(response.status()) => match retry_after(response.headers()) {
                Some(wait) if wait > self.max_retry_after => return None,
                Some(wait) => wait,
                None => self.backoff(attempt),
            },
            Ok(_) => return None,
            Err(error) if error.is_connect() || error.is_timeout() => self.backoff(attempt),
            Err(_) => return None,
        };
        (started.elapsed() + delay < self.max_elapsed).then_some(delay)
    }

    /// Full jitter: uniform in `[0, min(max_backoff, initial * 2^(attempt-1))]`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.backoff_ceiling(attempt);
        ceiling.mul_f64(fastrand::f64())
    }

    pub(crate) fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

/// 429, 502, 503, 504: the server asks to come back, or a proxy lost it.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_its_doubling_ceiling() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_secs(1));
        assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(100));
        assert_eq!(policy.backoff_ceiling(2), Duration::from_millis(200));
        assert_eq!(policy.backoff_ceiling(4), Duration::from_millis(800));
        assert_eq!(policy.backoff_ceiling(5), Duration::from_secs(1));
        assert_eq!(policy.backoff_ceiling(200), Duration::from_secs(1));
        for attempt in 1..10 {
            for _ in 0..100 {
                assert!(policy.backoff(attempt) <= policy.backoff_ceiling(attempt));
            }
        }
        // Full jitter spreads over the whole range, not just its top.
        let low = (0..1000)
            .filter(|_| policy.backoff(4) < Duration::from_millis(400))
            .count();
        assert!((300..700).contains(&low), "{low} of 1000 below half");
    }

    #[test]
    fn methods_that_may_be_retried() {
        let policy = RetryPolicy::default();
        assert!(policy.may_retry(&Method::GET, false) && policy.may_retry(&Method::DELETE, false));
        assert!(!policy.may_retry(&Method::POST, false));
        assert!(policy.may_retry(&Method::POST, true));
        assert!(policy.clone().retry_posts(true).may_retry(&Method::POST, false));
        assert!(!RetryPolicy::none().may_retry(&Method::GET, true));
    }

    #[test]
    fn reads_retry_after_as_seconds_or_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        headers.insert(RETRY_AFTER, later.parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(110) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
