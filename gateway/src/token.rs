//! The matching engine's bearer token (`--engine-token-file`, DESIGN.md "Who may call what").
//!
//! Every engine route (orders, fills, cancels, freezes, account reads, snapshots) requires
//! `Authorization: Bearer TOKEN`; a request without it, or with another token, is answered 401
//! before its body is read, so it changes nothing. The certificate route is the trader's and
//! takes no token.
//!
//! The file must be a regular file that only its owner can read or write (mode 0600 or
//! stricter): a token other users of the machine can read is no secret, and the gateway
//! refuses to start with it rather than serve with a weak guard.
//!
//! The comparison runs in constant time: both the presented token and the expected one are
//! hashed (BLAKE2b-256), and the two digests compared with `subtle`, so that neither the
//! position of the first wrong byte nor the token's length shows in the answer's timing.

use std::path::Path;

use subtle::ConstantTimeEq;

/// A token shorter than this is refused: 32 characters of base64 carry 192 bits.
pub const MIN_LENGTH: usize = 32;
/// The largest token file read.
const FILE_LIMIT: u64 = 4 << 10;

/// The token an engine must present, kept only as its digest.
#[derive(Clone)]
pub struct EngineToken {
    digest: [u8; 32],
}

fn digest(token: &[u8]) -> [u8; 32] {
    let hash = blake2b_simd::Params::new().hash_length(32).hash(token);
    let mut out = [0u8; 32];
    out.copy_from_slice(hash.as_bytes());
    out
}

/// RFC 6750's `b64token` characters (the only ones a bearer token may hold).
fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~+/=".contains(&c)
}

impl EngineToken {
    /// A token from its text (the file's content less one trailing line end).
    pub fn from_text(text: &str) -> Result<EngineToken, String> {
        let token = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(text);
        if token.len() < MIN_LENGTH || !token.bytes().all(is_token_char) {
            return Err(format!(
                "the token must be one line of at least {MIN_LENGTH} characters of A-Z a-z 0-9 \
                 - . _ ~ + / = (make one with: head -c 32 /dev/urandom | base64)"
            ));
        }
        Ok(EngineToken {
            digest: digest(token.as_bytes()),
        })
    }

    /// Reads `--engine-token-file PATH`: a regular file, mode 0600 or stricter, holding the
    /// token. The error names the file and what is wrong with it.
    pub fn read_file(path: &Path) -> Result<EngineToken, String> {
        let shown = path.display();
        let meta =
            std::fs::metadata(path).map_err(|e| format!("--engine-token-file {shown}: {e}"))?;
        if !meta.is_file() {
            return Err(format!("--engine-token-file {shown}: not a regular file"));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(format!(
                    "--engine-token-file {shown}: mode {mode:04o} lets other users read or \
                     change the engine token (chmod 600 {shown})"
                ));
            }
        }
        if meta.len() > FILE_LIMIT {
            return Err(format!(
                "--engine-token-file {shown}: larger than {FILE_LIMIT} bytes: not a token file"
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--engine-token-file {shown}: cannot read: {e}"))?;
        EngineToken::from_text(&text).map_err(|e| format!("--engine-token-file {shown}: {e}"))
    }

    /// Whether `presented` is the token, in time independent of where they differ.
    pub fn matches(&self, presented: &[u8]) -> bool {
        digest(presented).ct_eq(&self.digest).into()
    }

    /// Checks an `Authorization` header's value: `Bearer TOKEN` (the scheme in any case).
    pub fn check_header(&self, value: Option<&[u8]>) -> Result<(), Unauthorized> {
        let value = value.ok_or(Unauthorized::Missing)?;
        let scheme = b"bearer ";
        if value.len() < scheme.len() || !value[..scheme.len()].eq_ignore_ascii_case(scheme) {
            return Err(Unauthorized::NotBearer);
        }
        let presented = value[scheme.len()..].trim_ascii();
        if self.matches(presented) {
            Ok(())
        } else {
            Err(Unauthorized::Wrong)
        }
    }
}

/// Why a request to an engine route is refused (401).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unauthorized {
    #[error("this route needs the engine's token: Authorization: Bearer TOKEN")]
    Missing,
    #[error("the Authorization header is not a bearer token (Authorization: Bearer TOKEN)")]
    NotBearer,
    #[error("the engine token is wrong")]
    Wrong,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";

    #[test]
    fn only_the_exact_token_passes() {
        let token = EngineToken::from_text(&format!("{TOKEN}\n")).unwrap();
        assert_eq!(
            token.check_header(Some(format!("Bearer {TOKEN}").as_bytes())),
            Ok(())
        );
        assert_eq!(
            token.check_header(Some(format!("bearer  {TOKEN} ").as_bytes())),
            Ok(())
        );
        assert_eq!(token.check_header(None), Err(Unauthorized::Missing));
        assert_eq!(
            token.check_header(Some(format!("Basic {TOKEN}").as_bytes())),
            Err(Unauthorized::NotBearer)
        );
        let mut wrong = TOKEN.as_bytes().to_vec();
        wrong[40] ^= 1;
        let mut header = b"Bearer ".to_vec();
        header.extend_from_slice(&wrong);
        assert_eq!(token.check_header(Some(&header)), Err(Unauthorized::Wrong));
        // A prefix of the token, or the token and more, is not the token.
        let prefix = format!("Bearer {}", &TOKEN[..TOKEN.len() - 1]);
        assert_eq!(
            token.check_header(Some(prefix.as_bytes())),
            Err(Unauthorized::Wrong)
        );
        let longer = format!("Bearer {TOKEN}A");
        assert_eq!(
            token.check_header(Some(longer.as_bytes())),
            Err(Unauthorized::Wrong)
        );
    }

    #[test]
    fn weak_or_malformed_tokens_are_refused() {
        assert!(EngineToken::from_text("short").is_err());
        assert!(EngineToken::from_text(&format!("{TOKEN} x")).is_err());
        assert!(EngineToken::from_text(&format!("{TOKEN}\n\n")).is_err());
        assert!(EngineToken::from_text("").is_err());
    }
}
