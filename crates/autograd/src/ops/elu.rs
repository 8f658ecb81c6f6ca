//! Exponential linear unit: `y = x` if x > 0 else `α(eˣ − 1)`; dy/dx = 1 if x > 0 else `α·eˣ`.
//! At the kink x = 0 the derivative is `α` (the left branch), as PyTorch. With `α = 1` ELU is
//! C¹ and the kink is only in the second derivative; gradient checks treat `x = 0` as a kink.
//!
//! The derivative is written `[x > 0] + [x ≤ 0]·α·e^min(x, 0)`, so the unused branch never
//! computes `e^x` of a large `x` (no `0·∞ = NaN`), and it differentiates again correctly.

use crate::error::Site;
use crate::gradcheck::{Domain, OpCheck};
use crate::op::Elu;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `x` for `x > 0`, `alpha·(eˣ − 1)` otherwise.
    #[track_caller]
    pub fn elu(&self, alpha: T) -> Var<'t, T> {
        self.unary(Elu { alpha }, Keep::Inputs, Site::caller(), |x| if x > T::ZERO { x } else { alpha * x.exp_m1() })
    }
}

impl<T: Float> Derivative<T> for Elu<T> {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        let alpha = self.alpha;
        let right = x.piecewise(|x| if x > T::ZERO { T::ONE } else { T::ZERO });
        let left = x.piecewise(move |x| if x > T::ZERO { T::ZERO } else { alpha });
        right.add(&left.mul(&x.clamp(T::neg_infinity(), T::ZERO).exp()))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("elu", 1, |x| Ok(x[0].elu(0.7))).domain(Domain::AwayFromZero(0.1)),
        OpCheck::new("elu (alpha = 1)", 1, |x| Ok(x[0].elu(1.0))).domain(Domain::AwayFromZero(0.1)),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_all_close, check_grad, check_grad2, kinks, t};
    use crate::Tape;

    // PyTorch 2.15: F.elu(x, 1.5) at x = [-2.5, -1, 0, 0.3, 1.7, 25], seed r = [1, -2, 0.5, 3, 1.5, -1]
    #[test]
    fn matches_pytorch_including_the_kink() {
        let tape = Tape::new();
        let x = tape.var(t(&[-2.5, -1.0, 0.0, 0.3, 1.7, 25.0], &[6]));
        let y = x.elu(1.5);
        assert_all_close(y.value().data(), &[-1.376872502064152, -0.9481808382428365, 0.0, 0.3, 1.7, 25.0], 1e-15);
        y.mul(&tape.constant(t(&[1., -2., 0.5, 3., 1.5, -1.], &[6]))).unwrap().sum().backward().unwrap();
        // At x = 0 the gradient is α · g = 1.5 · 0.5.
        assert_all_close(
            x.grad().unwrap().data(),
            &[0.1231274979358482, -1.103638323514327, 0.75, 3.0, 1.5, -1.0],
            1e-15,
        );
    }

    #[test]
    fn large_inputs_stay_finite() {
        let tape = Tape::<f64>::new();
        let x = tape.var(t(&[1000.0, f64::INFINITY, -1000.0], &[3]));
        x.elu(1.0).sum().backward().unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.0, 0.0]);
    }

    #[test]
    fn gradients_by_finite_differences_and_kink() {
        let x = t(&[-1.3, 0.4, 2.0, -0.2], &[2, 2]);
        check_grad(&[&x], |v| v[0].elu(1.5));
        check_grad2(&[&x], |v| v[0].elu(1.5));
        check_grad2(&[&x], |v| v[0].elu(0.7).powf(2.0));
        // With α = 1 the kink at 0 is only in the second derivative; checks see it all the same.
        assert_eq!(kinks(&[-0.3, 0.0, 0.4], |x| x.elu(1.0)), [1]);
    }
}
