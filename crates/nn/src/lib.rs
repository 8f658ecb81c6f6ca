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
//! - [`Dropout`] with inverted or test-time scaling ([`DropoutScaling`]).
//! - [`penalty`]: L2 and L1 penalties as graph nodes, on the parameters passed to them
//!   ([`weight_matrices`] selects the usual ones).
//! - [`checkpoint`]: safetensors checkpoints with sections for optimizer state.
//!
//! Layers and activations (each activation is a function on values and a module; none has
//! gradient code, the tape derives it):
//!
//! | layer / activation | function | module | formula |
//! | --- | --- | --- | --- |
//! | fully connected | — | [`Linear`] ([`LinearConfig`]) | x·Wᵀ + b |
//! | maxout | [`maxout`] | [`Maxout`] ([`MaxoutConfig`]) | maxⱼ (wᵤⱼ·x + bᵤⱼ) |
//! | sigmoid | [`sigmoid`] | [`Sigmoid`] | 1 / (1 + e⁻ˣ) |
//! | tanh | [`tanh`] | [`Tanh`] | tanh x |
//! | ReLU | [`relu`] | [`Relu`] | max(0, x) |
//! | Leaky ReLU | [`leaky_relu`] | [`LeakyRelu`] | max(0, x) + s·min(0, x) |
//! | PReLU | [`prelu`] | [`PRelu`] | max(0, x) + a·min(0, x), `a` learned |
//! | SiLU (swish) | [`silu`] | [`Silu`] | x·σ(x) |
//! | Mish | [`mish`] | [`Mish`] | x·tanh(softplus(x)) |
//! | GELU (default: exact) | [`gelu`] | [`Gelu`] | x·Φ(x) = ½x(1 + erf(x/√2)) |
//! | GELU, tanh form | [`gelu`] | [`Gelu`] | ½x(1 + tanh(√(2/π)(x + 0.044715x³))) |
//! | softmax | [`softmax`] | [`Softmax`] | eˣⁱ / Σⱼ eˣʲ |
//! | log-softmax | [`log_softmax`] | [`LogSoftmax`] | xᵢ − log Σⱼ eˣʲ |
//!
//! [`GeluApproximation`] picks GELU's form, exact by default as in PyTorch. Conventions at kinks
//! are in [`activation`].
//!
//! Losses (details, weights and conventions in [`loss`]), each with [`Reduction`] mean, sum or
//! none:
//!
//! | loss | function | with options | PyTorch |
//! | --- | --- | --- | --- |
//! | cross-entropy, class indices | [`cross_entropy`] | [`CrossEntropyLoss`] (weight, ignore_index, label_smoothing) | `cross_entropy` |
//! | cross-entropy, probabilities | [`cross_entropy_soft`] | [`CrossEntropyLoss::forward_soft`] (weight, label_smoothing) | `cross_entropy` |
//! | negative log-likelihood | [`nll_loss`] | [`NllLoss`] (weight, ignore_index) | `nll_loss` |
//! | binary cross-entropy with logits | [`binary_cross_entropy_with_logits`] | [`BceWithLogitsLoss`] (weight, pos_weight) | `binary_cross_entropy_with_logits` |
//! | mean squared error | [`mse_loss`] | — | `mse_loss` |
//! | mean absolute error | [`l1_loss`] | — | `l1_loss` |
//! | Huber | [`huber_loss`] (δ) | — | `huber_loss` |
//! | smooth L1 | [`smooth_l1_loss`] (β) | — | `smooth_l1_loss` |
//! | KL divergence | [`kl_div`] | [`KlDivLoss`] (log_target; [`KlReduction::BatchMean`]) | `kl_div` |
//!
//! Errors name the user's call site: every entry point is `#[track_caller]` (see [`Error`]).
//!
//! Layout: `module.rs` (the [`Module`] trait, [`Sequential`]), `init.rs`, `linear.rs`,
//! `activation.rs`, `maxout.rs`, `dropout.rs`, `loss/` (one file per family), `penalty.rs`,
//! `recompute.rs` (recomputing a module's activations during backward), `checkpoint.rs`,
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
mod recompute;

pub use activation::{
    gelu, leaky_relu, log_softmax, mish, prelu, relu, sigmoid, silu, softmax, tanh, Gelu, GeluApproximation, LeakyRelu,
    LogSoftmax, Mish, PRelu, Relu, Sigmoid, Silu, Softmax, Tanh,
};
pub use checkpoint::Checkpoint;
pub use dropout::{dropout, Dropout, DropoutConfig, DropoutScaling};
pub use error::{Error, Result};
pub use init::{gain, FanMode, Init};
pub use linear::{Linear, LinearConfig};
pub use loss::{
    binary_cross_entropy_with_logits, cross_entropy, cross_entropy_soft, huber_loss, kl_div, l1_loss, mse_loss,
    nll_loss, smooth_l1_loss, BceWithLogitsLoss, CrossEntropyLoss, KlDivLoss, KlReduction, NllLoss, Reduction,
};
pub use maxout::{maxout, Maxout, MaxoutConfig};
pub use module::{without_grad, Module, ParamMap, Sequential, StateMap};
#[allow(deprecated)]
pub use penalty::weights;
pub use penalty::{l1_penalty, l2_penalty, weight_matrices};
pub use recompute::Recompute;
