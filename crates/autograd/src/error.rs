//! The crate's one error type.
//!
//! Policy: anything a user can get wrong (shapes, axes, indices, a freed graph, a NaN in
//! anomaly mode) is an [`Error`] returned through `Result`. Operator sugar (`&a + &b`) cannot
//! return a `Result`, so it panics with the same message. Internal invariants that no input can
//! break use `expect("why this cannot fail")`.

use crate::Shape;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in the user's code an op was called (captured with `#[track_caller]`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Site(pub &'static Location<'static>);

impl Site {
    /// The caller of the current `#[track_caller]` function.
    #[track_caller]
    #[inline]
    pub fn caller() -> Self {
        Site(Location::caller())
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.0.file(), self.0.line(), self.0.column())
    }
}

impl fmt::Debug for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Which pass of an op produced a non-finite value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// The op's output.
    Forward,
    /// A gradient the op's backward rule returned.
    Backward,
    /// A tangent the op's forward-mode rule returned.
    Tangent,
}

impl fmt::Display for Pass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pass::Forward => "forward",
            Pass::Backward => "backward",
            Pass::Tangent => "forward-mode",
        })
    }
}

/// Everything that can go wrong in `autograd`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// Two shapes that the op needs to agree do not.
    #[error("shape mismatch in {op}, lhs: {lhs}, rhs: {rhs} (at {site})")]
    ShapeMismatch {
        /// The op's name.
        op: &'static str,
        /// The first operand's shape.
        lhs: Shape,
        /// The second operand's shape.
        rhs: Shape,
        /// The user's call site.
        site: Site,
    },
    /// An argument that is invalid for the op (an axis out of range, a bad reshape, …).
    #[error("invalid argument to {op}: {msg} (at {site})")]
    InvalidArgument {
        /// The op's name.
        op: &'static str,
        /// What is wrong, with the values involved.
        msg: String,
        /// The user's call site.
        site: Site,
    },
    /// A data buffer does not fill the requested shape.
    #[error("{len} values cannot fill a tensor of shape {shape} ({})", element_count(shape))]
    DataLength {
        /// The number of values given.
        len: usize,
        /// The requested shape.
        shape: Shape,
    },
    /// A tensor too large to allocate: its element count overflows `usize` (`bytes` is `None`),
    /// its size exceeds the address space, or the allocator refused the memory.
    #[error("cannot allocate a tensor of shape {shape}: {}", bytes_text(bytes))]
    Allocation {
        /// The tensor's shape.
        shape: Shape,
        /// Its size in bytes, if its element count fits in `usize`.
        bytes: Option<u128>,
    },
    /// An op's result too large to allocate (as [`Error::Allocation`]): the ops whose result can
    /// be larger than their inputs (`broadcast_to` and so every op of two inputs, the
    /// comparisons and `where`, `matmul`, `linear`, `concat`, `pad`, `index_select`, `one_hot`)
    /// check before they allocate.
    #[error("cannot allocate the result of {op}, a tensor of shape {shape}: {} (at {site})", bytes_text(bytes))]
    ResultTooLarge {
        /// The op's name.
        op: &'static str,
        /// The result's shape.
        shape: Shape,
        /// Its size in bytes, if its element count fits in `usize`.
        bytes: Option<u128>,
        /// Where the op was called.
        site: Site,
    },
    /// An integer index (gather, scatter_add, index_select, index_add, one_hot) is out of range.
    #[error("index {index} out of range for axis {axis} (size {size}) of shape {shape} in {op} (at {site})")]
    IndexOutOfRange {
        /// The op's name.
        op: &'static str,
        /// The offending index.
        index: usize,
        /// The axis it indexes.
        axis: usize,
        /// The axis's size.
        size: usize,
        /// The shape of the tensor indexed.
        shape: Shape,
        /// The user's call site.
        site: Site,
    },
    /// A backward pass reached a node whose saved tensors an earlier backward already freed.
    #[error(
        "backward through {op} (node {node}{}, recorded at {site}) a second time: its saved tensors \
         were freed by the first backward; pass retain_graph to keep them",
        named(name)
    )]
    GraphFreed {
        /// The op's name.
        op: &'static str,
        /// Its position on the tape.
        node: usize,
        /// The name given to its value ([`Var::named`](crate::Var::named)), if any.
        name: Option<String>,
        /// Where it was recorded.
        site: Site,
    },
    /// `backward()` was called on a value with more than one element.
    #[error(
        "backward() needs a scalar (one-element) output, got shape {shape}; \
         reduce it first or pass a seed gradient to grad()"
    )]
    NonScalarBackward {
        /// The output's shape.
        shape: Shape,
    },
    /// `backward()` was called on a value that no tracked input reaches (built from constants,
    /// frozen parameters, or under `no_grad`): there is nothing to differentiate, and returning
    /// silently would leave every gradient empty without a word.
    #[error(
        "backward() on a value that depends on no tracked input (only constants, frozen parameters \
         or no_grad results): make the inputs with tape.var / tape.param (at {site})"
    )]
    NotTracked {
        /// Where `backward` was called.
        site: Site,
    },
    /// [`grad`](crate::grad) was asked for the gradient with respect to a constant (made with
    /// `tape.constant`, a frozen parameter, or computed under `no_grad`). No gradient flows to a
    /// constant, so the only answer would be a zero that is not the derivative.
    #[error(
        "grad() with respect to input {input}, a constant (tape.constant, a frozen parameter or a \
         no_grad result): no gradient flows to it; make it with tape.var or tape.param (at {site})"
    )]
    GradOfConstant {
        /// The input's position in the list passed to `grad`.
        input: usize,
        /// Where `grad` was called.
        site: Site,
    },
    /// [`grad`](crate::grad) was asked for the gradient with respect to a value the outputs do
    /// not depend on.
    #[error(
        "grad(): the outputs do not depend on input {input}{}; pass GradOptions::allow_unused() to \
         get a zero gradient for it (at {site})",
        named(name)
    )]
    UnusedInput {
        /// The input's position in the list passed to `grad`.
        input: usize,
        /// The name given to it ([`Var::named`](crate::Var::named)), if any.
        name: Option<String>,
        /// Where `grad` was called.
        site: Site,
    },
    /// [`grad`](crate::grad) was asked to differentiate an output that depends on no tracked
    /// input (only constants, frozen parameters or `no_grad` results).
    #[error(
        "grad() of output {output}, which depends on no tracked input (only constants, frozen \
         parameters or no_grad results); pass GradOptions::allow_unused() for zero gradients (at {site})"
    )]
    OutputNotTracked {
        /// The output's position in the list passed to `grad`.
        output: usize,
        /// Where `grad` was called.
        site: Site,
    },
    /// A seed gradient's shape differs from its output's.
    #[error("seed gradient of shape {seed} for an output of shape {output}")]
    SeedShape {
        /// The output's shape.
        output: Shape,
        /// The seed's shape.
        seed: Shape,
    },
    /// Anomaly mode found a NaN or an infinity.
    #[error("anomaly: {op} (node {node}{}, recorded at {site}) produced {what} in its {pass} pass", named(name))]
    Anomaly {
        /// The op that produced it.
        op: &'static str,
        /// Its position on the tape (`usize::MAX` if the op recorded no node).
        node: usize,
        /// The name given to its value ([`Var::named`](crate::Var::named)), if any.
        name: Option<String>,
        /// Where it was called.
        site: Site,
        /// Forward output or backward gradient.
        pass: Pass,
        /// `"NaN"` or `"inf"`.
        what: &'static str,
    },
    /// Values from two different tapes were combined.
    #[error("{op} combines values from two different tapes (at {site})")]
    TapeMismatch {
        /// The op's name.
        op: &'static str,
        /// The user's call site.
        site: Site,
    },
    /// Graphviz, which [`Tape::write_svg`](crate::Tape::write_svg) runs, is not installed.
    #[error(
        "the `{program}` program of Graphviz was not found: install Graphviz (`apt-get install graphviz` \
         on Debian or Ubuntu, `brew install graphviz` on macOS) or render the output of to_dot() elsewhere"
    )]
    GraphvizMissing {
        /// The program looked for.
        program: String,
    },
    /// Graphviz failed to render a graph ([`Tape::write_svg`](crate::Tape::write_svg)).
    #[error("Graphviz: {msg}")]
    Graphviz {
        /// What went wrong: the program's exit status and what it printed.
        msg: String,
    },
    /// An error of another crate, raised inside a function autograd called (a layer or a loss
    /// inside a gradient check or a functional transform) and converted so that `?` works
    /// there: `nn::Error` converts into this variant (its tape errors back into themselves).
    /// [`ExternalError::downcast_ref`] recovers the original.
    #[error("{0}")]
    External(ExternalError),
    /// A user-defined op reported a failure.
    #[error("custom op {op}: {msg}")]
    Custom {
        /// The custom op's name.
        op: &'static str,
        /// Its message.
        msg: String,
    },
}

/// `", named z1"` for a named node, nothing otherwise.
fn named(name: &Option<String>) -> String {
    name.as_ref().map(|name| format!(", named {name}")).unwrap_or_default()
}

/// `"4398046511104 bytes"`, or what to say when the element count does not fit in `usize`.
fn bytes_text(bytes: &Option<u128>) -> String {
    match bytes {
        Some(b) => format!("{b} bytes"),
        None => "more elements than usize can count".into(),
    }
}

/// `"6 elements"`, or what to say when the count does not fit in `usize`.
fn element_count(shape: &Shape) -> String {
    match shape.checked_numel() {
        Some(n) => format!("{n} elements"),
        None => "more elements than usize can count".into(),
    }
}

/// The error inside [`Error::External`]: shared, so that [`Error`] stays `Clone`; two are
/// equal when they are the same error.
#[derive(Clone)]
pub struct ExternalError(Arc<dyn std::error::Error + Send + Sync>);

impl ExternalError {
    /// The original error, if it is an `E`.
    ///
    /// ```
    /// use autograd::Error;
    /// let err = Error::external(std::fmt::Error);
    /// let Error::External(inner) = &err else { unreachable!() };
    /// assert!(inner.downcast_ref::<std::fmt::Error>().is_some());
    /// ```
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref()
    }
}

impl fmt::Display for ExternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for ExternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl PartialEq for ExternalError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Error {
    /// Wraps an error of another crate as [`Error::External`] (for `From` impls such as
    /// `nn`'s, so that its errors pass through `?` in functions that return this crate's
    /// [`Result`]).
    pub fn external(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::External(ExternalError(Arc::new(error)))
    }

    /// Builds an [`Error::InvalidArgument`] at the caller's site.
    #[track_caller]
    pub(crate) fn invalid(op: &'static str, msg: impl Into<String>) -> Self {
        Error::InvalidArgument { op, msg: msg.into(), site: Site::caller() }
    }

    /// Builds an [`Error::ShapeMismatch`] at the caller's site.
    #[track_caller]
    pub(crate) fn shapes(op: &'static str, lhs: &Shape, rhs: &Shape) -> Self {
        Error::ShapeMismatch { op, lhs: lhs.clone(), rhs: rhs.clone(), site: Site::caller() }
    }
}
