//! [`Watchdog`]: a bound on how long any collective may wait.
//!
//! A collective returns only when every rank has entered it. A rank that died is noticed by
//! `mpirun`, which ends the job; but a rank that is alive and never arrives (stuck in a loop,
//! waiting on a lock, or one step short of the others after a bug) would leave the others
//! waiting forever. So every blocking collective runs under a [`Watchdog::guard`]: a thread
//! beside the training one looks at the collective in progress a few times per timeout, and
//! once one has lasted longer than the timeout it calls the timeout action with it (the MPI
//! world prints a message naming the rank and ends the process; `mpirun` then ends the job).
//!
//! The training thread never wakes the watchdog: a guard costs two uncontended lock round
//! trips, and on a loaded machine no collective waits for the watchdog thread to be scheduled.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A collective operation, as a message names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Collective {
    /// An all-reduce of `values` elements (`unit`: `"f32 values"`, …).
    AllReduce { values: usize, unit: &'static str },
    /// A broadcast of `values` elements (`unit`: `"f32 values"`, `"bytes"`, …) from `root`.
    Broadcast { values: usize, unit: &'static str, root: usize },
    /// A barrier.
    Barrier,
    /// `MPI_Finalize`, which waits for every rank.
    Finalize,
}

impl fmt::Display for Collective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Collective::AllReduce { values, unit } => write!(f, "an all-reduce of {values} {unit}"),
            Collective::Broadcast { values, unit, root } => {
                write!(f, "a broadcast of {values} {unit} from rank {root}")
            }
            Collective::Barrier => write!(f, "a barrier"),
            Collective::Finalize => write!(f, "MPI_Finalize (every rank finishing)"),
        }
    }
}

struct Shared {
    current: Mutex<Option<(Collective, Instant)>>,
    shutdown: AtomicBool,
}

/// Watches the collective in progress and acts when it outlives its timeout.
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
    timeout: Duration,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts the watching thread; `on_timeout(collective, timeout)` runs on it when a guarded
    /// collective lasts longer than `timeout` (noticed within a tenth of the timeout, or a
    /// second). The action is expected to end the process; if it returns, the watchdog stops.
    pub(crate) fn new(timeout: Duration, on_timeout: impl FnOnce(Collective, Duration) + Send + 'static) -> Self {
        let shared = Arc::new(Shared { current: Mutex::new(None), shutdown: AtomicBool::new(false) });
        let watched = Arc::clone(&shared);
        let poll = (timeout / 10).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let thread = std::thread::Builder::new()
            .name("collective-watchdog".into())
            .spawn(move || loop {
                std::thread::park_timeout(poll);
                if watched.shutdown.load(Ordering::Acquire) {
                    return;
                }
                let current = *relock(&watched.current);
                if let Some((collective, since)) = current {
                    if since.elapsed() > timeout {
                        on_timeout(collective, timeout);
                        return;
                    }
                }
            })
            .expect("the operating system can start one thread");
        Watchdog { shared, timeout, thread: Some(thread) }
    }

    /// Marks the start of `collective`; the returned guard marks its end.
    pub(crate) fn guard(&self, collective: Collective) -> Guard<'_> {
        *relock(&self.shared.current) = Some((collective, Instant::now()));
        Guard { watchdog: self }
    }

    /// The bound on any one collective.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            // The thread only sleeps and looks, or has ended.
            let _ = thread.join();
        }
    }
}

/// The end of a guarded collective (see [`Watchdog::guard`]).
pub(crate) struct Guard<'a> {
    watchdog: &'a Watchdog,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        *relock(&self.watchdog.shared.current) = None;
    }
}

/// The slot behind the lock, poisoned or not: it is written whole, so a panic elsewhere cannot
/// have left it half-written.
fn relock<T>(lock: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    const STUCK: Collective = Collective::AllReduce { values: 3, unit: "f32 values" };

    #[test]
    fn a_collective_that_outlives_the_timeout_triggers_the_action() {
        let (tx, rx) = mpsc::channel();
        let started = Instant::now();
        let watchdog = Watchdog::new(Duration::from_millis(50), move |collective, timeout| {
            tx.send((collective.to_string(), started.elapsed() >= timeout)).unwrap();
        });
        assert_eq!(watchdog.timeout(), Duration::from_millis(50));
        let _stuck = watchdog.guard(STUCK);
        let (what, late) = rx.recv_timeout(Duration::from_secs(10)).expect("the watchdog fired");
        assert_eq!(what, "an all-reduce of 3 f32 values");
        assert!(late, "fired before the timeout");
    }

    #[test]
    fn collectives_that_end_in_time_never_trigger_it() {
        let (tx, rx) = mpsc::channel::<String>();
        let watchdog = Watchdog::new(Duration::from_millis(200), move |c, _| tx.send(c.to_string()).unwrap());
        for _ in 0..20 {
            let _quick = watchdog.guard(Collective::Barrier);
            std::thread::sleep(Duration::from_millis(5));
        }
        // Idle time between collectives does not count either.
        std::thread::sleep(Duration::from_millis(400));
        assert!(rx.try_recv().is_err());
        drop(watchdog); // stops the thread
        assert!(matches!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected)));
    }

    #[test]
    fn collectives_describe_themselves() {
        let broadcast = Collective::Broadcast { values: 8, unit: "bytes", root: 0 };
        assert_eq!(broadcast.to_string(), "a broadcast of 8 bytes from rank 0");
        assert_eq!(Collective::Finalize.to_string(), "MPI_Finalize (every rank finishing)");
    }
}
