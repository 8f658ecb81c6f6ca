//! Power of two tensors: `y = aᵇ`; ∂y/∂a = b·aᵇ⁻¹, ∂y/∂b = y·ln a. Where `a = 0` the ∂/∂b is
//! taken as 0 (PyTorch's convention, the limit for b > 0), so `0ᵇ` does not poison the
//! exponent's gradient with `0·(−∞)`; where `a = b = 0` the ∂/∂a is 0 (`0⁰ = 1` is constant in
//! `a`, as in PyTorch), not `0·0⁻¹ = NaN`. (`powf` is the power with a constant exponent.)

use crate::error::Site;
use crate::gradcheck::{Domain, OpCheck};
use crate::op::Pow;
use crate::rule::elementwise::Elementwise;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `selfʳʰˢ`, broadcasting (NumPy rules).
    #[track_caller]
    pub fn pow(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Pow, Keep::InputsAndOutput, Site::caller(), |a, b| a.powf(b))
    }
}

impl<T: Float> Rule<T> for Pow {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let (a, b, y) = (ctx.saved(0).clone(), ctx.saved(1).clone(), ctx.saved(2).clone());
        ctx.grad(0, || g.mul(&partial_base(&a, &b)?))?;
        ctx.grad(1, || g.mul(&partial_exponent(&a, &y)?))
    }
}

impl<T: Float> Jvp<T> for Pow {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let (a, b, y) = (ctx.saved(0), ctx.saved(1), ctx.saved(2));
        ctx.sum_over_inputs(|i, t| t.mul(&if i == 0 { partial_base(a, b)? } else { partial_exponent(a, y)? }))
    }
}

/// `∂y/∂a = b·a^(b−1)`, with the exponent raised by 1 where a = b = 0 (a constant mask, so the
/// rule stays differentiable): there b·a⁰ = 0 instead of 0·0⁻¹ = NaN.
fn partial_base<'t, T: Float>(a: &Var<'t, T>, b: &Var<'t, T>) -> Result<Var<'t, T>> {
    let zero_zero = a.value.zip_map(&b.value, |a, b| if a == T::ZERO && b == T::ZERO { T::ONE } else { T::ZERO });
    b.mul(&a.pow(&b.add_scalar(-T::ONE).add(&b.constant(zero_zero))?)?)
}

/// `∂y/∂b = y·ln a`, with the a = 0 entries of ln a replaced by 0 (a constant mask keeps it
/// differentiable).
fn partial_exponent<'t, T: Float>(a: &Var<'t, T>, y: &Var<'t, T>) -> Result<Var<'t, T>> {
    let zero_base = a.piecewise(|v| if v == T::ZERO { T::ONE } else { T::ZERO });
    y.mul(&a.add(&zero_base)?.log())
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("pow", 2, |x| x[0].pow(&x[1])).domains(&[Domain::Positive, Domain::Real]).broadcasting()]
}

#[cfg(test)]
mod tests {
    use crate::testing::{check_grad, check_grad2, t};
    use crate::Tape;

    // PyTorch 2.15: a = [0, 0, 2, 0.5], b = [0, 2, 0, 1.5]; (a ** b).sum().backward()
    // a.grad = [0, 0, 0, 1.0606601717798214], b.grad = [0, 0, 0.6931471805599453, -0.2450645358671368]
    #[test]
    fn conventions_at_zero_as_pytorch() {
        let tape = Tape::new();
        let a = tape.var(t(&[0., 0., 2., 0.5], &[4]));
        let b = tape.var(t(&[0., 2., 0., 1.5], &[4]));
        let y = a.pow(&b).unwrap();
        assert_eq!(&y.value().to_vec()[..3], &[1., 0., 1.]);
        y.sum().backward().unwrap();
        let (da, db) = (a.grad().unwrap().to_vec(), b.grad().unwrap().to_vec());
        assert_eq!(&da[..3], &[0., 0., 0.], "0⁰ and 0² are flat in a; 2⁰ too");
        assert!((da[3] - 1.0606601717798214).abs() < 1e-15);
        assert_eq!(&db[..2], &[0., 0.], "ln 0 is taken as 0 where a = 0");
        assert!((db[2] - 2f64.ln()).abs() < 1e-15 && (db[3] + 0.2450645358671368).abs() < 1e-15);
    }

    #[test]
    fn gradients_by_finite_differences() {
        let a = t(&[0.3, 1.2, 2.5, 0.7, 1.1, 0.9], &[2, 3]);
        let b = t(&[-0.5, 1.5, 2.0], &[3]);
        check_grad(&[&a, &b], |v| v[0].pow(&v[1]).unwrap());
        check_grad2(&[&a, &b], |v| v[0].pow(&v[1]).unwrap());
    }
}
