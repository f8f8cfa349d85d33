//! SIGKILL in the middle of a stream of charges, then a restart: no acknowledged charge is
//! lost, none is counted twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::harness::*;
use crate::on_both_databases;

const CLIENTS: usize = 6;
/// Each client's orders; the kill comes long before they are all sent.
const ORDERS_EACH: usize = 2_000;
/// Acknowledged charges to wait for before the kill.
const KILL_AFTER: usize = 300;

fn a_killed_gateway_loses_and_doubles_nothing(db: &Db) {
    admit_line(&db.url(), 1, 1 << 90, 1_000_000);
    let gateway = Gateway::start(db);
    publish(&gateway, 4812);
    let url = Arc::new(format!("{}/v1/orders", gateway.base));
    // id -> the acknowledged answer; ids sent without an answer (in flight at the kill).
    let acknowledged = Arc::new(Mutex::new(HashMap::new()));
    let unanswered = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (url, acknowledged, unanswered, count) = (
                Arc::clone(&url),
                Arc::clone(&acknowledged),
                Arc::clone(&unanswered),
                Arc::clone(&count),
            );
            thread::spawn(move || {
                let agent = client();
                for i in 0..ORDERS_EACH {
                    let id = format!("k{c}-{i}");
                    // Sizes differ per order, so that a lost or doubled charge shows in sums.
                    let size = format!("0.{:03}", 1 + (i % 97));
                    match post(&agent, &url, &perp_order(&id, 1, &size)) {
                        Ok((200, body)) => {
                            acknowledged.lock().unwrap().insert(id, (size, body));
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok((status, body)) => panic!("{id}: {status} {body}"),
                        Err(_) => {
                            unanswered.lock().unwrap().push((id, size));
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    while count.load(Ordering::SeqCst) < KILL_AFTER {
        thread::sleep(Duration::from_millis(2));
    }
    gateway.kill();
    for client in clients {
        client.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let unanswered = unanswered.lock().unwrap().clone();
    assert!(acknowledged.len() >= KILL_AFTER);

    let gateway = Gateway::start(db);
    let agent = client();
    let url = format!("{}/v1/orders", gateway.base);
    let spent_after_restart = uusd(&account(&gateway, 1), "spent_uusd");
    // Every acknowledged charge is in the ledger: its retry answers exactly the same.
    let mut sum = 0;
    for (id, (size, first)) in &acknowledged {
        let again = post(&agent, &url, &perp_order(id, 1, size)).unwrap();
        assert_eq!(again, (200, first.clone()), "{id} after the restart");
        assert_eq!(first["accepted"], true);
        sum += uusd(first, "charge_uusd");
    }
    // The ledger holds the acknowledged charges and at most the unanswered ones besides.
    assert!(
        spent_after_restart >= sum,
        "an acknowledged charge was lost"
    );
    let mut in_flight_committed = 0;
    for (id, size) in &unanswered {
        let (status, answer) = post(&agent, &url, &perp_order(id, 1, size)).unwrap();
        assert_eq!(status, 200);
        assert_eq!(answer["accepted"], true);
        in_flight_committed += uusd(&answer, "charge_uusd");
    }
    // Retrying every id charged each exactly once: what is spent is the sum of all of them.
    let spent = uusd(&account(&gateway, 1), "spent_uusd");
    assert_eq!(
        spent,
        sum + in_flight_committed,
        "a charge was counted twice or lost"
    );
    assert!(spent_after_restart <= spent);
}
on_both_databases!(sigkill, a_killed_gateway_loses_and_doubles_nothing);

/// The steps of one client's orders: order `i` is placed (0.02 BTC), half of it filled at
/// the snapshot price, then cancelled.
fn step(client: usize, k: usize) -> (String, String) {
    let id = format!("l{client}-{}", k / 3);
    match k % 3 {
        0 => ("/v1/orders".into(), perp_order(&id, 1, "0.02")),
        1 => (
            format!("/v1/orders/{id}/fills"),
            r#"{"fill_id": "f", "size": "0.01", "price": "97000.5"}"#.into(),
        ),
        _ => (format!("/v1/orders/{id}/cancel"), String::new()),
    }
}

/// SIGKILL while clients place, fill and cancel; after the restart every acknowledged step
/// answers the same, the steps in flight are retried, and the line holds exactly the fills
/// of the orders placed: no reservation lost or kept, no rest released twice.
fn a_killed_gateway_keeps_the_lifecycle(db: &Db) {
    admit_line(&db.url(), 1, 1 << 90, 1_000_000);
    let gateway = Gateway::start(db);
    publish(&gateway, 4812);
    let base = Arc::new(gateway.base.clone());
    let count = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (base, count) = (Arc::clone(&base), Arc::clone(&count));
            thread::spawn(move || {
                let agent = client();
                let mut acknowledged = Vec::new();
                for k in 0..3 * ORDERS_EACH {
                    let (path, body) = step(c, k);
                    match post(&agent, &format!("{base}{path}"), &body) {
                        Ok((200, answer)) => acknowledged.push(answer),
                        Ok((status, answer)) => panic!("{path}: {status} {answer}"),
                        Err(_) => break,
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                }
                acknowledged
            })
        })
        .collect();
    while count.load(Ordering::SeqCst) < KILL_AFTER {
        thread::sleep(Duration::from_millis(2));
    }
    gateway.kill();
    let acknowledged: Vec<Vec<serde_json::Value>> =
        clients.into_iter().map(|c| c.join().unwrap()).collect();

    let gateway = Gateway::start(db);
    let agent = client();
    let mut orders = 0;
    for (c, answers) in acknowledged.iter().enumerate() {
        for (k, first) in answers.iter().enumerate() {
            let (path, body) = step(c, k);
            let again = post(&agent, &format!("{}{path}", gateway.base), &body).unwrap();
            assert_eq!(again, (200, first.clone()), "{path} after the restart");
        }
        // The step in flight at the kill, and the rest of its order's steps.
        let placed = answers.len() / 3 + 1;
        for k in answers.len()..3 * placed {
            let (path, body) = step(c, k);
            let (status, answer) = post(&agent, &format!("{}{path}", gateway.base), &body).unwrap();
            assert_eq!(status, 200, "{path}: {answer}");
            assert_ne!(answer["accepted"], false, "{path}: {answer}");
        }
        orders += placed as u128;
    }
    let view = account(&gateway, 1);
    let fill = perp_charge(10_000_000, false, BTC_PRICE, 1_000_000);
    assert_eq!(uusd(&view, "reserved_uusd"), 0, "{view}");
    assert_eq!(uusd(&view, "filled_uusd"), orders * fill, "{view}");
    assert_eq!(uusd(&view, "spent_uusd"), orders * fill, "{view}");
}
on_both_databases!(sigkill_lifecycle, a_killed_gateway_keeps_the_lifecycle);
