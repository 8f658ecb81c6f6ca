//! # chainrule
//!
//! Backpropagation as a derived result: every operation is recorded on a tape, and the
//! gradient of any composition of operations comes from walking that tape backwards with the
//! chain rule.
//!
//! This facade re-exports the workspace crates:
//!
//! - [`autograd`]: tensors, the tape, primitive ops with their backward rules, gradient checks.
//! - [`nn`]: modules with named parameters, layers, activations, dropout, losses, penalties,
//!   safetensors checkpoints.
//! - [`optim`]: SGD, momentum, Adagrad, RMSProp, Adam, AdamW, learning-rate schedules, clipping.
//! - [`train`]: data (IDX/MNIST, seeded mini-batches and splits) and the fit loop: metrics,
//!   callbacks such as early stopping, history, progress, plots, resumable training state.
//! - [`distributed`]: data-parallel training on several processes or machines (MPI, with the
//!   `mpi` feature): parameters broadcast, gradients averaged in buckets, a distributed sampler.
//!
//! [`Error`] gathers the crates' errors, so an application uses one `?` for all of them:
//!
//! ```
//! use chainrule::autograd::Tensor;
//! use chainrule::nn::{LinearConfig, Module};
//! use chainrule::train::data::Dataset;
//! use rand::{rngs::StdRng, SeedableRng};
//!
//! fn accuracy_of_an_untrained_layer() -> chainrule::Result<f64> {
//!     let model = LinearConfig::new(4, 3).init::<f32>(&mut StdRng::seed_from_u64(0))?; // nn
//!     let data = Dataset::new(Tensor::ones([6, 4]), vec![0, 1, 2, 0, 1, 2], 3)?; // train
//!     Ok(chainrule::train::evaluate(&model, &data, 4, chainrule::train::cross_entropy)?.accuracy)
//! }
//! let accuracy = accuracy_of_an_untrained_layer().unwrap();
//! assert!([0.0, 1.0 / 3.0].contains(&accuracy)); // six equal inputs: one class for all
//! ```
//!
//! ```
//! use chainrule::autograd::{Tape, Tensor};
//!
//! let tape = Tape::<f64>::new();
//! let x = tape.var(Tensor::scalar(3.0));
//! let y = &x * &x; // y = x²
//! y.backward().unwrap();
//! assert_eq!(x.grad().unwrap().item(), 6.0);
//! ```

pub use autograd;
pub use distributed;
pub use nn;
pub use optim;
pub use rand;
pub use train;

/// The names most programs need, in one `use chainrule::prelude::*;`: tensors and the tape, the
/// module trait and the common layers, the optimizers and schedules, the fit loop with its
/// callbacks, the data types, and `rand`'s seeded generator (every initializer and shuffle here
/// takes one; [`rand`] is re-exported so the versions match).
///
/// `cross_entropy` here is [`train::cross_entropy`], the loss in the form [`train::Fit`] and
/// [`train::evaluate`] take (logits and a batch); `nn::cross_entropy` takes the labels and a
/// reduction.
///
/// ```no_run
/// use chainrule::prelude::*;
///
/// fn main() -> chainrule::Result<()> {
///     let (train_set, test_set) = load_mnist("data/mnist-10k")?;
///     let mut rng = StdRng::seed_from_u64(0);
///     let model = Sequential::<f32>::new()
///         .push(LinearConfig::new(784, 128).init(&mut rng)?)
///         .push(Relu)
///         .push(LinearConfig::new(128, 10).init(&mut rng)?);
///     let mut sgd = Sgd::new(model.named_parameters(), SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() })?;
///     Fit::new(&model, &mut sgd, &train_set).epochs(5).validation_split(0.1).run()?;
///     println!("test accuracy {}", evaluate(&model, &test_set, 1000, cross_entropy)?.accuracy);
///     Ok(())
/// }
/// ```
pub mod prelude {
    pub use crate::autograd::{Float, Indices, Parameter, Tape, Tensor, Var};
    pub use crate::nn::{
        l1_penalty, l2_penalty, weight_matrices, DropoutConfig, Linear, LinearConfig, Module, Reduction, Relu,
        Sequential, Sigmoid, Softmax, Tanh,
    };
    pub use crate::optim::{
        Adam, AdamConfig, AdamW, AdamWConfig, CosineAnnealingLr, LrScheduler, Optimizer, ReduceLrOnPlateau,
        ReduceLrOnPlateauConfig, Sgd, SgdConfig, StepLr,
    };
    pub use crate::rand::rngs::StdRng;
    pub use crate::rand::{Rng, SeedableRng};
    pub use crate::train::data::{load_mnist, random_shift, DataLoader, Dataset};
    pub use crate::train::progress::ProgressMode;
    pub use crate::train::{cross_entropy, evaluate, predict, Callback, EarlyStopping, Fit, History, ModelCheckpoint};
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any error of chainrule's crates (and of the file system), so that an application's
/// functions return one type and use `?` on all of them. Each crate's error passes through
/// unchanged and prints as it does; an error of `nn`, `optim` or `autograd` that surfaced
/// through `train` (from inside a training run) comes out as the variant of the crate it came
/// from, so a `match` does not depend on the path it took.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tape op: shapes, a freed graph, an anomaly.
    #[error(transparent)]
    Autograd(Box<autograd::Error>),
    /// A layer, a loss, a checkpoint.
    #[error(transparent)]
    Nn(Box<nn::Error>),
    /// An optimizer or a schedule.
    #[error(transparent)]
    Optim(Box<optim::Error>),
    /// Data, metrics, the fit loop and its files.
    #[error(transparent)]
    Train(Box<train::Error>),
    /// Data-parallel training: models that differ between ranks, a rank's missing gradient,
    /// MPI that cannot start.
    #[error(transparent)]
    Distributed(Box<distributed::Error>),
    /// A file the application itself reads or writes.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<autograd::Error> for Error {
    fn from(e: autograd::Error) -> Self {
        Error::Autograd(Box::new(e))
    }
}

impl From<nn::Error> for Error {
    fn from(e: nn::Error) -> Self {
        match e {
            nn::Error::Autograd(e) => Error::from(e),
            e => Error::Nn(Box::new(e)),
        }
    }
}

impl From<optim::Error> for Error {
    fn from(e: optim::Error) -> Self {
        Error::Optim(Box::new(e))
    }
}

impl From<train::Error> for Error {
    fn from(e: train::Error) -> Self {
        match e {
            train::Error::Nn(e) => Error::from(*e),
            train::Error::Optim(e) => Error::Optim(e),
            train::Error::Autograd(e) => Error::Autograd(e),
            train::Error::DataParallel(e) => match e.downcast::<distributed::Error>() {
                Ok(e) => Error::Distributed(e),
                Err(e) => Error::Train(Box::new(train::Error::DataParallel(e))),
            },
            e => Error::Train(Box::new(e)),
        }
    }
}

impl From<distributed::Error> for Error {
    fn from(e: distributed::Error) -> Self {
        Error::Distributed(Box::new(e))
    }
}

/// The README's code blocks, compiled and run as doc tests so the README cannot drift from the API.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// `docs/training.md`'s code blocks, compiled and run as doc tests so the guide cannot drift from
/// the API.
#[doc = include_str!("../docs/training.md")]
#[cfg(doctest)]
pub struct TrainingDoctests;

/// `docs/functional.md`'s code blocks, compiled and run as doc tests.
#[doc = include_str!("../docs/functional.md")]
#[cfg(doctest)]
pub struct FunctionalDoctests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_keeps_its_message_and_its_crate_whatever_path_it_took() {
        let nn_error = || nn::DropoutConfig::new(2.0).init_seeded(0).unwrap_err();
        let message = nn_error().to_string();
        for e in [Error::from(nn_error()), Error::from(train::Error::from(nn_error()))] {
            assert!(matches!(e, Error::Nn(_)), "{e:?}");
            assert_eq!(e.to_string(), message);
        }
        let tape_error = || autograd::Tensor::<f32>::zeros([2]).reshape([3]).unwrap_err();
        let through_nn = Error::from(nn::Error::from(tape_error()));
        let through_train = Error::from(train::Error::from(tape_error()));
        for e in [through_nn, through_train] {
            assert!(matches!(e, Error::Autograd(_)), "{e:?}");
            assert_eq!(e.to_string(), tape_error().to_string());
        }
        let data_error = train::data::DataLoader::<f32>::new(
            &train::data::Dataset::new(autograd::Tensor::zeros([0, 1]), vec![], 1).unwrap(),
            1,
        )
        .unwrap_err();
        assert!(matches!(Error::from(data_error), Error::Train(_)));
        let rank_error = || distributed::DistributedSampler::new(4, 2, 5).unwrap_err();
        let through_train = Error::from(train::Error::DataParallel(Box::new(rank_error())));
        for e in [Error::from(rank_error()), through_train] {
            assert!(matches!(&e, Error::Distributed(d) if **d == rank_error()), "{e:?}");
            assert_eq!(e.to_string(), rank_error().to_string());
        }
    }
}
