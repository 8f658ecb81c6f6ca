//! [`Watchdog`]: a bound on how long any collective may wait.
//!
//! A collective returns only when every rank has entered it. A rank that died is noticed by
//! `mpirun`, which ends the job; but a rank that is alive and never arrives (stuck in a loop,
//! waiting on a lock, or one step short of the others after a bug) would leave the others
//! waiting forever. So every blocking collective runs under a [`Watchdog::guard`]: a thread
//! beside the training one wakes when the guard's deadline passes, and if the collective is
//! still running, calls the timeout action with what was waited for (the MPI world prints a
//! message naming the rank and ends the process, and `mpirun` then ends the job). A guard that
//! ends in time costs two uncontended lock round trips.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What is being waited for, and until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Wait {
    /// The collective, in words (`"all-reduce of 1024 f32 values"`).
    pub(crate) what: String,
    /// When it started.
    pub(crate) since: Instant,
}

#[derive(Default)]
struct State {
    current: Option<(Wait, Instant)>,
    shutdown: bool,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

/// Watches the collective in progress and acts when it outlives its timeout.
pub(crate) struct Watchdog {
    shared: Shared,
    timeout: Duration,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts the watching thread; `on_timeout(wait, timeout)` runs on it when a guarded wait
    /// lasts longer than `timeout`. The action is expected to end the process; if it returns,
    /// the watchdog stops watching.
    pub(crate) fn new(timeout: Duration, on_timeout: impl FnOnce(&Wait, Duration) + Send + 'static) -> Self {
        let shared: Shared = Arc::default();
        let watched = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("collective-watchdog".into())
            .spawn(move || {
                let (lock, wake) = &*watched;
                let mut state = relock(lock.lock());
                loop {
                    if state.shutdown {
                        return;
                    }
                    match &state.current {
                        None => state = relock(wake.wait(state)),
                        Some((wait, deadline)) => {
                            let now = Instant::now();
                            if now >= *deadline {
                                let wait = wait.clone();
                                drop(state);
                                on_timeout(&wait, timeout);
                                return;
                            }
                            let left = *deadline - now;
                            state = match wake.wait_timeout(state, left) {
                                Ok((state, _)) => state,
                                Err(poisoned) => poisoned.into_inner().0,
                            };
                        }
                    }
                }
            })
            .expect("the operating system can start one thread");
        Watchdog { shared, timeout, thread: Some(thread) }
    }

    /// Marks the start of a wait described by `what`; the returned guard marks its end.
    pub(crate) fn guard(&self, what: impl FnOnce() -> String) -> Guard<'_> {
        let since = Instant::now();
        let wait = Wait { what: what(), since };
        let (lock, wake) = &*self.shared;
        relock(lock.lock()).current = Some((wait, since + self.timeout));
        wake.notify_one();
        Guard { watchdog: self }
    }

    /// The bound on any one wait.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let (lock, wake) = &*self.shared;
        relock(lock.lock()).shutdown = true;
        wake.notify_one();
        if let Some(thread) = self.thread.take() {
            // The thread only waits on the condition variable, or has ended.
            let _ = thread.join();
        }
    }
}

/// The end of a guarded wait (see [`Watchdog::guard`]).
pub(crate) struct Guard<'a> {
    watchdog: &'a Watchdog,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        // No notification: the watchdog finds the slot empty when it next wakes and sleeps on.
        relock(self.watchdog.shared.0.lock()).current = None;
    }
}

/// The state behind a lock, poisoned or not: the state is two plain fields, each written whole,
/// so a panic elsewhere cannot have left it half-written.
fn relock<G>(result: std::sync::LockResult<G>) -> G {
    result.unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_wait_that_outlives_the_timeout_triggers_the_action_with_its_description() {
        let (tx, rx) = mpsc::channel();
        let watchdog = Watchdog::new(Duration::from_millis(50), move |wait, timeout| {
            tx.send((wait.what.clone(), wait.since.elapsed() >= timeout)).unwrap();
        });
        assert_eq!(watchdog.timeout(), Duration::from_millis(50));
        let _stuck = watchdog.guard(|| "all-reduce of 3 f32 values".to_string());
        let (what, late) = rx.recv_timeout(Duration::from_secs(10)).expect("the watchdog fired");
        assert_eq!(what, "all-reduce of 3 f32 values");
        assert!(late, "fired before the timeout");
    }

    #[test]
    fn waits_that_end_in_time_never_trigger_it() {
        let (tx, rx) = mpsc::channel::<String>();
        let watchdog = Watchdog::new(Duration::from_millis(200), move |wait, _| tx.send(wait.what.clone()).unwrap());
        for i in 0..20 {
            let _quick = watchdog.guard(|| format!("wait {i}"));
            std::thread::sleep(Duration::from_millis(5));
        }
        // Idle time between guards does not count either.
        std::thread::sleep(Duration::from_millis(400));
        assert!(rx.try_recv().is_err());
        drop(watchdog); // stops the thread
        assert!(matches!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected)));
    }
}
