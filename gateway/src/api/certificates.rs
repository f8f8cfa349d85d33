//! `POST /v1/certificates` `{"certificate": base64, "grant": {grant file}}`: a certificate and
//! this venue's grant in; a credit line out. 201 for a new line, 200 for the same certificate
//! again, 409 when another certificate holds the nullifier, 422 with the reason for a
//! certificate that does not verify (`crate::certificates`: verified in a batch with the
//! others that arrive together), 409 before any snapshot.
//!
//! The cheap checks come first (the body's size, its JSON, base64, the grant, then
//! `crate::certificates::precheck`: decoding, header, grant and commitment; then the nullifier
//! against the ledger): a certificate that fails one is answered without taking a place in
//! the verifier's queue. A full queue answers 503 with `Retry-After` and changes nothing.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use base64::Engine;
use zkmargin_circuits::hash::fp_to_hex;
use zkmargin_formats::certificate::Certificate;
use zkmargin_formats::grant::read_grant;
use zkmargin_formats::hex::digest_to_hex;
use zkmargin_formats::json::{to_pretty, ValueReader};
use zkmargin_verifier::ledger::{Admission, AdmissionRefusal};

use super::body::{self, CERTIFICATE_LIMIT};
use super::error::ApiError;
use super::App;
use crate::certificates::{precheck, VerifyError};
use crate::storage::LineRecord;

const LABEL: &str = "request";

pub async fn post(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let started = Instant::now();
    let result = admit(&app, &headers, body).await;
    app.metrics
        .certificate_seconds
        .observe_duration(started.elapsed());
    let metrics = &app.metrics;
    match &result {
        Ok(_) => metrics.certificates_verified.fetch_add(1, Relaxed),
        Err(e) if e.is_client_error() => metrics.certificates_refused.fetch_add(1, Relaxed),
        Err(ApiError::Busy(_)) => metrics.certificates_busy.fetch_add(1, Relaxed),
        Err(_) => metrics.requests_failed.fetch_add(1, Relaxed),
    };
    result
}

async fn admit(
    app: &App,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let doc = body::json(headers, body, CERTIFICATE_LIMIT, LABEL).await?;
    let root = ValueReader::root(LABEL, &doc);
    let top = root.object()?;
    top.only(&["certificate", "grant"])?;
    let certificate_at = top.req("certificate")?;
    let certificate = base64::engine::general_purpose::STANDARD
        .decode(certificate_at.str()?)
        .map_err(|e| certificate_at.err(format!("is not base64: {e}")))?;
    let grant_at = top.req("grant")?;
    grant_at.object()?;
    // The grant is a whole grant file inside the request: read it with the file's reader.
    let grant = read_grant(&to_pretty(grant_at.value()), "grant")?;
    let current = app
        .snapshot
        .get()
        .ok_or_else(|| ApiError::conflict("no snapshot yet: POST /v1/snapshots first"))?;
    let nullifier = precheck(&current, &certificate, &grant).map_err(verify_error)?;
    let slot = app.verifier.slot().map_err(verify_error)?;
    let digest = digest_to_hex(&Certificate::digest_of(&certificate));
    nullifier_free(app, fp_to_hex(&nullifier), digest).await?;
    let verified = app
        .verifier
        .verify(slot, current, certificate, grant)
        .await
        .map_err(verify_error)?;
    let line = LineRecord {
        venue: app.venue.clone(),
        nullifier: fp_to_hex(&verified.nullifier),
        certificate: digest_to_hex(&verified.certificate),
        tag: fp_to_hex(&verified.tag),
        epoch: verified.epoch,
        level_ppm: verified.level_ppm,
        allowance: verified.allowance,
        valid_until: verified.valid_until,
    };
    let status = match app.writer.admit(line.clone()).await? {
        Ok(Admission::New) => StatusCode::CREATED,
        Ok(Admission::Again) => StatusCode::OK,
        Err(refusal) => return Err(ApiError::conflict(refusal.to_string())),
    };
    Ok((
        status,
        Json(serde_json::json!({
            "nullifier": line.nullifier,
            "tag": line.tag,
            "allowance_uusd": line.allowance.to_string(),
            "valid_until": line.valid_until,
            "epoch": line.epoch,
            "level_ppm": line.level_ppm,
        })),
    ))
}

fn verify_error(e: VerifyError) -> ApiError {
    match e {
        VerifyError::Rejected(_) => ApiError::unprocessable(e.to_string()),
        VerifyError::Busy => ApiError::Busy(e.to_string()),
        _ => ApiError::Unavailable(e.to_string()),
    }
}

/// 409 before the proof when another certificate holds the nullifier (the admission after the
/// proof checks it again, in the transaction that takes the line).
async fn nullifier_free(app: &App, nullifier: String, digest: String) -> Result<(), ApiError> {
    let holder = app.reader.nullifier_holder(nullifier.clone()).await?;
    match holder {
        Some(held_by) if held_by != digest => Err(ApiError::conflict(
            AdmissionRefusal::NullifierTaken { nullifier, held_by }.to_string(),
        )),
        _ => Ok(()),
    }
}
