//! The crate's one error type.
//!
//! Policy, as in `autograd`: anything a user can get wrong (a layer size of zero, a dropout
//! probability outside [0, 1], a label out of range, a checkpoint that does not match the model
//! or is not a safetensors file) is an [`Error`] returned through `Result`, naming the layer,
//! loss, parameter or file involved. Errors from the tape pass through unchanged as
//! [`Error::Autograd`]. Internal invariants use `expect("why this cannot fail")`.
//!
//! Errors a call can raise name the user's call site (`at src/main.rs:12:5`), as autograd's do:
//! every public entry point (a layer's `forward`, a loss, an activation, a penalty, a config's
//! `init`) is `#[track_caller]`, and so is every function between it and the op or check that
//! fails, so the location captured there is the user's line, not one inside `nn`. The same holds
//! for the call sites autograd records on the tape (listings, anomaly mode).

use autograd::{Shape, Site};
use std::path::PathBuf;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `nn`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An op on the tape failed (shapes, axes, a freed graph, …).
    #[error(transparent)]
    Autograd(#[from] autograd::Error),

    /// A configuration value is out of its valid range.
    #[error("invalid {what}: {msg} (at {site})")]
    InvalidConfig {
        /// The layer, loss or setting (`"Linear"`, `"Dropout"`, `"l2_penalty"`, …).
        what: &'static str,
        /// What is wrong, with the value.
        msg: String,
        /// The user's call site.
        site: Site,
    },

    /// A layer received an input of the wrong shape.
    #[error("{layer} expects input of shape {expected}, got {got} (at {site})")]
    InputShape {
        /// The layer's name.
        layer: &'static str,
        /// The expected shape, `N` and `…` standing for any size.
        expected: String,
        /// The input's shape.
        got: Shape,
        /// The user's call site.
        site: Site,
    },

    /// A class label is not a valid class index.
    #[error("{loss}: label {label} of sample {sample} is out of range for {classes} classes (at {site})")]
    LabelOutOfRange {
        /// The loss's name.
        loss: &'static str,
        /// The sample's position in the batch.
        sample: usize,
        /// The offending label.
        label: usize,
        /// The number of classes (the size of the class axis).
        classes: usize,
        /// The user's call site.
        site: Site,
    },

    /// The number of labels differs from the batch size.
    #[error("{loss}: {labels} labels for a batch of {batch} samples (at {site})")]
    LabelCount {
        /// The loss's name.
        loss: &'static str,
        /// The number of labels given.
        labels: usize,
        /// The batch size (the first axis of the input).
        batch: usize,
        /// The user's call site.
        site: Site,
    },

    /// A target value outside the loss's domain (a negative probability in `kl_div`).
    #[error("{loss}: {msg} (at {site})")]
    InvalidTarget {
        /// The loss's name.
        loss: &'static str,
        /// What is wrong, with the value and its position.
        msg: String,
        /// The user's call site.
        site: Site,
    },

    /// A mean over targets whose weights sum to zero: an empty batch, every target equal to
    /// `ignore_index`, or class weights of the targets that sum to 0. PyTorch returns NaN
    /// (0 / 0) here, which would silently poison every parameter the gradient reaches.
    #[error(
        "{loss}: Reduction::Mean divides by the total weight of the targets, which is 0 \
         (no targets, every target ignored, or class weights summing to 0) (at {site})"
    )]
    ZeroTotalWeight {
        /// The loss's name.
        loss: &'static str,
        /// The user's call site.
        site: Site,
    },

    /// Reading or writing a checkpoint file failed.
    #[error("checkpoint {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A file is not a valid safetensors file (truncated, bad header, …).
    #[error("checkpoint {} is not a valid safetensors file: {msg}", path.display())]
    CorruptCheckpoint {
        /// The file.
        path: PathBuf,
        /// What the parser reported.
        msg: String,
    },

    /// A model parameter has no tensor in the checkpoint.
    #[error("checkpoint {} has no tensor for parameter {name:?}", path.display())]
    MissingTensor {
        /// The parameter's name.
        name: String,
        /// The file.
        path: PathBuf,
    },

    /// The checkpoint holds a tensor that is neither a model parameter nor in a declared section.
    #[error(
        "checkpoint {} holds tensor {name:?}, which is not a parameter of the model \
         (nor in a section such as \"optim.\")",
        path.display()
    )]
    UnexpectedTensor {
        /// The tensor's name.
        name: String,
        /// The file.
        path: PathBuf,
    },

    /// A checkpoint tensor's shape differs from its parameter's.
    #[error("checkpoint {}: parameter {name:?} has shape {expected:?} in the model but {found:?} in the file", path.display())]
    ParameterShape {
        /// The parameter's name.
        name: String,
        /// The shape in the model.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
        /// The file.
        path: PathBuf,
    },

    /// Saved module state ([`Module::load_state`](crate::Module::load_state)) that does not fit
    /// the module: a word missing from it, or one the module does not have.
    #[error("module state {name:?} {problem}")]
    ModuleState {
        /// The word's hierarchical name (`"1.counter"`).
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },

    /// A checkpoint tensor's element type differs from the model's.
    #[error("checkpoint {}: tensor {name:?} has dtype {found}, expected {expected}", path.display())]
    Dtype {
        /// The tensor's name.
        name: String,
        /// The element type the model uses (`"F32"`, `"F64"`).
        expected: &'static str,
        /// The element type in the file.
        found: String,
        /// The file.
        path: PathBuf,
    },
}

impl Error {
    /// Builds an [`Error::InvalidConfig`] naming the caller's call site (the user's, when every
    /// function on the way is `#[track_caller]`).
    #[track_caller]
    pub(crate) fn config(what: &'static str, msg: impl Into<String>) -> Self {
        Error::config_at(what, msg, Site::caller())
    }

    /// Builds an [`Error::InvalidConfig`] naming `site`.
    pub(crate) fn config_at(what: &'static str, msg: impl Into<String>, site: Site) -> Self {
        Error::InvalidConfig { what, msg: msg.into(), site }
    }
}

/// So that `?` works inside functions that autograd calls and that return its `Result` (the
/// closures of `gradcheck`, `gradcheck_params`, `functional::jacrev`, …): a tape error goes back
/// to itself, any other is kept whole as [`autograd::Error::External`].
impl From<Error> for autograd::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Autograd(e) => e,
            other => autograd::Error::external(other),
        }
    }
}
