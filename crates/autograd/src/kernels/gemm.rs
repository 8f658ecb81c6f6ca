//! Matrix products on strided matrices: the GEMM crate (`gemm`) for real work, on several
//! threads above a measured size; dot products and row updates for the tiny and matrix-vector
//! products where the crate's fixed cost dominates.

use crate::{parallel, Float};

/// Products with at most this many multiply-adds skip the GEMM crate, whose fixed cost
/// (packing buffers, dispatch: a few hundred nanoseconds) dominates tiny products, as do
/// matrix-vector products whose dot products run along contiguous memory. Measured on the
/// development machine: below these sizes the dot products are faster.
const SMALL_GEMM: usize = 128;
const SMALL_GEMM_CONTIGUOUS: usize = 512;

/// Products with at least this many multiply-adds run on all of chainrule's threads, one block
/// of the output each, the calling thread included ([`parallel::run_parts`]). Below it a
/// second thread costs more than it saves. Measured on the development machine (2 cores,
/// 1 against 2 threads, with 50 µs of other work between products): 64×256×128 (2²¹) took 32
/// against 24 µs, 128×128×64 (2²⁰) 13.5 against 15.5 µs.
const THREADED_GEMM: usize = 1 << 21;

/// `C ← α·A·B + β·C` on strided matrices (row stride, column stride): `A: m×k`, `B: k×n`,
/// `C: m×n` after the strides are applied, so a transpose is a swap of strides and never
/// materializes. Tiny products and matrix-vector products run as dot products or row updates
/// here; the rest goes to the GEMM crate. With `β = 0`, `C` is only written (it may be
/// uninitialized).
///
/// # Safety
/// The pointers and strides describe valid matrices of the stated sizes, and `C` does not
/// overlap `A` or `B`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) unsafe fn gemm<T: Float>(
    m: usize,
    k: usize,
    n: usize,
    alpha: T,
    a: *const T,
    (rsa, csa): (isize, isize),
    b: *const T,
    (rsb, csb): (isize, isize),
    beta: T,
    c: *mut T,
    (rsc, csc): (isize, isize),
) {
    if m == 1 && csb == 1 && csc == 1 && n > 1 {
        // A row vector times a matrix with contiguous rows: c += α·a_p·B[p, :] for each p.
        // SAFETY: C's one row holds n contiguous elements, zeroed first when β = 0 (it may be
        // uninitialized), and each row p of B holds n contiguous elements.
        unsafe {
            if beta == T::ZERO {
                std::ptr::write_bytes(c, 0, n);
            }
            let out = std::slice::from_raw_parts_mut(c, n);
            if beta != T::ZERO && beta != T::ONE {
                out.iter_mut().for_each(|o| *o *= beta);
            }
            for p in 0..k as isize {
                let ap = alpha * *a.offset(p * csa);
                let row = std::slice::from_raw_parts(b.offset(p * rsb), n);
                for (o, &v) in out.iter_mut().zip(row) {
                    *o += ap * v;
                }
            }
        }
        return;
    }
    let work = m.saturating_mul(k).saturating_mul(n);
    let contiguous = csa == 1 && rsb == 1;
    let small = work <= SMALL_GEMM || (contiguous && (work <= SMALL_GEMM_CONTIGUOUS || m == 1 || n == 1));
    if !small {
        let (a, b, c) = (Shared(a), Shared(b), Shared(c));
        // SAFETY (of every call): forwarded from this function's contract; a block of columns
        // of B and C (or of rows of A and C) is a matrix of the same strides. The crate
        // computes dst ← α_crate·dst + β_crate·lhs·rhs, reading dst only if asked to, with
        // (column stride, row stride) argument order.
        let product = move |m: usize, n: usize, a: *const T, b: *const T, c: *mut T| unsafe {
            let (read_c, one_thread) = (beta != T::ZERO, gemm::Parallelism::None);
            gemm::gemm(
                m, n, k, c, csc, rsc, read_c, a, csa, rsa, b, csb, rsb, beta, alpha, false, false, false, one_thread,
            )
        };
        let threads = if work >= THREADED_GEMM { parallel::num_threads() } else { 1 };
        // Above the threshold, one block of output columns (or of rows, when there are more
        // rows than columns) per thread, the calling thread included, each a product of its
        // own. (The crate's own threads, which pack a shared operand once instead of once per
        // block, measured no faster on the MLP's products at batch 512, and slower on smaller
        // ones: the caller waits for them to wake up.)
        let by_columns = n >= m;
        let (len, other, align) = if by_columns { (n, m, 16) } else { (m, n, 8) };
        let step = block_len(len, other, threads, align);
        let parts = len.div_ceil(step);
        parallel::run_parts(parts > 1, parts, move |part| {
            let (start, rows_or_columns) = (part * step, step.min(len - part * step));
            let at = start as isize;
            let (a, b, c) = (a.get(), b.get(), c.get());
            // SAFETY: the block lies inside the matrices (see above).
            unsafe {
                match by_columns {
                    true => product(m, rows_or_columns, a, b.offset(at * csb), c.offset(at * csc)),
                    false => product(rows_or_columns, n, a.offset(at * rsa), b, c.offset(at * rsc)),
                }
            }
        });
        return;
    }
    for i in 0..m as isize {
        for j in 0..n as isize {
            // SAFETY: row i of A and column j of B hold k elements at these strides.
            let sum = unsafe {
                let (row, col) = (a.offset(i * rsa), b.offset(j * csb));
                if contiguous {
                    dot(std::slice::from_raw_parts(row, k), std::slice::from_raw_parts(col, k))
                } else {
                    (0..k as isize).map(|p| *row.offset(p * csa) * *col.offset(p * rsb)).sum::<T>()
                }
            };
            // SAFETY: (i, j) is inside C; it is read only when β ≠ 0 (then it is initialized).
            unsafe {
                let out = c.offset(i * rsc + j * csc);
                *out = if beta == T::ZERO { alpha * sum } else { alpha * sum + beta * *out };
            }
        }
    }
}

/// The GEMM crate (0.19.0, pinned for this reason) picks how to sum over `k` from a product's
/// shape, and a block of a split product must take the same path as the whole product to give
/// every element the same sequence of multiply-adds. The paths that depend on the sizes of the
/// output: a product of at most `HORIZONTAL_AREA` elements (with contiguous rows of A and columns
/// of B) sums in dot-product kernels over `k` in blocks of 1024; one with a single row or column
/// is a matrix-vector product; one of at most `SMALL_PATH` rows and columns sums over `k` in
/// blocks of 512; any larger one in blocks sized from `k` alone.
const HORIZONTAL_AREA: usize = 256;
const SMALL_PATH: usize = 64;

/// The length of the blocks (all but the last) that split an output axis of `len` into at most
/// `threads` blocks, a multiple of `align` where that keeps every block on the whole product's
/// path (see [`SMALL_PATH`]); `len` (no split) if no split does. `other` is the length of the
/// other output axis.
fn block_len(len: usize, other: usize, threads: usize, align: usize) -> usize {
    if other <= 1 {
        return len; // a matrix-vector product: memory-bound, and its own path
    }
    let mut shortest = 2; // a block of one row or column would be a matrix-vector product
    if other <= SMALL_PATH && len > SMALL_PATH {
        shortest = shortest.max(SMALL_PATH + 1);
    }
    if len * other > HORIZONTAL_AREA {
        shortest = shortest.max(HORIZONTAL_AREA / other + 1);
    }
    let parts = threads.min(len / shortest);
    if parts <= 1 {
        return len;
    }
    let step = len.div_ceil(parts);
    let aligned = step.next_multiple_of(align);
    let last = |step: usize| len - step * (len.div_ceil(step) - 1);
    if last(aligned) >= shortest && len.div_ceil(aligned) == parts {
        aligned
    } else if last(step) >= shortest {
        step
    } else {
        len
    }
}

/// A pointer that may cross to the pool's threads: the caller of [`gemm`] guarantees the
/// matrices are valid and that only `C` is written, by the GEMM crate, in disjoint blocks.
#[derive(Clone, Copy)]
struct Shared<P>(P);

impl<P> Shared<P> {
    /// The pointer (a method, so that a closure captures the whole `Shared`, not its field).
    fn get(self) -> P {
        self.0
    }
}
// SAFETY: see the type's comment; the pointee is `Float` data, which is `Send + Sync`.
unsafe impl<T: Float> Send for Shared<*const T> {}
// SAFETY: as above.
unsafe impl<T: Float> Send for Shared<*mut T> {}
// SAFETY: as above: the threads that share one write disjoint blocks of the output.
unsafe impl<T: Float> Sync for Shared<*const T> {}
// SAFETY: as above.
unsafe impl<T: Float> Sync for Shared<*mut T> {}

/// `Σ aᵢ·bᵢ` with eight independent partial sums, which the compiler keeps in SIMD lanes.
#[inline]
fn dot<T: Float>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: T = a8.remainder().iter().zip(b8.remainder()).map(|(&x, &y)| x * y).sum();
    for (x, y) in a8.zip(b8) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Above the threading threshold, every layout gives the same bits on 1, 2 and 3 threads
    /// (the GEMM crate splits the output, not the summed dimension).
    fn threaded_products_equal_one_thread<T: Float>() {
        let _lock = parallel::THREAD_COUNT_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let shapes = [
            (300, 257, 130),
            (64, 784, 256),
            (512, 128, 256),
            (32, 2000, 150),
            (40, 700, 200),
            (400, 900, 60),
            // Outputs of at most 256 elements, or of 17 rows: the dot-product and matrix-vector paths.
            (8, 4096, 64),
            (17, 1 << 14, 8),
            (8, 1 << 14, 17),
        ];
        for &(m, k, n) in &shapes {
            assert!(m * k * n >= THREADED_GEMM);
            let a: Vec<T> = (0..m * k).map(|i| T::from_f64(((i * 7919) % 1013) as f64 / 1013.0 - 0.5)).collect();
            let b: Vec<T> = (0..k * n).map(|i| T::from_f64(((i * 104_729) % 997) as f64 / 997.0 - 0.5)).collect();
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                let sa = if ta { (1, m as isize) } else { (k as isize, 1) };
                let sb = if tb { (1, k as isize) } else { (n as isize, 1) };
                for beta in [T::ZERO, T::ONE] {
                    let product = |threads: usize| {
                        parallel::set_num_threads(threads).unwrap();
                        let mut c: Vec<T> = (0..m * n).map(|i| T::from_usize(i % 3)).collect();
                        let (pa, pb, sc) = (a.as_ptr(), b.as_ptr(), (n as isize, 1));
                        // SAFETY: a is m×k, b is k×n under the strides chosen above; c is m×n.
                        unsafe { gemm(m, k, n, T::from_f64(0.75), pa, sa, pb, sb, beta, c.as_mut_ptr(), sc) };
                        c
                    };
                    let one = product(1);
                    for threads in [2, 3] {
                        assert!(one == product(threads), "{m}x{k}x{n}, transposes {ta} {tb}, {threads} threads");
                    }
                }
            }
        }
        parallel::set_num_threads(1).unwrap();
    }

    #[test]
    fn blocks_keep_the_whole_products_path() {
        // (len, other axis, threads, align) -> block length
        assert_eq!(block_len(256, 300, 2, 16), 128);
        // Aligned, blocks of 96, 96 and 64 would put the last 64 columns on the small path.
        assert_eq!(block_len(256, 64, 3, 16), 86);
        assert_eq!(block_len(140, 64, 2, 16), 70); // 80 + 60 would too
        assert_eq!(block_len(100, 64, 2, 16), 100); // no split keeps both blocks above 64
        assert_eq!(block_len(50, 40, 2, 8), 32); // a small product splits freely
        assert_eq!(block_len(64, 8, 2, 16), 64); // blocks of 32 x 8 would take the dot-product path
        assert_eq!(block_len(17, 8, 2, 8), 9); // aligned, 16 + 1 would end in a matrix-vector product
        assert_eq!(block_len(17, 16, 2, 8), 17); // 9 x 16 would take the dot-product path, 17 x 16 does not
        assert_eq!(block_len(5000, 1, 2, 16), 5000); // a matrix-vector product is not split
        for &(len, other) in &[(256, 64), (140, 64), (65, 10), (1000, 3), (300, 200), (64, 8), (17, 16), (40, 7)] {
            for threads in 1..=4 {
                let step = block_len(len, other, threads, 16);
                let blocks: Vec<usize> = (0..len.div_ceil(step)).map(|b| step.min(len - b * step)).collect();
                assert!(blocks.len() <= threads && blocks.iter().sum::<usize>() == len, "{len} {other} {threads}");
                let path =
                    |len: usize| (len * other <= HORIZONTAL_AREA, len == 1, len <= SMALL_PATH && other <= SMALL_PATH);
                assert!(blocks.iter().all(|&b| path(b) == path(len)), "{len} {other} {threads}: {blocks:?}");
            }
        }
    }

    #[test]
    fn threaded_products_equal_one_thread_f32() {
        threaded_products_equal_one_thread::<f32>();
    }

    #[test]
    fn threaded_products_equal_one_thread_f64() {
        threaded_products_equal_one_thread::<f64>();
    }

    #[test]
    fn small_products_agree_with_the_gemm_crate() {
        // Every path of `gemm` (dot products, row updates, the crate) on every transpose layout.
        for &(m, k, n) in &[(1, 5, 7), (3, 4, 2), (1, 300, 3), (7, 1, 9), (5, 9, 1), (13, 11, 17)] {
            let a: Vec<f64> = (0..m * k).map(|i| ((i * 7 + 3) % 11) as f64 - 5.0).collect();
            let b: Vec<f64> = (0..k * n).map(|i| ((i * 5 + 1) % 13) as f64 - 6.0).collect();
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                let sa = if ta { (1, m as isize) } else { (k as isize, 1) };
                let sb = if tb { (1, k as isize) } else { (n as isize, 1) };
                for beta in [0.0, 1.0, 0.5] {
                    let mut ours = vec![1.5; m * n];
                    let mut crate_ = ours.clone();
                    // SAFETY: a is m×k, b is k×n under the strides chosen above; the outputs are m×n.
                    unsafe {
                        gemm(m, k, n, 2.0, a.as_ptr(), sa, b.as_ptr(), sb, beta, ours.as_mut_ptr(), (n as isize, 1));
                        gemm::gemm(
                            m,
                            n,
                            k,
                            crate_.as_mut_ptr(),
                            1,
                            n as isize,
                            beta != 0.0,
                            a.as_ptr(),
                            sa.1,
                            sa.0,
                            b.as_ptr(),
                            sb.1,
                            sb.0,
                            beta,
                            2.0,
                            false,
                            false,
                            false,
                            gemm::Parallelism::None,
                        );
                    }
                    assert_eq!(ours, crate_, "{m}x{k}x{n}, transposes {ta} {tb}, beta {beta}");
                }
            }
        }
    }
}
