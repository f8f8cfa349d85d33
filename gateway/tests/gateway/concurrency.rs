//! Many clients charging one line at once: the accepted charges never exceed the line, and
//! orders are accepted until what remains is smaller than the next charge.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use crate::harness::*;
use crate::on_both_databases;

const CLIENTS: usize = 16;
const ORDERS_EACH: usize = 12;

fn many_clients_never_overspend_one_line(db: &Db) {
    let gateway = Gateway::start(db);
    publish(&gateway, 4812);
    let url = format!("{}/v1/orders", gateway.base);
    // Learn the charge of one order with a probe on another trader's line.
    admit_line(&db.url(), 9, 1 << 60, 1_000_000);
    let (_, probe) = post(&client(), &url, &perp_order("probe", 9, "0.01")).unwrap();
    let charge = uusd(&probe, "charge_uusd");
    // Room for 50 orders and a half: 192 orders race for it.
    let allowance = 50 * charge + charge / 2;
    admit_line(&db.url(), 1, allowance, 1_000_000);
    let url = Arc::new(url);
    let answers: Vec<serde_json::Value> = (0..CLIENTS)
        .map(|c| {
            let url = Arc::clone(&url);
            thread::spawn(move || {
                let agent = client();
                (0..ORDERS_EACH)
                    .map(|i| {
                        let (status, body) =
                            post(&agent, &url, &perp_order(&format!("c{c}-{i}"), 1, "0.01"))
                                .unwrap();
                        assert_eq!(status, 200, "{body}");
                        body
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let accepted = answers.iter().filter(|a| a["accepted"] == true).count();
    assert_eq!(accepted, 50, "exactly what fits is accepted");
    for answer in &answers {
        assert_eq!(uusd(answer, "charge_uusd"), charge);
        if answer["accepted"] == false {
            // Refused only once what remains is smaller than the charge.
            assert!(uusd(answer, "remaining_uusd") < charge, "{answer}");
        }
    }
    let view = account(&gateway, 1);
    assert_eq!(uusd(&view, "spent_uusd"), 50 * charge);
    assert_eq!(uusd(&view, "remaining_uusd"), charge / 2);
}
on_both_databases!(concurrent_clients, many_clients_never_overspend_one_line);

/// Two gateway processes on one PostgreSQL database share one ledger: together they still
/// never accept more than the line.
#[test]
fn two_processes_share_one_postgres_ledger() {
    let db = Db::postgres();
    let gateways = [Gateway::start(&db), Gateway::start(&db)];
    publish(&gateways[0], 4812);
    publish(&gateways[1], 4812);
    admit_line(&db.url(), 9, 1 << 60, 1_000_000);
    let (_, probe) = post(
        &client(),
        &format!("{}/v1/orders", gateways[0].base),
        &perp_order("probe", 9, "0.01"),
    )
    .unwrap();
    let charge = uusd(&probe, "charge_uusd");
    admit_line(&db.url(), 1, 30 * charge, 1_000_000);
    let handles: Vec<_> = (0..8)
        .map(|c| {
            let url = format!("{}/v1/orders", gateways[c % 2].base);
            thread::spawn(move || {
                let agent = client();
                (0..10)
                    .filter(|i| {
                        let (status, body) =
                            post(&agent, &url, &perp_order(&format!("p{c}-{i}"), 1, "0.01"))
                                .unwrap();
                        assert_eq!(status, 200, "{body}");
                        body["accepted"] == true
                    })
                    .count()
            })
        })
        .collect();
    let accepted: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(accepted, 30);
    assert_eq!(uusd(&account(&gateways[1], 1), "spent_uusd"), 30 * charge);
}

/// One request sent twice at once, as a client that retries before the first answer; each
/// copy to the gateway of `bases` whose turn it is. Both copies must get the same answer.
fn twice(bases: &[String], turn: usize, path: &str, body: &str) -> serde_json::Value {
    let copies: Vec<_> = (0..2)
        .map(|copy| {
            let url = format!("{}{path}", bases[(turn + copy) % bases.len()]);
            let body = body.to_string();
            thread::spawn(move || post(&client(), &url, &body).unwrap())
        })
        .collect();
    let answers: Vec<Answer> = copies.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(answers[0], answers[1], "{path}: two copies, two answers");
    assert_eq!(answers[0].0, 200, "{path}: {}", answers[0].1);
    answers[0].1.clone()
}

/// The line of trader 1 at the gateway of `base`: what its orders hold, checked within the
/// allowance and as the sum of its parts.
fn line_at(base: &str, allowance: u128) -> (u128, u128, u128) {
    let tag = zkmargin_circuits::hash::fp_to_hex(&tag(1));
    let (_, view) = get(&client(), &format!("{base}/v1/accounts/{tag}")).unwrap();
    let parts = (
        uusd(&view, "spent_uusd"),
        uusd(&view, "reserved_uusd"),
        uusd(&view, "filled_uusd"),
    );
    assert!(parts.0 <= allowance, "over the line: {view}");
    assert_eq!(parts.0, parts.1 + parts.2, "{view}");
    parts
}

const LIFECYCLE_CLIENTS: usize = 6;
const LIFECYCLE_ORDERS: usize = 8;

/// One client's orders: each placed, then filled not at all, in part or whole (in one or two
/// fills), then cancelled; every request delivered twice at once, to the gateways in turn.
/// What its accepted fills charged, and how many of its orders were accepted.
fn lifecycle_client(bases: &[String], c: usize, charge: u128) -> (u128, usize) {
    let (mut filled, mut accepted) = (0, 0);
    for i in 0..LIFECYCLE_ORDERS {
        let id = format!("s{c}-{i}");
        let turn = c + i;
        let placed = twice(bases, turn, "/v1/orders", &perp_order(&id, 1, "0.01"));
        if placed["accepted"] != true {
            assert!(uusd(&placed, "remaining_uusd") < charge, "{placed}");
            continue;
        }
        accepted += 1;
        let fills: &[&str] = match turn % 3 {
            0 => &[],
            1 => &["0.004"],
            _ => &["0.005", "0.005"],
        };
        for (n, size) in fills.iter().enumerate() {
            let body =
                serde_json::json!({"fill_id": format!("t{n}"), "size": size, "price": "97000.5"});
            let path = format!("/v1/orders/{id}/fills");
            let answer = twice(bases, turn + n + 1, &path, &body.to_string());
            assert_eq!(answer["accepted"], true, "{answer}");
            filled += uusd(&answer, "charge_uusd");
        }
        let cancelled = twice(bases, turn + 3, &format!("/v1/orders/{id}/cancel"), "");
        assert_eq!(cancelled["cancelled"], true, "{cancelled}");
    }
    (filled, accepted)
}

/// Clients place, fill and cancel orders on one line at once (every request delivered twice,
/// to two gateways when there are two) while a watcher reads the line: what the line's
/// orders hold never exceeds its allowance, and at the end it is exactly the charges of the
/// fills (every order cancelled, every rest released once).
fn lifecycle_storm(db: &Db, gateways: &[&Gateway]) {
    for gateway in gateways {
        publish(gateway, 4812);
    }
    let charge = perp_charge(10_000_000, false, BTC_PRICE, 1_000_000);
    // Room for four resting orders and a half: the clients contend for it.
    let allowance = 4 * charge + charge / 2;
    admit_line(&db.url(), 1, allowance, 1_000_000);
    let bases: Arc<Vec<String>> = Arc::new(gateways.iter().map(|g| g.base.clone()).collect());
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (bases, done) = (Arc::clone(&bases), Arc::clone(&done));
        thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::SeqCst) {
                line_at(&bases[reads % bases.len()], allowance);
                reads += 1;
            }
            reads
        })
    };
    let clients: Vec<_> = (0..LIFECYCLE_CLIENTS)
        .map(|c| {
            let bases = Arc::clone(&bases);
            thread::spawn(move || lifecycle_client(&bases, c, charge))
        })
        .collect();
    let (mut filled, mut accepted) = (0, 0);
    for client in clients {
        let (f, a) = client.join().unwrap();
        filled += f;
        accepted += a;
    }
    done.store(true, Ordering::SeqCst);
    assert!(watcher.join().unwrap() > 0);
    assert!(accepted >= 4, "only {accepted} orders accepted");
    for base in bases.iter() {
        assert_eq!(line_at(base, allowance), (filled, 0, filled));
    }
}

fn lifecycle_under_concurrency_and_retries(db: &Db) {
    lifecycle_storm(db, &[&Gateway::start(db)]);
}
on_both_databases!(lifecycle_storm_one, lifecycle_under_concurrency_and_retries);

/// The same across two gateway processes on one PostgreSQL database, each request's two
/// copies to the two processes.
#[test]
fn lifecycle_across_two_processes() {
    let db = Db::postgres();
    let (a, b) = (Gateway::start(&db), Gateway::start(&db));
    lifecycle_storm(&db, &[&a, &b]);
}
