//! Following the on-chain registry's freezes (`--registry-url URL`; issue 18): a venue that
//! shares no database with the others still refuses the orders of a trader another venue
//! liquidated, once that venue froze the nullifier in the contract (`onchain/`, execute
//! `freeze {nullifier, reason}`).
//!
//! Every `--registry-poll-ms` the follower reads the contract's freeze log after the last
//! entry it has seen, over the chain's REST API (a CosmWasm smart query: `GET
//! URL/smart/<base64 of {"freezes": {"after": N, "limit": 100}}>`, where URL is
//! `http://NODE:1317/cosmwasm/wasm/v1/contract/<ADDRESS>`), and records each freeze in the
//! ledger's `frozen` table, where `rules::charge` reads it in the transaction that charges: the
//! next order of that nullifier's lines is refused, as after `POST
//! /v1/accounts/{tag}/freeze`. The freeze's venue is recorded as `chain:<the freezing venue's
//! address>`; the first freeze of a nullifier stands, here as on chain.
//!
//! Bounds: a freeze reaches this gateway within one poll interval plus the block time; the
//! log is read from the start at every start of the gateway (recording a freeze again changes
//! nothing), at most 100 entries a read, reads repeated at once while the log has more. A
//! failed read (the node unreachable, an answer not understood) is counted
//! (`zkmargin_registry_errors_total`), said on stderr, and retried at the next interval; it
//! never stops the gateway or its orders.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;

use crate::clock;
use crate::metrics::Metrics;
use crate::storage::FreezeRecord;
use crate::writer::Writer;

/// Entries asked for in one read (the contract answers at most 100).
const PAGE: u32 = 100;

/// The registry's answer to `freezes {after, limit}` (onchain's `FreezesResponse`), bare or in
/// the REST API's `{"data": ...}`.
#[derive(Debug, Deserialize)]
struct FreezesAnswer {
    freezes: Vec<LoggedFreeze>,
    last: u64,
}

#[derive(Debug, Deserialize)]
struct LoggedFreeze {
    sequence: u64,
    nullifier: String,
    freeze: ChainFreeze,
}

#[derive(Debug, Deserialize)]
struct ChainFreeze {
    venue: String,
    reason: String,
    frozen_at: u64,
}

#[derive(Debug, Deserialize)]
struct Wrapped {
    data: FreezesAnswer,
}

/// The smart query's address for the log after `after`.
pub fn query_url(base: &str, after: u64) -> String {
    let query = format!(r#"{{"freezes":{{"after":{after},"limit":{PAGE}}}}}"#);
    let encoded = base64::engine::general_purpose::STANDARD.encode(query);
    format!("{}/smart/{encoded}", base.trim_end_matches('/'))
}

/// The freezes of an answer, each checked (its nullifier canonical hex, its sequence after
/// `after` and in order), and the log's last sequence.
fn read_answer(text: &str, after: u64) -> Result<(Vec<FreezeRecord>, u64, u64), String> {
    let answer = serde_json::from_str::<Wrapped>(text)
        .map(|w| w.data)
        .or_else(|_| serde_json::from_str::<FreezesAnswer>(text))
        .map_err(|e| format!("not a freezes answer: {e}"))?;
    let mut seen = after;
    let mut records = Vec::new();
    for logged in answer.freezes {
        if logged.sequence != seen + 1 {
            return Err(format!(
                "freeze {} follows {seen}: the log's entries must come in order",
                logged.sequence
            ));
        }
        seen = logged.sequence;
        let canonical = zkmargin_circuits::hash::fp_from_hex(&logged.nullifier)
            .map(|fp| zkmargin_circuits::hash::fp_to_hex(&fp))
            .filter(|hex| *hex == logged.nullifier)
            .ok_or_else(|| format!("freeze {seen}: {:?} is not a nullifier", logged.nullifier))?;
        records.push(FreezeRecord {
            nullifier: canonical,
            venue: format!("chain:{}", logged.freeze.venue),
            reason: logged.freeze.reason,
            frozen_at: logged.freeze.frozen_at,
        });
    }
    Ok((records, seen, answer.last))
}

/// Reads the log after `after` (blocking HTTP, on the blocking pool).
async fn read_log(base: &str, after: u64) -> Result<(Vec<FreezeRecord>, u64, u64), String> {
    let url = query_url(base, after);
    let text = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        agent
            .get(&url)
            .call()
            .map_err(|e| format!("GET {url}: {e}"))?
            .body_mut()
            .with_config()
            .limit(4 << 20)
            .read_to_string()
            .map_err(|e| format!("GET {url}: {e}"))
    })
    .await
    .map_err(|e| format!("the registry read stopped: {e}"))??;
    read_answer(&text, after)
}

/// Records each freeze in the ledger (the first of a nullifier stands); returns how many were
/// new here.
async fn record(writer: &Writer, freezes: Vec<FreezeRecord>) -> Result<u64, String> {
    writer
        .record_freezes(freezes)
        .await
        .map_err(|e| e.to_string())
}

/// Follows the registry at `base` every `interval` until the runtime stops.
pub fn spawn(base: String, interval: Duration, writer: Writer, metrics: Arc<Metrics>) {
    tokio::spawn(async move {
        let mut after = 0;
        loop {
            match read_log(&base, after).await {
                Ok((freezes, seen, last)) => match record(&writer, freezes).await {
                    Ok(made) => {
                        metrics.chain_freezes.fetch_add(made, Relaxed);
                        if made > 0 {
                            eprintln!(
                                "zkmargin-gateway: {made} freeze(s) from the registry recorded \
                                 (log read to {seen}, at {})",
                                clock::now()
                            );
                        }
                        after = seen;
                        if seen < last {
                            continue; // more waiting: read on at once
                        }
                    }
                    Err(e) => {
                        metrics.registry_errors.fetch_add(1, Relaxed);
                        eprintln!("zkmargin-gateway: the registry's freezes not recorded: {e}");
                    }
                },
                Err(e) => {
                    metrics.registry_errors.fetch_add(1, Relaxed);
                    eprintln!("zkmargin-gateway: cannot read the registry's freezes: {e}");
                }
            }
            tokio::time::sleep(interval).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const NULLIFIER: &str = "0x29bcbc131c5daca7b34e85f71b2c2e7d95d25e5b56ba2c5e95a80420f595d424";

    fn answer(entries: &[(u64, &str)], last: u64) -> String {
        let freezes: Vec<serde_json::Value> = entries
            .iter()
            .map(|(sequence, nullifier)| {
                serde_json::json!({"sequence": sequence, "nullifier": nullifier,
                    "freeze": {"venue": "cosmwasm1venue", "reason": "liquidated", "frozen_at": 5}})
            })
            .collect();
        serde_json::json!({"data": {"freezes": freezes, "last": last}}).to_string()
    }

    #[test]
    fn the_query_is_the_contracts_freezes_message() {
        let url = query_url("http://node:1317/cosmwasm/wasm/v1/contract/wasm1x/", 7);
        let encoded = url
            .strip_prefix("http://node:1317/cosmwasm/wasm/v1/contract/wasm1x/smart/")
            .unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            r#"{"freezes":{"after":7,"limit":100}}"#
        );
    }

    #[test]
    fn answers_are_read_in_order_and_checked() {
        let (records, seen, last) = read_answer(&answer(&[(3, NULLIFIER)], 4), 2).unwrap();
        assert_eq!((seen, last), (3, 4));
        assert_eq!(records[0].nullifier, NULLIFIER);
        assert_eq!(records[0].venue, "chain:cosmwasm1venue");
        // Bare answers too; nothing new.
        let (records, seen, _) = read_answer(r#"{"freezes": [], "last": 2}"#, 2).unwrap();
        assert!(records.is_empty());
        assert_eq!(seen, 2);
        // A gap, an entry again, a nullifier that is not one, not an answer: refused.
        for (text, after) in [
            (answer(&[(4, NULLIFIER)], 4), 2),
            (answer(&[(2, NULLIFIER)], 4), 2),
            (answer(&[(3, "0x12")], 3), 2),
            (answer(&[(3, &NULLIFIER.to_uppercase())], 3), 2),
            ("[]".to_string(), 0),
        ] {
            assert!(read_answer(&text, after).is_err(), "{text}");
        }
    }
}
