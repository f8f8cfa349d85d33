//! What the margin circuit is made of, read back from halo2 itself (for `zkmargin audit` and
//! `docs/CIRCUIT.md`).
//!
//! Nothing here is taken from our own description of the circuit: the gates and their named
//! constraints come from halo2's `dev::CircuitGates`, the lookups, the equality-enabled columns
//! and the column counts from the pinned constraint system (`ConstraintSystem::pinned`, the
//! same text the verifying-key digest is taken over), the predicted proof size from
//! `dev::CircuitCost`, and the regions, rows and copy constraints from a synthesis of the
//! circuit into a recording [`Assignment`]. halo2_proofs 0.4.1 keeps the constraint system's
//! fields private (there is no `vk.cs()`), so the pinned form is parsed from its `Debug` text;
//! the parser is strict and a test reads every item back.
//!
//! Names used here and in `docs/CIRCUIT.md`:
//! - columns: `A0..A14` advice (`A0..A3` the arith, Merkle and select chips, `A4` the range
//!   check, `A5..A14` the Poseidon chip), `I0` instance, `F0..F15` fixed, `S0..S8` selectors
//!   (halo2's own notation, as `CircuitGates` prints expressions; [`COLUMN_ROLES`]);
//! - constraints: `gate/constraint` (`arith/row`, `merkle swap/left`, `full round/square 0`,
//!   `short/shift`, ...): every constraint of the circuit is named by its chip;
//! - the single lookup is `range table` (lookups are unnamed in halo2 0.4);
//! - copy constraints are grouped in classes ([`CopyClass`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use halo2_proofs::circuit::Value;
use halo2_proofs::dev::{CircuitCost, CircuitGates};
use halo2_proofs::plonk::{
    Advice, Any, Assigned, Assignment, Circuit, Column, ConstraintSystem, Error, Fixed,
    FloorPlanner, Instance, Selector,
};
use pasta_curves::vesta;

use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::profile::Profile;

/// The role of each column, in configuration order (see `circuit::MarginCircuit::configure`).
/// [`describe`] checks the counts against the constraint system.
pub const COLUMN_ROLES: &[(&str, &str)] = &[
    ("A0", "arith/merkle/select column a"),
    ("A1", "arith/merkle/select column b"),
    ("A2", "arith/merkle/select column c"),
    ("A3", "arith/merkle/select column d"),
    ("A4", "range-check running sum z_i"),
    ("A5", "Poseidon state x_0"),
    ("A6", "Poseidon state x_1"),
    ("A7", "Poseidon state x_2"),
    (
        "A8",
        "Poseidon w_0: square q_0 (full round), q_1 (partial rounds), message m_0 (absorb)",
    ),
    (
        "A9",
        "Poseidon w_1: square q_1 (full round), S-box input u_2 (partial rounds), message m_1 \
         (absorb)",
    ),
    (
        "A10",
        "Poseidon w_2: square q_2 (full round), square q_2 (partial rounds)",
    ),
    ("A11", "Poseidon w_3: S-box input u_3 (partial rounds)"),
    ("A12", "Poseidon w_4: square q_3 (partial rounds)"),
    ("A13", "Poseidon w_5: S-box input u_4 (partial rounds)"),
    ("A14", "Poseidon w_6: square q_4 (partial rounds)"),
    ("I0", "public inputs (instance::InstanceLayout)"),
    ("F0", "constants (enable_constant)"),
    (
        "F1",
        "Poseidon K_0: round constant rc[0] (full round), rc[0] of the row's first partial round",
    ),
    (
        "F2",
        "Poseidon K_1: round constant rc[1] (full round), folded constant of u_2 (partial)",
    ),
    (
        "F3",
        "Poseidon K_2: round constant rc[2] (full round), folded constant of u_3 (partial)",
    ),
    (
        "F4",
        "Poseidon K_3: folded constant of u_4 (partial rounds)",
    ),
    (
        "F5",
        "Poseidon K_4: folded constant of output 0 (partial rounds)",
    ),
    (
        "F6",
        "Poseidon K_5: folded constant of output 1 (partial rounds)",
    ),
    (
        "F7",
        "Poseidon K_6: folded constant of output 2 (partial rounds)",
    ),
    ("F8", "arith coefficient k_m"),
    ("F9", "arith coefficient k_a"),
    ("F10", "arith coefficient k_b"),
    ("F11", "arith coefficient k_c"),
    ("F12", "arith coefficient k_d"),
    ("F13", "arith coefficient k_0"),
    ("F14", "range table 0..2^10 (lookup table column)"),
    (
        "F15",
        "range check K_shift: 2^(10 - s) on a short check's shifted row",
    ),
    ("S0", "q_full (Poseidon full round)"),
    ("S1", "q_partial (Poseidon, four partial rounds)"),
    (
        "S2",
        "q_absorb (Poseidon, absorb the next two message words)",
    ),
    ("S3", "q_arith"),
    ("S4", "q_merkle"),
    ("S5", "q_select"),
    (
        "S6",
        "q_word (range check: running-sum word z_i - 2^10 z_(i+1))",
    ),
    (
        "S7",
        "q_short (range check: a short check's top word or its shifted copy)",
    ),
    ("S8", "q_shift (range check: the short check's shift)"),
];

/// The name of the one lookup (halo2 0.4 lookups carry no name).
pub const LOOKUP_NAMES: &[(&str, &str)] = &[(
    "range table",
    "every running-sum word z_i - 2^10 z_(i+1) (S6), and every short check's top word z_w \
     and its shifted copy z_w 2^(10 - s) (S7), is one of the table's 2^10 words: \
     0 <= word < 2^10",
)];

/// One constraint of a gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstraintInfo {
    pub index: usize,
    /// Its name (`#i` when the gate left it unnamed).
    pub name: String,
    /// The polynomial, in halo2's notation (`A0@0` is advice column 0 at the current row).
    pub expression: String,
}

/// A gate and its constraints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateInfo {
    pub index: usize,
    pub name: String,
    /// The selectors its constraints are multiplied by.
    pub selectors: Vec<String>,
    pub constraints: Vec<ConstraintInfo>,
}

impl GateInfo {
    /// `gate/constraint` names, as `docs/CIRCUIT.md` and MockProver failures use them.
    pub fn qualified(&self, constraint: &ConstraintInfo) -> String {
        format!("{}/{}", self.name, constraint.name)
    }
}

/// A lookup argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupInfo {
    pub index: usize,
    pub name: String,
    pub bounds: String,
    pub inputs: Vec<String>,
    pub tables: Vec<String>,
}

/// A region of the synthesised circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionInfo {
    pub index: usize,
    /// The region's name with the namespaces it was created in (`a / b / name`).
    pub name: String,
    /// The name alone, as MockProver and the layout picture show it.
    pub short_name: String,
    pub first_row: usize,
    pub rows: usize,
    pub selectors: BTreeSet<String>,
    pub columns: BTreeSet<String>,
    part: String,
}

impl RegionInfo {
    /// The part of the statement the region belongs to: the text before the first `:` of its
    /// full name (`chain 0`, `venue 1 slot 3`, `asset 2`, `line 0`, ...); gadget regions
    /// that carry no name of their own (a Merkle level, a short range check) belong to the
    /// part synthesised just before them (see [`describe`]).
    pub fn part(&self) -> &str {
        &self.part
    }

    fn own_part(name: &str) -> Option<&str> {
        let generic = ["merkle swap", "node at height"];
        if generic.iter().any(|g| name.starts_with(g)) {
            return None;
        }
        Some(name.split(':').next().unwrap_or(name).trim())
    }
}

/// The kinds of copy (equality) constraints, by what they bind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CopyClass {
    /// A cell equal to a public input (loaded into a range check, or the tag and the roots).
    PublicInput,
    /// A cell equal to a fixed value: a constant (select accumulators, Poseidon initial state,
    /// zero top words of strict range checks) or a sponge's padding word.
    Constant,
    /// An operand copied into an arithmetic row.
    ArithOperand,
    /// A value copied into a range check (`z_0`) or its short check.
    RangeOperand,
    /// A message word or a state word copied into the Poseidon sponge.
    HashOperand,
    /// A node, a sibling or an index bit copied into a Merkle swap.
    MerkleOperand,
    /// A keyed price `a + 2^8 P_a` copied into the select chip (a slot's underlying; version 2
    /// selected parameter records here, hence the name).
    SelectRecord,
}

impl CopyClass {
    pub const ALL: [CopyClass; 7] = [
        CopyClass::PublicInput,
        CopyClass::Constant,
        CopyClass::ArithOperand,
        CopyClass::RangeOperand,
        CopyClass::HashOperand,
        CopyClass::MerkleOperand,
        CopyClass::SelectRecord,
    ];

    /// The name `zkmargin audit` and `docs/CIRCUIT.md` use.
    pub fn name(self) -> &'static str {
        match self {
            CopyClass::PublicInput => "copy: public input",
            CopyClass::Constant => "copy: constant",
            CopyClass::ArithOperand => "copy: arith operand",
            CopyClass::RangeOperand => "copy: range operand",
            CopyClass::HashOperand => "copy: hash operand",
            CopyClass::MerkleOperand => "copy: merkle operand",
            CopyClass::SelectRecord => "copy: select record",
        }
    }
}

/// Everything `zkmargin audit` prints about one profile's circuit (except what needs the
/// parameters and keys: digests and the measured proof).
#[derive(Clone, Debug)]
pub struct CircuitReport {
    pub profile: Profile,
    /// `(name, role)` per column, by kind.
    pub advice: Vec<(String, String)>,
    pub instance: Vec<(String, String)>,
    pub fixed: Vec<(String, String)>,
    pub selectors: Vec<(String, String)>,
    /// Fixed columns after halo2 compresses the selectors into fixed columns (what the
    /// verifying key commits to).
    pub fixed_after_compression: usize,
    pub gates: Vec<GateInfo>,
    pub lookups: Vec<LookupInfo>,
    pub equality_columns: Vec<String>,
    pub constant_columns: Vec<String>,
    /// Largest constraint degree.
    pub degree: usize,
    pub blinding_factors: usize,
    pub regions: Vec<RegionInfo>,
    /// Copy constraints by class.
    pub copies: BTreeMap<CopyClass, usize>,
    /// The class a failed copy at `(column, row)` belongs to (see [`cell_classes`]).
    pub copy_cells: BTreeMap<(String, usize), CopyClass>,
    /// Rows the synthesis assigns (the largest assigned row plus one).
    pub rows_used: usize,
    /// `2^k - blinding_factors - 1`: rows a circuit may use.
    pub usable_rows: usize,
    /// halo2's cost model: proof bytes for one proof.
    pub predicted_proof_bytes: usize,
}

impl CircuitReport {
    /// Every named item (`gate/constraint`, lookup names, copy classes), in report order.
    pub fn item_names(&self) -> Vec<String> {
        let mut names = vec![];
        for gate in &self.gates {
            for c in &gate.constraints {
                names.push(gate.qualified(c));
            }
        }
        names.extend(self.lookups.iter().map(|l| format!("lookup: {}", l.name)));
        names.extend(CopyClass::ALL.iter().map(|c| c.name().to_string()));
        names
    }

    /// The rows each part of the statement occupies: `(part, first row, end row, regions)`,
    /// in order of first row.
    pub fn parts(&self) -> Vec<(String, usize, usize, usize)> {
        let mut parts: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
        for r in &self.regions {
            let e = parts
                .entry(r.part().to_string())
                .or_insert((usize::MAX, 0, 0));
            e.0 = e.0.min(r.first_row);
            e.1 = e.1.max(r.first_row + r.rows);
            e.2 += 1;
        }
        let mut out: Vec<_> = parts
            .into_iter()
            .map(|(name, (a, b, n))| (name, a, b, n))
            .collect();
        out.sort_by_key(|p| (p.1, p.0.clone()));
        out
    }
}

/// Why the circuit could not be described.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("synthesis failed: {0:?}")]
    Synthesis(Error),
    #[error("cannot read halo2's pinned constraint system: {0}")]
    Pinned(String),
    #[error("the circuit does not have the columns the audit describes: {0}")]
    Columns(String),
}

/// Describes a profile's circuit.
pub fn describe(profile: Profile) -> Result<CircuitReport, InspectError> {
    let mut cs = ConstraintSystem::<Fp>::default();
    let config = MarginCircuit::configure(&mut cs);
    let constants = vec![config.constants()];
    let pinned = format!("{:?}", cs.pinned());
    let tree = DebugValue::parse(&pinned).map_err(InspectError::Pinned)?;
    let count = |field: &str| -> Result<usize, InspectError> {
        tree.field(field)
            .and_then(DebugValue::atom)
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| InspectError::Pinned(format!("no {field}")))
    };
    let (n_fixed, n_advice, n_instance, n_selectors) = (
        count("num_fixed_columns")?,
        count("num_advice_columns")?,
        count("num_instance_columns")?,
        count("num_selectors")?,
    );
    let by_kind = |prefix: char, n: usize| -> Result<Vec<(String, String)>, InspectError> {
        let roles: Vec<(String, String)> = COLUMN_ROLES
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        if roles.len() != n {
            return Err(InspectError::Columns(format!(
                "{n} columns of kind {prefix}, {} described",
                roles.len()
            )));
        }
        Ok(roles)
    };
    let advice = by_kind('A', n_advice)?;
    let instance = by_kind('I', n_instance)?;
    let fixed = by_kind('F', n_fixed)?;
    let selectors = by_kind('S', n_selectors)?;

    let gates = parse_gates(&CircuitGates::collect::<Fp, MarginCircuit>().to_string())
        .map_err(InspectError::Pinned)?;

    let lookups = tree
        .field("lookups")
        .and_then(DebugValue::list)
        .ok_or_else(|| InspectError::Pinned("no lookups".into()))?
        .iter()
        .enumerate()
        .map(|(index, argument)| {
            let exprs = |field: &str| -> Result<Vec<String>, InspectError> {
                argument
                    .field(field)
                    .and_then(DebugValue::list)
                    .ok_or_else(|| InspectError::Pinned(format!("no {field}")))?
                    .iter()
                    .map(|e| render_expression(e).map_err(InspectError::Pinned))
                    .collect()
            };
            let (name, bounds) = LOOKUP_NAMES
                .get(index)
                .map(|(n, b)| (n.to_string(), b.to_string()))
                .unwrap_or_else(|| (format!("lookup {index}"), "(undescribed)".to_string()));
            Ok(LookupInfo {
                index,
                name,
                bounds,
                inputs: exprs("input_expressions")?,
                tables: exprs("table_expressions")?,
            })
        })
        .collect::<Result<Vec<_>, InspectError>>()?;
    if lookups.len() != LOOKUP_NAMES.len() {
        return Err(InspectError::Columns(format!(
            "{} lookups, {} described",
            lookups.len(),
            LOOKUP_NAMES.len()
        )));
    }
    let columns_of = |value: Option<&DebugValue>| -> Result<Vec<String>, InspectError> {
        value
            .and_then(DebugValue::list)
            .ok_or_else(|| InspectError::Pinned("no column list".into()))?
            .iter()
            .map(|c| column_from_debug(c).map_err(InspectError::Pinned))
            .collect()
    };
    let mut equality_columns =
        columns_of(tree.field("permutation").and_then(|p| p.field("columns")))?;
    equality_columns.sort_by_key(|c| column_sort_key(c));
    let constant_columns = columns_of(tree.field("constants"))?;

    // Synthesise the blank circuit into the recorder.
    let circuit = MarginCircuit::blank(profile);
    let mut recorder = Recorder::default();
    <MarginCircuit as Circuit<Fp>>::FloorPlanner::synthesize(
        &mut recorder,
        &circuit,
        config,
        constants,
    )
    .map_err(InspectError::Synthesis)?;
    let selector_gate: BTreeMap<String, String> = gates
        .iter()
        .flat_map(|g| g.selectors.iter().map(move |s| (s.clone(), g.name.clone())))
        .collect();
    let mut owner = String::new();
    let regions: Vec<RegionInfo> = recorder
        .regions
        .iter()
        .enumerate()
        .filter_map(|(index, r)| {
            if let Some(part) = RegionInfo::own_part(&r.name) {
                owner = part.to_string();
            }
            r.first_row.map(|first| RegionInfo {
                index,
                name: r.name.clone(),
                short_name: r.short_name.clone(),
                first_row: first,
                rows: r.last_row + 1 - first,
                selectors: r.selectors.clone(),
                columns: r.columns.clone(),
                part: owner.clone(),
            })
        })
        .collect();
    let mut copies: BTreeMap<CopyClass, usize> = CopyClass::ALL.iter().map(|c| (*c, 0)).collect();
    let mut edge_class = vec![];
    for copy in &recorder.copies {
        let class = classify_copy(copy, &recorder, &selector_gate, &constant_columns);
        *copies.entry(class).or_default() += 1;
        edge_class.push(class);
    }
    let copy_cells = cell_classes(&recorder.copies, &edge_class, &constant_columns);

    let cost = CircuitCost::<vesta::Point, MarginCircuit>::measure(profile.k, &circuit);
    let cost_text = format!("{cost:?}");
    let predicted_proof_bytes: usize = cost.proof_size(1).into();
    let fixed_after_compression = debug_number(&cost_text, "num_fixed_columns")
        .ok_or_else(|| InspectError::Pinned("CircuitCost has no num_fixed_columns".into()))?;
    let blinding_factors = cs.blinding_factors();
    Ok(CircuitReport {
        profile,
        advice,
        instance,
        fixed,
        selectors,
        fixed_after_compression,
        gates,
        lookups,
        equality_columns,
        constant_columns,
        degree: cs.degree(),
        blinding_factors,
        regions,
        copies,
        copy_cells,
        rows_used: recorder.rows,
        usable_rows: (1usize << profile.k) - blinding_factors - 1,
        predicted_proof_bytes,
    })
}

/// The gates of the Poseidon chip (`chips::poseidon`): copies into their regions are
/// [`CopyClass::HashOperand`].
pub const POSEIDON_GATES: [&str; 3] = ["full round", "partial rounds", "absorb"];

fn classify_copy(
    copy: &Copy,
    recorder: &Recorder,
    selector_gate: &BTreeMap<String, String>,
    constant_columns: &[String],
) -> CopyClass {
    let involves = |f: &dyn Fn(&str) -> bool| f(&copy.left) || f(&copy.right);
    if involves(&|c| c.starts_with('I')) {
        return CopyClass::PublicInput;
    }
    // The constants column (a sponge's capacity word and padding, a strict range check's zero
    // top, the select chip's start and end), or any other fixed cell.
    if involves(&|c| constant_columns.iter().any(|k| k == c) || c.starts_with('F')) {
        return CopyClass::Constant;
    }
    let region = copy.region.map(|i| &recorder.regions[i]);
    let gates: BTreeSet<&str> = region
        .map(|r| {
            r.selectors
                .iter()
                .filter_map(|s| selector_gate.get(s).map(String::as_str))
                .collect()
        })
        .unwrap_or_default();
    operand_class(&gates, region.map(|r| &r.columns))
}

/// The class of a copy between two advice cells, by the region it lands in: the gates that
/// region's selectors enable, and its columns (`None` outside any region).
pub fn operand_class(gates: &BTreeSet<&str>, columns: Option<&BTreeSet<String>>) -> CopyClass {
    if gates.contains("arith") {
        CopyClass::ArithOperand
    } else if gates.contains("merkle swap") {
        CopyClass::MerkleOperand
    } else if gates.contains("select") {
        CopyClass::SelectRecord
    } else if gates.iter().any(|g| POSEIDON_GATES.contains(g)) {
        CopyClass::HashOperand
    } else if gates.contains("short")
        || columns.is_some_and(|c| c.iter().all(|c| c == "A4" || c.starts_with('S')))
    {
        // Range checks live in the running-sum column `A4` (their selectors are the lookup's,
        // in no gate but the short check's, which adds its shift in a fixed column).
        CopyClass::RangeOperand
    } else {
        // No region of the circuit is left: a hash is one region with its round selectors.
        CopyClass::HashOperand
    }
}

/// The copy class of every cell in a copy constraint. Cells joined by copies form one set
/// whose values must all be equal (halo2's permutation cycles); a set that holds a public input
/// is `PublicInput` throughout, else one that holds a constant is `Constant`, else each cell
/// takes the class of the copy into it (or out of it). A copy that fails is then named by the
/// binding that makes it matter: a strict range check's top word must equal the constant 0, a
/// root the public root.
fn cell_classes(
    copies: &[Copy],
    classes: &[CopyClass],
    constant_columns: &[String],
) -> BTreeMap<(String, usize), CopyClass> {
    let mut index: BTreeMap<(String, usize), usize> = BTreeMap::new();
    let mut cells: Vec<(String, usize)> = vec![];
    let mut id = |name: &str, row: usize| -> usize {
        let key = (name.to_string(), row);
        if let Some(&i) = index.get(&key) {
            return i;
        }
        index.insert(key.clone(), cells.len());
        cells.push(key);
        cells.len() - 1
    };
    let edges: Vec<(usize, usize)> = copies
        .iter()
        .map(|c| (id(&c.left, c.left_row), id(&c.right, c.right_row)))
        .collect();
    let mut parent: Vec<usize> = (0..cells.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &(a, b) in &edges {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent[ra] = rb;
    }
    let mut set_class: BTreeMap<usize, CopyClass> = BTreeMap::new();
    for (i, (name, _)) in cells.iter().enumerate() {
        let class = if name.starts_with('I') {
            CopyClass::PublicInput
        } else if constant_columns.contains(name) || name.starts_with('F') {
            CopyClass::Constant
        } else {
            continue;
        };
        let root = find(&mut parent, i);
        let entry = set_class.entry(root).or_insert(class);
        *entry = (*entry).min(class);
    }
    let mut out: BTreeMap<(String, usize), CopyClass> = BTreeMap::new();
    for (e, &(a, b)) in edges.iter().enumerate() {
        for (into, cell) in [(true, b), (false, a)] {
            let root = find(&mut parent, cell);
            let class = set_class.get(&root).copied().unwrap_or(classes[e]);
            // The copy into a cell names it; a copy out of it only when nothing goes in.
            if into || !out.contains_key(&cells[cell]) {
                out.insert(cells[cell].clone(), class);
            }
        }
    }
    out
}

/// Parses `CircuitGates`' display: `gate:` lines, then `- name:` + expression or `- expr`.
fn parse_gates(text: &str) -> Result<Vec<GateInfo>, String> {
    let mut gates: Vec<GateInfo> = vec![];
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("Total ") {
            break;
        }
        if let Some(rest) = line.strip_prefix("- ") {
            let gate = gates.last_mut().ok_or("a constraint before any gate")?;
            let index = gate.constraints.len();
            let named = rest.ends_with(':') && lines.peek().is_some_and(|l| l.starts_with("  "));
            let (name, expression) = if named {
                let expr = lines.next().unwrap_or_default().trim().to_string();
                (rest.trim_end_matches(':').to_string(), expr)
            } else {
                (format!("#{index}"), rest.to_string())
            };
            gate.constraints.push(ConstraintInfo {
                index,
                name,
                expression,
            });
        } else if let Some(name) = line.strip_suffix(':') {
            gates.push(GateInfo {
                index: gates.len(),
                name: name.to_string(),
                selectors: vec![],
                constraints: vec![],
            });
        } else {
            return Err(format!("unexpected line in the gate list: {line:?}"));
        }
    }
    for gate in &mut gates {
        let mut selectors = BTreeSet::new();
        for c in &gate.constraints {
            selectors.extend(selector_names(&c.expression));
        }
        gate.selectors = selectors.into_iter().collect();
    }
    Ok(gates)
}

/// `S<n>` tokens of an expression.
fn selector_names(expression: &str) -> Vec<String> {
    let bytes = expression.as_bytes();
    let mut out = vec![];
    for (i, b) in bytes.iter().enumerate() {
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if *b == b'S' && boundary {
            let digits: String = expression[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !digits.is_empty() {
                out.push(format!("S{digits}"));
            }
        }
    }
    out
}

fn column_sort_key(name: &str) -> (usize, usize) {
    let kind = match name.chars().next() {
        Some('A') => 0,
        Some('I') => 1,
        Some('F') => 2,
        _ => 3,
    };
    (kind, name[1..].parse().unwrap_or(usize::MAX))
}

/// `max_rows: 5174` style numbers in a `Debug` text.
fn debug_number(text: &str, field: &str) -> Option<usize> {
    let start = text.find(&format!("{field}: "))? + field.len() + 2;
    text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// `A3`, `F0`, `I0` for a column.
pub fn column_name(column: &Column<Any>) -> String {
    // `Column { index: 3, column_type: Advice }`: the index is crate-private in halo2 0.4.
    let text = format!("{column:?}");
    let index = debug_number(&text, "index").unwrap_or(usize::MAX);
    let kind = match column.column_type() {
        Any::Advice => 'A',
        Any::Fixed => 'F',
        Any::Instance => 'I',
    };
    format!("{kind}{index}")
}

fn selector_name(selector: &Selector) -> String {
    // `Selector(3, true)`.
    let text = format!("{selector:?}");
    let index: String = text
        .trim_start_matches("Selector(")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    format!("S{index}")
}

fn column_from_debug(value: &DebugValue) -> Result<String, String> {
    let kind = value
        .field("column_type")
        .and_then(DebugValue::atom)
        .ok_or("a column without a type")?;
    let index = value
        .field("index")
        .and_then(DebugValue::atom)
        .ok_or("a column without an index")?;
    let prefix = match kind {
        "Advice" => "A",
        "Fixed" => "F",
        "Instance" => "I",
        other => return Err(format!("unknown column type {other}")),
    };
    Ok(format!("{prefix}{index}"))
}

// --- A recording `Assignment`: regions, rows, selectors and copies. ---

#[derive(Default)]
struct RecordedRegion {
    name: String,
    short_name: String,
    first_row: Option<usize>,
    last_row: usize,
    selectors: BTreeSet<String>,
    columns: BTreeSet<String>,
}

struct Copy {
    region: Option<usize>,
    left: String,
    right: String,
    left_row: usize,
    right_row: usize,
}

#[derive(Default)]
struct Recorder {
    regions: Vec<RecordedRegion>,
    current: Option<usize>,
    namespaces: Vec<String>,
    copies: Vec<Copy>,
    rows: usize,
}

impl Recorder {
    fn touch(&mut self, column: String, row: usize) {
        self.rows = self.rows.max(row + 1);
        if let Some(r) = self.current {
            let region = &mut self.regions[r];
            region.first_row = Some(region.first_row.map_or(row, |f| f.min(row)));
            region.last_row = region.last_row.max(row);
            region.columns.insert(column);
        }
    }
}

impl Assignment<Fp> for Recorder {
    fn enter_region<NR, N>(&mut self, name_fn: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
        let short_name: String = name_fn().into();
        let mut path = self.namespaces.clone();
        path.push(short_name.clone());
        self.current = Some(self.regions.len());
        self.regions.push(RecordedRegion {
            name: path.join(" / "),
            short_name,
            ..Default::default()
        });
    }

    fn exit_region(&mut self) {
        self.current = None;
    }

    fn enable_selector<A, AR>(&mut self, _: A, selector: &Selector, row: usize) -> Result<(), Error>
    where
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        let name = selector_name(selector);
        if let Some(r) = self.current {
            self.regions[r].selectors.insert(name.clone());
        }
        self.touch(name, row);
        Ok(())
    }

    fn query_instance(&self, _: Column<Instance>, _: usize) -> Result<Value<Fp>, Error> {
        Ok(Value::unknown())
    }

    fn assign_advice<V, VR, A, AR>(
        &mut self,
        _: A,
        column: Column<Advice>,
        row: usize,
        _: V,
    ) -> Result<(), Error>
    where
        V: FnOnce() -> Value<VR>,
        VR: Into<Assigned<Fp>>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        self.touch(column_name(&column.into()), row);
        Ok(())
    }

    fn assign_fixed<V, VR, A, AR>(
        &mut self,
        _: A,
        column: Column<Fixed>,
        row: usize,
        _: V,
    ) -> Result<(), Error>
    where
        V: FnOnce() -> Value<VR>,
        VR: Into<Assigned<Fp>>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        self.touch(column_name(&column.into()), row);
        Ok(())
    }

    fn copy(
        &mut self,
        left: Column<Any>,
        left_row: usize,
        right: Column<Any>,
        right_row: usize,
    ) -> Result<(), Error> {
        self.copies.push(Copy {
            region: self.current,
            left: column_name(&left),
            right: column_name(&right),
            left_row,
            right_row,
        });
        Ok(())
    }

    fn fill_from_row(
        &mut self,
        _: Column<Fixed>,
        _: usize,
        _: Value<Assigned<Fp>>,
    ) -> Result<(), Error> {
        Ok(())
    }

    fn push_namespace<NR, N>(&mut self, name_fn: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
        self.namespaces.push(name_fn().into());
    }

    fn pop_namespace(&mut self, _: Option<String>) {
        self.namespaces.pop();
    }
}

// --- A strict reader of Rust `Debug` output (the pinned constraint system). ---

/// A `Debug` value: `Name(..)`, `Name { field: .. }`, `[..]` or an atom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DebugValue {
    Atom(String),
    Tuple(String, Vec<DebugValue>),
    Struct(String, Vec<(String, DebugValue)>),
    List(Vec<DebugValue>),
}

impl DebugValue {
    /// Parses one value that spans the whole text.
    pub fn parse(text: &str) -> Result<DebugValue, String> {
        let mut parser = DebugParser {
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = parser.value()?;
        parser.skip_space();
        if parser.at != parser.bytes.len() {
            return Err(format!("trailing text at byte {}", parser.at));
        }
        Ok(value)
    }

    pub fn field(&self, name: &str) -> Option<&DebugValue> {
        match self {
            DebugValue::Struct(_, fields) => fields.iter().find(|(n, _)| n == name).map(|f| &f.1),
            _ => None,
        }
    }

    pub fn list(&self) -> Option<&[DebugValue]> {
        match self {
            DebugValue::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn atom(&self) -> Option<&str> {
        match self {
            DebugValue::Atom(a) => Some(a),
            _ => None,
        }
    }
}

struct DebugParser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl DebugParser<'_> {
    fn skip_space(&mut self) {
        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at byte {}", byte as char, self.at))
        }
    }

    fn word(&mut self) -> Result<String, String> {
        self.skip_space();
        let start = self.at;
        if self.bytes.get(self.at) == Some(&b'"') {
            self.at += 1;
            while self.at < self.bytes.len() && self.bytes[self.at] != b'"' {
                self.at += if self.bytes[self.at] == b'\\' { 2 } else { 1 };
            }
            self.at += 1;
        } else {
            while self.at < self.bytes.len()
                && (self.bytes[self.at].is_ascii_alphanumeric()
                    || matches!(self.bytes[self.at], b'_' | b'-' | b'.' | b':' | b'<' | b'>'))
            {
                // `::` paths and generic names are words; a lone `:` ends a field name.
                if self.bytes[self.at] == b':' && self.bytes.get(self.at + 1) != Some(&b':') {
                    let after_path = self.at > start && self.bytes[self.at - 1] == b':';
                    if !after_path {
                        break;
                    }
                }
                self.at += 1;
            }
        }
        if self.at == start || self.at > self.bytes.len() {
            return Err(format!("expected a value at byte {start}"));
        }
        Ok(String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned())
    }

    fn items(&mut self, close: u8) -> Result<Vec<DebugValue>, String> {
        let mut items = vec![];
        loop {
            if self.peek() == Some(close) {
                self.at += 1;
                return Ok(items);
            }
            items.push(self.value()?);
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(c) if c == close => {}
                _ => return Err(format!("expected ',' at byte {}", self.at)),
            }
        }
    }

    fn value(&mut self) -> Result<DebugValue, String> {
        match self.peek() {
            Some(b'[') => {
                self.at += 1;
                Ok(DebugValue::List(self.items(b']')?))
            }
            Some(b'(') => {
                self.at += 1;
                Ok(DebugValue::Tuple(String::new(), self.items(b')')?))
            }
            _ => {
                let word = self.word()?;
                match self.peek() {
                    Some(b'(') => {
                        self.at += 1;
                        Ok(DebugValue::Tuple(word, self.items(b')')?))
                    }
                    Some(b'{') => {
                        self.at += 1;
                        let mut fields = vec![];
                        loop {
                            if self.peek() == Some(b'}') {
                                self.at += 1;
                                break;
                            }
                            let name = self.word()?;
                            self.expect(b':')?;
                            let value = self.value()?;
                            fields.push((name, value));
                            match self.peek() {
                                Some(b',') => self.at += 1,
                                Some(b'}') => {}
                                _ => return Err(format!("expected ',' at byte {}", self.at)),
                            }
                        }
                        Ok(DebugValue::Struct(word, fields))
                    }
                    _ => Ok(DebugValue::Atom(word)),
                }
            }
        }
    }
}

/// Renders a pinned `Expression` the way `CircuitGates` does (`S6 * (A4@0 - ...)`).
pub fn render_expression(value: &DebugValue) -> Result<String, String> {
    let query = |prefix: &str, fields: &[(String, DebugValue)]| -> Result<String, String> {
        let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|f| &f.1);
        let column = get("column_index")
            .and_then(DebugValue::atom)
            .ok_or("a query without a column")?;
        let rotation = match get("rotation") {
            Some(DebugValue::Tuple(_, r)) => r.first().and_then(DebugValue::atom),
            _ => None,
        }
        .ok_or("a query without a rotation")?;
        Ok(format!("{prefix}{column}@{rotation}"))
    };
    let wrap = |s: String| if s.contains(' ') { format!("({s})") } else { s };
    match value {
        DebugValue::Struct(kind, fields) => match kind.as_str() {
            "Fixed" => query("F", fields),
            "Advice" => query("A", fields),
            "Instance" => query("I", fields),
            other => Err(format!("unknown query {other}")),
        },
        DebugValue::Tuple(kind, args) => {
            let arg = |i: usize| {
                args.get(i)
                    .ok_or_else(|| format!("{kind} needs {} arguments", i + 1))
            };
            match kind.as_str() {
                "Constant" => Ok(format_constant(arg(0)?.atom().ok_or("a constant")?)),
                "Selector" => match arg(0)? {
                    DebugValue::Tuple(_, s) => Ok(format!(
                        "S{}",
                        s.first()
                            .and_then(DebugValue::atom)
                            .ok_or("a selector index")?
                    )),
                    _ => Err("a selector".into()),
                },
                "Negated" => Ok(format!("-{}", wrap(render_expression(arg(0)?)?))),
                "Sum" => {
                    let (a, b) = (render_expression(arg(0)?)?, render_expression(arg(1)?)?);
                    Ok(match b.strip_prefix('-') {
                        Some(b) => format!("{a} - {b}"),
                        None => format!("{a} + {b}"),
                    })
                }
                "Product" => {
                    let (a, b) = (render_expression(arg(0)?)?, render_expression(arg(1)?)?);
                    Ok(format!("{} * {}", wrap(a), wrap(b)))
                }
                "Scaled" => {
                    let a = render_expression(arg(0)?)?;
                    let k = format_constant(arg(1)?.atom().ok_or("a scalar")?);
                    Ok(format!("{} * {k}", wrap(a)))
                }
                other => Err(format!("unknown expression {other}")),
            }
        }
        other => Err(format!("not an expression: {other:?}")),
    }
}

/// Small hex constants as decimals, as halo2's `dev::util::format_value` does.
fn format_constant(hex: &str) -> String {
    let digits = hex.trim_start_matches("0x").trim_start_matches('0');
    if digits.is_empty() {
        return "0".into();
    }
    if digits.len() <= 16 {
        if let Ok(v) = u64::from_str_radix(digits, 16) {
            return v.to_string();
        }
    }
    format!("0x{digits}")
}

/// The report as plain text (the body of `zkmargin audit` for one profile, without digests).
pub fn report_text(r: &CircuitReport, full_expressions: bool) -> String {
    let mut out = String::new();
    let short = |e: &str| {
        if full_expressions || e.len() <= 160 {
            e.to_string()
        } else {
            format!(
                "{} ... ({} characters; --full shows all)",
                &e[..120],
                e.len()
            )
        }
    };
    let _ = writeln!(out, "columns:");
    for (kind, cols) in [
        ("advice", &r.advice),
        ("instance", &r.instance),
        ("fixed", &r.fixed),
        ("selectors", &r.selectors),
    ] {
        let _ = writeln!(out, "  {kind} ({}):", cols.len());
        for (name, role) in cols.iter() {
            let _ = writeln!(out, "    {name:<4} {role}");
        }
    }
    let _ = writeln!(
        out,
        "  after selector compression: {} fixed columns (the verifying key commits to each)",
        r.fixed_after_compression
    );
    let _ = writeln!(out, "gates (degree {}):", r.degree);
    for g in &r.gates {
        let _ = writeln!(
            out,
            "  gate {} {:?} (selectors {}):",
            g.index,
            g.name,
            g.selectors.join(", ")
        );
        for c in &g.constraints {
            let _ = writeln!(out, "    {}: {}", g.qualified(c), short(&c.expression));
        }
    }
    let _ = writeln!(out, "lookups:");
    for l in &r.lookups {
        let _ = writeln!(
            out,
            "  lookup {} {:?}: bounds {}",
            l.index, l.name, l.bounds
        );
        for (input, table) in l.inputs.iter().zip(&l.tables) {
            let _ = writeln!(out, "    {input}  in  {table}");
        }
    }
    let _ = writeln!(
        out,
        "equality-enabled columns: {} (constants: {})",
        r.equality_columns.join(", "),
        r.constant_columns.join(", ")
    );
    let _ = writeln!(out, "copy constraints:");
    for (class, n) in &r.copies {
        let _ = writeln!(out, "  {:<22} {n}", class.name());
    }
    let _ = writeln!(
        out,
        "rows: {} used of {} usable (2^{} = {} rows, {} blinding + 1 reserved); {} regions",
        r.rows_used,
        r.usable_rows,
        r.profile.k,
        1usize << r.profile.k,
        r.blinding_factors,
        r.regions.len()
    );
    out
}

/// Draws the circuit's layout with halo2's `dev::CircuitLayout` (feature `dev-graph`): rows
/// `rows` of every column, regions outlined and, with `labels`, named. Instance columns come
/// first, then advice, then fixed (selectors last, as compressed into fixed columns).
#[cfg(feature = "dev-graph")]
pub fn render_layout<DB: plotters::prelude::DrawingBackend>(
    profile: Profile,
    area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    rows: std::ops::Range<usize>,
    labels: bool,
) -> Result<(), String> {
    halo2_proofs::dev::CircuitLayout::default()
        .show_labels(labels)
        .mark_equality_cells(true)
        .view_height(rows)
        .render(profile.k, &MarginCircuit::blank(profile), area)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkmargin_circuits::profile::SMALL;

    #[test]
    fn debug_parser_reads_nested_values() {
        let v = DebugValue::parse("A { x: 3, y: [B(1, false), C { z: 0x0a }], w: Rotation(-1) }")
            .unwrap();
        assert_eq!(v.field("x").and_then(DebugValue::atom), Some("3"));
        assert_eq!(
            v.field("y").and_then(DebugValue::list).map(<[_]>::len),
            Some(2)
        );
        assert!(DebugValue::parse("A { x: 3").is_err());
        assert!(DebugValue::parse("A(1) B").is_err());
    }

    #[test]
    fn the_small_circuit_is_described() {
        let r = describe(SMALL).unwrap();
        assert_eq!(r.profile.k, 12);
        let names: Vec<String> = r.gates.iter().map(|g| g.name.clone()).collect();
        assert_eq!(
            names,
            [
                "full round",
                "partial rounds",
                "absorb",
                "arith",
                "merkle swap",
                "select",
                "short"
            ]
        );
        let constraints = |gate: usize| -> Vec<String> {
            r.gates[gate]
                .constraints
                .iter()
                .map(|c| r.gates[gate].qualified(c))
                .collect()
        };
        assert_eq!(
            constraints(0),
            [
                "full round/square 0",
                "full round/square 1",
                "full round/square 2",
                "full round/output 0",
                "full round/output 1",
                "full round/output 2"
            ]
        );
        assert_eq!(
            constraints(1),
            [
                "partial rounds/square 1",
                "partial rounds/square 2",
                "partial rounds/square 3",
                "partial rounds/square 4",
                "partial rounds/S-box input 2",
                "partial rounds/S-box input 3",
                "partial rounds/S-box input 4",
                "partial rounds/output 0",
                "partial rounds/output 1",
                "partial rounds/output 2"
            ]
        );
        assert_eq!(
            constraints(2),
            ["absorb/rate 0", "absorb/rate 1", "absorb/capacity"]
        );
        assert_eq!(constraints(6), ["short/shift"]);
        let selectors: Vec<&[String]> = r.gates.iter().map(|g| &g.selectors[..]).collect();
        assert_eq!(
            selectors,
            [["S0"], ["S1"], ["S2"], ["S3"], ["S4"], ["S5"], ["S8"]]
        );
        assert_eq!(r.gates[3].constraints[0].name, "row");
        // Degree 5 (the range lookup; every gate is at most 4): halo2's extended domain is 4n.
        assert_eq!(r.degree, 5);
        assert_eq!(
            (
                r.advice.len(),
                r.instance.len(),
                r.fixed.len(),
                r.selectors.len()
            ),
            (15, 1, 16, 9)
        );
        assert_eq!(r.lookups.len(), 1);
        assert_eq!(
            r.lookups[0].inputs,
            ["S6 * (A4@0 - (A4@1 * 1024)) + S7 * A4@0"]
        );
        assert_eq!(r.lookups[0].tables, ["F14@0"]);
        assert_eq!(
            r.equality_columns,
            ["A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "I0", "F0"]
        );
        assert_eq!(r.constant_columns, ["F0"]);
        assert!(r.rows_used <= r.usable_rows);
        assert_eq!(r.predicted_proof_bytes, 4320);
        assert!(r.copies.values().all(|n| *n > 0), "{:?}", r.copies);
        assert!(r
            .regions
            .iter()
            .any(|g| g.name.starts_with("chain 0: amount 0")));
        // A hash is one region, under the name the gadget gave it, holding the round gates.
        let key = r.regions.iter().find(|g| g.name == "account key").unwrap();
        assert_eq!(key.rows, 23);
        assert_eq!(key.selectors.iter().collect::<Vec<_>>(), ["S0", "S1"]);
    }

    #[test]
    fn every_profile_has_its_k() {
        // Issue 17 (statement version 3, the risk-row openings): small at k <= 13, standard
        // at k <= 14, desk at k <= 17; large follows at 16.
        for profile in zkmargin_circuits::profile::ALL {
            let k = match profile.name {
                "small" => 12,
                "standard" => 14,
                "large" => 16,
                "desk" => 17,
                other => panic!("no k stated for profile {other}"),
            };
            let r = describe(profile).unwrap();
            assert_eq!(r.profile.k, k, "{}", profile.name);
            assert!(r.rows_used <= r.usable_rows, "{}", profile.name);
        }
    }
}
