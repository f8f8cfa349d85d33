//! The storage API's rules for certificates, on both databases: one certificate per
//! nullifier across venues, the same certificate again is no change, and each venue gets its
//! own line of a shared certificate. (`certificates.rs` takes real certificates over HTTP.)

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
}
on_both_databases!(nullifier_registry, one_certificate_per_nullifier);
