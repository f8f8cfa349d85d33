//! Orders against a line: charged at the line's level by the circuits' `order_charge`,
//! accepted while they fit, the account showing what is spent.

use crate::harness::*;
use crate::on_both_databases;

/// The charge of a BTC perp long of `size_e9` at deribit at the snapshot price, at `level`.
fn expected_charge(size_e9: u64, level_ppm: u64) -> u128 {
    perp_charge(size_e9, false, BTC_PRICE, level_ppm)
}

fn orders_are_charged_until_the_line_is_spent(db: &Db) {
    // 0.1 BTC at 97000.5 is 9,700.05 USD; its worst scenario is the extreme move, three scan
    // ranges (3 x 10%) of which 35% is covered, 10.5%, and the contingency 0.1%: 1,028.2053 USD
    // of portfolio margin; at level 1.5: 1,542.30795 USD.
    let charge = expected_charge(100_000_000, 1_500_000);
    assert_eq!(charge, 1_542_307_950);
    admit_line(&db.url(), 1, 3 * charge + 5, 1_500_000);
    let gateway = Gateway::start(db);
    let agent = client();
    let orders = format!("{}/v1/orders", gateway.base);
    // No snapshot yet: the gateway cannot read an order.
    let (status, body) = post(&agent, &orders, &perp_order("o0", 1, "0.1")).unwrap();
    assert_eq!(status, 409, "{body}");
    publish(&gateway, 4812);
    for (i, remaining) in [2 * charge + 5, charge + 5, 5].into_iter().enumerate() {
        let (status, body) =
            post(&agent, &orders, &perp_order(&format!("o{i}"), 1, "0.1")).unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["accepted"], true, "{body}");
        assert_eq!(uusd(&body, "charge_uusd"), charge);
        assert_eq!(uusd(&body, "remaining_uusd"), remaining);
        assert!(body.get("reason").is_none());
    }
    let (status, body) = post(&agent, &orders, &perp_order("o3", 1, "0.1")).unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["accepted"], false);
    assert_eq!(uusd(&body, "remaining_uusd"), 5);
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("exceeds the remaining line"),
        "{body}"
    );
    let view = account(&gateway, 1);
    assert_eq!(uusd(&view, "spent_uusd"), 3 * charge);
    assert_eq!(uusd(&view, "remaining_uusd"), 5);
    assert_eq!(view["epoch"], 4812);
    // A trader without a line is refused, with a reason.
    let (status, body) = post(&agent, &orders, &perp_order("o4", 2, "0.1")).unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["accepted"], false);
    assert_eq!(body["reason"], "no credit line for this tag");
    // A buy above the snapshot price pays the difference as cash out.
    let buy_above = serde_json::json!({
        "id": "o5", "tag": zkmargin_circuits::hash::fp_to_hex(&tag(3)),
        "order": {"kind": "perp", "underlying": "BTC", "size": "1"}, "fill": "97100.5",
    });
    admit_line(&db.url(), 3, 10_000_000_000, 1_000_000);
    let (status, body) = post(&agent, &orders, &buy_above.to_string()).unwrap();
    assert_eq!(status, 200, "{body}");
    // Portfolio margin 10.6% of 97,000.5 USD (the extreme move's 10.5% and the contingency's
    // 0.1%) = 10282053000, plus the cash out ceil(1e9 * 100e8 / 1e11) = 100000000.
    assert_eq!(uusd(&body, "charge_uusd"), 10_282_053_000 + 100_000_000);
}
on_both_databases!(
    charged_until_spent,
    orders_are_charged_until_the_line_is_spent
);

fn a_restart_keeps_the_snapshot_and_the_ledger(db: &Db) {
    admit_line(&db.url(), 1, 10_000_000_000, 1_000_000);
    let gateway = Gateway::start(db);
    publish(&gateway, 4812);
    let (status, _) = post(
        &client(),
        &format!("{}/v1/orders", gateway.base),
        &perp_order("a", 1, "0.5"),
    )
    .unwrap();
    assert_eq!(status, 200);
    drop(gateway);
    let gateway = Gateway::start(db);
    let (_, health) = get(&client(), &format!("{}/healthz", gateway.base)).unwrap();
    assert_eq!(health["epoch"], 4812, "{health}");
    let view = account(&gateway, 1);
    assert_eq!(
        uusd(&view, "spent_uusd"),
        expected_charge(500_000_000, 1_000_000)
    );
    // Metrics are Prometheus text.
    let text = metrics_text(&gateway);
    assert!(
        text.contains("# TYPE zkmargin_orders_accepted_total counter"),
        "{text}"
    );
    assert!(
        text.contains("zkmargin_order_seconds_bucket{le=\"+Inf\"}"),
        "{text}"
    );
}
on_both_databases!(restart_resumes, a_restart_keeps_the_snapshot_and_the_ledger);
