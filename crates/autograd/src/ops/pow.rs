//! Powers.
//!
//! - `powf`: `y = xᵖ` for a constant real `p`; dy/dx = p·xᵖ⁻¹. For p = 0 the derivative is 0
//!   everywhere (including x = 0, where 0·0⁻¹ would be NaN), as in PyTorch.
//! - `pow`: `y = aᵇ` for tensors; ∂y/∂a = b·aᵇ⁻¹, ∂y/∂b = y·ln a. Where `a = 0` the ∂/∂b is
//!   taken as 0 (PyTorch's convention, the limit for b > 0), so `0ᵇ` does not poison the
//!   exponent's gradient with `0·(−∞)`.

use super::unary::{chain, Derivative, Elementwise};
use super::{Keep, Op};
use crate::backward::Ctx;
use crate::error::Site;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `xᵖ` for a constant exponent.
    #[track_caller]
    pub fn powf(&self, p: T) -> Var<'t, T> {
        self.unary(Op::PowScalar(p), Keep::Inputs, Site::caller(), |x| x.powf(p))
    }

    /// Elementwise `selfʳʰˢ`, broadcasting (NumPy rules).
    #[track_caller]
    pub fn pow(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Op::Pow, Keep::InputsAndOutput, Site::caller(), |a, b| a.powf(b))
    }
}

/// d/dx xᵖ = p·xᵖ⁻¹, through `powf` again, so every order works.
struct PowScalar<T>(T);

impl<T: Float> Derivative<T> for PowScalar<T> {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        let p = self.0;
        x.powf(p - T::ONE).mul_scalar(p)
    }
}

pub(super) fn backward_scalar<'t, T: Float>(p: T, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    if p == T::ZERO {
        return ctx.grad(0, || Ok(g.mul_scalar(T::ZERO)));
    }
    chain(&PowScalar(p), ctx, g)
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let (a, b, y) = (ctx.saved(0).clone(), ctx.saved(1).clone(), ctx.saved(2).clone());
    ctx.grad(0, || g.mul(&b.mul(&a.pow(&b.add_scalar(-T::ONE))?)?))?;
    ctx.grad(1, || {
        // ln a with the a = 0 entries replaced by 0 (a constant mask keeps it differentiable).
        let zero_base = a.piecewise(|v| if v == T::ZERO { T::ONE } else { T::ZERO });
        g.mul(&y.mul(&a.add(&zero_base)?.log())?)
    })
}
