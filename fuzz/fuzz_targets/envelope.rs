//! The proof file decoder (a certificate and its grant), then the venue's cheap checks against a fixed snapshot: any
//! bytes are decoded or refused, never a panic; what decodes re-encodes to the same bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::certificate::Certificate;
use zkmargin_formats::snapshot::read_snapshot;
use zkmargin_verifier::envelope::Envelope;
use zkmargin_verifier::verify::{check, Expectation};

/// The small vector's snapshot, read once.
fn snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        read_snapshot(
            include_str!("../../tests/vectors/small.snapshot.json"),
            "small.snapshot.json",
        )
        .expect("the vector's snapshot")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok((envelope, grant)) = Envelope::decode(data) else {
        return;
    };
    assert_eq!(envelope.encode(), data, "decoding is exact");
    let certificate = Certificate::decode(&envelope.certificate).expect("checked by decode");
    let snapshot = snapshot();
    let expect = Expectation {
        snapshot,
        venue_index: 0,
        tag: None,
        min_level_ppm: 1_000_000,
        at: snapshot.valid_from,
    };
    let digest = Certificate::digest_of(&envelope.certificate);
    let _ = check(&certificate, &digest, &grant, &expect);
});
