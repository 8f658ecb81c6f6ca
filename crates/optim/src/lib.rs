//! # optim: chainrule's optimizers
mod adagrad;
mod adam;
mod adamw;
mod error;
mod optimizer;
mod rmsprop;
mod sgd;
mod terms;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig};
pub use adamw::{AdamW, AdamWConfig};
pub use error::{Error, Result};
pub use optimizer::{Optimizer, StateDict};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use sgd::{Sgd, SgdConfig};
