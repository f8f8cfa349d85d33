//! Account names: each becomes a file name (`accounts/<name>.json`, `openings/<name>.json`).

use crate::input_error::InputError;
use crate::json::{shown, ValueReader};

/// Checks an account name: it becomes a file name, so 1 to 64 characters from
/// `A-Z a-z 0-9 _ -`.
pub fn check_account_name(at: &ValueReader, name: &str) -> Result<(), InputError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(at.err(format!(
            "{} is not a valid account name (1 to 64 characters from A-Z, a-z, 0-9, '_' and '-': \
             it becomes a file name)",
            shown(name)
        )))
    }
}
