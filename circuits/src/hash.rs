//! Native Poseidon: the account key, the venue tag, the leaves and the Merkle trees.
//!
//! `H` is Poseidon P128Pow5T3 in `ConstantLength` mode over the Pallas base field, with a
//! leading domain tag, exactly as the circuit computes it (see `chips::poseidon`):
//!
//! | value | definition |
//! |---|---|
//! | account key | `H(1, sk)` |
//! | account tag at a venue | `H(2, sk, venue_id)` |
//! | collateral leaf | `H(3, account_key, chain_id, e_0, .., e_{ceil(A/3)-1}, salt)` |
//! | position leaf | `H(4, account_key, venue_id, w_0, .., w_{P-1}, salt)` |
//! | inner node | `H(left, right)` |
//! | credit-line commitment | `H(5, tag, allowance, salt)` |
//! | epoch nullifier | `H(6, sk, epoch)` |
//! | risk-table row | `H(7, k, u_0, u_1, u_2, u_3)` (statement version 3, `portfolio`) |
//!
//! Leaves are DESIGN.md's version 2: the numbers are packed into words, each word a sum of
//! limbs at fixed bit offsets ([`pack_word`]):
//!
//! | word | limbs (offset: name, bits) | bits in all |
//! |---|---|---|
//! | collateral `e_j` | `0: x[3j] 64`, `64: x[3j+1] 64`, `128: x[3j+2] 64` (amounts past `A` are 0) | 192 |
//! | slot `w` | `0: kind 2`, `2: underlying 8`, `10: side 1`, `11: size 64`, `75: price 48`, `123: expiry 40` | 163 |
//! | risk key `k` | `0: kind 2`, `2: underlying 8`, `10: strike 48`, `58: expiry 40`, `98: mark 62` | 160 |
//! | risk vector `u_i` | `0: v[4i] + 2^62 63`, `63: v[4i+1] + 2^62 63`, `126: v[4i+2] + 2^62 63`, `189: v[4i+3] + 2^62 63` | 252 |
//!
//! All stay below `2^254 < p`, so a word whose limbs are below their widths is one integer
//! with one binary decomposition: the circuit range-checks every limb to its width
//! (`gadgets::collateral`, `gadgets::slot`) and builds the word from the valued cells.
//!
//! An account with nothing on a chain or venue has leaf 0 there; empty subtrees hash up from 0.

use std::collections::BTreeMap;
use std::fmt;

use ff::{Field, PrimeField};

pub use crate::field::Fp;
use crate::margin::Position;
use crate::permutation::constant_length_hash;
use crate::portfolio::{RiskRow, RiskTable};

/// Domain tag of `account_key`.
pub const TAG_ACCOUNT_KEY: u64 = 1;
/// Domain tag of `account_tag`.
pub const TAG_ACCOUNT_TAG: u64 = 2;
/// Domain tag of a collateral leaf.
pub const TAG_COLLATERAL_LEAF: u64 = 3;
/// Domain tag of a position leaf.
pub const TAG_POSITION_LEAF: u64 = 4;
/// Domain tag of a credit-line commitment.
pub const TAG_CREDIT_LINE: u64 = 5;
/// Domain tag of the epoch nullifier.
pub const TAG_NULLIFIER: u64 = 6;

/// Domain tag of a risk-table row (statement version 3).
pub const TAG_RISK_LEAF: u64 = 7;

/// Amounts per collateral word.
pub const AMOUNTS_PER_WORD: usize = 3;
/// Bit offsets of the amounts in a collateral word (64 bits each).
pub const AMOUNT_SHIFTS: [u32; AMOUNTS_PER_WORD] = [0, 64, 128];
/// Bit offsets of a slot's fields `(kind, underlying, side, size, price, expiry)` in its word.
pub const SLOT_SHIFTS: [u32; 6] = [0, 2, 10, 11, 75, 123];
/// Widths of a slot's fields in its word (each field is range-checked to at most this).
pub const SLOT_WIDTHS: [u32; 6] = [2, 8, 1, 64, 48, 40];

/// Bit offsets of a risk row's key fields `(kind, underlying, strike, expiry, mark)` in its key
/// word (a perpetual's strike, expiry and mark are 0).
pub const RISK_KEY_SHIFTS: [u32; 5] = [0, 2, 10, 58, 98];
/// Widths of a risk row's key fields in its key word.
pub const RISK_KEY_WIDTHS: [u32; 5] = [2, 8, 48, 40, 62];
/// Scenario entries per vector word.
pub const VECTOR_ENTRIES_PER_WORD: usize = 4;
/// A vector entry `v` (`|v| < 2^62`) is packed as the limb `v + 2^62`, in `[0, 2^63)`.
pub const VECTOR_LIMB_BITS: u32 = 63;
/// Bit offsets of the limbs in a vector word.
pub const VECTOR_SHIFTS: [u32; VECTOR_ENTRIES_PER_WORD] = [0, 63, 126, 189];
/// Vector words per risk row: 16 entries, 4 a word.
pub const VECTOR_WORDS: usize = crate::portfolio::SCENARIOS / VECTOR_ENTRIES_PER_WORD;

/// Calls `$body` with `$L` bound to the constant length of `$len`, for every message length
/// the circuits use (two for nodes and keys, three for tags and nullifiers, four for credit
/// lines, and the leaf lengths of each profile). Shared with the in-circuit hash so that both support the same lengths.
#[macro_export]
macro_rules! with_poseidon_length {
    ($len:expr, $L:ident => $body:expr, else $other:expr) => {
        match $len {
            2 => {
                const $L: usize = 2;
                $body
            }
            3 => {
                const $L: usize = 3;
                $body
            }
            4 => {
                const $L: usize = 4;
                $body
            }
            6 => {
                const $L: usize = 6;
                $body
            }
            7 => {
                const $L: usize = 7;
                $body
            }
            8 => {
                const $L: usize = 8;
                $body
            }
            10 => {
                const $L: usize = 10;
                $body
            }
            12 => {
                const $L: usize = 12;
                $body
            }
            20 => {
                const $L: usize = 20;
                $body
            }
            68 => {
                const $L: usize = 68;
                $body
            }
            _ => $other,
        }
    };
}

/// `H(5, tag, allowance, salt)`: the commitment to one venue's credit line in a certificate
/// (`allowance < 2^100` uusd, so it is one canonical field element).
pub fn credit_commitment(tag: Fp, allowance: u128, salt: Fp) -> Fp {
    poseidon(&[
        Fp::from(TAG_CREDIT_LINE),
        tag,
        Fp::from_u128(allowance),
        salt,
    ])
}

/// `H(6, sk, epoch)`: the same for every certificate one account makes in one epoch.
pub fn nullifier(sk: Fp, epoch: u64) -> Fp {
    poseidon(&[Fp::from(TAG_NULLIFIER), sk, Fp::from(epoch)])
}

/// A vector entry's limb `v + 2^62` (`|v| < 2^62`, so the limb is in `[0, 2^63)`).
pub fn vector_limb(v: i64) -> Fp {
    Fp::from((v as i128 + (1i128 << crate::portfolio::VECTOR_BITS)) as u64)
}

/// A risk row's five key fields `(kind, underlying, strike, expiry, mark)`.
pub fn risk_key_fields(row: &RiskRow) -> [u64; 5] {
    let key = &row.key;
    [
        key.kind.code(),
        key.underlying as u64,
        key.strike,
        key.expiry,
        row.mark,
    ]
}

/// The message of a risk row `H(7, k, u_0, .., u_3)` from field-element limbs (the corpus
/// packs limbs no publisher would write).
pub fn risk_message_of_limbs(key: &[Fp; 5], vector: &[Fp; crate::portfolio::SCENARIOS]) -> Vec<Fp> {
    let mut message = vec![Fp::from(TAG_RISK_LEAF), pack_word(key, &RISK_KEY_SHIFTS)];
    message.extend(
        vector
            .chunks(VECTOR_ENTRIES_PER_WORD)
            .map(|limbs| pack_word(limbs, &VECTOR_SHIFTS)),
    );
    message
}

/// `H(7, k, u_0, u_1, u_2, u_3)`: the leaf of a risk-table row.
pub fn risk_leaf(row: &RiskRow) -> Fp {
    let key = risk_key_fields(row).map(Fp::from);
    let vector = row.vector.map(vector_limb);
    poseidon(&risk_message_of_limbs(&key, &vector))
}

/// The risk table's tree: row `i` is leaf `i`, the rest of the `2^depth` leaves are 0.
pub fn risk_tree(table: &RiskTable, depth: usize) -> MerkleTree {
    let leaves: Vec<(u64, Fp)> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| (i as u64, risk_leaf(row)))
        .collect();
    MerkleTree::new(depth, &leaves)
}

/// `H(inputs)`: `halo2_poseidon`'s `Hash::<Fp, P128Pow5T3, ConstantLength<L>, 3, 2>`, computed
/// by `permutation` with fewer multiplications (its tests compare the two at every length
/// below). Panics on a message length that no profile uses (a programming error).
pub fn poseidon(inputs: &[Fp]) -> Fp {
    with_poseidon_length!(inputs.len(), L => constant_length_hash(&inputs[..L]),
        else panic!("no profile hashes {} elements", inputs.len()))
}

/// `H(1, sk)`: the key the registry and the trees know the account by.
pub fn account_key(sk: Fp) -> Fp {
    poseidon(&[Fp::from(TAG_ACCOUNT_KEY), sk])
}

/// `H(2, sk, venue_id)`: the trader's pseudonym at one venue.
pub fn account_tag(sk: Fp, venue_id: u64) -> Fp {
    poseidon(&[Fp::from(TAG_ACCOUNT_TAG), sk, Fp::from(venue_id)])
}

/// `sum limbs[i] 2^shifts[i]`: a word of a leaf message.
pub fn pack_word(limbs: &[Fp], shifts: &[u32]) -> Fp {
    assert_eq!(limbs.len(), shifts.len(), "one shift per limb");
    limbs
        .iter()
        .zip(shifts)
        .map(|(limb, &shift)| *limb * two_to(shift))
        .sum()
}

/// `sum limbs[i] 2^shifts[i]` of integer limbs: the word [`pack_word`] gives for the same
/// limbs as field elements, summed as a 256-bit integer and turned into a field element once
/// (a vault or venue packs a million leaves an epoch: [`pack_word`] spends a few field
/// multiplications a limb). The integer cannot wrap: the callers' shifts are at most 128, so
/// the sum stays below `2^193 < p`, and the field's sum is the integer's.
pub fn pack_integer_word(limbs: &[u64], shifts: &[u32]) -> Fp {
    assert_eq!(limbs.len(), shifts.len(), "one shift per limb");
    let mut word = [0u64; 4];
    for (&limb, &shift) in limbs.iter().zip(shifts) {
        assert!(shift <= 128, "a word's limbs start at bit 128 or below");
        let (at, bits) = ((shift / 64) as usize, shift % 64);
        let spread = (limb as u128) << bits;
        // Add `spread` at 64-bit digit `at`, carrying upwards (at most digit 3: shift <= 128).
        let mut carry = 0u128;
        for (digit, part) in word[at..]
            .iter_mut()
            .zip([spread as u64, (spread >> 64) as u64, 0])
        {
            let sum = *digit as u128 + part as u128 + carry;
            *digit = sum as u64;
            carry = sum >> 64;
        }
    }
    let mut repr = [0u8; 32];
    for (bytes, digit) in repr.chunks_exact_mut(8).zip(word) {
        bytes.copy_from_slice(&digit.to_le_bytes());
    }
    Option::from(Fp::from_repr(repr)).expect("a word below 2^193 is canonical")
}

/// `2^shift` (`shift < 256`) from at most two 128-bit halves: every leaf packs its words with
/// these, and a square-and-multiply power cost more than the leaf's Poseidon permutations.
fn two_to(shift: u32) -> Fp {
    assert!(shift < 256, "a word limb starts below bit 256");
    if shift < 128 {
        Fp::from_u128(1u128 << shift)
    } else {
        Fp::from_u128(1u128 << (shift - 128)) * Fp::from_u128(1u128 << 64).square()
    }
}

/// The collateral words `e_j = x[3j] + 2^64 x[3j+1] + 2^128 x[3j+2]` (amounts past the end
/// are 0), as field elements: the corpus packs limbs no honest party would write.
pub fn collateral_words(amounts: &[Fp]) -> Vec<Fp> {
    amounts
        .chunks(AMOUNTS_PER_WORD)
        .map(|limbs| pack_word(limbs, &AMOUNT_SHIFTS[..limbs.len()]))
        .collect()
}

/// A slot's word `kind + 2^2 underlying + 2^10 side + 2^11 size + 2^75 price + 2^123 expiry`
/// of its six fields as field elements.
pub fn slot_word(fields: &[Fp; 6]) -> Fp {
    pack_word(fields, &SLOT_SHIFTS)
}

/// The six fields of a slot as field elements.
pub fn slot_fields(slot: &Position) -> [Fp; 6] {
    slot.fields().map(Fp::from)
}

/// The message of a collateral leaf with its words already packed.
pub fn collateral_message_of_words(key: Fp, chain_id: u64, words: &[Fp], salt: Fp) -> Vec<Fp> {
    let mut message = vec![Fp::from(TAG_COLLATERAL_LEAF), key, Fp::from(chain_id)];
    message.extend_from_slice(words);
    message.push(salt);
    message
}

/// The message of a collateral leaf (amounts padded to the profile's `A`).
pub fn collateral_leaf_message(key: Fp, chain_id: u64, amounts: &[u64], salt: Fp) -> Vec<Fp> {
    let words: Vec<Fp> = amounts
        .chunks(AMOUNTS_PER_WORD)
        .map(|limbs| pack_integer_word(limbs, &AMOUNT_SHIFTS[..limbs.len()]))
        .collect();
    collateral_message_of_words(key, chain_id, &words, salt)
}

/// `H(3, account_key, chain_id, e_0, .., e_{ceil(A/3)-1}, salt)`.
pub fn collateral_leaf(key: Fp, chain_id: u64, amounts: &[u64], salt: Fp) -> Fp {
    poseidon(&collateral_leaf_message(key, chain_id, amounts, salt))
}

/// The message of a position leaf with its words already packed.
pub fn position_message_of_words(key: Fp, venue_id: u64, words: &[Fp], salt: Fp) -> Vec<Fp> {
    let mut message = vec![Fp::from(TAG_POSITION_LEAF), key, Fp::from(venue_id)];
    message.extend_from_slice(words);
    message.push(salt);
    message
}

/// The message of a position leaf (slots padded to the profile's `P`).
pub fn position_leaf_message(key: Fp, venue_id: u64, slots: &[Position], salt: Fp) -> Vec<Fp> {
    let words: Vec<Fp> = slots
        .iter()
        .map(|s| pack_integer_word(&s.fields(), &SLOT_SHIFTS))
        .collect();
    position_message_of_words(key, venue_id, &words, salt)
}

/// `H(4, account_key, venue_id, w_0, .., w_{P-1}, salt)`.
pub fn position_leaf(key: Fp, venue_id: u64, slots: &[Position], salt: Fp) -> Fp {
    poseidon(&position_leaf_message(key, venue_id, slots, salt))
}

/// `H(left, right)`.
pub fn merkle_node(left: Fp, right: Fp) -> Fp {
    poseidon(&[left, right])
}

/// The root of an empty tree of each height: `empty[0] = 0`, `empty[h+1] = H(empty[h], empty[h])`.
pub fn empty_roots(depth: usize) -> Vec<Fp> {
    let mut roots = vec![Fp::ZERO];
    for h in 0..depth {
        roots.push(merkle_node(roots[h], roots[h]));
    }
    roots
}

/// The root a leaf reaches at `idx` with these siblings (bottom up).
pub fn root_from_path(leaf: Fp, idx: u64, siblings: &[Fp]) -> Fp {
    siblings
        .iter()
        .enumerate()
        .fold(leaf, |node, (h, &sibling)| {
            if (idx >> h) & 1 == 0 {
                merkle_node(node, sibling)
            } else {
                merkle_node(sibling, node)
            }
        })
}

/// A published tree: a chain's collateral vault or a venue's position book (opened in circuit
/// by `gadgets::leaf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    Chain(usize),
    Venue(usize),
}

/// The name the circuit gives the tree's regions: `chain c` or `venue v`.
impl fmt::Display for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tree::Chain(c) => write!(f, "chain {c}"),
            Tree::Venue(v) => write!(f, "venue {v}"),
        }
    }
}

/// A sparse binary Merkle tree of fixed depth: only non-empty nodes are stored.
#[derive(Clone, Debug)]
pub struct MerkleTree {
    depth: usize,
    empty: Vec<Fp>,
    /// `levels[h]` maps a node's position at height `h` to its value.
    levels: Vec<BTreeMap<u64, Fp>>,
}

impl MerkleTree {
    /// Builds a tree from `(idx, leaf)` pairs; every `idx` must be `< 2^depth` and distinct.
    pub fn new(depth: usize, leaves: &[(u64, Fp)]) -> MerkleTree {
        let empty = empty_roots(depth);
        let mut levels = vec![BTreeMap::new(); depth + 1];
        for &(idx, leaf) in leaves {
            assert!(
                depth >= 64 || idx < 1u64 << depth,
                "index {idx} beyond depth {depth}"
            );
            if leaf != Fp::ZERO {
                levels[0].insert(idx, leaf);
            }
        }
        for h in 0..depth {
            let parents: BTreeMap<u64, Fp> = levels[h]
                .keys()
                .map(|pos| pos >> 1)
                .collect::<std::collections::BTreeSet<u64>>()
                .into_iter()
                .map(|parent| {
                    let child = |pos: u64| *levels[h].get(&pos).unwrap_or(&empty[h]);
                    (
                        parent,
                        merkle_node(child(2 * parent), child(2 * parent + 1)),
                    )
                })
                .collect();
            levels[h + 1] = parents;
        }
        MerkleTree {
            depth,
            empty,
            levels,
        }
    }

    pub fn root(&self) -> Fp {
        *self.levels[self.depth]
            .get(&0)
            .unwrap_or(&self.empty[self.depth])
    }

    /// The leaf at `idx` (0 where the account holds nothing).
    pub fn leaf(&self, idx: u64) -> Fp {
        *self.levels[0].get(&idx).unwrap_or(&Fp::ZERO)
    }

    /// The siblings of the path from `idx` to the root, bottom up.
    pub fn path(&self, idx: u64) -> Vec<Fp> {
        (0..self.depth)
            .map(|h| {
                let sibling = (idx >> h) ^ 1;
                *self.levels[h].get(&sibling).unwrap_or(&self.empty[h])
            })
            .collect()
    }
}

/// A field element as `0x` and 64 lower-case hex digits, big-endian.
pub fn fp_to_hex(value: &Fp) -> String {
    let mut bytes = value.to_repr();
    bytes.reverse();
    let mut out = String::with_capacity(66);
    out.push_str("0x");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Parses `fp_to_hex`'s format exactly (`0x`, 64 lower-case hex digits, the canonical
/// encoding); refuses anything else, so that an element has one spelling in every file.
pub fn fp_from_hex(text: &str) -> Option<Fp> {
    let digits = text.strip_prefix("0x")?;
    let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if digits.len() != 64 || !digits.bytes().all(lower_hex) {
        return None;
    }
    // Digits checked above: 0-9 and a-f only. Big-endian text, little-endian bytes.
    let nibble = |b: u8| if b <= b'9' { b - b'0' } else { b - b'a' + 10 };
    let mut bytes = [0u8; 32];
    for (byte, pair) in bytes
        .iter_mut()
        .rev()
        .zip(digits.as_bytes().chunks_exact(2))
    {
        *byte = nibble(pair[0]) << 4 | nibble(pair[1]);
    }
    Option::from(Fp::from_repr(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_words_are_the_field_words_even_when_limbs_overlap() {
        // Limbs wider than their slot's width overlap the next limb and carry: the integer
        // packing must still be the field's sum.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for trial in 0..200 {
            let limbs: [u64; 6] = match trial {
                0 => [u64::MAX; 6],
                1 => [0; 6],
                _ => std::array::from_fn(|_| next() >> (next() % 64)),
            };
            let as_fields = limbs.map(Fp::from);
            assert_eq!(
                pack_integer_word(&limbs, &SLOT_SHIFTS),
                slot_word(&as_fields)
            );
            assert_eq!(
                pack_integer_word(&limbs[..3], &AMOUNT_SHIFTS),
                pack_word(&as_fields[..3], &AMOUNT_SHIFTS)
            );
        }
    }

    #[test]
    fn paths_reach_the_root() {
        let leaves = [(0u64, Fp::from(11)), (5, Fp::from(22)), (6, Fp::from(33))];
        let tree = MerkleTree::new(4, &leaves);
        for idx in [0u64, 5, 6, 7, 15] {
            assert_eq!(
                root_from_path(tree.leaf(idx), idx, &tree.path(idx)),
                tree.root()
            );
        }
        assert_eq!(tree.leaf(7), Fp::ZERO);
        assert_eq!(MerkleTree::new(4, &[]).root(), empty_roots(4)[4]);
    }

    #[test]
    fn another_index_does_not_reach_the_root() {
        let tree = MerkleTree::new(4, &[(5, Fp::from(22))]);
        assert_ne!(root_from_path(Fp::from(22), 4, &tree.path(5)), tree.root());
    }

    #[test]
    fn hex_round_trips_and_refuses_non_canonical() {
        let v = Fp::from(0x1234_5678u64);
        assert_eq!(fp_from_hex(&fp_to_hex(&v)), Some(v));
        assert_eq!(fp_from_hex(&format!("0x{}", "f".repeat(64))), None);
        assert_eq!(fp_from_hex("0x12"), None);
        let upper = fp_to_hex(&Fp::from(0xabcdef))
            .to_ascii_uppercase()
            .replace("0X", "0x");
        assert_eq!(fp_from_hex(&upper), None);
    }

    #[test]
    fn words_pack_their_limbs_at_the_design_offsets() {
        let x = [u64::MAX, 1, 2, 7];
        let words = collateral_words(&x.map(Fp::from));
        let two = |n: u64| Fp::from(2).pow_vartime([n]);
        assert_eq!(
            words,
            vec![
                Fp::from(u64::MAX) + two(64) + Fp::from(2) * two(128),
                Fp::from(7)
            ]
        );
        let put = Position {
            kind: crate::margin::Kind::Put,
            underlying: 5,
            side: crate::margin::Side::Short,
            size: 11,
            price: 13,
            expiry: 17,
        };
        let expected = Fp::from(3 + 4 * 5 + 1024)
            + Fp::from(11) * two(11)
            + Fp::from(13) * two(75)
            + Fp::from(17) * two(123);
        assert_eq!(slot_word(&slot_fields(&put)), expected);
        assert_eq!(pack_integer_word(&put.fields(), &SLOT_SHIFTS), expected);
        // Widths: the last limb ends below 2^254, and each limb starts where the last ends.
        for i in 1..6 {
            assert_eq!(SLOT_SHIFTS[i], SLOT_SHIFTS[i - 1] + SLOT_WIDTHS[i - 1]);
        }
        assert_eq!(SLOT_SHIFTS[5] + SLOT_WIDTHS[5], 163);
        let message = position_leaf_message(Fp::ONE, 9, &[put, Position::EMPTY], Fp::ZERO);
        assert_eq!(message.len(), 3 + 2 + 1);
        assert_eq!(message[3], expected);
        assert_eq!(message[4], Fp::ZERO);
    }

    #[test]
    fn powers_of_two_are_the_fields() {
        for shift in 0..256u32 {
            assert_eq!(
                two_to(shift),
                Fp::from(2).pow_vartime([u64::from(shift)]),
                "2^{shift}"
            );
        }
    }

    #[test]
    fn domains_are_separated() {
        let sk = Fp::from(7);
        assert_ne!(account_key(sk), poseidon(&[Fp::from(TAG_ACCOUNT_TAG), sk]));
        assert_ne!(account_tag(sk, 7), account_tag(sk, 9));
        assert_ne!(nullifier(sk, 7), account_tag(sk, 7));
        assert_ne!(nullifier(sk, 7), nullifier(sk, 8));
        assert_ne!(nullifier(sk, 7), nullifier(sk + Fp::ONE, 7));
        let tag = account_tag(sk, 7);
        assert_ne!(credit_commitment(tag, 1, sk), credit_commitment(tag, 2, sk));
    }
}
