//! Many clients charging one line at once: the accepted charges never exceed the line, and
//! orders are accepted until what remains is smaller than the next charge.

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
