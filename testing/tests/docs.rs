//! `docs/CIRCUIT.md` and `zkmargin audit` name the same items: every gate constraint, the
//! lookup and every copy class the audit reports has its section (`### \`name\``) in the map,
//! the map has no section for an item the circuit does not have, and every cheat of the
//! corpus appears in it.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use zkmargin_audit::inspect::{describe, CircuitReport, CopyClass};
use zkmargin_circuits::profile::ALL;
use zkmargin_testing::corpus::corpus;

/// Every profile's report, described once for all the tests here (desk's takes seconds).
fn reports() -> &'static [CircuitReport] {
    static REPORTS: OnceLock<Vec<CircuitReport>> = OnceLock::new();
    REPORTS.get_or_init(|| ALL.iter().map(|p| describe(*p).unwrap()).collect())
}

fn map() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/CIRCUIT.md");
    std::fs::read_to_string(path).expect("docs/CIRCUIT.md")
}

#[test]
fn the_map_has_a_section_for_every_audited_item_and_no_other() {
    let text = map();
    let sections: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("### `"))
        .filter_map(|l| l.strip_suffix('`'))
        .map(str::to_string)
        .collect();
    for (profile, report) in ALL.iter().zip(reports()) {
        // The constraint system is the same for every profile; check each anyway.
        let items: BTreeSet<String> = report.item_names().into_iter().collect();
        let missing: Vec<_> = items.difference(&sections).collect();
        let stale: Vec<_> = sections.difference(&items).collect();
        assert!(
            missing.is_empty(),
            "{}: no section for {missing:?}",
            profile.name
        );
        assert!(
            stale.is_empty(),
            "{}: sections for no item: {stale:?}",
            profile.name
        );
    }
}

#[test]
fn the_map_names_every_cheat() {
    let text = map();
    for cheat in corpus() {
        assert!(
            text.contains(&format!("`{}`", cheat.name)),
            "docs/CIRCUIT.md does not name {}",
            cheat.name
        );
    }
}

#[test]
fn the_map_states_the_measured_rows_and_sizes() {
    let text = map();
    for (profile, r) in ALL.iter().zip(reports()) {
        let row = format!(
            "| {} | {} | {} | {} | {} | {} |",
            profile.name,
            profile.k,
            r.rows_used,
            r.usable_rows,
            r.regions.len(),
            r.predicted_proof_bytes
        );
        assert!(text.contains(&row), "docs/CIRCUIT.md lacks the row {row}");
    }
}

#[test]
fn the_map_states_the_copy_counts() {
    let text = map();
    for class in CopyClass::ALL {
        let counts: Vec<String> = reports()
            .iter()
            .map(|r| r.copies[&class].to_string())
            .collect();
        let row = format!("| `{}` | {} |", class.name(), counts.join(" | "));
        assert!(text.contains(&row), "docs/CIRCUIT.md lacks the row {row}");
    }
}
