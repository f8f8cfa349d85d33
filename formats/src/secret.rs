//! `alice.secret` (`zkmargin.secret/1`, mode 0600): the trader's secret key, nothing else.
//!
//! ```text
//! {"format": "zkmargin.secret/1", "sk": "0x..."}
//! ```

use zkmargin_circuits::hash::{fp_to_hex, Fp};

use crate::input_error::InputError;
use crate::json::{self, Json};

pub const SECRET_FORMAT: &str = "zkmargin.secret/1";

/// The trader's secret file: `sk`, nothing else. Its account key goes to the registry, its
/// tags to the venues.
pub fn write_secret(sk: &Fp) -> String {
    json::to_pretty(&Json::object([
        ("format", Json::str(SECRET_FORMAT)),
        ("sk", Json::str(fp_to_hex(sk))),
    ]))
}

pub fn read_secret(text: &str, file: &str) -> Result<Fp, InputError> {
    json::top_object(text, file, SECRET_FORMAT, &["format", "sk"], |top| {
        top.req("sk")?.fp()
    })
}
