//! Switches that turn named constraints off, for the mutation check
//! (`testing/tests/mutation.rs`): with a constraint off, at least one cheat of the corpus must
//! get through, else the constraint is dead weight or untested.
//!
//! Without the cargo feature `testing` every function here is the identity and compiles away:
//! the constraint system is byte for byte the one the verifying keys pin. With it, a chip's
//! `configure` asks [`switch`] for each named constraint; a constraint switched off is
//! multiplied by the constant 0. The switches live in a thread-local set, read when
//! `configure` runs: `MockProver::run` configures on the calling thread, so a test that
//! switches a constraint off for one run affects no other test. With no switch set (always,
//! without the feature) every constraint is emitted unchanged, so even a build with the
//! feature has the pinned verifying keys (the pins test passes in both builds).

use halo2_proofs::plonk::Expression;

use crate::hash::Fp;

/// The constraints a switch exists for: the named constraints of the arithmetic, Merkle and
/// select chips. The Poseidon rounds and the range check's shift have none: those chips
/// compute the cells themselves, so no cheat of the corpus can break them alone; their own
/// MockProver tests alter each cell instead (`chips::poseidon`, `chips::range`).
/// `testing/tests/mutation.rs` covers the lookup by attribution.
pub const SWITCHES: [&str; 7] = [
    "arith/row",
    "merkle swap/bit is boolean",
    "merkle swap/left",
    "merkle swap/right",
    "select/choice is boolean",
    "select/accumulate",
    "select/count",
];

#[cfg(feature = "testing")]
thread_local! {
    static OFF: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[cfg(feature = "testing")]
fn bit(name: &str) -> u64 {
    let i = SWITCHES
        .iter()
        .position(|s| *s == name)
        .unwrap_or_else(|| panic!("no switch for {name:?}"));
    1 << i
}

/// Runs `f` with the constraints `names` switched off on this thread (feature `testing`).
#[cfg(feature = "testing")]
pub fn with_off<T>(names: &[&str], f: impl FnOnce() -> T) -> T {
    let mask = names.iter().fold(0, |m, n| m | bit(n));
    let before = OFF.with(|off| off.replace(mask));
    let out = f();
    OFF.with(|off| off.set(before));
    out
}

/// The constraint `expression` named `name`, or zero times it when switched off.
#[inline(always)]
pub fn switch(name: &'static str, expression: Expression<Fp>) -> Expression<Fp> {
    #[cfg(feature = "testing")]
    if OFF.with(|off| off.get()) & bit(name) != 0 {
        return expression * Expression::Constant(Fp::zero());
    }
    let _ = name;
    expression
}
