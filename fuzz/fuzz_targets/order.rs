//! `--order`: any text is an order under the fixture snapshot or refused with a one-line
//! error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkmargin_circuits::snapshot_json::read_snapshot;
use zkmargin_prover::network::parse_order;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let snapshot = read_snapshot(include_str!("../fixtures/snapshot.json"), "snapshot.json")
        .expect("the fixture snapshot");
    if let Err(e) = parse_order(text, &snapshot, "--order") {
        assert!(!e.to_string().contains('\n'));
    }
});
