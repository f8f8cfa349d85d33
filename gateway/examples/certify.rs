//! The trader's side of the README's walkthrough, until the command line has `zkmargin
//! certify`: a margin certificate and one grant per venue, made with the library
//! (`zkmargin_prover::certify`), at level 1.
//!
//! ```text
//! cargo run --release -p zkmargin-gateway --example certify -- \
//!     SNAPSHOT ACCOUNT OUT_DIR LINE_UUSD...
//! ```
//!
//! One line per venue of the snapshot, in its order, in uusd. Writes `OUT_DIR/certificate.zkm`
//! and `OUT_DIR/<venue>.grant.json` (mode 0600: a grant is private to the trader and its venue).

use std::path::Path;

use zkmargin_formats::account::read_account;
use zkmargin_formats::grant::write_grant;
use zkmargin_formats::snapshot::read_snapshot_file;
use zkmargin_formats::write::write_atomic;

fn main() {
    if let Err(e) = run() {
        eprintln!("certify: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [snapshot_file, account_file, out, lines @ ..] = args.as_slice() else {
        return Err("usage: certify SNAPSHOT ACCOUNT OUT_DIR LINE_UUSD...".into());
    };
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let (snapshot, _) =
        read_snapshot_file(&read(snapshot_file)?, snapshot_file).map_err(|e| e.to_string())?;
    let account = read_account(&read(account_file)?, account_file, &snapshot)
        .map_err(|e| e.to_string())?;
    let lines: Vec<u128> = lines
        .iter()
        .map(|l| l.parse().map_err(|e| format!("line {l:?}: {e}")))
        .collect::<Result<_, String>>()?;
    let certified = zkmargin_prover::certify(&snapshot, &account, 1_000_000, &lines)
        .map_err(|e| e.to_string())?;
    let out = Path::new(out);
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let write = |name: String, bytes: &[u8], mode| {
        let path = out.join(name);
        write_atomic(&path, bytes, mode).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", path.display());
        Ok::<(), String>(())
    };
    write("certificate.zkm".into(), &certified.bytes, None)?;
    for grant in &certified.grants {
        let name = format!("{}.grant.json", grant.venue);
        write(name, write_grant(grant).as_bytes(), Some(0o600))?;
    }
    Ok(())
}
