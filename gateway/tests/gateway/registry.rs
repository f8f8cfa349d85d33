//! The storage API's rules for certificates, on both databases: one certificate per
//! nullifier across venues, the same certificate again is no change, and each venue gets its
//! own line of a shared certificate. And `POST /v1/certificates` answers 422 with a reason
//! until verification is wired.

use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_gateway::ledger;
use zkmargin_gateway::storage::{self, LineRecord};
use zkmargin_verifier::ledger::{Admission, AdmissionRefusal};

use crate::harness::*;
use crate::on_both_databases;

fn admit(url: &str, line: &LineRecord) -> Result<Admission, AdmissionRefusal> {
    let mut store = storage::open(url).unwrap();
    let mut outcome = None;
    store
        .transaction(&mut |tx| {
            outcome = Some(ledger::admit(tx, line, 1)?);
            Ok(())
        })
        .unwrap();
    outcome.unwrap()
}

fn one_certificate_per_nullifier(db: &Db) {
    let url = db.url();
    let line = admit_line(&url, 1, 1_000, 1_000_000);
    assert_eq!(admit(&url, &line), Ok(Admission::Again));
    let other = LineRecord {
        certificate: format!("{:064x}", 77),
        ..line.clone()
    };
    assert!(matches!(
        admit(&url, &other),
        Err(AdmissionRefusal::NullifierTaken { .. })
    ));
    // The same certificate's line at another venue sharing the database.
    let elsewhere = LineRecord {
        venue: "hyperliquid".into(),
        tag: fp_to_hex(&Fp::from(424242)),
        ..line.clone()
    };
    assert_eq!(admit(&url, &elsewhere), Ok(Admission::New));
    // Another certificate with that nullifier is refused at that venue too.
    let other_elsewhere = LineRecord {
        certificate: format!("{:064x}", 78),
        ..elsewhere
    };
    assert!(admit(&url, &other_elsewhere).is_err());

    let gateway = Gateway::start(db);
    publish(&gateway, 4812);
    let request = serde_json::json!({
        "certificate": "WktNQ0VSVAA=",
        "grant": {
            "format": "zkmargin.grant/1", "venue": VENUE, "venue_id": 7,
            "tag": fp_to_hex(&tag(1)), "allowance_uusd": "1000",
            "salt": fp_to_hex(&Fp::from(3)), "nullifier": line.nullifier,
            "certificate": line.certificate,
        },
    });
    let (status, body) = post(
        &client(),
        &format!("{}/v1/certificates", gateway.base),
        &request.to_string(),
    )
    .unwrap();
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("not yet wired"),
        "{body}"
    );
}
on_both_databases!(nullifier_registry, one_certificate_per_nullifier);
