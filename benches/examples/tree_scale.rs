//! Epochs at scale: `zkmargin venue build` of 2^14, 2^16, 2^18 and 2^20 accounts (standard
//! profile, depth 20), a first build and an epoch with 1% of the accounts changed (salts kept,
//! and drawn fresh), with the time and peak memory of each, and the time of one opening.
//!
//! ```sh
//! cargo build --release -p zkmargin-cli
//! cargo run --release -p zkmargin-benches --example tree_scale            # 14 16 18 20
//! cargo run --release -p zkmargin-benches --example tree_scale -- 14 16   # some sizes
//! cargo run --release -p zkmargin-benches --example tree_scale -- --no-fresh 20  # no step 3
//! ```
//!
//! Each size gets its own scratch directory (under `target/tree-scale`, removed after) with an
//! epoch (the example epoch of `examples/parties` in the standard profile), a registry of `n`
//! accounts (random keys, indices `0..n`), and two positions files: every account holds one
//! to four positions at deribit (perpetuals, calls, puts), and in the second one account in a
//! hundred, drawn at random over the whole tree, has one position resized. Then, each in a
//! fresh process of the release binary (`target/release/zkmargin`), timed from spawn to exit
//! with its peak resident memory and CPU time from `wait4` (`ru_maxrss`, `ru_utime` and
//! `ru_stime`):
//!
//! 1. `venue build` of epoch E into the empty directory: the first build;
//! 2. `venue build` of epoch E+1 with the second file: 1% changed, salts kept;
//! 3. `venue build --changed-only` of epoch E+2 with a file of only those accounts, back to
//!    their first holding: 1% changed, given as the changes (the registry not read);
//! 4. `venue build --fresh-salts` of epoch E+3 with the first file again: nothing changed,
//!    every salt drawn anew (every leaf rehashed);
//! 5. `venue opening` of one account, a fresh process (median of 9 accounts), and the same
//!    opening through the library on an open store (`zkmargin_trees::opening`, median of 200).
//!
//! `ZKMARGIN_TREE_SCALE_KEEP=1` keeps the scratch directories (to profile a step by hand).
//! Timings depend on the machine and its load: the load average is printed before and after.
//! Linux only (`wait4`, `/proc/loadavg`).

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_trees::opening::opening;
use zkmargin_trees::store::{store_path, Store};

const MIB: f64 = 1024.0 * 1024.0;
const EPOCH: u64 = 5000;

/// One run of the binary: wall time, peak resident memory, and the steps' times it printed.
struct Measured {
    wall: Duration,
    /// User and system CPU time of the process (on two cores, up to twice the wall time).
    cpu: Duration,
    peak_bytes: u64,
    steps: String,
}

/// Runs `zkmargin ARGS` to its end; its wall time and its `ru_maxrss`.
fn run(binary: &Path, args: &[&str]) -> Result<Measured, String> {
    let start = Instant::now();
    let mut child = Command::new(binary)
        .args(args)
        .env("ZKMARGIN_QUIET", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let pid = child.id() as libc::pid_t;
    // The summary is a few lines: the pipe holds them until the child has exited.
    let mut stdout = child.stdout.take().expect("piped");
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data, zeroed before the call fills it; `pid` is our child,
    // not yet waited for (`Child` is dropped without `wait`, which does not wait either).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if waited != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr {
            let _ = e.read_to_string(&mut stderr);
        }
        return Err(format!("zkmargin {} failed: {stderr}", args.join(" ")));
    }
    let mut out = String::new();
    let _ = stdout.read_to_string(&mut out);
    let steps = out
        .lines()
        .find_map(|l| l.strip_prefix("time: "))
        .unwrap_or("")
        .to_string();
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok(Measured {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        peak_bytes: usage.ru_maxrss as u64 * 1024,
        steps,
    })
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The example epoch, numbered `number`, in the standard profile, listing the put the
/// accounts hold beside the example's call (version 3: a venue commits no option the
/// publisher's risk table lacks).
fn write_epoch(repo: &Path, dir: &Path, number: u64) -> Result<PathBuf, String> {
    let text = std::fs::read_to_string(repo.join("examples/parties/epoch.json"))
        .map_err(|e| format!("examples/parties/epoch.json: {e}"))?;
    let text = text
        .replacen("\"profile\": \"small\"", "\"profile\": \"standard\"", 1)
        .replacen("\"epoch\": 4812", &format!("\"epoch\": {number}"), 1)
        .replacen(
            "\"instruments\": [",
            "\"instruments\": [{\"kind\": \"put\", \"underlying\": \"BTC\", \"strike\": \"90000\", \
             \"expiry\": 1767312000, \"iv_ppm\": 550000}, ",
            1,
        );
    let path = dir.join(format!("epoch-{number}.json"));
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    Ok(path)
}

fn name(i: usize) -> String {
    format!("acct{i:07}")
}

fn write_registry(dir: &Path, n: usize, rng: &mut StdRng) -> Result<PathBuf, String> {
    let mut text = String::from("{\"format\": \"zkmargin.registry/1\", \"accounts\": [\n");
    for i in 0..n {
        // A random field element (below 2^253, so canonical): keys only need to be distinct.
        let mut bytes = [0u8; 32];
        rng.fill(&mut bytes[..]);
        bytes[31] &= 0x1f;
        let key: Fp = Option::from(ff::PrimeField::from_repr(bytes)).ok_or("a canonical key")?;
        let sep = if i + 1 == n { "" } else { "," };
        let _ = writeln!(
            text,
            "{{\"name\": \"{}\", \"key\": \"{}\", \"idx\": {i}}}{sep}",
            name(i),
            fp_to_hex(&key)
        );
    }
    text.push_str("]}\n");
    let path = dir.join("registry.json");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    Ok(path)
}

/// Account `i`'s positions: one to four, the first resized by `bump`.
fn positions(i: usize, bump: u64) -> String {
    let count = 1 + i % 4;
    let size = 1 + (i as u64 % 97) + bump;
    let all = [
        format!("{{\"kind\": \"perp\", \"underlying\": \"BTC\", \"size\": \"{size}.5\", \"entry\": \"95000\"}}"),
        "{\"kind\": \"call\", \"underlying\": \"BTC\", \"size\": \"-2\", \"strike\": \"100000\", \"expiry\": 1767312000}".to_string(),
        "{\"kind\": \"put\", \"underlying\": \"BTC\", \"size\": \"1\", \"strike\": \"90000\", \"expiry\": 1767312000}".to_string(),
        "{\"kind\": \"perp\", \"underlying\": \"USDC\", \"size\": \"-1000\", \"entry\": \"1\"}".to_string(),
    ];
    format!("[{}]", all[..count].join(", "))
}

/// A positions file of the accounts `listed` (all of them, or the changed ones), each resized
/// by `bump` where `changed`.
fn write_positions(
    dir: &Path,
    file: &str,
    listed: &[usize],
    changed: &[bool],
    bump: u64,
) -> Result<PathBuf, String> {
    let mut text = String::from(
        "{\"format\": \"zkmargin.venue/1\", \"venue\": \"deribit\", \"positions\": {\n",
    );
    for (k, &i) in listed.iter().enumerate() {
        let sep = if k + 1 == listed.len() { "" } else { "," };
        let _ = writeln!(
            text,
            "\"{}\": {}{sep}",
            name(i),
            positions(i, if changed[i] { bump } else { 0 })
        );
    }
    text.push_str("}}\n");
    let path = dir.join(file);
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    Ok(path)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

struct Row {
    log2: u32,
    full: Measured,
    kept: Measured,
    changes_only: Measured,
    /// `None` with `--no-fresh` (the fresh-salt build hashes what a first build hashes).
    fresh: Option<Measured>,
    opening_command: Duration,
    opening_library: Duration,
}

fn measure(
    binary: &Path,
    repo: &Path,
    scratch: &Path,
    log2: u32,
    with_fresh: bool,
) -> Result<Row, String> {
    let n = 1usize << log2;
    let dir = scratch.join(format!("n{log2}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut rng = StdRng::seed_from_u64(u64::from(log2));
    let epochs: Vec<PathBuf> = (0..4)
        .map(|e| write_epoch(repo, &dir, EPOCH + e))
        .collect::<Result<_, _>>()?;
    let registry = write_registry(&dir, n, &mut rng)?;
    let mut changed = vec![false; n];
    let mut left = n / 100;
    while left > 0 {
        let i = rng.random_range(0..n);
        if !changed[i] {
            changed[i] = true;
            left -= 1;
        }
    }
    let everyone: Vec<usize> = (0..n).collect();
    let changed_ones: Vec<usize> = (0..n).filter(|&i| changed[i]).collect();
    let first = write_positions(&dir, "positions-1.json", &everyone, &changed, 0)?;
    let second = write_positions(&dir, "positions-2.json", &everyone, &changed, 1)?;
    let back = write_positions(&dir, "changes-3.json", &changed_ones, &changed, 0)?;
    let tree = dir.join("deribit");
    let s = |p: &Path| p.to_str().expect("UTF-8 paths").to_string();
    let build = |epoch: &Path, positions: &Path, extra: &[&str]| {
        let mut args = vec![
            "venue".to_string(),
            "build".into(),
            "--epoch".into(),
            s(epoch),
            "--registry".into(),
            s(&registry),
            s(positions),
            "--out".into(),
            s(&tree),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(binary, &args)
    };
    eprintln!("2^{log2}: first build ...");
    let full = build(&epochs[0], &first, &[])?;
    eprintln!("2^{log2}: 1% changed, salts kept ...");
    let kept = build(&epochs[1], &second, &[])?;
    eprintln!("2^{log2}: 1% changed, given as the changes ...");
    let changes_only = build(&epochs[2], &back, &["--changed-only"])?;
    let fresh = if with_fresh {
        eprintln!("2^{log2}: fresh salts ...");
        Some(build(&epochs[3], &first, &["--fresh-salts"])?)
    } else {
        None
    };
    let out = dir.join("opening.json");
    let mut commands = Vec::new();
    for k in 0..9 {
        let account = name(rng.random_range(0..n));
        let args = [
            "venue",
            "opening",
            "--tree",
            &s(&tree),
            "--account",
            &account,
            "--out",
            &s(&out),
        ];
        let m = run(binary, &args)?;
        if k > 0 {
            commands.push(m.wall);
        }
    }
    let store = Store::open(&store_path(&tree), false).map_err(|e| e.to_string())?;
    let mut library = Vec::new();
    for _ in 0..200 {
        let account = name(rng.random_range(0..n));
        let start = Instant::now();
        opening(&store, &account, "--account").map_err(|e| e.to_string())?;
        library.push(start.elapsed());
    }
    drop(store);
    if std::env::var_os("ZKMARGIN_TREE_SCALE_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(Row {
        log2,
        full,
        kept,
        changes_only,
        fresh,
        opening_command: median(commands),
        opening_library: median(library),
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let with_fresh = !args.iter().any(|a| a == "--no-fresh");
    let sizes: Vec<u32> = args
        .iter()
        .filter(|a| *a != "--no-fresh")
        .map(|a| a.parse().expect("sizes are powers of two: 14 16 18 20"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![14, 16, 18, 20]
    } else {
        sizes
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let exe = std::env::current_exe().expect("this example's path");
    // target/release/examples/tree_scale -> target/release/zkmargin
    let release = exe.parent().and_then(Path::parent).expect("target/release");
    let binary = release.join("zkmargin");
    if !binary.is_file() {
        eprintln!(
            "{} is missing: cargo build --release -p zkmargin-cli first",
            binary.display()
        );
        std::process::exit(1);
    }
    let scratch = release.join("../tree-scale");
    println!("load average before: {}", load());
    let mut rows = Vec::new();
    for log2 in sizes {
        match measure(&binary, &repo, &scratch, log2, with_fresh) {
            Ok(row) => rows.push(row),
            Err(e) => {
                eprintln!("2^{log2}: {e}");
                std::process::exit(1);
            }
        }
    }
    println!("load average after: {}", load());
    println!(
        "\n| accounts | first build | peak | 1% changed, salts kept | peak | 1% changed, --changed-only | peak | fresh salts | peak | opening: command | opening: library |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let secs = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    let mib = |m: &Measured| format!("{:.0} MiB", m.peak_bytes as f64 / MIB);
    for r in &rows {
        println!(
            "| 2^{} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} ms | {:.2} ms |",
            r.log2,
            secs(r.full.wall),
            mib(&r.full),
            secs(r.kept.wall),
            mib(&r.kept),
            secs(r.changes_only.wall),
            mib(&r.changes_only),
            r.fresh.as_ref().map_or("-".into(), |m| secs(m.wall)),
            r.fresh.as_ref().map_or("-".into(), mib),
            r.opening_command.as_secs_f64() * 1e3,
            r.opening_library.as_secs_f64() * 1e3,
        );
    }
    println!("\nWhere the time goes (the build's own account of its steps):\n");
    for r in &rows {
        let runs = [
            ("first build", Some(&r.full)),
            ("1% changed, salts kept", Some(&r.kept)),
            ("1% changed, --changed-only", Some(&r.changes_only)),
            ("fresh salts", r.fresh.as_ref()),
        ];
        for (what, m) in runs.into_iter().filter_map(|(w, m)| Some((w, m?))) {
            println!(
                "- 2^{}, {what}: {}; CPU {:.2} s",
                r.log2,
                m.steps,
                m.cpu.as_secs_f64()
            );
        }
    }
}
