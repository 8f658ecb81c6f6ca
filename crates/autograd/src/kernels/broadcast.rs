//! The index walk that pairs a tensor with a broadcast or reduced version of itself, and the
//! two kernels built on it: broadcasting (repeat along size-1 axes) and its adjoint, summing
//! down to a shape.

use crate::{parallel, Float, Shape, Tensor};
use smallvec::SmallVec;

/// Calls `row(small_offset, step)` for every row (last-axis run) of `big`, where `small` is a
/// shape that broadcasts to `big`: `small_offset` is where the row starts in `small`'s data and
/// `step` is 1 if the row runs along `small` too, 0 if `small` repeats one value along it.
pub(crate) fn for_each_row(small: &Shape, big: &Shape, mut row: impl FnMut(usize, usize)) {
    let rank = big.rank();
    if rank == 0 {
        row(0, 1);
        return;
    }
    // small's strides aligned to big's axes, 0 along broadcast axes.
    let pad = rank - small.rank();
    let small_strides = small.strides();
    let strides: SmallVec<[usize; 4]> =
        (0..rank).map(|i| if i < pad || small[i - pad] == 1 { 0 } else { small_strides[i - pad] }).collect();
    let rows: usize = big.dims()[..rank - 1].iter().product();
    let mut index: SmallVec<[usize; 4]> = SmallVec::from_elem(0, rank - 1);
    let mut offset = 0;
    for _ in 0..rows {
        row(offset, strides[rank - 1]);
        // Advance the multi-index over the outer axes, keeping `offset` in step.
        for axis in (0..rank - 1).rev() {
            index[axis] += 1;
            offset += strides[axis];
            if index[axis] < big[axis] {
                break;
            }
            offset -= strides[axis] * index[axis];
            index[axis] = 0;
        }
    }
}

/// Calls `f(i, k)` for every element `i` of `big` (row-major), where `k` is the element of
/// `small` (a shape that broadcasts to `big`) that `i` repeats: the index walk of every kernel
/// that pairs a tensor with a reduced or broadcast one (reductions, their backward rules).
#[inline]
pub(crate) fn for_each_pair(small: &Shape, big: &Shape, mut f: impl FnMut(usize, usize)) {
    let row_len = big.dims().last().copied().unwrap_or(1);
    let mut start = 0;
    for_each_row(small, big, |offset, step| {
        for j in 0..row_len {
            f(start + j, offset + j * step);
        }
        start += row_len;
    });
}

/// The broadcast kernel (the caller checked `x.shape()` broadcasts to `shape`).
pub(crate) fn broadcast<T: Float>(x: &Tensor<T>, shape: &Shape) -> Tensor<T> {
    let src = x.data();
    let row_len = shape.dims().last().copied().unwrap_or(1);
    Tensor::zeroed_with(shape.clone(), |out| {
        let mut start = 0;
        for_each_row(x.shape(), shape, |offset, step| {
            let row = &mut out[start..start + row_len];
            if step == 1 {
                row.copy_from_slice(&src[offset..offset + row_len]);
            } else {
                row.fill(src[offset]);
            }
            start += row_len;
        });
    })
}

/// The sum-to kernel (the caller checked `shape` broadcasts to `x.shape()`).
///
/// Sums over leading axes (a bias gradient, `[rows, n] → [n]`; a total, `→ []`) go through
/// [`sum_rows`], which blocks the rows so that large sums run on several threads with the same
/// result as on one; other reductions walk the rows in order.
pub(crate) fn sum_to<T: Float>(x: &Tensor<T>, shape: &Shape) -> Tensor<T> {
    if let Some(kept) = kept_suffix(shape, x.shape()) {
        return sum_rows(x, shape, kept);
    }
    let src = x.data();
    let row_len = x.dims().last().copied().unwrap_or(1);
    Tensor::zeroed_with(shape.clone(), |out| {
        let mut row_start = 0;
        for_each_row(shape, x.shape(), |offset, step| {
            let row = &src[row_start..row_start + row_len];
            if step == 1 {
                for (o, &v) in out[offset..offset + row_len].iter_mut().zip(row) {
                    *o += v;
                }
            } else {
                out[offset] += row.iter().copied().sum::<T>();
            }
            row_start += row_len;
        });
    })
}

/// If summing `big` down to `small` only removes leading axes (`small`, without its leading 1s,
/// is a suffix of `big`'s dimensions), how many trailing axes of `big` are kept.
fn kept_suffix(small: &Shape, big: &Shape) -> Option<usize> {
    let dims = small.dims();
    let dims = &dims[dims.iter().position(|&d| d != 1).unwrap_or(dims.len())..];
    big.dims().ends_with(dims).then_some(dims.len())
}

/// Sums `x` over all but its last `kept` axes, in fixed blocks of rows: each block's sum is
/// the rows added in order, as the walk in [`sum_to`] adds them, and the blocks' sums are added
/// in block order, so one block gives exactly the walk's result and many give the same result
/// on any number of threads.
fn sum_rows<T: Float>(x: &Tensor<T>, shape: &Shape, kept: usize) -> Tensor<T> {
    let src = x.data();
    let rank = x.rank();
    if kept == 0 {
        // A total: rows along the last axis, each summed, the row sums added in order.
        let row_len = x.dims().last().copied().unwrap_or(1).max(1);
        let rows = src.len() / row_len;
        let mut total = T::ZERO;
        parallel::reduce_blocks(
            rows,
            parallel::BLOCK / row_len,
            row_len,
            #[inline(always)]
            |range| {
                let mut sum = T::ZERO;
                for row in src[range.start * row_len..range.end * row_len].chunks_exact(row_len) {
                    sum += row.iter().copied().sum::<T>();
                }
                sum
            },
            |sum| total += sum,
        );
        return Tensor::full(shape.clone(), total);
    }
    let inner: usize = x.dims()[rank - kept..].iter().product();
    let rows = src.len().checked_div(inner).unwrap_or(0);
    Tensor::zeroed_with(shape.clone(), |out| {
        parallel::reduce_blocks(
            rows,
            parallel::BLOCK / inner.max(1),
            inner,
            #[inline(always)]
            |range| {
                let mut sum = vec![T::ZERO; inner];
                for row in src[range.start * inner..range.end * inner].chunks_exact(inner) {
                    for (s, &v) in sum.iter_mut().zip(row) {
                        *s += v;
                    }
                }
                sum
            },
            |sum| {
                for (o, s) in out.iter_mut().zip(sum) {
                    *o += s;
                }
            },
        );
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_and_sum_to_are_adjoint_on_examples() {
        let x = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], [3, 1]).unwrap();
        let b = broadcast(&x, &Shape::from([2, 3, 2]));
        assert_eq!(b.to_vec(), vec![1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
        let s = sum_to(&b, &Shape::from([3, 1]));
        assert_eq!(s.to_vec(), vec![4.0, 8.0, 12.0]);
        let row = Tensor::<f64>::from_vec(vec![1.0, 2.0], [2]).unwrap();
        assert_eq!(broadcast(&row, &Shape::from([2, 2])).to_vec(), vec![1.0, 2.0, 1.0, 2.0]);
        assert_eq!(sum_to(&b, &Shape::scalar()).item(), 24.0);
        assert_eq!(sum_to(&b, &Shape::from([2])).to_vec(), vec![12.0, 12.0]);
        assert_eq!(sum_to(&b, &Shape::from([1, 3, 2])).to_vec(), vec![2.0, 2.0, 4.0, 4.0, 6.0, 6.0]);
        assert_eq!(sum_to(&b, &Shape::from([1, 1])).to_vec(), vec![24.0]);
        assert_eq!(kept_suffix(&Shape::from([1, 3, 2]), b.shape()), Some(2));
        assert_eq!(kept_suffix(&Shape::scalar(), b.shape()), Some(0));
        assert_eq!(kept_suffix(&Shape::from([3, 1]), b.shape()), None);
    }

    /// The blocked sums add the same values in the same order as the row walk within a block,
    /// so up to one block they are bit-identical to it.
    #[test]
    fn blocked_sums_match_the_row_walk_within_a_block() {
        let values: Vec<f32> = (0..300 * 7).map(|i| ((i * 7919) % 1000) as f32 * 1e-3 - 0.37).collect();
        let x = Tensor::from_vec(values, [300, 7]).unwrap();
        let by_walk = |shape: &Shape| {
            let mut out = vec![0.0f32; shape.numel()];
            let src = x.data();
            let mut start = 0;
            for_each_row(shape, x.shape(), |offset, step| {
                let row = &src[start..start + 7];
                if step == 1 {
                    out[offset..offset + 7].iter_mut().zip(row).for_each(|(o, &v)| *o += v);
                } else {
                    out[offset] += row.iter().copied().sum::<f32>();
                }
                start += 7;
            });
            out
        };
        for shape in [Shape::from([7]), Shape::from([1, 7]), Shape::scalar(), Shape::from([1, 1])] {
            assert_eq!(sum_to(&x, &shape).to_vec(), by_walk(&shape), "{shape}");
        }
    }
}
