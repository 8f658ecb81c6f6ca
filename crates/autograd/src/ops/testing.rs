//! Test helpers for the op files: quick central-difference checks of first and second
//! derivatives in f64 (the public, kink-aware `gradcheck` lives elsewhere; these only serve the
//! ops' own unit tests, at points chosen away from kinks).

use crate::{grad, grad_with, GradOptions, Tape, Tensor, Var};

/// Fixed, uneven weights so that the incoming gradient is not all ones.
fn weights(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 + 0.37 * ((i as f64) * 1.7 + 0.3).sin()).collect()
}

/// `L(x) = Σ r ⊙ f(x)` for fixed weights `r`.
fn weighted<'t>(y: &Var<'t, f64>) -> Var<'t, f64> {
    let r = y.constant(Tensor::from_vec(weights(y.numel()), y.shape().clone()).unwrap());
    y.mul(&r).unwrap().sum()
}

fn assert_close(what: &str, analytic: &[f64], numeric: &[f64], tol: f64) {
    assert_eq!(analytic.len(), numeric.len(), "{what}: lengths");
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        assert!(
            (a - n).abs() <= tol * (1.0 + n.abs()),
            "{what}[{i}]: analytic {a}, numeric {n}\n{analytic:?}\n{numeric:?}"
        );
    }
}

/// Central differences of a scalar function of the inputs, for every element of every input.
fn numeric_grads(xs: &[&Tensor<f64>], value: impl Fn(&[Tensor<f64>]) -> f64) -> Vec<Vec<f64>> {
    let eps = 1e-6;
    let mut out = Vec::new();
    for j in 0..xs.len() {
        let mut gj = Vec::new();
        for k in 0..xs[j].numel() {
            let shifted = |d: f64| {
                let mut ys: Vec<Tensor<f64>> = xs.iter().map(|&x| x.clone()).collect();
                ys[j].data_mut()[k] += d;
                value(&ys)
            };
            gj.push((shifted(eps) - shifted(-eps)) / (2.0 * eps));
        }
        out.push(gj);
    }
    out
}

/// Checks the first derivatives of `f` at `xs` against central differences.
pub(crate) fn check_grad(xs: &[&Tensor<f64>], f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>) {
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = xs.iter().map(|&x| tape.var(x.clone())).collect();
    let loss = weighted(&f(&vars));
    let refs: Vec<&Var<'_, f64>> = vars.iter().collect();
    let analytic = grad(&[&loss], &refs).unwrap();
    let numeric = numeric_grads(xs, |ys| {
        let tape = Tape::new();
        let vars: Vec<Var<'_, f64>> = ys.iter().map(|y| tape.constant(y.clone())).collect();
        weighted(&f(&vars)).item()
    });
    for (j, (a, n)) in analytic.iter().zip(&numeric).enumerate() {
        assert_close(&format!("∂L/∂x{j}"), a.value().data(), n, 1e-6);
    }
}

/// Checks the second derivatives of `f` at `xs`: the gradient of `Σ v ⊙ ∂L/∂x` (computed with
/// `create_graph`) against central differences of that first-order gradient.
pub(crate) fn check_grad2(xs: &[&Tensor<f64>], f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>) {
    fn first_order<'t>(
        tape: &'t Tape<f64>,
        xs: &[&Tensor<f64>],
        f: &impl for<'s> Fn(&[Var<'s, f64>]) -> Var<'s, f64>,
    ) -> (Vec<Var<'t, f64>>, Var<'t, f64>) {
        let vars: Vec<Var<'t, f64>> = xs.iter().map(|&x| tape.var(x.clone())).collect();
        let loss = weighted(&f(&vars));
        let refs: Vec<&Var<'t, f64>> = vars.iter().collect();
        let gs = grad_with(&[&loss], None, &refs, GradOptions::create_graph()).unwrap();
        let mut total = tape.scalar(0.0);
        for g in &gs {
            let v: Vec<f64> = weights(g.numel() + 3)[3..].to_vec();
            let v = tape.constant(Tensor::from_vec(v, g.shape().clone()).unwrap());
            total = total.add(&g.mul(&v).unwrap().sum()).unwrap();
        }
        (vars, total)
    }
    let tape = Tape::new();
    let (vars, total) = first_order(&tape, xs, &f);
    let refs: Vec<&Var<'_, f64>> = vars.iter().collect();
    let analytic = grad(&[&total], &refs).unwrap();
    let numeric = numeric_grads(xs, |ys| {
        let tape = Tape::new();
        let refs: Vec<&Tensor<f64>> = ys.iter().collect();
        first_order(&tape, &refs, &f).1.item()
    });
    for (j, (a, n)) in analytic.iter().zip(&numeric).enumerate() {
        assert_close(&format!("∂²L/∂x{j}"), a.value().data(), n, 1e-5);
    }
}

/// Asserts two slices agree to within `tol` (absolute).
#[track_caller]
pub(crate) fn assert_all_close<T: crate::Float>(actual: &[T], expected: &[f64], tol: f64) {
    assert_eq!(actual.len(), expected.len(), "lengths differ: {actual:?} vs {expected:?}");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!((a.to_f64() - e).abs() <= tol, "element {i}: {a} vs {e}\n{actual:?}\n{expected:?}");
    }
}

/// A tensor from literal values.
pub(crate) fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

/// The hash of the branch labels that the kinked ops recorded while evaluating `f(x)` declare
/// (see `ops::branch_hash`): equal hashes at `x ± ε` mean no kink lies between.
pub(crate) fn branch_hash(x: &Tensor<f64>, f: impl for<'t> Fn(&Var<'t, f64>) -> Var<'t, f64>) -> u64 {
    let tape = Tape::new();
    let _ = f(&tape.var(x.clone()));
    super::branch_hash(&tape)
}
