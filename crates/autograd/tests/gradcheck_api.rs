//! The public gradient-checking API: it passes correct derivatives, fails wrong ones with a
//! readable table, tells kinks from errors, and catches second-order mistakes.

use autograd::{
    checkable, gradcheck, gradcheck_outputs, gradcheck_params, gradgradcheck, gradgradcheck_outputs,
    gradgradcheck_params, CustomOp, Domain, Error, GradcheckError, GradcheckOptions, KinkPolicy, OpCheck, Parameter,
    Probe, Report, Result, Tape, Tensor, Var,
};
use std::sync::Arc;

fn opts() -> GradcheckOptions {
    GradcheckOptions::default()
}

fn vector(v: &[f64]) -> Tensor<f64> {
    Tensor::vector(v)
}

fn matrix(rows: usize, cols: usize, v: &[f64]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), [rows, cols]).unwrap()
}

/// The reports inside a failure.
fn mismatch(e: GradcheckError) -> Vec<Report> {
    match e {
        GradcheckError::Mismatch(reports) => reports,
        other => panic!("expected a mismatch, got {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Custom ops used below.

/// y = x², with a backward that is off by a factor: 3x·g instead of 2x·g.
struct WrongSquare;

impl CustomOp<f64> for WrongSquare {
    fn name(&self) -> &'static str {
        "wrong_square"
    }
    fn forward(&self, x: &[&Tensor<f64>]) -> Result<Tensor<f64>> {
        Ok(x[0].map(|v| v * v))
    }
    fn backward<'t>(
        &self,
        x: &[Var<'t, f64>],
        _y: &Var<'t, f64>,
        g: &Var<'t, f64>,
    ) -> Result<Vec<Option<Var<'t, f64>>>> {
        Ok(vec![Some(g.mul(&x[0].mul_scalar(3.0))?)])
    }
}

/// y = x³ with a backward that is right at first order, computed on raw tensors: its result
/// is a constant to the tape, so it has no second derivative.
struct RawCube;

impl CustomOp<f64> for RawCube {
    fn name(&self) -> &'static str {
        "raw_cube"
    }
    fn forward(&self, x: &[&Tensor<f64>]) -> Result<Tensor<f64>> {
        Ok(x[0].map(|v| v * v * v))
    }
    fn backward<'t>(
        &self,
        x: &[Var<'t, f64>],
        _y: &Var<'t, f64>,
        g: &Var<'t, f64>,
    ) -> Result<Vec<Option<Var<'t, f64>>>> {
        let d = x[0].value().map(|v| 3.0 * v * v);
        let gx = Tensor::from_vec(g.value().data().iter().zip(d.data()).map(|(g, d)| g * d).collect(), g.shape())?;
        Ok(vec![Some(g.constant(gx))])
    }
}

/// y = x³ with a differentiable backward that is wrong at second order: `3·x·detach(x)·g`
/// has the right value but derivative `3·detach(x)·g` in x instead of `6x·g`.
struct HalfDetachedCube;

impl CustomOp<f64> for HalfDetachedCube {
    fn name(&self) -> &'static str {
        "half_detached_cube"
    }
    fn forward(&self, x: &[&Tensor<f64>]) -> Result<Tensor<f64>> {
        Ok(x[0].map(|v| v * v * v))
    }
    fn backward<'t>(
        &self,
        x: &[Var<'t, f64>],
        _y: &Var<'t, f64>,
        g: &Var<'t, f64>,
    ) -> Result<Vec<Option<Var<'t, f64>>>> {
        Ok(vec![Some(g.mul(&x[0].mul(&x[0].detach())?.mul_scalar(3.0))?)])
    }
}

/// y = x², backward `detach(g)·2x`: differentiable in x, but not in the incoming gradient, so
/// only the grad-output (u) direction of gradgradcheck can see it.
struct DetachedGradSquare;

impl CustomOp<f64> for DetachedGradSquare {
    fn name(&self) -> &'static str {
        "detached_grad_square"
    }
    fn forward(&self, x: &[&Tensor<f64>]) -> Result<Tensor<f64>> {
        Ok(x[0].map(|v| v * v))
    }
    fn backward<'t>(
        &self,
        x: &[Var<'t, f64>],
        _y: &Var<'t, f64>,
        g: &Var<'t, f64>,
    ) -> Result<Vec<Option<Var<'t, f64>>>> {
        Ok(vec![Some(g.detach().mul(&x[0].mul_scalar(2.0))?)])
    }
}

/// A ReLU-like op `y = 3·max(x, 0) + x` whose kink at 0 is declared (or not) through
/// `branches`, and whose backward is correct, or wrong on both sides (slopes 5 and 2 instead
/// of 4 and 1).
struct Hinge {
    declare_kink: bool,
    wrong: bool,
}

impl CustomOp<f64> for Hinge {
    fn name(&self) -> &'static str {
        "hinge"
    }
    fn forward(&self, x: &[&Tensor<f64>]) -> Result<Tensor<f64>> {
        Ok(x[0].map(|v| 3.0 * v.max(0.0) + v))
    }
    fn backward<'t>(
        &self,
        x: &[Var<'t, f64>],
        _y: &Var<'t, f64>,
        g: &Var<'t, f64>,
    ) -> Result<Vec<Option<Var<'t, f64>>>> {
        let (up, down) = if self.wrong { (5.0, 2.0) } else { (4.0, 1.0) };
        let slope = x[0].value().map(|v| if v > 0.0 { up } else { down });
        Ok(vec![Some(g.mul(&g.constant(slope))?)])
    }
    fn branches(&self, x: &[&Tensor<f64>]) -> Vec<u64> {
        if self.declare_kink {
            x[0].data().iter().map(|&v| (v > 0.0) as u64).collect()
        } else {
            Vec::new()
        }
    }
}

fn custom(op: impl CustomOp<f64>) -> Arc<dyn CustomOp<f64>> {
    Arc::new(op)
}

// ---------------------------------------------------------------------------------------------
// First order.

#[test]
fn passes_on_correct_ops_and_checks_the_whole_jacobian() {
    // f(a, b) = log(1 + exp(a·b)) @ b-broadcast: inputs [2, 3] and [3], output [2, 3].
    let f = checkable(|x| {
        let ab = x[0].mul(&x[1])?;
        ab.exp().add_scalar(1.0).log().div(&x[1].powf(2.0).add_scalar(1.0))
    });
    let a = matrix(2, 3, &[0.1, -0.4, 0.7, 1.2, -0.3, 0.5]);
    let b = vector(&[0.9, -1.1, 0.2]);
    let report = gradcheck(f, &[a, b], &opts()).unwrap();
    assert_eq!(report.compared, 6 * (6 + 3), "every output element against every input element");
    assert!(report.max_abs_error < 1e-8, "{report}");
    assert!(report.kinks.is_empty());
    assert!(report.to_string().starts_with("gradcheck passed: 54 Jacobian entries compared"), "{report}");
}

#[test]
fn scalar_outputs_and_matmul_pass() {
    let f = checkable(|x| Ok(x[0].matmul(&x[1])?.tanh().sum()));
    let a = matrix(2, 3, &[0.1, -0.4, 0.7, 1.2, -0.3, 0.5]);
    let b = matrix(3, 2, &[0.3, 0.2, -0.6, 0.8, 0.5, -0.1]);
    let report = gradcheck(f, &[a, b], &opts()).unwrap();
    assert_eq!(report.compared, 12);
}

#[test]
fn a_wrong_backward_fails_with_a_per_element_table() {
    let op = custom(WrongSquare);
    let x = matrix(2, 2, &[0.5, -1.0, 2.0, 0.25]);
    let err = gradcheck(|v: &[Var<'_, f64>]| Var::apply_custom(&op, &[&v[0]]), std::slice::from_ref(&x), &opts())
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(format!("{err:?}"), text, "Debug shows the table too, so unwrap() prints it");
    let reports = mismatch(err);
    let report = &reports[0];
    // Diagonal entries are wrong (3x vs 2x); off-diagonal ones are 0 on both sides.
    assert_eq!(report.compared, 16);
    assert_eq!(report.mismatches.len(), 4, "{text}");
    for (m, (&xv, index)) in report.mismatches.iter().zip(x.data().iter().zip([[0, 0], [0, 1], [1, 0], [1, 1]])) {
        assert_eq!(m.probe, Probe::Element { input: 0, index: index.to_vec() });
        assert_eq!(m.output, Some((0, index.to_vec())));
        assert!((m.analytic - 3.0 * xv).abs() < 1e-12);
        assert!((m.numeric - 2.0 * xv).abs() < 1e-6);
        assert!((m.rel_error - 0.5).abs() < 1e-6);
    }
    // The table: a header naming the columns, one row per wrong entry, values readable.
    assert!(text.starts_with("gradcheck FAILED: 4 of 16 Jacobian entries differ;"), "{text}");
    assert!(text.contains("pass iff |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|"), "{text}");
    let header = text.lines().find(|l| l.trim_start().starts_with("input")).expect("a header line");
    for column in ["input", "element", "output", "analytic", "numeric", "abs error", "rel error"] {
        assert!(header.contains(column), "{header}");
    }
    let row = text.lines().find(|l| l.contains("[1, 0]")).expect("a row for element [1, 0]");
    assert!(row.contains("6.000000e+00") && row.contains("4.000000e+00") && row.contains("5.000000e-01"), "{row}");
    println!("{text}");
}

#[test]
fn the_table_is_capped_at_max_rows() {
    let op = custom(WrongSquare);
    let x = Tensor::from_fn([30], |i| 0.1 + i as f64 * 0.05);
    let options = GradcheckOptions { max_rows: 5, ..opts() };
    let err = gradcheck(|v: &[Var<'_, f64>]| Var::apply_custom(&op, &[&v[0]]), &[x], &options).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("… and 25 more"), "{text}");
    assert_eq!(mismatch(err)[0].mismatches.len(), 30, "the report keeps them all");
}

#[test]
fn wrt_checks_only_the_chosen_inputs() {
    let op = custom(WrongSquare);
    // The wrong op only touches input 1; checking input 0 alone passes, input 1 fails.
    let f = checkable(|v| v[0].mul(&Var::apply_custom(&op, &[&v[1]])?));
    let inputs = [vector(&[1.0, 2.0]), vector(&[0.5, -0.5])];
    let report = gradcheck(f, &inputs, &opts().with_wrt(&[0])).unwrap();
    assert_eq!(report.compared, 2 * 2);
    let reports = mismatch(gradcheck(f, &inputs, &opts().with_wrt(&[1])).unwrap_err());
    assert!(reports[0].mismatches.iter().all(|m| matches!(m.probe, Probe::Element { input: 1, .. })));
}

#[test]
fn setup_mistakes_and_function_errors_are_errors_not_panics() {
    let ok = checkable(|v| Ok(v[0].exp()));
    assert!(matches!(gradcheck(ok, &[], &opts()), Err(GradcheckError::Invalid(_))));
    assert!(matches!(gradcheck(ok, &[vector(&[1.0])], &opts().with_wrt(&[3])), Err(GradcheckError::Invalid(_))));
    assert!(matches!(gradcheck(ok, &[vector(&[1.0])], &opts().with_eps(0.0)), Err(GradcheckError::Invalid(_))));
    // Checks that would compare nothing and pass are errors too.
    let err = gradcheck(ok, &[vector(&[1.0])], &opts().fast(0)).unwrap_err();
    assert!(err.to_string().contains("fast mode with 0 directions"), "{err}");
    let err = gradcheck(ok, &[vector(&[1.0])], &opts().with_wrt(&[])).unwrap_err();
    assert!(err.to_string().contains("wrt is empty"), "{err}");
    for options in [opts(), opts().fast(2)] {
        let err = gradcheck(ok, &[vector(&[])], &options).unwrap_err();
        assert!(matches!(&err, GradcheckError::Invalid(m) if m.contains("nothing to compare")), "{err}");
    }
    // The function's own error comes back, naming where it happened.
    let bad = checkable(|v| v[0].add(&v[1]));
    let err = gradcheck(bad, &[vector(&[1.0, 2.0]), vector(&[1.0, 2.0, 3.0])], &opts()).unwrap_err();
    assert!(matches!(err, GradcheckError::Function { .. }));
    assert!(err.to_string().contains("shape mismatch in add, lhs: [2], rhs: [3]"), "{err}");
    // A non-finite output at the checked point cannot be checked.
    let err = gradcheck(|v: &[Var<'_, f64>]| Ok(v[0].log()), &[vector(&[1.0, -1.0])], &opts()).unwrap_err();
    assert!(matches!(err, GradcheckError::NonFinite { output: 0, .. }), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Kinks.

#[test]
fn relu_and_abs_at_zero_are_reported_as_kinks_not_failures() {
    type F = for<'a, 't> fn(&'a [Var<'t, f64>]) -> Result<Var<'t, f64>>;
    let x = vector(&[-1.5, 0.0, 0.7, 0.0]);
    for (name, f) in [
        ("relu", (|v| Ok(v[0].relu())) as F),
        ("abs", |v| Ok(v[0].abs())),
        ("relu inside a composition", |v| Ok(v[0].mul_scalar(2.0).relu().exp().sum())),
    ] {
        let report = gradcheck(f, std::slice::from_ref(&x), &opts()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let kinks: Vec<&Probe> = report.kinks.iter().map(|k| &k.probe).collect();
        assert_eq!(
            kinks,
            [&Probe::Element { input: 0, index: vec![1] }, &Probe::Element { input: 0, index: vec![3] }],
            "{name}"
        );
        assert!(report.kinks.iter().all(|k| k.resampled.is_none()));
        assert!(report.to_string().contains("at a kink, not checked: input 0 [1], input 0 [3]"), "{report}");
    }
}

#[test]
fn without_kink_detection_relu_at_zero_is_a_false_failure() {
    // What every other library does: (relu(ε) − relu(−ε)) / 2ε = 0.5 against relu'(0) = 0.
    let options = GradcheckOptions { kinks: KinkPolicy::Off, ..opts() };
    let err = gradcheck(|v: &[Var<'_, f64>]| Ok(v[0].relu()), &[vector(&[0.0, 1.0])], &options).unwrap_err();
    let m = &mismatch(err)[0].mismatches[0];
    assert_eq!((m.analytic, m.numeric), (0.0, 0.5));
}

#[test]
fn an_element_within_eps_of_a_kink_is_a_kink_too() {
    let report = gradcheck(|v: &[Var<'_, f64>]| Ok(v[0].abs()), &[vector(&[4e-7, 2.0])], &opts()).unwrap();
    assert_eq!(report.kinks.len(), 1);
}

#[test]
fn skipped_entries_are_counted_and_a_check_that_mostly_skips_fails() {
    let f = checkable(|v| Ok(v[0].abs().sum()));
    // One of three entries at a kink: passed, and the summary says what was left out.
    let report = gradcheck(f, &[vector(&[0.0, 1.0, -2.0])], &opts()).unwrap();
    assert_eq!((report.compared, report.skipped), (2, 1));
    assert!(
        report.to_string().starts_with("gradcheck passed: 2 Jacobian entries compared, 1 skipped at kinks;"),
        "{report}"
    );
    // Two of three: a pass would rest on one entry.
    let x = vector(&[0.0, 1.0, 0.0]);
    let err = gradcheck(f, std::slice::from_ref(&x), &opts()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("gradcheck: 2 of 3 Jacobian entries skipped at kinks and only 1 compared")
            && text.contains("resample_kinks()"),
        "{text}"
    );
    // Checking next to the kinks, as the message says, compares them all.
    let report = gradcheck(f, &[x], &opts().resample_kinks()).unwrap();
    assert_eq!((report.compared, report.skipped), (3, 0));
}

#[test]
fn resampling_moves_kinked_elements_off_the_kink_and_checks_them() {
    let x = vector(&[-1.5, 0.0, 0.7, 0.0]);
    let options = opts().resample_kinks();
    let report = gradcheck(|v: &[Var<'_, f64>]| v[0].relu().mul(&v[0]), &[x], &options).unwrap();
    assert_eq!(report.kinks.len(), 2);
    assert_eq!(report.compared, 16, "the two kinked columns are compared at the moved points");
    for (probe, r) in report.resampled() {
        assert!(matches!(probe, Probe::Element { input: 0, .. }));
        assert!((10e-6..=100e-6).contains(&r.offset.abs()), "offset {}", r.offset);
        assert_eq!(r.attempt, 1);
    }
    assert_eq!(report.resampled().count(), 2);
    assert!(report.to_string().contains("at a kink, checked nearby: input 0 [1] (moved by"), "{report}");
}

#[test]
fn a_resampled_element_with_a_wrong_derivative_still_fails() {
    let op = custom(Hinge { declare_kink: true, wrong: true });
    let err =
        gradcheck(|v: &[Var<'_, f64>]| Var::apply_custom(&op, &[&v[0]]), &[vector(&[0.0])], &opts().resample_kinks())
            .unwrap_err();
    let report = &mismatch(err)[0];
    assert!(report.mismatches[0].resampled, "{report}");
    assert!(report.to_string().contains("(* compared at a point moved off a kink)"), "{report}");
}

#[test]
fn custom_ops_declare_their_kinks_through_branches() {
    let x = vector(&[0.0, 1.0, -2.0]);
    let declared = custom(Hinge { declare_kink: true, wrong: false });
    let report =
        gradcheck(|v: &[Var<'_, f64>]| Var::apply_custom(&declared, &[&v[0]]), std::slice::from_ref(&x), &opts())
            .unwrap();
    assert_eq!(report.kinks.len(), 1);
    // The same op without the declaration: the difference across 0 is taken at face value.
    let silent = custom(Hinge { declare_kink: false, wrong: false });
    let err = gradcheck(|v: &[Var<'_, f64>]| Var::apply_custom(&silent, &[&v[0]]), &[x], &opts()).unwrap_err();
    let m = &mismatch(err)[0].mismatches[0];
    assert_eq!(m.probe, Probe::Element { input: 0, index: vec![0] });
    assert_eq!((m.analytic, (m.numeric * 1e6).round() / 1e6), (1.0, 2.5));
}

// ---------------------------------------------------------------------------------------------
// Fast mode.

#[test]
fn fast_mode_agrees_with_full_mode() {
    let f = checkable(|x| x[0].matmul(&x[1])?.sigmoid().mul(&x[0].sin()));
    let a = matrix(2, 3, &[0.1, -0.4, 0.7, 1.2, -0.3, 0.5]);
    let b = matrix(3, 3, &[0.3, 0.2, -0.6, 0.8, 0.5, -0.1, 0.4, -0.9, 0.6]);
    let inputs = [a, b];
    let full = gradcheck(f, &inputs, &opts()).unwrap();
    let fast = gradcheck(f, &inputs, &opts().fast(4)).unwrap();
    assert_eq!((full.compared, fast.compared), (6 * 15, 4));
    assert!(fast.max_abs_error < 1e-8, "{fast}");
    assert!(fast.to_string().contains("4 random directions compared, fast mode"), "{fast}");

    // Both catch the wrong op.
    let op = custom(WrongSquare);
    let wrong = checkable(|v| Var::apply_custom(&op, &[&v[0]])?.matmul(&v[1]));
    assert!(gradcheck(wrong, &inputs, &opts()).is_err());
    let err = gradcheck(wrong, &inputs, &opts().fast(2)).unwrap_err();
    let report = &mismatch(err)[0];
    assert_eq!(report.mismatches.len(), 2);
    assert_eq!(report.mismatches[0].probe, Probe::Direction(0));
    assert!(report.to_string().contains("direction 0"), "{report}");
}

#[test]
fn fast_mode_handles_inputs_too_large_for_the_full_jacobian() {
    // 64×64 inputs: the full Jacobian would need 8192 evaluations and 4096 backward passes.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
    let a = Domain::Real.sample([64, 64], &mut rng);
    let b = Domain::Real.sample([64, 64], &mut rng);
    let f = checkable(|x| Ok(x[0].matmul(&x[1])?.tanh()));
    let report = gradcheck(f, &[a, b], &opts().fast(3)).unwrap();
    assert_eq!(report.compared, 3);
}

#[test]
fn fast_mode_reports_and_resamples_kinks() {
    let x = vector(&[0.0, 1.0, -2.0]);
    let relu = checkable(|v| Ok(v[0].relu()));
    // Every direction moves x[0] across 0: nothing is left to compare.
    let err = gradcheck(relu, std::slice::from_ref(&x), &opts().fast(2)).unwrap_err();
    let GradcheckError::MostlySkipped(report) = &err else { panic!("{err}") };
    assert_eq!((report.kinks.len(), report.skipped, report.compared), (2, 2, 0), "{err}");
    let report = gradcheck(relu, &[x], &opts().fast(2).resample_kinks()).unwrap();
    assert_eq!(report.compared, 2);
    assert_eq!(report.resampled().count(), 2, "{report}");
}

#[test]
fn checks_are_reproducible_from_the_seed() {
    let op = custom(WrongSquare);
    let f = checkable(|v| Var::apply_custom(&op, &[&v[0]]));
    let x = [vector(&[0.3, -0.8, 1.1])];
    let a = gradcheck(f, &x, &opts().fast(2).with_seed(9)).unwrap_err();
    let b = gradcheck(f, &x, &opts().fast(2).with_seed(9)).unwrap_err();
    let c = gradcheck(f, &x, &opts().fast(2).with_seed(10)).unwrap_err();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

// ---------------------------------------------------------------------------------------------
// Second order.

#[test]
fn gradgradcheck_passes_on_smooth_ops() {
    let x = matrix(2, 3, &[0.1, -0.4, 0.7, 1.2, -0.3, 0.5]);
    let y = matrix(2, 3, &[0.9, 1.3, -0.6, 0.8, 1.5, -1.1]);
    let w = matrix(3, 2, &[0.3, 0.2, -0.6, 0.8, 0.5, -0.1]);
    type F = for<'a, 't> fn(&'a [Var<'t, f64>]) -> Result<Var<'t, f64>>;
    // (name, f, inputs, entries compared: every gradient entry against every element of every
    // input and of the grad-output u)
    let cases: [(&str, F, Vec<Tensor<f64>>, usize); 6] = [
        ("tanh", |v| Ok(v[0].tanh()), vec![x.clone()], 6 * (6 + 6)),
        ("sigmoid", |v| Ok(v[0].sigmoid()), vec![x.clone()], 6 * (6 + 6)),
        ("mul", |v| v[0].mul(&v[1]), vec![x.clone(), y.clone()], 12 * (12 + 6)),
        ("div", |v| v[0].div(&v[1]), vec![x.clone(), y.clone()], 12 * (12 + 6)),
        ("powf", |v| Ok(v[0].abs().add_scalar(0.5).powf(2.5)), vec![y.clone()], 6 * (6 + 6)),
        ("matmul", |v| v[0].matmul(&v[1]), vec![x.clone(), w.clone()], 12 * (12 + 4)),
    ];
    for (name, f, inputs, compared) in cases {
        let report = gradgradcheck(f, &inputs, &opts()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.compared, compared, "{name}: {report}");
        assert_eq!(report.inputs.last().map(String::as_str), Some("u"), "{name}");
    }
}

#[test]
fn gradgradcheck_checks_both_x_and_the_grad_output() {
    // tanh on [3]: the VJP has 3 outputs; inputs are x (3) and u (3): 3 × 6 entries.
    let report = gradgradcheck(|v: &[Var<'_, f64>]| Ok(v[0].tanh()), &[vector(&[0.3, -1.2, 2.0])], &opts()).unwrap();
    assert_eq!(report.compared, 18);
    assert_eq!(report.inputs, ["0", "u"]);
    assert_eq!(report.outputs, ["grad 0"]);
}

#[test]
fn a_backward_on_raw_tensors_passes_first_order_and_fails_second() {
    let op = custom(RawCube);
    let f = checkable(|v| Var::apply_custom(&op, &[&v[0]]));
    let x = [vector(&[0.5, -1.5])];
    gradcheck(f, &x, &opts()).unwrap();
    let err = gradgradcheck(f, &x, &opts()).unwrap_err();
    let report = &mismatch(err)[0];
    // d/dx (3x²·u) = 6x·u and d/du (3x²·u) = 3x², but the tape sees a constant: 0.
    assert!(report.mismatches.iter().all(|m| m.analytic == 0.0), "{report}");
    let inputs: Vec<usize> = report
        .mismatches
        .iter()
        .map(|m| match m.probe {
            Probe::Element { input, .. } => input,
            Probe::Direction(_) => unreachable!(),
        })
        .collect();
    assert!(inputs.contains(&0) && inputs.contains(&1), "both x and u are caught: {report}");
    assert!(report.to_string().contains("gradgradcheck FAILED"), "{report}");
    println!("{report}");
}

#[test]
fn a_differentiable_backward_with_the_wrong_second_derivative_fails() {
    let op = custom(HalfDetachedCube);
    let f = checkable(|v| Var::apply_custom(&op, &[&v[0]]));
    let x = [vector(&[0.5, -1.5])];
    gradcheck(f, &x, &opts()).unwrap();
    let report = &mismatch(gradgradcheck(f, &x, &opts()).unwrap_err())[0];
    // Only ∂/∂x is wrong (3x·u instead of 6x·u): exactly a factor of 2 on the diagonal.
    for m in &report.mismatches {
        assert!(matches!(m.probe, Probe::Element { input: 0, .. }), "{report}");
        assert!((m.analytic * 2.0 - m.numeric).abs() < 1e-6, "{report}");
    }
    assert_eq!(report.mismatches.len(), 2);
}

#[test]
fn a_backward_that_detaches_the_incoming_gradient_fails_in_the_u_direction() {
    let op = custom(DetachedGradSquare);
    let f = checkable(|v| Var::apply_custom(&op, &[&v[0]]));
    let x = [vector(&[0.5, -1.5])];
    gradcheck(f, &x, &opts()).unwrap();
    let report = &mismatch(gradgradcheck(f, &x, &opts()).unwrap_err())[0];
    assert!(!report.mismatches.is_empty());
    for m in &report.mismatches {
        assert!(matches!(m.probe, Probe::Element { input: 1, .. }), "only u: {report}");
    }
    assert!(report.to_string().lines().any(|l| l.trim_start().starts_with("u ")), "{report}");
}

#[test]
fn gradgradcheck_fast_mode_and_kinks() {
    let f = checkable(|v| Ok(v[0].tanh().mul(&v[1])?.sum()));
    let inputs = [vector(&[0.3, -1.2, 2.0]), vector(&[0.5, 0.25, -1.0])];
    let report = gradgradcheck(f, &inputs, &opts().fast(3)).unwrap();
    assert_eq!(report.compared, 3);
    let op = custom(RawCube);
    assert!(
        gradgradcheck(|v: &[Var<'_, f64>]| Var::apply_custom(&op, &[&v[0]]), &inputs[..1], &opts().fast(3)).is_err()
    );
    // relu(x)·x at 0: its gradient 2·relu(x) has a kink there too.
    let report = gradgradcheck(|v: &[Var<'_, f64>]| v[0].relu().mul(&v[0]), &[vector(&[0.0, 1.0])], &opts()).unwrap();
    assert_eq!(report.kinks.len(), 1, "{report}");
}

// ---------------------------------------------------------------------------------------------
// Swish, both ways (the custom-activation example).

/// swish(x) = x·σ(x), by composition: no gradient code.
fn swish<'t>(x: &Var<'t, f64>) -> Result<Var<'t, f64>> {
    x.mul(&x.sigmoid())
}

/// swish as a custom op: forward on tensors, backward σ(x) + x·σ(x)(1 − σ(x)) written with
/// `Var` ops, so it is twice differentiable.
struct Swish;

impl CustomOp<f64> for Swish {
    fn name(&self) -> &'static str {
        "swish"
    }
    fn forward(&self, x: &[&Tensor<f64>]) -> Result<Tensor<f64>> {
        Ok(x[0].map(|v| v / (1.0 + (-v).exp())))
    }
    fn backward<'t>(
        &self,
        x: &[Var<'t, f64>],
        _y: &Var<'t, f64>,
        g: &Var<'t, f64>,
    ) -> Result<Vec<Option<Var<'t, f64>>>> {
        let s = x[0].sigmoid();
        let ds = s.mul(&s.neg().add_scalar(1.0))?; // σ(1 − σ)
        let d = s.add(&x[0].mul(&ds)?)?;
        Ok(vec![Some(g.mul(&d)?)])
    }
}

#[test]
fn swish_by_composition_and_as_a_custom_op_both_pass_both_orders() {
    let x = [matrix(2, 3, &[-2.0, -0.5, 0.0, 0.3, 1.0, 3.0])];
    let composed = checkable(|v| swish(&v[0]));
    gradcheck(composed, &x, &opts()).unwrap();
    gradgradcheck(composed, &x, &opts()).unwrap();

    let op = custom(Swish);
    let as_op = checkable(|v| Var::apply_custom(&op, &[&v[0]]));
    gradcheck(as_op, &x, &opts()).unwrap();
    gradgradcheck(as_op, &x, &opts()).unwrap();

    // And as one OpCheck call each, over the default shapes (scalar, [4], [2, 3]).
    OpCheck::new("swish (composed)", 1, |v| swish(&v[0])).run().unwrap();
    let report = OpCheck::new("swish (custom op)", 1, |v| Var::apply_custom(&op, &[&v[0]])).run().unwrap();
    assert_eq!(report.reports.len(), 12, "3 shapes × 2 orders × 2 modes (reverse, forward)");
}

// ---------------------------------------------------------------------------------------------
// OpCheck.

/// `x·y` on equal shapes only, as a custom op need not broadcast.
struct Product;

impl CustomOp<f64> for Product {
    fn name(&self) -> &'static str {
        "product"
    }
    fn forward(&self, x: &[&Tensor<f64>]) -> Result<Tensor<f64>> {
        let (a, b) = (x[0], x[1]);
        if a.shape() != b.shape() {
            return Err(Error::Custom { op: "product", msg: format!("shapes {} and {} differ", a.shape(), b.shape()) });
        }
        Tensor::from_vec(a.data().iter().zip(b.data()).map(|(a, b)| a * b).collect(), a.shape().clone())
    }
    fn backward<'t>(
        &self,
        x: &[Var<'t, f64>],
        _y: &Var<'t, f64>,
        g: &Var<'t, f64>,
    ) -> Result<Vec<Option<Var<'t, f64>>>> {
        Ok(vec![Some(g.mul(&x[1])?), Some(g.mul(&x[0])?)])
    }
}

#[test]
fn opcheck_default_shapes_fit_a_custom_op_and_name_the_fix_when_they_do_not() {
    let op = custom(Product);
    OpCheck::new("product", 2, |v| Var::apply_custom(&op, &[&v[0], &v[1]])).run().unwrap();
    let err = OpCheck::new("product", 2, |v| Var::apply_custom(&op, &[&v[0], &v[1]])).broadcasting().run().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("shapes [2, 3] and [3] differ") && text.contains("pass .shapes(..)"), "{text}");
}

#[test]
fn opcheck_checks_broadcasting_when_asked() {
    assert_eq!(OpCheck::new("mul", 2, |v| v[0].mul(&v[1])).cases().len(), 3, "scalars, [4], [2, 3]");
    let check = OpCheck::new("mul", 2, |v| v[0].mul(&v[1])).broadcasting();
    let cases: Vec<Vec<Vec<usize>>> =
        check.cases().iter().map(|c| c.iter().map(|s| s.dims().to_vec()).collect()).collect();
    assert!(cases.contains(&vec![vec![2, 3], vec![3]]));
    assert!(cases.contains(&vec![vec![2, 1], vec![1, 3]]));
    let report = check.run().unwrap();
    assert_eq!(report.reports.len(), 4 * cases.len(), "2 orders × 2 modes per case");
    assert!(report.to_string().contains("gradgradcheck of mul on [2, 1] × [1, 3] passed"), "{report}");
    assert!(report.to_string().contains("jvpcheck of mul on [2, 1] × [1, 3] passed"), "{report}");
    let forward_over_reverse = "jvpcheck of the gradient of mul on [2, 1] × [1, 3] (forward over reverse) passed";
    assert!(report.to_string().contains(forward_over_reverse), "{report}");
}

#[test]
fn opcheck_samples_from_the_domain_with_the_seed() {
    let check = OpCheck::new("log", 1, |v| Ok(v[0].log())).domain(Domain::Positive).shapes(&[&[&[50]]]);
    let x = check.sample(0).unwrap();
    assert!(x[0].data().iter().all(|&v| (0.25..=2.0).contains(&v)));
    assert_eq!(x, check.sample(0).unwrap(), "seeded");
    let other = OpCheck::new("log", 1, |v| Ok(v[0].log())).domain(Domain::Positive).shapes(&[&[&[50]]]).seed(1);
    assert_ne!(x, other.sample(0).unwrap());
    check.run().unwrap();
    // Real inputs include negatives: log is NaN there and the check says so.
    let err = OpCheck::new("log", 1, |v| Ok(v[0].log())).shapes(&[&[&[50]]]).run().unwrap_err();
    assert!(matches!(err, GradcheckError::NonFinite { .. }), "{err}");
}

#[test]
fn opcheck_fails_a_wrong_custom_op_naming_every_failing_case() {
    // The first-order checks fail, in reverse mode and in forward mode (which derives a custom
    // op's tangent from its backward). The second-order ones pass: they check that the (wrong)
    // gradient function 3x·u is differentiated consistently, which it is.
    let op = custom(WrongSquare);
    let err = OpCheck::new("wrong_square", 1, |v| Var::apply_custom(&op, &[&v[0]]))
        .shapes(&[&[&[3]], &[&[2, 2]]])
        .run()
        .unwrap_err();
    let text = err.to_string();
    let reports = mismatch(err);
    let labels: Vec<&str> = reports.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "gradcheck of wrong_square on [3]",
            "jvpcheck of wrong_square on [3]",
            "gradcheck of wrong_square on [2, 2]",
            "jvpcheck of wrong_square on [2, 2]"
        ]
    );
    assert!(text.contains("gradcheck of wrong_square on [2, 2] FAILED"), "{text}");
}

#[test]
fn opcheck_for_a_first_order_only_op() {
    let op = custom(RawCube);
    let check = |twice| OpCheck::new("raw_cube", 1, |v| Var::apply_custom(&op, &[&v[0]])).twice_differentiable(twice);
    check(false).run().unwrap();
    assert!(check(true).run().is_err());
}

#[test]
fn opcheck_rejects_a_row_that_contradicts_itself() {
    let wrong_arity = OpCheck::new("add", 2, |v| v[0].add(&v[1])).shapes(&[&[&[3]]]);
    assert!(matches!(wrong_arity.run(), Err(GradcheckError::Invalid(_))));
    let wrong_domains = OpCheck::new("add", 2, |v| v[0].add(&v[1])).domains(&[Domain::Real; 3]);
    assert!(matches!(wrong_domains.run(), Err(GradcheckError::Invalid(_))));
}

#[test]
fn opcheck_resamples_kinks_hit_by_a_sample() {
    // Samples within 1e-5 of relu's kink: about one in ten lies within eps of it.
    let check = OpCheck::new("relu", 1, |v| Ok(v[0].relu())).shapes(&[&[&[40]]]).domain(Domain::Interval(-1e-5, 1e-5));
    let report = check.run().unwrap();
    assert!(report.reports.iter().any(|r| r.resampled().count() > 0), "{report}");
    assert!(check.recorded_ops().unwrap().contains("relu"));
}

// ---------------------------------------------------------------------------------------------
// Parameters (what modules put on the tape themselves).

/// Fixes a stored closure's signature (as `checkable` does for functions of inputs).
fn module<F: for<'t> Fn(&'t Tape<f64>) -> Result<Var<'t, f64>>>(f: F) -> F {
    f
}

#[test]
fn gradcheck_params_checks_what_a_module_does_with_its_parameters() {
    let w = Parameter::new(matrix(3, 2, &[0.3, 0.2, -0.6, 0.8, 0.5, -0.1]));
    let b = Parameter::new(vector(&[0.1, -0.2]));
    let x = matrix(2, 3, &[0.1, -0.4, 0.7, 1.2, -0.3, 0.5]);
    let layer = module(|tape| {
        let h = tape.constant(x.clone()).matmul(&tape.param(&w))?.add(&tape.param(&b))?;
        Ok(h.sigmoid())
    });
    // The caller's gradients and values survive the check.
    b.set_grad(Some(vector(&[7.0, 7.0])));
    let before = w.value();
    let report = gradcheck_params(&[("w", &w), ("b", &b)], layer, &opts()).unwrap();
    assert_eq!(report.compared, 4 * (6 + 2));
    assert_eq!(report.inputs, ["w", "b"]);
    assert_eq!(w.value(), before);
    assert_eq!(w.grad(), None);
    assert_eq!(b.grad(), Some(vector(&[7.0, 7.0])));
    gradcheck_params(&[("w", &w), ("b", &b)], layer, &opts().fast(2)).unwrap();
    // Owned pairs with String names, as a module's named_parameters() map holds them.
    let named = vec![("w".to_string(), w.clone()), ("b".to_string(), b.clone())];
    let report = gradcheck_params(named, layer, &opts()).unwrap();
    assert_eq!(report.inputs, ["w", "b"]);
}

#[test]
fn gradcheck_params_fails_with_the_parameter_named_and_sees_kinks() {
    let op = custom(WrongSquare);
    let w = Parameter::new(vector(&[0.5, 0.0, -1.0]));
    let err = gradcheck_params(&[("w", &w)], |tape: &Tape<f64>| Var::apply_custom(&op, &[&tape.param(&w)]), &opts())
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(mismatch(err)[0].mismatches.len(), 2, "{text}"); // 3w vs 2w, except at w = 0
    assert!(text.lines().any(|l| l.trim_start().starts_with("w ")), "{text}");
    let report = gradcheck_params(&[("w", &w)], |tape: &Tape<f64>| Ok(tape.param(&w).relu()), &opts()).unwrap();
    assert_eq!(report.kinks.len(), 1);
    assert_eq!(w.value(), vector(&[0.5, 0.0, -1.0]), "the value is put back even after a failure");
}

#[test]
fn gradgradcheck_params_checks_second_derivatives_in_the_parameters() {
    let w = Parameter::new(matrix(3, 2, &[0.3, 0.2, -0.6, 0.8, 0.5, -0.1]));
    let b = Parameter::new(vector(&[0.1, -0.2]));
    let x = matrix(2, 3, &[0.1, -0.4, 0.7, 1.2, -0.3, 0.5]);
    // w is used twice (a tied weight): both uses are one input of the check.
    let layer = module(|tape| {
        let w = tape.param(&w);
        let h = tape.constant(x.clone()).matmul(&w)?.add(&tape.param(&b))?.tanh();
        h.mul(&w.sum())
    });
    b.set_grad(Some(vector(&[7.0, 7.0])));
    let before = w.value();
    let report = gradgradcheck_params(&[("w", &w), ("b", &b)], layer, &opts()).unwrap();
    // Outputs: the gradients of w and b (8 elements); inputs: w, b and u (6 + 2 + 4).
    assert_eq!(report.compared, 8 * 12);
    assert_eq!(report.inputs, ["w", "b", "u"]);
    assert_eq!(report.outputs, ["grad w", "grad b"]);
    assert_eq!((w.value(), w.grad()), (before, None));
    assert_eq!(b.grad(), Some(vector(&[7.0, 7.0])));
}

#[test]
fn gradgradcheck_params_catches_a_wrong_second_derivative_and_names_the_parameter() {
    let w = Parameter::new(vector(&[0.5, -1.5]));
    let right = custom(RawCube);
    gradcheck_params(&[("w", &w)], |tape: &Tape<f64>| Var::apply_custom(&right, &[&tape.param(&w)]), &opts()).unwrap();
    let err =
        gradgradcheck_params(&[("w", &w)], |tape: &Tape<f64>| Var::apply_custom(&right, &[&tape.param(&w)]), &opts())
            .unwrap_err();
    let text = err.to_string();
    let report = &mismatch(err)[0];
    assert!(report.mismatches.iter().all(|m| m.analytic == 0.0), "{report}");
    assert!(text.contains("grad w"), "{text}");
    let op = custom(HalfDetachedCube);
    let report = &mismatch(
        gradgradcheck_params(&[("w", &w)], |tape: &Tape<f64>| Var::apply_custom(&op, &[&tape.param(&w)]), &opts())
            .unwrap_err(),
    )[0];
    for m in &report.mismatches {
        assert!((m.analytic * 2.0 - m.numeric).abs() < 1e-6, "{report}");
    }
}

/// Fixes a stored closure's signature (as `checkable` does for functions of one output).
fn outputs<F: for<'t> Fn(&[Var<'t, f64>]) -> Result<Vec<Var<'t, f64>>>>(f: F) -> F {
    f
}

/// Two outputs of different shapes from two inputs.
fn two_outputs<'t>(v: &[Var<'t, f64>]) -> Result<Vec<Var<'t, f64>>> {
    let (a, b) = (&v[0], &v[1]);
    Ok(vec![a.matmul(b)?.tanh(), a.exp().sum().mul(&b.sin().sum())?])
}

#[test]
fn gradcheck_outputs_checks_every_output_jacobian() {
    let a = matrix(2, 3, &[0.1, -0.4, 0.7, 1.2, -0.3, 0.5]);
    let b = matrix(3, 2, &[0.3, 0.2, -0.6, 0.8, 0.5, -0.1]);
    let report = gradcheck_outputs(two_outputs, &[a.clone(), b.clone()], &opts()).unwrap();
    // Output 0 has 4 elements, output 1 one; 12 input elements.
    assert_eq!(report.compared, (4 + 1) * 12);
    assert_eq!(report.outputs, ["output 0", "output 1"]);
    gradcheck_outputs(two_outputs, &[a.clone(), b.clone()], &opts().fast(3)).unwrap();
    let report = gradgradcheck_outputs(two_outputs, &[a.clone(), b.clone()], &opts()).unwrap();
    assert_eq!(report.inputs, ["0", "1", "u0", "u1"]);
    assert_eq!(report.compared, 12 * (12 + 4 + 1));
    // One output through gradcheck_outputs is the same check as gradcheck.
    let one = outputs(|v| Ok(vec![v[0].matmul(&v[1])?.tanh()]));
    let plain = gradcheck(|v| v[0].matmul(&v[1]).map(|y| y.tanh()), &[a.clone(), b.clone()], &opts()).unwrap();
    assert_eq!(gradcheck_outputs(one, &[a, b], &opts()).unwrap().max_abs_error, plain.max_abs_error);
}

#[test]
fn gradcheck_outputs_names_the_output_that_fails() {
    let op = custom(WrongSquare);
    let f = outputs(|v| Ok(vec![v[0].sin(), Var::apply_custom(&op, &[&v[0]])?]));
    let err = gradcheck_outputs(f, &[vector(&[0.5, -1.0])], &opts()).unwrap_err();
    let text = err.to_string();
    let report = &mismatch(err)[0];
    assert_eq!(report.mismatches.len(), 2, "{text}");
    assert!(text.contains("output 1") && !text.contains("output 0 ["), "{text}");
    let none = gradcheck_outputs(|_| Ok(vec![]), &[vector(&[1.0])], &opts()).unwrap_err();
    assert!(none.to_string().contains("no outputs"), "{none}");
    // At second order: a backward on raw tensors in the second output, seen through its u1.
    let raw = custom(RawCube);
    let f = outputs(|v| Ok(vec![v[0].sin(), Var::apply_custom(&raw, &[&v[0]])?]));
    gradcheck_outputs(f, &[vector(&[0.5, -1.0])], &opts()).unwrap();
    let report = &mismatch(gradgradcheck_outputs(f, &[vector(&[0.5, -1.0])], &opts()).unwrap_err())[0];
    let inputs: Vec<&str> = report
        .mismatches
        .iter()
        .map(|m| match m.probe {
            Probe::Element { input, .. } => report.inputs[input].as_str(),
            Probe::Direction(_) => unreachable!(),
        })
        .collect();
    assert!(inputs.contains(&"u1") && !inputs.contains(&"u0"), "{report}");
}
