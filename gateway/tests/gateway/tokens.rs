//! Who may call what: every engine route (freezes among them) needs the engine's bearer token (401 and nothing
//! changed without it), the certificate route needs none, `--public-listen` serves only the
//! trader-facing routes, and a token file others can read stops the gateway from starting.

use zkmargin_circuits::hash::fp_to_hex;

use crate::harness::*;
use crate::on_both_databases;

/// Every way of not presenting the token: none, another scheme, a wrong one, a prefix.
fn strangers() -> Vec<(&'static str, Option<String>)> {
    vec![
        ("no Authorization", None),
        ("Basic", Some(format!("Basic {ENGINE_TOKEN}"))),
        (
            "a wrong token",
            Some(format!("Bearer {}", ENGINE_TOKEN.replace('d', "e"))),
        ),
        (
            "a prefix of the token",
            Some(format!(
                "Bearer {}",
                &ENGINE_TOKEN[..ENGINE_TOKEN.len() - 1]
            )),
        ),
        ("the bare token", Some(ENGINE_TOKEN.to_string())),
    ]
}

fn unauthorized(answer: Answer, what: &str) {
    assert_eq!(answer.0, 401, "{what}: {}", answer.1);
    assert!(answer.1["error"].is_string(), "{what}: {}", answer.1);
}

fn engine_routes_need_the_token(db: &Db) {
    admit_line(&db.url(), 1, 10_000_000_000, 1_000_000);
    let gateway = Gateway::start(db);
    let agent = client();
    let base = &gateway.base;
    let snapshot = signed_snapshot(&snapshot(4812), &publisher());
    let account_url = format!("{base}/v1/accounts/{}", fp_to_hex(&tag(1)));
    for (what, authorization) in strangers() {
        let authorization = authorization.as_deref();
        let snapshots = post_with(
            &agent,
            &format!("{base}/v1/snapshots"),
            &snapshot,
            authorization,
        );
        unauthorized(snapshots.unwrap(), what);
        let order = post_with(
            &agent,
            &format!("{base}/v1/orders"),
            &perp_order("o-1", 1, "0.1"),
            authorization,
        );
        unauthorized(order.unwrap(), what);
        unauthorized(get_with(&agent, &account_url, authorization).unwrap(), what);
        let freeze = post_with(
            &agent,
            &format!("{account_url}/freeze"),
            "{\"reason\": \"a stranger's liquidation\"}",
            authorization,
        );
        unauthorized(freeze.unwrap(), what);
    }
    // The 401 says how to authenticate.
    let response = agent
        .post(&format!("{base}/v1/orders"))
        .send(perp_order("o-1", 1, "0.1"))
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers().get("www-authenticate").unwrap();
    assert!(
        challenge.to_str().unwrap().starts_with("Bearer"),
        "{challenge:?}"
    );

    // Nothing changed: no snapshot was taken, and the order id is still free.
    let (_, health) = get_with(&agent, &format!("{base}/healthz"), None).unwrap();
    assert_eq!(health["epoch"], serde_json::Value::Null, "{health}");
    publish(&gateway, 4812);
    let (status, body) = post(
        &agent,
        &format!("{base}/v1/orders"),
        &perp_order("o-1", 1, "0.1"),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    // (Not frozen: the order is accepted.)
    assert_eq!(body["accepted"], true, "{body}");
    assert_eq!(
        uusd(&body, "remaining_uusd"),
        10_000_000_000 - uusd(&body, "charge_uusd")
    );

    // The trader's route needs no token: a bad certificate reaches the verifier's checks.
    let (status, body) = post_with(
        &agent,
        &format!("{base}/v1/certificates"),
        "{\"certificate\": \"AAAA\", \"grant\": {}}",
        None,
    )
    .unwrap();
    assert_eq!(status, 422, "{body}");
    let metrics = agent
        .get(&format!("{base}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        metrics.contains(&format!(
            "zkmargin_requests_unauthorized_total {}\n",
            4 * strangers().len() + 1
        )),
        "{metrics}"
    );
}
on_both_databases!(engine_token, engine_routes_need_the_token);

/// `--public-listen` serves certificates and `/healthz`; none of the engine's routes, not
/// even with the token, and not the metrics.
#[test]
fn the_public_address_serves_only_the_trader() {
    let db = Db::sqlite();
    let gateway = Gateway::start_with(&db, VENUE, &["--public-listen", "127.0.0.1:0"]);
    let public = gateway.public.clone().unwrap();
    assert_ne!(public, gateway.base);
    let agent = client();
    let (status, health) = get_with(&agent, &format!("{public}/healthz"), None).unwrap();
    assert_eq!((status, &health["status"]), (200, &"ok".into()), "{health}");
    let (status, body) = post_with(
        &agent,
        &format!("{public}/v1/certificates"),
        "{\"certificate\": \"AAAA\", \"grant\": {}}",
        None,
    )
    .unwrap();
    assert_eq!(status, 422, "{body}");
    let snapshot = signed_snapshot(&snapshot(4812), &publisher());
    for (path, body) in [("/v1/snapshots", snapshot.as_str()), ("/v1/orders", "{}")] {
        let (status, answer) = post(&agent, &format!("{public}{path}"), body).unwrap();
        assert_eq!(status, 404, "{path}: {answer}");
    }
    let account = format!("{public}/v1/accounts/{}", fp_to_hex(&tag(1)));
    assert_eq!(get(&agent, &account).unwrap().0, 404);
    assert_eq!(get(&agent, &format!("{public}/metrics")).unwrap().0, 404);
    // The engine's address still serves everything.
    publish(&gateway, 4812);
}

/// Runs the binary with this token file and returns its exit code and standard error.
fn start_with_token_file(path: &std::path::Path) -> (Option<i32>, String) {
    run_to_exit(path, &[])
}

#[test]
fn a_token_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engine.token");
    write_token_file(&path, ENGINE_TOKEN);
    for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let (code, stderr) = start_with_token_file(&path);
        assert_eq!(code, Some(1), "mode {mode:o}: {stderr}");
        assert!(stderr.contains("engine.token"), "{stderr}");
        assert!(stderr.contains("chmod 600"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    // A weak token, and no file at all.
    write_token_file(&path, "short");
    let (code, stderr) = start_with_token_file(&path);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("at least 32 characters"), "{stderr}");
    let (code, stderr) = start_with_token_file(&dir.path().join("missing"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("missing"), "{stderr}");
}
