//! `--order`: any text is an order under the fixture snapshot or refused with a one-line
//! error, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::snapshot::read_snapshot;
use zkmargin_formats::position::parse_order;

/// The fixture snapshot, read once.
fn snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        read_snapshot(include_str!("../fixtures/snapshot.json"), "snapshot.json")
            .expect("the fixture snapshot")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let snapshot = snapshot();
    if let Err(e) = parse_order(text, snapshot, "--order") {
        assert!(!e.to_string().contains('\n'));
    }
});
