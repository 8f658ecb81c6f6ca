//! Threads and vector instructions for the loops over large tensors.
//!
//! chainrule splits the work *inside* an op across a pool of threads of its own (the tape still
//! runs one op after another): matrix products above a measured size, elementwise kernels and
//! their fused backward passes over many elements, sums over many rows, and the optimizers'
//! updates of large parameters. Small work stays on the calling thread, where handing it to
//! another thread would cost more than it saves. Every such loop also runs compiled for the
//! widest vector instructions the CPU has (AVX-512 or AVX2 with FMA on x86-64, detected at run
//! time), so a default build, made for any x86-64, still uses them.
//!
//! One knob sets the number of threads: [`set_num_threads`]. Until it is called, chainrule uses
//! the `RAYON_NUM_THREADS` environment variable if it is set to a positive number, else every
//! core the operating system offers ([`std::thread::available_parallelism`]). The pool is
//! chainrule's own: the global rayon pool of a program that uses rayon is left alone.
//!
//! # Determinism
//!
//! Results do not depend on the number of threads, bit for bit:
//!
//! - an elementwise kernel computes each element by the same formula whichever thread does it;
//! - a reduction (a sum over rows) always splits its input into blocks whose boundaries depend
//!   only on the sizes, sums each block in order, and adds the blocks' sums in block order, on
//!   one thread or many;
//! - a matrix product is split over blocks of the output, never along the summed dimension, so
//!   every output element is the same sequence of multiply-adds.
//!
//! Same seed, same bits therefore holds at any thread count (on one machine: the vector
//! instructions a CPU has decide which GEMM kernel runs, and its rounding).
//!
//! ```
//! autograd::set_num_threads(2).unwrap();
//! assert_eq!(autograd::num_threads(), 2);
//! assert!(autograd::set_num_threads(0).is_err());
//! ```

use crate::{Error, Result};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// Elements per block of an elementwise loop split across threads (64 KiB of `f32`: each
/// thread's share stays in its L2 cache, and a block is a few microseconds of work, well above
/// the cost of handing it over).
pub const BLOCK: usize = 16 * 1024;

/// Loops over fewer elements than this run on the calling thread: below it, waking another
/// thread costs about as much as it saves. Measured with the MLP benchmark's elementwise ops
/// (ReLU and its backward at batch 128 and 512, the SGD update of each layer).
pub const PARALLEL_MIN: usize = 4 * BLOCK;

/// Loops over a model's parameters, their gradients and optimizer state split across threads
/// only from this many elements on ([`for_each_parameter_block`]). That data stays in the
/// calling core's cache from one step to the next (the forward pass reads the parameters, the
/// backward pass writes their gradients, the update reads both), so splitting the update moves
/// half of it to another core's cache and back every step, which costs more than the second core
/// saves until the data is far larger than a core's cache. Measured on the development machine:
/// splitting the SGD update of the MLP's 784×256 weight made the whole step at batch 32 1.7×
/// slower on 2 threads than on 1; on their own, plain SGD updates gained nothing from a second
/// thread up to 4M elements, and Adam's updates gained from about 1M.
pub const PARALLEL_MIN_PARAMETERS: usize = 1 << 20;

/// Loops over fewer elements than this run as they are, on the calling thread, without the
/// dispatch to a copy compiled for wider vector instructions: a few vectors' worth of work
/// gains nothing from them, and scalar code (one-element tensors) would pay the dispatch on
/// every op. The arithmetic is the same in every copy, so the result does not change.
const VECTOR_MIN: usize = 64;

/// The thread count set by [`set_num_threads`], or 0 while the default has not been read yet.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// The pool, built at the first parallel loop after the thread count was set.
static POOL: RwLock<Option<Arc<rayon::ThreadPool>>> = RwLock::new(None);

/// Sets the number of threads chainrule's kernels use (1: everything on the calling thread).
/// Fails on 0. Takes effect at the next kernel; results do not depend on it (see the module
/// documentation).
#[track_caller]
pub fn set_num_threads(threads: usize) -> Result<()> {
    if threads == 0 {
        return Err(Error::invalid("set_num_threads", "the number of threads must be at least 1, got 0"));
    }
    let mut pool = POOL.write().unwrap_or_else(PoisonError::into_inner);
    THREADS.store(threads, Ordering::Relaxed);
    *pool = None;
    Ok(())
}

/// The number of threads chainrule's kernels use: the value given to [`set_num_threads`], or
/// else `RAYON_NUM_THREADS` if it holds a positive number, or else the number of cores.
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => {
            let default = std::env::var("RAYON_NUM_THREADS")
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            // A concurrent `set_num_threads` wins over the default.
            let _ = THREADS.compare_exchange(0, default, Ordering::Relaxed, Ordering::Relaxed);
            THREADS.load(Ordering::Relaxed)
        }
        n => n,
    }
}

/// The pool for the current thread count, built on first use; `None` if the operating system
/// refused to start its threads (the kernels then run on the calling thread).
fn pool() -> Option<Arc<rayon::ThreadPool>> {
    if let Some(pool) = POOL.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
        return Some(pool.clone());
    }
    let mut slot = POOL.write().unwrap_or_else(PoisonError::into_inner);
    if slot.is_none() {
        let built = rayon::ThreadPoolBuilder::new()
            .num_threads(num_threads())
            .thread_name(|i| format!("chainrule-{i}"))
            .build();
        *slot = built.ok().map(Arc::new);
    }
    slot.clone()
}

/// Runs `part(0)`, …, `part(parts − 1)`, one part each on the calling thread and on `parts − 1`
/// of the pool's threads when `parallel` (and more than one thread is set), or all on the calling
/// thread. The caller does not hand its own part over: it starts at once, while the pool's
/// threads wake up, and afterwards takes back every part no thread has started yet, so a slow
/// wake-up never costs more than running the parts one after another. (Rayon's `install`
/// instead blocks the caller until a pool thread has run the whole work: two hand-overs.)
///
/// A panic in a part run by the pool aborts the process (rayon's rule for spawned work).
pub(crate) fn run_parts(parallel: bool, parts: usize, part: impl Fn(usize) + Sync) {
    let pool = match pool_for(parallel && parts > 1) {
        Some((pool, _)) => pool,
        None => return (0..parts).for_each(part),
    };
    let job = Arc::new(Parts::new(parts, &part));
    // Runs or waits for the other parts when this frame ends, even by a panic in `part(0)`: no
    // pool thread may call `part` after it is gone.
    let mut finish = Finish { job: &job, caller_done: false };
    for index in 1..parts {
        let job = job.clone();
        pool.spawn(move || {
            job.run(index);
        });
    }
    part(0);
    finish.caller_done = true;
}

/// See [`run_parts`]: on drop, every part but the caller's is run here (only claimed, if the
/// caller's own part did not finish) unless a pool thread has claimed it, in which case it is
/// waited for. A part that panics here is resumed only once every other part is settled.
struct Finish<'a> {
    job: &'a Parts,
    caller_done: bool,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        let mut panicked = None;
        for index in 1..self.job.claimed.len() {
            let run_here = self.caller_done && panicked.is_none();
            let settled =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.job.run_or_wait(index, run_here)));
            if let Err(payload) = settled {
                panicked.get_or_insert(payload);
            }
        }
        if let Some(payload) = panicked {
            std::panic::resume_unwind(payload);
        }
    }
}

/// The parts of a [`run_parts`] call, shared with the pool's threads: which have been claimed
/// (by whoever runs them) and which are done.
struct Parts {
    claimed: Vec<std::sync::atomic::AtomicBool>,
    done: Vec<std::sync::atomic::AtomicBool>,
    /// The caller's `part`, its lifetime erased: it is called only by whoever claims a part,
    /// and `run_parts` returns only once every claimed part is done, so no call outlives it.
    part: *const (dyn Fn(usize) + Sync),
}

// SAFETY: `part` points at a `Sync` closure, called only under the rule above.
unsafe impl Send for Parts {}
// SAFETY: as above; the flags are atomics.
unsafe impl Sync for Parts {}

impl Parts {
    fn new(parts: usize, part: &(dyn Fn(usize) + Sync)) -> Self {
        let flags = || (0..parts).map(|_| std::sync::atomic::AtomicBool::new(false)).collect();
        // SAFETY: only the lifetime changes (see the field's comment).
        let part: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(part) };
        Parts { claimed: flags(), done: flags(), part }
    }

    /// Runs part `index` if no one has claimed it yet.
    fn run(&self, index: usize) {
        if !self.claimed[index].swap(true, Ordering::AcqRel) {
            // SAFETY: the part was unclaimed, so `run_parts` has not returned (see `part`).
            unsafe { (*self.part)(index) };
            self.done[index].store(true, Ordering::Release);
        }
    }

    /// Runs part `index` here (or only claims it, if not `run_here`) if no pool thread has
    /// started it, else waits until it is done.
    fn run_or_wait(&self, index: usize, run_here: bool) {
        if !self.claimed[index].swap(true, Ordering::AcqRel) {
            if run_here {
                // SAFETY: as in `run`.
                unsafe { (*self.part)(index) };
            }
            return;
        }
        // Claimed by a pool thread, which is running it: spin briefly, then yield the core.
        let mut spins = 0u32;
        while !self.done[index].load(Ordering::Acquire) {
            if spins < 1 << 12 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// The pool and its thread count if `parallel` and more than one thread is set (and the pool
/// could be started); `None` when the work runs on the calling thread.
fn pool_for(parallel: bool) -> Option<(Arc<rayon::ThreadPool>, usize)> {
    let threads = if parallel { num_threads() } else { 1 };
    if threads > 1 {
        pool().map(|pool| (pool, threads))
    } else {
        None
    }
}

/// Slices (or tuples of slices of one length) that a loop can split into blocks.
///
/// Implemented for `&[U]`, `&mut [U]` and tuples of up to five of them, so a loop over
/// several arrays at once (a parameter, its gradient, the optimizer's buffers) is split at the
/// same indices in each.
pub trait Blocks: Sized + Send {
    /// The number of elements (of the first slice, for a tuple).
    fn len(&self) -> usize;
    /// Whether there are no elements.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether every slice has the same length (always true for one slice).
    fn same_lengths(&self) -> bool {
        true
    }
    /// The elements before `mid` and from `mid` on, in every slice.
    fn split_at(self, mid: usize) -> (Self, Self);
}

impl<U: Sync> Blocks for &[U] {
    fn len(&self) -> usize {
        <[U]>::len(self)
    }
    fn split_at(self, mid: usize) -> (Self, Self) {
        <[U]>::split_at(self, mid)
    }
}

impl<U: Send> Blocks for &mut [U] {
    fn len(&self) -> usize {
        <[U]>::len(self)
    }
    fn split_at(self, mid: usize) -> (Self, Self) {
        <[U]>::split_at_mut(self, mid)
    }
}

macro_rules! impl_blocks_for_tuple {
    ($first:ident $(, $rest:ident)*) => {
        #[allow(non_snake_case)]
        impl<$first: Blocks, $($rest: Blocks),*> Blocks for ($first, $($rest),*) {
            fn len(&self) -> usize {
                self.0.len()
            }
            fn same_lengths(&self) -> bool {
                let ($first, $($rest),*) = self;
                let len = $first.len();
                $first.same_lengths() $(&& $rest.same_lengths() && $rest.len() == len)*
            }
            fn split_at(self, mid: usize) -> (Self, Self) {
                let ($first, $($rest),*) = self;
                let $first = $first.split_at(mid);
                $(let $rest = $rest.split_at(mid);)*
                (($first.0, $($rest.0),*), ($first.1, $($rest.1),*))
            }
        }
    };
}

impl_blocks_for_tuple!(A, B);
impl_blocks_for_tuple!(A, B, C);
impl_blocks_for_tuple!(A, B, C, D);
impl_blocks_for_tuple!(A, B, C, D, E);

/// Runs the elementwise loop `body` over `slices`: on the calling thread for fewer than
/// [`PARALLEL_MIN`] elements or with one thread, else split into blocks of [`BLOCK`] elements
/// that the pool's threads share. Either way `body` runs compiled for the CPU's vector
/// instructions, provided it is inlined into the copies of this function built for them: mark
/// the closure `#[inline(always)]` (the compiler may otherwise keep one copy of a large body,
/// built for the baseline instruction set), and make it a `move` closure: one that borrows the
/// values it uses (a learning rate, a flag) reads them from memory the compiler cannot tell
/// apart from what the loop writes, so it reloads them for every element and does not vectorize
/// the loop (Adam's update ran 4.6x slower so; `cargo bench --bench optimizers` measures every
/// optimizer's). `body` must treat each index independently of the others (an elementwise
/// update), so that how the slices are split cannot change the result.
///
/// ```
/// use autograd::parallel::for_each_block;
/// let mut theta = vec![1.0f32; 100_000];
/// let grad = vec![0.5f32; 100_000];
/// let lr = 0.1;
/// for_each_block((&mut theta[..], &grad[..]), #[inline(always)] move |(theta, grad)| {
///     for (p, &g) in theta.iter_mut().zip(grad) {
///         *p -= lr * g;
///     }
/// });
/// assert!(theta.iter().all(|&p| p == 1.0 - 0.1 * 0.5));
/// ```
///
/// # Panics
/// If the slices of a tuple have different lengths.
#[inline]
pub fn for_each_block<S: Blocks>(slices: S, body: impl Fn(S) + Sync) {
    for_each_block_from(PARALLEL_MIN, slices, body)
}

/// [`for_each_block`] for loops over a model's parameters, their gradients and optimizer state
/// (the optimizers' updates): split across threads only from [`PARALLEL_MIN_PARAMETERS`]
/// elements on, since that data lives in the calling core's cache between steps.
///
/// # Panics
/// If the slices of a tuple have different lengths.
#[inline]
pub fn for_each_parameter_block<S: Blocks>(slices: S, body: impl Fn(S) + Sync) {
    for_each_block_from(PARALLEL_MIN_PARAMETERS, slices, body)
}

/// [`for_each_block`], split across threads from `parallel_min` elements on.
fn for_each_block_from<S: Blocks>(parallel_min: usize, slices: S, body: impl Fn(S) + Sync) {
    assert!(slices.same_lengths(), "for_each_block: the slices have different lengths");
    let len = slices.len();
    // On the calling thread, `body` moves into the loop's own closure. Borrowed, its captured
    // values would sit in memory the compiler cannot tell apart from what the loop writes
    // through `slices`, so it would reload them for every element and not vectorize the loop
    // (Adam's update ran 4.6x slower).
    if len < VECTOR_MIN {
        return body(slices);
    }
    let Some((pool, _)) = pool_for(len >= parallel_min) else {
        return vectorized(
            #[inline(always)]
            move || body(slices),
        );
    };
    pool.install(|| {
        let mut blocks = Vec::with_capacity(len.div_ceil(BLOCK));
        let mut rest = slices;
        while rest.len() > BLOCK {
            let (block, tail) = rest.split_at(BLOCK);
            blocks.push(block);
            rest = tail;
        }
        blocks.push(rest);
        blocks.into_par_iter().for_each(|block| {
            vectorized(
                #[inline(always)]
                || body(block),
            )
        });
    })
}

/// A reduction over `len` items in fixed blocks of `block` items (the last may be shorter):
/// `partial(range)` for each block (on the pool's threads when `len · cost` is large; mark it
/// `#[inline(always)]`, as the body of [`for_each_block`]), then `combine(partial)` in block
/// order on the calling thread. The blocks depend only on `len` and `block`, so the result
/// does not depend on the number of threads.
pub(crate) fn reduce_blocks<P: Send>(
    len: usize,
    block: usize,
    cost_per_item: usize,
    partial: impl Fn(Range<usize>) -> P + Sync,
    mut combine: impl FnMut(P),
) {
    let block = block.max(1);
    let ranges = (0..len.div_ceil(block)).map(|b| b * block..((b + 1) * block).min(len));
    let parallel = len.saturating_mul(cost_per_item) >= PARALLEL_MIN && len > block;
    let Some((pool, _)) = pool_for(parallel) else {
        // `partial` moves in, as `body` in `for_each_block_from`, for the same reason.
        return vectorized(
            #[inline(always)]
            move || ranges.for_each(|range| combine(partial(range))),
        );
    };
    let ranges: Vec<Range<usize>> = ranges.collect();
    let partials: Vec<P> = pool.install(|| {
        ranges
            .into_par_iter()
            .map(|range| {
                vectorized(
                    #[inline(always)]
                    || partial(range),
                )
            })
            .collect()
    });
    partials.into_iter().for_each(&mut combine);
}

/// The widest vector instructions this CPU offers, as far as the kernels care.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
enum Simd {
    /// x86-64-v4: AVX-512 (F, BW, DQ, VL) with AVX2 and FMA.
    Avx512,
    /// x86-64-v3: AVX2 and FMA.
    Avx2,
    /// Whatever the build targets (SSE2 on a default x86-64 build).
    Baseline,
}

/// [`detect_simd`], read once: the kernels ask on every call.
fn simd() -> Simd {
    static DETECTED: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
    *DETECTED.get_or_init(detect_simd)
}

fn detect_simd() -> Simd {
    #[cfg(target_arch = "x86_64")]
    {
        let v3 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        if v3
            && is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512dq")
            && is_x86_feature_detected!("avx512vl")
        {
            return Simd::Avx512;
        }
        if v3 {
            return Simd::Avx2;
        }
    }
    Simd::Baseline
}

/// Runs `f` compiled for the CPU's widest vector instructions: `f` is inlined into a copy of
/// this function built with those target features, so its loops vectorize for them. The
/// arithmetic is the same IEEE operations in every copy (Rust never fuses a multiply and an add
/// unless asked), so the result does not depend on which copy runs.
#[inline]
pub(crate) fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    match simd() {
        // SAFETY: `simd()` checked at run time that the CPU has these features.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { with_avx512(f) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { with_avx2(f) },
        _ => f(),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
unsafe fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Unit tests that change the thread count hold this lock, so that they do not change it under
/// each other (results never depend on it; what each test exercises does).
#[cfg(test)]
pub(crate) static THREAD_COUNT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_split_at_the_same_index() {
        let (mut a, b, c) = (vec![0u32; 10], vec![1u32; 10], vec![2u32; 10]);
        let ((a1, b1, c1), (a2, b2, c2)) = (&mut a[..], &b[..], &c[..]).split_at(4);
        assert_eq!((a1.len(), b1.len(), c1.len(), a2.len(), b2.len(), c2.len()), (4, 4, 4, 6, 6, 6));
        assert!(!(&a[..], &b[..9]).same_lengths());
    }

    #[test]
    fn blocks_cover_every_index_once() {
        for len in [0, 1, BLOCK - 1, BLOCK, PARALLEL_MIN + 3, 3 * PARALLEL_MIN + BLOCK / 2] {
            let mut hits = vec![0u8; len];
            let index: Vec<usize> = (0..len).collect();
            for_each_block((&mut hits[..], &index[..]), |(hits, index)| {
                for (h, &i) in hits.iter_mut().zip(index) {
                    *h += 1 + (i % 2) as u8;
                }
            });
            assert!(hits.iter().enumerate().all(|(i, &h)| h == 1 + (i % 2) as u8), "len {len}");
        }
    }

    #[test]
    fn large_loops_run_in_the_pool_small_ones_on_the_caller() {
        let _lock = THREAD_COUNT_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let in_pool = |len: usize| {
            let data = vec![0u8; len];
            let seen = std::sync::Mutex::new(Vec::new());
            for_each_block(&data[..], |_| seen.lock().unwrap().push(rayon::current_thread_index()));
            seen.into_inner().unwrap()
        };
        set_num_threads(2).unwrap();
        assert_eq!(num_threads(), 2);
        let large = in_pool(PARALLEL_MIN);
        assert_eq!(large.len(), PARALLEL_MIN / BLOCK, "one call per block");
        assert!(large.iter().all(|t| t.is_some()), "blocks ran in the pool: {large:?}");
        assert_eq!(in_pool(PARALLEL_MIN - 1), vec![None], "one call on the calling thread");
        set_num_threads(1).unwrap();
        assert_eq!(in_pool(4 * PARALLEL_MIN), vec![None], "one thread: no pool");
        let e = set_num_threads(0).unwrap_err();
        assert!(e.to_string().contains("at least 1, got 0"), "{e}");
        assert_eq!(num_threads(), 1, "a refused count changes nothing");
    }

    #[test]
    fn every_part_runs_once_and_the_caller_runs_the_first() {
        let _lock = THREAD_COUNT_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        for threads in [1, 2, 3] {
            set_num_threads(threads).unwrap();
            for _ in 0..200 {
                let runs: Vec<AtomicUsize> = (0..5).map(|_| AtomicUsize::new(0)).collect();
                let caller = std::thread::current().id();
                run_parts(true, 5, |part| {
                    runs[part].fetch_add(1, Ordering::Relaxed);
                    if part == 0 {
                        assert_eq!(std::thread::current().id(), caller);
                    }
                });
                assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1), "{threads} threads: {runs:?}");
            }
        }
        set_num_threads(1).unwrap();
    }

    #[test]
    fn a_panic_in_the_callers_part_waits_for_the_others() {
        let _lock = THREAD_COUNT_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        set_num_threads(2).unwrap();
        let finished = AtomicUsize::new(0);
        let result = std::panic::catch_unwind(|| {
            run_parts(true, 2, |part| {
                if part == 0 {
                    panic!("the caller's part fails");
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
                finished.fetch_add(1, Ordering::Relaxed);
            })
        });
        assert!(result.is_err());
        // Either a pool thread ran part 1 (and the unwinding caller waited for it) or the
        // caller claimed it first and skipped it: nothing runs after `run_parts` is left.
        let after = finished.load(Ordering::Relaxed);
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(finished.load(Ordering::Relaxed), after);
        set_num_threads(1).unwrap();
    }

    #[test]
    #[should_panic(expected = "different lengths")]
    fn mismatched_lengths_panic() {
        for_each_block((&mut [0.0f32; 3][..], &[0.0f32; 2][..]), |_| {});
    }

    #[test]
    fn reductions_combine_fixed_blocks_in_order() {
        let mut order = Vec::new();
        reduce_blocks(10, 4, 1, |r| (r.start, r.end), |p| order.push(p));
        assert_eq!(order, vec![(0, 4), (4, 8), (8, 10)]);
        let mut none = 0;
        reduce_blocks(0, 4, 1, |_| 1, |p| none += p);
        assert_eq!(none, 0);
    }
}
