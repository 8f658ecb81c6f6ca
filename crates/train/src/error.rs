//! The crate's one error type.
//!
//! Policy: anything outside the program's control (a missing, truncated or malformed data file)
//! and anything a caller can get wrong (a batch size of 0, a split past the end, a label out of
//! range) is an [`Error`] returned through `Result`; nothing here panics on bad input. Errors
//! about a file name the file, so the message alone says what to fix. Errors of the model, the
//! loss or the optimizer during a run pass through unchanged ([`Error::Nn`], [`Error::Optim`],
//! [`Error::Autograd`]).

use std::io;
use std::path::PathBuf;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `train`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data file could not be read (most often: it does not exist).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A file that starts like gzip could not be decompressed.
    #[error("cannot decompress {} (corrupt or truncated gzip data): {source}", path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        source: io::Error,
    },
    /// An IDX file's magic number is not the one expected for its contents.
    #[error(
        "{} is not an IDX {kind} file: magic number 0x{found:08x}, expected 0x{expected:08x}",
        path.display()
    )]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// `"images"` or `"labels"`.
        kind: &'static str,
        /// The magic number the format requires.
        expected: u32,
        /// The magic number the file starts with.
        found: u32,
    },
    /// An IDX file holds fewer bytes than its header announces.
    #[error("{} is truncated: its header announces {expected} bytes, the file holds {found}", path.display())]
    Truncated {
        /// The file (decompressed, if it was gzipped).
        path: PathBuf,
        /// The bytes the header (or, for a short header, the header itself) requires.
        expected: u128,
        /// The bytes present.
        found: usize,
    },
    /// An IDX file holds more bytes than its header announces (a wrong count in the header).
    #[error("{} has {extra} bytes after the {expected} its header announces", path.display())]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// The bytes the header announces.
        expected: usize,
        /// The bytes beyond them.
        extra: usize,
    },
    /// Images and labels disagree on the number of samples.
    #[error("{origin}: {images} images but {labels} labels")]
    CountMismatch {
        /// Where the data came from (the two file names, or the constructor).
        origin: String,
        /// The number of images.
        images: usize,
        /// The number of labels.
        labels: usize,
    },
    /// A label is not a valid class index.
    #[error("{origin}: label {label} of sample {index} is out of range for {classes} classes (0..{classes})")]
    LabelOutOfRange {
        /// Where the data came from (the label file, or the constructor).
        origin: String,
        /// The sample's position.
        index: usize,
        /// Its label.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// An operation that needs at least one sample got none.
    #[error("{op} needs a non-empty dataset, got 0 samples")]
    EmptyDataset {
        /// The operation.
        op: &'static str,
    },
    /// A split fraction (the share of samples held out) that is not strictly between 0 and 1.
    #[error("{op}: the fraction to hold out must be in (0, 1), got {fraction}")]
    SplitFraction {
        /// The operation.
        op: &'static str,
        /// The fraction given.
        fraction: f64,
    },
    /// A split that would leave one side without samples.
    #[error(
        "{op}: holding out {fraction} of {samples} samples rounds to {held_out}, leaving one side empty; \
         each side needs at least one sample"
    )]
    EmptySplit {
        /// The operation.
        op: &'static str,
        /// The fraction given.
        fraction: f64,
        /// The dataset's size.
        samples: usize,
        /// `round(fraction · samples)`: 0 or `samples`.
        held_out: usize,
    },
    /// A file could not be written (a missing or read-only folder, a full disk).
    #[error("cannot write {}: {source}", path.display())]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A stream that is not a file (standard output, a caller's writer) refused a write.
    #[error("cannot write {what}: {source}")]
    WriteStream {
        /// What was being written (`"the progress line"`).
        what: &'static str,
        /// What the writer said.
        source: io::Error,
    },
    /// `plotters` could not draw a chart (in practice: a layout that does not fit its size).
    #[error("cannot draw chart {chart:?}: {msg}")]
    Plot {
        /// The chart's title (empty for the figure as a whole).
        chart: String,
        /// What `plotters` said.
        msg: String,
    },
    /// An argument that is invalid for the operation.
    #[error("invalid argument to {op}: {msg}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong, with the values involved.
        msg: String,
    },
    /// A folder holds neither layout of the MNIST files ([`load_mnist`](crate::data::load_mnist)).
    #[error(
        "{} holds no MNIST files: expected train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
         t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (the official files; also without .gz, \
         or with '.' before idx), or images-idx3-ubyte.gz and labels-idx1-ubyte.gz (one set, split 80/20)",
        dir.display()
    )]
    NoMnist {
        /// The folder.
        dir: PathBuf,
    },
    /// A metric got a different number of predictions and labels.
    #[error("{metric}: {predictions} predictions but {labels} labels")]
    MetricLength {
        /// The metric.
        metric: String,
        /// The number of predictions (rows of logits).
        predictions: usize,
        /// The number of labels.
        labels: usize,
    },
    /// A loss function returned more than one number.
    #[error("the loss must be a scalar, but the loss function returned shape {shape} (reduce it, e.g. with Reduction::Mean)")]
    LossNotScalar {
        /// The shape it returned.
        shape: autograd::Shape,
    },
    /// The training loss came out NaN or infinite: training diverged (a learning rate too large,
    /// a log of 0), and every later step would only spread the NaN.
    #[error("the training loss is {value} at epoch {epoch}, batch {batch}: training diverged")]
    NonFiniteLoss {
        /// The epoch, counting from 1.
        epoch: usize,
        /// The batch in the epoch, counting from 0.
        batch: usize,
        /// The loss.
        value: f64,
    },
    /// A model's output for a batch is not one row of logits per sample.
    #[error("the model's output for a batch must be {expected}, got {got}")]
    OutputShape {
        /// The shape expected.
        expected: String,
        /// The shape of the output.
        got: autograd::Shape,
    },
    /// A callback or schedule monitors a metric that the run does not compute.
    #[error("{owner} monitors {metric:?}, which this run does not compute (it computes {available:?} and \"lr\")")]
    UnknownMetric {
        /// The callback or schedule.
        owner: String,
        /// The metric it asked for.
        metric: String,
        /// The metrics of the run.
        available: Vec<String>,
    },
    /// The output folder of a run cannot be created or written to.
    #[error("cannot write to the output folder {}: {source}", path.display())]
    OutputDir {
        /// The folder.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A history file is not a history this crate wrote.
    #[error("{} is not a training history: {msg}", path.display())]
    History {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        msg: String,
    },
    /// A training-state checkpoint does not fit the run that tries to resume from it.
    #[error("cannot resume from {}: {reason}", path.display())]
    Resume {
        /// The checkpoint.
        path: PathBuf,
        /// What does not fit.
        reason: String,
    },
    /// A callback's saved state cannot be loaded.
    #[error("callback {callback:?}: {msg}")]
    CallbackState {
        /// The callback's name.
        callback: String,
        /// What is wrong.
        msg: String,
    },
    /// The ranks of a data-parallel run could not combine their work (see
    /// [`Replicas`](crate::Replicas)); the message names the rank.
    #[error(transparent)]
    DataParallel(Box<dyn std::error::Error + Send + Sync>),
    /// A layer, loss or checkpoint of `nn` failed. (This and the next two are boxed: their
    /// shapes and call sites would make every `Result` of this crate large.)
    #[error(transparent)]
    Nn(Box<nn::Error>),
    /// An optimizer or schedule failed.
    #[error(transparent)]
    Optim(Box<optim::Error>),
    /// An op on the tape failed.
    #[error(transparent)]
    Autograd(Box<autograd::Error>),
}

impl From<nn::Error> for Error {
    fn from(e: nn::Error) -> Self {
        Error::Nn(Box::new(e))
    }
}

impl From<optim::Error> for Error {
    fn from(e: optim::Error) -> Self {
        Error::Optim(Box::new(e))
    }
}

impl From<autograd::Error> for Error {
    fn from(e: autograd::Error) -> Self {
        Error::Autograd(Box::new(e))
    }
}

impl Error {
    /// Builds an [`Error::InvalidArgument`].
    pub(crate) fn invalid(op: &'static str, msg: impl Into<String>) -> Self {
        Error::InvalidArgument { op, msg: msg.into() }
    }
}
