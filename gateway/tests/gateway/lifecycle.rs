//! The order lifecycle (DESIGN.md, "The venue gateway", version 2): an order reserves its
//! charge, a fill makes part of it a position at the fill's price, a cancel releases the
//! rest once; every step answers a retry the same; a fill whose charge does not fit the line
//! is refused and changes nothing.

use crate::harness::*;
use crate::on_both_databases;

const E9: u64 = 1_000_000_000;
/// A charge at level 1 and the snapshot price.
fn at_p(size_e9: u64) -> u128 {
    perp_charge(size_e9, false, BTC_PRICE, 1_000_000)
}

fn line(gateway: &Gateway) -> (u128, u128, u128) {
    let view = account(gateway, 1);
    let (spent, reserved, filled) = (
        uusd(&view, "spent_uusd"),
        uusd(&view, "reserved_uusd"),
        uusd(&view, "filled_uusd"),
    );
    assert_eq!(spent, reserved + filled, "{view}");
    (spent, reserved, filled)
}

fn reserve_fill_and_cancel(db: &Db) {
    let allowance = 10_000 * 1_000_000;
    admit_line(&db.url(), 1, allowance, 1_000_000);
    let gateway = Gateway::start(db);
    publish(&gateway, 4812);
    let orders = format!("{}/v1/orders", gateway.base);
    let agent = client();
    // 0.4 BTC reserves its charge.
    let (_, placed) = post(&agent, &orders, &perp_order("o", 1, "0.4")).unwrap();
    assert_eq!(placed["accepted"], true, "{placed}");
    assert_eq!(uusd(&placed, "charge_uusd"), at_p(4 * E9 / 10));
    assert_eq!(line(&gateway), (at_p(4 * E9 / 10), at_p(4 * E9 / 10), 0));

    // 0.1 fills at the snapshot price: that part is a position, 0.3 still reserved.
    let price = "97000.5";
    let (status, first) = fill_order(&gateway, "o", "f1", "0.1", price);
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["accepted"], true, "{first}");
    assert_eq!(uusd(&first, "charge_uusd"), at_p(E9 / 10));
    assert_eq!(first["filled_size"], "0.1");
    assert_eq!(first["rest_size"], "0.3");
    assert_eq!(uusd(&first, "reserved_uusd"), at_p(3 * E9 / 10));
    let held = at_p(E9 / 10) + at_p(3 * E9 / 10);
    assert_eq!(uusd(&first, "remaining_uusd"), allowance - held);
    assert_eq!(line(&gateway), (held, at_p(3 * E9 / 10), at_p(E9 / 10)));
    // The same fill again: the same answer, nothing more filled.
    assert_eq!(
        fill_order(&gateway, "o", "f1", "0.1", price),
        (200, first.clone())
    );
    assert_eq!(line(&gateway).0, held);
    // The same fill id for another fill: refused, nothing changed, not stored.
    let (status, reused) = fill_order(&gateway, "o", "f1", "0.2", price);
    assert_eq!(
        (status, &reused["accepted"]),
        (200, &false.into()),
        "{reused}"
    );
    assert!(reused["reason"].as_str().unwrap().contains("already used"));
    assert_eq!(line(&gateway).0, held);
    assert_eq!(fill_order(&gateway, "o", "f1", "0.1", price), (200, first));
    // More than rests: 422, nothing changed.
    let (status, over) = fill_order(&gateway, "o", "f2", "0.31", price);
    assert_eq!(status, 422, "{over}");
    assert!(over["error"]
        .as_str()
        .unwrap()
        .contains("exceeds what rests"));

    // 0.1 more, bought 100 USD above the snapshot price: its charge has the cash out.
    let (_, second) = fill_order(&gateway, "o", "f2", "0.1", "97100.5");
    assert_eq!(second["accepted"], true, "{second}");
    let above = perp_charge(E9 / 10, false, BTC_PRICE + 100 * 100_000_000, 1_000_000);
    assert_eq!(above, at_p(E9 / 10) + 10_000_000);
    assert_eq!(uusd(&second, "charge_uusd"), above);
    assert_eq!(uusd(&second, "reserved_uusd"), at_p(2 * E9 / 10));
    let filled = at_p(E9 / 10) + above;
    assert_eq!(
        line(&gateway),
        (filled + at_p(2 * E9 / 10), at_p(2 * E9 / 10), filled)
    );

    // The cancel releases exactly what rests reserves, once.
    let (status, cancelled) = cancel_order(&gateway, "o");
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["cancelled"], true);
    assert_eq!(uusd(&cancelled, "released_uusd"), at_p(2 * E9 / 10));
    assert_eq!(cancelled["filled_size"], "0.2");
    assert_eq!(uusd(&cancelled, "remaining_uusd"), allowance - filled);
    assert_eq!(line(&gateway), (filled, 0, filled));
    assert_eq!(cancel_order(&gateway, "o"), (200, cancelled));
    assert_eq!(line(&gateway), (filled, 0, filled));
    // A cancelled order takes no fill; an unknown one is 404; a refused one holds nothing.
    let (status, late) = fill_order(&gateway, "o", "f3", "0.1", price);
    assert_eq!(status, 409, "{late}");
    assert_eq!(cancel_order(&gateway, "nope").0, 404);
    assert_eq!(fill_order(&gateway, "nope", "f", "0.1", price).0, 404);
    let (_, refused) = post(&agent, &orders, &perp_order("big", 1, "1000")).unwrap();
    assert_eq!(refused["accepted"], false, "{refused}");
    assert_eq!(cancel_order(&gateway, "big").0, 409);
    assert_eq!(fill_order(&gateway, "big", "f", "0.1", price).0, 409);
    // A malformed fill: 422 naming the field.
    let (status, bad) = post(
        &agent,
        &format!("{}/v1/orders/o/fills", gateway.base),
        r#"{"fill_id": "x", "size": "0", "price": "1"}"#,
    )
    .unwrap();
    assert_eq!(status, 422, "{bad}");
    assert!(bad["error"].as_str().unwrap().contains("size"), "{bad}");
    assert_eq!(line(&gateway), (filled, 0, filled));

    // Across a restart, every answer stands.
    drop(gateway);
    let gateway = Gateway::start(db);
    assert_eq!(
        cancel_order(&gateway, "o").1["released_uusd"],
        at_p(2 * E9 / 10).to_string()
    );
    assert_eq!(line(&gateway), (filled, 0, filled));
}
on_both_databases!(reserve_fill_cancel, reserve_fill_and_cancel);

/// A market maker quoting on a line that holds two orders: a cancel gives the room back to
/// the next quote, which a consumed line would have refused.
fn a_cancel_gives_the_room_back(db: &Db) {
    let charge = at_p(E9);
    admit_line(&db.url(), 1, 2 * charge + 1, 1_000_000);
    let gateway = Gateway::start(db);
    publish(&gateway, 4812);
    let orders = format!("{}/v1/orders", gateway.base);
    let agent = client();
    for round in 0..20 {
        for side in ["bid", "ask"] {
            let id = format!("{side}-{round}");
            let size = if side == "bid" { "1" } else { "-1" };
            let (_, placed) = post(&agent, &orders, &perp_order(&id, 1, size)).unwrap();
            assert_eq!(placed["accepted"], true, "{id}: {placed}");
        }
        let (_, third) = post(&agent, &orders, &perp_order(&format!("x-{round}"), 1, "1")).unwrap();
        assert_eq!(third["accepted"], false, "the line holds two: {third}");
        for side in ["bid", "ask"] {
            let (status, _) = cancel_order(&gateway, &format!("{side}-{round}"));
            assert_eq!(status, 200);
        }
        assert_eq!(line(&gateway), (0, 0, 0));
    }
}
on_both_databases!(cancel_gives_room_back, a_cancel_gives_the_room_back);

/// A fill at a price worse than the order's takes more than it reserved: with no room left
/// on the line it is refused, and nothing changes; at the order's price it goes through.
fn a_fill_over_the_line_is_refused(db: &Db) {
    let charge = at_p(E9);
    admit_line(&db.url(), 1, charge, 1_000_000);
    let gateway = Gateway::start(db);
    publish(&gateway, 4812);
    let (_, placed) = post(
        &client(),
        &format!("{}/v1/orders", gateway.base),
        &perp_order("o", 1, "1"),
    )
    .unwrap();
    assert_eq!(placed["accepted"], true, "{placed}");
    assert_eq!(line(&gateway), (charge, charge, 0));
    let (status, worse) = fill_order(&gateway, "o", "f1", "1", "97001.5");
    assert_eq!(status, 200, "{worse}");
    assert_eq!(worse["accepted"], false, "{worse}");
    assert!(
        worse["reason"]
            .as_str()
            .unwrap()
            .contains("does not fit the line"),
        "{worse}"
    );
    assert_eq!(uusd(&worse, "charge_uusd"), charge + 1_000_000);
    assert_eq!(worse["rest_size"], "1");
    assert_eq!(line(&gateway), (charge, charge, 0));
    // Stored: the same fill id again is the same refusal.
    assert_eq!(
        fill_order(&gateway, "o", "f1", "1", "97001.5"),
        (200, worse)
    );
    let (_, fair) = fill_order(&gateway, "o", "f2", "1", "97000.5");
    assert_eq!(fair["accepted"], true, "{fair}");
    assert_eq!(line(&gateway), (charge, 0, charge));
    // Filled whole: a cancel releases nothing.
    let (_, cancelled) = cancel_order(&gateway, "o");
    assert_eq!(uusd(&cancelled, "released_uusd"), 0);
    assert_eq!(line(&gateway), (charge, 0, charge));
}
on_both_databases!(fill_over_line, a_fill_over_the_line_is_refused);
