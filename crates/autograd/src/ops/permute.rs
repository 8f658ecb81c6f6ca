//! Axis permutation: `y[i₀, …, iₙ] = x[i_{p⁻¹(0)}, …]`, i.e. `y.dims[k] = x.dims[perm[k]]`.
//! The result is materialized (tensors are contiguous); the backward permutes the gradient by
//! the inverse permutation, which is again a `permute`, so every order works. Linear: no kinks.
//!
//! `transpose(a0, a1)` swaps two axes and `t()` transposes a matrix; both are permutes. (Matrix
//! products never need them: `matmul_t` folds transposes into the GEMM call.)

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Permute;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{kernels, Axes, Axis, Error, Float, Result, Shape, Var};
use smallvec::SmallVec;
use std::sync::Arc;

impl<'t, T: Float> Var<'t, T> {
    /// Reorders the axes: axis `k` of the result is axis `perm[k]` of `self` (negative entries
    /// count from the back).
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let x = tape.var(Tensor::from_fn([2, 3, 4], |i| i as f32));
    /// let y = x.permute(&[2, 0, 1]).unwrap();
    /// assert_eq!(y.dims(), &[4, 2, 3]);
    /// assert_eq!(y.value().at(&[3, 1, 2]), x.value().at(&[1, 2, 3]));
    /// assert_eq!(x.permute(&[-1, 0, 1]).unwrap().value(), y.value());
    /// ```
    #[track_caller]
    pub fn permute(&self, perm: impl Into<Axes>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let written = perm.into();
        let perm = written
            .as_slice()
            .iter()
            .map(|&axis| Axis::from(axis).resolve("permute", self.shape(), site))
            .collect::<Result<Arc<[usize]>>>()?;
        check_permutation(&perm, &written, self.shape(), site)?;
        self.permute_at(perm, site)
    }

    /// Swaps axes `a0` and `a1` (negative ones count from the back: `transpose(-2, -1)`
    /// transposes the matrices of a batch, PyTorch's `.mT`).
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let x = tape.var(Tensor::from_fn([2, 3, 4], |i| i as f32));
    /// assert_eq!(x.transpose(-2, -1).unwrap().dims(), &[2, 4, 3]);
    /// ```
    #[track_caller]
    pub fn transpose(&self, a0: impl Into<Axis>, a1: impl Into<Axis>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let a0 = a0.into().resolve("transpose", self.shape(), site)?;
        let a1 = a1.into().resolve("transpose", self.shape(), site)?;
        let mut perm: Vec<usize> = (0..self.rank()).collect();
        perm.swap(a0, a1);
        self.permute_at(perm.into(), site)
    }

    /// The transpose of a matrix; a tensor of rank 0 or 1 is returned as it is (as PyTorch).
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let m = tape.var(Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], [2, 3]).unwrap());
    /// assert_eq!(m.t().unwrap().value().to_vec(), vec![1., 4., 2., 5., 3., 6.]);
    /// assert!(tape.var(Tensor::zeros([2, 2, 2])).t().is_err());
    /// ```
    #[track_caller]
    pub fn t(&self) -> Result<Var<'t, T>> {
        let site = Site::caller();
        match self.rank() {
            0 | 1 => Ok(self.clone()),
            2 => self.permute_at([1, 0].into(), site),
            _ => {
                let msg = format!("t() transposes a matrix, got shape {}; use transpose(a0, a1)", self.shape());
                Err(Error::InvalidArgument { op: "t", msg, site })
            }
        }
    }

    /// Records a permute (the caller checked `perm`).
    fn permute_at(&self, perm: Arc<[usize]>, site: Site) -> Result<Var<'t, T>> {
        if perm.iter().enumerate().all(|(k, &p)| k == p) {
            return Ok(self.clone());
        }
        let value = kernels::permute(&self.value, &perm);
        Ok(self.tape.record(Permute { perm }, &[self], value, site, Keep::Nothing))
    }
}

/// Checks that `perm` (the axes as `written`, resolved) is a permutation of the axes of `shape`.
fn check_permutation(perm: &[usize], written: &Axes, shape: &Shape, site: Site) -> Result<()> {
    let mut seen: SmallVec<[bool; 8]> = SmallVec::from_elem(false, shape.rank());
    let ok =
        perm.len() == shape.rank() && perm.iter().all(|&p| p < seen.len() && !std::mem::replace(&mut seen[p], true));
    if ok {
        return Ok(());
    }
    let msg = format!("{:?} is not a permutation of the {} axes of shape {shape}", written.as_slice(), shape.rank());
    Err(Error::InvalidArgument { op: "permute", msg, site })
}

impl<T: Float> Rule<T> for Permute {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let perm = &self.perm;
        let mut inverse = vec![0; perm.len()];
        for (k, &p) in perm.iter().enumerate() {
            inverse[p] = k;
        }
        ctx.grad(0, || g.permute_at(inverse.into(), Site::caller()))
    }
}

impl<T: Float> Jvp<T> for Permute {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        ctx.linear(|t| t.permute_at(self.perm.clone(), Site::caller()))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("permute", 1, |x| x[0].permute(&[2, 0, 1])).shapes(&[&[&[2, 3, 4]]]),
        OpCheck::new("permute (transpose, t)", 1, |x| x[0].transpose(0, 1)?.t()?.transpose(1, 0))
            .shapes(&[&[&[2, 3]], &[&[3, 2]]]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{check_grad, check_grad2};
    use crate::{Tape, Tensor};

    #[test]
    fn values_match_numpy_transpose() {
        // numpy: np.arange(24).reshape(2, 3, 4).transpose(1, 2, 0).ravel()[:8] = [0, 12, 1, 13, 2, 14, 3, 15]
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_fn([2, 3, 4], |i| i as f64));
        let y = x.permute(&[1, 2, 0]).unwrap();
        assert_eq!(y.dims(), &[3, 4, 2]);
        assert_eq!(&y.value().to_vec()[..8], &[0., 12., 1., 13., 2., 14., 3., 15.]);
        let z = x.transpose(0, 2).unwrap();
        assert_eq!(z.dims(), &[4, 3, 2]);
        assert_eq!(z.value().at(&[3, 1, 0]), 7.0);
        y.mul(&tape.constant(Tensor::from_fn([3, 4, 2], |i| i as f64))).unwrap().sum().backward().unwrap();
        // ∂/∂x[i, j, k] = weight at y[j, k, i] = 8j + 2k + i.
        assert_eq!(x.grad().unwrap().at(&[1, 2, 3]), 16.0 + 6.0 + 1.0);
    }

    #[test]
    fn gradients_by_finite_differences() {
        let x = Tensor::from_fn([2, 3, 2], |i| (i as f64 * 0.7).sin());
        check_grad(&[&x], |v| v[0].permute(&[2, 0, 1]).unwrap());
        check_grad(&[&x], |v| v[0].transpose(1, 2).unwrap());
        check_grad2(&[&x], |v| v[0].permute(&[1, 2, 0]).unwrap().powf(3.0));
        let m = Tensor::from_fn([2, 3], |i| i as f64 * 0.3 - 0.5);
        check_grad2(&[&m], |v| v[0].t().unwrap().powf(3.0));
    }

    #[test]
    fn bad_permutations_are_errors() {
        let tape = Tape::<f32>::new();
        let x = tape.var(Tensor::zeros([2, 3]));
        let e = x.permute(&[0, 0]).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid argument to permute: [0, 0] is not a permutation of the 2 axes of shape [2, 3]"),
            "{e}"
        );
        assert!(x.permute(&[1]).is_err());
        assert!(x.permute(&[0, 2]).is_err());
        assert!(x.permute(&[-1, 1]).is_err());
        assert_eq!(x.permute(&[-1, 0]).unwrap().dims(), &[3, 2]);
        assert!(x.transpose(0, 2).is_err());
        assert_eq!(x.transpose(1, 1).unwrap().dims(), &[2, 3]);
        assert_eq!(tape.var(Tensor::zeros([3])).t().unwrap().dims(), &[3]);
    }
}
