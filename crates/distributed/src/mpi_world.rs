//! [`MpiWorld`]: the processes `mpirun` started, as a [`Communicator`] (feature `mpi`).
//!
//! How a failure ends the job, never a hang:
//!
//! - an error of MPI itself (a broken link, a bad argument) ends the job inside MPI: the world's
//!   error handler is set to `MPI_ERRORS_ARE_FATAL` (the standard's default, set explicitly so
//!   nothing loaded earlier can have changed it), and MPI's message names the rank;
//! - a rank that dies (killed, out of memory, `abort`) is noticed by `mpirun`, which ends the
//!   other ranks and names the dead one;
//! - a rank that fails ([`launch`](crate::launch) sees its `Err` or its panic) calls
//!   [`Communicator::abort`]: it prints the message and calls `MPI_Abort`, which ends every
//!   rank, including those already waiting for it in a collective;
//! - a rank that is alive but never arrives is caught by the [`Watchdog`]: any rank waiting in
//!   one collective longer than the timeout prints what it waited for and exits, and `mpirun`
//!   ends the rest.

use crate::launch::report;
use crate::watchdog::{Collective, Watchdog};
use crate::{Communicator, Error, Result};
use mpi::collective::SystemOperation;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{AsRaw, Communicator as _, CommunicatorCollectives, Root};
use mpi::Threading;
use std::time::Duration;

/// The exit code of a rank whose watchdog ended it (`timeout(1)`'s code for "timed out").
pub const TIMEOUT_EXIT_CODE: i32 = 124;

/// The default bound on one collective's wait (see [`MpiWorld::init`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// `MPI_COMM_WORLD`: every process of the job. Initializes MPI when created and finalizes it
/// when dropped; one per process.
pub struct MpiWorld {
    world: SimpleCommunicator,
    rank: usize,
    size: usize,
    watchdog: Watchdog,
    /// Finalizes MPI when dropped; taken in `drop` so that it goes first, under the watchdog.
    universe: Option<Universe>,
}

impl MpiWorld {
    /// Initializes MPI (only the main thread calls it: `MPI_THREAD_FUNNELED`) and returns the
    /// world. A collective that waits longer than `timeout` (the other ranks never arrive) ends
    /// this process with a message and exit code [`TIMEOUT_EXIT_CODE`]; `mpirun` then ends the
    /// job. Choose a timeout longer than the longest work one rank does while the others wait
    /// (an evaluation on rank 0, a checkpoint write).
    ///
    /// Fails if MPI is already initialized in this process. Run outside `mpirun`, MPI starts a
    /// world of one process.
    pub fn init(timeout: Duration) -> Result<Self> {
        let (universe, _) = mpi::initialize_with_threading(Threading::Funneled)
            .ok_or_else(|| Error::MpiInit("MPI is already initialized in this process".into()))?;
        let world = universe.world();
        // SAFETY: MPI is initialized and the world communicator is valid until finalization;
        // the call only swaps the world's error handler for a predefined one.
        unsafe {
            mpi::ffi::MPI_Comm_set_errhandler(world.as_raw(), mpi::ffi::RSMPI_ERRORS_ARE_FATAL);
        }
        let (rank, size) = (world.rank() as usize, world.size() as usize);
        let watchdog = Watchdog::new(timeout, move |collective, timeout| {
            report(&format!(
                "rank {rank} of {size}: {collective} did not complete within {} s; another rank has \
                 stopped taking part (stuck, or one step short of the others); ending the job",
                timeout.as_secs_f64(),
            ));
            // Not MPI_Abort: the main thread is inside an MPI call, and only it may call MPI.
            // A rank that exits without finalizing makes mpirun end the others.
            std::process::exit(TIMEOUT_EXIT_CODE);
        });
        Ok(MpiWorld { world, rank, size, watchdog, universe: Some(universe) })
    }

    /// The bound on one collective's wait.
    pub fn timeout(&self) -> Duration {
        self.watchdog.timeout()
    }

    /// Makes a panic anywhere in this process end the whole job: after the usual panic report,
    /// prints `rank R of N panicked at <file:line>: <message>` and calls `MPI_Abort`. Without
    /// it, a panicking rank would unwind and the others would wait for it until the timeout.
    pub fn abort_on_panic(&self) {
        let (rank, size) = (self.rank, self.size);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(a non-text panic payload)");
            let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            report(&format!("rank {rank} of {size} panicked{location}: {message}"));
            SimpleCommunicator::world().abort(1)
        }));
    }
}

impl Communicator for MpiWorld {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_reduce_sum_f32(&self, send: &[f32], recv: &mut [f32]) {
        let _waiting = self.watchdog.guard(Collective::AllReduce { values: send.len(), unit: "f32 values" });
        self.world.all_reduce_into(send, recv, SystemOperation::sum());
    }

    fn all_reduce_sum_f64(&self, send: &[f64], recv: &mut [f64]) {
        let _waiting = self.watchdog.guard(Collective::AllReduce { values: send.len(), unit: "f64 values" });
        self.world.all_reduce_into(send, recv, SystemOperation::sum());
    }

    fn broadcast_f32(&self, values: &mut [f32], root: usize) {
        let _waiting = self.watchdog.guard(Collective::Broadcast { values: values.len(), unit: "f32 values", root });
        self.world.process_at_rank(root as i32).broadcast_into(values);
    }

    fn broadcast_f64(&self, values: &mut [f64], root: usize) {
        let _waiting = self.watchdog.guard(Collective::Broadcast { values: values.len(), unit: "f64 values", root });
        self.world.process_at_rank(root as i32).broadcast_into(values);
    }

    fn broadcast_bytes(&self, bytes: &mut [u8], root: usize) {
        let _waiting = self.watchdog.guard(Collective::Broadcast { values: bytes.len(), unit: "bytes", root });
        self.world.process_at_rank(root as i32).broadcast_into(bytes);
    }

    fn barrier(&self) {
        let _waiting = self.watchdog.guard(Collective::Barrier);
        self.world.barrier();
    }

    fn abort(&self, message: &str) -> ! {
        report(message);
        self.world.abort(1)
    }
}

impl Drop for MpiWorld {
    fn drop(&mut self) {
        // MPI_Finalize waits for every rank: bounded like any collective.
        let _waiting = self.watchdog.guard(Collective::Finalize);
        drop(self.universe.take());
    }
}
