//! Liquidations reach every venue (DESIGN.md, "The venue gateway", version 2): a freeze at
//! one venue's gateway marks the nullifier in the database the venues share, and the next new
//! order of that nullifier is refused there and at every other gateway on the database, while
//! the trader's resting orders still fill and cancel. A freeze again changes nothing.

use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_gateway::storage::LineRecord;

use crate::harness::*;

/// The other venue sharing the database in these tests.
const OTHER: &str = "hyperliquid";
/// The tag trader 1 has at `OTHER` (its own, as each venue's tag is).
const OTHER_TAG: u64 = 424_242;
const ALLOWANCE: u128 = 10_000 * USD;

/// Trader 1's line at `VENUE` and, with the same certificate and nullifier, at `OTHER`.
fn admit_both_venues(url: &str) -> (LineRecord, LineRecord) {
    let here = admit_line(url, 1, ALLOWANCE, 1_000_000);
    let there = LineRecord {
        venue: OTHER.into(),
        tag: fp_to_hex(&Fp::from(OTHER_TAG)),
        ..here.clone()
    };
    admit_new(url, &there);
    (here, there)
}

pub fn order_at(gateway: &Gateway, id: &str, tag: &str, size: &str) -> serde_json::Value {
    let body = serde_json::json!({
        "id": id,
        "tag": tag,
        "order": {"kind": "perp", "underlying": "BTC", "size": size},
    });
    let (status, answer) = post(
        &client(),
        &format!("{}/v1/orders", gateway.base),
        &body.to_string(),
    )
    .expect("order request failed");
    assert_eq!(status, 200, "{answer}");
    answer
}

fn freeze(gateway: &Gateway, tag: &str, reason: &str) -> Answer {
    post(
        &client(),
        &format!("{}/v1/accounts/{tag}/freeze", gateway.base),
        &serde_json::json!({ "reason": reason }).to_string(),
    )
    .expect("freeze request failed")
}

pub fn account_of(gateway: &Gateway, tag: &str) -> serde_json::Value {
    let (status, body) = get(&client(), &format!("{}/v1/accounts/{tag}", gateway.base))
        .expect("account request failed");
    assert_eq!(status, 200, "{body}");
    body
}

pub fn assert_frozen_refusal(answer: &serde_json::Value, by: &str) {
    assert_eq!(answer["accepted"], false, "{answer}");
    assert!(uusd(answer, "charge_uusd") > 0, "{answer}");
    let reason = answer["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&format!("frozen by {by}")), "{answer}");
}

/// The freeze at `freezer` (venue `VENUE`), the orders at `trader` (venue `trader_venue`):
/// the same gateway on SQLite, two venues' gateways on PostgreSQL.
fn a_freeze_stops_new_orders(
    db: &Db,
    freezer: &Gateway,
    trader: &Gateway,
    here: &LineRecord,
    t: &str,
) {
    // Trader 1 has a resting order at the trader's venue before the liquidation.
    let resting = order_at(trader, "resting", t, "0.4");
    assert_eq!(resting["accepted"], true, "{resting}");
    let view = account_of(trader, t);
    assert_eq!(view["frozen"], serde_json::Value::Null, "{view}");

    // The venue liquidates trader 1: 200 after the commit, the freeze in the answer.
    let (status, frozen) = freeze(freezer, &here.tag, "liquidated at 06:00");
    assert_eq!(status, 200, "{frozen}");
    assert_eq!(frozen["nullifier"], here.nullifier, "{frozen}");
    assert_eq!(frozen["venue"], VENUE, "{frozen}");
    assert_eq!(frozen["reason"], "liquidated at 06:00", "{frozen}");

    // The very next order of that nullifier is refused, and nothing is reserved for it.
    let before = uusd(&account_of(trader, t), "spent_uusd");
    let refused = order_at(trader, "after", t, "0.1");
    assert_frozen_refusal(&refused, VENUE);
    assert_eq!(uusd(&account_of(trader, t), "spent_uusd"), before);
    // Its retry answers the same.
    assert_eq!(order_at(trader, "after", t, "0.1"), refused);
    // The resting order still fills and its rest is still released.
    let (status, filled) = fill_order(trader, "resting", "f1", "0.1", "97000.5");
    assert_eq!(
        (status, &filled["accepted"]),
        (200, &true.into()),
        "{filled}"
    );
    let (status, cancelled) = cancel_order(trader, "resting");
    assert_eq!(status, 200, "{cancelled}");
    assert!(uusd(&cancelled, "released_uusd") > 0, "{cancelled}");
    // The account shows the freeze.
    let view = account_of(trader, t);
    assert_eq!(view["frozen"], frozen, "{view}");

    // A freeze again (another reason) answers the first and changes nothing.
    let (status, again) = freeze(freezer, &here.tag, "liquidated twice");
    assert_eq!((status, &again), (200, &frozen));
    // Another trader trades on.
    admit_line(&db.url(), 2, ALLOWANCE, 1_000_000);
    let other = order_at(freezer, "other", &fp_to_hex(&tag(2)), "0.1");
    assert_eq!(other["accepted"], true, "{other}");
    assert_eq!(
        metric(&metrics_text(freezer), "zkmargin_freezes_total"),
        1.0
    );
}

#[test]
fn a_freeze_stops_new_orders_sqlite() {
    let db = Db::sqlite();
    let (here, _) = admit_both_venues(&db.url());
    let gateway = Gateway::start(&db);
    publish(&gateway, EPOCH);
    a_freeze_stops_new_orders(&db, &gateway, &gateway, &here, &here.tag);
    // A tag without a line here: 404, nothing frozen.
    let (status, body) = freeze(&gateway, &fp_to_hex(&tag(99)), "none");
    assert_eq!(status, 404, "{body}");
    // A bad reason or tag: 4xx naming it.
    let (status, body) = freeze(&gateway, &here.tag, "");
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("reason"), "{body}");
    let (status, body) = freeze(&gateway, "0x12", "r");
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("tag"), "{body}");
}

/// Two venues' gateways on one PostgreSQL database: deribit freezes, the next order at
/// hyperliquid is refused.
#[test]
fn a_freeze_reaches_the_other_venue_postgres() {
    let db = Db::postgres();
    let (here, there) = admit_both_venues(&db.url());
    let deribit = Gateway::start(&db);
    let hyperliquid = Gateway::start_with(&db, OTHER, &[]);
    publish(&deribit, EPOCH);
    publish(&hyperliquid, EPOCH);
    a_freeze_stops_new_orders(&db, &deribit, &hyperliquid, &here, &there.tag);
    // The freeze at hyperliquid of its own tag answers deribit's, and its own orders of that
    // nullifier were refused too.
    let (status, again) = freeze(&hyperliquid, &there.tag, "also liquidated");
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["venue"], VENUE, "{again}");
    assert_frozen_refusal(&order_at(&deribit, "d", &here.tag, "0.1"), VENUE);
    assert_eq!(
        metric(&metrics_text(&hyperliquid), "zkmargin_freezes_total"),
        0.0
    );
}

/// At once, under a stream of orders: while one client sends orders at hyperliquid without
/// pause, deribit freezes. Every order sent after the freeze was answered is refused, and no
/// order is accepted after the first one refused for the freeze.
#[test]
fn orders_sent_after_the_answer_are_refused_postgres() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Arc;
    let db = Db::postgres();
    let (here, there) = admit_both_venues(&db.url());
    let deribit = Gateway::start(&db);
    let hyperliquid = Arc::new(Gateway::start_with(&db, OTHER, &[]));
    publish(&deribit, EPOCH);
    publish(&hyperliquid, EPOCH);
    let answered = Arc::new(AtomicBool::new(false));
    let stream = {
        let (gateway, answered, tag) = (
            Arc::clone(&hyperliquid),
            Arc::clone(&answered),
            there.tag.clone(),
        );
        std::thread::spawn(move || {
            // (sent after the freeze's answer, accepted), in the order sent.
            let mut seen = Vec::new();
            let mut after_answer = 0;
            for i in 0..5_000 {
                let after = answered.load(SeqCst);
                let answer = order_at(&gateway, &format!("s-{i}"), &tag, "0.001");
                let accepted = answer["accepted"] == true;
                if !accepted {
                    assert_frozen_refusal(&answer, VENUE);
                }
                seen.push((after, accepted));
                after_answer += usize::from(after);
                if after_answer == 20 {
                    break;
                }
            }
            seen
        })
    };
    // Let the stream run, then freeze in the middle of it.
    while uusd(&account_of(&hyperliquid, &there.tag), "spent_uusd") == 0 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let (status, frozen) = freeze(&deribit, &here.tag, "liquidated mid-stream");
    assert_eq!(status, 200, "{frozen}");
    answered.store(true, SeqCst);
    let seen = stream.join().unwrap();
    assert!(seen.iter().any(|&(_, accepted)| accepted), "{seen:?}");
    assert_eq!(seen.iter().filter(|&&(after, _)| after).count(), 20);
    assert!(
        seen.iter().all(|&(after, accepted)| !(after && accepted)),
        "an order sent after the freeze's answer was accepted: {seen:?}"
    );
    let first_refused = seen.iter().position(|&(_, accepted)| !accepted).unwrap();
    assert!(
        seen[first_refused..].iter().all(|&(_, accepted)| !accepted),
        "{seen:?}"
    );
}
