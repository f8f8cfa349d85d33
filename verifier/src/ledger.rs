//! A venue's ledger of credit lines: one certificate per nullifier, orders charged while they
//! fit the line (DESIGN.md, "Margin certificates").
//!
//! A venue that verified a certificate and its grant holds a credit line: the allowance the
//! trader granted it for the epoch, under the trader's tag. Orders spend the line by their
//! charge (`zkmargin_circuits::charge`); the ledger keeps three invariants:
//!
//! - **one certificate per nullifier**: a second, different certificate with a nullifier the
//!   ledger holds is refused (the same certificate again is answered as before). Every
//!   certificate of one account in one epoch carries the same nullifier, so this is what stops
//!   a trader from splitting the same headroom twice among the venues that share the ledger;
//! - **never over the line**: the accepted charges of a line never sum above its allowance;
//! - **one charge per order id**: an order id seen before gets the answer it got then, and
//!   charges nothing more.
//!
//! [`judge`] is the rule for one charge against one line; the in-memory [`Ledger`] here and a
//! durable one (the gateway's database) both apply it, so they cannot disagree.

use std::collections::HashMap;

use ff::PrimeField;
use zkmargin_circuits::hash::Fp;
use zkmargin_formats::hex::digest_to_hex;

/// A credit line a venue took from a verified certificate and its grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditLine {
    pub epoch: u64,
    /// The certificate's epoch nullifier `H(6, sk, epoch)`.
    pub nullifier: Fp,
    /// BLAKE2b-256 of the certificate file: the certificate's name.
    pub certificate: [u8; 32],
    /// The trader's pseudonym at this venue, `H(2, sk, venue_id)`.
    pub tag: Fp,
    /// The line, uusd (`< 2^100`, as the circuit bounds it).
    pub allowance: u128,
    /// The certificate's margin level, ppm: orders are charged at it.
    pub level_ppm: u64,
    /// The line lapses after this time (the snapshot's `valid_until`, unix seconds).
    pub valid_until: u64,
}

/// How the ledger took a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A new line.
    New,
    /// The same certificate again: nothing changed.
    Again,
}

/// Why the ledger refused a certificate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionRefusal {
    #[error("nullifier {nullifier} is already taken by certificate {held_by}")]
    NullifierTaken { nullifier: String, held_by: String },
}

/// Why an order was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChargeRefusal {
    #[error("no credit line for this tag")]
    NoLine,
    #[error("the credit line lapsed at {valid_until}")]
    Lapsed { valid_until: u64 },
    #[error("the charge {charge} uusd exceeds the remaining line {remaining} uusd")]
    OverLine { charge: u128, remaining: u128 },
    #[error("order id already used for another order")]
    IdReused,
}

/// The answer to one order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeAnswer {
    pub accepted: bool,
    /// The order's charge, uusd.
    pub charge: u128,
    /// What is left of the line after this answer, uusd (0 without a line).
    pub remaining: u128,
    pub refusal: Option<ChargeRefusal>,
}

/// One order to charge against the line of `tag`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderCharge {
    /// The venue's order id: a retry with the same id charges once.
    pub id: String,
    pub tag: Fp,
    /// The order's charge (`zkmargin_circuits::charge::order_charge`), uusd.
    pub charge: u128,
}

/// The rule for one charge: against `line` with `spent` already accepted, at time `at`.
/// Accepted exactly when the line exists, has not lapsed, and `spent + charge <= allowance`;
/// otherwise nothing is spent. Invariant kept: `spent <= allowance`.
pub fn judge(line: Option<(&CreditLine, u128)>, charge: u128, at: u64) -> ChargeAnswer {
    let refuse = |remaining, refusal| ChargeAnswer {
        accepted: false,
        charge,
        remaining,
        refusal: Some(refusal),
    };
    let Some((line, spent)) = line else {
        return refuse(0, ChargeRefusal::NoLine);
    };
    let remaining = line.allowance.saturating_sub(spent);
    if at > line.valid_until {
        return refuse(
            remaining,
            ChargeRefusal::Lapsed {
                valid_until: line.valid_until,
            },
        );
    }
    if charge > remaining {
        return refuse(remaining, ChargeRefusal::OverLine { charge, remaining });
    }
    ChargeAnswer {
        accepted: true,
        charge,
        remaining: remaining - charge,
        refusal: None,
    }
}

/// What a venue shows of one account's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineView {
    pub line: CreditLine,
    pub spent: u128,
    pub remaining: u128,
}

type Key = [u8; 32];

fn key(value: &Fp) -> Key {
    value.to_repr()
}

/// The in-memory ledger (the gateway keeps the same in a database).
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Lines by nullifier, with what has been spent of each.
    lines: HashMap<Key, (CreditLine, u128)>,
    /// The nullifier of each tag's latest line (the highest epoch).
    by_tag: HashMap<Key, Key>,
    /// Every order answered, by id.
    orders: HashMap<String, (OrderCharge, ChargeAnswer)>,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Takes the line of a verified certificate: one certificate per nullifier.
    pub fn admit(&mut self, line: CreditLine) -> Result<Admission, AdmissionRefusal> {
        let nullifier = key(&line.nullifier);
        if let Some((held, _)) = self.lines.get(&nullifier) {
            return if held.certificate == line.certificate {
                Ok(Admission::Again)
            } else {
                Err(AdmissionRefusal::NullifierTaken {
                    nullifier: zkmargin_circuits::hash::fp_to_hex(&line.nullifier),
                    held_by: digest_to_hex(&held.certificate),
                })
            };
        }
        let tag = key(&line.tag);
        let newer = match self.by_tag.get(&tag).and_then(|n| self.lines.get(n)) {
            Some((current, _)) => line.epoch > current.epoch,
            None => true,
        };
        if newer {
            self.by_tag.insert(tag, nullifier);
        }
        self.lines.insert(nullifier, (line, 0));
        Ok(Admission::New)
    }

    /// Charges one order at time `at`. The same id again gets the same answer and charges
    /// nothing; the same id with another tag or charge is refused and changes nothing.
    pub fn charge(&mut self, order: &OrderCharge, at: u64) -> ChargeAnswer {
        if let Some((seen, answer)) = self.orders.get(&order.id) {
            return if seen == order {
                answer.clone()
            } else {
                ChargeAnswer {
                    accepted: false,
                    charge: order.charge,
                    remaining: self.view(&order.tag).map_or(0, |v| v.remaining),
                    refusal: Some(ChargeRefusal::IdReused),
                }
            };
        }
        let nullifier = self.by_tag.get(&key(&order.tag)).copied();
        let entry = nullifier.and_then(|n| self.lines.get_mut(&n));
        let answer = match entry {
            Some((line, spent)) => {
                let answer = judge(Some((line, *spent)), order.charge, at);
                if answer.accepted {
                    *spent += order.charge;
                }
                answer
            }
            None => judge(None, order.charge, at),
        };
        self.orders
            .insert(order.id.clone(), (order.clone(), answer.clone()));
        answer
    }

    /// The latest line of `tag`, with what is spent and what remains.
    pub fn view(&self, tag: &Fp) -> Option<LineView> {
        let (line, spent) = self.lines.get(self.by_tag.get(&key(tag))?)?;
        Some(LineView {
            line: line.clone(),
            spent: *spent,
            remaining: line.allowance - spent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(sk: u64, epoch: u64, allowance: u128) -> CreditLine {
        CreditLine {
            epoch,
            nullifier: Fp::from(sk * 1_000 + epoch),
            certificate: [(sk * 7 + epoch) as u8; 32],
            tag: Fp::from(sk),
            allowance,
            level_ppm: 1_000_000,
            valid_until: 100,
        }
    }

    fn order(id: &str, sk: u64, charge: u128) -> OrderCharge {
        OrderCharge {
            id: id.into(),
            tag: Fp::from(sk),
            charge,
        }
    }

    #[test]
    fn one_certificate_per_nullifier() {
        let mut ledger = Ledger::new();
        assert_eq!(ledger.admit(line(1, 5, 10)), Ok(Admission::New));
        assert_eq!(ledger.admit(line(1, 5, 10)), Ok(Admission::Again));
        let mut other = line(1, 5, 99);
        other.certificate = [0xee; 32];
        assert!(matches!(
            ledger.admit(other),
            Err(AdmissionRefusal::NullifierTaken { .. })
        ));
        assert_eq!(ledger.view(&Fp::from(1)).unwrap().line.allowance, 10);
    }

    #[test]
    fn orders_are_accepted_until_the_line_refuses_one() {
        let mut ledger = Ledger::new();
        ledger.admit(line(1, 5, 10)).unwrap();
        assert!(ledger.charge(&order("a", 1, 4), 50).accepted);
        assert!(ledger.charge(&order("b", 1, 6), 50).accepted);
        let refused = ledger.charge(&order("c", 1, 1), 50);
        assert_eq!(
            refused.refusal,
            Some(ChargeRefusal::OverLine {
                charge: 1,
                remaining: 0
            })
        );
        // A zero charge still fits an exhausted line.
        assert!(ledger.charge(&order("d", 1, 0), 50).accepted);
        assert_eq!(ledger.view(&Fp::from(1)).unwrap().spent, 10);
    }

    #[test]
    fn a_retried_id_charges_once_and_answers_the_same() {
        let mut ledger = Ledger::new();
        ledger.admit(line(1, 5, 10)).unwrap();
        let first = ledger.charge(&order("a", 1, 4), 50);
        assert_eq!(ledger.charge(&order("a", 1, 4), 50), first);
        assert_eq!(ledger.view(&Fp::from(1)).unwrap().spent, 4);
        let reused = ledger.charge(&order("a", 1, 5), 50);
        assert_eq!(reused.refusal, Some(ChargeRefusal::IdReused));
        assert_eq!(ledger.view(&Fp::from(1)).unwrap().spent, 4);
    }

    #[test]
    fn no_line_and_a_lapsed_line_refuse() {
        let mut ledger = Ledger::new();
        assert_eq!(
            ledger.charge(&order("a", 1, 1), 50).refusal,
            Some(ChargeRefusal::NoLine)
        );
        ledger.admit(line(1, 5, 10)).unwrap();
        assert!(ledger.charge(&order("b", 1, 1), 100).accepted);
        assert_eq!(
            ledger.charge(&order("c", 1, 1), 101).refusal,
            Some(ChargeRefusal::Lapsed { valid_until: 100 })
        );
    }

    #[test]
    fn a_tag_spends_its_latest_epoch() {
        let mut ledger = Ledger::new();
        ledger.admit(line(1, 6, 20)).unwrap();
        ledger.admit(line(1, 5, 10)).unwrap();
        assert_eq!(ledger.view(&Fp::from(1)).unwrap().line.epoch, 6);
    }

    proptest! {
        /// No sequence of admissions and orders makes a line's accepted charges exceed its
        /// allowance, and the ledger's `spent` is exactly the sum of the distinct accepted ids.
        #[test]
        fn accepted_charges_never_exceed_a_line(
            allowances in proptest::collection::vec(0u128..1_000, 1..4),
            orders in proptest::collection::vec((0u8..12, 0u64..4, 0u128..400, 0u64..120), 0..80),
        ) {
            let mut ledger = Ledger::new();
            for (sk, allowance) in allowances.iter().enumerate() {
                ledger.admit(line(sk as u64, 5, *allowance)).unwrap();
            }
            let mut accepted: HashMap<String, (u64, u128)> = HashMap::new();
            for (id, sk, charge, at) in orders {
                let id = format!("o{id}");
                let answer = ledger.charge(&order(&id, sk, charge), at);
                if answer.accepted {
                    accepted.entry(id).or_insert((sk, charge));
                }
            }
            for (sk, allowance) in allowances.iter().enumerate() {
                let sum: u128 = accepted.values().filter(|(s, _)| *s == sk as u64).map(|(_, c)| c).sum();
                let view = ledger.view(&Fp::from(sk as u64)).unwrap();
                prop_assert!(sum <= *allowance);
                prop_assert_eq!(view.spent, sum);
                prop_assert_eq!(view.remaining, allowance - sum);
            }
        }
    }
}
