//! An account file against a fixed snapshot (`fuzz/fixtures/snapshot.json`, the example
//! network's): any text is read or refused with a one-line error, never a panic; an account
//! that reads writes back to one that reads the same.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::snapshot::read_snapshot;
use zkmargin_formats::account::{read_account, write_account};

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
    match read_account(text, "alice.json", snapshot) {
        Ok(account) => {
            let written = write_account(&account, snapshot);
            let again =
                read_account(&written, "written", snapshot).expect("a written account reads back");
            assert_eq!(write_account(&again, snapshot), written);
        }
        Err(e) => assert!(!e.to_string().contains('\n')),
    }
});
