//! A retried order id charges once and answers the same; the same id with another order is
//! refused and changes nothing; the same id sent by several clients at once charges once.

use std::thread;

use crate::harness::*;
use crate::on_both_databases;

fn a_retried_id_charges_once(db: &Db) {
    admit_line(&db.url(), 1, 10_000_000_000, 1_000_000);
    let gateway = Gateway::start(db);
    publish(&gateway, 4812);
    let url = format!("{}/v1/orders", gateway.base);
    let agent = client();
    let first = post(&agent, &url, &perp_order("same", 1, "0.2")).unwrap();
    assert_eq!(first.0, 200);
    assert_eq!(first.1["accepted"], true);
    let charge = uusd(&first.1, "charge_uusd");
    for _ in 0..3 {
        assert_eq!(
            post(&agent, &url, &perp_order("same", 1, "0.2")).unwrap(),
            first
        );
    }
    assert_eq!(uusd(&account(&gateway, 1), "spent_uusd"), charge);
    // The same id for another order: refused, nothing charged.
    let (status, reused) = post(&agent, &url, &perp_order("same", 1, "0.3")).unwrap();
    assert_eq!(status, 200);
    assert_eq!(reused["accepted"], false);
    assert_eq!(reused["reason"], "order id already used for another order");
    assert_eq!(uusd(&account(&gateway, 1), "spent_uusd"), charge);
    // And the first answer still stands.
    assert_eq!(
        post(&agent, &url, &perp_order("same", 1, "0.2")).unwrap(),
        first
    );
    // Eight clients sending one new id at once: one charge, one answer.
    let answers: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            thread::spawn(move || post(&client(), &url, &perp_order("burst", 1, "0.2")).unwrap())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(uusd(&account(&gateway, 1), "spent_uusd"), 2 * charge);
    // Two orders, each counted once however often it was sent.
    let metrics = metrics_text(&gateway);
    assert_eq!(
        metric(&metrics, "zkmargin_orders_accepted_total"),
        2.0,
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "zkmargin_orders_refused_total"),
        0.0,
        "{metrics}"
    );
    // Across a restart too.
    drop(gateway);
    let gateway = Gateway::start(db);
    let url = format!("{}/v1/orders", gateway.base);
    assert_eq!(
        post(&client(), &url, &perp_order("same", 1, "0.2")).unwrap(),
        first
    );
    assert_eq!(uusd(&account(&gateway, 1), "spent_uusd"), 2 * charge);
}
on_both_databases!(retried_id, a_retried_id_charges_once);
