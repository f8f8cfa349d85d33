//! A credit-line grant (`zkmargin.grant/1`, mode 0600): what a trader gives one venue with a
//! margin certificate, so that the venue can open its commitment and learn its own line.
//!
//! ```text
//! {"format": "zkmargin.grant/1", "venue": "deribit", "venue_id": 7, "tag": "0x...",
//!  "allowance_uusd": "2500000000", "salt": "0x...", "nullifier": "0x...",
//!  "certificate": "<64 hex digits>"}
//! ```
//!
//! The venue recomputes `c_v = H(5, tag, allowance, salt)` from the tag it registered and
//! takes the certificate if that commitment is at its index (DESIGN.md, "Margin
//! certificates"). The salt hides the amount from every other reader of the certificate, so
//! the file is private to the trader and that venue. `certificate` is the BLAKE2b-256 of the
//! certificate file, `nullifier` the certificate's epoch nullifier: a grant names the one
//! certificate it opens.

use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_circuits::units::ID_BITS;

use crate::hex::{digest_to_hex, read_digest};
use crate::input_error::InputError;
use crate::json::{self, check_name, Json};

pub const GRANT_FORMAT: &str = "zkmargin.grant/1";

const FIELDS: [&str; 8] = [
    "format",
    "venue",
    "venue_id",
    "tag",
    "allowance_uusd",
    "salt",
    "nullifier",
    "certificate",
];

/// One venue's credit line in a certificate, with what opens its commitment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The venue's name in the snapshot.
    pub venue: String,
    pub venue_id: u64,
    /// The trader's tag at this venue, `H(2, sk, venue_id)`.
    pub tag: Fp,
    /// The line, uusd, `< 2^100`.
    pub allowance_uusd: u128,
    /// The commitment's salt.
    pub salt: Fp,
    /// The certificate's epoch nullifier.
    pub nullifier: Fp,
    /// BLAKE2b-256 of the certificate file.
    pub certificate: [u8; 32],
}

pub fn write_grant(grant: &Grant) -> String {
    json::to_pretty(&Json::object([
        ("format", Json::str(GRANT_FORMAT)),
        ("venue", Json::str(&grant.venue)),
        ("venue_id", Json::uint(grant.venue_id)),
        ("tag", Json::str(fp_to_hex(&grant.tag))),
        (
            "allowance_uusd",
            Json::str(grant.allowance_uusd.to_string()),
        ),
        ("salt", Json::str(fp_to_hex(&grant.salt))),
        ("nullifier", Json::str(fp_to_hex(&grant.nullifier))),
        ("certificate", Json::str(digest_to_hex(&grant.certificate))),
    ]))
}

pub fn read_grant(text: &str, file: &str) -> Result<Grant, InputError> {
    json::top_object(text, file, GRANT_FORMAT, &FIELDS, |top| {
        let venue = top.req("venue")?;
        let name = venue.str()?;
        check_name(&venue, name)?;
        Ok(Grant {
            venue: name.to_string(),
            venue_id: top.req("venue_id")?.uint(ID_BITS)?,
            tag: top.req("tag")?.fp()?,
            allowance_uusd: top.req("allowance_uusd")?.uusd()?,
            salt: top.req("salt")?.fp()?,
            nullifier: top.req("nullifier")?.fp()?,
            certificate: read_digest(&top.req("certificate")?)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            venue: "deribit".into(),
            venue_id: 7,
            tag: Fp::from(11),
            allowance_uusd: 2_500_000_000,
            salt: Fp::from(13),
            nullifier: Fp::from(17),
            certificate: [0xab; 32],
        }
    }

    #[test]
    fn round_trips() {
        let text = write_grant(&grant());
        assert_eq!(read_grant(&text, "g.json").unwrap(), grant());
    }

    fn refused(edit: impl FnOnce(&mut serde_json::Value), field: &str) {
        let mut value: serde_json::Value = serde_json::from_str(&write_grant(&grant())).unwrap();
        edit(&mut value);
        let error = read_grant(&value.to_string(), "g.json").unwrap_err();
        let line = error.to_string();
        assert!(
            line.starts_with(&format!("g.json: {field}")),
            "{line} should name {field}"
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn names_the_bad_field() {
        refused(|v| v["format"] = "zkmargin.grant/2".into(), "format");
        refused(|v| v["extra"] = 1.into(), "extra");
        refused(|v| v["allowance_uusd"] = 25.into(), "allowance_uusd");
        refused(|v| v["allowance_uusd"] = "2.5".into(), "allowance_uusd");
        refused(|v| v["allowance_uusd"] = "-1".into(), "allowance_uusd");
        refused(|v| v["allowance_uusd"] = "0100".into(), "allowance_uusd");
        refused(|v| v["allowance_uusd"] = "1e3".into(), "allowance_uusd");
        refused(
            |v| v["allowance_uusd"] = (1u128 << 100).to_string().into(),
            "allowance_uusd",
        );
        refused(|v| v["tag"] = "0x12".into(), "tag");
        refused(|v| v["salt"] = serde_json::Value::Null, "salt");
        refused(|v| v["certificate"] = "ab".into(), "certificate");
        refused(|v| v["venue_id"] = (1u64 << 32).into(), "venue_id");
        refused(
            |v| {
                v.as_object_mut().unwrap().remove("nullifier");
            },
            "nullifier",
        );
    }

    #[test]
    fn the_largest_line_is_accepted() {
        let mut g = grant();
        g.allowance_uusd = (1 << 100) - 1;
        assert_eq!(read_grant(&write_grant(&g), "g.json").unwrap(), g);
        g.allowance_uusd = 0;
        assert_eq!(read_grant(&write_grant(&g), "g.json").unwrap(), g);
    }
}
