//! # optim: chainrule's optimizers
//!
//! The optimizers consume the gradients that the autograd tape left in each
//! [`Parameter`](autograd::Parameter) and update the parameters, step for step as PyTorch's
//! `torch.optim` does (the tests compare 40-step trajectories with PyTorch's to 1e-6 in `f64`;
//! they agree to 1e-12):
//!
//! | optimizer | PyTorch | file |
//! |---|---|---|
//! | [`Sgd`] (momentum, dampening, Nesterov, weight decay) | `SGD` | `sgd.rs` |
//! | [`Adagrad`] (lr decay, initial accumulator) | `Adagrad` | `adagrad.rs` |
//! | [`RmsProp`] (centered, momentum) | `RMSprop` | `rmsprop.rs` |
//! | [`Adam`] (AMSGrad, L2 weight decay) | `Adam` | `adam.rs` |
//! | [`AdamW`] (decoupled weight decay) | `AdamW` | `adamw.rs` |
//! | [`Adamax`] (infinity norm) | `Adamax` | `adamax.rs` |
//! | [`NAdam`] (Nesterov momentum, momentum decay, decoupled weight decay) | `NAdam` | `nadam.rs` |
//! | [`RAdam`] (rectified adaptive rate, decoupled weight decay) | `RAdam` | `radam.rs` |
//!
//! Each optimizer is one short file whose doc comment gives its update rule; the shared pieces
//! (weight decay, momentum, moving averages) live in `terms.rs`, the bookkeeping (named
//! parameters, per-parameter state, checkpoints) in `optimizer.rs`. Every option's default is
//! PyTorch's, and a bad hyper-parameter is an [`Error`] at construction.
//!
//! Around them: learning-rate schedules, all behind the [`LrScheduler`] trait (sequences
//! compared with PyTorch's to 1e-12, on two parameter groups), gradient clipping
//! ([`clip_grad_norm`], [`clip_grad_value`]) and checkpoints ([`Optimizer::state_dict`],
//! [`Optimizer::load_state_dict`], [`LrScheduler::state_dict`]):
//!
//! | schedule | PyTorch | file |
//! |---|---|---|
//! | [`StepLr`], [`MultiStepLr`] | `StepLR`, `MultiStepLR` | `schedule/step.rs` |
//! | [`ExponentialLr`] | `ExponentialLR` | `schedule/exponential.rs` |
//! | [`CosineAnnealingLr`], [`CosineAnnealingWarmRestarts`] (also at fractional epochs) | `CosineAnnealingLR`, `CosineAnnealingWarmRestarts` | `schedule/cosine.rs` |
//! | [`LinearLr`] (warm-up) | `LinearLR` | `schedule/linear.rs` |
//! | [`OneCycleLr`] (cycles momentum or β₁ too) | `OneCycleLR` | `schedule/one_cycle.rs` |
//! | [`ReduceLrOnPlateau`] | `ReduceLROnPlateau` | `schedule/plateau.rs` |
//!
//! Parameters are given as `(name, parameter)` pairs (a model's `named_parameters()`); state is
//! kept and saved by name. [`Optimizer::step`] consumes the gradients, and a trainable parameter
//! without one is an error naming it (see [`Optimizer`]). As in PyTorch, parameters can be split
//! into groups with their own options — typically no weight decay on biases — with
//! `add_param_group`; schedules act on every group. Errors name the user's call site.
//!
//! ```
//! use autograd::{Parameter, Tensor};
//! use optim::{AdamW, AdamWConfig, Optimizer};
//!
//! let weight = Parameter::new(Tensor::<f32>::zeros([4, 3]));
//! let bias = Parameter::new(Tensor::<f32>::zeros([4]));
//! let config = AdamWConfig { lr: 1e-3, weight_decay: 0.05, ..Default::default() };
//! let mut opt = AdamW::new([("weight", &weight)], config)?;
//! opt.add_param_group([("bias", &bias)], AdamWConfig { weight_decay: 0.0, ..config })?;
//! assert_eq!(opt.group_count(), 2);
//! assert_eq!(opt.group_config(1).unwrap().weight_decay, 0.0);
//! # Ok::<(), optim::Error>(())
//! ```
//!
//! # Where optim differs from PyTorch, on purpose
//! - Gradients are consumed by `step`, and a trainable parameter without one is an error
//!   (PyTorch skips it); see [`Optimizer`].
//! - NaN and ∞ are rejected in every hyper-parameter, and so is a value that overflows the
//!   parameters' element type (`lr = 1e300` for `f32`); a rate or momentum set after
//!   construction is rounded to the element type, so it survives a checkpoint bit for bit.
//! - A schedule that keeps a base rate per group refuses an optimizer whose number of groups
//!   changed since ([`Error::GroupCount`]); PyTorch leaves the extra groups unscheduled.
//! - [`OneCycleLr`]'s last allowed step holds the final rate, where PyTorch extrapolates past it
//!   (to a negative rate with linear annealing); a `pct_start` that leaves a phase without steps
//!   is an error at construction, not a division by zero mid-run.
//! - [`MultiStepLr`] rejects a milestone at epoch 0 (PyTorch applies it at construction).
//! - A schedule built on an optimizer starts from the rates the groups have *then*; PyTorch
//!   starts from the rates the first schedule saw (its `initial_lr`), which can differ when schedules
//!   are chained by hand.
//! - [`ReduceLrOnPlateau`]'s `min_lr` and [`OneCycleLr`]'s momenta are one value for every group
//!   (PyTorch also takes one per group); [`OneCycleLr::with_max_lrs`] takes a peak rate per group.
//!
//! ```
//! use autograd::{Parameter, Tape, Tensor};
//! use optim::{Adam, AdamConfig, CosineAnnealingLr, LrScheduler, Optimizer};
//!
//! // Fit y = 2x + 1 with two parameters.
//! let w = Parameter::new(Tensor::<f64>::scalar(0.0));
//! let b = Parameter::new(Tensor::<f64>::scalar(0.0));
//! let mut opt = Adam::new([("w", &w), ("b", &b)], AdamConfig { lr: 0.2, ..Default::default() })?;
//! let mut schedule = CosineAnnealingLr::new(&opt, 300, 1e-3)?;
//! let xs = Tensor::vector(&[0.0, 1.0, 2.0, 3.0]);
//! let ys = Tensor::vector(&[1.0, 3.0, 5.0, 7.0]);
//! for _epoch in 0..300 {
//!     let tape = Tape::new();
//!     let (wv, bv) = (tape.param(&w), tape.param(&b));
//!     let pred = &(&tape.constant(xs.clone()) * &wv) + &bv;
//!     let err = &pred - &tape.constant(ys.clone());
//!     (&err * &err).mean().backward()?;
//!     opt.step()?; // consumes the gradients: no zero_grad needed
//!     schedule.step(&mut opt)?;
//! }
//! assert!((w.value().item() - 2.0).abs() < 1e-3 && (b.value().item() - 1.0).abs() < 1e-3);
//!
//! // Checkpoint: named tensors ("lr", "w.step", "w.exp_avg", "w.exp_avg_sq", …).
//! let state = opt.state_dict();
//! assert!(state.contains_key("w.exp_avg"));
//! let mut resumed = Adam::new([("w", &w), ("b", &b)], AdamConfig { lr: 0.2, ..Default::default() })?;
//! resumed.load_state_dict(&state)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod adagrad;
mod adam;
mod adamax;
mod adamw;
mod clip;
mod error;
mod nadam;
mod optimizer;
mod radam;
mod rmsprop;
mod schedule;
mod sgd;
mod terms;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig};
pub use adamax::{Adamax, AdamaxConfig};
pub use adamw::{AdamW, AdamWConfig};
pub use clip::{clip_grad_norm, clip_grad_value};
pub use error::{Error, Result};
pub use nadam::{NAdam, NAdamConfig};
pub use optimizer::{Optimizer, StateDict};
pub use radam::{RAdam, RAdamConfig};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use schedule::{
    Anneal, CosineAnnealingLr, CosineAnnealingWarmRestarts, ExponentialLr, LinearLr, LrScheduler, MultiStepLr,
    OneCycleLr, OneCycleLrConfig, PlateauMode, ReduceLrOnPlateau, ReduceLrOnPlateauConfig, ScheduleState, StepLr,
    ThresholdMode,
};
pub use sgd::{Sgd, SgdConfig};
