//! The index walk that pairs a tensor with a broadcast or reduced version of itself, and the
//! two kernels built on it: broadcasting (repeat along size-1 axes) and its adjoint, summing
//! down to a shape.

use crate::{Float, Shape, Tensor};
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
pub(crate) fn sum_to<T: Float>(x: &Tensor<T>, shape: &Shape) -> Tensor<T> {
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
    }
}
