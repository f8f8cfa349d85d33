//! Peak memory while proving, per profile, beside the trivial circuit of the same `k`.
//!
//! `cargo run --release -p zkmargin-benches --example peak_memory` proves small and standard
//! (`ZKMARGIN_BENCH_LARGE=1` adds large, `ZKMARGIN_BENCH_DESK=1` adds desk), each in a fresh
//! process of its own, and prints a table. A measuring process builds its keys (parameters from
//! the disk cache, as the benchmarks do), resets the kernel's high-water mark of its resident
//! memory (`echo 5 > /proc/self/clear_refs`), proves once, and reads the mark back (`VmHWM` in
//! `/proc/self/status`): the peak while proving, keys included since they stay resident. The
//! peak over the whole process (key generation too) is printed beside it. Linux only.

use std::process::Command;

use zkmargin_benches::{trivial_keys, trivial_proof};
use zkmargin_circuits::profile::{Profile, DESK, LARGE, SMALL, STANDARD};
use zkmargin_prover::{proof_bytes, ProverKeys};
use zkmargin_testing::fixtures::fixture;
use zkmargin_verifier::params::load_or_generate;

const MIB: f64 = 1024.0 * 1024.0;

/// A field of `/proc/self/status` in bytes (`VmHWM:   123456 kB`).
fn status_bytes(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e} (this program needs Linux)"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| format!("/proc/self/status: no {field} in kB"))
}

/// Resets `VmHWM` to the current resident size.
fn reset_peak() -> Result<(), String> {
    std::fs::write("/proc/self/clear_refs", "5")
        .map_err(|e| format!("/proc/self/clear_refs: {e} (cannot reset the peak)"))
}

/// One measurement in this process: the margin circuit of `profile`, or (`trivial`) the
/// trivial circuit of the same `k`. Prints `whole=BYTES proving=BYTES resident=BYTES` (the
/// peak over the process, the peak while proving, the resident size before proving).
fn measure(profile: Profile, trivial: bool) -> Result<(), String> {
    let prove: Box<dyn Fn()> = if trivial {
        let (params, _) = load_or_generate(profile.k).map_err(|e| e.to_string())?;
        let (circuit, pk) = trivial_keys(&params);
        Box::new(move || {
            trivial_proof(&params, &pk, &circuit);
        })
    } else {
        let keys = ProverKeys::for_profile(profile).map_err(|e| e.to_string())?;
        let f = fixture(profile);
        Box::new(move || {
            proof_bytes(&keys, &f.statement, &f.witness).expect("the sample book proves");
        })
    };
    let before = status_bytes("VmHWM")?;
    let resident = status_bytes("VmRSS")?;
    reset_peak()?;
    // The kernel sets the mark to the resident size: a mark left above it was not reset, and
    // the figure would be the key generation's peak.
    let mark = status_bytes("VmHWM")?;
    if mark > resident + (1 << 20) {
        return Err(format!(
            "the peak was not reset ({mark} bytes, {resident} resident)"
        ));
    }
    prove();
    let proving = status_bytes("VmHWM")?;
    println!(
        "whole={} proving={proving} resident={resident}",
        before.max(proving)
    );
    Ok(())
}

/// Runs `measure` in a fresh process and reads its line.
fn in_child(profile: Profile, trivial: bool) -> Result<[u64; 3], String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let what = if trivial { "trivial" } else { "margin" };
    let output = Command::new(exe)
        .args(["--measure", what, profile.name])
        .env("ZKMARGIN_QUIET", "1")
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "{what} {}: {}{}",
            profile.name,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let field = |name: &str| -> Option<u64> {
        stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
    };
    match (field("whole"), field("proving"), field("resident")) {
        (Some(whole), Some(proving), Some(resident)) => Ok([whole, proving, resident]),
        _ => Err(format!(
            "{what} {}: unexpected output {stdout:?}",
            profile.name
        )),
    }
}

fn switch(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| v == "1")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, what, name] = args.as_slice() {
        if flag == "--measure" {
            let result = match Profile::by_name(name) {
                Some(profile) => measure(profile, what == "trivial"),
                None => Err(format!("unknown profile {name:?}")),
            };
            if let Err(e) = result {
                eprintln!("peak_memory: {e}");
                std::process::exit(1);
            }
            return;
        }
    }
    let mut profiles = vec![SMALL, STANDARD];
    if switch("ZKMARGIN_BENCH_LARGE") {
        profiles.push(LARGE);
    }
    if switch("ZKMARGIN_BENCH_DESK") {
        profiles.push(DESK);
    }
    println!(
        "| profile | k | peak while proving | trivial circuit, same k | ratio | resident before proving (keys) | peak with key generation |"
    );
    println!("|---|---|---|---|---|---|---|");
    for profile in profiles {
        let measured = in_child(profile, false)
            .and_then(|margin| in_child(profile, true).map(|trivial| (margin, trivial)));
        match measured {
            Ok(([whole, proving, resident], [_, trivial, _])) => println!(
                "| {} | {} | {:.0} MiB | {:.0} MiB | {:.2}x | {:.0} MiB | {:.0} MiB |",
                profile.name,
                profile.k,
                proving as f64 / MIB,
                trivial as f64 / MIB,
                proving as f64 / trivial as f64,
                resident as f64 / MIB,
                whole as f64 / MIB
            ),
            Err(e) => {
                eprintln!("peak_memory: {e}");
                std::process::exit(1);
            }
        }
    }
}
