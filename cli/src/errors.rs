//! Exit codes and the one-line error every failure becomes.
//!
//! A [`CliError`] is either bad input (an [`InputError`], `file: field: reason`, control
//! characters escaped, so it always prints as one line; exit 1) or an internal failure that is
//! not the input's fault (the keys, the parameters, a proof that fails its own check, a panic;
//! exit 4, `internal error: <what>: <reason> (please report it)`). Files are named as the user
//! gave them; problems with a flag name the file `command line` and the flag as the field.

use std::fmt;
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
/// An internal failure, not the input's: keys or parameters that cannot be built, a proof that
/// fails its own check, a panic. A bug or a broken installation; please report it.
pub const INTERNAL: i32 = 4;

/// The exit codes, as `zkmargin --help` lists them.
pub const EXIT_CODES_HELP: &str = "Exit codes:\n  \
    0  success (built, solvent, proven, VALID)\n  \
    1  bad input: a file, a flag or the command line (the error names the file and the field)\n  \
    2  insolvent (check, prove): the book does not cover the margin; prove writes nothing\n  \
    3  proof rejected (verify), with the reason\n  \
    4  internal error (keys, parameters, a proof failing its own check, a bug): please report it";

/// The "file" of an error about a command-line flag.
pub const COMMAND_LINE: &str = "command line";

/// Why a command could not do its job.
#[derive(Debug)]
pub enum CliError {
    /// Bad input (exit 1): names the file (or `command line`) and the field.
    Input(InputError),
    /// Not the input's fault (exit 4): what failed, and why.
    Internal { what: String, reason: String },
}

/// What a command returns: its exit code, or an error.
pub type CommandResult = Result<i32, CliError>;

impl CliError {
    /// Bad input (exit 1).
    pub fn input(error: InputError) -> CliError {
        CliError::Input(error)
    }

    /// A bad flag value (exit 1): `command line: <flag>: <reason>`.
    pub fn flag(flag: &str, reason: impl Into<String>) -> CliError {
        CliError::input(InputError::new(COMMAND_LINE, flag, reason))
    }

    /// A file that could not be read or written (exit 1): `<path>: <flag>: <what>: <io error>`.
    pub fn io(path: &Path, flag: &str, what: &str, e: &io::Error) -> CliError {
        CliError::input(InputError::new(
            path.display().to_string(),
            flag,
            format!("{what}: {e}"),
        ))
    }

    /// A failure that is no file's and not the user's (exit 4), such as the keys of a profile.
    pub fn internal(what: impl Into<String>, reason: impl fmt::Display) -> CliError {
        CliError::Internal {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    /// The exit code this error ends the program with.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) => BAD_INPUT,
            CliError::Internal { .. } => INTERNAL,
        }
    }

    /// Prints the one line on stderr and returns the exit code.
    pub fn emit(&self) -> i32 {
        eprint_line(&self.to_string());
        self.exit_code()
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(error) => write!(f, "{error}"),
            CliError::Internal { what, reason } => {
                let line = internal_line(&format!("{what}: {reason}"));
                f.write_str(&line)
            }
        }
    }
}

/// The one line of an internal failure (newlines folded, so that it stays one line).
pub fn internal_line(text: &str) -> String {
    format!("internal error: {text} (not your input; please report it)").replace(['\n', '\r'], " ")
}

impl From<InputError> for CliError {
    fn from(error: InputError) -> CliError {
        CliError::input(error)
    }
}

/// Writes `zkmargin: <line>` on stderr; a closed stderr is ignored.
pub fn eprint_line(line: &str) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "zkmargin: {line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_exit_1_and_internal_errors_exit_4() {
        assert_eq!(CliError::flag("--level", "bad").exit_code(), BAD_INPUT);
        let internal = CliError::internal("keys of profile small", "keygen failed\nat row 3");
        assert_eq!(internal.exit_code(), INTERNAL);
        assert_eq!(INTERNAL, 4);
        let line = internal.to_string();
        assert_eq!(
            line,
            "internal error: keys of profile small: keygen failed at row 3 (not your input; \
             please report it)"
        );
    }

    #[test]
    fn help_lists_every_exit_code() {
        for code in [OK, BAD_INPUT, INSOLVENT, REJECTED, INTERNAL] {
            assert!(EXIT_CODES_HELP.contains(&format!("\n  {code}  ")), "{code}");
        }
        assert!(!EXIT_CODES_HELP.contains("101"));
    }
}
