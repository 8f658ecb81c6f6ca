//! [`ThreadBound`]: a value a tape keeps for the thread that gave it, so that the tape stays
//! `Send` although the value (a user's closure: a gradient hook, a segment to recompute) need
//! not be.
//!
//! Why this is sound: a tape's recorded values are reached only through `Var`s, which borrow
//! the tape and are neither `Send` nor `Sync` (a `Tape` is not `Sync`), so every call happens on
//! the thread that holds the borrow, which is the thread that registered the value. A tape can
//! move to another thread only when no `Var` borrows it; there nothing calls the value, and if
//! the tape is dropped or cleared there, the value is leaked rather than dropped on a thread it
//! does not belong to. Both are checked at run time, not assumed.

use std::mem::ManuallyDrop;
use std::thread::{self, ThreadId};

/// A value that is used and dropped only on the thread that created it.
pub(crate) struct ThreadBound<V> {
    thread: ThreadId,
    value: ManuallyDrop<V>,
}

// SAFETY: the value is reached only through `get`, which refuses every thread but the one that
// made it, and dropped only on that thread (see `Drop`); moving or sharing the wrapper itself
// touches nothing of the value.
unsafe impl<V> Send for ThreadBound<V> {}
// SAFETY: as above: `&ThreadBound` gives access to the value on its own thread only.
unsafe impl<V> Sync for ThreadBound<V> {}

impl<V> ThreadBound<V> {
    pub fn new(value: V) -> Self {
        ThreadBound { thread: thread::current().id(), value: ManuallyDrop::new(value) }
    }

    /// The value, on the thread that made it; `None` on any other.
    pub fn get(&self) -> Option<&V> {
        (thread::current().id() == self.thread).then_some(&*self.value)
    }
}

impl<V> Drop for ThreadBound<V> {
    fn drop(&mut self) {
        if thread::current().id() == self.thread {
            // SAFETY: dropped once, here, and never used again.
            unsafe { ManuallyDrop::drop(&mut self.value) }
        }
        // On another thread the value is leaked: dropping it there could race with the thread
        // it belongs to (an `Rc` it shares, say).
    }
}

#[cfg(test)]
mod tests {
    use super::ThreadBound;
    use std::rc::Rc;

    #[test]
    fn the_value_is_reachable_on_its_thread_only() {
        let shared = Rc::new(5);
        let bound = ThreadBound::new(shared.clone());
        assert_eq!(bound.get().map(|v| **v), Some(5));
        let bound = std::thread::spawn(move || {
            assert!(bound.get().is_none());
            bound
        })
        .join()
        .unwrap();
        assert_eq!(Rc::strong_count(&shared), 2);
        drop(bound);
        assert_eq!(Rc::strong_count(&shared), 1, "dropped on its own thread");
        let elsewhere = ThreadBound::new(shared.clone());
        std::thread::spawn(move || drop(elsewhere)).join().unwrap();
        assert_eq!(Rc::strong_count(&shared), 2, "leaked, not dropped, on another thread");
    }
}
