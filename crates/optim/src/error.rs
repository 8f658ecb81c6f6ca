//! The crate's one error type.
//!
//! Policy: everything a user can get wrong — a bad hyper-parameter, a parameter that received no
//! gradient, a gradient of the wrong shape, a state dict that does not fit the optimizer — is an
//! [`Error`] returned through `Result`, and the message names the optimizer (or schedule), the
//! parameter and the values involved, and ends with the user's call site (captured with
//! `#[track_caller]` at every public entry point, as in `autograd`). Hyper-parameters are checked
//! once, at construction, as PyTorch checks them, plus two rules PyTorch lacks: NaN is rejected
//! everywhere, and ±∞ everywhere but in `clip_grad_norm`'s `max_norm` (where +∞ means "only
//! measure the norm", as in PyTorch); and a value that overflows the parameters' element type
//! (`lr = 1e300` for `f32` parameters) is rejected instead of becoming ∞.

pub use autograd::Site;
use autograd::{Float, Shape};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `optim`. Every variant carries the user's call site.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// A hyper-parameter outside its valid range (or NaN, or infinite).
    #[error("invalid {name} for {owner}: {} (must be {requirement}) (at {site})", number(*.value))]
    InvalidHyperParameter {
        /// The optimizer, schedule or function (`"SGD"`, `"StepLR"`, `"clip_grad_norm"`, …).
        owner: &'static str,
        /// The hyper-parameter, spelled as in PyTorch (`"lr"`, `"betas[0]"`, …).
        name: &'static str,
        /// The offending value.
        value: f64,
        /// The valid range, in words (`"finite and >= 0"`).
        requirement: &'static str,
        /// The user's call site.
        site: Site,
    },
    /// A hyper-parameter that is valid as an `f64` but overflows the parameters' element type
    /// (it would become ∞ there).
    #[error("invalid {name} for {owner}: {} overflows the parameters' element type {dtype} (at {site})", number(*.value))]
    Overflow {
        /// The optimizer or function.
        owner: &'static str,
        /// The hyper-parameter.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// The element type (`"f32"`).
        dtype: &'static str,
        /// The user's call site.
        site: Site,
    },
    /// SGD's `nesterov = true` without momentum or with dampening (PyTorch's rule).
    #[error(
        "invalid options for SGD: Nesterov momentum requires a momentum > 0 and zero dampening \
         (got momentum {momentum}, dampening {dampening}) (at {site})"
    )]
    Nesterov {
        /// The configured momentum.
        momentum: f64,
        /// The configured dampening.
        dampening: f64,
        /// The user's call site.
        site: Site,
    },
    /// The optimizer was given no parameters.
    #[error("{optimizer} got an empty parameter list (at {site})")]
    NoParameters {
        /// The optimizer.
        optimizer: &'static str,
        /// The user's call site.
        site: Site,
    },
    /// Two parameters share a name, or one parameter appears under two names (it would be
    /// updated twice per step), within a group or across groups.
    #[error("{optimizer}: {what} (at {site})")]
    DuplicateParameter {
        /// The optimizer.
        optimizer: &'static str,
        /// Which names collide.
        what: String,
        /// The user's call site.
        site: Site,
    },
    /// A parameter group index past the optimizer's groups.
    #[error("{optimizer}: no parameter group {group} (it has {groups}) (at {site})")]
    NoSuchGroup {
        /// The optimizer.
        optimizer: &'static str,
        /// The requested group.
        group: usize,
        /// How many groups the optimizer has.
        groups: usize,
        /// The user's call site.
        site: Site,
    },
    /// A momentum was set on (or a schedule that cycles momentum was built for) an optimizer
    /// that has neither a momentum nor betas (Adagrad).
    #[error(
        "{owner}: {optimizer} has no momentum or betas[0] to set (use an optimizer with momentum, \
         or turn momentum cycling off) (at {site})"
    )]
    NoMomentum {
        /// The optimizer or schedule that tried.
        owner: &'static str,
        /// The optimizer.
        optimizer: &'static str,
        /// The user's call site.
        site: Site,
    },
    /// A schedule stepped with an optimizer whose number of parameter groups differs from the
    /// one it was built for (it keeps a base rate per group). Nothing was changed.
    #[error(
        "{owner}.step(): the schedule was built for {expected} parameter group(s), the optimizer has {got} \
         (build the schedule after adding the groups) (at {site})"
    )]
    GroupCount {
        /// The schedule.
        owner: &'static str,
        /// The groups it was built for.
        expected: usize,
        /// The optimizer's groups.
        got: usize,
        /// The user's call site.
        site: Site,
    },
    /// A schedule stepped more often than it was built for (OneCycleLR's `total_steps`).
    /// Nothing was changed.
    #[error("{owner}.step(): tried to step {step} times; the schedule was built for {total_steps} steps (at {site})")]
    ScheduleExhausted {
        /// The schedule.
        owner: &'static str,
        /// The step that was attempted.
        step: usize,
        /// The schedule's total number of steps.
        total_steps: usize,
        /// The user's call site.
        site: Site,
    },
    /// A metric-driven schedule (ReduceLROnPlateau) stepped without a metric for the epoch.
    /// Nothing was changed.
    #[error(
        "{owner}.step(): no metric for this epoch; pass it to `observe` before stepping through \
         the LrScheduler trait (at {site})"
    )]
    MissingMetric {
        /// The schedule.
        owner: &'static str,
        /// The user's call site.
        site: Site,
    },
    /// `step` found trainable parameters without a gradient. Nothing was updated.
    #[error(
        "{optimizer}.step(): no gradient for parameter(s) {}; run backward on a loss that uses \
         them first, or freeze them with `set_requires_grad(false)` (at {site})",
        names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    )]
    MissingGradient {
        /// The optimizer.
        optimizer: &'static str,
        /// Every trainable parameter that had no gradient, in order.
        names: Vec<String>,
        /// The user's call site.
        site: Site,
    },
    /// A gradient whose shape differs from its parameter's. Nothing was updated.
    #[error(
        "{optimizer}.step(): gradient of parameter `{name}` has shape {grad}, the parameter has shape {param} \
         (at {site})"
    )]
    GradientShape {
        /// The optimizer.
        optimizer: &'static str,
        /// The parameter.
        name: Box<str>,
        /// The parameter's shape.
        param: Shape,
        /// The gradient's shape.
        grad: Shape,
        /// The user's call site.
        site: Site,
    },
    /// A parameter whose value was replaced by one of another shape after the optimizer's first
    /// step: its state no longer fits. Nothing was updated.
    #[error(
        "{optimizer}.step(): parameter `{name}` has shape {param}, its optimizer state has shape {state} \
         (was the value replaced after the optimizer's first step?) (at {site})"
    )]
    StateShape {
        /// The optimizer.
        optimizer: &'static str,
        /// The parameter.
        name: Box<str>,
        /// The parameter's shape.
        param: Shape,
        /// The state buffers' shape.
        state: Shape,
        /// The user's call site.
        site: Site,
    },
    /// A state dict lacks an entry this optimizer (or schedule) needs. Nothing was loaded.
    #[error("{owner}.load_state_dict(): missing entry `{key}` (at {site})")]
    MissingState {
        /// The optimizer or schedule.
        owner: &'static str,
        /// The missing key.
        key: String,
        /// The user's call site.
        site: Site,
    },
    /// A state dict has an entry this optimizer (or schedule) does not use: another parameter's
    /// name, or a buffer of a different configuration (e.g. `max_exp_avg_sq` without amsgrad).
    /// Nothing was loaded.
    #[error(
        "{owner}.load_state_dict(): unexpected entry `{key}` (this {owner} has no parameter, buffer or counter \
         of that name) (at {site})"
    )]
    UnexpectedState {
        /// The optimizer or schedule.
        owner: &'static str,
        /// The unused key.
        key: String,
        /// The user's call site.
        site: Site,
    },
    /// A state dict entry of the wrong shape or with an invalid value. Nothing was loaded.
    #[error("{owner}.load_state_dict(): entry `{key}` {msg} (at {site})")]
    InvalidState {
        /// The optimizer or schedule.
        owner: &'static str,
        /// The entry.
        key: String,
        /// What is wrong with it, with the values involved.
        msg: String,
        /// The user's call site.
        site: Site,
    },
    /// `clip_grad_norm` with `error_if_nonfinite` found a NaN or infinite total norm.
    #[error("clip_grad_norm: the total norm of order {norm_type} of the gradients is {total}; nothing was clipped (at {site})")]
    NonFiniteNorm {
        /// The norm's order.
        norm_type: f64,
        /// The total norm.
        total: f64,
        /// The user's call site.
        site: Site,
    },
}

impl Error {
    /// The user's call site the error was raised at.
    pub fn site(&self) -> Site {
        match self {
            Error::InvalidHyperParameter { site, .. }
            | Error::Overflow { site, .. }
            | Error::Nesterov { site, .. }
            | Error::NoParameters { site, .. }
            | Error::DuplicateParameter { site, .. }
            | Error::NoSuchGroup { site, .. }
            | Error::NoMomentum { site, .. }
            | Error::GroupCount { site, .. }
            | Error::ScheduleExhausted { site, .. }
            | Error::MissingMetric { site, .. }
            | Error::MissingGradient { site, .. }
            | Error::GradientShape { site, .. }
            | Error::StateShape { site, .. }
            | Error::MissingState { site, .. }
            | Error::UnexpectedState { site, .. }
            | Error::InvalidState { site, .. }
            | Error::NonFiniteNorm { site, .. } => *site,
        }
    }
}

/// A number for a message: as Rust prints it, but in scientific notation when it is huge
/// (`1e300`, not three hundred digits).
fn number(v: f64) -> String {
    if v.abs() >= 1e16 && v.is_finite() {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

/// Checks `value >= 0` and finite.
pub(crate) fn non_negative(owner: &'static str, name: &'static str, value: f64, site: Site) -> Result<()> {
    check(owner, name, value, value.is_finite() && value >= 0.0, "finite and >= 0", site)
}

/// Checks `value >= 0` and finite, in `f64` and after conversion to the element type `T`.
pub(crate) fn non_negative_in<T: Float>(owner: &'static str, name: &'static str, value: f64, site: Site) -> Result<()> {
    non_negative(owner, name, value, site)?;
    fits::<T>(owner, name, value, site)
}

/// Checks that a finite `value` stays finite in the element type `T`.
pub(crate) fn fits<T: Float>(owner: &'static str, name: &'static str, value: f64, site: Site) -> Result<()> {
    if T::from_f64(value).is_finite() {
        Ok(())
    } else {
        Err(Error::Overflow { owner, name, value, dtype: std::any::type_name::<T>(), site })
    }
}

/// Checks `0 <= value < 1`.
pub(crate) fn unit_interval(owner: &'static str, name: &'static str, value: f64, site: Site) -> Result<()> {
    check(owner, name, value, (0.0..1.0).contains(&value), "in [0, 1)", site)
}

/// Returns [`Error::InvalidHyperParameter`] unless `ok`.
pub(crate) fn check(
    owner: &'static str,
    name: &'static str,
    value: f64,
    ok: bool,
    requirement: &'static str,
    site: Site,
) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidHyperParameter { owner, name, value, requirement, site })
    }
}
