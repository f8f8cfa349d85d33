//! `gateway/README.md`'s walkthrough as a venue runs it (issue 20): every command of its
//! code, in order, in one shell, from a scratch directory holding the repository's
//! `gateway/examples/`, with this build's `zkmargin` and `zkmargin-gateway` first on `PATH`;
//! and every answer the README shows (its `# ...` lines under a command) compared with what
//! the command printed.
//!
//! How an answer is compared: line by line; `…` stands for anything, and a hex digest elided
//! as `0x0e93…7013` for any hex (keys and salts are drawn afresh at every build); an answer in
//! parentheses, `(the same)`, is the output of an earlier command again. Only the port is
//! changed: the README's `127.0.0.1:8080` becomes a free port, and the test waits for the
//! gateway to listen before the next command (a person typing does the same).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

const README: &str = include_str!("../../README.md");

/// One command of the walkthrough and the answer the README shows under it (maybe none).
struct Step {
    command: String,
    expected: Vec<String>,
}

/// The indented code of the walkthrough section, as commands and their answers.
fn walkthrough_steps() -> Vec<Step> {
    let start = README
        .find("\n## Walkthrough")
        .expect("gateway/README.md has its walkthrough");
    let end = start
        + README[start..]
            .find("\n## Orders")
            .expect("the walkthrough ends at ## Orders");
    let mut steps: Vec<Step> = Vec::new();
    let mut open = false; // a command continues on the next line
    let mut loop_depth = 0usize;
    for line in README[start..end].lines() {
        let Some(code) = line.strip_prefix("    ") else {
            continue;
        };
        if let Some(answer) = code.strip_prefix("# ") {
            steps
                .last_mut()
                .expect("an answer follows a command")
                .expected
                .push(answer.to_string());
            continue;
        }
        if open || loop_depth > 0 {
            let step = steps.last_mut().expect("a continued command");
            step.command.push('\n');
            step.command.push_str(code);
        } else {
            steps.push(Step {
                command: code.to_string(),
                expected: Vec::new(),
            });
        }
        let word = code.trim_start();
        if word.starts_with("for ") || word.starts_with("while ") {
            loop_depth += 1;
        }
        if word == "done" || word.starts_with("done ") {
            loop_depth -= 1;
        }
        open = code.ends_with('\\');
    }
    steps
}

/// Whether `actual` is what the README's `expected` line shows.
fn line_matches(expected: &str, actual: &str) -> bool {
    let is_hex = |c: char| c.is_ascii_hexdigit() || c == 'x';
    let mut fragments: Vec<&str> = expected.split('…').collect();
    // A hex digest elided in the middle: the wildcard takes its visible ends too.
    for i in 0..fragments.len().saturating_sub(1) {
        let (before, after) = (fragments[i], fragments[i + 1]);
        if before.ends_with(is_hex) && after.starts_with(is_hex) {
            fragments[i] = before.trim_end_matches(is_hex);
            fragments[i + 1] = after.trim_start_matches(is_hex);
        }
    }
    if fragments.len() == 1 {
        return expected == actual;
    }
    let (first, last) = (fragments[0], fragments[fragments.len() - 1]);
    if !actual.starts_with(first) || !actual[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &actual[first.len()..actual.len() - last.len()];
    for fragment in &fragments[1..fragments.len() - 1] {
        match rest.find(fragment) {
            Some(at) => rest = &rest[at + fragment.len()..],
            None => return false,
        }
    }
    true
}

/// `zkmargin` built beside the gateway (`cargo test --workspace` builds both).
fn cli_binary(gateway: &Path) -> PathBuf {
    let cli = gateway.with_file_name("zkmargin");
    assert!(
        cli.is_file(),
        "{} is missing: build it first (cargo build --release -p zkmargin-cli; cargo test \
         --release --workspace builds it)",
        cli.display()
    );
    cli
}

#[test]
fn the_walkthrough_answers_as_the_readme_shows() {
    let steps = walkthrough_steps();
    assert!(
        steps.len() >= 20,
        "only {} walkthrough commands found",
        steps.len()
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let address = format!("127.0.0.1:{port}");

    let dir = tempfile::tempdir().expect("scratch directory");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let gateway = PathBuf::from(env!("CARGO_BIN_EXE_zkmargin-gateway"));
    std::os::unix::fs::symlink(&gateway, bin.join("zkmargin-gateway")).unwrap();
    std::os::unix::fs::symlink(cli_binary(&gateway), bin.join("zkmargin")).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    std::fs::create_dir_all(dir.path().join("gateway")).unwrap();
    std::os::unix::fs::symlink(
        examples.canonicalize().unwrap(),
        dir.path().join("gateway/examples"),
    )
    .unwrap();

    let mut script =
        String::from("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n");
    for (i, step) in steps.iter().enumerate() {
        let mut command = step.command.replace("127.0.0.1:8080", &address);
        if command.ends_with(" &") {
            // The gateway's own lines go to a log; the next command waits until it listens.
            command.truncate(command.len() - 2);
            command.push_str(&format!(
                " >gateway.log 2>&1 &\nfor _ in $(seq 600); do curl -sf http://{address}/healthz \
                 >/dev/null && break; sleep 0.1; done"
            ));
        }
        script.push_str(&format!("echo '@@step {i}'\n{command}\n"));
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("ZKMARGIN_QUIET", "1")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let log = std::fs::read_to_string(dir.path().join("gateway.log")).unwrap_or_default();
    assert!(
        output.status.success(),
        "a walkthrough command failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}\n--- gateway\n{log}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );

    // The output of each step, split at the markers.
    let mut outputs: Vec<Vec<String>> = Vec::new();
    for line in stdout.lines() {
        if line.starts_with("@@step ") {
            outputs.push(Vec::new());
        } else if let Some(current) = outputs.last_mut() {
            current.push(line.to_string());
        }
    }
    assert_eq!(outputs.len(), steps.len(), "every step ran:\n{stdout}");
    for (i, (step, actual)) in steps.iter().zip(&outputs).enumerate() {
        if step.expected.is_empty() {
            continue;
        }
        let shown = || {
            format!(
                "step {i}: {}\nthe README shows:\n{}\nit printed:\n{}",
                step.command,
                step.expected.join("\n"),
                actual.join("\n")
            )
        };
        if step.expected.len() == 1 && step.expected[0].starts_with('(') {
            // `(the same)`, or `(the same) 200`: an earlier answer again, maybe with another
            // status after it (curl's ` %{http_code}`).
            let status = step.expected[0]
                .split_once(") ")
                .map(|(_, status)| status.to_string());
            let body = |lines: &[String]| -> Vec<String> {
                match &status {
                    None => lines.to_vec(),
                    Some(_) => lines
                        .iter()
                        .map(|l| {
                            l.rsplit_once(' ')
                                .map_or(l.as_str(), |(b, _)| b)
                                .to_string()
                        })
                        .collect(),
                }
            };
            if let Some(status) = &status {
                assert!(
                    actual.len() == 1 && actual[0].ends_with(&format!(" {status}")),
                    "{} (not the status shown)",
                    shown()
                );
            }
            assert!(
                outputs[..i]
                    .iter()
                    .any(|earlier| body(earlier) == body(actual)),
                "{} (not the output of an earlier command)",
                shown()
            );
            continue;
        }
        assert_eq!(actual.len(), step.expected.len(), "{}", shown());
        for (expected, line) in step.expected.iter().zip(actual) {
            assert!(line_matches(expected, line), "{}", shown());
        }
    }
}

#[test]
fn elided_answers_match_only_what_they_show() {
    assert!(line_matches(
        r#"{"nullifier":"0x0e93…7013","x":1} 201"#,
        r#"{"nullifier":"0x1234abcd","x":1} 201"#
    ));
    assert!(!line_matches(
        r#"{"nullifier":"0x0e93…7013","x":1} 201"#,
        r#"{"nullifier":"0x1234abcd","x":2} 201"#
    ));
    assert!(line_matches(r#"{…,"a":"1",…}"#, r#"{"z":0,"a":"1","b":2}"#));
    assert!(!line_matches(
        r#"{…,"a":"1",…}"#,
        r#"{"z":0,"a":"2","b":2}"#
    ));
    assert!(line_matches(" 204", " 204"));
    assert!(!line_matches(" 204", " 200"));
}
