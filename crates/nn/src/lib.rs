//! # nn: neural networks on chainrule's tape
//!
//! Layers, activations, dropout, losses and penalties in which nothing hand-codes a gradient:
//! every forward is a composition of `autograd` ops, so the backward pass (and higher orders)
//! is derived by the tape.
//!
//! ```
//! use autograd::{Tape, Tensor};
//! use nn::{cross_entropy, LinearConfig, Module, Reduction, Relu, Sequential};
//! use rand::{rngs::StdRng, SeedableRng};
//!
//! let mut rng = StdRng::seed_from_u64(0);
//! let mlp = Sequential::<f32>::new()
//!     .push(LinearConfig::new(4, 16).init(&mut rng).unwrap())
//!     .push(Relu)
//!     .push(LinearConfig::new(16, 3).init(&mut rng).unwrap());
//!
//! let tape = Tape::new();
//! let x = tape.constant(Tensor::rand_normal([8, 4], 0.0, 1.0, &mut rng));
//! let loss = cross_entropy(&mlp.forward(&x).unwrap(), &[0, 1, 2, 0, 1, 2, 0, 1], Reduction::Mean).unwrap();
//! loss.backward().unwrap();
//! // Every parameter's gradient buffer is filled by the backward pass.
//! assert!(nn::without_grad(&mlp.named_parameters()).is_empty());
//! ```
//!
//! ## Parameters and their gradients
//!
//! A parameter is an [`autograd::Parameter`]: a persistent tensor shared by handle, with a
//! gradient buffer. A forward pass puts it on the current tape with `tape.param(&p)`; backward
//! adds ∂loss/∂p into `p.grad()`; an optimizer reads the buffer, updates the value and clears
//! it. A parameter whose buffer is still empty after backward took no part in the loss:
//! [`without_grad`] lists them, and optimizers refuse to step past one unless it is frozen.
//!
//! ## Contents
//!
//! - [`Module`], [`Sequential`], [`ParamMap`], [`StateMap`], [`without_grad`]: composing
//!   layers, naming parameters and state, train/eval mode.
//! - [`Linear`] with [`LinearConfig`]; initialization schemes in [`init`] (Xavier/Glorot,
//!   He/Kaiming, uniform and normal, seeded).
//! - [`activation`]: sigmoid, tanh, ReLU, Leaky ReLU, PReLU, softmax, log-softmax, as functions
//!   and as modules; [`maxout`] and [`Maxout`].
//! - [`Dropout`] with inverted or test-time scaling ([`DropoutScaling`]).
//! - [`loss`]: cross-entropy (class indices or probabilities), NLL, binary cross-entropy with
//!   logits, MSE, each with [`Reduction`] mean, sum or none.
//! - [`penalty`]: L2 and L1 penalties as graph nodes.
//! - [`checkpoint`]: safetensors checkpoints with sections for optimizer state.
//!
//! Layout: `module.rs` (the [`Module`] trait, [`Sequential`]), `init.rs`, `linear.rs`,
//! `activation.rs`, `maxout.rs`, `dropout.rs`, `loss.rs`, `penalty.rs`, `checkpoint.rs`,
//! `error.rs`.

pub mod activation;
pub mod checkpoint;
mod dropout;
mod error;
pub mod init;
mod linear;
pub mod loss;
mod maxout;
mod module;
pub mod penalty;

pub use activation::{
    leaky_relu, log_softmax, prelu, relu, sigmoid, softmax, tanh, LeakyRelu, LogSoftmax, PRelu, Relu, Sigmoid, Softmax,
    Tanh,
};
pub use checkpoint::Checkpoint;
pub use dropout::{dropout, Dropout, DropoutConfig, DropoutScaling};
pub use error::{Error, Result};
pub use init::{gain, FanMode, Init};
pub use linear::{Linear, LinearConfig};
pub use loss::{binary_cross_entropy_with_logits, cross_entropy, cross_entropy_soft, mse_loss, nll_loss, Reduction};
pub use maxout::{maxout, Maxout, MaxoutConfig};
pub use module::{without_grad, Module, ParamMap, Sequential, StateMap};
pub use penalty::{l1_penalty, l2_penalty, weights};
