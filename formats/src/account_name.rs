//! Account names: each becomes a file name (`accounts/<name>.json`, `openings/<name>.json`).

use crate::input_error::InputError;
use crate::json::{shown, ValueReader};

/// Whether `name` is an account name: 1 to 64 characters from `A-Z a-z 0-9 _ -`.
pub fn is_account_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks an account name: it becomes a file name, so 1 to 64 characters from
/// `A-Z a-z 0-9 _ -`.
pub fn check_account_name(at: &ValueReader, name: &str) -> Result<(), InputError> {
    if is_account_name(name) {
        Ok(())
    } else {
        Err(at.err(format!(
            "{} is not a valid account name (1 to 64 characters from A-Z, a-z, 0-9, '_' and '-': \
             it becomes a file name)",
            shown(name)
        )))
    }
}
