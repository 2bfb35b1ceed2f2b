//! When to try an operation again: the back-off schedule automated jobs (mirroring,
//! segmented downloads) use between attempts.
//!
//! RFC 959 §4.2 splits refusals into transient (4xx: "the action did not take place, but
//! the error condition is temporary") and permanent (5xx: "the same request in the same
//! sequence" will fail again). A [`RetryPolicy`] retries the first kind (and broken or
//! timed-out connections, see `driver::Error::is_transient` with the `std` feature), never
//! the second. There is no clock here: the policy says how long to wait, the adapter
//! sleeps.
//!
//! ```
//! use core::time::Duration;
//! use ftp_core::retry::RetryPolicy;
//!
//! let policy = RetryPolicy::new(4)
//!     .with_backoff(Duration::from_millis(100), Duration::from_millis(250));
//! // After the first failure wait 100 ms, then 200 ms, then 250 ms (the cap)...
//! assert_eq!(policy.delay_after(1, true), Some(Duration::from_millis(100)));
//! assert_eq!(policy.delay_after(2, true), Some(Duration::from_millis(200)));
//! assert_eq!(policy.delay_after(3, true), Some(Duration::from_millis(250)));
//! // ...and give up after the fourth attempt, or at once for a permanent failure.
//! assert_eq!(policy.delay_after(4, true), None);
//! assert_eq!(policy.delay_after(1, false), None);
//! ```

use core::time::Duration;

/// How many attempts an operation gets and how long to wait between them (exponential
/// back-off with a cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_delay: Duration,
    max_delay: Duration,
    multiplier: u32,
}

impl Default for RetryPolicy {
    /// 5 attempts, waiting 0.5 s, 1 s, 2 s, 4 s between them (capped at 30 s).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            multiplier: 2,
        }
    }
}

impl RetryPolicy {
    /// Up to `max_attempts` attempts in all (at least 1), with the default back-off.
    pub fn new(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts: max_attempts.max(1),
            ..RetryPolicy::default()
        }
    }

    /// One attempt: never retry.
    pub fn never() -> Self {
        RetryPolicy::new(1)
    }

    /// Wait `initial` after the first failure, doubling each time up to `max`.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_delay = initial;
        self.max_delay = max.max(initial);
        self
    }

    /// Multiply the wait by `multiplier` (at least 1) after each failure; the default is 2.
    pub fn with_multiplier(mut self, multiplier: u32) -> Self {
        self.multiplier = multiplier.max(1);
        self
    }

    /// The number of attempts in all.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// After `failures` failed attempts (1 after the first), how long to wait before the
    /// next one; `None` to give up: the failure was not `transient`, or the attempts are
    /// used up.
    pub fn delay_after(&self, failures: u32, transient: bool) -> Option<Duration> {
        if !transient || failures == 0 || failures >= self.max_attempts {
            return None;
        }
        let mut delay = self.initial_delay;
        for _ in 1..failures {
            delay = delay.saturating_mul(self.multiplier);
            if delay >= self.max_delay {
                return Some(self.max_delay);
            }
        }
        Some(delay.min(self.max_delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_retries_permanent_failures() {
        let p = RetryPolicy::new(10);
        for n in 1..10 {
            assert_eq!(p.delay_after(n, false), None);
        }
    }

    #[test]
    fn attempts_are_counted_and_the_wait_is_capped() {
        let p = RetryPolicy::new(6)
            .with_backoff(Duration::from_secs(1), Duration::from_secs(5))
            .with_multiplier(3);
        let waits: alloc::vec::Vec<_> = (1..8).map(|n| p.delay_after(n, true)).collect();
        assert_eq!(
            waits,
            [
                Some(Duration::from_secs(1)),
                Some(Duration::from_secs(3)),
                Some(Duration::from_secs(5)),
                Some(Duration::from_secs(5)),
                Some(Duration::from_secs(5)),
                None,
                None
            ]
        );
        assert_eq!(RetryPolicy::never().delay_after(1, true), None);
        // A huge attempt count does not overflow.
        assert_eq!(
            RetryPolicy::new(u32::MAX).delay_after(u32::MAX - 1, true),
            Some(Duration::from_secs(30))
        );
    }
}
