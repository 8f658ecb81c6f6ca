//! [`OpCheck`]: register an op and check it at first and second order over several shapes in
//! one call, the way JAX's `LAX_GRAD_OPS` table rows do. This file describes a row (its shapes,
//! domains, options, sampled inputs) and depends on no checking machinery, so that the
//! primitives can state their own rows; [`OpCheck::run`] (in `mod.rs`) runs one.

use super::options::{GradcheckOptions, KinkPolicy};
use super::report::{GradcheckError, Report};
use crate::{Result, Shape, Tape, Tensor, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeSet;
use std::fmt;

/// Where an op's inputs are sampled from: the range on which it is defined and smooth enough
/// for finite differences.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Domain {
    /// Any real: uniform in `[−2, 2]`.
    Real,
    /// Positive: uniform in `[0.25, 2]` (`log`, `sqrt`, fractional powers, a `pow` base).
    Positive,
    /// Away from zero by a margin: `±(margin + U[0, 2])`, either sign (`abs`, `relu`,
    /// `sign`, a divisor).
    AwayFromZero(f64),
    /// Inside `(−1, 1)`: uniform in `[−0.9, 0.9]`, so derivatives that blow up at ±1 stay
    /// moderate.
    OpenUnit,
    /// Uniform in `[lo, hi]`.
    Interval(f64, f64),
}

impl Domain {
    /// A tensor of this shape with elements drawn from the domain.
    ///
    /// ```
    /// use autograd::Domain;
    /// use rand::{rngs::StdRng, SeedableRng};
    /// let x = Domain::AwayFromZero(0.5).sample([100], &mut StdRng::seed_from_u64(0));
    /// assert!(x.data().iter().all(|v| v.abs() >= 0.5));
    /// ```
    pub fn sample(&self, shape: impl Into<Shape>, rng: &mut impl Rng) -> Tensor<f64> {
        let shape = shape.into();
        let mut uniform = |lo: f64, hi: f64| lo + (hi - lo) * rng.random::<f64>();
        let data: Vec<f64> = (0..shape.numel())
            .map(|_| match *self {
                Domain::Real => uniform(-2.0, 2.0),
                Domain::Positive => uniform(0.25, 2.0),
                Domain::AwayFromZero(margin) => {
                    let v = margin.abs() + uniform(0.0, 2.0);
                    if uniform(0.0, 1.0) < 0.5 {
                        v
                    } else {
                        -v
                    }
                }
                Domain::OpenUnit => uniform(-0.9, 0.9),
                Domain::Interval(lo, hi) => uniform(lo, hi),
            })
            .collect();
        Tensor::from_vec(data, shape).expect("one value per element")
    }
}

type OpFn<'a> = dyn for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>> + 'a;

/// Checks one op (built-in, composite or a [`CustomOp`](crate::CustomOp)) at first order
/// ([`gradcheck`](super::gradcheck)) and, if twice differentiable, second order
/// ([`gradgradcheck`](super::gradgradcheck)), over several input shapes with inputs sampled
/// (seeded) from its [`Domain`].
///
/// Without [`shapes`](OpCheck::shapes), an op of arity `n` is checked on `n` scalars, `n`
/// vectors `[4]` and `n` matrices `[2, 3]`: shapes any elementwise op takes, custom ops
/// included. [`broadcasting`](OpCheck::broadcasting) adds, for `n ≥ 2`, the cases `[2, 3]`
/// with `[3]`, `[3]` with `[2, 3]`, and `[2, 1]` with `[1, 3]` (the first input, then the
/// others). Kinks hit by a sample are moved off (up to three attempts, see
/// [`KinkPolicy::Resample`]): the sample point is arbitrary anyway.
///
/// ```
/// use autograd::{Domain, OpCheck};
/// OpCheck::new("div", 2, |x| x[0].div(&x[1]))
///     .domains(&[Domain::Real, Domain::AwayFromZero(0.5)])
///     .broadcasting()
///     .run()
///     .unwrap();
/// OpCheck::new("matmul", 2, |x| x[0].matmul(&x[1]))
///     .shapes(&[&[&[2, 3], &[3, 4]], &[&[2, 2, 3], &[2, 3, 1]]])
///     .run()
///     .unwrap();
/// ```
pub struct OpCheck<'a> {
    name: String,
    arity: usize,
    pub(super) f: Box<OpFn<'a>>,
    cases: Vec<Vec<Shape>>,
    broadcasting: bool,
    domains: Vec<Domain>,
    pub(super) options: GradcheckOptions,
    pub(super) second_order: bool,
}

impl<'a> OpCheck<'a> {
    /// An op called `name` taking `arity` inputs, applied by `f`.
    pub fn new(
        name: impl Into<String>,
        arity: usize,
        f: impl for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>> + 'a,
    ) -> Self {
        OpCheck {
            name: name.into(),
            arity,
            f: Box::new(f),
            cases: Vec::new(),
            broadcasting: false,
            domains: vec![Domain::Real],
            options: GradcheckOptions { kinks: KinkPolicy::Resample { attempts: 3 }, ..GradcheckOptions::default() },
            second_order: true,
        }
    }

    /// The input shapes to check, one list of `arity` shapes per case (replaces earlier cases).
    pub fn shapes(mut self, cases: &[&[&[usize]]]) -> Self {
        self.cases = cases.iter().map(|case| case.iter().map(|&dims| Shape::from(dims)).collect()).collect();
        self
    }

    /// Adds the broadcasting cases to the default shapes (for ops that broadcast, as the
    /// built-in elementwise ones do).
    pub fn broadcasting(mut self) -> Self {
        self.broadcasting = true;
        self
    }

    /// Whether the cases are the defaults for the arity (no [`shapes`](OpCheck::shapes) or
    /// [`case`](OpCheck::case) given).
    pub(super) fn default_shapes(&self) -> bool {
        self.cases.is_empty()
    }

    /// Adds one case: `arity` input shapes.
    pub fn case(mut self, shapes: &[&[usize]]) -> Self {
        self.cases.push(shapes.iter().map(|&dims| Shape::from(dims)).collect());
        self
    }

    /// Samples every input from `domain` (the default is [`Domain::Real`]).
    pub fn domain(mut self, domain: Domain) -> Self {
        self.domains = vec![domain];
        self
    }

    /// Samples input `i` from `domains[i]` (one per input).
    pub fn domains(mut self, domains: &[Domain]) -> Self {
        self.domains = domains.to_vec();
        self
    }

    /// Whether to run the second-order checks and the forward-mode ones too (the default). Say
    /// `false` for an op whose backward is not differentiable (a custom op computing on raw
    /// tensors), which has neither a second order nor, since forward mode derives a custom op's
    /// tangents from its backward, a forward mode.
    pub fn twice_differentiable(mut self, yes: bool) -> Self {
        self.second_order = yes;
        self
    }

    /// Absolute and relative tolerance of both checks.
    pub fn tolerance(mut self, atol: f64, rtol: f64) -> Self {
        self.options.atol = atol;
        self.options.rtol = rtol;
        self
    }

    /// All options at once (eps, tolerances, mode, kinks, seed, wrt).
    pub fn options(mut self, options: GradcheckOptions) -> Self {
        self.options = options;
        self
    }

    /// Only differentiate these inputs; the others are sampled and passed as constants (a
    /// mask's source, an exponent held fixed).
    pub fn wrt(mut self, inputs: &[usize]) -> Self {
        self.options.wrt = Some(inputs.to_vec());
        self
    }

    /// The seed of the sampled inputs (and of every other random choice).
    pub fn seed(mut self, seed: u64) -> Self {
        self.options.seed = seed;
        self
    }

    /// Applies the op to `inputs` (values on a tape, as [`sample`](OpCheck::sample) draws them),
    /// for checks of one's own (`tests/op_table.rs` compares forward and reverse mode with it).
    pub fn apply<'t>(&self, inputs: &[Var<'t, f64>]) -> Result<Var<'t, f64>> {
        (self.f)(inputs)
    }

    /// The op's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cases that will be checked: the given shapes or the defaults for the arity (see
    /// [`OpCheck`]).
    pub fn cases(&self) -> Vec<Vec<Shape>> {
        if !self.cases.is_empty() {
            return self.cases.clone();
        }
        let n = self.arity;
        let same = |dims: &[usize]| vec![Shape::from(dims); n];
        let mut cases = vec![same(&[]), same(&[4]), same(&[2, 3])];
        if n >= 2 && self.broadcasting {
            let first_then = |a: &[usize], b: &[usize]| {
                std::iter::once(Shape::from(a)).chain(std::iter::repeat_n(Shape::from(b), n - 1)).collect()
            };
            cases.push(first_then(&[2, 3], &[3]));
            cases.push(first_then(&[3], &[2, 3]));
            cases.push(first_then(&[2, 1], &[1, 3]));
        }
        cases
    }

    /// The inputs of case `case` (seeded: the same every run).
    pub fn sample(&self, case: usize) -> Result<Vec<Tensor<f64>>, GradcheckError> {
        let cases = self.cases();
        let shapes = cases
            .get(case)
            .ok_or_else(|| GradcheckError::Invalid(format!("{}: case {case} of {}", self.name, cases.len())))?;
        if shapes.len() != self.arity {
            return Err(GradcheckError::Invalid(format!(
                "{}: case {case} has {} shapes for an op of arity {}",
                self.name,
                shapes.len(),
                self.arity
            )));
        }
        if self.domains.len() != 1 && self.domains.len() != self.arity {
            return Err(GradcheckError::Invalid(format!(
                "{}: {} domains for an op of arity {}",
                self.name,
                self.domains.len(),
                self.arity
            )));
        }
        let seed = self.options.seed ^ (case as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut rng = StdRng::seed_from_u64(seed);
        Ok(shapes
            .iter()
            .enumerate()
            .map(|(i, shape)| self.domains[i.min(self.domains.len() - 1)].sample(shape, &mut rng))
            .collect())
    }

    pub(super) fn case_label(&self, case: &[Shape]) -> String {
        let shapes: Vec<String> = case.iter().map(ToString::to_string).collect();
        format!("{} on {}", self.name, shapes.join(" × "))
    }

    /// The names of the primitives the op records on the tape, over all cases (forward pass
    /// only; `leaf` excluded). For a table of checks, this tells which primitives it covers.
    pub fn recorded_ops(&self) -> Result<BTreeSet<&'static str>, GradcheckError> {
        let mut names = BTreeSet::new();
        for (c, shapes) in self.cases().iter().enumerate() {
            let inputs = self.sample(c)?;
            let tape = Tape::<f64>::new();
            let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
            (self.f)(&vars).map_err(|source| GradcheckError::Function {
                label: self.case_label(shapes),
                at: "at the sampled point".into(),
                source: Box::new(source),
            })?;
            names.extend(tape.op_names().into_iter().filter(|&name| name != "leaf"));
        }
        Ok(names)
    }
}

impl fmt::Debug for OpCheck<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpCheck")
            .field("name", &self.name)
            .field("arity", &self.arity)
            .field("cases", &self.cases())
            .field("broadcasting", &self.broadcasting)
            .field("domains", &self.domains)
            .field("second_order", &self.second_order)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What [`OpCheck::run`] checked: one passing [`Report`] per case and order.
#[derive(Clone, Debug, PartialEq)]
pub struct OpReport {
    /// The op's name.
    pub op: String,
    /// The reports, case by case, first order then second.
    pub reports: Vec<Report>,
}

impl fmt::Display for OpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.reports {
            write!(f, "{r}")?;
        }
        Ok(())
    }
}
