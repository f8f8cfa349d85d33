//! Writes the frozen test vectors: an honest proof of the sample book for each profile given
//! (default all), with its snapshot and statement, into DIR (default `tests/vectors`).
//! Usage: `cargo run --release -p zkmargin-prover --example vectors -- [DIR] [small standard large desk]`.
use std::path::PathBuf;

use zkmargin_circuits::profile::{Profile, ALL};
use zkmargin_prover::vectors::write_vector;
use zkmargin_testing::fixtures::fixture;

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let dir = match args.peek() {
        Some(a) if Profile::by_name(a).is_none() => PathBuf::from(args.next().unwrap_or_default()),
        _ => PathBuf::from("tests/vectors"),
    };
    let names: Vec<String> = args.collect();
    for profile in ALL {
        if !names.is_empty() && !names.iter().any(|n| n == profile.name) {
            continue;
        }
        let f = fixture(profile);
        match write_vector(&dir, &f.snapshot, &f.statement, &f.witness) {
            Ok(path) => println!("wrote {}", path.display()),
            Err(e) => {
                eprintln!("{}: {e}", profile.name);
                std::process::exit(1);
            }
        }
    }
}
