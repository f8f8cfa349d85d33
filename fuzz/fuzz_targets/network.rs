//! `network.json`: any text is read or refused with a one-line error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkmargin_formats::network::read_network;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = read_network(text, "network.json") {
        assert!(!e.to_string().contains('\n'));
    }
});
