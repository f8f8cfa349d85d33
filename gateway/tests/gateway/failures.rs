//! Failures of the ledger are answers with their kind, never the end of the service
//! (issue 21): a corrupt row in a real PostgreSQL is answered 500 naming the corruption while
//! the next good request is served and `/healthz` stays true; a ledger that cannot take more
//! work answers 503 with `Retry-After` within bounded time (the send timeout, the request
//! timeout, the limit of requests under way).

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use zkmargin_gateway::storage;

use crate::harness::*;

/// Asserts that the error of answer `body` holds `words`.
fn assert_says(body: &serde_json::Value, words: &str) {
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.contains(words), "{words:?} not in {body}");
}

/// `GET /healthz`: its status and body.
fn health(gateway: &Gateway) -> (u16, serde_json::Value) {
    get_with(&client(), &format!("{}/healthz", gateway.base), None).expect("healthz failed")
}

/// Runs `sql` on the test's PostgreSQL database, as an operator editing it by hand would.
fn tamper(db: &Db, sql: &str) {
    let mut client = postgres::Client::connect(&db.url(), postgres::NoTls)
        .expect("cannot connect to the test database");
    client
        .batch_execute(sql)
        .expect("cannot tamper with the row");
}

/// A row whose cell no longer reads as its type (a NULL where the ledger keeps an amount)
/// used to panic in the row reader and end the writer's thread: every later request was
/// answered 503 while `/healthz` said ok. Now the requests that touch the row are answered
/// 500 naming the corruption, every other one is served, alone or batched with them, and
/// `/healthz` says the writer is there.
#[test]
fn a_corrupt_row_in_postgres_is_answered_and_the_next_request_served() {
    let db = Db::postgres();
    let url = db.url();
    let bad = admit_line(&url, 1, 100_000_000_000, 1_000_000);
    admit_line(&url, 2, 100_000_000_000, 1_000_000);
    let gateway = Gateway::start(&db);
    publish(&gateway, 4812);
    let orders = format!("{}/v1/orders", gateway.base);
    tamper(
        &db,
        &format!(
            "ALTER TABLE spent ALTER COLUMN filled_uusd DROP NOT NULL; \
             UPDATE spent SET filled_uusd = NULL WHERE nullifier = '{}'",
            bad.nullifier
        ),
    );
    let agent = client();
    let (status, body) = post(&agent, &orders, &perp_order("bad-1", 1, "0.1")).unwrap();
    assert_eq!(status, 500, "{body}");
    assert_says(&body, "the ledger is corrupt");
    assert_says(&body, "filled amount");
    // The next good request is served, and health tells the truth: the writer is there.
    let (status, body) = post(&agent, &orders, &perp_order("good-1", 2, "0.1")).unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], true, "{body}");
    let (status, body) = health(&gateway);
    assert_eq!((status, &body["status"]), (200, &"ok".into()), "{body}");
    // Reads go their own way and say the same.
    let (status, body) = get(&agent, &format!("{}/v1/accounts/{}", gateway.base, bad.tag)).unwrap();
    assert_eq!(status, 500, "{body}");
    assert_says(&body, "corrupt");
    assert_eq!(uusd(&account(&gateway, 2), "spent_uusd"), charge_of_tenth());
    // Batched together (sent at once from several clients), the good orders are still all
    // charged: a failed batch is run again one operation at a time.
    let senders: Vec<_> = (0..4)
        .map(|client_n| {
            let orders = orders.clone();
            thread::spawn(move || {
                let agent = client();
                (0..10)
                    .map(|k| {
                        let trader = 1 + (client_n + k) as u64 % 2;
                        let id = format!("mix-{client_n}-{k}");
                        let (status, body) =
                            post(&agent, &orders, &perp_order(&id, trader, "0.1")).unwrap();
                        (trader, status, body)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut good = 0;
    for sender in senders {
        for (trader, status, body) in sender.join().unwrap() {
            if trader == 1 {
                assert_eq!(status, 500, "{body}");
            } else {
                assert_eq!((status, &body["accepted"]), (200, &true.into()), "{body}");
                good += 1;
            }
        }
    }
    assert_eq!(good, 20);
    let spent = uusd(&account(&gateway, 2), "spent_uusd");
    assert_eq!(spent, 21 * charge_of_tenth());
    let (status, _) = health(&gateway);
    assert_eq!(status, 200);
    let log = std::fs::read_to_string(&gateway.log).unwrap_or_default();
    assert!(log.contains("corrupt"), "{log}");
}

/// The charge of a 0.1 BTC perp long at level 1.
fn charge_of_tenth() -> u128 {
    perp_charge(100_000_000, false, BTC_PRICE, 1_000_000)
}

/// Holds the SQLite ledger's write lock for `hold` from another connection (as another
/// process would), so that the gateway's writer waits; returns once the lock is held.
fn hold_the_lock(url: &str, hold: Duration) -> thread::JoinHandle<()> {
    let (held, wait) = mpsc::channel();
    let url = url.to_string();
    let holder = thread::spawn(move || {
        let mut store = storage::open(&url).expect("cannot open the ledger");
        store
            .transaction(&mut |_| {
                let _ = held.send(());
                thread::sleep(hold);
                Ok(())
            })
            .expect("cannot hold the lock");
    });
    wait.recv().expect("the lock holder stopped");
    holder
}

/// Sends order `id` of trader 1 from a thread of its own.
fn order_in_background(
    orders: &str,
    id: &str,
) -> thread::JoinHandle<(u16, Option<String>, serde_json::Value)> {
    let (orders, body) = (orders.to_string(), perp_order(id, 1, "0.1"));
    thread::spawn(move || post_busy(&orders, &body, Some(&bearer())))
}

/// The writer held up (another process holds SQLite's lock): with room for one job in its
/// queue, the request that finds no room waits the send timeout and is answered 503 with
/// `Retry-After`, having done nothing; those already queued are answered 503 at the request
/// timeout, and their charges are committed once the lock is free (a retry with the same id
/// gets the answer). Then, with one request allowed under way, one more is refused at once
/// while `/healthz` still answers.
#[test]
fn a_held_up_ledger_answers_busy_in_bounded_time() {
    let db = Db::sqlite();
    admit_line(&db.url(), 1, 100_000_000_000, 1_000_000);
    let gateway = Gateway::start_with(
        &db,
        VENUE,
        &[
            "--ledger-queue",
            "1",
            "--ledger-wait-ms",
            "200",
            "--request-timeout-ms",
            "1500",
        ],
    );
    publish(&gateway, 4812);
    let orders = format!("{}/v1/orders", gateway.base);
    let holder = hold_the_lock(&db.url(), Duration::from_secs(4));
    // The writer takes `a` and waits for the lock; `b` takes the queue's one place.
    let a = order_in_background(&orders, "a");
    thread::sleep(Duration::from_millis(400));
    let b = order_in_background(&orders, "b");
    thread::sleep(Duration::from_millis(400));
    let started = Instant::now();
    let (status, retry, body) = post_busy(&orders, &perp_order("c", 1, "0.1"), Some(&bearer()));
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((status, retry.as_deref()), (503, Some("1")), "{body}");
    assert_says(&body, "busy");
    for (id, order) in [("a", a), ("b", b)] {
        let (status, _, body) = order.join().unwrap();
        assert_eq!(status, 503, "{id}: {body}");
        assert_says(&body, "took longer");
    }
    holder.join().unwrap();
    // `a` and `b` were committed after their timeout; `c` was never queued.
    let agent = client();
    for id in ["a", "b", "c"] {
        let (status, body) = post(&agent, &orders, &perp_order(id, 1, "0.1")).unwrap();
        assert_eq!(
            (status, &body["accepted"]),
            (200, &true.into()),
            "{id}: {body}"
        );
    }
    assert_eq!(
        uusd(&account(&gateway, 1), "spent_uusd"),
        3 * charge_of_tenth()
    );
    let (status, _) = health(&gateway);
    assert_eq!(status, 200);
    drop(gateway);

    // One request under way at most: another is refused at once, monitoring still answers.
    let gateway = Gateway::start_with(&db, VENUE, &["--max-requests", "1"]);
    let holder = hold_the_lock(&db.url(), Duration::from_secs(3));
    let d = order_in_background(&orders_of(&gateway), "d");
    thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let (status, retry, body) = post_busy(
        &orders_of(&gateway),
        &perp_order("e", 1, "0.1"),
        Some(&bearer()),
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!((status, retry.as_deref()), (503, Some("1")), "{body}");
    assert_says(&body, "too many");
    let (status, body) = health(&gateway);
    assert_eq!(status, 200, "{body}");
    holder.join().unwrap();
    let (status, _, body) = d.join().unwrap();
    assert_eq!((status, &body["accepted"]), (200, &true.into()), "{body}");
}

fn orders_of(gateway: &Gateway) -> String {
    format!("{}/v1/orders", gateway.base)
}

/// `/healthz` follows the database: the server stopped, an order is answered 503 and so is
/// `/healthz` (naming the ledger as unavailable); started again, both are served again (the
/// gateway connects anew), and the order refused during the outage was never charged.
#[test]
fn health_follows_the_database() {
    let db = Db::postgres();
    let Db::Postgres(cluster) = &db else {
        unreachable!("a PostgreSQL database")
    };
    admit_line(&db.url(), 1, 100_000_000_000, 1_000_000);
    let gateway = Gateway::start(&db);
    publish(&gateway, 4812);
    let (agent, orders) = (client(), orders_of(&gateway));
    let (status, body) = post(&agent, &orders, &perp_order("before", 1, "0.1")).unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(health(&gateway).0, 200);
    cluster.stop();
    let (status, body) = post(&agent, &orders, &perp_order("during", 1, "0.1")).unwrap();
    assert_eq!(status, 503, "{body}");
    assert_says(&body, "unavailable");
    let (status, body) = health(&gateway);
    assert_eq!(
        (status, &body["status"]),
        (503, &"unavailable".into()),
        "{body}"
    );
    assert_says(&body, "unavailable");
    cluster.start_again();
    let until = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        let answer = post(&agent, &orders, &perp_order("during", 1, "0.1")).unwrap();
        if answer.0 != 503 || Instant::now() > until {
            break answer;
        }
        thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        (answer.0, &answer.1["accepted"]),
        (200, &true.into()),
        "{}",
        answer.1
    );
    let (status, body) = health(&gateway);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        uusd(&account(&gateway, 1), "spent_uusd"),
        2 * charge_of_tenth()
    );
}
