//! Gradient checking, as public API: compare the derivatives the tape computes with central
//! finite differences in `f64`, at first and second order, for a whole function or one op.
//!
//! - [`gradcheck`]: every entry of the Jacobian of `f: inputs → one output` (any shapes), as
//!   `torch.autograd.gradcheck`; or, in [fast mode](GradcheckOptions::fast), a few random
//!   directions `⟨v, Jᵀu⟩`, as JAX's `check_grads`.
//! - [`gradgradcheck`]: second order, as `torch.autograd.gradgradcheck`: checks the gradient
//!   function `(x, u) ↦ Jᵀu` itself (built with `create_graph`) with respect to both `x` and
//!   the grad-output `u`.
//! - [`gradcheck_outputs`], [`gradgradcheck_outputs`]: the same for a function with several
//!   outputs (every output's Jacobian; one grad-output per output).
//! - [`gradcheck_params`], [`gradgradcheck_params`]: with respect to [`Parameter`]s that the
//!   function puts on the tape itself, as a module does.
//! - [`OpCheck`]: one call checks an op (built-in or a [`CustomOp`](crate::CustomOp)) at both
//!   orders over several shapes (broadcasting ones when asked), with inputs sampled from its
//!   [`Domain`].
//!
//! Kink awareness. A finite difference across a point where the function is not
//! differentiable (ReLU or `abs` at 0, a tie in `max`) measures nothing, and a check that
//! compares it gives a false failure. The ops declare their kinks with their derivatives (custom
//! ops with [`CustomOp::branches`](crate::CustomOp::branches)); after every evaluation the check
//! hashes the branch each element of each kinked op on the tape is on. When the hash at `x ± ε`
//! differs from the one at `x`, the difference straddles a kink and the element is reported in
//! [`Report::kinks`] instead of being compared, or, with [`KinkPolicy::Resample`], moved
//! 10–100·eps off the kink and checked there.
//!
//! ```
//! use autograd::{checkable, gradcheck, gradgradcheck, GradcheckOptions, Tensor, Var};
//!
//! // f(a, b) = tanh(a·b) summed over rows: inputs of shapes [2, 3] and [3], output [3].
//! // (`checkable` fixes the closure's signature so it can be bound to a variable and reused.)
//! let f = checkable(|x| x[0].mul(&x[1])?.tanh().sum_axes(&[0], false));
//! let a = Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [2, 3]).unwrap();
//! let b = Tensor::vector(&[1.0, 2.0, -1.0]);
//! let report = gradcheck(f, &[a.clone(), b.clone()], &GradcheckOptions::default()).unwrap();
//! assert_eq!(report.compared, 3 * 9); // 3 outputs × 9 input elements
//! gradgradcheck(f, &[a, b], &GradcheckOptions::default()).unwrap();
//!
//! // At a kink the element is reported, not failed.
//! let x = Tensor::vector(&[-1.0, 0.0, 2.0]);
//! let report = gradcheck(|x: &[Var<'_, f64>]| Ok(x[0].relu()), &[x], &GradcheckOptions::default()).unwrap();
//! assert_eq!(report.kinks.len(), 1);
//! ```
//!
//! Layout: this file holds the entry points (and [`OpCheck::run`]); `options.rs` the options;
//! `engine.rs` evaluates, differentiates and compares; `report.rs` holds what a check returns
//! and its table; `opcheck.rs` describes a one-call op check (a row of a table of ops).

mod engine;
mod opcheck;
mod options;
mod report;

pub use opcheck::{Domain, OpCheck, OpReport};
pub use options::{GradcheckOptions, KinkPolicy, Mode};
pub use report::{GradcheckError, Kink, Mismatch, Probe, Report, Resampled};

use crate::{grad_with, Float, GradOptions, Parameter, Result, Tape, Tensor, Var};
use engine::{MultiFn, ParamFn, Problem, Subject, Walk};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::borrow::Borrow;

/// Fixes the signature of a closure so it can be stored in a variable and passed to several
/// checks: `let f = checkable(|x| Ok(x[0].tanh()));` then `gradcheck(f, …)` and
/// `gradgradcheck(f, …)`.
///
/// A closure passed straight to [`gradcheck`] gets the right signature from it, but one bound
/// with `let` first does not: Rust then infers an output tied to one particular tape instead of
/// to whichever tape the inputs live on ("lifetime may not live long enough"). Passing the
/// closure through this function (or writing a `fn f<'t>(x: &[Var<'t, f64>]) -> Result<Var<'t,
/// f64>>`) fixes that.
///
/// ```
/// use autograd::{checkable, gradcheck, gradgradcheck, GradcheckOptions, Tensor};
/// let f = checkable(|x| Ok(x[0].sin().mul(&x[1])?.sum()));
/// let inputs = [Tensor::vector(&[0.5, 1.0]), Tensor::vector(&[2.0, -1.0])];
/// gradcheck(f, &inputs, &GradcheckOptions::default()).unwrap();
/// gradgradcheck(f, &inputs, &GradcheckOptions::default()).unwrap();
/// ```
pub fn checkable<F>(f: F) -> F
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>>,
{
    f
}

/// Checks the derivatives of `f` at `inputs` against central finite differences in `f64`.
///
/// `f` receives the inputs as [`Var`]s on a fresh [`Tape`](crate::Tape) at every evaluation
/// and returns one output of any shape. In full mode every entry `∂y[k]/∂x_i[j]` is compared:
/// the analytic Jacobian comes from one backward pass per output element (one-hot seeds), the
/// numeric one from evaluating `f` at `x_i[j] ± eps`. Elements whose difference straddles a
/// kink are handled as [`GradcheckOptions::kinks`] says.
///
/// Returns the [`Report`] if every comparison passes, otherwise
/// [`GradcheckError::Mismatch`], whose `Display` (and `Debug`, so `unwrap` shows it) is a
/// table: input, element index, output element, analytic, numeric, absolute and relative
/// error.
///
/// ```
/// use autograd::{gradcheck, GradcheckOptions, Tensor, Var};
/// let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25], [2, 2]).unwrap();
/// let report = gradcheck(|x: &[Var<'_, f64>]| Ok(x[0].sin().mul(&x[0])?), &[x], &GradcheckOptions::default()).unwrap();
/// assert!(report.max_abs_error < 1e-8);
/// ```
pub fn gradcheck<F>(f: F, inputs: &[Tensor<f64>], options: &GradcheckOptions) -> Result<Report, GradcheckError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>>,
{
    gradcheck_labeled("gradcheck".into(), &f, inputs, options, Walk::Reverse)
}

/// [`gradcheck`] of forward mode: the same comparisons, with the analytic derivatives from
/// forward walks (one Jacobian-vector product per input element, or per random direction in
/// fast mode) instead of backward passes, as PyTorch's `gradcheck(check_forward_ad=True)`. It
/// checks the ops' JVP rules (and a custom op's tangent, which forward mode derives from its
/// backward).
///
/// ```
/// use autograd::{jvpcheck, GradcheckOptions, Tensor};
/// let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25], [2, 2]).unwrap();
/// let report = jvpcheck(|x| x[0].softmax(1), &[x], &GradcheckOptions::default()).unwrap();
/// assert_eq!(report.compared, 16);
/// ```
pub fn jvpcheck<F>(f: F, inputs: &[Tensor<f64>], options: &GradcheckOptions) -> Result<Report, GradcheckError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>>,
{
    gradcheck_labeled("jvpcheck".into(), &f, inputs, options, Walk::Forward)
}

fn gradcheck_labeled<F>(
    label: String,
    f: &F,
    inputs: &[Tensor<f64>],
    options: &GradcheckOptions,
    walk: Walk,
) -> Result<Report, GradcheckError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>>,
{
    let multi: &MultiFn<'_> = &|x| Ok(vec![f(x)?]);
    let problem = Problem {
        subject: Subject::Inputs(multi),
        walk,
        inputs: inputs.to_vec(),
        wrt: options.wrt_or_all(inputs.len()),
        label,
        input_names: (0..inputs.len()).map(|i| i.to_string()).collect(),
        output_names: vec![String::new()],
    };
    engine::check(&problem, options)
}

/// Checks second derivatives, as `torch.autograd.gradgradcheck`: that the gradient of `f`
/// computed with [`GradOptions::create_graph`] is itself correctly differentiable.
///
/// With a random grad-output `u` (shaped like `f`'s output, seeded by
/// [`GradcheckOptions::seed`]), this gradchecks the vector-Jacobian product
/// `(x, u) ↦ ∂⟨u, f(x)⟩/∂x`, one output per differentiated input, with respect to `x` and to
/// `u`. It fails when a backward rule is correct but not differentiable (written on raw tensors,
/// so its result is a constant to the tape), or differentiable but wrong at second order. In
/// the report, input `u` is the grad-output and output `grad i` is the gradient of input `i`.
///
/// ```
/// use autograd::{gradgradcheck, GradcheckOptions, Tensor, Var};
/// let x = Tensor::vector(&[0.3, -1.2, 2.0]);
/// gradgradcheck(|x: &[Var<'_, f64>]| Ok(x[0].tanh()), &[x], &GradcheckOptions::default()).unwrap();
/// ```
pub fn gradgradcheck<F>(f: F, inputs: &[Tensor<f64>], options: &GradcheckOptions) -> Result<Report, GradcheckError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>>,
{
    gradgradcheck_labeled("gradgradcheck".into(), &f, inputs, options, Walk::Reverse)
}

/// `walk` differentiates the gradient function: reverse over reverse (`gradgradcheck`) or
/// forward over reverse (the JVP rules of every op in the function's backward).
fn gradgradcheck_labeled<F>(
    label: String,
    f: &F,
    inputs: &[Tensor<f64>],
    options: &GradcheckOptions,
    walk: Walk,
) -> Result<Report, GradcheckError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>>,
{
    let names = (0..inputs.len()).map(|i| i.to_string()).collect();
    gradgradcheck_of(label, &|x| Ok(vec![f(x)?]), inputs, names, options, walk)
}

/// The second-order check of a function with any number of outputs: with a random grad-output
/// `u_o` per output, checks `(x, u) ↦ ∂(Σ_o ⟨u_o, f_o(x)⟩)/∂x`, one output per differentiated
/// input, with respect to `x` and to every `u_o`.
fn gradgradcheck_of(
    label: String,
    f: &MultiFn<'_>,
    inputs: &[Tensor<f64>],
    input_names: Vec<String>,
    options: &GradcheckOptions,
    walk: Walk,
) -> Result<Report, GradcheckError> {
    let n = inputs.len();
    if n == 0 {
        return Err(GradcheckError::Invalid(format!("{label}: the function needs at least one input")));
    }
    let wrt = options.wrt_or_all(n);
    // Evaluate once for the outputs' shapes, then draw the grad-outputs u (in output order).
    let shapes = output_shapes(&label, f, inputs)?;
    // A stream of its own, so u does not repeat the engine's first direction in fast mode.
    let mut rng = StdRng::seed_from_u64(options.seed ^ 0x5eed_9e37_79b9_7f4a);
    let us: Vec<Tensor<f64>> = shapes.into_iter().map(|shape| Tensor::rand_normal(shape, 0.0, 1.0, &mut rng)).collect();
    let m = us.len();

    // vjp(x, u) = ∂(Σ_o ⟨u_o, f_o(x)⟩)/∂x, recorded, so it is differentiable in x and in u.
    let vjp_wrt = wrt.clone();
    let vjp: &MultiFn<'_> = &move |v| {
        let (x, u) = v.split_at(n);
        let ys = f(x)?;
        if ys.len() != m {
            return Err(crate::Error::invalid(
                "gradgradcheck",
                format!("the function gave {} outputs, then {m}", ys.len()),
            ));
        }
        let mut inner: Option<Var<'_, f64>> = None;
        for (y, u) in ys.iter().zip(u) {
            let term = y.mul(u)?.sum();
            inner = Some(match inner {
                None => term,
                Some(sum) => sum.add(&term)?,
            });
        }
        let inner = inner.expect("at least one output");
        let xs: Vec<&Var<'_, f64>> = vjp_wrt.iter().map(|&i| &x[i]).collect();
        grad_with(&[&inner], None, &xs, GradOptions::create_graph().allow_unused())
    };
    let u_names: Vec<String> = match m {
        1 => vec!["u".to_string()],
        _ => (0..m).map(|o| format!("u{o}")).collect(),
    };
    let mut all = inputs.to_vec();
    all.extend(us);
    let problem = Problem {
        subject: Subject::Inputs(vjp),
        walk,
        inputs: all,
        wrt: wrt.iter().copied().chain(n..n + m).collect(),
        label,
        output_names: wrt.iter().map(|&i| format!("grad {}", input_names[i])).collect(),
        input_names: input_names.into_iter().chain(u_names).collect(),
    };
    engine::check(&problem, options)
}

/// The shapes of `f`'s outputs at `inputs` (at least one output).
fn output_shapes(label: &str, f: &MultiFn<'_>, inputs: &[Tensor<f64>]) -> Result<Vec<crate::Shape>, GradcheckError> {
    let tape = Tape::<f64>::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.constant(x.clone())).collect();
    let ys = f(&vars).map_err(|source| GradcheckError::Function {
        label: label.to_string(),
        at: "at the checked point".into(),
        source: Box::new(source),
    })?;
    if ys.is_empty() {
        return Err(GradcheckError::Invalid(format!("{label}: the function has no outputs")));
    }
    Ok(ys.iter().map(|y| y.shape().clone()).collect())
}

/// [`gradcheck`] of a function with several outputs, of any shapes: every entry of every
/// output's Jacobian (or, in fast mode, random directions in all outputs at once, `⟨v, Σ_o
/// J_oᵀu_o⟩`). The table names output `o`'s elements `output o [index]`.
///
/// ```
/// use autograd::{gradcheck_outputs, GradcheckOptions, Tensor, Var};
/// // Polar to Cartesian coordinates: two outputs.
/// fn polar<'t>(v: &[Var<'t, f64>]) -> autograd::Result<Vec<Var<'t, f64>>> {
///     Ok(vec![v[0].mul(&v[1].cos())?, v[0].mul(&v[1].sin())?])
/// }
/// let (r, theta) = (Tensor::vector(&[1.0, 2.0]), Tensor::vector(&[0.3, -1.1]));
/// let report = gradcheck_outputs(polar, &[r, theta], &GradcheckOptions::default()).unwrap();
/// assert_eq!(report.compared, 2 * 2 * 4); // 2 outputs × 2 elements × 4 input elements
/// ```
pub fn gradcheck_outputs<F>(f: F, inputs: &[Tensor<f64>], options: &GradcheckOptions) -> Result<Report, GradcheckError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Result<Vec<Var<'t, f64>>>,
{
    let label = "gradcheck".to_string();
    let count = output_shapes(&label, &f, inputs)?.len();
    let problem = Problem {
        subject: Subject::Inputs(&f),
        walk: Walk::Reverse,
        inputs: inputs.to_vec(),
        wrt: options.wrt_or_all(inputs.len()),
        label,
        input_names: (0..inputs.len()).map(|i| i.to_string()).collect(),
        output_names: (0..count).map(|o| format!("output {o}")).collect(),
    };
    engine::check(&problem, options)
}

/// [`gradgradcheck`] of a function with several outputs: with a random grad-output `u_o` per
/// output (inputs `u0`, `u1`, … in the table), checks the gradient function
/// `(x, u) ↦ ∂(Σ_o ⟨u_o, f_o(x)⟩)/∂x` with respect to `x` and every `u_o`.
///
/// ```
/// use autograd::{gradgradcheck_outputs, GradcheckOptions, Tensor, Var};
/// let inputs = [Tensor::vector(&[0.2, -0.7]), Tensor::vector(&[1.5, 0.4])];
/// gradgradcheck_outputs(|v| Ok(vec![v[0].tanh(), v[0].mul(&v[1])?.exp().sum()]), &inputs, &GradcheckOptions::default())
///     .unwrap();
/// ```
pub fn gradgradcheck_outputs<F>(
    f: F,
    inputs: &[Tensor<f64>],
    options: &GradcheckOptions,
) -> Result<Report, GradcheckError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Result<Vec<Var<'t, f64>>>,
{
    let names = (0..inputs.len()).map(|i| i.to_string()).collect();
    gradgradcheck_of("gradgradcheck".into(), &f, inputs, names, options, Walk::Reverse)
}

/// [`gradcheck`] with respect to [`Parameter`]s: for modules and losses that put their own
/// parameters on the tape (`tape.param(&p)`), which a function of input tensors cannot reach.
///
/// `f` builds the output (any shape) on the tape it is given. Each evaluation sets the
/// parameters' values to the perturbed point (and puts them back afterwards); the analytic
/// Jacobian is read from the parameters' gradient buffers after backward passes seeded one-hot,
/// which is the path training uses. Gradients the parameters already hold are set aside and
/// restored. `params` are `(name, parameter)` pairs ([`NamedParameter`]): a slice of
/// `("w", &w)`, or a module's `named_parameters()` map as it is; the names label the table's
/// input column. [`GradcheckOptions::wrt`] does not apply (pass only the parameters to check;
/// the others stay at their values).
///
/// `f` returns this crate's [`Result`]; errors of other crates that convert (`nn::Error` does)
/// pass through `?`: `|tape| Ok(model.forward(&tape.constant(x.clone()))?)`.
///
/// ```
/// use autograd::{gradcheck_params, GradcheckOptions, Parameter, Tensor};
/// let w = Parameter::new(Tensor::from_vec(vec![0.5, -1.0, 0.25, 2.0], [2, 2]).unwrap());
/// let b = Parameter::new(Tensor::vector(&[0.1, -0.2]));
/// let x = Tensor::from_vec(vec![1.0, 2.0, -1.0, 0.5], [2, 2]).unwrap();
/// // y = tanh(x·w + b), the parameters put on the tape as a layer would.
/// let report = gradcheck_params(
///     &[("w", &w), ("b", &b)],
///     |tape| Ok(tape.constant(x.clone()).matmul(&tape.param(&w))?.add(&tape.param(&b))?.tanh()),
///     &GradcheckOptions::default(),
/// )
/// .unwrap();
/// assert_eq!(report.compared, 4 * 6);
/// ```
pub fn gradcheck_params<P, F>(params: P, f: F, options: &GradcheckOptions) -> Result<Report, GradcheckError>
where
    P: IntoIterator,
    P::Item: NamedParameter<f64>,
    F: for<'t> Fn(&'t Tape<f64>) -> Result<Var<'t, f64>>,
{
    let (names, owned): (Vec<String>, Vec<Parameter<f64>>) =
        params.into_iter().map(|p| (p.name().to_string(), p.parameter().clone())).unzip();
    let f: &ParamFn<'_> = &f;
    let problem = Problem {
        subject: Subject::Params(&owned, f),
        walk: Walk::Reverse,
        inputs: owned.iter().map(Parameter::value).collect(),
        wrt: (0..owned.len()).collect(),
        label: "gradcheck of parameters".into(),
        input_names: names,
        output_names: vec![String::new()],
    };
    engine::check(&problem, options)
}

/// A parameter and its name, as [`gradcheck_params`] takes them: a pair `(name, parameter)`
/// with the name any string type and the parameter owned or borrowed, or a reference to such
/// a pair. So a slice of `("w", &w)` pairs and a module's `named_parameters()` map (owned or
/// borrowed) both fit.
pub trait NamedParameter<T: Float> {
    /// The name the check's table shows.
    fn name(&self) -> &str;
    /// The parameter.
    fn parameter(&self) -> &Parameter<T>;
}

impl<T: Float, N: AsRef<str>, P: Borrow<Parameter<T>>> NamedParameter<T> for (N, P) {
    fn name(&self) -> &str {
        self.0.as_ref()
    }

    fn parameter(&self) -> &Parameter<T> {
        self.1.borrow()
    }
}

impl<T: Float, X: NamedParameter<T> + ?Sized> NamedParameter<T> for &X {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn parameter(&self) -> &Parameter<T> {
        (**self).parameter()
    }
}

/// [`gradgradcheck`] with respect to [`Parameter`]s: second derivatives of a function that puts
/// its own parameters on the tape (a module, a loss with a gradient penalty), as
/// [`gradcheck_params`] checks the first.
///
/// With a random grad-output `u` shaped like `f`'s output, checks the gradient function
/// `(p, u) ↦ ∂⟨u, f(p)⟩/∂p` (built with `create_graph`) with respect to every parameter and `u`.
/// While the check runs, `tape.param(&p)` on the tapes it gives `f` answers with the value being
/// checked, so every use of a parameter is one input; the parameters' values and gradient
/// buffers are not touched. `params` are `(name, parameter)` pairs ([`NamedParameter`]), as
/// [`gradcheck_params`] takes them; the names label the table.
///
/// ```
/// use autograd::{gradgradcheck_params, GradcheckOptions, Parameter, Tensor};
/// let w = Parameter::new(Tensor::from_vec(vec![0.5, -1.0, 0.25, 2.0], [2, 2]).unwrap());
/// let b = Parameter::new(Tensor::vector(&[0.1, -0.2]));
/// let x = Tensor::from_vec(vec![1.0, 2.0, -1.0, 0.5], [2, 2]).unwrap();
/// let report = gradgradcheck_params(
///     &[("w", &w), ("b", &b)],
///     |tape| Ok(tape.constant(x.clone()).matmul(&tape.param(&w))?.add(&tape.param(&b))?.tanh()),
///     &GradcheckOptions::default(),
/// )
/// .unwrap();
/// // The gradients of w and b (6 elements) in w, b and u (10 elements).
/// assert_eq!(report.compared, 6 * 10);
/// assert!(w.grad().is_none());
/// ```
pub fn gradgradcheck_params<P, F>(params: P, f: F, options: &GradcheckOptions) -> Result<Report, GradcheckError>
where
    P: IntoIterator,
    P::Item: NamedParameter<f64>,
    F: for<'t> Fn(&'t Tape<f64>) -> Result<Var<'t, f64>>,
{
    let (names, owned): (Vec<String>, Vec<Parameter<f64>>) =
        params.into_iter().map(|p| (p.name().to_string(), p.parameter().clone())).unzip();
    let of_inputs: &MultiFn<'_> = &|x| {
        let tape = x[0].tape();
        tape.substitute_params(&owned, x);
        Ok(vec![f(tape)?])
    };
    let values: Vec<Tensor<f64>> = owned.iter().map(Parameter::value).collect();
    gradgradcheck_of("gradgradcheck of parameters".into(), of_inputs, &values, names, options, Walk::Reverse)
}

impl OpCheck<'_> {
    /// Runs every case at first order and (if twice differentiable) second order, each in
    /// reverse mode ([`gradcheck`], [`gradgradcheck`]) and in forward mode ([`jvpcheck`], and
    /// forward over reverse: the JVP rules of the ops in the backward). An op declared not
    /// twice differentiable is checked in reverse mode at first order only: forward mode
    /// derives a custom op's tangents from its backward, which must then be differentiable. Returns the reports of
    /// all checks, or [`GradcheckError::Mismatch`] with the report of every check that failed.
    pub fn run(&self) -> Result<OpReport, GradcheckError> {
        let mut reports = Vec::new();
        let mut failed = Vec::new();
        for (c, shapes) in self.cases().iter().enumerate() {
            let inputs = self.sample(c)?;
            let label = self.case_label(shapes);
            let (f, o) = (&self.f, &self.options);
            let mut outcomes = vec![gradcheck_labeled(format!("gradcheck of {label}"), f, &inputs, o, Walk::Reverse)];
            if self.second_order {
                // Forward mode derives a custom op's tangents from its backward, so it needs the
                // same differentiable backward as the second order.
                outcomes.push(gradcheck_labeled(format!("jvpcheck of {label}"), f, &inputs, o, Walk::Forward));
                outcomes.push(gradgradcheck_labeled(format!("gradgradcheck of {label}"), f, &inputs, o, Walk::Reverse));
                let forward = format!("jvpcheck of the gradient of {label} (forward over reverse)");
                outcomes.push(gradgradcheck_labeled(forward, f, &inputs, o, Walk::Forward));
            }
            for outcome in outcomes {
                match outcome {
                    Ok(report) => reports.push(report),
                    Err(GradcheckError::Mismatch(mut r)) => failed.append(&mut r),
                    Err(GradcheckError::Function { label, at, source }) if self.default_shapes() => {
                        let at = format!(
                            "{at} (on OpCheck's default shapes for arity {}: pass .shapes(..) with shapes the op takes)",
                            shapes.len()
                        );
                        return Err(GradcheckError::Function { label, at, source });
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        if failed.is_empty() {
            Ok(OpReport { op: self.name().to_string(), reports })
        } else {
            Err(GradcheckError::Mismatch(failed))
        }
    }
}
