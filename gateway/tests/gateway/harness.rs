//! What every gateway test shares: a database of either kind, the real binary started on it,
//! a signed snapshot, credit lines admitted through the storage API, and an HTTP client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;
use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_gateway::ledger;
use zkmargin_gateway::storage::{self, LineRecord};
use zkmargin_verifier::ledger::Admission;

pub use crate::certified::*;
use crate::postgres::PgCluster;
pub use crate::sample::*;

/// A database for one test, removed (or stopped) when dropped.
pub enum Db {
    Sqlite(TempDir),
    Postgres(PgCluster),
}

impl Db {
    pub fn sqlite() -> Db {
        Db::Sqlite(tempfile::tempdir().expect("cannot make a temporary directory"))
    }

    pub fn postgres() -> Db {
        Db::Postgres(PgCluster::start())
    }

    pub fn url(&self) -> String {
        match self {
            Db::Sqlite(dir) => format!("sqlite:{}", dir.path().join("ledger.db").display()),
            Db::Postgres(cluster) => cluster.url(),
        }
    }
}

/// Generates `NAME_sqlite` and `NAME_postgres` tests that run `body` on each database.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $body:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                super::$body(&$crate::harness::Db::sqlite());
            }
            #[test]
            fn postgres() {
                super::$body(&$crate::harness::Db::postgres());
            }
        }
    };
}

/// Admits a line for trader `n` at `VENUE` directly through the storage API, as a verified
/// certificate would (the product has no other way in).
pub fn admit_line(url: &str, n: u64, allowance: u128, level_ppm: u64) -> LineRecord {
    let line = LineRecord {
        venue: VENUE.into(),
        nullifier: fp_to_hex(&Fp::from(5_000 + n)),
        certificate: format!("{:064x}", 9_000 + n),
        tag: fp_to_hex(&tag(n)),
        epoch: 4812,
        level_ppm,
        allowance,
        valid_until: 4_000_000_000,
    };
    admit_new(url, &line);
    line
}

/// Admits `line` through the storage API; it must be new.
pub fn admit_new(url: &str, line: &LineRecord) {
    let mut store = storage::open(url).expect("cannot open the test database");
    let mut admission = None;
    store
        .transaction(&mut |tx| {
            admission = Some(ledger::admit(tx, line, 1)?);
            Ok(())
        })
        .expect("cannot admit the line");
    assert_eq!(admission, Some(Ok(Admission::New)));
}

/// The engine's token every test gateway is started with.
pub const ENGINE_TOKEN: &str = "dGVzdC1lbmdpbmUtdG9rZW4tb2YtdGhlLWdhdGV3YXktdGVzdHM=";

/// `Authorization` with the engine's token.
pub fn bearer() -> String {
    format!("Bearer {ENGINE_TOKEN}")
}

/// Writes `token` to `path` with mode 0600, as a venue must.
pub fn write_token_file(path: &std::path::Path, token: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("{token}\n")).expect("cannot write the token file");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .expect("cannot set the token file's mode");
}

/// The real binary, serving on a free loopback port; killed when dropped.
pub struct Gateway {
    child: Child,
    pub base: String,
    /// `--public-listen`'s address, when started with one.
    pub public: Option<String>,
    pub log: PathBuf,
    _logs: TempDir,
}

impl Gateway {
    /// The gateway of `VENUE` on `db`.
    pub fn start(db: &Db) -> Gateway {
        Gateway::start_with(db, VENUE, &[])
    }

    /// The gateway of `venue` on `db`, with `extra` flags; `--public-listen` among them is
    /// read back into `public`.
    pub fn start_with(db: &Db, venue: &str, extra: &[&str]) -> Gateway {
        let logs = tempfile::tempdir().expect("cannot make a temporary directory");
        let log = logs.path().join("gateway.log");
        let token = logs.path().join("engine.token");
        write_token_file(&token, ENGINE_TOKEN);
        let stderr = std::fs::File::create(&log).expect("cannot create the log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_zkmargin-gateway"))
            .args([
                "--venue",
                venue,
                "--publisher",
                &publisher().public().to_hex(),
            ])
            .arg("--engine-token-file")
            .arg(&token)
            .args(["--db", &db.url(), "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("cannot start zkmargin-gateway");
        let mut stdout = BufReader::new(child.stdout.take().expect("no stdout"));
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let Some(address) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the gateway did not start: {line:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        let base = format!("http://{address}");
        let public = extra.contains(&"--public-listen").then(|| {
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let address = line
                .trim()
                .strip_prefix("public listening on ")
                .unwrap_or_else(|| panic!("no public address: {line:?}"));
            format!("http://{address}")
        });
        Gateway {
            base,
            public,
            child,
            log,
            _logs: logs,
        }
    }

    /// SIGKILL: no shutdown of any kind.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn address(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test shows what the gateway said.
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("--- gateway log ---\n{log}");
        }
    }
}

/// An HTTP client that hands back 4xx and 5xx answers rather than failing on them.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A status and the body parsed as JSON (`Null` for an empty body).
pub type Answer = (u16, serde_json::Value);

fn answer(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer, String> {
    let mut response = response.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let value = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text)
            .map_err(|e| format!("answer {status} is not JSON ({e}): {text}"))?
    };
    Ok((status, value))
}

/// POST with the engine's token (what the matching engine sends).
pub fn post(agent: &ureq::Agent, url: &str, body: &str) -> Result<Answer, String> {
    post_with(agent, url, body, Some(&bearer()))
}

/// POST with this `Authorization` header, or none.
pub fn post_with(
    agent: &ureq::Agent,
    url: &str,
    body: &str,
    authorization: Option<&str>,
) -> Result<Answer, String> {
    let mut request = agent.post(url).header("content-type", "application/json");
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    answer(request.send(body))
}

/// A status, the `Retry-After` header and the body of a POST with this `Authorization` header,
/// or none.
pub fn post_busy(
    url: &str,
    body: &str,
    authorization: Option<&str>,
) -> (u16, Option<String>, serde_json::Value) {
    let mut request = client()
        .post(url)
        .header("content-type", "application/json");
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let mut response = request.send(body).expect("request failed");
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_string());
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    (response.status().as_u16(), retry, value)
}

/// GET with the engine's token.
pub fn get(agent: &ureq::Agent, url: &str) -> Result<Answer, String> {
    get_with(agent, url, Some(&bearer()))
}

/// GET with this `Authorization` header, or none.
pub fn get_with(
    agent: &ureq::Agent,
    url: &str,
    authorization: Option<&str>,
) -> Result<Answer, String> {
    let mut request = agent.get(url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    answer(request.call())
}

/// Publishes the sample snapshot of the epoch, signed by the pinned publisher.
pub fn publish(gateway: &Gateway, epoch: u64) {
    publish_snapshot(gateway, &snapshot(epoch));
}

/// Publishes `snapshot`, signed by the pinned publisher.
pub fn publish_snapshot(gateway: &Gateway, snapshot: &zkmargin_circuits::snapshot::Snapshot) {
    let (status, body) = post(
        &client(),
        &format!("{}/v1/snapshots", gateway.base),
        &signed_snapshot(snapshot, &publisher()),
    )
    .expect("snapshot request failed");
    assert_eq!(status, 204, "{body}");
}

/// An order request: a BTC perp of `size` (a decimal string, signed) for trader `n`.
pub fn perp_order(id: &str, n: u64, size: &str) -> String {
    serde_json::json!({
        "id": id,
        "tag": fp_to_hex(&tag(n)),
        "order": {"kind": "perp", "underlying": "BTC", "size": size},
    })
    .to_string()
}

/// The sample snapshot's BTC price, e8.
pub const BTC_PRICE: u64 = 9_700_050_000_000;

/// The charge the library computes for a BTC perp of `size_e9` at deribit (short when
/// `short`), filled at `fill_e8`, at `level_ppm`: what the gateway must charge.
pub fn perp_charge(size_e9: u64, short: bool, fill_e8: u64, level_ppm: u64) -> u128 {
    use zkmargin_circuits::margin::{Kind, Order, Position, Side};
    let s = snapshot(4812);
    let order = Order {
        venue: 0,
        position: Position {
            kind: Kind::Perp,
            underlying: 0,
            side: if short { Side::Short } else { Side::Long },
            size: size_e9,
            price: s.assets[0].price,
            expiry: 0,
        },
    };
    zkmargin_circuits::charge::order_charge(&s.risk_params(), &order, fill_e8, level_ppm)
        .expect("the sample order is chargeable")
        .total
}

/// `POST /v1/orders/{order}/fills`.
pub fn fill_order(gateway: &Gateway, order: &str, fill: &str, size: &str, price: &str) -> Answer {
    let body = serde_json::json!({"fill_id": fill, "size": size, "price": price});
    post(
        &client(),
        &format!("{}/v1/orders/{order}/fills", gateway.base),
        &body.to_string(),
    )
    .expect("fill request failed")
}

/// `POST /v1/orders/{order}/cancel`.
pub fn cancel_order(gateway: &Gateway, order: &str) -> Answer {
    post(
        &client(),
        &format!("{}/v1/orders/{order}/cancel", gateway.base),
        "",
    )
    .expect("cancel request failed")
}

/// The gateway's `/metrics` text.
pub fn metrics_text(gateway: &Gateway) -> String {
    let mut response = client()
        .get(&format!("{}/metrics", gateway.base))
        .call()
        .expect("metrics request failed");
    assert_eq!(response.status().as_u16(), 200);
    response.body_mut().read_to_string().expect("metrics text")
}

/// A counter or histogram part of a metrics text.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

/// The line of trader `n` as the gateway shows it.
pub fn account(gateway: &Gateway, n: u64) -> serde_json::Value {
    let (status, body) = get(
        &client(),
        &format!("{}/v1/accounts/{}", gateway.base, fp_to_hex(&tag(n))),
    )
    .expect("account request failed");
    assert_eq!(status, 200, "{body}");
    body
}

/// A money field of an answer.
pub fn uusd(value: &serde_json::Value, key: &str) -> u128 {
    value[key]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{key} is not an amount in {value}"))
}

/// Sends raw bytes and reads the status line of the answer (for requests no well-behaved
/// client would send: a huge declared length, a broken body).
pub fn raw(address: &str, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("cannot connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("cannot set a timeout");
    // The server may answer and close before it has read everything: a write error then is
    // expected, the answer is what counts.
    let _ = stream.write_all(request);
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// Runs the binary on a fresh SQLite ledger with this token file and `extra` flags, for a
/// start that must fail: its exit code and standard error.
pub fn run_to_exit(token_file: &std::path::Path, extra: &[&str]) -> (Option<i32>, String) {
    let db = Db::sqlite();
    let output = Command::new(env!("CARGO_BIN_EXE_zkmargin-gateway"))
        .args([
            "--venue",
            VENUE,
            "--publisher",
            &publisher().public().to_hex(),
        ])
        .arg("--engine-token-file")
        .arg(token_file)
        .args(["--db", &db.url(), "--listen", "127.0.0.1:0"])
        .args(extra)
        .output()
        .expect("cannot run zkmargin-gateway");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
