//! What a venue refuses, from an independent review of its side (can a venue be made to accept
//! what it should refuse?): the snapshot digest covers every public field and its encoding is
//! injective; the snapshot parser refuses duplicates, unknown fields, inexact numbers and
//! non-canonical elements; the envelope decodes exactly; freshness, level, order, venue, epoch
//! and profile are checked at their edges; batch and single verification agree; publisher
//! signatures are domain-separated and strict. `by_design_...` tests document acceptances the
//! design asks for (no tag registered: any account's proof; an order not pinned by the venue).
//!
//! The honest proof is the frozen small vector (`tests/vectors`).

use std::path::PathBuf;
use std::sync::Arc;

use ff::PrimeField;
use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::margin::{Kind, MarginError, Position, Side};
use zkmargin_circuits::profile::{LARGE, STANDARD};
use zkmargin_circuits::snapshot::{Member, Snapshot};
use zkmargin_formats::publisher_key::PublisherSecret;
use zkmargin_formats::snapshot::{read_snapshot, write_signed_snapshot, write_snapshot};
use zkmargin_prover::vectors::{read_vector, Vector};
use zkmargin_verifier::envelope::{Envelope, EnvelopeError};
use zkmargin_verifier::publisher::{
    read_signed_snapshot, signing_message, SignSnapshot, SignatureError,
};
use zkmargin_verifier::verify::{check, Expectation, Rejection};
use zkmargin_verifier::VerifierKeys;

// ---------------------------------------------------------------------------------------------
// Set-up

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn vector(profile: &str) -> Vector {
    read_vector(&vectors_dir().join(format!("{profile}.vector.json"))).unwrap()
}

struct Venue {
    v: Vector,
    keys: Arc<VerifierKeys>,
}

impl Venue {
    fn load(profile: &str) -> Venue {
        let v = vector(profile);
        let keys = VerifierKeys::for_profile(v.profile).unwrap();
        Venue { v, keys }
    }

    fn expect(&self) -> Expectation<'_> {
        Expectation {
            snapshot: &self.v.snapshot,
            venue_index: self.v.venue_index,
            tag: Some(self.v.tag),
            min_level_ppm: self.v.level_ppm,
            order: self.v.order,
            at: self.v.at,
        }
    }

    fn envelope(&self) -> Envelope {
        Envelope::decode(&self.v.proof).unwrap()
    }

    /// The venue's whole check of a file's bytes: decoded once, then verified.
    fn verify_file(
        &self,
        bytes: &[u8],
        expect: &Expectation<'_>,
    ) -> Result<(Envelope, PublicStatement), Rejection> {
        let envelope = Envelope::decode(bytes)?;
        let statement = self.keys.verify(&envelope, expect)?;
        Ok((envelope, statement))
    }

    fn verdict_with(&self, bytes: &[u8], expect: &Expectation<'_>) -> Result<(), Rejection> {
        self.verify_file(bytes, expect).map(|_| ())
    }

    fn verdict(&self, bytes: &[u8]) -> Result<(), Rejection> {
        self.verdict_with(bytes, &self.expect())
    }
}

fn small_snapshot() -> Snapshot {
    vector("small").snapshot
}

// ---------------------------------------------------------------------------------------------
// snapshot.rs: the digest

/// H1: every public field the instance (or the venue) uses changes the digest.
#[test]
fn digest_covers_every_public_field() {
    let s = small_snapshot();
    type Change = Box<dyn Fn(&mut Snapshot)>;
    let changes: Vec<(&str, Change)> = vec![
        ("profile", Box::new(|s| s.profile = STANDARD)),
        ("profile large", Box::new(|s| s.profile = LARGE)),
        ("epoch", Box::new(|s| s.epoch += 1)),
        ("valid_from", Box::new(|s| s.valid_from += 1)),
        ("valid_until", Box::new(|s| s.valid_until += 1)),
        ("price", Box::new(|s| s.assets[2].price += 1)),
        ("symbol", Box::new(|s| s.assets[0].symbol = "XBT".into())),
        (
            "asset count",
            Box::new(|s| {
                s.assets.pop();
                s.haircuts_ppm.pop();
                s.perp_mmr_ppm.iter_mut().for_each(|r| {
                    r.pop();
                });
                s.option_rate_ppm.pop();
                s.buckets.iter_mut().for_each(|b| {
                    b.tau_ppm.pop();
                });
            }),
        ),
        ("chain id", Box::new(|s| s.chains[1].id += 1)),
        ("chain name", Box::new(|s| s.chains[1].name = "base".into())),
        ("venue id", Box::new(|s| s.venues[1].id += 1)),
        ("venue name", Box::new(|s| s.venues[0].name = "okx".into())),
        ("haircut", Box::new(|s| s.haircuts_ppm[2][1] += 1)),
        ("perp rate", Box::new(|s| s.perp_mmr_ppm[1][2] += 1)),
        ("option rate", Box::new(|s| s.option_rate_ppm[2] += 1)),
        ("bucket max", Box::new(|s| s.buckets[0].max_seconds += 1)),
        (
            "last tau",
            Box::new(|s| {
                let b = s.buckets.len() - 1;
                let a = s.buckets[b].tau_ppm.len() - 1;
                s.buckets[b].tau_ppm[a] += 1
            }),
        ),
        ("upnl haircut", Box::new(|s| s.upnl_haircut_ppm += 1)),
        ("chain root", Box::new(|s| s.chain_roots[1] += Fp::one())),
        ("venue root", Box::new(|s| s.venue_roots[1] += Fp::one())),
        ("roots swapped", Box::new(|s| s.chain_roots.swap(0, 1))),
        ("venues swapped", Box::new(|s| s.venues.swap(0, 1))),
    ];
    for (what, change) in changes {
        let mut t = s.clone();
        change(&mut t);
        assert_ne!(t, s, "{what}: the change is a change");
        assert_ne!(t.digest(), s.digest(), "{what}");
    }
}

/// H2: the encoding is injective: moving bytes across a field boundary (a longer symbol and a
/// shorter one, a chain turned into a venue, a table re-shaped) gives another encoding.
#[test]
fn canonical_encoding_is_injective_across_boundaries() {
    let s = small_snapshot();
    // Symbol boundaries: "BTC","ETH" vs "BTCE","TH".
    let mut t = s.clone();
    t.assets[0].symbol = "BTCE".into();
    t.assets[1].symbol = "TH".into();
    assert_ne!(t.canonical_bytes(), s.canonical_bytes());
    // Names moved between two strings with the same concatenation.
    let mut a = s.clone();
    a.chains[0].name = "ab".into();
    a.chains[1].name = "c".into();
    let mut b = s.clone();
    b.chains[0].name = "a".into();
    b.chains[1].name = "bc".into();
    assert_ne!(a.canonical_bytes(), b.canonical_bytes());
    // The last chain moved to the front of the venues (same sequence of (id, name) pairs).
    let mut a = s.clone();
    let moved: Member = a.chains.pop().unwrap();
    a.venues.insert(0, moved);
    assert_ne!(a.canonical_bytes(), s.canonical_bytes());
    // A table with the same flat contents in other rows.
    let mut a = s.clone();
    a.haircuts_ppm = vec![vec![1, 2, 3], vec![4]];
    let mut b = s.clone();
    b.haircuts_ppm = vec![vec![1, 2], vec![3, 4]];
    assert_ne!(a.canonical_bytes(), b.canonical_bytes());
    // A haircut row moved into the perp table.
    let mut a = s.clone();
    a.haircuts_ppm = vec![vec![1], vec![2]];
    a.perp_mmr_ppm = vec![vec![3]];
    let mut b = s.clone();
    b.haircuts_ppm = vec![vec![1]];
    b.perp_mmr_ppm = vec![vec![2], vec![3]];
    assert_ne!(a.canonical_bytes(), b.canonical_bytes());
    // A root moved from chains to venues.
    let mut a = s.clone();
    let r = a.chain_roots.pop().unwrap();
    a.venue_roots.insert(0, r);
    assert_ne!(a.canonical_bytes(), s.canonical_bytes());
    // Every field element is written at 32 bytes, every integer at 8: a price and a symbol
    // length cannot be confused, whatever the values.
    let bytes = s.canonical_bytes();
    assert!(bytes.starts_with(&(19u64.to_le_bytes())));
    assert_eq!(&bytes[8..27], b"zkmargin.snapshot/1");
}

// ---------------------------------------------------------------------------------------------
// formats/src/snapshot.rs and json.rs: the parser

fn refused(text: &str) -> (String, String) {
    let e = read_snapshot(text, "s.json").unwrap_err();
    assert_eq!(e.file, "s.json");
    (e.field, e.reason)
}

/// Replaces exactly one occurrence of `from` in `text`.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} occurs once");
    text.replacen(from, to, 1)
}

#[test]
fn the_written_snapshot_reads_back() {
    let s = small_snapshot();
    assert_eq!(read_snapshot(&write_snapshot(&s), "s.json").unwrap(), s);
}

/// H3: duplicate keys, at the top and nested, even when spelt with escapes.
#[test]
fn duplicate_keys_are_refused() {
    let text = write_snapshot(&small_snapshot());
    let (field, reason) = refused(&replace_once(
        &text,
        "\"epoch\": 4812,",
        "\"epoch\": 4812, \"epoch\": 4813,",
    ));
    assert_eq!(
        (field.as_str(), reason.as_str()),
        ("epoch", "duplicate key")
    );
    // Nested: a haircut given twice for one chain, the second spelt with an escape.
    let (field, reason) = refused(&replace_once(
        &text,
        "\"ethereum\": 30000,",
        "\"ethereum\": 30000, \"ether\\u0065um\": 1,",
    ));
    assert_eq!(field, "haircuts_ppm.BTC.ethereum");
    assert_eq!(reason, "duplicate key");
    // The digest given twice (the second one would be the one serde_json keeps).
    let (field, _) = refused(&replace_once(
        &text,
        "\"digest\":",
        "\"digest\": \"00\", \"digest\":",
    ));
    assert_eq!(field, "digest");
}

/// H4: unknown fields, at the top and inside members, assets, buckets and roots.
#[test]
fn unknown_fields_are_refused() {
    let text = write_snapshot(&small_snapshot());
    for (from, to, field) in [
        (
            "\"epoch\": 4812,",
            "\"epoch\": 4812, \"epohc\": 1,",
            "epohc",
        ),
        (
            "\"id\": 1,",
            "\"id\": 1, \"alias\": \"eth\",",
            "chains[0].alias",
        ),
        (
            "\"symbol\": \"BTC\",",
            "\"symbol\": \"BTC\", \"decimals\": 8,",
            "assets[0].decimals",
        ),
        (
            "\"roots\": {",
            "\"roots\": {\"oracles\": {},",
            "roots.oracles",
        ),
    ] {
        let (f, reason) = refused(&replace_once(&text, from, to));
        assert_eq!(f, field, "{to}");
        assert!(reason.contains("unknown field"), "{reason}");
    }
    // A rate for an asset, chain or venue the snapshot does not list.
    let (f, reason) = refused(&replace_once(
        &text,
        "\"ethereum\": 30000,",
        "\"ethereum\": 30000, \"solana\": 1,",
    ));
    assert_eq!(f, "haircuts_ppm.BTC.solana");
    assert!(reason.contains("unknown chain"), "{reason}");
}

/// H5: integers: fractions, exponents, leading zeros, negative zero, beyond 64 bits, beyond
/// the field's bound; decimals: exponents, signs, spaces, too many digits.
#[test]
fn numbers_are_exact_or_refused() {
    let text = write_snapshot(&small_snapshot());
    for bad in [
        "4812.0",
        "4.812e3",
        "4812e0",
        "-0",
        "-4812",
        "18446744073709551616",
        "\"4812\"",
        "true",
        "null",
    ] {
        let (field, _) = refused(&replace_once(
            &text,
            "\"epoch\": 4812,",
            &format!("\"epoch\": {bad},"),
        ));
        assert_eq!(field, "epoch", "{bad}");
    }
    // Leading zeros are a JSON syntax error (named by line and column).
    let (field, reason) = refused(&replace_once(
        &text,
        "\"epoch\": 4812,",
        "\"epoch\": 04812,",
    ));
    assert!(field.starts_with("line "), "{field}");
    assert!(reason.starts_with("invalid JSON"), "{reason}");
    // Times beyond 2^40, ppm beyond 1e6, ids beyond 2^32.
    let (field, _) = refused(&replace_once(
        &text,
        "\"valid_until\": 1767229200,",
        "\"valid_until\": 1099511627776,",
    ));
    assert_eq!(field, "valid_until");
    let (field, _) = refused(&replace_once(
        &text,
        "\"ethereum\": 30000,",
        "\"ethereum\": 1000001,",
    ));
    assert_eq!(field, "haircuts_ppm.BTC.ethereum");
    let (field, _) = refused(&replace_once(
        &text,
        "\"id\": 42161,",
        "\"id\": 4294967296,",
    ));
    assert_eq!(field, "chains[1].id");
    // Prices: decimal strings only, exact, below 2^48 e8 (an exponent is read when exact:
    // "1e5" is this very price, "1E-9" is below the e8 unit).
    for bad in [
        "\"1E-9\"",
        "\"+-1\"",
        "\" 100000\"",
        "\"100000 \"",
        "\"100000.000000001\"",
        "\"-100000\"",
        "\"2814749.76710656\"",
        "\"0x10\"",
        "\"١٠\"",
        "100000",
        "\"\"",
    ] {
        let (field, _) = refused(&replace_once(
            &text,
            "\"price\": \"100000\"",
            &format!("\"price\": {bad}"),
        ));
        assert_eq!(field, "assets[0].price", "{bad}");
    }
}

/// H6: duplicate asset symbols, chain or venue names or ids, bucket order.
#[test]
fn duplicates_and_disorder_are_refused() {
    let text = write_snapshot(&small_snapshot());
    // A symbol that differs only in its JSON spelling.
    let (field, reason) = refused(&replace_once(
        &text,
        "\"symbol\": \"ETH\"",
        "\"symbol\": \"B\\u0054C\"",
    ));
    assert_eq!(field, "assets[1].symbol");
    assert!(reason.contains("duplicate asset symbol"), "{reason}");
    let (field, reason) = refused(&replace_once(&text, "\"id\": 42161,", "\"id\": 1,"));
    assert_eq!(field, "chains[1].id");
    assert!(reason.contains("duplicate chain id"), "{reason}");
    let (field, reason) = refused(&replace_once(
        &text,
        "\"name\": \"hyperliquid\"",
        "\"name\": \"deribit\"",
    ));
    assert_eq!(field, "venues[1].name");
    assert!(reason.contains("duplicate venue name"), "{reason}");
    let (field, reason) = refused(&replace_once(&text, "\"id\": 9,", "\"id\": 7,"));
    assert_eq!(field, "venues[1].id");
    assert!(reason.contains("duplicate venue id"), "{reason}");
    // Buckets: equal, then decreasing.
    let s = small_snapshot();
    let first = s.buckets[0].max_seconds;
    let second = s.buckets[1].max_seconds;
    for bad in [first, first - 1] {
        let (field, reason) = refused(&replace_once(
            &text,
            &format!("\"max_seconds\": {second},"),
            &format!("\"max_seconds\": {bad},"),
        ));
        assert_eq!(field, "expiry_buckets[1].max_seconds");
        assert!(reason.contains("strictly increasing"), "{reason}");
    }
    // Names outside the allowed alphabet (a look-alike, a space, a NUL).
    for bad in ["BTС", "BT C", "BT\\u0000C", ""] {
        let (field, _) = refused(&replace_once(
            &text,
            "\"symbol\": \"BTC\"",
            &format!("\"symbol\": \"{bad}\""),
        ));
        assert_eq!(field, "assets[0].symbol", "{bad}");
    }
}

/// H7: roots: a value at or above the modulus, short, without `0x`, missing, extra.
#[test]
fn roots_must_be_canonical_field_elements() {
    let s = small_snapshot();
    let text = write_snapshot(&s);
    let root = zkmargin_circuits::hash::fp_to_hex(&s.chain_roots[0]);
    let modulus = Fp::MODULUS.to_string();
    assert_eq!(modulus.len(), 66);
    let mut above = modulus.clone().into_bytes();
    *above.last_mut().unwrap() = b'2';
    let above = String::from_utf8(above).unwrap();
    for bad in [
        modulus.as_str(),
        above.as_str(),
        &format!("0x{}", "f".repeat(64)),
        &root[2..],
        &root[..65],
        &format!("{root}0"),
    ] {
        let (field, reason) = refused(&replace_once(
            &text,
            &format!("\"{root}\""),
            &format!("\"{bad}\""),
        ));
        assert_eq!(field, "roots.chains.ethereum", "{bad}");
        assert!(reason.contains("canonical field element"), "{reason}");
    }
    // Upper-case hex digits: one element, one spelling (as for the digest below).
    let upper = format!("0x{}", root[2..].to_ascii_uppercase());
    assert_ne!(upper, root, "the sample root has a letter digit");
    let (field, _) = refused(&replace_once(
        &text,
        &format!("\"{root}\""),
        &format!("\"{upper}\""),
    ));
    assert_eq!(field, "roots.chains.ethereum");
    // The digest field itself: upper case, wrong, missing.
    let digest = zkmargin_formats::hex::digest_to_hex(&s.digest());
    let (field, _) = refused(&replace_once(&text, &digest, &digest.to_ascii_uppercase()));
    assert_eq!(field, "digest");
    let mut wrong = digest.clone().into_bytes();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    let (field, reason) = refused(&replace_once(
        &text,
        &digest,
        &String::from_utf8(wrong).unwrap(),
    ));
    assert_eq!(field, "digest");
    assert!(reason.contains("does not match"), "{reason}");
}

/// H8: the snapshot's contents changed and the digest recomputed: still a valid snapshot
/// file, but any proof made against the original is refused (digest mismatch); and a proof
/// relabelled with the new digest does not verify.
#[test]
fn a_changed_snapshot_does_not_accept_the_old_proof() {
    let venue = Venue::load("small");
    let mut changed = venue.v.snapshot.clone();
    changed.haircuts_ppm[0][0] = 0; // a friendlier haircut
    let changed = read_snapshot(&write_snapshot(&changed), "s.json").unwrap();
    let mut expect = venue.expect();
    expect.snapshot = &changed;
    assert_eq!(
        venue.verdict_with(&venue.v.proof, &expect),
        Err(Rejection::Digest)
    );
    let mut e = venue.envelope();
    e.snapshot_digest = changed.digest();
    assert_eq!(
        venue.verdict_with(&e.encode(), &expect),
        Err(Rejection::Proof)
    );
}

// ---------------------------------------------------------------------------------------------
// envelope.rs

/// H9: exact decoding: version, profile names close to a real one, trailing bytes, a bad
/// magic, a proof vector whose length prefix lies.
#[test]
fn envelope_decoding_is_exact() {
    let venue = Venue::load("small");
    let e = venue.envelope();
    assert_eq!(Envelope::decode(&e.encode()).unwrap(), e);
    for name in ["Small", "small\0", " small", "SMALL", "", "smal"] {
        let mut bad = e.clone();
        bad.profile = name.into();
        assert_eq!(
            Envelope::decode(&bad.encode()),
            Err(EnvelopeError::Profile(name.into())),
            "{name:?}"
        );
    }
    for version in [0u16, 2, u16::MAX] {
        let mut bad = e.clone();
        bad.version = version;
        assert_eq!(
            Envelope::decode(&bad.encode()),
            Err(EnvelopeError::Version(version))
        );
    }
    let mut longer = e.encode();
    longer.push(0);
    assert_eq!(Envelope::decode(&longer), Err(EnvelopeError::Trailing(1)));
    let mut magic = e.encode();
    magic[0] ^= 0x20; // "zKMARGIN"
    assert_eq!(Envelope::decode(&magic), Err(EnvelopeError::Magic));
    // The proof's length prefix (the 8 bytes before the proof) one more or one less.
    let bytes = e.encode();
    let at = bytes.len() - e.proof.len() - 8;
    let len = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    assert_eq!(len as usize, e.proof.len());
    for other in [len - 1, len + 1, u64::MAX] {
        let mut bad = bytes.clone();
        bad[at..at + 8].copy_from_slice(&other.to_le_bytes());
        assert!(Envelope::decode(&bad).is_err(), "length {other}");
        assert!(venue.verdict(&bad).is_err());
    }
    // Non-UTF-8 profile bytes.
    let mut bad = e.clone();
    bad.profile = "small".into();
    let mut bytes = bad.encode();
    let p = bytes
        .windows(5)
        .position(|w| w == b"small")
        .expect("profile bytes");
    bytes[p] = 0xff;
    assert!(Envelope::decode(&bytes).is_err());
}

/// H10: the tag must be a canonical field element: the modulus itself and p + tag (the same
/// element mod p) are refused, not reduced.
#[test]
fn non_canonical_tags_are_refused() {
    let venue = Venue::load("small");
    let e = venue.envelope();
    let modulus = (-Fp::one()).to_repr();
    // p = (p - 1) + 1: little-endian add one to the repr of -1.
    let mut p = modulus;
    for byte in p.iter_mut() {
        let (v, carry) = byte.overflowing_add(1);
        *byte = v;
        if !carry {
            break;
        }
    }
    // tag + p (fits in 256 bits since tag < p < 2^255).
    let mut tag_plus_p = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = e.account_tag[i] as u16 + p[i] as u16 + carry;
        tag_plus_p[i] = s as u8;
        carry = s >> 8;
    }
    for bad in [p, tag_plus_p, [0xff; 32]] {
        let mut b = e.clone();
        b.account_tag = bad;
        assert_eq!(venue.verdict(&b.encode()), Err(Rejection::TagEncoding));
        // Also when the venue does not check the tag.
        let mut expect = venue.expect();
        expect.tag = None;
        assert_eq!(
            venue.verdict_with(&b.encode(), &expect),
            Err(Rejection::TagEncoding)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// verify.rs

/// H11: freshness is inclusive at both ends and refused one second outside.
#[test]
fn freshness_edges() {
    let venue = Venue::load("small");
    let s = &venue.v.snapshot;
    for (at, ok) in [
        (s.valid_from, true),
        (s.valid_until, true),
        (s.valid_from - 1, false),
        (s.valid_until + 1, false),
        (0, false),
        (u64::MAX, false),
    ] {
        let mut expect = venue.expect();
        expect.at = at;
        let verdict = venue.verdict_with(&venue.v.proof, &expect);
        assert_eq!(verdict.is_ok(), ok, "at {at}: {verdict:?}");
        if at < s.valid_from {
            assert!(matches!(verdict, Err(Rejection::NotYetValid { .. })));
        }
        if at > s.valid_until {
            assert!(matches!(verdict, Err(Rejection::Expired { .. })));
        }
    }
}

/// H12: the level: a lower demand accepts (by design: the proof shows more), a higher one
/// refuses; a level outside [1e6, 1e7] in the envelope is refused before the proof.
#[test]
fn levels() {
    let venue = Venue::load("small");
    assert_eq!(venue.v.level_ppm, 1_000_000);
    let mut expect = venue.expect();
    expect.min_level_ppm = 0;
    assert_eq!(venue.verdict_with(&venue.v.proof, &expect), Ok(()));
    expect.min_level_ppm = 1_000_001;
    assert!(matches!(
        venue.verdict_with(&venue.v.proof, &expect),
        Err(Rejection::Level { .. })
    ));
    for bad in [0u64, 999_999, 10_000_001, u64::MAX] {
        let mut e = venue.envelope();
        e.level_ppm = bad;
        assert_eq!(venue.verdict(&e.encode()), Err(Rejection::LevelRange(bad)));
    }
    // The envelope claims a higher level than proven, at a venue that demands it.
    let mut e = venue.envelope();
    e.level_ppm = 2_000_000;
    let mut expect = venue.expect();
    expect.min_level_ppm = 2_000_000;
    assert_eq!(
        venue.verdict_with(&e.encode(), &expect),
        Err(Rejection::Proof)
    );
}

/// H13: the order: the venue's order, not the proof's, and valued at the snapshot price.
#[test]
fn orders() {
    let venue = Venue::load("small");
    let sent = venue.v.order.expect("the small vector carries an order");
    assert_eq!(sent.kind, Kind::Perp);
    // The venue's own order with any entry price is valued at the snapshot price: accepted.
    let mut expect = venue.expect();
    let mut with_entry = sent;
    with_entry.price = 1;
    expect.order = Some(with_entry);
    assert_eq!(venue.verdict_with(&venue.v.proof, &expect), Ok(()));
    // Another order than the one sent: side, size, asset, kind.
    let mut others = vec![];
    let mut o = sent;
    o.side = match o.side {
        Side::Long => Side::Short,
        Side::Short => Side::Long,
    };
    others.push(o);
    let mut o = sent;
    o.size *= 2;
    others.push(o);
    let mut o = sent;
    o.underlying = 1;
    others.push(o);
    // "No order" demanded explicitly.
    others.push(Position::EMPTY);
    for other in others {
        let mut expect = venue.expect();
        expect.order = Some(other);
        assert_eq!(
            venue.verdict_with(&venue.v.proof, &expect),
            Err(Rejection::Order),
            "{other:?}"
        );
    }
    // A proof without the order, to a venue that sent one: the envelope's order emptied.
    let mut e = venue.envelope();
    e.order = Position::EMPTY;
    assert_eq!(venue.verdict(&e.encode()), Err(Rejection::Order));
    // ... and to a venue that did not say: the cheap checks pass, the proof does not.
    let mut expect = venue.expect();
    expect.order = None;
    assert_eq!(
        venue.verdict_with(&e.encode(), &expect),
        Err(Rejection::Proof)
    );
    // Envelope orders the snapshot cannot value.
    let mut dirty = Position::EMPTY;
    dirty.size = 1;
    let mut expiring = sent;
    expiring.expiry = venue.v.snapshot.valid_from + 60;
    let mut off_price = sent;
    off_price.price += 1;
    for (order, want) in [
        (dirty, Rejection::InvalidOrder(MarginError::DirtyEmptySlot)),
        (
            expiring,
            Rejection::InvalidOrder(MarginError::PerpWithExpiry),
        ),
        (off_price, Rejection::Order),
    ] {
        let mut e = venue.envelope();
        e.order = order;
        let mut expect = venue.expect();
        expect.order = None;
        assert_eq!(venue.verdict_with(&e.encode(), &expect), Err(want.clone()));
        assert_eq!(venue.verdict(&e.encode()), Err(want));
    }
    // An option order that expired before the epoch, and one on a huge asset index.
    let mut e = venue.envelope();
    e.order = Position {
        kind: Kind::Call,
        underlying: 0,
        side: Side::Short,
        size: 1,
        price: 1,
        expiry: venue.v.snapshot.valid_from - 1,
    };
    let mut expect = venue.expect();
    expect.order = None;
    assert!(matches!(
        venue.verdict_with(&e.encode(), &expect),
        Err(Rejection::InvalidOrder(_))
    ));
    let mut e = venue.envelope();
    e.order.underlying = usize::MAX;
    assert!(matches!(
        venue.verdict_with(&e.encode(), &expect),
        Err(Rejection::InvalidOrder(MarginError::UnknownAsset(_)))
    ));
}

/// H14: venue: another venue of the snapshot, an index out of range, the proof relabelled
/// for the other venue.
#[test]
fn venues() {
    let venue = Venue::load("small");
    let other = 1 - venue.v.venue_index;
    let mut expect = venue.expect();
    expect.venue_index = other;
    assert!(matches!(
        venue.verdict_with(&venue.v.proof, &expect),
        Err(Rejection::Venue { .. })
    ));
    expect.venue_index = 99;
    assert!(matches!(
        venue.verdict_with(&venue.v.proof, &expect),
        Err(Rejection::Venue { .. })
    ));
    // Relabelled for the other venue (its id), presented there without a tag check.
    let mut e = venue.envelope();
    e.venue_id = venue.v.snapshot.venues[other].id;
    let mut expect = venue.expect();
    expect.venue_index = other;
    expect.tag = None;
    assert_eq!(
        venue.verdict_with(&e.encode(), &expect),
        Err(Rejection::Proof)
    );
}

/// H15 (by design, documented in `Expectation::tag` and printed as a note by the CLI): a venue
/// that gives no registered tag accepts the proof of whichever account made it. A venue must
/// compare the reported tag itself, or pass `--tag`.
#[test]
fn by_design_any_tag_is_accepted_when_none_is_registered() {
    let venue = Venue::load("small");
    let mut expect = venue.expect();
    expect.tag = None;
    let (envelope, statement) = venue.verify_file(&venue.v.proof, &expect).unwrap();
    assert_eq!(statement.account_tag, venue.v.tag);
    assert_eq!(
        Fp::from_repr(envelope.account_tag).unwrap(),
        statement.account_tag
    );
    // With a registered tag that is not the prover's: refused before the proof.
    expect.tag = Some(venue.v.tag + Fp::one());
    assert!(matches!(
        venue.verdict_with(&venue.v.proof, &expect),
        Err(Rejection::Tag { .. })
    ));
}

/// H16: profile and epoch: a proof of another epoch's snapshot, or of another profile.
#[test]
fn profile_and_epoch() {
    let venue = Venue::load("small");
    let mut e = venue.envelope();
    e.epoch += 1;
    assert!(matches!(
        venue.verdict(&e.encode()),
        Err(Rejection::Epoch { .. })
    ));
    let mut e = venue.envelope();
    e.profile = "standard".into();
    assert!(matches!(
        venue.verdict(&e.encode()),
        Err(Rejection::Profile { .. })
    ));
    // The same contents published as the next epoch: the old proof is refused.
    let mut next = venue.v.snapshot.clone();
    next.epoch += 1;
    let mut expect = venue.expect();
    expect.snapshot = &next;
    assert!(matches!(
        venue.verdict_with(&venue.v.proof, &expect),
        Err(Rejection::Epoch { .. })
    ));
    let mut e = venue.envelope();
    e.epoch = next.epoch;
    e.snapshot_digest = next.digest();
    assert_eq!(
        venue.verdict_with(&e.encode(), &expect),
        Err(Rejection::Proof)
    );
}

/// H17: the batch path gives the single path's verdicts on the same statements: honest
/// passes, a statement the proof is not about fails; a statement of another profile than the
/// key is refused without a panic.
#[test]
fn batch_matches_single() {
    let venue = Venue::load("small");
    let e = venue.envelope();
    let statement = check(&e, &venue.expect()).unwrap();
    let good = (e.proof.clone(), statement.clone());
    assert!(venue
        .keys
        .verify_batch(std::slice::from_ref(&good))
        .is_empty());
    let mut other_tag = statement.clone();
    other_tag.account_tag += Fp::one();
    let mut other_level = statement.clone();
    other_level.level_ppm = 2_000_000;
    let mut other_order = statement.clone();
    other_order.order = Position::EMPTY;
    let mut other_venue = statement.clone();
    other_venue.venue_index = 1 - other_venue.venue_index;
    let items = vec![
        good.clone(),
        (e.proof.clone(), other_tag),
        (e.proof.clone(), other_level),
        (e.proof.clone(), other_order),
        (e.proof.clone(), other_venue),
        good.clone(),
    ];
    let rejected = venue.keys.verify_batch(&items);
    assert_eq!(
        rejected.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert!(rejected.iter().all(|(_, r)| *r == Rejection::Proof));

    // The small proof and statement against the standard key and parameters.
    let standard = Venue::load("standard");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        standard.keys.verify_batch(std::slice::from_ref(&good))
    }));
    let rejected = result.expect("a mismatched key must not panic");
    assert_eq!(rejected.len(), 1);
    // The standard statement against the small key.
    let se = standard.envelope();
    let ss = check(&se, &standard.expect()).unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        venue.keys.verify_batch(&[(se.proof.clone(), ss)])
    }));
    assert_eq!(result.expect("no panic").len(), 1);
}

// ---------------------------------------------------------------------------------------------
// publisher.rs

const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// H18: signatures: malleated `s` (s + L), a signature of the bare digest (no context), of
/// the previous epoch, under another key, and a snapshot read with --publisher semantics.
#[test]
fn publisher_signatures() {
    let s = small_snapshot();
    let secret = PublisherSecret::from_bytes(&[7; 32]);
    let signature = secret.sign(&s);
    let signed =
        read_signed_snapshot(&write_signed_snapshot(&s, Some(&signature)), "s.json").unwrap();
    assert_eq!(signed.require_publisher(&secret.public()), Ok(()));
    assert_eq!(signed.snapshot, s);
    assert_eq!(
        signing_message(&s.digest()).len(),
        b"zkmargin.snapshot/1 digest:".len() + 32
    );

    // s + L: the same signature to a lax verifier; refused by verify_strict.
    let mut malleated = signature;
    let mut carry = 0u16;
    for (byte, l) in malleated.signature[32..].iter_mut().zip(L) {
        let v = *byte as u16 + l as u16 + carry;
        *byte = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    let e =
        read_signed_snapshot(&write_signed_snapshot(&s, Some(&malleated)), "s.json").unwrap_err();
    assert_eq!(e.field, "signature");

    // Last epoch's signature on this epoch's snapshot (every other field identical).
    let mut next = s.clone();
    next.epoch += 1;
    let e = read_signed_snapshot(&write_signed_snapshot(&next, Some(&signature)), "s.json")
        .unwrap_err();
    assert_eq!(e.field, "signature");

    // Signed by another key: readable, refused when the venue pins the publisher.
    let other = PublisherSecret::from_bytes(&[8; 32]);
    let signed =
        read_signed_snapshot(&write_signed_snapshot(&s, Some(&other.sign(&s))), "s.json").unwrap();
    assert!(matches!(
        signed.require_publisher(&secret.public()),
        Err(SignatureError::OtherPublisher { .. })
    ));
    // Unsigned.
    let unsigned = read_signed_snapshot(&write_snapshot(&s), "s.json").unwrap();
    assert_eq!(
        unsigned.require_publisher(&secret.public()),
        Err(SignatureError::Missing)
    );
    // A signature without a key, a key without a signature.
    let text = write_signed_snapshot(&s, Some(&signature));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for drop in ["publisher_key", "signature"] {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove(drop);
        assert!(read_signed_snapshot(&v.to_string(), "s.json").is_err());
    }
}

/// H19: an option order's bucket is measured from `valid_from` (DESIGN.md), so the proof
/// cannot see that an option order expired between `valid_from` and the time of verification.
/// The venue refuses such an order itself, even when it does not pin the order; an option
/// expiring exactly at the time of verification is still taken.
#[test]
fn an_order_expired_at_verification_time_is_refused() {
    let venue = Venue::load("small");
    let s = &venue.v.snapshot;
    let mut e = venue.envelope();
    e.order = Position {
        kind: Kind::Call,
        underlying: 0,
        side: Side::Long,
        size: 1,
        price: 1,
        expiry: s.valid_from + 1,
    };
    let mut expect = venue.expect();
    expect.order = None;
    expect.at = e.order.expiry + 1;
    assert_eq!(
        check(&e, &expect).unwrap_err(),
        Rejection::OrderExpired {
            expiry: e.order.expiry,
            at: expect.at,
        }
    );
    expect.at = e.order.expiry;
    let statement = check(&e, &expect).expect("not expired yet");
    assert_eq!(statement.order, e.order);
}
