//! Power with a constant exponent: `y = xᵖ` for a real `p`; dy/dx = p·xᵖ⁻¹. For p = 0 the
//! derivative is 0 everywhere (including x = 0, where 0·0⁻¹ would be NaN, and for an infinite
//! incoming gradient), as in PyTorch.

use crate::error::Site;
use crate::gradcheck::{Domain, OpCheck};
use crate::op::Powf;
use crate::rule::elementwise::{chain, tangent, Derivative, Elementwise};
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `xᵖ` for a constant exponent.
    #[track_caller]
    pub fn powf(&self, p: T) -> Var<'t, T> {
        self.unary(Powf { p }, Keep::Inputs, Site::caller(), |x| x.powf(p))
    }
}

impl<T: Float> Rule<T> for Powf<T> {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        if self.p == T::ZERO {
            // Zeros, not g·0: an infinite upstream gradient must not turn into NaN (as PyTorch).
            return ctx.grad(0, || Ok(g.constant(Tensor::zeros(g.shape().clone()))));
        }
        chain(&PowerRule(self.p), ctx, g)
    }
}

impl<T: Float> Jvp<T> for Powf<T> {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        if self.p == T::ZERO {
            return Ok(None);
        }
        ctx.linear(|t| tangent(&PowerRule(self.p), ctx.saved(0), t))
    }
}

/// d/dx xᵖ = p·xᵖ⁻¹, through `powf` again, so every order works.
struct PowerRule<T>(T);

impl<T: Float> Derivative<T> for PowerRule<T> {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        let p = self.0;
        x.powf(p - T::ONE).mul_scalar(p)
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("powf", 1, |x| Ok(x[0].powf(2.5))).domain(Domain::Positive),
        OpCheck::new("powf (integer exponent, negative base)", 1, |x| Ok(x[0].powf(3.0))),
        OpCheck::new("powf (negative exponent)", 1, |x| Ok(x[0].powf(-1.5))).domain(Domain::Positive),
        OpCheck::new("powf (p = 0)", 1, |x| Ok(x[0].powf(0.0))),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{check_grad2, t};

    #[test]
    fn gradients_by_finite_differences() {
        let a = t(&[0.3, 1.2, 2.5, 0.7, 1.1, 0.9], &[2, 3]);
        check_grad2(&[&a], |v| v[0].powf(2.5));
    }
}
