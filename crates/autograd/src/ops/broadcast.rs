//! Broadcasting and its adjoint, the only two ops that change a shape by repeating or summing.
//!
//! - `broadcast_to(shape)`: repeats the input along its size-1 (or missing leading) axes, as
//!   NumPy. Its backward sums the gradient back to the input's shape: `sum_to`.
//! - `sum_to(shape)`: sums the input down to a shape it broadcasts from. Its backward
//!   broadcasts the gradient back: `broadcast_to`.
//!
//! Every elementwise binary op broadcasts its operands through `broadcast_to` first, and every
//! reduction over axes is a `sum_to` (plus a free reshape), so this file is the one place where
//! gradients are summed over repeated elements.

use super::{Keep, Op};
use crate::backward::Ctx;
use crate::error::Site;
use crate::{Error, Float, Result, Shape, Tensor, Var};
use smallvec::SmallVec;

impl<'t, T: Float> Var<'t, T> {
    /// Repeats the value to `shape` under NumPy's broadcasting rules.
    #[track_caller]
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Result<Var<'t, T>> {
        self.broadcast_at(&shape.into(), Site::caller())
    }

    /// The same as [`broadcast_to`](Var::broadcast_to) (PyTorch's name; it copies here, since
    /// tensors are contiguous).
    #[track_caller]
    pub fn expand(&self, shape: impl Into<Shape>) -> Result<Var<'t, T>> {
        self.broadcast_at(&shape.into(), Site::caller())
    }

    pub(crate) fn broadcast_at(&self, shape: &Shape, site: Site) -> Result<Var<'t, T>> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        // A target whose element count overflows usize broadcasts in name only: refuse it.
        if !self.shape().broadcasts_to(shape) || shape.checked_numel().is_none() {
            return Err(Error::ShapeMismatch {
                op: "broadcast_to",
                lhs: self.shape().clone(),
                rhs: shape.clone(),
                site,
            });
        }
        let value = broadcast(&self.value, shape);
        Ok(self.tape.record(Op::BroadcastTo, &[self], value, site, Keep::Nothing))
    }

    /// Sums the value down to `shape`, which must broadcast to the value's shape: the adjoint of
    /// [`broadcast_to`](Var::broadcast_to).
    #[track_caller]
    pub fn sum_to(&self, shape: impl Into<Shape>) -> Result<Var<'t, T>> {
        self.sum_to_at(&shape.into(), Site::caller())
    }

    pub(crate) fn sum_to_at(&self, shape: &Shape, site: Site) -> Result<Var<'t, T>> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        if !shape.broadcasts_to(self.shape()) || shape.checked_numel().is_none() {
            return Err(Error::ShapeMismatch { op: "sum_to", lhs: self.shape().clone(), rhs: shape.clone(), site });
        }
        let value = sum_to(&self.value, shape);
        Ok(self.tape.record(Op::SumTo, &[self], value, site, Keep::Nothing))
    }
}

pub(super) fn backward_broadcast<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let from = ctx.input_shape(0);
    ctx.grad(0, || g.sum_to_at(&from, Site::caller()))
}

pub(super) fn backward_sum_to<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let from = ctx.input_shape(0);
    ctx.grad(0, || g.broadcast_at(&from, Site::caller()))
}

/// Calls `row(small_offset, step)` for every row (last-axis run) of `big`, where `small` is a
/// shape that broadcasts to `big`: `small_offset` is where the row starts in `small`'s data and
/// `step` is 1 if the row runs along `small` too, 0 if `small` repeats one value along it.
pub(super) fn for_each_row(small: &Shape, big: &Shape, mut row: impl FnMut(usize, usize)) {
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
pub(super) fn for_each_pair(small: &Shape, big: &Shape, mut f: impl FnMut(usize, usize)) {
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
