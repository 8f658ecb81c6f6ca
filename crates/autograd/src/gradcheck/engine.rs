//! The machinery behind every check: evaluate the function on a fresh tape, note the branch
//! every kinked op on it took (`ops::branch_hash`, from the ops' own declarations), pull one-hot
//! (full mode) or random (fast mode) seeds back through it (reverse mode) or push them forward
//! (forward mode), difference it numerically, and compare, setting aside differences that
//! straddle a kink.
//!
//! Internally every function has several outputs (`gradgradcheck` checks the gradient of each
//! input at once); `gradcheck`'s single output is the case of one.

use super::{GradcheckError, GradcheckOptions, Kink, KinkPolicy, Mode, Probe, Report, Resampled};
use crate::forward::push_forward;
use crate::ops::branch_hash;
use crate::tape::{NodeId, NO_NODE};
use crate::{grad_with, GradOptions, Parameter, Result, Tape, Tensor, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A function of several inputs with several outputs, evaluated on whatever tape its inputs
/// live on.
pub(super) type MultiFn<'a> = dyn for<'t> Fn(&[Var<'t, f64>]) -> Result<Vec<Var<'t, f64>>> + 'a;

/// A function of parameters: it puts them on the tape itself (`tape.param(&p)`), as a module
/// does.
pub(super) type ParamFn<'a> = dyn for<'t> Fn(&'t Tape<f64>) -> Result<Var<'t, f64>> + 'a;

/// What is differentiated.
pub(super) enum Subject<'a> {
    /// A function of its inputs, which the engine puts on the tape.
    Inputs(&'a MultiFn<'a>),
    /// A function of parameters: evaluations set the parameters' values to the point, and the
    /// analytic derivatives are read from their gradient buffers after each backward pass.
    Params(&'a [Parameter<f64>], &'a ParamFn<'a>),
}

/// How the analytic derivatives are computed: vector-Jacobian products from reverse walks, or
/// Jacobian-vector products from forward walks (functions of inputs only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Walk {
    Reverse,
    Forward,
}

/// A function and the point to check it at.
pub(super) struct Problem<'a> {
    pub subject: Subject<'a>,
    pub walk: Walk,
    /// The point: one tensor per input (or parameter).
    pub inputs: Vec<Tensor<f64>>,
    /// The inputs differentiated (in this order); the others enter as constants. All of them
    /// for parameters.
    pub wrt: Vec<usize>,
    pub label: String,
    pub input_names: Vec<String>,
    pub output_names: Vec<String>,
}

/// The outputs of one evaluation and the hash of the branches its kinked ops took.
struct Eval {
    outputs: Vec<Tensor<f64>>,
    branches: u64,
}

impl Eval {
    fn flat(&self) -> impl Iterator<Item = f64> + '_ {
        self.outputs.iter().flat_map(|t| t.data().iter().copied())
    }
}

/// Runs the check the options ask for.
pub(super) fn check(problem: &Problem<'_>, options: &GradcheckOptions) -> Result<Report, GradcheckError> {
    validate(problem, options)?;
    let mut report =
        Report::new(problem.label.clone(), options, problem.input_names.clone(), problem.output_names.clone());
    let mut rng = StdRng::seed_from_u64(options.seed);
    match options.mode {
        Mode::Full => full(problem, options, &mut rng, &mut report)?,
        Mode::Fast { directions } => fast(problem, options, directions, &mut rng, &mut report)?,
    }
    if !report.passed() {
        Err(GradcheckError::Mismatch(vec![report]))
    } else if report.compared == 0 && report.skipped == 0 {
        Err(GradcheckError::Invalid(format!(
            "{}: nothing to compare (the differentiated inputs or the output have no elements)",
            problem.label
        )))
    } else if report.skipped > report.compared {
        Err(GradcheckError::MostlySkipped(Box::new(report)))
    } else {
        Ok(report)
    }
}

fn validate(problem: &Problem<'_>, options: &GradcheckOptions) -> Result<(), GradcheckError> {
    let invalid = |msg: String| Err(GradcheckError::Invalid(format!("{}: {msg}", problem.label)));
    if problem.inputs.is_empty() {
        return invalid("the function needs at least one input".into());
    }
    if !(options.eps > 0.0 && options.eps.is_finite()) {
        return invalid(format!("eps must be positive and finite, got {}", options.eps));
    }
    if !(options.atol >= 0.0 && options.rtol >= 0.0) {
        return invalid(format!("tolerances must be non-negative, got atol {} rtol {}", options.atol, options.rtol));
    }
    if problem.wrt.is_empty() {
        return invalid("wrt is empty: no input to differentiate".into());
    }
    if options.mode == (Mode::Fast { directions: 0 }) {
        return invalid("fast mode with 0 directions compares nothing".into());
    }
    if let Some(&i) = problem.wrt.iter().find(|&&i| i >= problem.inputs.len()) {
        return invalid(format!("wrt names input {i}, but there are {} inputs", problem.inputs.len()));
    }
    if let Some((i, _)) = problem.inputs.iter().enumerate().find(|(_, x)| x.has_non_finite()) {
        return invalid(format!("input {i} has a non-finite value"));
    }
    Ok(())
}

impl Problem<'_> {
    /// `(input, flat index)` of every differentiated element, in Jacobian column order.
    fn positions(&self) -> Vec<(usize, usize)> {
        self.wrt.iter().flat_map(|&i| (0..self.inputs[i].numel()).map(move |e| (i, e))).collect()
    }

    fn function_error(&self, at: String, source: crate::Error) -> GradcheckError {
        GradcheckError::Function { label: self.label.clone(), at, source: Box::new(source) }
    }

    /// Evaluates the function at `inputs` on a fresh tape, then hands the tape's outputs and
    /// differentiated inputs to `then` (for backward passes).
    fn with_tape<R>(
        &self,
        f: &MultiFn<'_>,
        inputs: &[Tensor<f64>],
        at: &dyn Fn() -> String,
        then: impl for<'t> FnOnce(&[Var<'t, f64>], &[&Var<'t, f64>]) -> Result<R>,
    ) -> Result<(Eval, R), GradcheckError> {
        let tape = Tape::<f64>::new();
        let vars: Vec<Var<'_, f64>> = inputs
            .iter()
            .enumerate()
            .map(|(i, x)| if self.wrt.contains(&i) { tape.var(x.clone()) } else { tape.constant(x.clone()) })
            .collect();
        let outputs = f(&vars).map_err(|e| self.function_error(at(), e))?;
        let branches = branch_hash(&tape);
        let wrt: Vec<&Var<'_, f64>> = self.wrt.iter().map(|&i| &vars[i]).collect();
        let r = then(&outputs, &wrt).map_err(|e| self.function_error(format!("in a backward pass {}", at()), e))?;
        let eval = Eval { outputs: outputs.iter().map(|y| y.value().clone()).collect(), branches };
        Ok((eval, r))
    }

    /// Sets the parameters to `inputs`, evaluates the function on a fresh tape and hands its
    /// output to `then`; puts the parameters' values back afterwards, whatever happens.
    fn with_params<R>(
        &self,
        params: &[Parameter<f64>],
        f: &ParamFn<'_>,
        inputs: &[Tensor<f64>],
        at: &dyn Fn() -> String,
        then: impl for<'t> FnOnce(&Var<'t, f64>) -> Result<R>,
    ) -> Result<(Eval, R), GradcheckError> {
        let _restore = RestoreValues::new(params);
        for (p, x) in params.iter().zip(inputs) {
            p.set_value(x.clone());
        }
        let tape = Tape::<f64>::new();
        let output = f(&tape).map_err(|e| self.function_error(at(), e))?;
        let branches = branch_hash(&tape);
        let r = then(&output).map_err(|e| self.function_error(format!("in a backward pass {}", at()), e))?;
        Ok((Eval { outputs: vec![output.value().clone()], branches }, r))
    }

    fn evaluate(&self, inputs: &[Tensor<f64>], at: &dyn Fn() -> String) -> Result<Eval, GradcheckError> {
        match self.subject {
            Subject::Inputs(f) => Ok(self.with_tape(f, inputs, at, |_, _| Ok(()))?.0),
            Subject::Params(params, f) => Ok(self.with_params(params, f, inputs, at, |_| Ok(()))?.0),
        }
    }

    /// Evaluates at `inputs` and pulls each set of output seeds back to the differentiated
    /// inputs: one row `Σ_o ⟨seed_o, ∂y_o/∂x⟩` (flattened over all differentiated inputs) per
    /// set. `seeds` sees the output values to size the seeds.
    fn pullbacks(
        &self,
        inputs: &[Tensor<f64>],
        at: &dyn Fn() -> String,
        seeds: impl FnOnce(&[Tensor<f64>]) -> Vec<Vec<Tensor<f64>>>,
    ) -> Result<(Eval, Vec<Vec<f64>>), GradcheckError> {
        match self.subject {
            Subject::Inputs(f) => self.with_tape(f, inputs, at, |outputs, wrt| {
                let values: Vec<Tensor<f64>> = outputs.iter().map(|y| y.value().clone()).collect();
                let outputs: Vec<&Var<'_, f64>> = outputs.iter().collect();
                seeds(&values)
                    .into_iter()
                    .map(|seed| {
                        let grads = grad_with(&outputs, Some(&seed), wrt, GradOptions::retain_graph().allow_unused())?;
                        Ok(grads.iter().flat_map(|g| g.value().data().iter().copied()).collect())
                    })
                    .collect()
            }),
            Subject::Params(params, f) => self.with_params(params, f, inputs, at, |output| {
                let _restore = RestoreGrads::new(params);
                seeds(std::slice::from_ref(output.value()))
                    .into_iter()
                    .map(|mut seed| {
                        let seed = seed.pop().expect("one seed for the one output");
                        output.backward_with(Some(seed), GradOptions::retain_graph())?;
                        Ok(params
                            .iter()
                            .zip(inputs)
                            .flat_map(|(p, x)| {
                                let g = p.take_grad().unwrap_or_else(|| Tensor::zeros(x.shape().clone()));
                                g.to_vec()
                            })
                            .collect())
                    })
                    .collect()
            }),
        }
    }

    /// Evaluates at `inputs` (a function of inputs) and pushes each direction (a vector over the
    /// differentiated input elements, in [`positions`](Problem::positions) order) forward: one
    /// row `Σ_i ∂y/∂x_i·v_i`, flattened over the outputs, per direction.
    fn pushforwards(
        &self,
        inputs: &[Tensor<f64>],
        at: &dyn Fn() -> String,
        directions: &[Vec<f64>],
    ) -> Result<(Eval, Vec<Vec<f64>>), GradcheckError> {
        let Subject::Inputs(f) = self.subject else {
            return Err(GradcheckError::Invalid(format!("{}: forward mode checks functions of inputs", self.label)));
        };
        self.with_tape(f, inputs, at, |outputs, wrt| {
            let tape = wrt.first().map(|x| x.tape()).expect("validate() checked there is an input");
            let top = outputs.iter().map(|y| y.node).filter(|&id| id != NO_NODE).max().unwrap_or(0);
            directions
                .iter()
                .map(|v| {
                    let mut rest = &v[..];
                    let mut seeds: Vec<(NodeId, Var<'_, f64>)> = Vec::with_capacity(wrt.len());
                    for x in wrt {
                        let (head, tail) = rest.split_at(x.numel());
                        rest = tail;
                        let t = Tensor::from_vec(head.to_vec(), x.shape().clone()).expect("split to the inputs' sizes");
                        seeds.push((x.node, tape.constant(t)));
                    }
                    let walked = push_forward(tape, &seeds, top, GradOptions::default())?;
                    Ok(outputs.iter().flat_map(|y| walked.of(y).value().to_vec()).collect())
                })
                .collect()
        })
    }

    /// `⟨u, J·v⟩` for each pair `(v, u)` at `inputs`: from one reverse walk (`⟨Jᵀu, v⟩`) or one
    /// forward walk per pair, as the problem says.
    fn directional(
        &self,
        inputs: &[Tensor<f64>],
        at: &dyn Fn() -> String,
        pairs: &[(Vec<f64>, Vec<f64>)],
    ) -> Result<(Eval, Vec<f64>), GradcheckError> {
        match self.walk {
            Walk::Reverse => {
                let (eval, vjps) =
                    self.pullbacks(inputs, at, |ys| pairs.iter().map(|(_, u)| as_seeds(u, ys)).collect())?;
                Ok((eval, pairs.iter().zip(&vjps).map(|((v, _), vjp)| dot(v, vjp)).collect()))
            }
            Walk::Forward => {
                let directions: Vec<Vec<f64>> = pairs.iter().map(|(v, _)| v.clone()).collect();
                let (eval, jvps) = self.pushforwards(inputs, at, &directions)?;
                Ok((eval, pairs.iter().zip(&jvps).map(|((_, u), jvp)| dot(u, jvp)).collect()))
            }
        }
    }

    /// The analytic Jacobian at `inputs`, one row per output element (outputs in order), one
    /// column per differentiated input element: a row per reverse walk, or a column per forward
    /// walk.
    fn jacobian(
        &self,
        inputs: &[Tensor<f64>],
        at: &dyn Fn() -> String,
    ) -> Result<(Eval, Vec<Vec<f64>>), GradcheckError> {
        if self.walk == Walk::Forward {
            let n = self.positions().len();
            let basis: Vec<Vec<f64>> =
                (0..n).map(|j| (0..n).map(|k| if k == j { 1.0 } else { 0.0 }).collect()).collect();
            let (eval, columns) = self.pushforwards(inputs, at, &basis)?;
            let rows = eval.flat().count();
            return Ok((eval, (0..rows).map(|r| columns.iter().map(|c| c[r]).collect()).collect()));
        }
        self.pullbacks(inputs, at, |outputs| {
            let mut seeds = Vec::new();
            for (o, y) in outputs.iter().enumerate() {
                for k in 0..y.numel() {
                    seeds.push(
                        outputs
                            .iter()
                            .enumerate()
                            .map(|(p, z)| {
                                let mut s = Tensor::zeros(z.shape().clone());
                                if p == o {
                                    s.data_mut()[k] = 1.0;
                                }
                                s
                            })
                            .collect(),
                    );
                }
            }
            seeds
        })
    }

    /// The central difference of every output along `step` (a vector over the positions),
    /// and whether either side took other branches than `branches`.
    fn difference(
        &self,
        inputs: &[Tensor<f64>],
        positions: &[(usize, usize)],
        step: &[(usize, f64)],
        eps: f64,
        branches: u64,
        at: &dyn Fn() -> String,
    ) -> Result<(Vec<f64>, bool), GradcheckError> {
        let shifted = |sign: f64| {
            let mut x = inputs.to_vec();
            for &(p, s) in step {
                let (i, e) = positions[p];
                x[i].data_mut()[e] += sign * eps * s;
            }
            x
        };
        let plus = self.evaluate(&shifted(1.0), &|| format!("{} + eps", at()))?;
        let minus = self.evaluate(&shifted(-1.0), &|| format!("{} − eps", at()))?;
        let (n_plus, n_minus) = (plus.flat().count(), minus.flat().count());
        if n_plus != n_minus {
            return Err(GradcheckError::Invalid(format!(
                "{}: the output size changes {} ({n_plus} elements at + eps, {n_minus} at − eps)",
                self.label,
                at()
            )));
        }
        let column = plus.flat().zip(minus.flat()).map(|(a, b)| (a - b) / (2.0 * eps)).collect();
        Ok((column, plus.branches != branches || minus.branches != branches))
    }

    fn element_name(&self, (i, e): (usize, usize)) -> String {
        format!("at input {} {:?}", self.input_names[i], unravel(e, self.inputs[i].dims()))
    }
}

/// Full mode: every Jacobian entry.
fn full(
    problem: &Problem<'_>,
    o: &GradcheckOptions,
    rng: &mut StdRng,
    report: &mut Report,
) -> Result<(), GradcheckError> {
    let positions = problem.positions();
    let at_point = || "at the checked point".to_string();
    let (base, jacobian) = problem.jacobian(&problem.inputs, &at_point)?;
    check_finite(problem, &base)?;
    let rows = row_names(&base);
    for (col, &pos) in positions.iter().enumerate() {
        let probe = || Probe::Element { input: pos.0, index: unravel(pos.1, problem.inputs[pos.0].dims()) };
        let at = || problem.element_name(pos);
        let (numeric, kinked) =
            problem.difference(&problem.inputs, &positions, &[(col, 1.0)], o.eps, base.branches, &at)?;
        if !kinked || o.kinks == KinkPolicy::Off {
            for (r, (row, n)) in jacobian.iter().zip(numeric).enumerate() {
                report.compare(probe, || Some(rows[r].clone()), row[col], n, false);
            }
            continue;
        }
        let mut resampled = None;
        if let KinkPolicy::Resample { attempts } = o.kinks {
            for attempt in 1..=attempts {
                let offset = kink_offset(rng, o.eps);
                let mut moved = problem.inputs.clone();
                moved[pos.0].data_mut()[pos.1] += offset;
                let at_moved = || format!("{} moved by {offset:+e}", at());
                let (base, jacobian) = problem.jacobian(&moved, &at_moved)?;
                let (numeric, kinked) =
                    problem.difference(&moved, &positions, &[(col, 1.0)], o.eps, base.branches, &at_moved)?;
                if kinked {
                    continue;
                }
                for (r, (row, n)) in jacobian.iter().zip(numeric).enumerate() {
                    report.compare(probe, || Some(rows[r].clone()), row[col], n, true);
                }
                resampled = Some(Resampled { offset, attempt });
                break;
            }
        }
        if resampled.is_none() {
            report.skipped += rows.len();
        }
        report.kinks.push(Kink { probe: probe(), resampled });
    }
    Ok(())
}

/// Fast mode: for random unit directions `v` (inputs) and `u` (outputs), compare `⟨v, Jᵀu⟩`
/// (one backward pass) with the central difference of `⟨u, f(x + εv)⟩`.
fn fast(
    problem: &Problem<'_>,
    o: &GradcheckOptions,
    directions: usize,
    rng: &mut StdRng,
    report: &mut Report,
) -> Result<(), GradcheckError> {
    let positions = problem.positions();
    let at_point = || "at the checked point".to_string();
    let base = problem.evaluate(&problem.inputs, &at_point)?;
    check_finite(problem, &base)?;
    let out_len = base.flat().count();
    if positions.is_empty() || out_len == 0 {
        return Ok(());
    }
    let pairs: Vec<(Vec<f64>, Vec<f64>)> =
        (0..directions).map(|_| (unit_vector(positions.len(), rng), unit_vector(out_len, rng))).collect();
    let (base, analytic) = problem.directional(&problem.inputs, &at_point, &pairs)?;
    for (k, ((v, u), &analytic)) in pairs.iter().zip(&analytic).enumerate() {
        let at = || format!("along direction {k}");
        let step: Vec<(usize, f64)> = v.iter().copied().enumerate().collect();
        let (numeric, kinked) = problem.difference(&problem.inputs, &positions, &step, o.eps, base.branches, &at)?;
        if !kinked || o.kinks == KinkPolicy::Off {
            report.compare(|| Probe::Direction(k), || None, analytic, dot(u, &numeric), false);
            continue;
        }
        let mut resampled = None;
        if let KinkPolicy::Resample { attempts } = o.kinks {
            for attempt in 1..=attempts {
                let mut moved = problem.inputs.clone();
                let mut largest = 0.0f64;
                for &(i, e) in &positions {
                    let offset = kink_offset(rng, o.eps);
                    moved[i].data_mut()[e] += offset;
                    largest = if offset.abs() > largest.abs() { offset } else { largest };
                }
                let at_moved = || format!("{} at a point moved off a kink", at());
                let (base, analytic) = problem.directional(&moved, &at_moved, &[(v.clone(), u.clone())])?;
                let (numeric, kinked) =
                    problem.difference(&moved, &positions, &step, o.eps, base.branches, &at_moved)?;
                if kinked {
                    continue;
                }
                report.compare(|| Probe::Direction(k), || None, analytic[0], dot(u, &numeric), true);
                resampled = Some(Resampled { offset: largest, attempt });
                break;
            }
        }
        if resampled.is_none() {
            report.skipped += 1;
        }
        report.kinks.push(Kink { probe: Probe::Direction(k), resampled });
    }
    Ok(())
}

/// A flat vector over the outputs, as one tensor per output (seeds for a reverse walk).
fn as_seeds(u: &[f64], outputs: &[Tensor<f64>]) -> Vec<Tensor<f64>> {
    let mut rest = u;
    outputs
        .iter()
        .map(|y| {
            let (head, tail) = rest.split_at(y.numel());
            rest = tail;
            Tensor::from_vec(head.to_vec(), y.shape().clone()).expect("u is split to the outputs' sizes")
        })
        .collect()
}

fn check_finite(problem: &Problem<'_>, base: &Eval) -> Result<(), GradcheckError> {
    for (output, y) in base.outputs.iter().enumerate() {
        if let Some(&value) = y.data().iter().find(|v| !v.is_finite()) {
            return Err(GradcheckError::NonFinite { label: problem.label.clone(), output, value });
        }
    }
    Ok(())
}

/// `(output, multi-index)` of every Jacobian row.
fn row_names(base: &Eval) -> Vec<(usize, Vec<usize>)> {
    base.outputs.iter().enumerate().flat_map(|(o, y)| (0..y.numel()).map(move |k| (o, unravel(k, y.dims())))).collect()
}

/// A random offset of 10 to 100 eps, either sign: far enough from the kink that `x ± ε` is on
/// one side of it, near enough that the point is still the one the user asked about.
fn kink_offset(rng: &mut StdRng, eps: f64) -> f64 {
    let magnitude = eps * rng.random_range(10.0..100.0);
    if rng.random_bool(0.5) {
        magnitude
    } else {
        -magnitude
    }
}

/// A random direction of unit length (normal entries, normalized).
fn unit_vector(len: usize, rng: &mut StdRng) -> Vec<f64> {
    let t = Tensor::<f64>::rand_normal([len], 0.0, 1.0, rng);
    let norm = t.data().iter().map(|x| x * x).sum::<f64>().sqrt();
    t.data().iter().map(|x| x / norm).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Puts parameters' values back when dropped.
struct RestoreValues<'a> {
    params: &'a [Parameter<f64>],
    values: Vec<Tensor<f64>>,
}

impl<'a> RestoreValues<'a> {
    fn new(params: &'a [Parameter<f64>]) -> Self {
        RestoreValues { params, values: params.iter().map(Parameter::value).collect() }
    }
}

impl Drop for RestoreValues<'_> {
    fn drop(&mut self) {
        for (p, v) in self.params.iter().zip(self.values.drain(..)) {
            p.set_value(v);
        }
    }
}

/// Sets parameters' gradient buffers aside (empty) and puts them back when dropped, so a check
/// neither reads nor disturbs gradients the caller accumulated.
struct RestoreGrads<'a> {
    params: &'a [Parameter<f64>],
    grads: Vec<Option<Tensor<f64>>>,
}

impl<'a> RestoreGrads<'a> {
    fn new(params: &'a [Parameter<f64>]) -> Self {
        RestoreGrads { params, grads: params.iter().map(Parameter::take_grad).collect() }
    }
}

impl Drop for RestoreGrads<'_> {
    fn drop(&mut self) {
        for (p, g) in self.params.iter().zip(self.grads.drain(..)) {
            p.set_grad(g);
        }
    }
}

/// The multi-index of a row-major flat index.
pub(super) fn unravel(mut flat: usize, dims: &[usize]) -> Vec<usize> {
    let mut index = vec![0; dims.len()];
    for (i, &d) in dims.iter().enumerate().rev() {
        if d > 0 {
            index[i] = flat % d;
            flat /= d;
        }
    }
    index
}
