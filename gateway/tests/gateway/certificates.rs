//! `POST /v1/certificates` with real certificates (proved with the library, `certified.rs`):
//! an honest one opens a line (201, then 200 for the same again), another with the same
//! nullifier is refused (409), every altered or foreign one is refused with its reason
//! (422), certificates that arrive together are verified in one batch, and orders charge
//! against the new line until it is spent.

use std::sync::{Arc, Barrier};

use ff::Field;
use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_formats::certificate::Certificate;
use zkmargin_formats::grant::Grant;

use crate::harness::*;
use crate::on_both_databases;

fn certificates_url(gateway: &Gateway) -> String {
    format!("{}/v1/certificates", gateway.base)
}

fn submit(gateway: &Gateway, bytes: &[u8], grant: &Grant) -> Answer {
    post(
        &client(),
        &certificates_url(gateway),
        &certificate_request(bytes, grant),
    )
    .expect("certificate request failed")
}

fn submit_with(gateway: &Gateway, bytes: &[u8], grant: serde_json::Value) -> Answer {
    post(
        &client(),
        &certificates_url(gateway),
        &certificate_request_with(bytes, grant),
    )
    .expect("certificate request failed")
}

/// A 0.1 BTC perp for the trader of `tag`.
fn perp(id: &str, tag: &Fp) -> String {
    serde_json::json!({
        "id": id,
        "tag": fp_to_hex(tag),
        "order": {"kind": "perp", "underlying": "BTC", "size": "0.1"},
    })
    .to_string()
}

/// A fresh SQLite database and a gateway on it serving `snapshot` (bind the gateway last:
/// it is dropped, and killed, before its database).
fn serving(snapshot: &zkmargin_circuits::snapshot::Snapshot) -> (Db, Gateway) {
    let db = Db::sqlite();
    let gateway = Gateway::start(&db);
    publish_snapshot(&gateway, snapshot);
    (db, gateway)
}

fn error_of(answer: &Answer) -> &str {
    answer.1["error"].as_str().unwrap_or("")
}

fn honest_certificate_opens_a_line(db: &Db) {
    let cert = honest();
    let grant = &cert.grants[0];
    let gateway = Gateway::start(db);
    let early = submit(&gateway, &cert.bytes, grant);
    assert_eq!(early.0, 409, "before any snapshot: {}", early.1);
    publish_snapshot(&gateway, &main_market().snapshot);

    let (status, body) = submit(&gateway, &cert.bytes, grant);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["nullifier"], fp_to_hex(&grant.nullifier));
    assert_eq!(body["tag"], fp_to_hex(&grant.tag));
    assert_eq!(body["allowance_uusd"], LINE.to_string());
    assert_eq!(body["valid_until"], 4_000_000_000u64);
    assert_eq!(body["level_ppm"], 1_000_000);

    let again = submit(&gateway, &cert.bytes, grant);
    assert_eq!(again, (200, body.clone()), "the same certificate again");

    // Alice's other certificate of the epoch carries the same nullifier.
    let other = second();
    assert_eq!(other.grants[0].nullifier, grant.nullifier);
    let taken = submit(&gateway, &other.bytes, &other.grants[0]);
    assert_eq!(taken.0, 409, "{}", taken.1);
    assert!(error_of(&taken).contains("already taken"), "{}", taken.1);

    let agent = client();
    let tag = fp_to_hex(&grant.tag);
    let (status, line) = get(&agent, &format!("{}/v1/accounts/{tag}", gateway.base)).unwrap();
    assert_eq!(status, 200, "{line}");
    assert_eq!(uusd(&line, "allowance_uusd"), LINE);
    assert_eq!(uusd(&line, "spent_uusd"), 0);
    assert_eq!(line["nullifier"], fp_to_hex(&grant.nullifier));

    // Orders charge against the line until the next one does not fit.
    let orders = format!("{}/v1/orders", gateway.base);
    let mut accepted = 0u128;
    let refusal = loop {
        let (status, answer) =
            post(&agent, &orders, &perp(&format!("o-{accepted}"), &grant.tag)).unwrap();
        assert_eq!(status, 200, "{answer}");
        assert_eq!(uusd(&answer, "charge_uusd"), PERP_CHARGE);
        if answer["accepted"] != true {
            break answer;
        }
        accepted += 1;
        assert_eq!(
            uusd(&answer, "remaining_uusd"),
            LINE - accepted * PERP_CHARGE
        );
        assert!(accepted <= 10, "more accepted than the line holds");
    };
    assert_eq!(accepted, LINE / PERP_CHARGE);
    assert!(
        refusal["reason"].as_str().unwrap().contains("exceeds"),
        "{refusal}"
    );
    let (_, line) = get(&agent, &format!("{}/v1/accounts/{tag}", gateway.base)).unwrap();
    assert_eq!(uusd(&line, "spent_uusd"), accepted * PERP_CHARGE);
    assert_eq!(uusd(&line, "remaining_uusd"), LINE - accepted * PERP_CHARGE);
}
on_both_databases!(honest_certificate, honest_certificate_opens_a_line);

#[test]
fn refused_certificates_name_their_reason() {
    let cert = honest();
    let grant = &cert.grants[0];
    let (_db, gateway) = serving(&main_market().snapshot);

    let mut cases: Vec<(&str, Answer, &str)> = Vec::new();
    // The grant the trader gave the other venue.
    cases.push((
        "another venue's grant",
        submit(&gateway, &cert.bytes, &cert.grants[1]),
        "venue id 9",
    ));
    let altered = |key: &str, value: String| {
        let mut json = grant_json(grant);
        json[key] = value.into();
        submit_with(&gateway, &cert.bytes, json)
    };
    cases.push((
        "a raised allowance",
        altered("allowance_uusd", (LINE + 1).to_string()),
        "does not open the commitment",
    ));
    cases.push((
        "another salt",
        altered("salt", fp_to_hex(&(grant.salt + Fp::ONE))),
        "does not open the commitment",
    ));
    cases.push((
        "another tag",
        altered("tag", fp_to_hex(&(grant.tag + Fp::ONE))),
        "does not open the commitment",
    ));
    cases.push((
        "another nullifier",
        altered("nullifier", fp_to_hex(&(grant.nullifier + Fp::ONE))),
        "another nullifier",
    ));
    cases.push((
        "the grant of another certificate",
        submit(&gateway, &cert.bytes, &second().grants[0]),
        "another certificate",
    ));
    let n = cert.bytes.len();
    cases.push((
        "a truncated certificate",
        submit(&gateway, &cert.bytes[..n - 1], grant),
        "malformed certificate",
    ));
    let mut padded = cert.bytes.clone();
    padded.push(0);
    cases.push((
        "a padded certificate",
        submit(&gateway, &padded, grant),
        "malformed certificate",
    ));
    // A proof byte changed, and the grant made for the changed file: only the proof fails.
    let mut forged = cert.bytes.clone();
    forged[n - 40] ^= 1;
    let forged_grant = Grant {
        certificate: Certificate::digest_of(&forged),
        ..grant.clone()
    };
    cases.push((
        "an altered proof",
        submit(&gateway, &forged, &forged_grant),
        "does not verify",
    ));
    for (what, answer, reason) in &cases {
        assert_eq!(answer.0, 422, "{what}: {}", answer.1);
        assert!(
            error_of(answer).contains(reason),
            "{what}: {:?} does not say {reason:?}",
            answer.1
        );
    }
    // None of them opened a line.
    let agent = client();
    let tag = fp_to_hex(&grant.tag);
    let (status, _) = get(&agent, &format!("{}/v1/accounts/{tag}", gateway.base)).unwrap();
    assert_eq!(status, 404);
    let (_, answer) = post(
        &agent,
        &format!("{}/v1/orders", gateway.base),
        &perp("o", &grant.tag),
    )
    .unwrap();
    assert_eq!(answer["accepted"], false, "{answer}");
    // And the honest pair still does.
    assert_eq!(submit(&gateway, &cert.bytes, grant).0, 201);
}

#[test]
fn a_certificate_of_another_snapshot_or_epoch_is_refused() {
    let cert = honest();
    let grant = &cert.grants[0];
    // The same epoch built again (other keys and salts): another digest.
    let (_db, gateway) = serving(&market(EPOCH, 2).snapshot);
    let answer = submit(&gateway, &cert.bytes, grant);
    assert_eq!(answer.0, 422, "{}", answer.1);
    assert!(
        error_of(&answer).contains("another snapshot"),
        "{}",
        answer.1
    );
    // The next epoch.
    publish_snapshot(&gateway, &market(EPOCH + 1, 1).snapshot);
    let answer = submit(&gateway, &cert.bytes, grant);
    assert_eq!(answer.0, 422, "{}", answer.1);
    assert!(
        error_of(&answer).contains(&format!("epoch {EPOCH}")),
        "{}",
        answer.1
    );
}

/// Sent together, while the keys are still being built: one batch (or a few), each
/// certificate answered for itself; one of the two certificates of the nullifier wins.
#[test]
fn certificates_arriving_together_are_verified_in_a_batch() {
    let (cert, other) = (honest(), second());
    let (_db, gateway) = serving(&main_market().snapshot);
    let gateway = Arc::new(gateway);
    let mut bad = grant_json(&cert.grants[0]);
    bad["allowance_uusd"] = (LINE * 2).to_string().into();
    let requests = vec![
        certificate_request(&cert.bytes, &cert.grants[0]),
        certificate_request(&other.bytes, &other.grants[0]),
        certificate_request_with(&cert.bytes, bad),
        certificate_request(&cert.bytes, &cert.grants[0]),
    ];
    let barrier = Arc::new(Barrier::new(requests.len()));
    let threads: Vec<_> = requests
        .into_iter()
        .map(|body| {
            let (gateway, barrier) = (Arc::clone(&gateway), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                post(&client(), &certificates_url(&gateway), &body).unwrap()
            })
        })
        .collect();
    let answers: Vec<Answer> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(statuses[2], 422, "{:?}", answers[2]);
    assert!(error_of(&answers[2]).contains("commitment"));
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{answers:?}"
    );
    if statuses[1] == 201 {
        assert_eq!((statuses[0], statuses[3]), (409, 409), "{answers:?}");
    } else {
        assert_eq!(statuses[1], 409, "{answers:?}");
        let mut honest_pair = [statuses[0], statuses[3]];
        honest_pair.sort();
        assert_eq!(honest_pair, [200, 201], "{answers:?}");
    }
    let metrics = metrics_text(&gateway);
    let batches = metric(&metrics, "zkmargin_certificate_batch_size_count");
    assert!(
        (1.0..4.0).contains(&batches),
        "4 certificates in {batches} batches\n{metrics}"
    );
}

/// A status, the `Retry-After` header and the body of `POST /v1/certificates`.
fn submit_raw(gateway: &Gateway, body: &str) -> (u16, Option<String>, serde_json::Value) {
    post_busy(&certificates_url(gateway), body, None)
}

/// Back-pressure: with room for one certificate, those sent together while the keys are
/// still being built find the queue full and are answered 503 with `Retry-After` at once,
/// changing nothing; orders are answered meanwhile. Certificates that fail the cheap checks
/// (a grant that does not open the commitment, a nullifier another certificate holds) are
/// refused without a proof: no batch is verified for them.
#[test]
fn a_full_queue_answers_busy_with_retry_after() {
    let (cert, other) = (honest(), second());
    let db = Db::sqlite();
    admit_line(&db.url(), 1, LINE, 1_000_000);
    let gateway = Gateway::start_with(&db, VENUE, &["--certificate-queue", "1"]);
    // The keys are built in the background from here on: the first certificate waits.
    publish_snapshot(&gateway, &main_market().snapshot);
    let gateway = Arc::new(gateway);
    let body = certificate_request(&cert.bytes, &cert.grants[0]);
    let senders = 8;
    let barrier = Arc::new(Barrier::new(senders));
    let threads: Vec<_> = (0..senders)
        .map(|_| {
            let (gateway, barrier, body) =
                (Arc::clone(&gateway), Arc::clone(&barrier), body.clone());
            std::thread::spawn(move || {
                barrier.wait();
                submit_raw(&gateway, &body)
            })
        })
        .collect();
    // The order route does not wait behind the certificates.
    let (status, order) = post(
        &client(),
        &format!("{}/v1/orders", gateway.base),
        &perp_order("during", 1, "0.1"),
    )
    .unwrap();
    assert_eq!((status, &order["accepted"]), (200, &true.into()), "{order}");
    let answers: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let busy: Vec<_> = answers.iter().filter(|a| a.0 == 503).collect();
    assert!(!busy.is_empty(), "{answers:?}");
    for (_, retry, body) in &busy {
        assert_eq!(retry.as_deref(), Some("1"), "{body}");
        assert!(body["error"].as_str().unwrap().contains("retry"), "{body}");
    }
    let admitted = answers.iter().filter(|a| a.0 == 201).count();
    assert_eq!(admitted, 1, "{answers:?}");
    assert_eq!(
        busy.len() + admitted + answers.iter().filter(|a| a.0 == 200).count(),
        senders,
        "{answers:?}"
    );
    let metrics = metrics_text(&gateway);
    assert_eq!(
        metric(&metrics, "zkmargin_certificates_busy_total"),
        busy.len() as f64
    );
    // The queue is free again: the same certificate is answered as before.
    assert_eq!(submit(&gateway, &cert.bytes, &cert.grants[0]).0, 200);

    // Cheap refusals: no batch verified for them.
    let batches = metric(
        &metrics_text(&gateway),
        "zkmargin_certificate_batch_size_count",
    );
    let taken = submit(&gateway, &other.bytes, &other.grants[0]);
    assert_eq!(taken.0, 409, "{}", taken.1);
    assert!(error_of(&taken).contains("already taken"), "{}", taken.1);
    let mut bad = grant_json(&cert.grants[0]);
    bad["allowance_uusd"] = (LINE * 2).to_string().into();
    let altered = submit_with(&gateway, &cert.bytes, bad);
    assert_eq!(altered.0, 422, "{}", altered.1);
    assert!(error_of(&altered).contains("commitment"), "{}", altered.1);
    let garbage = submit(
        &gateway,
        &cert.bytes[..cert.bytes.len() / 2],
        &cert.grants[0],
    );
    assert_eq!(garbage.0, 422, "{}", garbage.1);
    assert_eq!(
        metric(
            &metrics_text(&gateway),
            "zkmargin_certificate_batch_size_count"
        ),
        batches
    );
}
