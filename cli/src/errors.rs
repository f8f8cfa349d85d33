//! Exit codes and the one-line error every failure becomes.
//!
//! A failure carries an [`InputError`] (`file: field: reason`, control characters escaped, so
//! it always prints as one line) and the exit code. Files are named as the user gave them;
//! problems with a flag name the file `command line` and the flag as the field; problems of
//! the environment (the parameter cache, the keys) name what failed in the same shape.

use std::io::{self, Write};
use std::path::Path;

use zkmargin_formats::input_error::InputError;

/// Success: built, solvent, proven, verified.
pub const OK: i32 = 0;
/// Bad input: a file, a flag, the command line (or the environment: an unwritable directory).
pub const BAD_INPUT: i32 = 1;
/// The book does not cover its margin (`check`, `prove`).
pub const INSOLVENT: i32 = 2;
/// The proof was rejected (`verify`).
pub const REJECTED: i32 = 3;
/// A bug: a panic caught by the hook.
pub const BUG: i32 = 101;

/// The "file" of an error about a command-line flag.
pub const COMMAND_LINE: &str = "command line";

/// A command that could not do its job: what to print, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub error: InputError,
}

/// What a command returns: its exit code, or a failure.
pub type Outcome = Result<i32, Failure>;

impl Failure {
    /// Bad input (exit 1).
    pub fn input(error: InputError) -> Failure {
        Failure {
            code: BAD_INPUT,
            error,
        }
    }

    /// A bad flag value (exit 1): `command line: <flag>: <reason>`.
    pub fn flag(flag: &str, reason: impl Into<String>) -> Failure {
        Failure::input(InputError::new(COMMAND_LINE, flag, reason))
    }

    /// A file that could not be read or written (exit 1): `<path>: <flag>: <what>: <io error>`.
    pub fn io(path: &Path, flag: &str, what: &str, e: &io::Error) -> Failure {
        Failure::input(InputError::new(
            path.display().to_string(),
            flag,
            format!("{what}: {e}"),
        ))
    }

    /// Something other than a file failed, such as the parameters or the keys (exit 1).
    pub fn other(
        what: impl Into<String>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Failure {
        Failure::input(InputError::new(what, field, reason))
    }

    /// Prints the one line on stderr and returns the exit code.
    pub fn report(&self) -> i32 {
        eprint_line(&format!("{}", self.error));
        self.code
    }
}

impl From<InputError> for Failure {
    fn from(error: InputError) -> Failure {
        Failure::input(error)
    }
}

/// Writes `zkmargin: <line>` on stderr; a closed stderr is ignored.
pub fn eprint_line(line: &str) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "zkmargin: {line}");
}
