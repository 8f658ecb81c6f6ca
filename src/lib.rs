//! # chainrule
//!
//! Backpropagation as a derived result: every operation is recorded on a tape, and the
//! gradient of any composition of operations comes from walking that tape backwards with the
//! chain rule.
//!
//! This facade re-exports the workspace crates:
//!
//! - [`autograd`]: tensors, the tape, primitive ops with their backward rules, gradient checks.
//! - [`nn`]: modules with named parameters, layers, activations, dropout, losses, penalties,
//!   safetensors checkpoints.
//! - [`optim`]: SGD, momentum, Adagrad, RMSProp, Adam, AdamW, learning-rate schedules, clipping.
//! - [`train`]: data loading (IDX/MNIST) and seeded mini-batches.
//!
//! ```
//! use chainrule::autograd::{Tape, Tensor};
//!
//! let tape = Tape::<f64>::new();
//! let x = tape.var(Tensor::scalar(3.0));
//! let y = &x * &x; // y = x²
//! y.backward().unwrap();
//! assert_eq!(x.grad().unwrap().item(), 6.0);
//! ```

pub use autograd;
pub use nn;
pub use optim;
pub use train;

/// The README's code blocks, compiled and run as doc tests so the README cannot drift from the API.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
