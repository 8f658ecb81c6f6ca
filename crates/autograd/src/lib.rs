//! # autograd: chainrule's tape
//!
//! Define-by-run reverse-mode automatic differentiation over n-dimensional `f32`/`f64`
//! tensors. Every op on a [`Var`] computes its value and appends a node to a [`Tape`]; the
//! gradient of any composition of ops is then derived by the chain rule, walking the tape
//! backwards ([`Var::backward`], [`grad`]). Backward rules are themselves written with ops, so
//! gradients can be differentiated again ([`GradOptions::create_graph`]).
//!
//! ```
//! use autograd::{Tape, Tensor};
//!
//! let tape = Tape::<f64>::new();
//! let w = tape.var(Tensor::from_vec(vec![0.5, -1.0], [2, 1]).unwrap());
//! let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2]).unwrap());
//! let loss = x.matmul(&w).unwrap().tanh().sum();
//! loss.backward().unwrap();
//! let dw = w.grad().unwrap(); // ∂loss/∂w, derived from the tape
//! assert_eq!(dw.dims(), &[2, 1]);
//! ```
//!
//! ## Custom activations and losses
//!
//! Compose ops and the gradient comes for free, at every order. When a hand-written backward is
//! wanted (speed, numerical care), implement [`CustomOp`]: forward on tensors, backward (the
//! vector-Jacobian product) with `Var` ops so it stays differentiable. Either way, [`gradcheck`]
//! and [`gradgradcheck`] check it against finite differences. Swish, `x·σ(x)`, both ways:
//!
//! ```
//! use autograd::{checkable, gradcheck, gradgradcheck, CustomOp, GradcheckOptions, Result, Tensor, Var};
//! use std::sync::Arc;
//!
//! // 1. By composition: no gradient code.
//! fn swish<'t>(x: &Var<'t, f64>) -> Result<Var<'t, f64>> {
//!     x.mul(&x.sigmoid())
//! }
//!
//! // 2. As a custom op: d/dx = σ(x) + x·σ(x)(1 − σ(x)).
//! struct Swish;
//! impl CustomOp<f64> for Swish {
//!     fn name(&self) -> &'static str { "swish" }
//!     fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>> {
//!         Ok(inputs[0].map(|x| x / (1.0 + (-x).exp())))
//!     }
//!     fn backward<'t>(&self, inputs: &[Var<'t, f64>], _out: &Var<'t, f64>, g: &Var<'t, f64>)
//!         -> Result<Vec<Option<Var<'t, f64>>>> {
//!         let (x, s) = (&inputs[0], inputs[0].sigmoid());
//!         let ds = s.mul(&s.neg().add_scalar(1.0))?;
//!         Ok(vec![Some(g.mul(&s.add(&x.mul(&ds)?)?)?)])
//!     }
//! }
//!
//! let x = [Tensor::from_vec(vec![-2.0, -0.5, 0.3, 1.7], [2, 2]).unwrap()];
//! let options = GradcheckOptions::default();
//! let op: Arc<dyn CustomOp<f64>> = Arc::new(Swish);
//! let composed = checkable(|v| swish(&v[0]));
//! let custom = checkable(|v| Var::apply_custom(&op, &[&v[0]]));
//! gradcheck(composed, &x, &options).unwrap();
//! gradgradcheck(composed, &x, &options).unwrap();
//! gradcheck(custom, &x, &options).unwrap();
//! gradgradcheck(custom, &x, &options).unwrap();
//! ```
//!
//! `examples/02_custom_activation.rs` runs the same checks and shows what a failing check prints;
//! `docs/gradcheck.md` explains the options (tolerances, fast mode, kinks).
//!
//! ## Axes
//!
//! Every op that takes an axis also takes a negative one, counted from the back
//! (`x.softmax(-1)`), and the reductions take one axis or several
//! (`x.logsumexp(&[0, -1], false)`): see [`Axis`]. `docs/derivatives.md` lists the conventions.
//!
//! ## PyTorch's calling conventions
//!
//! Where a PyTorch user reaches for a call, the same call exists with the same meaning, and
//! `tests/pytorch_parity.rs` compares values and gradients with PyTorch's:
//! [`Var::matmul`] follows `torch.matmul` (vector operands, batch axes that broadcast, the
//! gradient summed over them; `.mT` through [`Var::matmul_t`]); [`Var::gather`],
//! [`Var::scatter_add`], [`Var::index_select`] and [`Var::index_add`] move elements by
//! [`Indices`] as their namesakes, each differentiable (each pair is adjoint: one's backward is
//! the other); [`Tensor::argmax`], [`Tensor::argmin`] and [`Tensor::topk`] (also on a [`Var`])
//! return positions, [`Var::topk`]'s values differentiable through `gather`.
//!
//! ### One tie rule
//!
//! Among equal elements the first (lowest position) wins, as `torch.argmax` and NumPy; `topk`
//! lists tied elements in increasing position. NaN counts as larger than every number: `argmax`
//! and `argmin` both return a lane's first NaN (NaN propagates, as in [`Var::max_axes`] and as
//! PyTorch), and `topk` ranks NaN above every number in both directions, so the `k` smallest
//! skip NaNs while numbers remain (as `torch.topk`). `train::metrics` predicts with these, so
//! accuracy agrees with `argmax` everywhere. The one deliberate difference from PyTorch:
//! `torch.topk` leaves the order among ties unspecified (and `sorted=False` any order); here the
//! result is always sorted and ties always go by position, so `topk(1)` is always `argmax`.
//!
//! ## Beyond one gradient
//!
//! [`functional`] differentiates a function given as a closure: [`functional::vjp`],
//! [`functional::jvp`] (forward mode), Jacobians by rows or columns, Hessians and
//! Hessian-vector products, all nestable (`docs/functional.md`). Gradient hooks
//! ([`Var::register_hook`], [`Parameter::register_hook`]) look at or replace a gradient as the
//! backward pass carries it: per-layer gradient norms, clipping one layer, gradient reversal.
//! [`recompute`] drops a segment's intermediate values after the forward pass and computes them
//! again in backward (gradient checkpointing), with the plain path's gradients bit for bit.
//!
//! ## Layout
//!
//! Bottom up, each layer importing only from those below it (a test checks): `tensor.rs`,
//! `shape.rs` and `kernels/` (data and the loops over it); `tape.rs`, `var.rs`, `op.rs` and
//! `hook.rs` (recording, the table of primitives from which `enum Op` and the rest are
//! generated, gradient hooks); `rule/` (what a backward or forward-mode rule sees and is written
//! with); [`ops`] (one file per primitive: forward kernel, backward rule or derivative, JVP
//! rule, kinks, gradient-check rows); `backward.rs` and `forward.rs` (the reverse and forward
//! walks); `gradcheck/` (finite-difference checks), [`functional`] (vjp, jvp, Jacobians,
//! Hessians) and `recompute.rs` (gradient checkpointing). Also `inspect.rs` (listing, Graphviz)
//! and `error.rs`. `docs/architecture.md` has the recipe for adding a primitive.

mod axis;
mod backward;
mod error;
mod float;
mod forward;
pub mod functional;
mod gradcheck;
mod hook;
mod indices;
mod inspect;
mod kernels;
mod op;
mod operators;
pub mod ops;
pub mod parallel;
mod parameter;
mod ranking;
mod recompute;
mod rule;
mod shape;
mod tape;
mod tensor;
#[cfg(test)]
mod testing;
mod thread_bound;
mod var;

pub use axis::{Axes, Axis};
pub use backward::{grad, grad_with, GradOptions};
pub use error::{Error, ExternalError, Pass, Result, Site};
pub use float::{DType, Float};
pub use gradcheck::{
    checkable, gradcheck, gradcheck_outputs, gradcheck_params, gradgradcheck, gradgradcheck_outputs,
    gradgradcheck_params, jvpcheck, Domain, GradcheckError, GradcheckOptions, Kink, KinkPolicy, Mismatch, Mode,
    NamedParameter, OpCheck, OpReport, Probe, Report, Resampled,
};
pub use hook::HookHandle;
pub use indices::Indices;
pub use inspect::{BackwardTrace, Received, TraceEntry, TraceInput};
pub use op::{CustomOp, PRIMITIVES};
pub use ops::primitive_checks;
pub use parallel::{num_threads, set_num_threads};
pub use parameter::Parameter;
pub use recompute::recompute;
pub use shape::Shape;
pub use tape::Tape;
pub use tensor::Tensor;
pub use var::Var;
