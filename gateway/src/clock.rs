//! The gateway's clock: unix seconds, the unit of every `valid_until`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in unix seconds (0 if the system clock is before 1970, which lapses nothing early).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
