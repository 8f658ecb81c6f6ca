//! The crate's one error type.
//!
//! Policy: what a caller can get wrong (a rank outside the world, a sampler that would leave a
//! rank without samples, a trainable parameter without a gradient) and what can differ between
//! ranks (models of different structure, parameters that drifted apart) is an [`Error`] naming
//! the rank and the parameter. Such an error is local to the rank that sees it; a program run
//! through [`launch`](crate::launch) turns it into the end of the whole job, with the message,
//! so the other ranks never wait for it forever. Failures of MPI itself end the job inside MPI
//! (its error handler is `MPI_ERRORS_ARE_FATAL`) and never reach this type.

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `distributed`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// An argument is out of its valid range.
    #[error("invalid argument to {op}: {msg}")]
    InvalidArgument {
        /// The function or constructor (`"DistributedSampler::new"`, …).
        op: &'static str,
        /// What is wrong, with the value.
        msg: String,
    },

    /// The ranks hold models of different structure: parameter names, shapes or frozen flags
    /// differ from rank 0's.
    #[error("rank {rank}'s model differs from rank 0's: {what}")]
    ModelMismatch {
        /// The rank whose model differs (or, on a rank whose model matches, the lowest rank
        /// that reported a difference).
        rank: usize,
        /// The first difference, in words.
        what: String,
    },

    /// A parameter's value differs from rank 0's, bit for bit.
    #[error(
        "rank {rank}: parameter `{parameter}` differs from rank 0's at element {index} \
         ({local:e} here, {root:e} on rank 0)"
    )]
    OutOfSync {
        /// The rank whose copy differs.
        rank: usize,
        /// The parameter's hierarchical name.
        parameter: String,
        /// The first differing element (flat index).
        index: usize,
        /// The value on this rank.
        local: f64,
        /// The value on rank 0.
        root: f64,
    },

    /// Another rank found an error and reported it through a collective check; its own message
    /// says what.
    #[error("{what}: rank {rank} reported an error ({ranks} rank(s) in all)")]
    OtherRank {
        /// The check (`"model structure"`, `"parameter sync"`).
        what: &'static str,
        /// The lowest rank that reported an error.
        rank: usize,
        /// How many ranks reported one.
        ranks: usize,
    },

    /// Trainable parameters without a gradient at gradient averaging. Nothing was sent: the
    /// other ranks would otherwise wait for a contribution that never comes.
    #[error(
        "rank {rank}: no gradient for parameter(s) {} at gradient averaging; run backward on a \
         loss that uses them first, or freeze them with `set_requires_grad(false)` on every rank",
        names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    )]
    MissingGradient {
        /// The rank.
        rank: usize,
        /// The parameters, by hierarchical name.
        names: Vec<String>,
    },

    /// A gradient whose element count is not its parameter's.
    #[error("rank {rank}: gradient of `{parameter}` has {grad} elements, the parameter {value}")]
    GradientSize {
        /// The rank.
        rank: usize,
        /// The parameter's hierarchical name.
        parameter: String,
        /// The gradient's element count.
        grad: usize,
        /// The value's element count.
        value: usize,
    },

    /// MPI could not be started (already initialized in this process, or the library refused).
    #[error("cannot start MPI: {0}")]
    MpiInit(String),
}

impl Error {
    /// An [`Error::InvalidArgument`].
    pub(crate) fn invalid(op: &'static str, msg: impl Into<String>) -> Self {
        Error::InvalidArgument { op, msg: msg.into() }
    }
}
