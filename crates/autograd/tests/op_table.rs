//! One table checks the derivatives of every op: each row names the op, its arity, how it is
//! applied, the shapes it is checked on (broadcasting included), the domain its inputs are
//! sampled from and, where the defaults do not fit, its tolerance. Every row is gradchecked in
//! f64 and, unless marked first-order only, gradgradchecked. A second test asserts that every
//! primitive on the tape is recorded by some row, so adding an op means adding a row.
//!
//! Adding a row: `OpCheck::new(name, arity, |x| apply)` plus `.shapes(..)` if the defaults
//! (scalars, `[4]`, `[2, 3]`, and for two or more inputs `[2, 3]`×`[3]`, `[3]`×`[2, 3]`,
//! `[2, 1]`×`[1, 3]`) do not suit the op, and `.domain(..)` if it is not defined (or not smooth)
//! on all of `[−2, 2]`.

use autograd::{Domain, OpCheck, Var};
use std::collections::BTreeSet;

/// Away from the kink at 0 of relu, abs, sign, leaky_relu, elu.
const OFF_ZERO: Domain = Domain::AwayFromZero(0.1);

/// Index lists that depend on the sampled shape: `count` positions below `size`, spread out
/// and with repeats once `count > size`.
fn positions(count: usize, size: usize) -> Vec<usize> {
    (0..count).map(|p| (3 * p + 1) % size).collect()
}

/// Every row of the table.
fn table() -> Vec<OpCheck<'static>> {
    vec![
        // Elementwise, one input.
        OpCheck::new("neg", 1, |x| Ok(x[0].neg())),
        OpCheck::new("add_scalar", 1, |x| Ok(x[0].add_scalar(0.7))),
        OpCheck::new("mul_scalar", 1, |x| Ok(x[0].mul_scalar(-1.3))),
        OpCheck::new("powf", 1, |x| Ok(x[0].powf(2.5))).domain(Domain::Positive),
        OpCheck::new("powf (integer exponent, negative base)", 1, |x| Ok(x[0].powf(3.0))),
        OpCheck::new("powf (negative exponent)", 1, |x| Ok(x[0].powf(-1.5))).domain(Domain::Positive),
        OpCheck::new("powf (p = 0)", 1, |x| Ok(x[0].powf(0.0))),
        OpCheck::new("exp", 1, |x| Ok(x[0].exp())),
        OpCheck::new("log", 1, |x| Ok(x[0].log())).domain(Domain::Positive),
        OpCheck::new("sqrt", 1, |x| Ok(x[0].sqrt())).domain(Domain::Positive),
        OpCheck::new("sin", 1, |x| Ok(x[0].sin())),
        OpCheck::new("cos", 1, |x| Ok(x[0].cos())),
        OpCheck::new("tanh", 1, |x| Ok(x[0].tanh())),
        OpCheck::new("sigmoid", 1, |x| Ok(x[0].sigmoid())),
        OpCheck::new("softplus", 1, |x| Ok(x[0].softplus())),
        OpCheck::new("abs", 1, |x| Ok(x[0].abs())).domain(OFF_ZERO),
        OpCheck::new("sign", 1, |x| Ok(x[0].sign())).domain(OFF_ZERO),
        OpCheck::new("relu", 1, |x| Ok(x[0].relu())).domain(OFF_ZERO),
        OpCheck::new("leaky_relu", 1, |x| Ok(x[0].leaky_relu(0.1))).domain(OFF_ZERO),
        OpCheck::new("elu", 1, |x| Ok(x[0].elu(0.7))).domain(OFF_ZERO),
        OpCheck::new("elu (alpha = 1)", 1, |x| Ok(x[0].elu(1.0))).domain(OFF_ZERO),
        // Samples landing within eps of ±0.5 are kinks: OpCheck moves them off.
        OpCheck::new("clamp", 1, |x| Ok(x[0].clamp(-0.5, 0.5))),
        // Elementwise, two inputs, broadcasting (the default cases include it).
        OpCheck::new("add", 2, |x| x[0].add(&x[1])),
        OpCheck::new("sub", 2, |x| x[0].sub(&x[1])),
        OpCheck::new("mul", 2, |x| x[0].mul(&x[1])),
        OpCheck::new("div", 2, |x| x[0].div(&x[1])).domains(&[Domain::Real, Domain::AwayFromZero(0.5)]),
        OpCheck::new("pow", 2, |x| x[0].pow(&x[1])).domains(&[Domain::Positive, Domain::Real]),
        OpCheck::new("maximum", 2, |x| x[0].maximum(&x[1])),
        OpCheck::new("minimum", 2, |x| x[0].minimum(&x[1])),
        // Selection by a mask computed from input 0 (held constant: masks have no gradient).
        OpCheck::new("where", 3, |x| Var::where_(&x[0].gt(&x[0].scalar(0.0))?, &x[1], &x[2]))
            .shapes(&[&[&[2, 3], &[2, 3], &[2, 3]], &[&[2, 3], &[3], &[2, 1]], &[&[3], &[2, 3], &[]]])
            .wrt(&[1, 2]),
        // Matrix products, transposes folded in.
        OpCheck::new("matmul", 2, |x| x[0].matmul(&x[1])).shapes(&[
            &[&[2, 3], &[3, 4]],
            &[&[2, 2, 3], &[2, 3, 1]], // batched
            &[&[2, 2, 3], &[3, 4]],    // a shared right-hand matrix
        ]),
        OpCheck::new("matmul (rhs transposed)", 2, |x| x[0].matmul_t(&x[1], false, true)).shapes(&[
            &[&[2, 3], &[4, 3]],
            &[&[2, 2, 3], &[2, 1, 3]],
            &[&[2, 2, 3], &[4, 3]],
        ]), // + shared
        OpCheck::new("matmul (lhs transposed)", 2, |x| x[0].matmul_t(&x[1], true, false))
            .shapes(&[&[&[3, 2], &[3, 4]], &[&[2, 3, 2], &[2, 3, 1]]]),
        OpCheck::new("matmul (both transposed)", 2, |x| x[0].matmul_t(&x[1], true, true))
            .shapes(&[&[&[3, 2], &[4, 3]]]),
        OpCheck::new("linear", 3, |x| x[0].linear(&x[1], Some(&x[2]))).shapes(&[
            &[&[2, 3], &[4, 3], &[4]],
            &[&[2, 2, 3], &[4, 3], &[4]],
            &[&[3], &[2, 3], &[2]],
        ]),
        OpCheck::new("linear (no bias)", 2, |x| x[0].linear(&x[1], None)).shapes(&[&[&[2, 3], &[4, 3]]]),
        // Reductions.
        OpCheck::new("sum", 1, |x| Ok(x[0].sum())),
        OpCheck::new("sum_axes", 1, |x| x[0].sum_axes(&[0], false)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("sum_axes (keepdim)", 1, |x| x[0].sum_axes(&[0, 2], true)).shapes(&[&[&[2, 3, 2]]]),
        OpCheck::new("mean", 1, |x| Ok(x[0].mean())),
        OpCheck::new("mean_axes", 1, |x| x[0].mean_axes(&[1], true)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("max", 1, |x| Ok(x[0].max())).shapes(&[&[&[4]], &[&[2, 3]]]),
        OpCheck::new("max_axes", 1, |x| x[0].max_axes(&[1], false)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("max_axes (keepdim)", 1, |x| x[0].max_axes(&[0, 2], true)).shapes(&[&[&[2, 3, 2]]]),
        OpCheck::new("min", 1, |x| Ok(x[0].min())).shapes(&[&[&[4]], &[&[2, 3]]]),
        OpCheck::new("min_axes", 1, |x| x[0].min_axes(&[0], true)).shapes(&[&[&[2, 3]], &[&[3, 2, 2]]]),
        OpCheck::new("logsumexp", 1, |x| x[0].logsumexp(1, false)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("logsumexp (axis 0, keepdim)", 1, |x| x[0].logsumexp(0, true)).shapes(&[&[&[3, 2]]]),
        OpCheck::new("softmax", 1, |x| x[0].softmax(1)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("softmax (axis 0)", 1, |x| x[0].softmax(0)).shapes(&[&[&[4]], &[&[3, 2]]]),
        OpCheck::new("log_softmax", 1, |x| x[0].log_softmax(1)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("log_softmax (axis 0)", 1, |x| x[0].log_softmax(0)).shapes(&[&[&[4]], &[&[3, 2]]]),
        // Integer indexing along axis 1 (positions depend on the sampled shape).
        OpCheck::new("gather", 1, |x| x[0].gather(1, &positions(x[0].numel() / x[0].dims()[1], x[0].dims()[1])))
            .shapes(&[&[&[3, 4]], &[&[2, 3, 2]]]),
        OpCheck::new("scatter_add", 1, |x| x[0].scatter_add(1, &positions(x[0].numel(), 3), 3))
            .shapes(&[&[&[4, 1]], &[&[2, 1, 2]]]),
        OpCheck::new("index_select", 1, |x| x[0].index_select(1, &positions(4, x[0].dims()[1])))
            .shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("index_add", 1, |x| x[0].index_add(1, &positions(x[0].dims()[1], 2), 2))
            .shapes(&[&[&[2, 3]], &[&[2, 4, 2]]]),
        // Shape ops.
        OpCheck::new("reshape", 1, |x| x[0].reshape([x[0].numel()])).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("unsqueeze / squeeze / flatten", 1, |x| {
            x[0].unsqueeze(1)?.flatten(1, 2)?.unsqueeze(0)?.squeeze(0)
        })
        .shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("broadcast_to", 1, |x| x[0].broadcast_to([2, 2, 3])).shapes(&[&[&[3]], &[&[2, 1]], &[&[]]]),
        OpCheck::new("broadcast_to (expand)", 1, |x| x[0].expand([3, 2])).shapes(&[&[&[3, 1]], &[&[2]]]),
        OpCheck::new("sum_to", 1, |x| x[0].sum_to([2, 1])).shapes(&[&[&[2, 3]], &[&[3, 2, 3]]]),
        OpCheck::new("permute", 1, |x| x[0].permute(&[2, 0, 1])).shapes(&[&[&[2, 3, 4]]]),
        OpCheck::new("permute (transpose, t)", 1, |x| x[0].transpose(0, 1)?.t()?.transpose(1, 0))
            .shapes(&[&[&[2, 3]], &[&[3, 2]]]),
        OpCheck::new("concat", 3, |x| Var::concat(&[&x[0], &x[1], &x[2]], 0))
            .shapes(&[&[&[2, 3], &[1, 3], &[2, 3]], &[&[1], &[3], &[2]]]),
        OpCheck::new("concat (stack)", 2, |x| Var::stack(&[&x[0], &x[1]], 1))
            .shapes(&[&[&[2, 3], &[2, 3]], &[&[3], &[3]]]),
        OpCheck::new("narrow", 1, |x| x[0].narrow(1, 1, 2)).shapes(&[&[&[2, 4]], &[&[2, 3, 2]]]),
        OpCheck::new("pad", 1, |x| x[0].pad(1, 1, 2)).shapes(&[&[&[2, 3]], &[&[2, 1, 2]]]),
    ]
}

#[test]
fn every_op_passes_gradcheck_and_gradgradcheck() {
    let mut failures = Vec::new();
    let (mut checks, mut compared, mut kinks) = (0, 0, 0);
    for row in table() {
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
    autograd::PRIMITIVES.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_primitive_has_a_row() {
    let primitives = primitives();
    assert!(primitives.len() > 30, "found only {primitives:?}");
    let mut covered = BTreeSet::new();
    for row in table() {
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
    for row in table() {
        assert!(seen.insert(row.name().to_string()), "two rows named {}", row.name());
    }
}
