//! A gateway pointed at the on-chain registry (`--registry-url`) honours its freezes (issue
//! 18): another venue, sharing no database with this one, freezes a trader's nullifier in the
//! contract; this gateway reads the contract's freeze log and refuses that trader's next
//! order, while its resting order still cancels. The registry here is the chain's REST API as
//! a node serves a smart query (`GET .../contract/ADDRESS/smart/BASE64`), its answers built
//! from the contract's own answer types (`zkmargin_onchain::msg`); the contract producing
//! them from a real `freeze` is `onchain/tests/vm.rs`. An unreachable or garbled registry is
//! counted and never stops orders.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use cosmwasm_std::Addr;
use zkmargin_onchain::msg::{Freeze, FreezesResponse, LoggedFreeze};

use crate::freezes::{account_of, assert_frozen_refusal, order_at};
use crate::harness::*;

const CONTRACT: &str = "/cosmwasm/wasm/v1/contract/wasm1registry";
const ALLOWANCE: u128 = 10_000 * USD;

/// What the fake node answers: the log, or garbage while `garbled`.
#[derive(Default)]
struct Node {
    log: Vec<LoggedFreeze>,
    garbled: bool,
    reads: u64,
}

/// Serves the registry's smart queries on a free port until the test ends; returns the
/// registry URL a gateway is given.
fn serve(node: Arc<Mutex<Node>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the node");
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // The headers, up to the blank line (a GET has no body).
            loop {
                let mut header = String::new();
                match reader.read_line(&mut header) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if header == "\r\n" => break,
                    Ok(_) => {}
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
            let (status, body) = answer(&node, &path);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{address}{CONTRACT}")
}

fn answer(node: &Mutex<Node>, path: &str) -> (&'static str, String) {
    let mut node = node.lock().unwrap();
    node.reads += 1;
    let Some(encoded) = path.strip_prefix(&format!("{CONTRACT}/smart/")) else {
        return ("404 Not Found", "{}".into());
    };
    if node.garbled {
        return ("200 OK", "{\"data\": [1, 2".into());
    }
    let query: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("the query is base64"),
    )
    .expect("the query is JSON");
    let after = query["freezes"]["after"].as_u64().expect("a freezes query");
    let limit = query["freezes"]["limit"].as_u64().expect("a limit") as usize;
    let answer = FreezesResponse {
        freezes: node
            .log
            .iter()
            .filter(|f| f.sequence > after)
            .take(limit)
            .cloned()
            .collect(),
        last: node.log.len() as u64,
    };
    ("200 OK", serde_json::json!({ "data": answer }).to_string())
}

/// Waits until `name` reaches `value` in the gateway's metrics (a few poll intervals).
fn wait_for_metric(gateway: &Gateway, name: &str, value: f64) {
    let started = Instant::now();
    while metric(&metrics_text(gateway), name) < value {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{name} did not reach {value}:\n{}",
            std::fs::read_to_string(&gateway.log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_freeze_on_chain_stops_new_orders_at_a_gateway_that_follows_the_registry() {
    let node = Arc::new(Mutex::new(Node {
        garbled: true,
        ..Node::default()
    }));
    let url = serve(Arc::clone(&node));
    let db = Db::sqlite();
    let line = admit_line(&db.url(), 1, ALLOWANCE, 1_000_000);
    let gateway = Gateway::start_with(
        &db,
        VENUE,
        &["--registry-url", &url, "--registry-poll-ms", "100"],
    );
    publish(&gateway, EPOCH);

    // A garbled registry is counted; orders go on.
    wait_for_metric(&gateway, "zkmargin_registry_errors_total", 1.0);
    let resting = order_at(&gateway, "resting", &line.tag, "0.4");
    assert_eq!(resting["accepted"], true, "{resting}");
    node.lock().unwrap().garbled = false;

    // Another venue (hyperliquid, on its own database) liquidates trader 1 on chain.
    let freeze = Freeze {
        venue: Addr::unchecked("cosmwasm1hyperliquid"),
        reason: "liquidated at hyperliquid".into(),
        frozen_at: 1_767_225_900,
    };
    node.lock().unwrap().log.push(LoggedFreeze {
        sequence: 1,
        nullifier: line.nullifier.clone(),
        freeze,
    });
    wait_for_metric(&gateway, "zkmargin_chain_freezes_total", 1.0);

    // The next order of that nullifier is refused; the resting one still cancels.
    let refused = order_at(&gateway, "after", &line.tag, "0.1");
    assert_frozen_refusal(&refused, "chain:cosmwasm1hyperliquid");
    let view = account_of(&gateway, &line.tag);
    assert_eq!(
        view["frozen"]["venue"], "chain:cosmwasm1hyperliquid",
        "{view}"
    );
    assert_eq!(
        view["frozen"]["reason"], "liquidated at hyperliquid",
        "{view}"
    );
    let (status, cancelled) = cancel_order(&gateway, "resting");
    assert_eq!(status, 200, "{cancelled}");

    // Another trader trades on; the log, read again, records nothing twice.
    let other = admit_line(&db.url(), 2, ALLOWANCE, 1_000_000);
    let reads = node.lock().unwrap().reads;
    while node.lock().unwrap().reads < reads + 3 {
        std::thread::sleep(Duration::from_millis(50));
    }
    let accepted = order_at(&gateway, "other", &other.tag, "0.1");
    assert_eq!(accepted["accepted"], true, "{accepted}");
    assert_eq!(
        metric(&metrics_text(&gateway), "zkmargin_chain_freezes_total"),
        1.0
    );
}

#[test]
fn a_registry_url_that_is_not_plain_http_is_refused_at_start() {
    let token = tempfile::tempdir().unwrap();
    let token_file = token.path().join("engine.token");
    write_token_file(&token_file, ENGINE_TOKEN);
    let (code, stderr) = run_to_exit(
        &token_file,
        &[
            "--registry-url",
            "https://node:1317/cosmwasm/wasm/v1/contract/x",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("--registry-url"), "{stderr}");
}
