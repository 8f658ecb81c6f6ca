//! Selection by a mask: `y = where(cond, a, b)`; `∂L/∂a = where(cond, g, 0)`,
//! `∂L/∂b = where(cond, 0, g)`, `cond` gets none. The kink is where the mask switches. Here too,
//! the comparisons that make masks (not primitives: they record nothing).
//!
//! - `gt`, `ge`, `lt`, `le`, `eq`: elementwise comparisons, broadcasting (NumPy rules), giving
//!   1 where the comparison holds and 0 elsewhere. The result is a constant: a mask is
//!   piecewise constant, so its derivative is zero wherever it exists and no node is recorded.
//!   The kink of an expression that switches on a comparison is declared by the `where` that
//!   consumes the mask: its branches are the mask's values, so gradient checks recognise it
//!   (a mask used as a multiplier, `x · x.gt(0)`, is not: write `where_`).
//! - `where_(cond, a, b)`: `y = a` where `cond ≠ 0` (NaN counts as true), `b` elsewhere, all
//!   three broadcast together. Backward: `∂L/∂a = where(cond, g, 0)`, `∂L/∂b = where(cond, 0, g)`
//!   (no `0·g` products, so an infinite `g` in the unselected branch stays out), again a
//!   `where_`, so every order works. `cond` gets no gradient.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::broadcast;
use crate::op::Where;
use crate::rule::{Branches, Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::tensor::check_result;
use crate::{Error, Float, Result, Shape, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// 1 where `self > rhs`, 0 elsewhere (a constant), broadcasting.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let x = tape.var(Tensor::vector(&[-1., 0., 2.]));
    /// let positive = x.gt(&tape.scalar(0.)).unwrap();
    /// assert_eq!(positive.value().to_vec(), vec![0., 0., 1.]);
    /// assert!(!positive.is_tracked());
    /// ```
    #[track_caller]
    pub fn gt(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.compare(rhs, "gt", Site::caller(), |a, b| a > b)
    }

    /// 1 where `self ≥ rhs`, 0 elsewhere (a constant), broadcasting.
    #[track_caller]
    pub fn ge(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.compare(rhs, "ge", Site::caller(), |a, b| a >= b)
    }

    /// 1 where `self < rhs`, 0 elsewhere (a constant), broadcasting.
    #[track_caller]
    pub fn lt(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.compare(rhs, "lt", Site::caller(), |a, b| a < b)
    }

    /// 1 where `self ≤ rhs`, 0 elsewhere (a constant), broadcasting.
    #[track_caller]
    pub fn le(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.compare(rhs, "le", Site::caller(), |a, b| a <= b)
    }

    /// 1 where `self = rhs`, 0 elsewhere (a constant), broadcasting.
    #[track_caller]
    pub fn eq(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.compare(rhs, "eq", Site::caller(), |a, b| a == b)
    }

    fn compare(
        &self,
        rhs: &Var<'t, T>,
        op: &'static str,
        site: Site,
        f: impl Fn(T, T) -> bool + Sync,
    ) -> Result<Var<'t, T>> {
        self.same_tape(rhs, op, site)?;
        let shape = broadcast_shape(op, self.shape(), rhs.shape(), site)?;
        check_result::<T>(op, &shape, site)?;
        let (a, b) = (expand(&self.value, &shape), expand(&rhs.value, &shape));
        let mask = a.zip_map(&b, |a, b| if f(a, b) { T::ONE } else { T::ZERO });
        Ok(self.constant(mask))
    }

    /// Picks `a` where `cond` is nonzero and `b` elsewhere, broadcasting all three (NumPy rules).
    /// `cond` is used as a constant (typically a mask from [`gt`](Var::gt) and friends).
    ///
    /// ```
    /// use autograd::{Tape, Tensor, Var};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::vector(&[-2., 3.]));
    /// let cond = x.gt(&tape.scalar(0.)).unwrap();
    /// let y = Var::where_(&cond, &x, &x.mul_scalar(0.1)).unwrap(); // a leaky ReLU
    /// assert_eq!(y.value().to_vec(), vec![-0.2, 3.]);
    /// y.sum().backward().unwrap();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.1, 1.]);
    /// ```
    #[track_caller]
    pub fn where_(cond: &Var<'t, T>, a: &Var<'t, T>, b: &Var<'t, T>) -> Result<Var<'t, T>> {
        Var::where_at(cond, a, b, Site::caller())
    }

    fn where_at(cond: &Var<'t, T>, a: &Var<'t, T>, b: &Var<'t, T>, site: Site) -> Result<Var<'t, T>> {
        cond.same_tape(a, "where", site)?;
        cond.same_tape(b, "where", site)?;
        let shape = broadcast_shape("where", cond.shape(), a.shape(), site)?;
        let shape = broadcast_shape("where", &shape, b.shape(), site)?;
        check_result::<T>("where", &shape, site)?;
        let c = cond.constant(expand(&cond.value, &shape));
        let (a, b) = (a.broadcast_at(&shape, site)?, b.broadcast_at(&shape, site)?);
        let value = c.value.zip3_map(&a.value, &b.value, |c, a, b| if c != T::ZERO { a } else { b });
        Ok(c.tape.record_elementwise(Where, &[&c, &a, &b], value, site, Keep::Inputs))
    }
}

/// The common shape of two operands, or a shape mismatch naming `op`.
fn broadcast_shape(op: &'static str, a: &Shape, b: &Shape, site: Site) -> Result<Shape> {
    a.broadcast(b).ok_or_else(|| Error::ShapeMismatch { op, lhs: a.clone(), rhs: b.clone(), site })
}

/// `x` repeated to `shape` (a cheap clone if it already has it).
fn expand<T: Float>(x: &Tensor<T>, shape: &Shape) -> Tensor<T> {
    if x.shape() == shape {
        x.clone()
    } else {
        broadcast(x, shape)
    }
}

impl<T: Float> Rule<T> for Where {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let c = ctx.saved(0).clone();
        let composed = g.tape.is_recording() && g.is_tracked();
        let site = Site::caller();
        let zero = g.scalar(T::ZERO);
        ctx.grad(1, || {
            if composed {
                return Var::where_at(&c, g, &zero, site);
            }
            Ok(g.constant(g.value.zip_map(&c.value, |g, c| if c != T::ZERO { g } else { T::ZERO })))
        })?;
        ctx.grad(2, || {
            if composed {
                return Var::where_at(&c, &zero, g, site);
            }
            Ok(g.constant(g.value.zip_map(&c.value, |g, c| if c != T::ZERO { T::ZERO } else { g })))
        })
    }

    /// The selection switches where the mask does.
    fn branches(&self, saved: &[&Tensor<T>], labels: &mut Branches) {
        for &c in saved[0].data() {
            labels.note((c != T::ZERO) as u64);
        }
    }
}

impl<T: Float> Jvp<T> for Where {
    /// The selection of the tangents: `ẏ = where(c, ȧ, ḃ)` (the mask is a constant).
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let c = ctx.saved(0);
        let zero = c.scalar(T::ZERO);
        let (a, b) = (ctx.tangent(1).unwrap_or(&zero), ctx.tangent(2).unwrap_or(&zero));
        Var::where_at(c, a, b, Site::caller()).map(Some)
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        // The mask is computed from input 0, held constant (masks have no gradient).
        OpCheck::new("where", 3, |x| Var::where_(&x[0].gt(&x[0].scalar(0.0))?, &x[1], &x[2]))
            .shapes(&[&[&[2, 3], &[2, 3], &[2, 3]], &[&[2, 3], &[3], &[2, 1]], &[&[3], &[2, 3], &[]]])
            .wrt(&[1, 2]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{check_grad, check_grad2, kinks, t};
    use crate::{Tape, Tensor, Var};

    #[test]
    fn masks_broadcast_and_are_constants() {
        let tape = Tape::<f64>::new();
        let x = tape.var(t(&[-1., 0., 2., 0.5, 3., -4.], &[2, 3]));
        let y = tape.var(t(&[0., 0., 2.], &[3]));
        let v = |m: crate::Result<Var<'_, f64>>| m.unwrap().value().to_vec();
        assert_eq!(v(x.gt(&y)), vec![0., 0., 0., 1., 1., 0.]);
        assert_eq!(v(x.ge(&y)), vec![0., 1., 1., 1., 1., 0.]);
        assert_eq!(v(x.lt(&y)), vec![1., 0., 0., 0., 0., 1.]);
        assert_eq!(v(x.le(&y)), vec![1., 1., 1., 0., 0., 1.]);
        assert_eq!(v(x.eq(&y)), vec![0., 1., 1., 0., 0., 0.]);
        let before = tape.len();
        assert!(!x.gt(&y).unwrap().is_tracked());
        assert_eq!(tape.len(), before, "masks record nothing");
        let e = x.lt(&tape.constant(Tensor::zeros([2]))).unwrap_err().to_string();
        assert!(e.starts_with("shape mismatch in lt, lhs: [2, 3], rhs: [2]"), "{e}");
    }

    // PyTorch: torch.where(c, a, b) with c = [[1, 0, 1], [0, 0, 1]], a: [2, 3], b: [3] (broadcast)
    #[test]
    fn where_selects_and_routes_gradients() {
        let tape = Tape::<f64>::new();
        let c = tape.constant(t(&[1., 0., 1., 0., 0., 1.], &[2, 3]));
        let a = tape.var(t(&[1., 2., 3., 4., 5., 6.], &[2, 3]));
        let b = tape.var(t(&[-1., -2., -3.], &[3]));
        let y = Var::where_(&c, &a, &b).unwrap();
        assert_eq!(y.value().to_vec(), vec![1., -2., 3., -1., -2., 6.]);
        y.mul(&tape.constant(t(&[1., 2., 3., 4., 5., 6.], &[2, 3]))).unwrap().sum().backward().unwrap();
        assert_eq!(a.grad().unwrap().to_vec(), vec![1., 0., 3., 0., 0., 6.]);
        assert_eq!(b.grad().unwrap().to_vec(), vec![4., 7., 0.]);
        // An infinite incoming gradient reaches only the branch that was taken (a mask product
        // would give 0·∞ = NaN in the other).
        let (p, q) = (tape.var(t(&[1., 2.], &[2])), tape.var(t(&[3., 4.], &[2])));
        let y = Var::where_(&tape.constant(t(&[0., 1.], &[2])), &p, &q).unwrap();
        y.backward_with(Some(t(&[f64::INFINITY, 2.], &[2])), Default::default()).unwrap();
        assert_eq!(p.grad().unwrap().to_vec(), vec![0.0, 2.0]);
        assert_eq!(q.grad().unwrap().to_vec(), vec![f64::INFINITY, 0.0]);
        let e = Var::where_(&c, &a, &tape.constant(Tensor::zeros([2]))).unwrap_err().to_string();
        assert!(e.starts_with("shape mismatch in where, lhs: [2, 3], rhs: [2]"), "{e}");
    }

    #[test]
    fn gradients_by_finite_differences_and_kink() {
        let x = t(&[-1.3, 0.4, 2.0, -0.2, 0.9, 1.1], &[2, 3]);
        let y = t(&[0.3, -0.5, 2.2], &[3]);
        fn f<'t>(v: &[Var<'t, f64>]) -> Var<'t, f64> {
            let c = v[0].gt(&v[1]).unwrap();
            Var::where_(&c, &v[0].powf(2.0), &v[1].sin()).unwrap()
        }
        check_grad(&[&x, &y], f);
        check_grad2(&[&x, &y], f);
        // |x| as a selection: the kink at 0 is declared by where, through the mask it selects by.
        fn abs<'t>(x: &Var<'t, f64>) -> Var<'t, f64> {
            Var::where_(&x.gt(&x.scalar(0.0)).unwrap(), x, &x.neg()).unwrap()
        }
        assert_eq!(kinks(&[-0.3, 0.0, 0.4], abs), [1]);
    }
}
