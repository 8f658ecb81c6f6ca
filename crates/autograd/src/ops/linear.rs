//! Affine map, fused: `y = x·wᵀ + b` for `x: [.., in]`, `w: [out, in]` (PyTorch's layout),
//! optional `b: [out]`, `y: [.., out]`; `∂L/∂x = G·w`, `∂L/∂w = Gᵀ·x`, `∂L/∂b = Σ_rows G`.
//!
//! Forward: one GEMM per call, with `wᵀ` read through swapped strides (never materialized) and
//! the bias written into the output first so that the GEMM adds onto it (β = 1): no broadcast
//! node, no temporary.
//!
//! Backward, for `G = ∂L/∂y` with the leading axes of `x` and `G` folded into rows: each product
//! is a recorded `matmul`/`sum_to`, so the rule is differentiable again. Whether there is a bias
//! is the op's arity. Smooth everywhere: no kinks.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::gemm;
use crate::op::Linear;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::tensor::check_result;
use crate::{Error, Float, Result, Shape, Tensor, Var};
use smallvec::SmallVec;

impl<'t, T: Float> Var<'t, T> {
    /// `self · wᵀ + b`, where `self` is `[.., in]`, `w` is `[out, in]` and `b` is `[out]`; the
    /// result is `[.., out]`. A fused primitive: one GEMM, bias added in place.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.constant(Tensor::from_vec(vec![1., 2., 3., 4.], [2, 2]).unwrap());
    /// let w = tape.var(Tensor::from_vec(vec![1., 0., 1., 1., 0., -1.], [3, 2]).unwrap());
    /// let b = tape.var(Tensor::vector(&[0.5, 0., 0.]));
    /// let y = x.linear(&w, Some(&b)).unwrap();
    /// assert_eq!(y.value().to_vec(), vec![1.5, 3., -2., 3.5, 7., -4.]);
    /// let err = x.linear(&tape.constant(Tensor::zeros([3, 5])), None).unwrap_err();
    /// assert!(err.to_string().starts_with("shape mismatch in linear, lhs: [2, 2], rhs: [3, 5]"));
    /// ```
    #[track_caller]
    pub fn linear(&self, w: &Var<'t, T>, b: Option<&Var<'t, T>>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let Sizes { rows, features, outputs, out_shape } = sizes("linear", self, w, b, WeightLayout::OutIn, site)?;
        check_result::<T>("linear", &out_shape, site)?;
        // w is out×k row-major, so wᵀ (k×out) reads with strides (1, k).
        let w_strides = (1, features as isize);
        let value = fused(&self.value, &w.value, w_strides, b.map(|b| &b.value), rows, features, outputs, out_shape);
        Ok(match b {
            Some(b) => self.tape.record(Linear, &[self, w, b], value, site, Keep::Inputs),
            None => self.tape.record(Linear, &[self, w], value, site, Keep::Inputs),
        })
    }
}

/// How a weight of an affine map is stored: `[out, in]` (PyTorch's, `linear`) or `[in, out]`
/// (JAX/Flax's, `affine`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum WeightLayout {
    OutIn,
    InOut,
}

/// The sizes of an affine map `x·m + b`: `x`'s leading axes folded into `rows`, its last axis
/// `features`, and the `outputs` of the weight.
pub(super) struct Sizes {
    pub rows: usize,
    pub features: usize,
    pub outputs: usize,
    pub out_shape: Shape,
}

/// Checks the operands of `linear` or `affine` (`op`), `x: [.., in]`, `w` in `layout` and
/// `b: [out]`, all on one tape, and gives the map's sizes; a mismatch names `op` and both
/// shapes.
pub(super) fn sizes<T: Float>(
    op: &'static str,
    x: &Var<'_, T>,
    w: &Var<'_, T>,
    b: Option<&Var<'_, T>>,
    layout: WeightLayout,
    site: Site,
) -> Result<Sizes> {
    x.same_tape(w, op, site)?;
    let mismatch = |lhs: &Shape, rhs: &Shape| Error::ShapeMismatch { op, lhs: lhs.clone(), rhs: rhs.clone(), site };
    let (in_axis, out_axis) = match layout {
        WeightLayout::OutIn => (1, 0),
        WeightLayout::InOut => (0, 1),
    };
    let Some((&features, lead)) = x.dims().split_last() else {
        return Err(mismatch(x.shape(), w.shape()));
    };
    if w.rank() != 2 || w.dims()[in_axis] != features {
        return Err(mismatch(x.shape(), w.shape()));
    }
    let outputs = w.dims()[out_axis];
    if let Some(b) = b {
        x.same_tape(b, op, site)?;
        if b.dims() != [outputs] {
            return Err(mismatch(w.shape(), b.shape()));
        }
    }
    let mut out_dims: SmallVec<[usize; 4]> = lead.into();
    out_dims.push(outputs);
    Ok(Sizes { rows: rows_of(lead), features, outputs, out_shape: Shape::from(out_dims) })
}

/// The product of an input's leading axes: the rows of its product. Saturating: it can exceed
/// `usize` only when the last axis (the features) is 0 and a leading one is huge, and then no
/// product is computed (the result has no elements, or is the bias repeated, which the result's
/// size check has bounded).
pub(super) fn rows_of(lead: &[usize]) -> usize {
    lead.iter().fold(1, |rows: usize, &d| rows.saturating_mul(d))
}

/// `x·m (+ b)` for `x: rows×k` and the k×n matrix `m` that `w` holds at `m_strides` (row
/// stride, column stride): `wᵀ` for `linear`'s `w: n×k`, `w` itself for `affine`'s `w: k×n`.
#[allow(clippy::too_many_arguments)]
pub(super) fn fused<T: Float>(
    x: &Tensor<T>,
    w: &Tensor<T>,
    m_strides: (isize, isize),
    b: Option<&Tensor<T>>,
    rows: usize,
    k: usize,
    n: usize,
    shape: Shape,
) -> Tensor<T> {
    if k == 0 || rows == 0 || n == 0 {
        // Nothing to multiply: the output is the bias (or zeros) repeated over the rows.
        return Tensor::zeroed_with(shape, |out| {
            if let Some(b) = b {
                for row in out.chunks_exact_mut(n.max(1)) {
                    row.copy_from_slice(b.data());
                }
            }
        });
    }
    let fill = |pc: *mut T| {
        let beta = match b {
            Some(b) => {
                for r in 0..rows {
                    // SAFETY: row r of the rows×n output; `b` holds n values (checked by the caller).
                    unsafe { std::ptr::copy_nonoverlapping(b.data().as_ptr(), pc.add(r * n), n) };
                }
                T::ONE
            }
            None => T::ZERO,
        };
        // SAFETY: x is rows×k row-major (strides k, 1); w holds a k×n matrix at `m_strides`
        // (checked by the callers' shapes); the output is a separate rows×n allocation (strides
        // n, 1), fully written by the bias rows above when β = 1 and by GEMM itself when β = 0.
        unsafe {
            let (x, w) = (x.data().as_ptr(), w.data().as_ptr());
            gemm(rows, k, n, T::ONE, x, (k as isize, 1), w, m_strides, beta, pc, (n as isize, 1));
        }
    };
    // SAFETY: see `fill`: every output element is written (bias copy or GEMM with β = 0).
    unsafe { Tensor::from_writer(shape, fill) }
}

impl<T: Float> Rule<T> for Linear {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let site = Site::caller();
        let (x, w) = (ctx.saved(0).clone(), ctx.saved(1).clone());
        let (features, outputs) = (w.dims()[1], w.dims()[0]);
        // The product of x's leading axes (not numel / features, which is 0 / 0 when features = 0).
        let rows = rows_of(&x.dims()[..x.rank() - 1]);
        // Fold the leading axes into rows (free reshapes, no nodes when the shapes already agree).
        let g2 = g.reshape_at(Shape::from([rows, outputs]), site)?;
        ctx.grad(0, || g2.matmul_at(&w, false, false, site)?.reshape_at(x.shape().clone(), site))?;
        ctx.grad(1, || g2.matmul_at(&x.reshape_at(Shape::from([rows, features]), site)?, true, false, site))?;
        if ctx.arity() == 3 {
            ctx.grad(2, || g2.sum_to_at(&Shape::from([outputs]), site))?;
        }
        Ok(())
    }
}

impl<T: Float> Jvp<T> for Linear {
    /// `ẏ = ẋ·wᵀ + x·ẇᵀ + ḃ`.
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let (x, w) = (ctx.saved(0), ctx.saved(1));
        let out = ctx.output_shape();
        ctx.sum_over_inputs(|i, t| match i {
            0 => t.linear(w, None),
            1 => x.linear(t, None),
            _ => t.broadcast_at(&out, Site::caller()),
        })
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("linear", 3, |x| x[0].linear(&x[1], Some(&x[2]))).shapes(&[
            &[&[2, 3], &[4, 3], &[4]],
            &[&[2, 2, 3], &[4, 3], &[4]],
            &[&[3], &[2, 3], &[2]],
        ]),
        OpCheck::new("linear (no bias)", 2, |x| x[0].linear(&x[1], None)).shapes(&[&[&[2, 3], &[4, 3]]]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_all_close, check_grad, check_grad2, t};
    use crate::{Tape, Tensor};

    // Reference values from PyTorch:
    // x = torch.tensor([[1., -2., 0.5], [0.3, 0.7, -1.1]], requires_grad=True)
    // w = torch.tensor([[0.2, -0.4, 1.0], [1.5, 0.1, -0.3]], requires_grad=True)
    // b = torch.tensor([0.25, -0.5], requires_grad=True)
    // y = torch.nn.functional.linear(x, w, b); (y * torch.tensor([[1., 2.], [3., 4.]])).sum().backward()
    #[test]
    fn matches_pytorch() {
        let tape = Tape::<f64>::new();
        let x = tape.var(t(&[1., -2., 0.5, 0.3, 0.7, -1.1], &[2, 3]));
        let w = tape.var(t(&[0.2, -0.4, 1.0, 1.5, 0.1, -0.3], &[2, 3]));
        let b = tape.var(Tensor::vector(&[0.25, -0.5]));
        let y = x.linear(&w, Some(&b)).unwrap();
        assert_all_close(y.value().data(), &[1.75, 0.65, -1.07, 0.35], 1e-12);
        let r = tape.constant(t(&[1., 2., 3., 4.], &[2, 2]));
        y.mul(&r).unwrap().sum().backward().unwrap();
        assert_all_close(x.grad().unwrap().data(), &[3.2, -0.2, 0.4, 6.6, -0.8, 1.8], 1e-12);
        assert_all_close(w.grad().unwrap().data(), &[1.9, 0.1, -2.8, 3.2, -1.2, -3.4], 1e-12);
        assert_all_close(b.grad().unwrap().data(), &[4.0, 6.0], 1e-12);
    }

    #[test]
    fn gradients_by_finite_differences() {
        let x = t(&[1., -2., 0.5, 0.3, 0.7, -1.1, 0.2, 0.9, -0.4, 1.3, -0.6, 0.8], &[2, 2, 3]);
        let w = t(&[0.2, -0.4, 1.0, 1.5, 0.1, -0.3], &[2, 3]);
        let b = Tensor::vector(&[0.25, -0.5]);
        check_grad(&[&x, &w, &b], |v| v[0].linear(&v[1], Some(&v[2])).unwrap());
        check_grad(&[&x, &w], |v| v[0].linear(&v[1], None).unwrap());
        // Second order through a nonlinearity (linear alone has a zero Hessian in each input).
        check_grad2(&[&x, &w, &b], |v| v[0].linear(&v[1], Some(&v[2])).unwrap().tanh());
        let x1 = Tensor::vector(&[0.3, -0.2, 0.9]);
        check_grad(&[&x1, &w, &b], |v| v[0].linear(&v[1], Some(&v[2])).unwrap());
    }

    #[test]
    fn empty_inner_dimension_gives_the_bias() {
        let tape = Tape::<f32>::new();
        let x = tape.constant(Tensor::zeros([2, 0]));
        let w = tape.constant(Tensor::zeros([3, 0]));
        let b = tape.constant(Tensor::vector(&[1., 2., 3.]));
        assert_eq!(x.linear(&w, Some(&b)).unwrap().value().to_vec(), vec![1., 2., 3., 1., 2., 3.]);
        assert_eq!(x.linear(&w, None).unwrap().value().to_vec(), vec![0.; 6]);
        // And its gradients: the bias gets one per row, the empty inputs empty ones.
        let (x, w) = (tape.var(Tensor::zeros([2, 0])), tape.var(Tensor::zeros([3, 0])));
        let b = tape.var(Tensor::vector(&[1., 2., 3.]));
        x.linear(&w, Some(&b)).unwrap().sum().backward().unwrap();
        assert_eq!(b.grad().unwrap().to_vec(), vec![2., 2., 2.]);
        assert_eq!((x.grad().unwrap().dims(), w.grad().unwrap().dims()), (&[2, 0][..], &[3, 0][..]));
    }

    #[test]
    fn shape_errors_name_the_op_and_shapes() {
        let tape = Tape::<f32>::new();
        let x = tape.constant(Tensor::zeros([4, 3]));
        let w = tape.constant(Tensor::zeros([2, 3]));
        let e = x.linear(&w, Some(&tape.constant(Tensor::zeros([3])))).unwrap_err().to_string();
        assert!(e.starts_with("shape mismatch in linear, lhs: [2, 3], rhs: [3] (at "), "{e}");
        assert!(e.contains("linear.rs"), "names the caller's site: {e}");
        let e = x.linear(&tape.constant(Tensor::zeros([3])), None).unwrap_err().to_string();
        assert!(e.starts_with("shape mismatch in linear, lhs: [4, 3], rhs: [3]"), "{e}");
        assert!(tape.scalar(1.0).linear(&w, None).is_err());
    }
}
