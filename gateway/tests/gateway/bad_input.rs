//! Bad input of every kind gets a 4xx with a JSON reason: never a 5xx, never a crash.

use zkmargin_circuits::hash::fp_to_hex;
use zkmargin_formats::publisher_key::PublisherSecret;

use crate::harness::*;
use crate::on_both_databases;

/// Every answer to bad input: a 4xx whose body is `{"error": reason}`.
fn refused(answer: (u16, serde_json::Value), expected: u16, what: &str) {
    let (status, body) = answer;
    assert_eq!(status, expected, "{what}: {body}");
    let reason = body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no reason in {body}"));
    assert!(!reason.is_empty(), "{what}");
}

fn bad_requests_are_4xx(db: &Db) {
    admit_line(&db.url(), 1, 10_000_000_000, 1_000_000);
    let mut gateway = Gateway::start(db);
    let agent = client();
    let base = gateway.base.clone();
    let orders = format!("{base}/v1/orders");
    let snapshots = format!("{base}/v1/snapshots");
    let certificates = format!("{base}/v1/certificates");

    // Snapshots: garbage, unsigned, signed by another key, altered after signing.
    let s = snapshot(4812);
    refused(
        post(&agent, &snapshots, "not json").unwrap(),
        422,
        "garbage snapshot",
    );
    let unsigned = zkmargin_formats::snapshot::write_snapshot(&s);
    refused(
        post(&agent, &snapshots, &unsigned).unwrap(),
        422,
        "unsigned snapshot",
    );
    let other = signed_snapshot(&s, &PublisherSecret::from_bytes(&[8; 32]));
    refused(
        post(&agent, &snapshots, &other).unwrap(),
        422,
        "another publisher",
    );
    let altered = signed_snapshot(&s, &publisher()).replace("\"epoch\": 4812", "\"epoch\": 4813");
    assert_ne!(altered, signed_snapshot(&s, &publisher()));
    refused(
        post(&agent, &snapshots, &altered).unwrap(),
        422,
        "altered snapshot",
    );
    let mut elsewhere = s.clone();
    elsewhere.venues[0].name = "okx".into();
    refused(
        post(
            &agent,
            &snapshots,
            &signed_snapshot(&elsewhere, &publisher()),
        )
        .unwrap(),
        422,
        "a snapshot without this venue",
    );
    publish(&gateway, 4812);

    let tag = fp_to_hex(&tag(1));
    let cases: Vec<(&str, String, u16)> = vec![
        ("not JSON", "{\"id\":".into(), 400),
        ("empty body", String::new(), 400),
        ("trailing garbage", format!("{} x", perp_order("a", 1, "1")), 400),
        ("an array", "[]".into(), 422),
        ("missing fields", "{}".into(), 422),
        ("an unknown field", serde_json::json!({"id": "a", "tag": tag, "order": {"kind": "perp", "underlying": "BTC", "size": "1"}, "price": "1"}).to_string(), 422),
        ("an unknown field in the order", serde_json::json!({"id": "a", "tag": tag, "order": {"kind": "perp", "underlying": "BTC", "size": "1", "leverage": 5}}).to_string(), 422),
        ("id of the wrong type", serde_json::json!({"id": 5, "tag": tag, "order": {"kind": "perp", "underlying": "BTC", "size": "1"}}).to_string(), 422),
        ("empty id", serde_json::json!({"id": "", "tag": tag, "order": {"kind": "perp", "underlying": "BTC", "size": "1"}}).to_string(), 422),
        ("id with a newline", serde_json::json!({"id": "a\nb", "tag": tag, "order": {"kind": "perp", "underlying": "BTC", "size": "1"}}).to_string(), 422),
        ("bad tag", serde_json::json!({"id": "a", "tag": "0x12", "order": {"kind": "perp", "underlying": "BTC", "size": "1"}}).to_string(), 422),
        ("size as a number", serde_json::json!({"id": "a", "tag": tag, "order": {"kind": "perp", "underlying": "BTC", "size": 1}}).to_string(), 422),
        ("zero size", serde_json::json!({"id": "a", "tag": tag, "order": {"kind": "perp", "underlying": "BTC", "size": "0"}}).to_string(), 422),
        ("too many decimals", serde_json::json!({"id": "a", "tag": tag, "order": {"kind": "perp", "underlying": "BTC", "size": "0.0000000001"}}).to_string(), 422),
        ("unknown asset", serde_json::json!({"id": "a", "tag": tag, "order": {"kind": "perp", "underlying": "DOGE", "size": "1"}}).to_string(), 422),
        ("perp with an entry", serde_json::json!({"id": "a", "tag": tag, "order": {"kind": "perp", "underlying": "BTC", "size": "1", "entry": "1"}}).to_string(), 422),
        ("expired option", serde_json::json!({"id": "a", "tag": tag, "order": {"kind": "call", "underlying": "BTC", "size": "1", "strike": "1", "expiry": 1}}).to_string(), 422),
        ("fill out of range", serde_json::json!({"id": "a", "tag": tag, "order": {"kind": "perp", "underlying": "BTC", "size": "1"}, "fill": "99999999999"}).to_string(), 422),
        ("fill as null", serde_json::json!({"id": "a", "tag": tag, "order": {"kind": "perp", "underlying": "BTC", "size": "1"}, "fill": null}).to_string(), 422),
        ("duplicate key", format!("{{\"id\": \"a\", \"id\": \"b\", \"tag\": \"{tag}\", \"order\": {{\"kind\": \"perp\", \"underlying\": \"BTC\", \"size\": \"1\"}}}}"), 422),
        ("huge body", format!("{{\"id\": \"{}\"}}", "x".repeat(1 << 20)), 413),
    ];
    for (what, body, status) in &cases {
        refused(post(&agent, &orders, body).unwrap(), *status, what);
    }
    // Not UTF-8.
    let (status, text) = raw(
        gateway.address(),
        &[
            b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".as_slice(),
            format!("Authorization: {}\r\n", bearer()).as_bytes(),
            b"Content-Length: 4\r\n\r\n\xff\xfe{}",
        ]
        .concat(),
    );
    assert_eq!(status, 400, "{text}");
    // A declared length far past the limit: refused before the body is read.
    let (status, text) = raw(
        gateway.address(),
        &[
            b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".as_slice(),
            format!("Authorization: {}\r\n", bearer()).as_bytes(),
            b"Content-Length: 1000000000\r\n\r\n{\"id\":",
        ]
        .concat(),
    );
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("\"error\""), "{text}");

    // Accounts, unknown routes and methods.
    refused(
        get(&agent, &format!("{base}/v1/accounts/nope")).unwrap(),
        422,
        "bad tag in the path",
    );
    refused(
        get(
            &agent,
            &format!("{base}/v1/accounts/{}", fp_to_hex(&crate::harness::tag(2))),
        )
        .unwrap(),
        404,
        "no line",
    );
    refused(
        get(&agent, &format!("{base}/v2/nothing")).unwrap(),
        404,
        "unknown route",
    );
    refused(get(&agent, &orders).unwrap(), 405, "GET on orders");

    // Certificates: garbage, not base64, a grant of the wrong shape.
    refused(
        post(&agent, &certificates, "[").unwrap(),
        400,
        "garbage certificate request",
    );
    refused(
        post(
            &agent,
            &certificates,
            "{\"certificate\": \"!!\", \"grant\": {}}",
        )
        .unwrap(),
        422,
        "not base64",
    );
    refused(
        post(
            &agent,
            &certificates,
            "{\"certificate\": \"AAAA\", \"grant\": {\"format\": \"zkmargin.grant/1\"}}",
        )
        .unwrap(),
        422,
        "incomplete grant",
    );
    refused(
        post(
            &agent,
            &certificates,
            "{\"certificate\": \"AAAA\", \"grant\": 5}",
        )
        .unwrap(),
        422,
        "grant not an object",
    );
    refused(
        post(
            &agent,
            &certificates,
            "{\"certificate\": \"AAAA\", \"grant\": {}, \"x\": 1}",
        )
        .unwrap(),
        422,
        "unknown field",
    );

    // Still alive and still charging.
    assert!(gateway.alive());
    let (status, body) = post(&agent, &orders, &perp_order("fine", 1, "0.1")).unwrap();
    assert_eq!(
        (status, &body["accepted"]),
        (200, &serde_json::Value::Bool(true)),
        "{body}"
    );
    let mut metrics = agent.get(&format!("{base}/metrics")).call().unwrap();
    let text = metrics.body_mut().read_to_string().unwrap();
    assert!(
        text.contains("zkmargin_requests_failed_total 0\n"),
        "{text}"
    );
}
on_both_databases!(bad_input, bad_requests_are_4xx);

/// A bounded fuzz run of the order decoder: random mutations of a valid request never get
/// a 5xx or stop the gateway.
fn mutated_orders_never_get_a_5xx(db: &Db) {
    admit_line(&db.url(), 1, 10_000_000_000, 1_000_000);
    let mut gateway = Gateway::start(db);
    publish(&gateway, 4812);
    let agent = client();
    let url = format!("{}/v1/orders", gateway.base);
    let seed = perp_order("fuzz", 1, "0.25").into_bytes();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // xorshift64: a fixed sequence, so a failure replays.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..400 {
        let mut bytes = seed.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[at] = (next() % 128) as u8,
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, b"{}[]\",:0-.e\\"[(next() % 12) as usize]),
            }
        }
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let (status, answer) =
            post(&agent, &url, &body).unwrap_or_else(|e| panic!("round {round}: {e}: {body}"));
        assert!(status < 500, "round {round}: {status} {answer} for {body}");
        assert!(
            status == 200 || answer["error"].is_string(),
            "round {round}: {answer}"
        );
    }
    assert!(gateway.alive());
}
on_both_databases!(fuzz_orders, mutated_orders_never_get_a_5xx);

/// A bad flag is a reason the gateway cannot start: exit 1 and one line on stderr naming it,
/// as its other start failures (clap's own usage errors would exit 2).
#[test]
fn a_bad_flag_exits_1_with_one_line() {
    let token = tempfile::tempdir().unwrap();
    let token_file = token.path().join("engine.token");
    write_token_file(&token_file, ENGINE_TOKEN);
    for extra in [
        &["--bogus"][..],
        &["--certificate-queue", "0"],
        &["--registry-poll-ms", "many"],
    ] {
        let (code, stderr) = run_to_exit(&token_file, extra);
        assert_eq!(code, Some(1), "{extra:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{extra:?}: {stderr}");
        assert!(
            stderr.starts_with("zkmargin-gateway: ") && stderr.contains(extra[0]),
            "{extra:?}: {stderr}"
        );
    }
}
