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
//! Shapes: both operands have rank ≥ 2 and the same leading (batch) axes, or the left one has
//! extra leading axes and the right one is a matrix (a shared weight), which folds the batch
//! into the rows; that fold needs the left operand untransposed (otherwise the shapes are a
//! mismatch error). Batch axes do not broadcast.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::gemm;
use crate::op::Matmul;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Error, Float, Result, Shape, Tensor, Var};
use smallvec::SmallVec;

impl<'t, T: Float> Var<'t, T> {
    /// The matrix product `self · rhs` (batched over leading axes).
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let a = tape.var(Tensor::from_vec(vec![1., 2., 3., 4.], [2, 2]).unwrap());
    /// let b = tape.constant(Tensor::from_vec(vec![1., 0., 0., 1.], [2, 2]).unwrap());
    /// assert_eq!(a.matmul(&b).unwrap().value().to_vec(), vec![1., 2., 3., 4.]);
    /// let err = a.matmul(&tape.constant(Tensor::zeros([3, 2]))).unwrap_err();
    /// assert!(err.to_string().starts_with("shape mismatch in matmul, lhs: [2, 2], rhs: [3, 2]"));
    /// ```
    #[track_caller]
    pub fn matmul(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.matmul_at(rhs, false, false, Site::caller())
    }

    /// `op(self) · op(rhs)` where `op` transposes the last two axes when its flag is set. The
    /// transpose is folded into the GEMM call (strides), never materialized.
    #[track_caller]
    pub fn matmul_t(&self, rhs: &Var<'t, T>, transpose_self: bool, transpose_rhs: bool) -> Result<Var<'t, T>> {
        self.matmul_at(rhs, transpose_self, transpose_rhs, Site::caller())
    }

    pub(crate) fn matmul_at(&self, rhs: &Var<'t, T>, ta: bool, tb: bool, site: Site) -> Result<Var<'t, T>> {
        self.same_tape(rhs, "matmul", site)?;
        let mismatch =
            || Error::ShapeMismatch { op: "matmul", lhs: self.shape().clone(), rhs: rhs.shape().clone(), site };
        let (a, b) = (self.dims(), rhs.dims());
        if a.len() < 2 || b.len() < 2 {
            return Err(mismatch());
        }
        if a.len() > 2 && b.len() == 2 && !ta {
            // A shared right-hand matrix: fold the batch axes into the rows of a 2-D product.
            let rows: usize = a[..a.len() - 1].iter().product();
            let flat = self.reshape_at(Shape::from([rows, a[a.len() - 1]]), site)?;
            let product = flat.matmul_at(rhs, false, tb, site).map_err(|_| mismatch())?;
            let mut out: SmallVec<[usize; 4]> = a[..a.len() - 1].into();
            out.push(product.dims()[1]);
            return product.reshape_at(Shape::from(out), site);
        }
        let dims = MatDims::new(a, b, ta, tb).ok_or_else(mismatch)?;
        let value = gemm_batched(&self.value, &rhs.value, &dims);
        Ok(self.tape.record(Matmul { transpose_a: ta, transpose_b: tb }, &[self, rhs], value, site, Keep::Inputs))
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
        OpCheck::new("matmul (lhs transposed)", 2, |x| x[0].matmul_t(&x[1], true, false))
            .shapes(&[&[&[3, 2], &[3, 4]], &[&[2, 3, 2], &[2, 3, 1]]]),
        OpCheck::new("matmul (both transposed)", 2, |x| x[0].matmul_t(&x[1], true, true))
            .shapes(&[&[&[3, 2], &[4, 3]]]),
    ]
}
