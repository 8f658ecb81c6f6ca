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
//! Layout: `tensor.rs` (data), `tape.rs` (recording), `backward.rs` (the reverse walk),
//! `ops/` (one file per primitive: forward kernel + backward rule), `error.rs`.

mod backward;
mod error;
mod float;
mod gradcheck;
mod inspect;
mod operators;
mod ops;
mod parameter;
mod shape;
mod tape;
mod tensor;
mod var;

pub use backward::{grad, grad_with, GradOptions};
pub use error::{Error, Pass, Result, Site};
pub use float::Float;
pub use gradcheck::{
    checkable, gradcheck, gradcheck_params, gradgradcheck, Domain, GradcheckError, GradcheckOptions, Kink, KinkPolicy,
    Mismatch, Mode, OpCheck, OpReport, Probe, Report, Resampled,
};
pub use ops::CustomOp;
pub use parameter::Parameter;
pub use shape::Shape;
pub use tape::Tape;
pub use tensor::Tensor;
pub use var::Var;
