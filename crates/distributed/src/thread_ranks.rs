//! Ranks as threads of one process: a [`Communicator`] for tests, so that everything built on
//! the collectives is checked across several ranks without MPI. Sums are taken in rank order,
//! as MPI does for the small groups used here.

use crate::Communicator;
use std::sync::{Arc, Barrier, Mutex};

/// One rank of a group of threads (see [`run_ranks`]).
pub(crate) struct ThreadRank {
    rank: usize,
    size: usize,
    shared: Arc<Shared>,
}

struct Shared {
    barrier: Barrier,
    slots: Mutex<Vec<Slot>>,
}

/// What one rank put in for the current collective.
#[derive(Clone)]
enum Slot {
    Empty,
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bytes(Vec<u8>),
}

/// Runs `f` on `size` ranks, each on its own thread, and returns their results by rank.
pub(crate) fn run_ranks<R: Send>(size: usize, f: impl Fn(&dyn Communicator) -> R + Sync) -> Vec<R> {
    let shared = Arc::new(Shared { barrier: Barrier::new(size), slots: Mutex::new(vec![Slot::Empty; size]) });
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..size)
            .map(|rank| {
                let me = ThreadRank { rank, size, shared: Arc::clone(&shared) };
                let f = &f;
                scope.spawn(move || f(&me))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a rank panicked")).collect()
    })
}

impl ThreadRank {
    /// Deposits this rank's slot, waits for all, reads every slot, waits again (so no rank
    /// overwrites its slot before the others have read it).
    fn exchange<R>(&self, mine: Slot, read: impl FnOnce(&[Slot]) -> R) -> R {
        self.shared.slots.lock().expect("no rank panics while holding the slots")[self.rank] = mine;
        self.shared.barrier.wait();
        let result = read(&self.shared.slots.lock().expect("no rank panics while holding the slots"));
        self.shared.barrier.wait();
        result
    }
}

impl Communicator for ThreadRank {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_reduce_sum_f32(&self, send: &[f32], recv: &mut [f32]) {
        self.exchange(Slot::F32(send.to_vec()), |slots| {
            let all: Vec<&Vec<f32>> = slots.iter().map(|s| if let Slot::F32(v) = s { v } else { panic!() }).collect();
            for (i, r) in recv.iter_mut().enumerate() {
                *r = all.iter().map(|v| v[i]).reduce(|a, b| a + b).expect("at least one rank");
            }
        })
    }

    fn all_reduce_sum_f64(&self, send: &[f64], recv: &mut [f64]) {
        self.exchange(Slot::F64(send.to_vec()), |slots| {
            let all: Vec<&Vec<f64>> = slots.iter().map(|s| if let Slot::F64(v) = s { v } else { panic!() }).collect();
            for (i, r) in recv.iter_mut().enumerate() {
                *r = all.iter().map(|v| v[i]).reduce(|a, b| a + b).expect("at least one rank");
            }
        })
    }

    fn broadcast_f32(&self, values: &mut [f32], root: usize) {
        let mine = if self.rank == root { Slot::F32(values.to_vec()) } else { Slot::Empty };
        self.exchange(mine, |slots| match &slots[root] {
            Slot::F32(v) => values.copy_from_slice(v),
            _ => panic!("the root sent no f32 values"),
        })
    }

    fn broadcast_f64(&self, values: &mut [f64], root: usize) {
        let mine = if self.rank == root { Slot::F64(values.to_vec()) } else { Slot::Empty };
        self.exchange(mine, |slots| match &slots[root] {
            Slot::F64(v) => values.copy_from_slice(v),
            _ => panic!("the root sent no f64 values"),
        })
    }

    fn broadcast_bytes(&self, bytes: &mut [u8], root: usize) {
        let mine = if self.rank == root { Slot::Bytes(bytes.to_vec()) } else { Slot::Empty };
        self.exchange(mine, |slots| match &slots[root] {
            Slot::Bytes(v) => bytes.copy_from_slice(v),
            _ => panic!("the root sent no bytes"),
        })
    }

    fn barrier(&self) {
        self.exchange(Slot::Empty, |_| ())
    }

    fn abort(&self, message: &str) -> ! {
        panic!("abort: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collectives_between_threads_sum_and_broadcast() {
        let results = run_ranks(3, |world| {
            let mut sum = [0.0f32; 2];
            world.all_reduce_sum_f32(&[world.rank() as f32, 1.0], &mut sum);
            let mut from_root = [world.rank() as f64; 2];
            world.broadcast_f64(&mut from_root, 2);
            world.barrier();
            (sum, from_root)
        });
        assert!(results.iter().all(|&r| r == ([3.0, 3.0], [2.0, 2.0])));
    }
}
