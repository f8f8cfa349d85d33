//! The cache directory zkmargin keeps derived data in: the proving parameters
//! (`zkmargin_verifier::params`) and the risk tables already checked against their roots
//! (`risk_table`). Everything in it is checked on use (a digest or a content hash), so a
//! stale or altered entry costs time, never correctness.

use std::path::PathBuf;

/// Environment variable naming the cache directory.
pub const CACHE_ENV: &str = "ZKMARGIN_CACHE";

/// The cache directory: `$ZKMARGIN_CACHE`, else `$XDG_CACHE_HOME/zkmargin`, else
/// `~/.cache/zkmargin`, else `./.zkmargin-cache`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("zkmargin");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("zkmargin");
    }
    PathBuf::from(".zkmargin-cache")
}
