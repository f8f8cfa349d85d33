//! The profile a file names (`"profile": "standard"`).

use zkmargin_circuits::profile::{self, Profile};

use crate::input_error::InputError;
use crate::json::{shown, ValueReader};

/// Reads a profile name.
pub fn read_profile(at: &ValueReader) -> Result<Profile, InputError> {
    let name = at.str()?;
    Profile::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = profile::ALL.iter().map(|p| p.name).collect();
        at.err(format!(
            "unknown profile {} (known: {})",
            shown(name),
            known.join(", ")
        ))
    })
}
