//! [`Communicator`]: the group of processes that train together, and the few collective
//! operations data parallelism needs from it; [`SingleProcess`], the group of one.
//!
//! Every operation is *collective*: each rank of the group must call it, in the same order,
//! with buffers of the same length, or the ranks wait for each other forever. Code that is the
//! same on every rank (the same model, the same number of steps) satisfies this by
//! construction; [`DataParallel`](crate::DataParallel) checks the model's structure once at the
//! start, and the MPI world bounds every wait (see [`launch`](crate::launch)).

use autograd::Float;
use std::any::Any;

/// A group of `size()` processes, numbered `0..size()`, and the collectives between them.
///
/// Implemented by [`SingleProcess`] (always) and `MpiWorld` (with the `mpi` feature), so a
/// training program is written once and runs alone or under `mpirun`.
pub trait Communicator {
    /// This process's number in the group, in `0..size()`. Rank 0 is the root: its parameters
    /// are the ones broadcast at the start, and it alone writes files.
    fn rank(&self) -> usize;

    /// The number of processes in the group.
    fn size(&self) -> usize;

    /// Writes into `recv` the elementwise sum of every rank's `send` (the same on every rank).
    /// `send` and `recv` have the same length on every rank.
    fn all_reduce_sum_f32(&self, send: &[f32], recv: &mut [f32]);

    /// [`all_reduce_sum_f32`](Communicator::all_reduce_sum_f32) for `f64`.
    fn all_reduce_sum_f64(&self, send: &[f64], recv: &mut [f64]);

    /// Copies rank `root`'s `values` into every other rank's `values` (same length everywhere).
    fn broadcast_f32(&self, values: &mut [f32], root: usize);

    /// [`broadcast_f32`](Communicator::broadcast_f32) for `f64`.
    fn broadcast_f64(&self, values: &mut [f64], root: usize);

    /// [`broadcast_f32`](Communicator::broadcast_f32) for bytes.
    fn broadcast_bytes(&self, bytes: &mut [u8], root: usize);

    /// Returns once every rank has called it.
    fn barrier(&self);

    /// Ends the whole job, on every rank, after printing `message` (which should name this
    /// rank and what went wrong) to standard error. Never returns.
    fn abort(&self, message: &str) -> !;

    /// Whether this is rank 0, the one that writes progress, history and checkpoints.
    fn is_root(&self) -> bool {
        self.rank() == 0
    }
}

/// The group of one process: every collective is the identity, nothing waits.
///
/// ```
/// use distributed::{Communicator, SingleProcess};
/// let world = SingleProcess;
/// let mut sum = [0.0f32; 2];
/// world.all_reduce_sum_f32(&[1.5, 2.0], &mut sum);
/// assert_eq!((world.rank(), world.size(), sum), (0, 1, [1.5, 2.0]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SingleProcess;

impl Communicator for SingleProcess {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_reduce_sum_f32(&self, send: &[f32], recv: &mut [f32]) {
        recv.copy_from_slice(send);
    }

    fn all_reduce_sum_f64(&self, send: &[f64], recv: &mut [f64]) {
        recv.copy_from_slice(send);
    }

    fn broadcast_f32(&self, _values: &mut [f32], _root: usize) {}

    fn broadcast_f64(&self, _values: &mut [f64], _root: usize) {}

    fn broadcast_bytes(&self, _bytes: &mut [u8], _root: usize) {}

    fn barrier(&self) {}

    fn abort(&self, message: &str) -> ! {
        crate::launch::report(message);
        std::process::exit(1)
    }
}

/// [`Communicator::all_reduce_sum_f32`] or `_f64`, whichever `T` is: the sum over ranks of
/// `send[..n]`, into `recv[..n]`.
#[allow(clippy::ptr_arg)] // `Any` downcasts the sized `Vec`, not an unsized slice
pub(crate) fn all_reduce_sum<T: Float>(comm: &dyn Communicator, send: &Vec<T>, recv: &mut Vec<T>, n: usize) {
    let (send, recv): (&dyn Any, &mut dyn Any) = (send, recv);
    if let (Some(send), Some(recv)) = (send.downcast_ref::<Vec<f32>>(), recv.downcast_mut::<Vec<f32>>()) {
        comm.all_reduce_sum_f32(&send[..n], &mut recv[..n]);
    } else if let (Some(send), Some(recv)) = (send.downcast_ref::<Vec<f64>>(), recv.downcast_mut::<Vec<f64>>()) {
        comm.all_reduce_sum_f64(&send[..n], &mut recv[..n]);
    } else {
        unreachable!("Float is sealed: f32 and f64 are its only types");
    }
}

/// [`Communicator::broadcast_f32`] or `_f64`, whichever `T` is, over `values[..n]`.
#[allow(clippy::ptr_arg)] // `Any` downcasts the sized `Vec`, not an unsized slice
pub(crate) fn broadcast<T: Float>(comm: &dyn Communicator, values: &mut Vec<T>, n: usize, root: usize) {
    let values: &mut dyn Any = values;
    if let Some(values) = values.downcast_mut::<Vec<f32>>() {
        comm.broadcast_f32(&mut values[..n], root);
    } else if let Some(values) = values.downcast_mut::<Vec<f64>>() {
        comm.broadcast_f64(&mut values[..n], root);
    } else {
        unreachable!("Float is sealed: f32 and f64 are its only types");
    }
}

/// The sum over ranks of a few `f64` values, in place (metrics, counts, flags).
pub(crate) fn sum_in_place(comm: &dyn Communicator, values: &mut [f64]) {
    let send = values.to_vec();
    comm.all_reduce_sum_f64(&send, values);
}

/// Runs a check on every rank and makes its outcome collective: returns, on every rank, the
/// lowest failing rank and how many ranks failed, or `None` if none did. Without it a check that
/// fails on one rank only would leave the others waiting in the next collective.
pub(crate) fn failing_ranks(comm: &dyn Communicator, failed_here: bool) -> Option<(usize, usize)> {
    let size = comm.size();
    let mut flags = vec![0.0; size];
    flags[comm.rank()] = if failed_here { 1.0 } else { 0.0 };
    sum_in_place(comm, &mut flags);
    let lowest = flags.iter().position(|&f| f != 0.0)?;
    Some((lowest, flags.iter().filter(|&&f| f != 0.0).count()))
}
