//! Small building blocks shared by the kernels of several ops: filling a new tensor in one
//! allocation, and walking the lanes (1-D runs) of a tensor along one axis.
//!
//! No op lives here and nothing here knows about gradients.

use crate::{Float, Shape, Tensor};

impl<T: Float> Tensor<T> {
    /// A tensor of `shape` whose elements `fill` writes into a zeroed buffer: one allocation,
    /// no copy (a `Vec` turned into shared storage would be copied once more).
    #[inline]
    pub(crate) fn zeroed_with(shape: Shape, fill: impl FnOnce(&mut [T])) -> Tensor<T> {
        let len = shape.numel();
        let write = |p: *mut T| {
            // SAFETY: `p` points at `len` writable elements of `T`; zero bytes are a valid `T`
            // (0.0 for both f32 and f64), so after `write_bytes` the slice is initialized.
            let slice = unsafe {
                std::ptr::write_bytes(p, 0, len);
                std::slice::from_raw_parts_mut(p, len)
            };
            fill(slice);
        };
        // SAFETY: `write` initializes all `len` elements (zeroes them) before `fill` runs.
        unsafe { Tensor::from_writer(shape, write) }
    }
}

/// The sizes of a tensor viewed as `[outer, len, inner]` around one axis: a lane is the run of
/// `len` elements at stride `inner` along the axis, one for each `(outer, inner)` position.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lanes {
    pub outer: usize,
    pub len: usize,
    pub inner: usize,
}

impl Lanes {
    pub fn new(shape: &Shape, axis: usize) -> Self {
        let (outer, len, inner) = shape.split_at_axis(axis);
        Lanes { outer, len, inner }
    }

    /// Number of lanes.
    pub fn count(&self) -> usize {
        self.outer * self.inner
    }
}

/// Calls `f(inputs' lanes, output lane)` for every lane along an axis, where the inputs all have
/// the lane layout `ins` and the output the layout `out` (same `outer` and `inner`, its own
/// `len`). Lanes along the last axis are contiguous and passed as they are; otherwise they are
/// copied through scratch buffers (one allocation per call, not per lane).
pub(crate) fn map_lanes<T: Float, const K: usize>(
    inputs: [&[T]; K],
    ins: Lanes,
    out: &mut [T],
    out_len: usize,
    mut f: impl FnMut([&[T]; K], &mut [T]),
) {
    let (n, m) = (ins.len, out_len);
    if ins.inner == 1 {
        for o in 0..ins.outer {
            let lanes = inputs.map(|x| &x[o * n..(o + 1) * n]);
            f(lanes, &mut out[o * m..(o + 1) * m]);
        }
        return;
    }
    let inner = ins.inner;
    let mut scratch = vec![T::ZERO; K * n + m];
    for o in 0..ins.outer {
        for i in 0..inner {
            let (ins_buf, out_buf) = scratch.split_at_mut(K * n);
            let base = o * n * inner + i;
            for (x, buf) in inputs.iter().zip(ins_buf.chunks_exact_mut(n.max(1))) {
                for (k, b) in buf.iter_mut().enumerate().take(n) {
                    *b = x[base + k * inner];
                }
            }
            let lanes: [&[T]; K] = std::array::from_fn(|j| &ins_buf[j * n..(j + 1) * n]);
            f(lanes, out_buf);
            let out_base = o * m * inner + i;
            for (k, &v) in out_buf.iter().enumerate() {
                out[out_base + k * inner] = v;
            }
        }
    }
}

/// Products with at most this many multiply-adds skip the GEMM crate, whose fixed cost
/// (packing buffers, dispatch: a few hundred nanoseconds) dominates tiny products, as do
/// matrix-vector products whose dot products run along contiguous memory. Measured on the
/// development machine: below these sizes the dot products are faster.
const SMALL_GEMM: usize = 128;
const SMALL_GEMM_CONTIGUOUS: usize = 512;

/// `C ← α·A·B + β·C` on strided matrices (row stride, column stride), as [`Float::gemm`];
/// tiny products and matrix-vector products run as dot products or row updates here instead.
/// With `β = 0`, `C` is only written (it may be uninitialized).
///
/// # Safety
/// As [`Float::gemm`]: the pointers and strides describe valid matrices of the stated sizes
/// (`A: m×k`, `B: k×n`, `C: m×n`), and `C` does not overlap `A` or `B`.
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
        // SAFETY: forwarded from this function's contract.
        unsafe { T::gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) };
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

/// `shape` with `axis` set to `size`.
pub(crate) fn resized(shape: &Shape, axis: usize, size: usize) -> Shape {
    let mut dims: smallvec::SmallVec<[usize; 4]> = shape.dims().into();
    dims[axis] = size;
    Shape::from(dims)
}

/// The value at a lane's maximum, NaN if the lane holds one (as PyTorch), −∞ if it is empty.
#[inline]
pub(crate) fn lane_max<T: Float>(lane: &[T]) -> T {
    let mut m = T::neg_infinity();
    for &v in lane {
        if v > m || v.is_nan() {
            m = v;
            if v.is_nan() {
                break;
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_along_a_middle_axis() {
        // x[o, k, i] = 100·o + 10·k + i, shape [2, 3, 2]; reverse each lane along axis 1.
        let x: Vec<f64> = (0..12).map(|f| (100 * (f / 6) + 10 * ((f / 2) % 3) + f % 2) as f64).collect();
        let lanes = Lanes::new(&Shape::from([2, 3, 2]), 1);
        let mut out = vec![0.0; 12];
        map_lanes([&x[..]], lanes, &mut out, 3, |[x], y| {
            for (k, v) in y.iter_mut().enumerate() {
                *v = x[2 - k];
            }
        });
        assert_eq!(&out[..6], &[20.0, 21.0, 10.0, 11.0, 0.0, 1.0]);
        assert_eq!(&out[6..], &[120.0, 121.0, 110.0, 111.0, 100.0, 101.0]);
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
                        f64::gemm(
                            m,
                            k,
                            n,
                            2.0,
                            a.as_ptr(),
                            sa.0,
                            sa.1,
                            b.as_ptr(),
                            sb.0,
                            sb.1,
                            beta,
                            crate_.as_mut_ptr(),
                            n as isize,
                            1,
                        );
                    }
                    assert_eq!(ours, crate_, "{m}x{k}x{n}, transposes {ta} {tb}, beta {beta}");
                }
            }
        }
    }

    #[test]
    fn lane_max_propagates_nan() {
        assert_eq!(lane_max(&[1.0, 3.0, 2.0]), 3.0);
        assert!(lane_max(&[1.0, f64::NAN, 2.0]).is_nan());
        assert_eq!(lane_max::<f64>(&[]), f64::NEG_INFINITY);
    }
}
