//! A real PostgreSQL server for one test: `initdb` and `pg_ctl` on a free port in a temporary
//! directory, stopped when dropped. Not finding or not starting it fails the test: the
//! PostgreSQL tests never pass by skipping.
//!
//! The binaries are looked up on PATH, then in Debian's `/usr/lib/postgresql/<version>/bin`
//! (where the `postgresql` package puts them, off PATH). `initdb` refuses to run as root, so
//! as root the cluster is made and run by the `postgres` user the package creates.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub struct PgCluster {
    /// Holds the data directory; removed after the server stops.
    dir: TempDir,
    bin: PathBuf,
    pub port: u16,
    /// The server's options, to start it again the same.
    options: String,
}

fn is_root() -> bool {
    // SAFETY-free check: `id -u` prints the effective uid.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`.
fn find_bin() -> PathBuf {
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return dir;
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed: no initdb on PATH nor in /usr/lib/postgresql/*/bin \
             (apt-get install postgresql; .ci/run does)"
        )
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on loopback")
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root.
fn run(bin: &Path, tool: &str, args: &[&str]) -> Output {
    let program = bin.join(tool);
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&program);
        c
    } else {
        Command::new(&program)
    };
    command
        .args(args)
        .env_remove("PGDATA")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

fn check(output: Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl PgCluster {
    pub fn start() -> PgCluster {
        let bin = find_bin();
        let dir = tempfile::Builder::new()
            .prefix("zkmargin-pg-")
            .tempdir()
            .expect("cannot make a temporary directory");
        if is_root() {
            let chown = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .output()
                .expect("cannot run chown");
            check(
                chown,
                "chown of the cluster directory to the postgres user (does it exist?)",
            );
        }
        let data = dir.path().join("data");
        let data = data.to_str().expect("temporary path is not UTF-8");
        check(
            run(
                &bin,
                "initdb",
                &[
                    "-D",
                    data,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
            ),
            "initdb",
        );
        let socket = dir.path().to_str().expect("temporary path is not UTF-8");
        let log = dir.path().join("server.log");
        // Another test may take the port between the probe and the start: try a few.
        for _ in 0..5 {
            let port = free_port();
            let options = format!(
                "-p {port} -k {socket} -c listen_addresses=127.0.0.1 -c max_connections=50"
            );
            let output = run(
                &bin,
                "pg_ctl",
                &[
                    "-D",
                    data,
                    "-l",
                    log.to_str().unwrap_or_default(),
                    "-o",
                    &options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            );
            if output.status.success() {
                return PgCluster {
                    dir,
                    bin,
                    port,
                    options,
                };
            }
        }
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        panic!("PostgreSQL did not start:\n{log}");
    }

    /// A fresh database for one gateway ledger.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl PgCluster {
    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Stops the server (fast shutdown: connections cut), as an outage would.
    pub fn stop(&self) {
        let data = self.data();
        let stop = ["-D", &data, "-m", "fast", "-w", "stop"];
        check(run(&self.bin, "pg_ctl", &stop), "pg_ctl stop");
    }

    /// Starts the stopped server again, on the same port.
    pub fn start_again(&self) {
        let (data, log) = (self.data(), self.dir.path().join("server.log"));
        let log = log.display().to_string();
        let start = [
            "-D",
            &data,
            "-l",
            &log,
            "-o",
            &self.options,
            "-w",
            "-t",
            "60",
            "start",
        ];
        check(run(&self.bin, "pg_ctl", &start), "pg_ctl start");
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = run(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap_or_default(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}
