//! The one error every file parser returns: which file, which field, and why.
//!
//! `field` is a JSON path such as `accounts[0].positions.deribit[1].size` or
//! `haircuts_ppm.BTC.arbitrum`; a key that is not a plain word is quoted, as in
//! `haircuts_ppm["USDC.e"]`. A JSON syntax error names its line and column instead.
//!
//! The error always displays as one line, `"{file}: {field}: {reason}"`: control characters
//! that reach it from an input (a file name, a key) are escaped, so a crafted file cannot
//! forge extra lines in a log.

use std::borrow::Cow;

/// A bad input file: the file, the JSON path of the offending field, and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}: {}", one_line(.file), one_line(.field), one_line(.reason))]
pub struct InputError {
    /// The file as the user named it (a path, or a label such as `--order`).
    pub file: String,
    /// The JSON path of the offending field.
    pub field: String,
    /// Why the field was refused.
    pub reason: String,
}

impl InputError {
    pub fn new(
        file: impl Into<String>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> InputError {
        InputError {
            file: file.into(),
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The text with every control character escaped, so that it stays on one line.
fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_file_field_and_reason_on_one_line() {
        let e = InputError::new("net.json", "assets[0].price", "is out of range");
        assert_eq!(e.to_string(), "net.json: assets[0].price: is out of range");
        let e = InputError::new("a\nb.json", "x\ry", "bad\n\u{1b}[31m");
        let shown = e.to_string();
        assert!(!shown.contains('\n') && !shown.contains('\r') && !shown.contains('\u{1b}'));
        assert_eq!(shown, "a\\nb.json: x\\ry: bad\\n\\u{1b}[31m");
    }

    #[test]
    fn is_a_std_error() {
        let e: Box<dyn std::error::Error> = Box::new(InputError::new("f", "g", "h"));
        assert_eq!(e.to_string(), "f: g: h");
    }
}
