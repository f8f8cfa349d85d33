//! What a venue refuses, from an independent review of its side (can a venue be made to accept
//! what it should refuse?): the snapshot digest covers every public field and its encoding is
//! injective; the snapshot parser refuses duplicates, unknown fields, inexact numbers and
//! non-canonical elements; the certificate and the proof file decode exactly; freshness,
//! level, venue, grant, epoch and profile are checked at their edges; an order is charged
//! against the line of a one-order proof (`order_within_line`); batch and single verification
//! agree; publisher signatures are domain-separated and strict. `by_design_...` tests document
//! acceptances the design asks for (no tag registered: any account's certificate).
//!
//! The honest certificate is the frozen small vector (`tests/vectors`), the sample book of
//! `zkmargin_testing::fixtures` with lines at both venues; the order tests share one real
//! one-order proof of that book (`prove`, a few seconds).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use ff::PrimeField;
use zkmargin_circuits::charge::{default_fill, order_charge};
use zkmargin_circuits::hash::{account_tag, fp_to_hex, nullifier, Fp};
use zkmargin_circuits::margin::{Kind, MarginError, Order, Position, Side};
use zkmargin_circuits::profile::{DESK, LARGE, SMALL, STANDARD};
use zkmargin_circuits::snapshot::{Member, Snapshot};
use zkmargin_formats::account::Account;
use zkmargin_formats::binary::FrameError;
use zkmargin_formats::certificate::{Certificate, CertificateError};
use zkmargin_formats::grant::{read_grant, write_grant, Grant};
use zkmargin_formats::publisher_key::PublisherSecret;
use zkmargin_formats::snapshot::{read_snapshot, write_signed_snapshot, write_snapshot};
use zkmargin_prover::prove;
use zkmargin_prover::vectors::{read_vector, Vector};
use zkmargin_testing::fixtures::{fixture, position, LINE_SALT, SAMPLE_LINES};
use zkmargin_verifier::envelope::{Envelope, EnvelopeError};
use zkmargin_verifier::publisher::{
    read_signed_snapshot, signing_message, SignSnapshot, SignatureError,
};
use zkmargin_verifier::verify::{check, order_within_line, Expectation, Rejection};
use zkmargin_verifier::{Accepted, VerifierKeys};

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
            tag: Some(self.v.grant.tag),
            min_level_ppm: self.v.level_ppm,
            at: self.v.at,
        }
    }

    fn certificate(&self) -> Certificate {
        Certificate::decode(&self.v.certificate).unwrap()
    }

    fn grant(&self) -> Grant {
        self.v.grant.clone()
    }

    /// The certificate edited and re-encoded, with the vector's grant re-pointed at it (the
    /// trader writes the grant: a cheat re-points it too).
    fn edited(&self, edit: impl FnOnce(&mut Certificate)) -> (Vec<u8>, Grant) {
        let mut c = self.certificate();
        edit(&mut c);
        let bytes = c.encode();
        let grant = Grant {
            certificate: Certificate::digest_of(&bytes),
            ..self.grant()
        };
        (bytes, grant)
    }

    /// The venue's whole check of a certificate file's bytes with a grant.
    fn verify(
        &self,
        bytes: &[u8],
        grant: &Grant,
        expect: &Expectation<'_>,
    ) -> Result<Accepted, Rejection> {
        self.keys.verify(bytes, grant, expect)
    }

    fn verdict_with(
        &self,
        bytes: &[u8],
        grant: &Grant,
        expect: &Expectation<'_>,
    ) -> Result<(), Rejection> {
        self.verify(bytes, grant, expect).map(|_| ())
    }

    fn verdict(&self, bytes: &[u8], grant: &Grant) -> Result<(), Rejection> {
        self.verdict_with(bytes, grant, &self.expect())
    }

    /// The honest certificate and grant under `expect`.
    fn honest_with(&self, expect: &Expectation<'_>) -> Result<(), Rejection> {
        self.verdict_with(&self.v.certificate, &self.v.grant, expect)
    }
}

fn small_snapshot() -> Snapshot {
    vector("small").snapshot
}

/// The grant of the small vector's certificate for venue 1 (`hyperliquid`), from the
/// fixture's secrets: the same certificate serves every venue, each with its own grant.
fn second_grant(venue: &Venue) -> Grant {
    let f = fixture(SMALL);
    assert_eq!(f.snapshot, venue.v.snapshot, "the vector is the fixture's");
    let member = &f.snapshot.venues[1];
    Grant {
        venue: member.name.clone(),
        venue_id: member.id,
        tag: account_tag(f.witness.sk, member.id),
        allowance_uusd: SAMPLE_LINES[1],
        salt: Fp::from(LINE_SALT + 1),
        ..venue.grant()
    }
}

/// `value + p` as 32 little-endian bytes (fits in 256 bits since value < p < 2^255).
fn plus_modulus(value: [u8; 32]) -> [u8; 32] {
    let minus_one = (-Fp::one()).to_repr();
    // p = (p - 1) + 1, then value + p.
    let mut p = minus_one;
    for byte in p.iter_mut() {
        let (v, carry) = byte.overflowing_add(1);
        *byte = v;
        if !carry {
            break;
        }
    }
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = value[i] as u16 + p[i] as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

/// A one-order proof of the sample book (a long 0.01 BTC perpetual at venue 0, level 1),
/// made once with `prove` and verified at venue 0.
struct OneOrder {
    snapshot: Snapshot,
    order: Position,
    charge: u128,
    /// The proof file's certificate and grant.
    certificate: Vec<u8>,
    grant: Grant,
    accepted: Accepted,
}

fn one_order() -> &'static OneOrder {
    static ONE: OnceLock<OneOrder> = OnceLock::new();
    ONE.get_or_init(|| {
        std::env::set_var("ZKMARGIN_QUIET", "1");
        let f = fixture(SMALL);
        let s = f.snapshot.clone();
        let account = Account {
            name: "alice".into(),
            profile: SMALL,
            epoch: s.epoch,
            snapshot_digest: s.digest(),
            sk: f.witness.sk,
            idx: f.witness.idx,
            book: f.book.clone(),
            chain_openings: f.witness.chain_openings[..s.chains.len()].to_vec(),
            venue_openings: f.witness.venue_openings[..s.venues.len()].to_vec(),
        };
        let order = position(Kind::Perp, 0, Side::Long, 10_000_000, s.assets[0].price, 0);
        let proved = prove(&s, &account, 0, 1_000_000, Some(order)).unwrap();
        let (envelope, grant) = Envelope::decode(&proved.envelope.encode()).unwrap();
        let keys = VerifierKeys::for_profile(SMALL).unwrap();
        let expect = Expectation {
            snapshot: &s,
            venue_index: 0,
            tag: Some(proved.tag),
            min_level_ppm: 1_000_000,
            at: s.valid_from,
        };
        let accepted = keys.verify(&envelope.certificate, &grant, &expect).unwrap();
        OneOrder {
            order,
            charge: proved.charge,
            certificate: envelope.certificate,
            grant,
            accepted,
            snapshot: s,
        }
    })
}

/// The charge of `order` at venue `v` of the one-order snapshot, at level 1 (the engine's).
fn charge_of(o: &OneOrder, v: usize, order: &Position) -> u128 {
    let params = o.snapshot.risk_params();
    let order = Order {
        venue: v,
        position: *order,
    };
    let fill = default_fill(&params, &order).unwrap();
    order_charge(&params, &order, fill, 1_000_000)
        .unwrap()
        .total
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
        ("profile desk", Box::new(|s| s.profile = DESK)),
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
/// file, but any certificate made against the original is refused (digest mismatch); and a
/// certificate relabelled with the new digest (its grant re-pointed) does not verify.
#[test]
fn a_changed_snapshot_does_not_accept_the_old_certificate() {
    let venue = Venue::load("small");
    let mut changed = venue.v.snapshot.clone();
    changed.haircuts_ppm[0][0] = 0; // a friendlier haircut
    let changed = read_snapshot(&write_snapshot(&changed), "s.json").unwrap();
    let mut expect = venue.expect();
    expect.snapshot = &changed;
    assert_eq!(venue.honest_with(&expect), Err(Rejection::Digest));
    let (bytes, grant) = venue.edited(|c| c.snapshot_digest = changed.digest());
    assert_eq!(
        venue.verdict_with(&bytes, &grant, &expect),
        Err(Rejection::Proof)
    );
}

// ---------------------------------------------------------------------------------------------
// formats/src/certificate.rs and envelope.rs

/// H9: exact decoding of the certificate file and of the proof file: version, profile names
/// close to a real one, trailing bytes, a bad magic, a proof vector whose length prefix lies,
/// a certificate or a grant inside the proof file that is not one, one file kind for another.
#[test]
fn certificate_and_proof_file_decoding_is_exact() {
    let venue = Venue::load("small");
    let c = venue.certificate();
    assert_eq!(
        c.encode(),
        venue.v.certificate,
        "the committed file is canonical"
    );
    for name in ["Small", "small\0", " small", "SMALL", "", "smal"] {
        let mut bad = c.clone();
        bad.profile = name.into();
        assert_eq!(
            Certificate::decode(&bad.encode()),
            Err(CertificateError::Profile(name.into())),
            "{name:?}"
        );
    }
    for version in [0u16, 2, u16::MAX] {
        let mut bad = c.clone();
        bad.version = version;
        assert_eq!(
            Certificate::decode(&bad.encode()),
            Err(CertificateError::Version(version))
        );
    }
    let mut longer = c.encode();
    longer.push(0);
    assert_eq!(
        Certificate::decode(&longer),
        Err(CertificateError::Frame(FrameError::Trailing(1)))
    );
    assert!(matches!(
        venue.verdict(&longer, &venue.grant()),
        Err(Rejection::Certificate(CertificateError::Frame(
            FrameError::Trailing(1)
        )))
    ));
    let mut magic = c.encode();
    magic[0] ^= 0x20; // "zKMCERT"
    assert!(matches!(
        Certificate::decode(&magic),
        Err(CertificateError::Frame(FrameError::Magic(_)))
    ));
    // The proof's length prefix (the 8 bytes before the proof) one more or one less.
    let bytes = c.encode();
    let at = bytes.len() - c.proof.len() - 8;
    let len = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    assert_eq!(len as usize, c.proof.len());
    for other in [len - 1, len + 1, u64::MAX] {
        let mut bad = bytes.clone();
        bad[at..at + 8].copy_from_slice(&other.to_le_bytes());
        assert!(Certificate::decode(&bad).is_err(), "length {other}");
        let grant = Grant {
            certificate: Certificate::digest_of(&bad),
            ..venue.grant()
        };
        assert!(venue.verdict(&bad, &grant).is_err());
    }
    // Non-UTF-8 profile bytes.
    let mut bytes = c.encode();
    let p = bytes
        .windows(5)
        .position(|w| w == b"small")
        .expect("profile bytes");
    bytes[p] = 0xff;
    assert!(Certificate::decode(&bytes).is_err());

    // The proof file: the certificate and its grant, exactly.
    let e = Envelope::new(venue.v.certificate.clone(), &venue.v.grant);
    let file = e.encode();
    assert_eq!(Envelope::decode(&file), Ok((e.clone(), venue.grant())));
    for version in [0u16, 1, 3, u16::MAX] {
        let mut bad = e.clone();
        bad.version = version;
        assert_eq!(
            Envelope::decode(&bad.encode()),
            Err(EnvelopeError::Version(version))
        );
    }
    let mut longer = file.clone();
    longer.push(0);
    assert_eq!(Envelope::decode(&longer), Err(EnvelopeError::Trailing(1)));
    let mut magic = file.clone();
    magic[0] ^= 0x20; // "zKMARGIN"
    assert_eq!(Envelope::decode(&magic), Err(EnvelopeError::Magic));
    // One file kind for the other: refused by the magic.
    assert_eq!(
        Envelope::decode(&venue.v.certificate),
        Err(EnvelopeError::Magic)
    );
    assert!(matches!(
        Certificate::decode(&file),
        Err(CertificateError::Frame(FrameError::Magic(_)))
    ));
    // A certificate inside that does not decode (a profile name off by a letter, a byte more).
    let mut bad = e.clone();
    let mut inner = c.clone();
    inner.profile = "smal".into();
    bad.certificate = inner.encode();
    assert!(matches!(
        Envelope::decode(&bad.encode()),
        Err(EnvelopeError::Certificate(_))
    ));
    let mut bad = e.clone();
    bad.certificate.push(0);
    assert!(matches!(
        Envelope::decode(&bad.encode()),
        Err(EnvelopeError::Certificate(_))
    ));
    // A grant inside that is not a grant file: not JSON, an unknown field, a missing one.
    let text = write_grant(&venue.v.grant);
    for grant in [
        "not json".to_string(),
        text.replacen("\"venue\":", "\"venue2\": 1, \"venue\":", 1),
        text.replacen("\"salt\":", "\"pepper\":", 1),
        String::new(),
    ] {
        let mut bad = e.clone();
        bad.grant = grant.clone();
        assert!(
            matches!(
                Envelope::decode(&bad.encode()),
                Err(EnvelopeError::Grant(_))
            ),
            "{grant:?}"
        );
    }
}

/// H10: field elements must be canonical: the modulus itself, p + value (the same element
/// mod p) and all-ones are refused, not reduced: the nullifier and the commitments in the
/// certificate (whether or not the venue checks a tag), the tag and the salt in the grant.
#[test]
fn non_canonical_elements_are_refused() {
    let venue = Venue::load("small");
    let c = venue.certificate();
    let p = plus_modulus([0; 32]);
    for bad in [p, plus_modulus(c.nullifier), [0xff; 32]] {
        let (bytes, grant) = venue.edited(|c| c.nullifier = bad);
        let want = Err(Rejection::Certificate(CertificateError::NonCanonical(
            "the nullifier",
        )));
        assert_eq!(venue.verdict(&bytes, &grant), want);
        // Also when the venue does not check the tag.
        let mut expect = venue.expect();
        expect.tag = None;
        assert_eq!(venue.verdict_with(&bytes, &grant, &expect), want);
    }
    for v in 0..c.commitments.len() {
        for bad in [p, plus_modulus(c.commitments[v])] {
            let (bytes, grant) = venue.edited(|c| c.commitments[v] = bad);
            assert_eq!(
                venue.verdict(&bytes, &grant),
                Err(Rejection::Certificate(CertificateError::NonCanonical(
                    "a commitment"
                ))),
                "commitment {v}"
            );
        }
    }
    // The grant file: its tag, salt or nullifier spelt as the modulus, or as value + p.
    let text = write_grant(&venue.v.grant);
    let hex = |bytes: [u8; 32]| {
        let mut be = bytes;
        be.reverse();
        format!(
            "0x{}",
            be.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    };
    assert_eq!(
        hex(venue.v.grant.tag.to_repr()),
        fp_to_hex(&venue.v.grant.tag)
    );
    for (field, value) in [
        ("tag", venue.v.grant.tag),
        ("salt", venue.v.grant.salt),
        ("nullifier", venue.v.grant.nullifier),
    ] {
        for bad in [hex(p), hex(plus_modulus(value.to_repr()))] {
            let edited = text.replacen(&fp_to_hex(&value), &bad, 1);
            assert_ne!(edited, text);
            let e = read_grant(&edited, "g.json").unwrap_err();
            assert_eq!(e.field, field, "{bad}");
        }
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
        let verdict = venue.honest_with(&expect);
        assert_eq!(verdict.is_ok(), ok, "at {at}: {verdict:?}");
        if at < s.valid_from {
            assert!(matches!(verdict, Err(Rejection::NotYetValid { .. })));
        }
        if at > s.valid_until {
            assert!(matches!(verdict, Err(Rejection::Expired { .. })));
        }
    }
}

/// H12: the level: a lower demand accepts (by design: the certificate shows more), a higher
/// one refuses; a level outside [1e6, 1e7] in the certificate is refused before the proof.
#[test]
fn levels() {
    let venue = Venue::load("small");
    assert_eq!(venue.v.level_ppm, 1_000_000);
    let mut expect = venue.expect();
    expect.min_level_ppm = 0;
    assert_eq!(venue.honest_with(&expect), Ok(()));
    expect.min_level_ppm = 1_000_001;
    assert!(matches!(
        venue.honest_with(&expect),
        Err(Rejection::Level { .. })
    ));
    for bad in [0u64, 999_999, 10_000_001, u64::MAX] {
        let (bytes, grant) = venue.edited(|c| c.level_ppm = bad);
        assert_eq!(
            venue.verdict(&bytes, &grant),
            Err(Rejection::LevelRange(bad))
        );
    }
    // The certificate claims a higher level than proven, at a venue that demands it.
    let (bytes, grant) = venue.edited(|c| c.level_ppm = 2_000_000);
    let mut expect = venue.expect();
    expect.min_level_ppm = 2_000_000;
    assert_eq!(
        venue.verdict_with(&bytes, &grant, &expect),
        Err(Rejection::Proof)
    );
    // The accepted line carries the certificate's level: orders are charged at it.
    let accepted = venue
        .verify(&venue.v.certificate, &venue.v.grant, &venue.expect())
        .unwrap();
    assert_eq!(accepted.line.level_ppm, 1_000_000);
}

/// H13: the order of a one-order proof file is charged by the venue against the line the
/// file's grant opens (`order_within_line`), valued at the snapshot price and at the
/// certificate's level: the order itself fits exactly, a dearer one does not, and an order the
/// snapshot cannot value is refused.
#[test]
fn orders() {
    let o = one_order();
    let s = &o.snapshot;
    let line = |order: &Position| order_within_line(&o.accepted, s, 0, order, s.valid_from);
    assert_eq!(o.accepted.line.allowance, o.charge);
    assert_eq!(line(&o.order), Ok(o.charge));
    // The venue's order with any entry price is valued at the snapshot price: the same charge.
    let mut with_entry = o.order;
    with_entry.price = 1;
    assert_eq!(line(&with_entry), Ok(o.charge));
    // By design the line is spent by charge, not by order: a perpetual of the same size the
    // other way costs the same (filled at the snapshot price, no cash out) and fits.
    let mut short = o.order;
    short.side = Side::Short;
    assert_eq!(line(&short), Ok(o.charge));
    let mut half = o.order;
    half.size /= 2;
    assert_eq!(line(&half), Ok(charge_of(o, 0, &half)));
    assert!(charge_of(o, 0, &half) < o.charge);
    // Dearer orders: twice the size, or one uusd's worth more size until it costs more.
    let mut double = o.order;
    double.size *= 2;
    assert_eq!(
        line(&double),
        Err(Rejection::OverLine {
            charge: charge_of(o, 0, &double),
            allowance: o.charge
        })
    );
    let mut more = o.order;
    while charge_of(o, 0, &more) == o.charge {
        more.size += 1;
    }
    assert!(matches!(line(&more), Err(Rejection::OverLine { .. })));
    // The portfolio charge (version 3) has no venue rates: the same order costs the same at
    // the other venue.
    assert_eq!(charge_of(o, 1, &o.order), o.charge);
    // Orders the snapshot cannot value.
    let mut dirty = Position::EMPTY;
    dirty.size = 1;
    let mut perp_with_expiry = o.order;
    perp_with_expiry.expiry = s.valid_from + 60;
    let unlisted = s.assets.len();
    let mut on_unlisted = o.order;
    on_unlisted.underlying = unlisted;
    let mut on_huge = o.order;
    on_huge.underlying = usize::MAX;
    for (order, want) in [
        (dirty, MarginError::DirtyEmptySlot),
        (perp_with_expiry, MarginError::PerpWithExpiry),
        (on_unlisted, MarginError::UnknownAsset(unlisted)),
        (on_huge, MarginError::UnknownAsset(usize::MAX)),
    ] {
        assert_eq!(
            line(&order),
            Err(Rejection::InvalidOrder(want)),
            "{order:?}"
        );
    }
    // An option order that expired before the epoch.
    let expired = Position {
        kind: Kind::Call,
        underlying: 0,
        side: Side::Short,
        size: 1,
        price: 1,
        expiry: s.valid_from - 1,
    };
    assert!(matches!(
        line(&expired),
        Err(Rejection::OrderExpired { .. })
    ));
}

/// H13b: the one-order proof file's grant opens its own certificate only: with the vector's
/// certificate (the same account, snapshot and epoch, hence the same nullifier) it is
/// refused for naming another certificate, and re-pointed at it, for not opening its
/// commitment.
#[test]
fn a_one_order_grant_opens_its_own_certificate_only() {
    let o = one_order();
    let venue = Venue::load("small");
    assert_eq!(o.snapshot, venue.v.snapshot);
    assert_eq!(
        o.grant.nullifier, venue.v.grant.nullifier,
        "one account, one epoch"
    );
    assert_eq!(
        venue.verdict(&venue.v.certificate, &o.grant),
        Err(Rejection::GrantCertificate)
    );
    let repointed = Grant {
        certificate: venue.v.grant.certificate,
        ..o.grant.clone()
    };
    assert_eq!(
        venue.verdict(&venue.v.certificate, &repointed),
        Err(Rejection::Commitment)
    );
    // And the vector's grant with the one-order certificate.
    assert_eq!(
        venue.verdict(&o.certificate, &venue.v.grant),
        Err(Rejection::GrantCertificate)
    );
    assert_eq!(venue.verdict(&o.certificate, &o.grant), Ok(()));
}

/// H14: venue: another venue of the snapshot, an index out of range, a grant relabelled for
/// the other venue; the same certificate with the other venue's own grant is taken there.
#[test]
fn venues() {
    let venue = Venue::load("small");
    let other = 1 - venue.v.venue_index;
    let mut expect = venue.expect();
    expect.venue_index = other;
    expect.tag = None;
    assert!(matches!(
        venue.honest_with(&expect),
        Err(Rejection::Venue { .. })
    ));
    expect.venue_index = 99;
    assert!(matches!(
        venue.honest_with(&expect),
        Err(Rejection::Venue { expected: 0, .. })
    ));
    // The other venue's own grant: taken there, with its own line.
    let second = second_grant(&venue);
    let mut there = venue.expect();
    there.venue_index = other;
    there.tag = Some(second.tag);
    let accepted = venue.verify(&venue.v.certificate, &second, &there).unwrap();
    assert_eq!(accepted.line.allowance, SAMPLE_LINES[1]);
    assert_eq!(accepted.line.tag, second.tag);
    // ... and refused here.
    assert!(matches!(
        venue.verdict(&venue.v.certificate, &second),
        Err(Rejection::Venue { .. })
    ));
    // This venue's grant relabelled for the other venue (its id and name), presented there:
    // not the registered tag; and without a tag check, it does not open that commitment.
    let relabelled = Grant {
        venue: second.venue.clone(),
        venue_id: second.venue_id,
        ..venue.grant()
    };
    assert!(matches!(
        venue.verdict_with(&venue.v.certificate, &relabelled, &there),
        Err(Rejection::Tag { .. })
    ));
    there.tag = None;
    assert_eq!(
        venue.verdict_with(&venue.v.certificate, &relabelled, &there),
        Err(Rejection::Commitment)
    );
}

/// H15 (by design, documented in `Expectation::tag` and printed as a note by the CLI): a venue
/// that gives no registered tag accepts the certificate of whichever account made it, under
/// the grant's tag. A venue must compare the reported tag itself, or pass `--tag`.
#[test]
fn by_design_any_tag_is_accepted_when_none_is_registered() {
    let venue = Venue::load("small");
    let mut expect = venue.expect();
    expect.tag = None;
    let accepted = venue
        .verify(&venue.v.certificate, &venue.v.grant, &expect)
        .unwrap();
    assert_eq!(accepted.line.tag, venue.v.grant.tag);
    // With a registered tag that is not the prover's: refused before the proof.
    expect.tag = Some(venue.v.grant.tag + Fp::one());
    assert!(matches!(
        venue.honest_with(&expect),
        Err(Rejection::Tag { .. })
    ));
}

/// H15b: the grant must open this certificate's commitment at this venue: a grant naming
/// another certificate, another nullifier, another line or salt, another tag, a line of 2^100
/// or more, or the grant of a certificate made against another snapshot.
#[test]
fn grants_that_do_not_open_this_certificate_are_refused() {
    let venue = Venue::load("small");
    let cert = &venue.v.certificate;
    let refuse = |edit: &dyn Fn(&mut Grant), expect: &Expectation<'_>| {
        let mut grant = venue.grant();
        edit(&mut grant);
        venue.verdict_with(cert, &grant, expect).unwrap_err()
    };
    let here = venue.expect();
    let mut untagged = venue.expect();
    untagged.tag = None;
    assert_eq!(
        refuse(&|g| g.certificate[0] ^= 1, &here),
        Rejection::GrantCertificate
    );
    assert_eq!(
        refuse(&|g| g.nullifier += Fp::one(), &here),
        Rejection::GrantNullifier
    );
    for (what, edit) in [
        (
            "allowance + 1",
            Box::new(|g: &mut Grant| g.allowance_uusd += 1) as Box<dyn Fn(&mut Grant)>,
        ),
        (
            "allowance - 1",
            Box::new(|g: &mut Grant| g.allowance_uusd -= 1),
        ),
        (
            "allowance 0",
            Box::new(|g: &mut Grant| g.allowance_uusd = 0),
        ),
        ("salt", Box::new(|g: &mut Grant| g.salt += Fp::one())),
        (
            "the other venue's salt",
            Box::new(|g: &mut Grant| g.salt = Fp::from(LINE_SALT + 1)),
        ),
    ] {
        assert_eq!(refuse(&*edit, &here), Rejection::Commitment, "{what}");
        assert_eq!(refuse(&*edit, &untagged), Rejection::Commitment, "{what}");
    }
    // Another tag: not the registered one; unregistered, it does not open the commitment.
    assert!(matches!(
        refuse(&|g| g.tag += Fp::one(), &here),
        Rejection::Tag { .. }
    ));
    assert_eq!(
        refuse(&|g| g.tag += Fp::one(), &untagged),
        Rejection::Commitment
    );
    // A line the circuit cannot carry.
    assert_eq!(
        refuse(&|g| g.allowance_uusd = 1 << 100, &here),
        Rejection::LineRange(1 << 100)
    );
    assert_eq!(
        refuse(&|g| g.allowance_uusd = u128::MAX, &untagged),
        Rejection::LineRange(u128::MAX)
    );
    // The grant of the standard vector (another snapshot, the same venue id and account).
    let standard = vector("standard");
    assert_eq!(standard.grant.venue_id, venue.v.grant.venue_id);
    assert_eq!(
        venue.verdict_with(cert, &standard.grant, &untagged),
        Err(Rejection::GrantCertificate)
    );
    // Only that digest tells them apart: the fixtures share the account, epoch, venue, line
    // and salt, so re-pointed at this certificate the standard grant is this very grant.
    let repointed = Grant {
        certificate: venue.v.grant.certificate,
        ..standard.grant.clone()
    };
    assert_eq!(repointed, venue.v.grant);
    // The grant of the same account's certificate of the next epoch: its nullifier.
    let f = fixture(SMALL);
    let next_epoch = Grant {
        nullifier: nullifier(f.witness.sk, venue.v.snapshot.epoch + 1),
        ..venue.grant()
    };
    assert_eq!(
        venue.verdict_with(cert, &next_epoch, &untagged),
        Err(Rejection::GrantNullifier)
    );
}

/// H16: profile and epoch: a certificate of another epoch's snapshot, or of another profile.
#[test]
fn profile_and_epoch() {
    let venue = Venue::load("small");
    let (bytes, grant) = venue.edited(|c| c.epoch += 1);
    assert!(matches!(
        venue.verdict(&bytes, &grant),
        Err(Rejection::Epoch { .. })
    ));
    // Another profile's name: the certificate no longer decodes (a small certificate has the
    // small profile's number of commitments); handed to `check` as decoded, it is refused by
    // profile.
    let (bytes, grant) = venue.edited(|c| c.profile = "standard".into());
    assert!(matches!(
        venue.verdict(&bytes, &grant),
        Err(Rejection::Certificate(CertificateError::Commitments { .. }))
    ));
    let mut relabelled = venue.certificate();
    relabelled.profile = "standard".into();
    assert!(matches!(
        check(&relabelled, &grant.certificate, &grant, &venue.expect()),
        Err(Rejection::Profile { .. })
    ));
    // The same contents published as the next epoch: the old certificate is refused.
    let mut next = venue.v.snapshot.clone();
    next.epoch += 1;
    let mut expect = venue.expect();
    expect.snapshot = &next;
    assert!(matches!(
        venue.honest_with(&expect),
        Err(Rejection::Epoch { .. })
    ));
    let (bytes, grant) = venue.edited(|c| {
        c.epoch = next.epoch;
        c.snapshot_digest = next.digest();
    });
    assert_eq!(
        venue.verdict_with(&bytes, &grant, &expect),
        Err(Rejection::Proof)
    );
}

/// H17: the batch paths give the single path's verdicts: `verify_batch` on statements (honest
/// passes, a statement the proof is not about fails), `verify_certificates` on files and grants
/// (each answer is `verify`'s); a statement of another profile than the key is refused
/// without a panic.
#[test]
fn batch_matches_single() {
    let venue = Venue::load("small");
    let c = venue.certificate();
    let statement = check(
        &c,
        &Certificate::digest_of(&venue.v.certificate),
        &venue.v.grant,
        &venue.expect(),
    )
    .unwrap()
    .statement;
    let good = (c.proof.clone(), statement.clone());
    assert!(venue
        .keys
        .verify_batch(std::slice::from_ref(&good))
        .is_empty());
    let mut other_nullifier = statement.clone();
    other_nullifier.nullifier += Fp::one();
    let mut other_level = statement.clone();
    other_level.level_ppm = 2_000_000;
    let mut other_line = statement.clone();
    other_line.commitments[1] += Fp::one();
    let mut swapped_lines = statement.clone();
    swapped_lines.commitments.swap(0, 1);
    let mut other_count = statement.clone();
    other_count.venue_count = 1;
    let items = vec![
        good.clone(),
        (c.proof.clone(), other_nullifier),
        (c.proof.clone(), other_level),
        (c.proof.clone(), other_line),
        (c.proof.clone(), swapped_lines),
        (c.proof.clone(), other_count),
        good.clone(),
    ];
    let rejected = venue.keys.verify_batch(&items);
    assert_eq!(
        rejected.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert!(rejected.iter().all(|(_, r)| *r == Rejection::Proof));

    // Files and grants: the batch's answers are the single verifier's, in order.
    let honest = (venue.v.certificate.clone(), venue.grant());
    let higher = venue.edited(|c| c.level_ppm = 1_500_000);
    let flipped = venue.edited(|c| c.proof[100] ^= 1);
    let mut trailing = honest.clone();
    trailing.0.push(0);
    let mut other_nullifier = honest.clone();
    other_nullifier.1.nullifier += Fp::one();
    let second = (venue.v.certificate.clone(), second_grant(&venue));
    let files = [
        honest.clone(),
        higher,
        flipped,
        trailing,
        other_nullifier,
        second,
        honest,
    ];
    let mut expect = venue.expect();
    expect.tag = None;
    let items: Vec<(&[u8], &Grant)> = files.iter().map(|(b, g)| (b.as_slice(), g)).collect();
    let batch = venue.keys.verify_certificates(&items, &expect);
    let single: Vec<_> = files
        .iter()
        .map(|(b, g)| venue.verify(b, g, &expect))
        .collect();
    assert_eq!(batch, single);
    let verdicts: Vec<_> = batch
        .iter()
        .map(|r| r.as_ref().map(|_| ()).map_err(Clone::clone))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            Ok(()),
            Err(Rejection::Proof),
            Err(Rejection::Proof),
            Err(Rejection::Certificate(CertificateError::Frame(
                FrameError::Trailing(1)
            ))),
            Err(Rejection::GrantNullifier),
            Err(Rejection::Venue {
                grant: second_grant(&venue).venue_id,
                expected: venue.v.grant.venue_id
            }),
            Ok(()),
        ]
    );

    // The small proof and statement against the standard key and parameters.
    let standard = Venue::load("standard");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        standard.keys.verify_batch(std::slice::from_ref(&good))
    }));
    let rejected = result.expect("a mismatched key must not panic");
    assert_eq!(rejected.len(), 1);
    // The standard statement against the small key.
    let sc = standard.certificate();
    let ss = check(
        &sc,
        &Certificate::digest_of(&standard.v.certificate),
        &standard.v.grant,
        &standard.expect(),
    )
    .unwrap()
    .statement;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        venue.keys.verify_batch(&[(sc.proof.clone(), ss)])
    }));
    assert_eq!(result.expect("no panic").len(), 1);
    // The small certificate handed to the standard venue's batch: refused by profile.
    let small_file: (&[u8], &Grant) = (&venue.v.certificate, &venue.v.grant);
    let answers = standard
        .keys
        .verify_certificates(&[small_file], &standard.expect());
    assert!(matches!(answers[0], Err(Rejection::Profile { .. })));
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
/// The venue refuses such an order itself (`order_within_line`); an option expiring exactly at
/// the time of verification is still taken.
#[test]
fn an_order_expired_at_verification_time_is_refused() {
    let o = one_order();
    // An option expiring a second into the epoch, listed in a copy of the snapshot's table
    // (the venue reads the table it checked against the root; the row's figures do not matter
    // here, only that the instrument is listed).
    let mut s = o.snapshot.clone();
    let mut row = s
        .risk_table
        .rows
        .iter()
        .find(|r| r.key.kind.is_option())
        .expect("the fixture lists an option")
        .clone();
    row.key.expiry = s.valid_from + 1;
    s.risk_table.rows.push(row.clone());
    s.risk_table.rows.sort_by(|a, b| a.key.cmp(&b.key));
    let order = Position {
        kind: row.key.kind,
        underlying: row.key.underlying,
        side: Side::Long,
        size: 1,
        price: row.key.strike,
        expiry: row.key.expiry,
    };
    let at = order.expiry + 1;
    assert_eq!(
        order_within_line(&o.accepted, &s, 0, &order, at),
        Err(Rejection::OrderExpired {
            expiry: order.expiry,
            at,
        })
    );
    assert!(
        order_within_line(&o.accepted, &s, 0, &order, order.expiry).is_ok(),
        "not expired yet"
    );
}
