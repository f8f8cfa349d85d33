//! Tests of this vendored copy's changes (README.md): verifying keys written and read back
//! (`VerifyingKey::write` / `read`), and parameters for verifiers (`Params::write_verifier` /
//! `read_verifier`).
//!
//! The circuit has three simple selectors enabled on distinct rows, so that `compress_selectors`
//! merges them into fewer fixed columns: the case of halo2 issue #449, where a key read back
//! without the selectors' rows could not rebuild the gates.

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::pasta::{EqAffine, Fp};
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Advice, Circuit, Column, ConstraintSystem,
    Error, Fixed, Instance, ProvingKey, Selector, SingleVerifier, VerifyingKey,
};
use halo2_proofs::poly::{commitment::Params, Rotation};
use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};
use rand::rngs::SysRng;
use rand_core::UnwrapErr;

const K: u32 = 6;
/// The rows of a 2^K-row selector bitmap.
const BITMAP_BYTES: usize = (1 << K) / 8;

#[derive(Clone)]
struct ArithConfig {
    a: Column<Advice>,
    b: Column<Advice>,
    c: Column<Advice>,
    constant: Column<Fixed>,
    public: Column<Instance>,
    add: Selector,
    mul: Selector,
    fixed: Selector,
}

/// Proves `(x + y) * y = public` and that `7` is the constant column's value: an addition row,
/// a multiplication row copying the sum, and a row checking an advice cell against a fixed one.
#[derive(Clone, Default)]
struct ArithCircuit {
    x: Value<Fp>,
    y: Value<Fp>,
}

impl Circuit<Fp> for ArithCircuit {
    type Config = ArithConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self::default()
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> ArithConfig {
        let [a, b, c] = [(); 3].map(|_| meta.advice_column());
        let constant = meta.fixed_column();
        let public = meta.instance_column();
        for column in [a, c] {
            meta.enable_equality(column);
        }
        meta.enable_equality(public);
        let [add, mul, fixed] = [(); 3].map(|_| meta.selector());
        meta.create_gate("add", |meta| {
            let s = meta.query_selector(add);
            let [a, b, c] = [a, b, c].map(|col| meta.query_advice(col, Rotation::cur()));
            vec![s * (a + b - c)]
        });
        meta.create_gate("mul", |meta| {
            let s = meta.query_selector(mul);
            let [a, b, c] = [a, b, c].map(|col| meta.query_advice(col, Rotation::cur()));
            vec![s * (a * b - c)]
        });
        meta.create_gate("fixed", |meta| {
            let s = meta.query_selector(fixed);
            let a = meta.query_advice(a, Rotation::cur());
            let k = meta.query_fixed(constant);
            vec![s * (a - k)]
        });
        ArithConfig {
            a,
            b,
            c,
            constant,
            public,
            add,
            mul,
            fixed,
        }
    }

    fn synthesize(
        &self,
        config: ArithConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let product = layouter.assign_region(
            || "(x + y) * y",
            |mut region| {
                config.add.enable(&mut region, 0)?;
                region.assign_advice(|| "x", config.a, 0, || self.x)?;
                region.assign_advice(|| "y", config.b, 0, || self.y)?;
                let sum = region.assign_advice(|| "x + y", config.c, 0, || self.x + self.y)?;
                config.mul.enable(&mut region, 1)?;
                sum.copy_advice(|| "x + y", &mut region, config.a, 1)?;
                region.assign_advice(|| "y", config.b, 1, || self.y)?;
                region.assign_advice(|| "(x + y) * y", config.c, 1, || (self.x + self.y) * self.y)
            },
        )?;
        layouter.assign_region(
            || "seven",
            |mut region| {
                config.fixed.enable(&mut region, 0)?;
                region.assign_fixed(|| "7", config.constant, 0, || Value::known(Fp::from(7)))?;
                region.assign_advice(|| "7", config.a, 0, || Value::known(Fp::from(7)))
            },
        )?;
        layouter.constrain_instance(product.cell(), config.public, 0)
    }
}

fn honest() -> (ArithCircuit, Fp) {
    let (x, y) = (Fp::from(3), Fp::from(5));
    (
        ArithCircuit {
            x: Value::known(x),
            y: Value::known(y),
        },
        (x + y) * y,
    )
}

fn keys(params: &Params<EqAffine>) -> (VerifyingKey<EqAffine>, ProvingKey<EqAffine>) {
    let vk = keygen_vk(params, &ArithCircuit::default()).expect("keygen_vk");
    let pk = keygen_pk(params, vk.clone(), &ArithCircuit::default()).expect("keygen_pk");
    (vk, pk)
}

fn prove(params: &Params<EqAffine>, pk: &ProvingKey<EqAffine>) -> Vec<u8> {
    let (circuit, public) = honest();
    let mut transcript = Blake2bWrite::<_, _, Challenge255<_>>::init(vec![]);
    create_proof(
        params,
        pk,
        &[circuit],
        &[&[&[public]]],
        UnwrapErr(SysRng),
        &mut transcript,
    )
    .expect("proof");
    transcript.finalize()
}

fn verify(
    params: &Params<EqAffine>,
    vk: &VerifyingKey<EqAffine>,
    proof: &[u8],
    instance: &[Fp],
) -> Result<(), Error> {
    let mut transcript = Blake2bRead::<_, _, Challenge255<_>>::init(proof);
    verify_proof(
        params,
        vk,
        SingleVerifier::new(params),
        &[&[instance]],
        &mut transcript,
    )
}

fn to_bytes(vk: &VerifyingKey<EqAffine>) -> Vec<u8> {
    let mut bytes = vec![];
    vk.write(&mut bytes).expect("write to a vector");
    bytes
}

fn read(bytes: &[u8], k: u32) -> std::io::Result<VerifyingKey<EqAffine>> {
    VerifyingKey::read::<_, ArithCircuit>(&mut &bytes[..], k)
}

/// The offset of the fixed commitments' count: version, k, the selector count, 3 bitmaps.
const FIXED_COUNT_AT: usize = 1 + 4 + 4 + 3 * BITMAP_BYTES;

fn count_at(bytes: &[u8], at: usize) -> usize {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize
}

#[test]
fn a_key_read_back_is_keygens_key() {
    let params = Params::<EqAffine>::new(K);
    let (vk, pk) = keys(&params);
    let bytes = to_bytes(&vk);

    let mut reader = &bytes[..];
    let read_back = VerifyingKey::read::<_, ArithCircuit>(&mut reader, K).expect("read");
    assert!(reader.is_empty(), "the reader consumes the whole key");
    // The whole key, not only its pinned part: domain, constraint system, commitments,
    // transcript representative and selector bitmaps.
    assert_eq!(format!("{read_back:?}"), format!("{vk:?}"));
    assert_eq!(to_bytes(&read_back), bytes, "written again byte for byte");

    // The layout: header, bitmaps, then the counted points.
    let fixed = count_at(&bytes, FIXED_COUNT_AT);
    let permutation_at = FIXED_COUNT_AT + 4 + 32 * fixed;
    let permutation = count_at(&bytes, permutation_at);
    assert_eq!(permutation, 3, "a, c and the instance column");
    assert_eq!(bytes.len(), permutation_at + 4 + 32 * permutation);
    assert_eq!(bytes[0], 1);
    assert_eq!(count_at(&bytes, 1), K as usize);
    assert_eq!(count_at(&bytes, 5), 3, "three selectors");

    let proof = prove(&params, &pk);
    let (_, public) = honest();
    assert!(verify(&params, &read_back, &proof, &[public]).is_ok());
    assert!(verify(&params, &read_back, &proof, &[public + Fp::one()]).is_err());
}

/// halo2 #449: the gates and the number of fixed columns depend on where the selectors are
/// enabled. Here the three selectors never share a row and are merged; bitmaps where two share
/// one cannot be merged the same way, and the stored commitments no longer fit the circuit.
#[test]
fn the_selector_bitmaps_decide_the_constraint_system() {
    let params = Params::<EqAffine>::new(K);
    let (vk, _) = keys(&params);
    let bytes = to_bytes(&vk);
    let fixed = count_at(&bytes, FIXED_COUNT_AT);
    assert!(
        fixed < 1 + 3,
        "the selectors are merged: {fixed} fixed commitments for 1 fixed column and 3 selectors"
    );

    // `add` (degree 2, enabled at row 0) and `fixed` (degree 2, at row 2) share a fixed column;
    // `mul` (degree 3, the circuit's degree) has its own. Enable `fixed` at row 0 too (selector
    // 2's bitmap follows the header and two bitmaps).
    let mut shared_row = bytes.clone();
    shared_row[9 + 2 * BITMAP_BYTES] |= 1;
    let error = read(&shared_row, K).expect_err("the merged columns no longer fit");
    assert!(error.to_string().contains("fixed commitments"), "{error}");

    // A row where no selector was enabled, enabled for one: still mergeable the same way, so
    // the key is the same key (a digest of the file tells the files apart).
    let mut other_row = bytes.clone();
    other_row[9 + BITMAP_BYTES - 1] |= 0x80;
    let other = read(&other_row, K).expect("the same merge");
    assert_eq!(
        format!("{:?}", other.pinned()),
        format!("{:?}", vk.pinned())
    );
}

#[test]
fn malformed_keys_are_refused() {
    let params = Params::<EqAffine>::new(K);
    let (vk, _) = keys(&params);
    let bytes = to_bytes(&vk);
    let message = |bytes: &[u8], k: u32| read(bytes, k).expect_err("refused").to_string();

    // Every truncation, down to nothing.
    for len in 0..bytes.len() {
        assert!(read(&bytes[..len], K).is_err(), "truncated to {len} bytes");
    }

    let mut version = bytes.clone();
    version[0] = 2;
    assert!(message(&version, K).contains("format 2"));

    assert!(message(&bytes, K + 1).contains("k = 6, not k = 7"));
    // A key of k = 6 claiming k = 7 misreads its bitmaps as 16 bytes each, and runs short.
    let mut k = bytes.clone();
    k[1] = K as u8 + 1;
    assert!(read(&k, K + 1).is_err());

    let mut selectors = bytes.clone();
    selectors[5] = 4;
    assert!(message(&selectors, K).contains("4 selectors, the circuit 3"));

    let mut fixed = bytes.clone();
    fixed[FIXED_COUNT_AT] += 1;
    assert!(message(&fixed, K).contains("fixed commitments"));

    let fixed_count = count_at(&bytes, FIXED_COUNT_AT);
    let permutation_at = FIXED_COUNT_AT + 4 + 32 * fixed_count;
    let mut permutation = bytes.clone();
    permutation[permutation_at] = 2;
    assert!(message(&permutation, K).contains("2 permutation commitments, the circuit 3"));

    // A first fixed commitment whose x is not a field element (all ones, above the modulus).
    let mut point = bytes.clone();
    point[FIXED_COUNT_AT + 4..FIXED_COUNT_AT + 4 + 32].fill(0xff);
    assert!(message(&point, K).contains("invalid point encoding"));
}

#[test]
fn verifier_parameters_verify_like_the_full_ones() {
    let params = Params::<EqAffine>::new(K);
    let (vk, pk) = keys(&params);
    let proof = prove(&params, &pk);
    let (_, public) = honest();

    let mut file = vec![];
    params.write_verifier(&mut file, 1).expect("write");
    // k, the Lagrange count, then 2^K + 1 + 2 points of 64 bytes.
    assert_eq!(file.len(), 8 + ((1 << K) + 1 + 2) * 64);
    let mut reader = &file[..];
    let lean = Params::<EqAffine>::read_verifier(&mut reader).expect("read");
    assert!(reader.is_empty());
    assert_eq!(lean.k(), K);
    assert_eq!(lean.get_g(), params.get_g());

    assert!(verify(&lean, &vk, &proof, &[public]).is_ok());
    assert!(verify(&lean, &vk, &proof, &[public + Fp::one()]).is_err());
    // An instance column longer than the stored Lagrange points is refused, not a panic.
    assert!(matches!(
        verify(&lean, &vk, &proof, &[public, Fp::zero()]),
        Err(Error::InstanceTooLarge)
    ));
    let mut none = vec![];
    params.write_verifier(&mut none, 0).expect("write");
    let none = Params::<EqAffine>::read_verifier(&mut &none[..]).expect("read");
    assert!(matches!(
        verify(&none, &vk, &proof, &[public]),
        Err(Error::InstanceTooLarge)
    ));
}

#[test]
fn malformed_verifier_parameters_are_refused() {
    let params = Params::<EqAffine>::new(K);
    assert!(params.write_verifier(&mut vec![], (1 << K) + 1).is_err());
    let mut file = vec![];
    params.write_verifier(&mut file, 2).expect("write");
    let read_lean = |bytes: &[u8]| Params::<EqAffine>::read_verifier(&mut &bytes[..]);
    let message = |bytes: &[u8]| read_lean(bytes).expect_err("refused").to_string();

    for len in [0, 4, 8, 8 + 63, file.len() - 1] {
        assert!(read_lean(&file[..len]).is_err(), "truncated to {len} bytes");
    }
    let mut k = file.clone();
    k[0] = 32;
    assert!(message(&k).contains("k is 32"));
    let mut lagrange = file.clone();
    lagrange[4..8].copy_from_slice(&((1u32 << K) + 1).to_le_bytes());
    assert!(message(&lagrange).contains("more Lagrange points"));
    // The first point's x flipped in its lowest bit: (x', y) is not on the curve.
    let mut off_curve = file.clone();
    off_curve[8] ^= 1;
    assert!(message(&off_curve).contains("not on the curve"));
    // The first point's x all ones: above the base field's modulus.
    let mut non_canonical = file.clone();
    non_canonical[8..8 + 32].fill(0xff);
    assert!(message(&non_canonical).contains("not a canonical field element"));
}
