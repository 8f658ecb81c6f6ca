//! Matrix multiplication, `C = op(A)·op(B)` where `op(X)` is `X` or `Xᵀ` (of the last two axes),
//! the transposes folded into the GEMM call; `∂L/∂op(A) = G·op(B)ᵀ`, `∂L/∂op(B) = op(A)ᵀ·G` for
//! `G = ∂L/∂C`. Linear in each operand: no kinks.
//!
//! Backward, in detail:
//! - `∂L/∂op(A) = G·op(B)ᵀ`, so `∂L/∂A = G·op(B)ᵀ`, or its transpose `op(B)·Gᵀ` when A was
//!   transposed;
//! - `∂L/∂op(B) = op(A)ᵀ·G`, so `∂L/∂B = op(A)ᵀ·G`, or `Gᵀ·op(A)` when B was transposed.
//!
//! Each of these is again a `matmul` with transpose flags, so no transpose is ever materialized
//! and the rule is differentiable (second order works).
//!
//! The primitive multiplies matrices, or batches of matrices with the same leading (batch) axes.
//! `matmul` applies `torch.matmul`'s full rules on top of it, as composites (no gradient code):
//! - a vector operand is a matrix with one row (on the left) or one column (on the right), and
//!   that axis is removed from the result: `x[3] · w[3, 2]` is `[2]`, `w[2, 3] · v[3]` is `[2]`,
//!   a vector times a vector is a scalar;
//! - batch axes broadcast with NumPy's rules (`a[2, 3, 4] · b[1, 4, 5]`, `m[3, 4] · b[2, 4, 5]`):
//!   an operand is repeated over the batch by a `broadcast_to` node, whose backward sums its
//!   gradient back over the broadcast axes;
//! - an untransposed left operand against a right one without batch axes (a shared weight,
//!   `x[N, T, C] · w[C, D]`, also `b[1, 4, 5]`) folds the batch into the rows of one 2-D
//!   product: free reshapes, one GEMM, nothing repeated.
//!
//! A vector is its own transpose: `matmul_t`'s flag for a vector operand has no effect (as
//! `t()` returns a vector unchanged).
//!
//! `affine`, `x·w + b` for a weight stored `[in, out]` (JAX/Flax's layout; `linear` takes
//! PyTorch's `[out, in]`), is a composite on `matmul` and `add` while the tape records a tracked
//! input, and otherwise one GEMM (`linear`'s kernel) with the bias added in place. Its layout is
//! the one the GEMM crate reads without repacking the weight at every call, which is why
//! `nn::Linear` runs inference through it, on a transposed copy of its weight.

use super::linear::{sizes, Sizes, WeightLayout};
use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::gemm;
use crate::op::{Add, Matmul};
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::tensor::check_result;
use crate::{Error, Float, Result, Shape, Tensor, Var};
use smallvec::SmallVec;

impl<'t, T: Float> Var<'t, T> {
    /// The matrix product `self · rhs` with `torch.matmul`'s rules: matrices, vectors (a
    /// vector·vector product is a scalar), and batches whose leading axes broadcast; the
    /// gradient of a broadcast operand is summed over the axes it was repeated along.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let a = tape.var(Tensor::from_vec(vec![1., 2., 3., 4.], [2, 2]).unwrap());
    /// let b = tape.constant(Tensor::from_vec(vec![1., 0., 0., 1.], [2, 2]).unwrap());
    /// assert_eq!(a.matmul(&b).unwrap().value().to_vec(), vec![1., 2., 3., 4.]);
    /// let x = tape.constant(Tensor::vector(&[1., -1.]));
    /// assert_eq!(x.matmul(&a).unwrap().value().to_vec(), vec![-2., -2.]); // [2] · [2, 2] → [2]
    /// assert_eq!(x.matmul(&x).unwrap().dims(), &[] as &[usize]); // a scalar
    /// let batch = tape.constant(Tensor::ones([3, 1, 2, 2]));
    /// assert_eq!(a.matmul(&batch).unwrap().dims(), &[3, 1, 2, 2]); // a broadcast over the batch
    /// let err = a.matmul(&tape.constant(Tensor::zeros([3, 2]))).unwrap_err();
    /// assert!(err.to_string().starts_with("shape mismatch in matmul, lhs: [2, 2], rhs: [3, 2]"));
    /// ```
    #[track_caller]
    pub fn matmul(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.matmul_at(rhs, false, false, Site::caller())
    }

    /// `op(self) · op(rhs)` where `op` transposes the last two axes when its flag is set (PyTorch's
    /// `.mT`), with [`matmul`](Var::matmul)'s rules otherwise. The transpose is folded into the
    /// GEMM call (strides), never materialized.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::from_fn([2, 4, 3], |i| i as f64));
    /// let w = tape.var(Tensor::from_fn([4, 5], |i| i as f64));
    /// let y = a.matmul_t(&w, true, false).unwrap(); // a.mT @ w
    /// assert_eq!(y.dims(), &[2, 3, 5]);
    /// y.sum().backward().unwrap();
    /// assert_eq!(w.grad().unwrap().dims(), &[4, 5]); // summed over the batch
    /// ```
    #[track_caller]
    pub fn matmul_t(&self, rhs: &Var<'t, T>, transpose_self: bool, transpose_rhs: bool) -> Result<Var<'t, T>> {
        self.matmul_at(rhs, transpose_self, transpose_rhs, Site::caller())
    }

    /// `self · w + b`, where `self` is `[.., in]`, `w` is `[in, out]` and `b` is `[out]`: the map
    /// of [`linear`](Var::linear) for a weight stored transposed (the layout of JAX/Flax's
    /// `Dense`). While the tape records a tracked input, it is `matmul` then `add`,
    /// differentiable to any order; otherwise (inference, [`Tape::no_grad`](crate::Tape::no_grad),
    /// constants only) one GEMM with the bias added in place, which gives the same bits. For a weight kept `[out, in]`,
    /// [`Parameter::transposed_value`](crate::Parameter::transposed_value) keeps this layout's
    /// copy between calls.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.constant(Tensor::from_vec(vec![1., 2., 3., 4.], [2, 2]).unwrap());
    /// let w = Tensor::from_vec(vec![1., 0., 1., 1., 0., -1.], [3, 2]).unwrap();
    /// let b = tape.var(Tensor::vector(&[0.5, 0., 0.]));
    /// let by_linear = x.linear(&tape.constant(w.clone()), Some(&b)).unwrap();
    /// let w_t = tape.constant(Tensor::from_vec(vec![1., 1., 0., 0., 1., -1.], [2, 3]).unwrap());
    /// assert_eq!(x.affine(&w_t, Some(&b)).unwrap().value(), by_linear.value());
    /// let inference = tape.no_grad(|| x.affine(&w_t, Some(&b))).unwrap();
    /// assert_eq!(inference.value(), by_linear.value());
    /// ```
    #[track_caller]
    pub fn affine(&self, w: &Var<'t, T>, b: Option<&Var<'t, T>>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let Sizes { rows, features, outputs, out_shape } = sizes("affine", self, w, b, WeightLayout::InOut, site)?;
        let tracked = [Some(self), Some(w), b].into_iter().flatten().any(Var::is_tracked);
        if self.tape.is_recording() && tracked {
            // The batch folds into the rows of one product (a weight without batch axes).
            let y = self.matmul_at(w, false, false, site)?;
            return match b {
                Some(b) => y.binary(b, Add, Keep::Nothing, site, |a, b| a + b),
                None => Ok(y),
            };
        }
        check_result::<T>("affine", &out_shape, site)?;
        // w is k×out row-major: strides (out, 1).
        let w_strides = (outputs as isize, 1);
        let mut value =
            super::linear::fused(&self.value, &w.value, w_strides, None, rows, features, outputs, out_shape);
        if let (Some(b), true) = (b, outputs > 0) {
            // Added after the product, as the recorded `add` does, so both paths give the same
            // bits (`linear` adds its product onto the bias instead).
            for row in value.data_mut().chunks_exact_mut(outputs) {
                row.iter_mut().zip(b.value.data()).for_each(|(y, &c)| *y += c);
            }
        }
        // Nothing is recorded here (the tape is paused, or every input is a constant), but
        // anomaly mode still checks the value, naming the product.
        let op = Matmul { transpose_a: false, transpose_b: false };
        let inputs: &[&Var<'t, T>] = match b {
            Some(b) => &[self, w, b],
            None => &[self, w],
        };
        Ok(self.tape.record(op, inputs, value, site, Keep::Nothing))
    }

    pub(crate) fn matmul_at(&self, rhs: &Var<'t, T>, ta: bool, tb: bool, site: Site) -> Result<Var<'t, T>> {
        self.same_tape(rhs, "matmul", site)?;
        let (a, b) = (self.dims(), rhs.dims());
        if a.len() >= 2 && a.len() == b.len() && a[..a.len() - 2] == b[..b.len() - 2] {
            // The primitive: matrices, or batches of one shape (every backward product).
            let dims = MatDims::new(a, b, ta, tb).ok_or_else(|| self.matmul_mismatch(rhs, site))?;
            check_result::<T>("matmul", &output_shape(&dims), site)?;
            let value = gemm_batched(&self.value, &rhs.value, &dims);
            return Ok(self.tape.record(
                Matmul { transpose_a: ta, transpose_b: tb },
                &[self, rhs],
                value,
                site,
                Keep::Inputs,
            ));
        }
        self.matmul_composite(rhs, ta, tb, site)
    }

    fn matmul_mismatch(&self, rhs: &Var<'t, T>, site: Site) -> Error {
        Error::ShapeMismatch { op: "matmul", lhs: self.shape().clone(), rhs: rhs.shape().clone(), site }
    }

    /// `torch.matmul`'s rules for operands the primitive does not take as they are: vectors,
    /// batch axes that differ, a shared right-hand matrix. The shapes are checked here, so the
    /// ops below cannot fail on them.
    fn matmul_composite(&self, rhs: &Var<'t, T>, ta: bool, tb: bool, site: Site) -> Result<Var<'t, T>> {
        let (ra, rb) = (self.rank(), rhs.rank());
        if ra == 0 || rb == 0 {
            return Err(self.matmul_mismatch(rhs, site));
        }
        // A vector is a one-row (left) or one-column (right) matrix, its own transpose.
        let (ta, tb) = (ta && ra > 1, tb && rb > 1);
        let a_mat: &[usize] = if ra == 1 { &[1, self.dims()[0]] } else { &self.dims()[ra - 2..] };
        let b_mat: &[usize] = if rb == 1 { &[rhs.dims()[0], 1] } else { &rhs.dims()[rb - 2..] };
        let (m, k) = if ta { (a_mat[1], a_mat[0]) } else { (a_mat[0], a_mat[1]) };
        let (k2, n) = if tb { (b_mat[1], b_mat[0]) } else { (b_mat[0], b_mat[1]) };
        let a_batch = Shape::from(&self.dims()[..ra.saturating_sub(2)]);
        let b_batch = Shape::from(&rhs.dims()[..rb.saturating_sub(2)]);
        let batch = match a_batch.broadcast(&b_batch) {
            Some(batch) if k == k2 => batch,
            _ => return Err(self.matmul_mismatch(rhs, site)),
        };
        let with_batch = |mat: &[usize]| Shape::from([batch.dims(), mat].concat());
        let product = if !ta && b_batch.checked_numel() == Some(1) {
            // A right-hand matrix shared by the whole batch: fold the batch into the rows of one
            // 2-D product (free reshapes, one GEMM, nothing repeated).
            let rows = a_batch.numel() * a_mat[0];
            let a = self.reshape_at(Shape::from([rows, a_mat[1]]), site)?;
            let b = rhs.reshape_at(Shape::from(b_mat), site)?;
            a.matmul_at(&b, false, tb, site)?.reshape_at(with_batch(&[m, n]), site)?
        } else {
            // A vector first becomes its matrix (free), then each operand is repeated over the batch.
            let matrix = |x: &Var<'t, T>, mat: &[usize]| match x.rank() {
                1 => x.reshape_at(Shape::from(mat), site),
                _ => Ok(x.clone()),
            };
            let a = matrix(self, a_mat)?.broadcast_at(&with_batch(a_mat), site)?;
            let b = matrix(rhs, b_mat)?.broadcast_at(&with_batch(b_mat), site)?;
            a.matmul_at(&b, ta, tb, site)?
        };
        // The result without the axes the vectors gained.
        let mut dims: SmallVec<[usize; 4]> = batch.dims().into();
        dims.extend((ra > 1).then_some(m));
        dims.extend((rb > 1).then_some(n));
        product.reshape_at(Shape::from(dims), site)
    }
}

impl<T: Float> Rule<T> for Matmul {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let (a, b) = (ctx.saved(0).clone(), ctx.saved(1).clone());
        let (ta, tb, site) = (self.transpose_a, self.transpose_b, Site::caller());
        ctx.grad(0, || if ta { b.matmul_at(g, tb, true, site) } else { g.matmul_at(&b, false, !tb, site) })?;
        ctx.grad(1, || if tb { g.matmul_at(&a, true, ta, site) } else { a.matmul_at(g, !ta, false, site) })
    }
}

impl<T: Float> Jvp<T> for Matmul {
    /// Bilinear: `Ċ = op(Ȧ)·op(B) + op(A)·op(Ḃ)`.
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let (a, b) = (ctx.saved(0), ctx.saved(1));
        let (ta, tb, site) = (self.transpose_a, self.transpose_b, Site::caller());
        ctx.sum_over_inputs(|i, t| if i == 0 { t.matmul_at(b, ta, tb, site) } else { a.matmul_at(t, ta, tb, site) })
    }
}

/// Sizes and strides of `op(A)·op(B)` over a batch.
struct MatDims {
    batch: SmallVec<[usize; 4]>,
    m: usize,
    k: usize,
    n: usize,
    /// (row stride, column stride) of op(A) and op(B) within one matrix.
    a_strides: (isize, isize),
    b_strides: (isize, isize),
}

impl MatDims {
    fn new(a: &[usize], b: &[usize], ta: bool, tb: bool) -> Option<Self> {
        let (ra, rb) = (a.len(), b.len());
        if ra != rb || a[..ra - 2] != b[..rb - 2] {
            return None;
        }
        let (a_rows, a_cols) = (a[ra - 2], a[ra - 1]);
        let (b_rows, b_cols) = (b[rb - 2], b[rb - 1]);
        let (m, k) = if ta { (a_cols, a_rows) } else { (a_rows, a_cols) };
        let (k2, n) = if tb { (b_cols, b_rows) } else { (b_rows, b_cols) };
        if k != k2 {
            return None;
        }
        // A stored row-major [rows, cols] has strides (cols, 1); its transpose reads (1, cols).
        let strides = |cols: usize, t: bool| if t { (1, cols as isize) } else { (cols as isize, 1) };
        Some(MatDims {
            batch: a[..ra - 2].into(),
            m,
            k,
            n,
            a_strides: strides(a_cols, ta),
            b_strides: strides(b_cols, tb),
        })
    }
}

/// One GEMM call per batch entry, into a fresh output buffer.
fn gemm_batched<T: Float>(a: &Tensor<T>, b: &Tensor<T>, d: &MatDims) -> Tensor<T> {
    let count: usize = d.batch.iter().product();
    let (a_size, b_size, c_size) = (d.m * d.k, d.k * d.n, d.m * d.n);
    if d.k == 0 {
        // An empty inner dimension: GEMM would only scale C by β, so write the zeros here.
        return Tensor::zeros(output_shape(d));
    }
    let (pa, pb) = (a.data().as_ptr(), b.data().as_ptr());
    let fill = |pc: *mut T| {
        for i in 0..count {
            // SAFETY: the pointers cover `count` matrices of the sizes checked in
            // `MatDims::new`; the output is a separate allocation of `count * m * n` elements
            // (`Shape::numel` panics rather than wrap, so that count is exact).
            unsafe {
                gemm(
                    d.m,
                    d.k,
                    d.n,
                    T::ONE,
                    pa.add(i * a_size),
                    d.a_strides,
                    pb.add(i * b_size),
                    d.b_strides,
                    T::ZERO,
                    pc.add(i * c_size),
                    (d.n as isize, 1),
                );
            }
        }
    };
    // SAFETY: with β = 0 and k > 0, GEMM writes every element of every output matrix.
    unsafe { Tensor::from_writer(output_shape(d), fill) }
}

fn output_shape(d: &MatDims) -> Shape {
    let mut shape = d.batch.clone();
    shape.extend([d.m, d.n]);
    Shape::from(shape)
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("matmul", 2, |x| x[0].matmul(&x[1])).shapes(&[
            &[&[2, 3], &[3, 4]],
            &[&[2, 2, 3], &[2, 3, 1]], // batched
            &[&[2, 2, 3], &[3, 4]],    // a shared right-hand matrix
        ]),
        OpCheck::new("matmul (rhs transposed)", 2, |x| x[0].matmul_t(&x[1], false, true)).shapes(&[
            &[&[2, 3], &[4, 3]],
            &[&[2, 2, 3], &[2, 1, 3]],
            &[&[2, 2, 3], &[4, 3]],
        ]),
        OpCheck::new("matmul (lhs transposed)", 2, |x| x[0].matmul_t(&x[1], true, false)).shapes(&[
            &[&[3, 2], &[3, 4]],
            &[&[2, 3, 2], &[2, 3, 1]],
            &[&[2, 4, 3], &[4, 2]], // a.mT · w: w repeated over the batch
        ]),
        OpCheck::new("matmul (both transposed)", 2, |x| x[0].matmul_t(&x[1], true, true))
            .shapes(&[&[&[3, 2], &[4, 3]], &[&[2, 3, 2], &[1, 4, 3]]]),
        OpCheck::new("matmul (vectors)", 2, |x| x[0].matmul(&x[1])).shapes(&[
            &[&[3], &[3, 2]],
            &[&[2, 3], &[3]],
            &[&[3], &[3]],
            &[&[3], &[2, 3, 2]],
            &[&[2, 2, 3], &[3]],
        ]),
        OpCheck::new("affine", 3, |x| x[0].affine(&x[1], Some(&x[2]))).shapes(&[
            &[&[2, 3], &[3, 4], &[4]],
            &[&[2, 2, 3], &[3, 4], &[4]],
            &[&[3], &[3, 2], &[2]],
        ]),
        OpCheck::new("affine (no bias)", 2, |x| x[0].affine(&x[1], None)).shapes(&[&[&[2, 3], &[3, 4]]]),
        OpCheck::new("matmul (batch broadcast)", 2, |x| x[0].matmul(&x[1])).shapes(&[
            &[&[2, 3, 4], &[1, 4, 2]],
            &[&[3, 4], &[2, 4, 2]],
            &[&[2, 1, 2, 3], &[3, 3, 2]],
        ]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_all_close, t};
    use crate::{Tape, Tensor, Var};

    fn sample(dims: &[usize], seed: usize) -> Tensor<f64> {
        Tensor::from_fn(dims, |i| ((i * 7 + seed * 13) % 11) as f64 * 0.25 - 1.2)
    }

    /// The product by the definition, `out[.., i, j] = Σₖ a[.., i, k]·b[.., k, j]` with both
    /// operands already broadcast to one batch shape: what the composites must agree with.
    fn by_definition(a: &Tensor<f64>, b: &Tensor<f64>) -> Vec<f64> {
        let (r, d) = (a.rank(), a.dims());
        let (m, k, n) = (d[r - 2], d[r - 1], b.dims()[r - 1]);
        let count: usize = d[..r - 2].iter().product();
        let (a, b) = (a.data(), b.data());
        let mut out = vec![0.0; count * m * n];
        for p in 0..count {
            for i in 0..m {
                for j in 0..n {
                    out[(p * m + i) * n + j] = (0..k).map(|l| a[(p * m + i) * k + l] * b[(p * k + l) * n + j]).sum();
                }
            }
        }
        out
    }

    #[test]
    fn torch_matmul_shapes() {
        let tape = Tape::<f64>::new();
        let cases: &[(&[usize], &[usize], &[usize])] = &[
            (&[3], &[3, 2], &[2]),
            (&[2, 3], &[3], &[2]),
            (&[3], &[3], &[]),
            (&[3], &[4, 3, 2], &[4, 2]),
            (&[4, 2, 3], &[3], &[4, 2]),
            (&[2, 3, 4], &[1, 4, 5], &[2, 3, 5]),
            (&[3, 4], &[2, 4, 5], &[2, 3, 5]),
            (&[5, 1, 3, 4], &[2, 4, 1], &[5, 2, 3, 1]),
            (&[1, 3, 4], &[4, 2], &[1, 3, 2]),
            (&[3, 4], &[1, 1, 4, 2], &[1, 1, 3, 2]),
        ];
        for (k, &(a, b, out)) in cases.iter().enumerate() {
            let x = tape.var(sample(a, k));
            let y = tape.var(sample(b, k + 1));
            let product = x.matmul(&y).unwrap_or_else(|e| panic!("{a:?} · {b:?}: {e}"));
            assert_eq!(product.dims(), out, "{a:?} · {b:?}");
            // The same product with the operands broadcast by hand.
            let (x2, y2) = (
                if a.len() == 1 { x.unsqueeze(0).unwrap() } else { x.clone() },
                if b.len() == 1 { y.unsqueeze(1).unwrap() } else { y.clone() },
            );
            let batch = crate::Shape::from(&x2.dims()[..x2.rank() - 2])
                .broadcast(&crate::Shape::from(&y2.dims()[..y2.rank() - 2]))
                .unwrap();
            let full = |v: &Var<'_, f64>| {
                let mut dims = batch.dims().to_vec();
                dims.extend_from_slice(&v.dims()[v.rank() - 2..]);
                v.broadcast_to(dims).unwrap().value().clone()
            };
            assert_all_close(product.value().data(), &by_definition(&full(&x2), &full(&y2)), 1e-12);
            // Gradients have the operands' shapes: summed over the axes they were repeated along.
            product.sum().backward().unwrap();
            assert_eq!(x.grad().unwrap().dims(), a);
            assert_eq!(y.grad().unwrap().dims(), b);
        }
    }

    // PyTorch 2.15 (float64): a = [[1, 2, 3], [4, 5, 6]] viewed [1, 2, 3]; w = [[1, -1], [0, 2], [3, 1]];
    // v = [0.5, -1, 2]; (a @ w).sum() backward; (v @ w) . [1, 2] backward; (a @ v).sum() backward
    #[test]
    fn vectors_and_their_gradients_match_pytorch() {
        let tape = Tape::<f64>::new();
        let a = tape.var(t(&[1., 2., 3., 4., 5., 6.], &[1, 2, 3]));
        let w = tape.var(t(&[1., -1., 0., 2., 3., 1.], &[3, 2]));
        let v = tape.var(Tensor::vector(&[0.5, -1., 2.]));
        let vw = v.matmul(&w).unwrap();
        assert_eq!(vw.value().to_vec(), vec![6.5, -0.5]);
        vw.mul(&tape.constant(Tensor::vector(&[1., 2.]))).unwrap().sum().backward().unwrap();
        assert_eq!(v.grad().unwrap().to_vec(), vec![-1., 4., 5.]);
        assert_eq!(w.grad().unwrap().to_vec(), vec![0.5, 1., -1., -2., 2., 4.]);
        let av = a.matmul(&v).unwrap();
        assert_eq!((av.dims(), av.value().to_vec()), (&[1, 2][..], vec![4.5, 9.]));
        av.sum().backward().unwrap();
        assert_eq!(a.grad().unwrap().to_vec(), vec![0.5, -1., 2., 0.5, -1., 2.]);
        assert_eq!(v.matmul(&v).unwrap().item(), 5.25);
    }

    #[test]
    fn mismatches_name_the_callers_shapes() {
        let tape = Tape::<f32>::new();
        let m = |dims: &[usize]| tape.constant(Tensor::zeros(dims));
        for (a, b) in [
            (&[3][..], &[4][..]),
            (&[2, 3], &[4]),
            (&[4], &[3, 2]),
            (&[2, 3, 4], &[3, 4, 5]),
            (&[2, 3, 4], &[3, 5]),
            (&[], &[3]),
        ] {
            let e = m(a).matmul(&m(b)).unwrap_err().to_string();
            let expected = format!("shape mismatch in matmul, lhs: {a:?}, rhs: {b:?} (at ");
            assert!(e.starts_with(&expected), "{e}");
        }
        // The transposed shapes are checked, not the stored ones.
        assert!(m(&[2, 4, 3]).matmul_t(&m(&[4, 5]), false, false).is_err());
        assert_eq!(m(&[2, 4, 3]).matmul_t(&m(&[4, 5]), true, false).unwrap().dims(), &[2, 3, 5]);
        assert_eq!(m(&[3]).matmul_t(&m(&[3, 2]), true, false).unwrap().dims(), &[2], "a vector is its transpose");
    }

    #[test]
    fn a_shared_matrix_is_folded_into_one_product() {
        // x[2, 3, 4] · w[1, 4, 5]: one reshape of x, one of w, one matmul, one reshape back;
        // nothing repeated over the batch.
        let tape = Tape::<f64>::new();
        let x = tape.var(sample(&[2, 3, 4], 0));
        let w = tape.var(sample(&[1, 4, 5], 1));
        x.matmul(&w).unwrap();
        let listing = tape.to_string();
        let ops: Vec<&str> = listing.lines().skip(1).filter_map(|l| l.split_whitespace().nth(1)).collect();
        assert_eq!(ops, ["leaf", "leaf", "reshape", "reshape", "matmul", "reshape"], "{listing}");
    }

    #[test]
    fn affine_gives_the_same_bits_recorded_and_in_inference() {
        // Shapes past the GEMM crate's blocks along k (512), a vector, a batch of sequences,
        // and a product the caller splits across threads.
        for (x_dims, k, n) in [
            (&[32, 784][..], 784, 256),
            (&[5, 3][..], 3, 4),
            (&[7][..], 7, 3),
            (&[2, 3, 9][..], 9, 2),
            (&[512, 256][..], 256, 128),
        ] {
            let x = Tensor::<f32>::from_fn(x_dims, |i| ((i * 37 % 101) as f32 - 50.0) / 30.0);
            let w = Tensor::<f32>::from_fn([k, n], |i| ((i * 53 % 97) as f32 - 48.0) / 70.0);
            let b = Tensor::<f32>::from_fn([n], |i| i as f32 * 0.125 - 0.5);
            let tape = Tape::<f32>::new();
            let (xv, wv, bv) = (tape.var(x.clone()), tape.var(w.clone()), tape.var(b.clone()));
            let recorded = xv.affine(&wv, Some(&bv)).unwrap();
            assert!(recorded.is_tracked());
            let inferred = tape.no_grad(|| xv.affine(&wv, Some(&bv))).unwrap();
            assert!(!inferred.is_tracked());
            let constants = tape.constant(x).affine(&tape.constant(w), Some(&tape.constant(b))).unwrap();
            for other in [&inferred, &constants] {
                let same =
                    recorded.value().data().iter().zip(other.value().data()).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same && recorded.dims() == other.dims(), "{x_dims:?} · [{k}, {n}]");
            }
            // And it is x·wᵀ of the transposed weight, up to rounding.
            let w_out_in = tape.constant(crate::kernels::permute(wv.value(), &[1, 0]));
            let by_linear = xv.linear(&w_out_in, Some(&bv)).unwrap();
            let expected: Vec<f64> = recorded.value().data().iter().map(|&v| f64::from(v)).collect();
            assert_all_close(by_linear.value().data(), &expected, 1e-3);
        }
    }

    #[test]
    fn anomaly_mode_checks_affine_without_a_tape_recording() {
        let tape = Tape::<f32>::new();
        tape.set_anomaly_mode(true);
        let x = tape.constant(Tensor::from_vec(vec![1.0, f32::NAN], [1, 2]).unwrap());
        let w = tape.constant(Tensor::ones([2, 3]));
        let y = tape.no_grad(|| x.affine(&w, None)).unwrap();
        assert!(y.value().data().iter().all(|v| v.is_nan()));
        let e = tape.check_anomaly().unwrap_err().to_string();
        assert!(e.contains("matmul") && e.contains("NaN"), "{e}");
    }

    #[test]
    fn affine_of_an_empty_input_with_huge_leading_axes_is_no_panic() {
        let tape = Tape::<f32>::new();
        let x = tape.constant(Tensor::zeros([1 << 40, 1 << 40, 0]));
        let none = x.affine(&tape.constant(Tensor::zeros([0, 0])), None).unwrap();
        assert_eq!(none.dims(), &[1 << 40, 1 << 40, 0]);
        let e = x.affine(&tape.constant(Tensor::zeros([0, 3])), None).unwrap_err().to_string();
        assert!(e.contains("affine"), "{e}");
        assert!(x.linear(&tape.constant(Tensor::zeros([3, 0])), None).is_err());
        assert_eq!(x.linear(&tape.constant(Tensor::zeros([0, 0])), None).unwrap().numel(), 0);
    }

    #[test]
    fn affine_mismatches_name_the_op_and_shapes() {
        let tape = Tape::<f32>::new();
        let x = tape.constant(Tensor::zeros([4, 3]));
        let e = x.affine(&tape.constant(Tensor::zeros([2, 3])), None).unwrap_err().to_string();
        assert!(e.starts_with("shape mismatch in affine, lhs: [4, 3], rhs: [2, 3] (at "), "{e}");
        let w = tape.constant(Tensor::zeros([3, 2]));
        let e = x.affine(&w, Some(&tape.constant(Tensor::zeros([3])))).unwrap_err().to_string();
        assert!(e.starts_with("shape mismatch in affine, lhs: [3, 2], rhs: [3] (at "), "{e}");
        assert!(tape.scalar(1.0).affine(&w, None).is_err());
    }
}
