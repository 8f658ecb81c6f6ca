//! The crate's one error type.
//!
//! Policy: everything a user can get wrong — a bad hyper-parameter, a parameter that received no
//! gradient, a gradient of the wrong shape, a state dict that does not fit the optimizer — is an
//! [`Error`] returned through `Result`, and the message names the optimizer (or schedule), the
//! parameter and the values involved. Hyper-parameters are checked once, at construction, as
//! PyTorch checks them, plus one rule PyTorch lacks: NaN is rejected everywhere, and ±∞ everywhere
//! but in `clip_grad_norm`'s `max_norm` (where +∞ means "only measure the norm", as in PyTorch).

use autograd::Shape;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `optim`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// A hyper-parameter outside its valid range (or NaN, or infinite).
    #[error("invalid {name} for {owner}: {value} (must be {requirement})")]
    InvalidHyperParameter {
        /// The optimizer, schedule or function (`"SGD"`, `"StepLR"`, `"clip_grad_norm"`, …).
        owner: &'static str,
        /// The hyper-parameter, spelled as in PyTorch (`"lr"`, `"betas[0]"`, …).
        name: &'static str,
        /// The offending value.
        value: f64,
        /// The valid range, in words (`"finite and >= 0"`).
        requirement: &'static str,
    },
    /// SGD's `nesterov = true` without momentum or with dampening (PyTorch's rule).
    #[error(
        "invalid options for SGD: Nesterov momentum requires a momentum > 0 and zero dampening \
         (got momentum {momentum}, dampening {dampening})"
    )]
    Nesterov {
        /// The configured momentum.
        momentum: f64,
        /// The configured dampening.
        dampening: f64,
    },
    /// The optimizer was given no parameters.
    #[error("{optimizer} got an empty parameter list")]
    NoParameters {
        /// The optimizer.
        optimizer: &'static str,
    },
    /// Two parameters share a name, or one parameter appears under two names (it would be
    /// updated twice per step).
    #[error("{optimizer}: {what}")]
    DuplicateParameter {
        /// The optimizer.
        optimizer: &'static str,
        /// Which names collide.
        what: String,
    },
    /// `step` found trainable parameters without a gradient. Nothing was updated.
    #[error(
        "{optimizer}.step(): no gradient for parameter(s) {}; run backward on a loss that uses \
         them first, or freeze them with `set_requires_grad(false)`",
        names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    )]
    MissingGradient {
        /// The optimizer.
        optimizer: &'static str,
        /// Every trainable parameter that had no gradient, in order.
        names: Vec<String>,
    },
    /// A gradient whose shape differs from its parameter's. Nothing was updated.
    #[error("{optimizer}.step(): gradient of parameter `{name}` has shape {grad}, the parameter has shape {param}")]
    GradientShape {
        /// The optimizer.
        optimizer: &'static str,
        /// The parameter.
        name: String,
        /// The parameter's shape.
        param: Shape,
        /// The gradient's shape.
        grad: Shape,
    },
    /// A parameter whose value was replaced by one of another shape after the optimizer's first
    /// step: its state no longer fits. Nothing was updated.
    #[error(
        "{optimizer}.step(): parameter `{name}` has shape {param}, its optimizer state has shape {state} \
         (was the value replaced after the optimizer's first step?)"
    )]
    StateShape {
        /// The optimizer.
        optimizer: &'static str,
        /// The parameter.
        name: String,
        /// The parameter's shape.
        param: Shape,
        /// The state buffers' shape.
        state: Shape,
    },
    /// A state dict lacks an entry this optimizer (or schedule) needs. Nothing was loaded.
    #[error("{owner}.load_state_dict(): missing entry `{key}`")]
    MissingState {
        /// The optimizer or schedule.
        owner: &'static str,
        /// The missing key.
        key: String,
    },
    /// A state dict has an entry this optimizer (or schedule) does not use: another parameter's
    /// name, or a buffer of a different configuration (e.g. `max_exp_avg_sq` without amsgrad).
    /// Nothing was loaded.
    #[error("{owner}.load_state_dict(): unexpected entry `{key}` (this {owner} has no parameter, buffer or counter of that name)")]
    UnexpectedState {
        /// The optimizer or schedule.
        owner: &'static str,
        /// The unused key.
        key: String,
    },
    /// A state dict entry of the wrong shape or with an invalid value. Nothing was loaded.
    #[error("{owner}.load_state_dict(): entry `{key}` {msg}")]
    InvalidState {
        /// The optimizer or schedule.
        owner: &'static str,
        /// The entry.
        key: String,
        /// What is wrong with it, with the values involved.
        msg: String,
    },
    /// `clip_grad_norm` with `error_if_nonfinite` found a NaN or infinite total norm.
    #[error("clip_grad_norm: the total norm of order {norm_type} of the gradients is {total}; nothing was clipped")]
    NonFiniteNorm {
        /// The norm's order.
        norm_type: f64,
        /// The total norm.
        total: f64,
    },
}

/// Checks `value >= 0` and finite.
pub(crate) fn non_negative(owner: &'static str, name: &'static str, value: f64) -> Result<()> {
    check(owner, name, value, value.is_finite() && value >= 0.0, "finite and >= 0")
}

/// Checks `0 <= value < 1`.
pub(crate) fn unit_interval(owner: &'static str, name: &'static str, value: f64) -> Result<()> {
    check(owner, name, value, (0.0..1.0).contains(&value), "in [0, 1)")
}

/// Returns [`Error::InvalidHyperParameter`] unless `ok`.
pub(crate) fn check(
    owner: &'static str,
    name: &'static str,
    value: f64,
    ok: bool,
    requirement: &'static str,
) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidHyperParameter { owner, name, value, requirement })
    }
}
