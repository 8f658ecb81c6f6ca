//! # optim: chainrule's optimizers
mod adagrad;
mod adam;
mod adamw;
mod clip;
mod error;
mod optimizer;
mod rmsprop;
mod schedule;
mod sgd;
mod terms;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig};
pub use adamw::{AdamW, AdamWConfig};
pub use clip::{clip_grad_norm, clip_grad_value};
pub use error::{Error, Result};
pub use optimizer::{Optimizer, StateDict};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use schedule::{
    CosineAnnealingLr, ExponentialLr, LinearLr, LrScheduler, PlateauMode, ReduceLrOnPlateau, ReduceLrOnPlateauConfig,
    StepLr, ThresholdMode,
};
pub use sgd::{Sgd, SgdConfig};
