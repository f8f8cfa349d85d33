use halo2_proofs::dev::MockProver;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::fixtures::fixture;
use zkmargin_circuits::margin;
use zkmargin_circuits::profile::SMALL;

#[test]
fn honest_small_book_is_accepted() {
    let f = fixture(SMALL);
    let report = margin::evaluate(
        &f.statement.params,
        &f.witness.book(),
        Some(&margin::Order {
            venue: 0,
            position: f.statement.order,
        }),
        f.statement.level_ppm,
    )
    .unwrap();
    println!("{report:#?}");
    let instance = f.statement.to_instance();
    let circuit = MarginCircuit::new(f.statement.clone(), f.witness.clone());
    let t = std::time::Instant::now();
    let prover = MockProver::run(SMALL.k, &circuit, vec![instance]).unwrap();
    println!("mock synth {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let res = prover.verify();
    println!("mock verify {:?}", t.elapsed());
    if let Err(errs) = &res {
        for e in errs.iter().take(10) {
            println!("{e}");
        }
    }
    assert!(res.is_ok());
}

#[test]
fn quick_negatives() {
    use zkmargin_circuits::circuit::Tamper;
    let f = fixture(SMALL);
    let instance = f.statement.to_instance();
    let run = |c: &MarginCircuit, inst: Vec<zkmargin_circuits::hash::Fp>| {
        MockProver::run(SMALL.k, c, vec![inst])
            .unwrap()
            .verify()
            .is_ok()
    };
    let mut c = MarginCircuit::new(f.statement.clone(), f.witness.clone());
    c.tamper = Tamper {
        collateral: vec![((0, 0), 1)],
        ..Default::default()
    };
    assert!(!run(&c, instance.clone()), "floor rounded up accepted");
    let mut w = f.witness.clone();
    w.balances[0][0] += 1;
    let c = MarginCircuit::new(f.statement.clone(), w);
    assert!(!run(&c, instance.clone()), "inflated balance accepted");
    let mut inst = instance.clone();
    let layout = zkmargin_circuits::instance::InstanceLayout::new(SMALL);
    inst[layout.price(0)] += zkmargin_circuits::hash::Fp::one();
    let c = MarginCircuit::new(f.statement.clone(), f.witness.clone());
    assert!(!run(&c, inst), "other price accepted");
}
