//! Softplus: `y = ln(1 + eˣ)`, evaluated as `ln(1 + e^−|x|) + max(x, 0)` so that it neither
//! overflows for large `x` nor loses precision for very negative `x`; dy/dx = σ(x). Smooth: no
//! kinks (the `|x|` and `max` of the stable form cancel out).

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Softplus;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `ln(1 + eˣ)`, computed stably.
    #[track_caller]
    pub fn softplus(&self) -> Var<'t, T> {
        self.unary(Softplus, Keep::Inputs, Site::caller(), softplus)
    }
}

fn softplus<T: Float>(x: T) -> T {
    (-x.abs()).exp().ln_1p() + x.max(T::ZERO)
}

impl<T: Float> Derivative<T> for Softplus {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        x.sigmoid()
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("softplus", 1, |x| Ok(x[0].softplus()))]
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_all_close, check_grad, check_grad2, t};
    use crate::Tape;

    // PyTorch 2.15: F.softplus(x) at x = [-2.5, -1, 0, 0.3, 1.7, 25], seed r = [1, -2, 0.5, 3, 1.5, -1]
    #[test]
    fn matches_pytorch() {
        let tape = Tape::new();
        let x = tape.var(t(&[-2.5, -1.0, 0.0, 0.3, 1.7, 25.0], &[6]));
        let y = x.softplus();
        let expected = [
            0.07888973429254963,
            0.31326168751822286,
            std::f64::consts::LN_2,
            0.8543552444685272,
            1.867786029386266,
            25.0,
        ];
        // PyTorch returns x itself above its threshold 20; the exact ln(1 + e²⁵) is 25 + 1.4e-11.
        assert_all_close(&y.value().data()[..5], &expected[..5], 1e-15);
        assert_eq!(y.value().data()[5], 25.0 + (-25f64).exp());
        y.mul(&tape.constant(t(&[1., -2., 0.5, 3., 1.5, -1.], &[6]))).unwrap().sum().backward().unwrap();
        // Likewise PyTorch's gradient is exactly g above 20, where σ(25) = 1 − 1.4e-11.
        let expected = [0.07585818002124356, -0.5378828427399902, 0.25, 1.7233275504349768, 1.2683021023746979, -1.0];
        assert_all_close(x.grad().unwrap().data(), &expected, 1e-10);
    }

    #[test]
    fn extremes_are_exact() {
        let tape = Tape::<f64>::new();
        let y = tape.constant(t(&[-800.0, 800.0, -40.0], &[3])).softplus();
        assert_eq!(y.value().data()[1], 800.0);
        assert!((y.value().data()[2] - (-40f64).exp()).abs() < 1e-30, "ln(1 + e⁻⁴⁰) ≈ e⁻⁴⁰");
        assert!(y.value().data()[0] >= 0.0 && y.value().data()[0] < 1e-300);
    }

    #[test]
    fn gradients_by_finite_differences() {
        let x = t(&[-1.3, 0.4, 2.0, -0.2, 0.0, 5.0], &[2, 3]);
        check_grad(&[&x], |v| v[0].softplus());
        check_grad2(&[&x], |v| v[0].softplus());
    }
}
