//! Sign: `y = sign(x) ∈ {−1, 0, 1}` (0 at ±0; NaN stays NaN, as NumPy and JAX, where PyTorch
//! gives 0); dy/dx = 0 everywhere, as PyTorch (which returns zeros) and JAX. Recorded on the tape
//! like any op so that it shows in listings and gradient checks see its kink at `x = 0` (where
//! the true derivative does not exist).

use crate::error::Site;
use crate::gradcheck::{Domain, OpCheck};
use crate::kernels::sign;
use crate::op::Sign;
use crate::rule::{Branches, Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise sign: −1, 0 or 1 (NaN stays NaN). Its gradient is zero.
    #[track_caller]
    pub fn sign(&self) -> Var<'t, T> {
        self.unary(Sign, Keep::Inputs, Site::caller(), |x| if x.is_nan() { x } else { sign(x) })
    }
}

impl<T: Float> Rule<T> for Sign {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        // Zeros rather than `0 · g`, which would turn an infinite `g` into NaN.
        ctx.grad(0, || Ok(g.constant(Tensor::zeros(g.shape().clone()))))
    }

    /// Its only kink, a jump at 0: the branch is the sign of the saved input.
    fn branches(&self, saved: &[&Tensor<T>], labels: &mut Branches) {
        labels.note_values(&saved[0].map(sign));
    }
}

impl<T: Float> Jvp<T> for Sign {
    /// Piecewise constant: the tangent is zero.
    fn jvp<'t>(&self, _ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        Ok(None)
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("sign", 1, |x| Ok(x[0].sign())).domain(Domain::AwayFromZero(0.1))]
}

#[cfg(test)]
mod tests {
    use crate::testing::{kinks, t};
    use crate::Tape;

    #[test]
    fn values_and_zero_gradient() {
        let tape = Tape::new();
        let x = tape.var(t(&[-2.5, -0.0, 0.0, 0.3, f64::NAN], &[5]));
        let y = x.sign();
        assert_eq!(&y.value().to_vec()[..4], &[-1., 0., 0., 1.]);
        assert!(y.value().data()[4].is_nan());
        assert!(y.is_tracked(), "recorded so that it shows on the tape");
        y.mul_scalar(3.0).sum().backward().unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.; 5]);
    }

    #[test]
    fn reports_its_kink_at_zero() {
        assert_eq!(kinks(&[1.0, 0.0, 0.5], |x| x.sign()), [1]);
    }
}
