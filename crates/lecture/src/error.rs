//! The crate's one error type.
//!
//! The experiments pass the errors of the crates they drive through unchanged; what is the
//! lecture crate's own is a bad configuration (named with the field and the value), an output
//! file that cannot be written (named with its path), and a command line it does not understand.

use std::path::PathBuf;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong running an experiment.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value that cannot work (a network with no layer, an empty data set).
    #[error("{experiment}: {msg}")]
    Config {
        /// The experiment whose configuration it is.
        experiment: &'static str,
        /// What is wrong, with the value.
        msg: String,
    },
    /// An output file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the operating system (or the CSV writer) said.
        source: std::io::Error,
    },
    /// A command-line argument that names no experiment or option.
    #[error("{0}")]
    Usage(String),
    /// From the tape.
    #[error(transparent)]
    Autograd(Box<autograd::Error>),
    /// From a layer, an activation or a loss.
    #[error(transparent)]
    Nn(Box<nn::Error>),
    /// From an optimizer.
    #[error(transparent)]
    Optim(Box<optim::Error>),
    /// From the data, the fit loop or a plot.
    #[error(transparent)]
    Train(Box<train::Error>),
}

// The crates' errors are boxed: some are large, and an experiment's `Result` is passed around
// on every line.
macro_rules! from_boxed {
    ($($variant:ident: $source:ty),*) => {$(
        impl From<$source> for Error {
            fn from(e: $source) -> Self {
                Error::$variant(Box::new(e))
            }
        }
    )*};
}
from_boxed!(Autograd: autograd::Error, Nn: nn::Error, Optim: optim::Error, Train: train::Error);

impl Error {
    pub(crate) fn config(experiment: &'static str, msg: impl Into<String>) -> Self {
        Error::Config { experiment, msg: msg.into() }
    }
}
