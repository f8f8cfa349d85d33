//! The README's commands as a new user runs them (issue 20): every `sh` block of "The first
//! five minutes", "Traders" and "Venues" (down to "The parties apart"), in order, in one shell,
//! from a scratch directory that holds the repository's `examples/`, with `zkmargin` from this
//! build first on `PATH`. Every command must exit 0 (`set -euo pipefail`), so the README cannot
//! drift from the product again; what they print is checked where the README says what it is.
//!
//! Lines that build the workspace (`cargo ...`, `export PATH=...`) are left out: the test runs
//! the binary cargo built for it.

mod common;

use std::path::Path;
use std::process::Command;

use common::{cache_dir, scratch};

const README: &str = include_str!("../../README.md");

/// The text from the heading `from` up to the heading `to` (both level-2 headings).
fn section<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text
        .find(&format!("\n{from}\n"))
        .unwrap_or_else(|| panic!("README has no heading {from:?}"));
    let end = text[start..]
        .find(&format!("\n{to}\n"))
        .map(|i| start + i)
        .unwrap_or_else(|| panic!("README has no heading {to:?} after {from:?}"));
    &text[start..end]
}

/// The `sh` blocks of `text`, in order, without the lines that build the workspace.
fn shell_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), line) => {
                if !(line.starts_with("cargo ") || line.starts_with("export PATH=")) {
                    block.push_str(line);
                    block.push('\n');
                }
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an sh block is not closed");
    blocks
}

/// Runs `script` with bash from `dir`, `zkmargin` from this build first on `PATH`; returns
/// stdout, or panics with both streams when a command fails.
fn run_script(dir: &Path, script: &str) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_zkmargin"), bin.join("zkmargin")).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    std::os::unix::fs::symlink(examples.canonicalize().unwrap(), dir.join("examples")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("set -euo pipefail\nset -x\n{script}"))
        .current_dir(dir)
        .env("PATH", path)
        .env("ZKMARGIN_CACHE", cache_dir())
        .env("ZKMARGIN_QUIET", "1")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "a README command failed ({}):\n--- stdout\n{stdout}\n--- stderr (each command after +)\n{stderr}",
        output.status
    );
    stdout
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let mut blocks = shell_blocks(section(README, "## The first five minutes", "## Traders"));
    let first_five = blocks.len();
    blocks.extend(shell_blocks(section(
        README,
        "## Traders",
        "## The parties apart",
    )));
    assert!(
        first_five >= 1 && blocks.len() >= first_five + 5,
        "the README's walkthrough blocks were not found ({} blocks)",
        blocks.len()
    );
    let dir = scratch();
    let stdout = run_script(dir.path(), &blocks.concat());

    // What the README says they print.
    assert!(
        stdout.contains("\"valid\": true"),
        "verify --json did not answer valid:\n{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("VALID")),
        "verify did not print VALID:\n{stdout}"
    );
    assert!(
        !stdout.contains("REJECTED"),
        "a verification was rejected:\n{stdout}"
    );
    for key in [
        "\"charge_uusd\"",
        "\"mm_uusd\"",
        "\"standard_mm_uusd\"",
        "\"headroom_uusd\"",
    ] {
        assert!(
            stdout.contains(key),
            "no {key} in what the README's commands print"
        );
    }
    for file in [
        "net/snapshot.json",
        "net/accounts/alice.json",
        "alice-cert/certificate.zkm",
        "alice-cert/grants/deribit.json",
        "alice.proof",
        "hedged/snapshot.json",
        "moves.svg",
    ] {
        assert!(
            dir.path().join(file).is_file(),
            "the README's {file} was not written"
        );
    }
}

/// The epoch a README network is built with is live: a venue takes its certificates now, and
/// a lapsed one is refused with the way to check an old certificate.
#[test]
fn a_lapsed_snapshot_is_refused_and_the_refusal_names_at() {
    let dir = scratch();
    let stdout = run_script(
        dir.path(),
        "zkmargin network build examples/network.json --out old\n\
         zkmargin certify --snapshot old/snapshot.json --account old/accounts/alice.json \
             --allow deribit=1000 --out cert\n\
         TAG=$(zkmargin account tag --snapshot old/snapshot.json --account old/accounts/alice.json --venue deribit)\n\
         code=0; zkmargin verify --snapshot old/snapshot.json --certificate cert/certificate.zkm \
             --grant cert/grants/deribit.json --venue deribit --tag \"$TAG\" || code=$?\n\
         echo \"exit $code\"\n\
         zkmargin verify --snapshot old/snapshot.json --certificate cert/certificate.zkm \
             --grant cert/grants/deribit.json --venue deribit --tag \"$TAG\" --at 1767225600\n",
    );
    assert!(stdout.contains("exit 3"), "{stdout}");
    assert!(
        stdout.contains("REJECTED: the snapshot expired at 1767229200")
            && stdout.contains("pass --at with a time inside it (1767225600 to 1767229200)"),
        "{stdout}"
    );
    assert!(stdout.lines().any(|l| l.starts_with("VALID")), "{stdout}");
}
