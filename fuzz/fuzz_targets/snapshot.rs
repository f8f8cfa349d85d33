//! `snapshot.json`: any text is read or refused with a one-line error, never a panic; a
//! snapshot that reads writes back to one that reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkmargin_formats::snapshot::{read_snapshot, write_snapshot};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match read_snapshot(text, "snapshot.json") {
        Ok(snapshot) => {
            let again = read_snapshot(&write_snapshot(&snapshot), "written")
                .expect("a written snapshot reads back");
            assert_eq!(again, snapshot);
        }
        Err(e) => assert!(!e.to_string().contains('\n')),
    }
});
