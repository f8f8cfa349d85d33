//! A slot's row of the publisher's risk table, opened under the public risk root (statement
//! version 3): the instrument's mark and its sixteen scenario values, bound to the slot's own
//! instrument.
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | strike | `strike = is_option price` (`arith`) | a perpetual's entry read as a strike (a perpetual is one instrument per underlying) |
//! | mark | `mark < 2^62` (range table) | a mark moved into the next key field |
//! | vector limbs | `u_s < 2^63` (range table), `v_s = u_s - 2^62` | a scenario value carried between two limbs of one word (`u_0 + 2^63` beside `u_1 - 1`) |
//! | key word | `k = kind + 2^2 underlying + 2^10 strike + 2^58 expiry + 2^98 mark` of the slot's own cells (`leaf::word`) | the row of another instrument, another strike or expiry, another kind (a put read as a call) |
//! | vector words | `w_i = sum_j u_(4i+j) 2^(63 j)` (`leaf::word`) | a vector the row does not hold |
//! | leaf | `H(7, k, w_0, w_1, w_2, w_3)` (Poseidon chip) | |
//! | path | `risk_depth` Merkle levels by the row's own index bits (booleans, `merkle swap`) | |
//! | root | `non_empty (root - R) = 0` with `R` the public risk root | a row of another table (another epoch's, or one nobody published); an empty slot opens nothing |
//!
//! The key word is unique: `kind <= 3` (the kind flags), `underlying < A <= 2^8` (the slot's
//! selection), `strike <= price < 2^48`, `expiry < 2^40` (the slot's field bounds) and `mark <
//! 2^62` (here): 160 bits in all. A vector word is 4 limbs below `2^63`: 252 bits. Both stay
//! below `2^254 < p`, so each is one integer with one decomposition. The row's index in the
//! table is free: the key inside the leaf says which instrument it is, and the publisher's
//! table has one row per key (`portfolio::RiskTable::check`).

use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::leaf::word;
use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::merkle::merkle_root;
use crate::chips::poseidon::HashInstructions;
use crate::chips::range::RangeInstructions;
use crate::hash::{
    risk_key_fields, vector_limb, Fp, RISK_KEY_SHIFTS, VECTOR_ENTRIES_PER_WORD, VECTOR_LIMB_BITS,
    VECTOR_SHIFTS,
};
use crate::portfolio::{RiskRow, MARK_BITS, SCENARIOS};
use crate::witness::RiskOpening;

/// The cells of the slot that the row's key is made of.
pub struct KeyCells<'a> {
    pub kind: &'a Cell,
    pub underlying: &'a Cell,
    /// The slot's price: a strike for an option, an entry for a perpetual.
    pub price: &'a Cell,
    pub expiry: &'a Cell,
    pub is_option: &'a Cell,
    pub non_empty: &'a Cell,
}

/// What the opened row gives the slot.
pub struct RowCells {
    /// The mark, pUSD, `< 2^62`.
    pub mark: Cell,
    /// The vector limbs `u_s = v_s + 2^62`, `< 2^63` (the value is `u_s - 2^62`).
    pub limbs: Vec<Cell>,
}

/// The constant cells every row opening shares.
pub struct RowConstants<'a> {
    /// The domain tag 7.
    pub domain: &'a Cell,
    /// The public risk root.
    pub root: &'a Cell,
}

/// Opens the slot's row; see the module doc for every constraint.
pub fn open_row(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    key: &KeyCells<'_>,
    constants: &RowConstants<'_>,
    opening: Value<&RiskOpening>,
    depth: usize,
) -> Result<RowCells, Error> {
    let (arith, range, hasher) = (&chips.arith, &chips.range, &chips.hasher);
    let n = |step: &str| format!("{name}: {step}");
    let strike = arith.mul(
        layouter,
        &n("strike = is_option price"),
        key.is_option,
        key.price,
    )?;
    let row: Value<&RiskRow> = opening.map(|o| &o.row);
    let mark = range.witness_range_checked(
        layouter,
        &n("mark < 2^62"),
        row.map(|r| Fp::from(risk_key_fields(r)[4])),
        MARK_BITS as usize,
    )?;
    let limbs = (0..SCENARIOS)
        .map(|s| {
            range.witness_range_checked(
                layouter,
                &n(&format!("vector {s} < 2^63")),
                row.map(|r| vector_limb(r.vector[s])),
                VECTOR_LIMB_BITS as usize,
            )
        })
        .collect::<Result<Vec<Cell>, Error>>()?;
    let key_limbs = [key.kind, key.underlying, &strike, key.expiry, &mark];
    let key_word = word(
        arith,
        layouter,
        &n("key word"),
        &key_limbs,
        &RISK_KEY_SHIFTS,
    )?;
    let mut message = vec![constants.domain.clone(), key_word];
    for (i, chunk) in limbs.chunks(VECTOR_ENTRIES_PER_WORD).enumerate() {
        let chunk: Vec<&Cell> = chunk.iter().collect();
        let word_name = n(&format!("vector word {i}"));
        message.push(word(arith, layouter, &word_name, &chunk, &VECTOR_SHIFTS)?);
    }
    let leaf = hasher.hash(layouter, &n("risk leaf"), &message)?;
    let bits = witness_in_rows(
        arith,
        layouter,
        &n("risk index bit"),
        (0..depth).map(|h| opening.map(|o| Fp::from((o.index >> h) & 1))),
    )?;
    let siblings = witness_in_rows(
        arith,
        layouter,
        &n("risk sibling"),
        (0..depth).map(|h| opening.map(|o| o.path[h])),
    )?;
    let root = merkle_root(
        &chips.merkle,
        hasher,
        layouter,
        &n("risk"),
        &leaf,
        &siblings,
        &bits,
    )?;
    let off_root = arith.linear(
        layouter,
        &n("root - risk root"),
        &[(Fp::one(), &root), (-Fp::one(), constants.root)],
        Fp::zero(),
    )?;
    arith.assert_zero_when(
        layouter,
        &n("a held instrument's row is under the risk root"),
        key.non_empty,
        &off_root,
    )?;
    Ok(RowCells { mark, limbs })
}

/// Witnesses `values` four to a row, the `i`-th named `"{name} {i}"` (for the forgery plan).
pub fn witness_in_rows(
    arith: &impl ArithInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    values: impl Iterator<Item = Value<Fp>>,
) -> Result<Vec<Cell>, Error> {
    let values: Vec<Value<Fp>> = values.collect();
    let mut cells = Vec::with_capacity(values.len());
    for (row, chunk) in values.chunks(4).enumerate() {
        let names: Vec<String> = (0..chunk.len())
            .map(|j| format!("{name} {}", 4 * row + j))
            .collect();
        cells.extend(arith.witness_row(layouter, &names, chunk)?);
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use ff::Field;
    use halo2_proofs::circuit::Value;

    use super::*;
    use crate::gadgets::harness::{accepts, failures, witnesses, GadgetTest};
    use crate::hash::{risk_tree, MerkleTree};
    use crate::margin::Kind;
    use crate::portfolio::{InstrumentKey, RiskTable};

    const K: u32 = 11;
    const DEPTH: usize = 3;
    const EXPIRY: u64 = 1_767_229_200;
    const STRIKE: u64 = 95_000 * 100_000_000;

    /// A row with a recognisable mark and vector.
    fn row(kind: Kind, strike: u64, seed: i64) -> RiskRow {
        let option = kind != Kind::Perp;
        RiskRow {
            key: InstrumentKey {
                underlying: 0,
                kind,
                expiry: if option { EXPIRY } else { 0 },
                strike: if option { strike } else { 0 },
            },
            mark: if option { 1_000_000 * seed as u64 } else { 0 },
            vector: std::array::from_fn(|s| (s as i64 - 7) * 1_000_000_000 * seed),
        }
    }

    /// The published table: a perpetual, the 95,000 call, the 100,000 call, the 95,000 put.
    fn table() -> Vec<RiskRow> {
        vec![
            row(Kind::Perp, 0, 1),
            row(Kind::Call, STRIKE, 2),
            row(Kind::Call, 100_000 * 100_000_000, 3),
            row(Kind::Put, STRIKE, 4),
        ]
    }

    fn tree(rows: &[RiskRow]) -> MerkleTree {
        let table = RiskTable {
            rows: rows.to_vec(),
        };
        risk_tree(&table, DEPTH)
    }

    fn opening(rows: &[RiskRow], index: usize) -> RiskOpening {
        RiskOpening {
            row: rows[index].clone(),
            index: index as u64,
            path: tree(rows).path(index as u64),
        }
    }

    /// A slot's key cells `(kind, underlying, price, expiry, is_option, non_empty)` and the
    /// opening it presents; the mark and the first limb are bound to instance rows 1 and 2.
    #[derive(Clone)]
    struct Open {
        key: [Fp; 6],
        opening: RiskOpening,
    }

    impl GadgetTest for Open {
        fn synthesize(&self, chips: &Chips, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
            let c = witnesses(chips, layouter, "key", &self.key)?;
            let key = KeyCells {
                kind: &c[0],
                underlying: &c[1],
                price: &c[2],
                expiry: &c[3],
                is_option: &c[4],
                non_empty: &c[5],
            };
            let domain = chips.arith.constant(layouter, "tag 7", Fp::from(7))?;
            let root = chips
                .arith
                .public(layouter, "risk root", chips.instance, 0)?;
            let constants = RowConstants {
                domain: &domain,
                root: &root,
            };
            let opening = Value::known(&self.opening);
            let out = open_row(chips, layouter, "t", &key, &constants, opening, DEPTH)?;
            layouter.constrain_instance(out.mark.cell(), chips.instance, 1)?;
            layouter.constrain_instance(out.limbs[0].cell(), chips.instance, 2)
        }
    }

    /// The key cells of a held instrument (its price is the strike for an option).
    fn key_of(row: &RiskRow) -> [Fp; 6] {
        let k = &row.key;
        let option = k.kind != Kind::Perp;
        [
            Fp::from(k.kind.code()),
            Fp::from(k.underlying as u64),
            Fp::from(if option { k.strike } else { 12_345 }),
            Fp::from(k.expiry),
            Fp::from(option as u64),
            Fp::one(),
        ]
    }

    /// The instance: the root of `rows`, the row's mark and its first limb.
    fn instance(rows: &[RiskRow], opened: &RiskRow) -> Vec<Fp> {
        vec![
            tree(rows).root(),
            Fp::from(opened.mark),
            vector_limb(opened.vector[0]),
        ]
    }

    fn opens(key: [Fp; 6], opening: RiskOpening, instance: Vec<Fp>) -> bool {
        accepts(K, Open { key, opening }, instance)
    }

    #[test]
    fn every_row_opens_in_its_own_slot_with_its_mark_and_vector() {
        let rows = table();
        for (i, r) in rows.iter().enumerate() {
            assert!(
                opens(key_of(r), opening(&rows, i), instance(&rows, r)),
                "row {i}"
            );
        }
        // The outputs are the row's: another mark is refused.
        let mut wrong = instance(&rows, &rows[1]);
        wrong[1] += Fp::one();
        assert!(!opens(key_of(&rows[1]), opening(&rows, 1), wrong));
    }

    #[test]
    fn the_last_leaf_of_a_full_table_opens() {
        // Eight rows fill a tree of depth 3: row 7's path takes every index bit 1.
        let mut rows = table();
        for i in 0..4u64 {
            rows.push(row(Kind::Put, STRIKE + (i + 1) * 100_000_000, 5 + i as i64));
        }
        assert_eq!(rows.len(), 1 << DEPTH);
        let last = rows.len() - 1;
        let inst = instance(&rows, &rows[last]);
        assert!(opens(
            key_of(&rows[last]),
            opening(&rows, last),
            inst.clone()
        ));
        // Its row at another index (the path of row 6) is refused.
        let mut moved = opening(&rows, last);
        moved.index -= 1;
        moved.path = tree(&rows).path(moved.index);
        assert!(!opens(key_of(&rows[last]), moved, inst));
    }

    #[test]
    fn another_instruments_strikes_or_kinds_row_is_refused() {
        // The 95,000 call's slot opens the perpetual's, the 100,000 call's and the put's rows.
        let rows = table();
        let call = key_of(&rows[1]);
        for other in [0, 2, 3] {
            let inst = instance(&rows, &rows[other]);
            assert!(!opens(call, opening(&rows, other), inst), "row {other}");
        }
        // And another expiry: the call's row, in a slot whose expiry is a day later.
        let mut later = call;
        later[3] += Fp::from(86_400);
        assert!(!opens(later, opening(&rows, 1), instance(&rows, &rows[1])));
    }

    #[test]
    fn a_row_under_another_root_is_refused() {
        // Last epoch's table: the call's vector was another. Its row and path, against
        // today's root.
        let rows = table();
        let mut last = table();
        last[1].vector[3] += 1;
        let inst = instance(&rows, &last[1]);
        assert!(!opens(key_of(&rows[1]), opening(&last, 1), inst));
        // Against its own root it opens: only the root tells the tables apart.
        let inst = instance(&last, &last[1]);
        assert!(opens(key_of(&rows[1]), opening(&last, 1), inst));
    }

    #[test]
    fn an_empty_slot_opens_nothing() {
        let rows = table();
        let garbage = RiskOpening {
            row: row(Kind::Call, 7, 9),
            index: 5,
            path: vec![Fp::from(3); DEPTH],
        };
        let empty = [Fp::zero(); 6];
        let inst = instance(&rows, &garbage.row);
        assert!(opens(empty, garbage.clone(), inst.clone()));
        // The same opening for a held slot is refused.
        let mut held = empty;
        held[5] = Fp::one();
        assert!(!opens(held, garbage, inst));
    }

    #[test]
    fn a_mark_or_a_limb_beyond_its_width_is_refused_under_a_root_that_holds_it() {
        // A publisher's leaf with a mark of 2^62 + 5, or a scenario value of 2^62 (limb 2^63):
        // the root holds them, the range checks do not.
        for (bad, at) in [
            (
                RiskRow {
                    mark: (1 << 62) + 5,
                    ..row(Kind::Call, STRIKE, 2)
                },
                "t: mark < 2^62",
            ),
            (
                RiskRow {
                    vector: [1 << 62; crate::portfolio::SCENARIOS],
                    ..row(Kind::Call, STRIKE, 2)
                },
                "t: vector 0 < 2^63",
            ),
        ] {
            let rows = vec![row(Kind::Perp, 0, 1), bad];
            let test = Open {
                key: key_of(&rows[1]),
                opening: opening(&rows, 1),
            };
            let found = failures(K, test, instance(&rows, &rows[1]));
            assert!(found.iter().any(|f| f.contains(at)), "{at}: {found:?}");
            let elsewhere = found.iter().filter(|f| f.contains("under the risk root"));
            assert_eq!(elsewhere.count(), 0, "the root holds the row: {found:?}");
        }
    }

    #[test]
    fn the_expiry_below_the_mark_is_bounded_by_the_caller() {
        // `expiry + 2^40` beside `mark - 1` is the same key word, hence the same leaf: the row
        // gadget alone opens it. The slot gadget range-checks the expiry (`expiry < 2^40`), and
        // the corpus's `mark-carried-into-the-expiry` is refused there.
        let rows = table();
        let mut key = key_of(&rows[1]);
        key[3] += Fp::from(2).pow_vartime([40]);
        let mut carried = opening(&rows, 1);
        carried.row.mark -= 1;
        assert!(opens(key, carried.clone(), instance(&rows, &carried.row)));
    }

    /// Forged cells (feature `testing`): limbs carried within a vector word, an index bit of no
    /// bit.
    #[cfg(feature = "testing")]
    mod forged {
        use super::*;
        use crate::forgery::{with_plan, Forgery};
        use crate::hash::risk_leaf;
        use crate::packing::pow2;

        fn cell(region: &str, value: Fp) -> Forgery {
            Forgery::Cell {
                region: format!("t: {region}"),
                value,
            }
        }

        #[test]
        fn a_limb_carried_into_the_next_is_refused() {
            let rows = table();
            let r = &rows[1];
            let limb = |s: usize| vector_limb(r.vector[s]);
            let plan = vec![
                cell("vector 0 < 2^63", limb(0) + pow2(63)),
                cell("vector 1 < 2^63", limb(1) - Fp::one()),
            ];
            let mut inst = instance(&rows, r);
            inst[2] = limb(0) + pow2(63);
            let accepted = with_plan(&plan, || opens(key_of(r), opening(&rows, 1), inst));
            assert!(!accepted);
        }

        #[test]
        fn a_made_up_row_through_an_index_bit_of_no_bit_is_refused() {
            // The call's key with a mark of 0 and no scenario loss: with the first level's bit b
            // and sibling s chosen so that the Merkle gate yields the real pair (L, R).
            let rows = table();
            let real = opening(&rows, 1);
            let made_up = RiskRow {
                mark: 0,
                vector: [0; crate::portfolio::SCENARIOS],
                ..real.row.clone()
            };
            let n = risk_leaf(&made_up);
            let (l, r) = (real.path[0], risk_leaf(&real.row)); // index 1: the node is right
            let s = l + r - n;
            let b = (l - n) * (s - n).invert().unwrap();
            let mut path = real.path.clone();
            path[0] = s;
            let forged_opening = RiskOpening {
                row: made_up.clone(),
                index: 1,
                path,
            };
            let plan = vec![
                cell("risk index bit 0", b),
                Forgery::SwapAt {
                    region: "t: risk: merkle swap at height 0".into(),
                    left: l,
                    right: r,
                },
            ];
            let inst = instance(&rows, &made_up);
            let key = key_of(&rows[1]);
            assert!(!with_plan(&plan, || opens(
                key,
                forged_opening.clone(),
                inst.clone()
            )));
            // The bit's booleanity is all that objects: without it the row opens.
            let off = || {
                crate::mutation::with_off(&["merkle swap/bit is boolean"], || {
                    with_plan(&plan, || opens(key, forged_opening.clone(), inst.clone()))
                })
            };
            assert!(off());
        }
    }
}
