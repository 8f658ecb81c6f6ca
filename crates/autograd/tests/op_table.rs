//! One table checks the derivatives of every op. Each primitive's file states its own rows
//! (`checks()` in `src/ops/<name>.rs`, gathered by `autograd::primitive_checks`): the op, its
//! arity, how it is applied, the shapes it is checked on (broadcasting included), the domain its
//! inputs are sampled from and, where the defaults do not fit, its tolerance; composites built on
//! an op (`mean`, `stack`, `transpose`) have rows beside it. Every row is gradchecked in f64
//! and, unless marked first-order only, gradgradchecked, in reverse mode and in forward mode
//! (`OpCheck::run`: the JVP rules against finite differences, at first order and forward over
//! reverse). A second test asserts that every primitive on the tape is recorded by some row, a
//! third that forward and reverse mode give the same Jacobian for every row.

use autograd::functional::{jacfwd, jacrev};
use autograd::{grad_with, primitive_checks, GradOptions, OpCheck, Result, Tape, Var, PRIMITIVES};
use std::collections::BTreeSet;

#[test]
fn every_op_passes_gradcheck_and_gradgradcheck() {
    let mut failures = Vec::new();
    let (mut checks, mut forward, mut compared, mut kinks) = (0, 0, 0, 0);
    for row in primitive_checks() {
        match row.run() {
            Ok(report) => {
                checks += report.reports.len();
                forward += report.reports.iter().filter(|r| r.label.starts_with("jvpcheck")).count();
                compared += report.reports.iter().map(|r| r.compared).sum::<usize>();
                kinks += report.reports.iter().map(|r| r.kinks.len()).sum::<usize>();
            }
            Err(e) => failures.push(format!("── {} ──\n{e}", row.name())),
        }
    }
    assert!(failures.is_empty(), "{} of the table's rows failed:\n\n{}", failures.len(), failures.join("\n"));
    println!(
        "{checks} checks ({forward} of forward mode), {compared} derivatives compared, {kinks} sampled points moved off a kink"
    );
    assert!(checks > 400, "only {checks} checks ran");
    assert!(forward > 200, "only {forward} forward-mode checks ran");
}

/// The gradient of `⟨y, y⟩/2` for the row's op `y = f(x)`, recorded: a function whose forward
/// pass holds the op's backward rule. Zero for an input the op uses only through a mask
/// (`where`'s condition).
fn gradient<'t>(row: &OpCheck<'_>, x: &[Var<'t, f64>]) -> Result<Vec<Var<'t, f64>>> {
    let y = row.apply(x)?;
    let half_square = y.mul(&y)?.sum().mul_scalar(0.5);
    grad_with(&[&half_square], None, &x.iter().collect::<Vec<_>>(), GradOptions::create_graph().allow_unused())
}

/// Forward mode (a column of the Jacobian per forward walk, through the ops' JVP rules) and
/// reverse mode (a row per backward walk) agree on every row and case of the table, to rounding:
/// at first order, and on the Jacobian of the gradient (forward over reverse against reverse
/// over reverse), which exercises the JVP rules of the ops each backward rule records.
#[test]
fn forward_and_reverse_mode_agree_on_every_row() {
    let (mut entries, mut worst) = (0usize, 0.0f64);
    let mut compare = |name: &str, what: &str, fwd: &[Var<'_, f64>], rev: &[Var<'_, f64>]| {
        for (f, r) in fwd.iter().zip(rev) {
            assert_eq!(f.dims(), r.dims(), "{name}: {what}");
            for (k, (a, b)) in f.value().data().iter().zip(r.value().data()).enumerate() {
                let err = (a - b).abs() / (1.0 + b.abs());
                assert!(err <= 1e-12, "{name}: {what}, entry {k}: forward {a}, reverse {b}");
                worst = worst.max(err);
                entries += 1;
            }
        }
    };
    for row in primitive_checks() {
        for case in 0..row.cases().len() {
            let inputs = row.sample(case).expect("a row samples its cases");
            let tape = Tape::<f64>::new();
            let x: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.constant(x.clone())).collect();
            let options = GradOptions::default();
            let name = format!("{} case {case}", row.name());
            let fwd = jacfwd(|x| row.apply(x), &x, options).expect("forward mode");
            let rev = jacrev(|x| row.apply(x), &x, options).expect("reverse mode");
            compare(&name, "Jacobian", &fwd[0], &rev[0]);
            let fwd = jacfwd(|x| gradient(&row, x), &x, options).expect("forward over reverse");
            let rev = jacrev(|x| gradient(&row, x), &x, options).expect("reverse over reverse");
            for (f, r) in fwd.iter().zip(&rev) {
                compare(&name, "Jacobian of the gradient", f, r);
            }
        }
    }
    println!("forward and reverse mode: {entries} Jacobian entries, largest relative difference {worst:e}");
    assert!(entries > 5000, "only {entries} entries compared");
}

/// The names of all primitives (`Op` variants other than leaves and custom ops).
fn primitives() -> BTreeSet<String> {
    PRIMITIVES.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_primitive_has_a_row() {
    let primitives = primitives();
    assert!(primitives.len() > 30, "found only {primitives:?}");
    let mut covered = BTreeSet::new();
    for row in primitive_checks() {
        let recorded = row.recorded_ops().unwrap_or_else(|e| panic!("{}: {e}", row.name()));
        // A row is about the op it is named after: it must record it.
        let op = row.name().split(' ').next().expect("a name");
        if primitives.contains(op) {
            assert!(recorded.contains(op), "row {} does not record {op}: {recorded:?}", row.name());
        }
        covered.extend(recorded.into_iter().map(str::to_string));
    }
    println!("{} primitives, all covered: {primitives:?}", primitives.len());
    let missing: Vec<&String> = primitives.difference(&covered).collect();
    assert!(missing.is_empty(), "primitives without a row in the op table: {missing:?}");
}

#[test]
fn row_names_are_unique() {
    let mut seen = BTreeSet::new();
    for row in primitive_checks() {
        assert!(seen.insert(row.name().to_string()), "two rows named {}", row.name());
    }
}
