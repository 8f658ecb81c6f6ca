//! One table checks the derivatives of every op. Each primitive's file states its own rows
//! (`checks()` in `src/ops/<name>.rs`, gathered by `autograd::primitive_checks`): the op, its
//! arity, how it is applied, the shapes it is checked on (broadcasting included), the domain its
//! inputs are sampled from and, where the defaults do not fit, its tolerance; composites built on
//! an op (`mean`, `stack`, `transpose`) have rows beside it. Every row is gradchecked in f64
//! and, unless marked first-order only, gradgradchecked. A second test asserts that every
//! primitive on the tape is recorded by some row.

use autograd::{primitive_checks, PRIMITIVES};
use std::collections::BTreeSet;

#[test]
fn every_op_passes_gradcheck_and_gradgradcheck() {
    let mut failures = Vec::new();
    let (mut checks, mut compared, mut kinks) = (0, 0, 0);
    for row in primitive_checks() {
        match row.run() {
            Ok(report) => {
                checks += report.reports.len();
                compared += report.reports.iter().map(|r| r.compared).sum::<usize>();
                kinks += report.reports.iter().map(|r| r.kinks.len()).sum::<usize>();
            }
            Err(e) => failures.push(format!("── {} ──\n{e}", row.name())),
        }
    }
    assert!(failures.is_empty(), "{} of the table's rows failed:\n\n{}", failures.len(), failures.join("\n"));
    println!("{checks} checks, {compared} derivatives compared, {kinks} sampled points moved off a kink");
    assert!(checks > 200, "only {checks} checks ran");
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
