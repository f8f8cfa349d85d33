//! The proof envelope decoder, then the venue's cheap checks against a fixed snapshot: any
//! bytes are decoded or refused, never a panic; what decodes re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkmargin_circuits::snapshot_json::read_snapshot;
use zkmargin_verifier::envelope::Envelope;
use zkmargin_verifier::verify::{check, Expectation};

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = Envelope::decode(data) else {
        return;
    };
    assert_eq!(envelope.encode(), data, "decoding is exact");
    let snapshot = read_snapshot(
        include_str!("../../tests/vectors/small.snapshot.json"),
        "small.snapshot.json",
    )
    .expect("the vector's snapshot");
    let expect = Expectation {
        snapshot: &snapshot,
        venue_index: 0,
        tag: None,
        min_level_ppm: 1_000_000,
        order: None,
        at: snapshot.valid_from,
    };
    let _ = check(&envelope, &expect);
});
