//! Helpers for the ops' unit tests: literal tensors, closeness, and the public gradient checks
//! ([`gradcheck`], [`gradgradcheck`]) at the tolerances these tests hold the primitives to.

use crate::{gradcheck, gradgradcheck, GradcheckOptions, Probe, Report, Tensor, Var};

/// Checks the first derivatives of `f` at `xs` (every Jacobian entry) with the public
/// [`gradcheck`], to `|analytic − numeric| ≤ 1e-6·(1 + |numeric|)`. The points must lie away
/// from kinks: an element set aside as a kink fails the test.
#[track_caller]
pub(crate) fn check_grad(xs: &[&Tensor<f64>], f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>) {
    let options = GradcheckOptions::default().with_tolerance(1e-6, 1e-6);
    let report = gradcheck(|v| Ok(f(v)), &owned(xs), &options).unwrap_or_else(|e| panic!("{e}"));
    compared_everything(&report);
}

/// Checks the second derivatives of `f` at `xs` with the public [`gradgradcheck`] (the gradient
/// function, in the inputs and in the incoming gradient), to `1e-5·(1 + |numeric|)`, away from
/// kinks.
#[track_caller]
pub(crate) fn check_grad2(xs: &[&Tensor<f64>], f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>) {
    let options = GradcheckOptions::default().with_tolerance(1e-5, 1e-5);
    let report = gradgradcheck(|v| Ok(f(v)), &owned(xs), &options).unwrap_or_else(|e| panic!("{e}"));
    compared_everything(&report);
}

/// The elements of the vector `x` at which [`gradcheck`] finds `f` kinked: where the branches
/// the recorded ops declare differ between `x` and `x ± eps`.
#[track_caller]
pub(crate) fn kinks(x: &[f64], f: impl for<'t> Fn(&Var<'t, f64>) -> Var<'t, f64>) -> Vec<usize> {
    let report = gradcheck(|v| Ok(f(&v[0])), &[Tensor::vector(x)], &GradcheckOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    report
        .kinks
        .iter()
        .map(|kink| match &kink.probe {
            Probe::Element { index, .. } => index[0],
            Probe::Direction(_) => unreachable!("full mode probes elements"),
        })
        .collect()
}

fn owned(xs: &[&Tensor<f64>]) -> Vec<Tensor<f64>> {
    xs.iter().map(|&x| x.clone()).collect()
}

#[track_caller]
fn compared_everything(report: &Report) {
    assert!(report.kinks.is_empty(), "the test points must lie away from kinks:\n{report}");
    assert!(report.compared > 0, "nothing was compared:\n{report}");
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
