//! # distributed: data-parallel training for chainrule
//!
//! Training on several processes, on one machine or many, as one: every rank (process) holds
//! the whole model and trains on its own share of each batch, and the ranks average their
//! gradients before every optimizer step, so they take the same steps as one process with the
//! whole batch would. This is PyTorch's `DistributedDataParallel` and JAX's `pmap` over a
//! batch axis; the transport is MPI (OpenMPI or MPICH, through the `mpi` crate), the engine
//! CPU clusters already run.
//!
//! - [`launch`]: the program's entry point; gives `run` its [`Communicator`] and ends the
//!   whole job, with a message naming the rank, when any rank fails.
//! - [`DataParallel`]: parameters broadcast from rank 0 at the start, gradients averaged across
//!   ranks in buckets each step, metrics summed across ranks.
//!   It is `train`'s `Replicas`: `Fit::new(..).data_parallel(&mut ddp)` runs the fit loop on
//!   every rank as one process would.
//! - [`DistributedSampler`]: each rank's disjoint share of every epoch's seeded permutation.
//! - [`Communicator`]: the collectives, implemented by [`SingleProcess`] and, with the `mpi`
//!   feature, `MpiWorld`.
//!
//! Without the `mpi` feature nothing here needs MPI: the world is [`SingleProcess`] and the
//! same program runs as one process. `docs/distributed.md` says how to install MPI, build with
//! the feature and run under `mpirun`, and what scaling to expect.
//!
//! ## One training step
//!
//! ```
//! use autograd::{Tape, Tensor};
//! use distributed::{Communicator, DataParallel, DataParallelConfig, DistributedSampler};
//! use nn::{cross_entropy, LinearConfig, Module, Reduction};
//! use optim::{Optimizer, Sgd, SgdConfig};
//! use rand::{rngs::StdRng, SeedableRng};
//!
//! fn train(world: &dyn Communicator) -> Result<(), Box<dyn std::error::Error>> {
//!     let model = LinearConfig::new(4, 3).init::<f32>(&mut StdRng::seed_from_u64(0))?;
//!     // Rank 0's initial values go to every rank; the structures are checked to agree.
//!     let mut ddp = DataParallel::from_module(world, &model, DataParallelConfig::default())?;
//!     let mut sgd = Sgd::new(model.named_parameters(), SgdConfig { lr: 0.1, ..Default::default() })?;
//!     let (images, labels) = (Tensor::ones([8, 4]), [0, 1, 2, 0, 1, 2, 0, 1]);
//!     // This rank's share of the 8 samples, epoch 0.
//!     let mine = DistributedSampler::for_world(8, world)?.shuffle(7).indices(0);
//!     let tape = Tape::new();
//!     let x = tape.constant(images).index_select(0, &mine)?;
//!     let y: Vec<usize> = mine.iter().map(|&i| labels[i]).collect();
//!     cross_entropy(&model.forward(&x)?, &y, Reduction::Mean)?.backward()?;
//!     ddp.average_gradients()?; // the mean over ranks: the gradient of the whole batch
//!     sgd.step()?; // the same step on every rank
//!     Ok(())
//! }
//!
//! distributed::launch(train);
//! ```

mod communicator;
mod data_parallel;
mod error;
mod fit_replicas;
mod launch;
#[cfg(feature = "mpi")]
mod mpi_world;
mod sampler;
#[cfg(test)]
mod thread_ranks;
#[cfg(any(feature = "mpi", test))]
mod watchdog;

pub use communicator::{Communicator, SingleProcess};
pub use data_parallel::{CommStats, DataParallel, DataParallelConfig};
pub use error::{Error, Result};
pub use launch::{launch, TIMEOUT_VARIABLE};
#[cfg(feature = "mpi")]
pub use mpi_world::{MpiWorld, DEFAULT_TIMEOUT, TIMEOUT_EXIT_CODE};
pub use sampler::DistributedSampler;
