//! Names a MockProver failure the way `zkmargin audit` and `docs/CIRCUIT.md` name things: the
//! constraint (`gate/constraint`), the lookup (`lookup: range table`) or the class of a copy
//! constraint (`copy: public input`, ...), and the region and part of the statement it is in.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use halo2_proofs::dev::{FailureLocation, MockProver, VerifyFailure};
use zkmargin_audit::inspect::{describe, operand_class, CircuitReport, CopyClass, RegionInfo};

use crate::corpus::{Attempt, PROFILE};

/// A MockProver failure, named like the audit names things.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// `gate/constraint`, `lookup: <name>` or `copy: <class>`.
    pub item: String,
    /// The failing region's name (with namespaces), or `row N` outside any region.
    pub region: String,
    /// The part of the statement the region belongs to (see `inspect::RegionInfo::part`).
    pub part: String,
}

impl Failure {
    /// Whether this failure is `item` at `at`.
    pub fn is(&self, item: &str, at: &str) -> bool {
        self.item == item && (self.region.contains(at) || self.part.contains(at))
    }
}

fn report() -> &'static CircuitReport {
    static REPORT: OnceLock<CircuitReport> = OnceLock::new();
    REPORT.get_or_init(|| describe(PROFILE).expect("the small circuit describes itself"))
}

/// Reads `Region 12 ('name')`.
fn region_index(text: &str) -> Option<usize> {
    text.strip_prefix("Region ")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn region_of(location: &FailureLocation) -> Option<&'static RegionInfo> {
    match location {
        FailureLocation::InRegion { region, .. } => {
            let index = region_index(&region.to_string())?;
            report().regions.iter().find(|r| r.index == index)
        }
        FailureLocation::OutsideRegion { .. } => None,
    }
}

fn site(location: &FailureLocation) -> (String, String) {
    match (region_of(location), location) {
        (Some(r), _) => (r.name.clone(), r.part().to_string()),
        (None, FailureLocation::OutsideRegion { row }) => (format!("row {row}"), String::new()),
        (None, other) => (other.to_string(), String::new()),
    }
}

/// Names a MockProver failure.
pub fn name_failure(failure: &VerifyFailure) -> Failure {
    let r = report();
    match failure {
        VerifyFailure::ConstraintNotSatisfied {
            constraint,
            location,
            ..
        } => {
            // `Constraint 0 ('row') in gate 3 ('arith')`, or `Constraint 1 in gate 0 (...)`.
            let text = constraint.to_string();
            let gate_index: Option<usize> = text
                .split(" in gate ")
                .nth(1)
                .and_then(|g| g.split_whitespace().next())
                .and_then(|g| g.parse().ok());
            let constraint_index: Option<usize> = text
                .strip_prefix("Constraint ")
                .and_then(|c| c.split_whitespace().next())
                .and_then(|c| c.parse().ok());
            let item = gate_index
                .and_then(|g| r.gates.get(g))
                .and_then(|g| {
                    constraint_index
                        .and_then(|c| g.constraints.get(c))
                        .map(|c| g.qualified(c))
                })
                .unwrap_or(text);
            let (region, part) = site(location);
            Failure { item, region, part }
        }
        VerifyFailure::Lookup {
            lookup_index,
            location,
        } => {
            let name = r
                .lookups
                .get(*lookup_index)
                .map_or_else(|| lookup_index.to_string(), |l| l.name.clone());
            let (region, part) = site(location);
            Failure {
                item: format!("lookup: {name}"),
                region,
                part,
            }
        }
        VerifyFailure::Permutation { column, location } => permutation_failure(column, location),
        other => Failure {
            item: format!("{other}"),
            region: String::new(),
            part: String::new(),
        },
    }
}

/// Names a failed copy constraint by the class of the cell (`inspect::CopyClass`).
fn permutation_failure(
    column: &halo2_proofs::dev::metadata::Column,
    location: &FailureLocation,
) -> Failure {
    let r = report();
    // `Column('Advice', 4)`.
    let text = column.to_string();
    let kind = if text.contains("Instance") {
        'I'
    } else if text.contains("Fixed") {
        'F'
    } else {
        'A'
    };
    let index: String = text
        .rsplit(", ")
        .next()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let row = match location {
        FailureLocation::InRegion { offset, .. } => {
            region_of(location).map(|r| r.first_row + offset)
        }
        FailureLocation::OutsideRegion { row } => Some(*row),
    };
    let class = row
        .and_then(|row| r.copy_cells.get(&(format!("{kind}{index}"), row)))
        .copied()
        .unwrap_or_else(|| match region_of(location) {
            Some(region) => region_copy_class(region),
            None => CopyClass::Constant,
        });
    let (region, part) = site(location);
    Failure {
        item: class.name().to_string(),
        region,
        part,
    }
}

/// The copy class of cells copied into a region (as `inspect` counts them).
fn region_copy_class(region: &RegionInfo) -> CopyClass {
    let gates: BTreeSet<&str> = report()
        .gates
        .iter()
        .filter(|g| g.selectors.iter().any(|s| region.selectors.contains(s)))
        .map(|g| g.name.as_str())
        .collect();
    operand_class(&gates, Some(&region.columns))
}

/// Runs MockProver on an attempt and names every failure (empty: accepted).
pub fn failures(attempt: &Attempt) -> Vec<Failure> {
    match MockProver::run(PROFILE.k, &attempt.circuit, vec![attempt.instance.clone()]) {
        Ok(prover) => match prover.verify() {
            Ok(()) => vec![],
            Err(list) => list.iter().map(name_failure).collect(),
        },
        Err(e) => vec![Failure {
            item: format!("synthesis error: {e:?}"),
            region: String::new(),
            part: String::new(),
        }],
    }
}
