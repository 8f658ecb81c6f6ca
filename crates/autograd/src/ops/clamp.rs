//! Clamp: `y = min(max(x, lo), hi)`; dy/dx = 1 where `lo ≤ x ≤ hi`, 0 elsewhere. At the
//! boundaries `x = lo` and `x = hi` the gradient passes (subgradient 1), as upstream PyTorch's
//! `clamp_backward` (`where(self >= min && self <= max, grad, 0)`). If `lo > hi` every output is
//! `hi` and no gradient passes, as PyTorch. NaN inputs stay NaN. Gradient checks treat `x = lo`
//! and `x = hi` as kinks.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::clamp;
use crate::op::Clamp;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `min(max(x, lo), hi)`.
    #[track_caller]
    pub fn clamp(&self, lo: T, hi: T) -> Var<'t, T> {
        self.unary(Clamp { lo, hi }, Keep::Inputs, Site::caller(), |x| clamp(x, lo, hi))
    }
}

impl<T: Float> Derivative<T> for Clamp<T> {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        let (lo, hi) = (self.lo, self.hi);
        x.piecewise(|x| if lo <= x && x <= hi { T::ONE } else { T::ZERO })
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        // Samples landing within eps of ±0.5 are kinks: OpCheck moves them off.
        OpCheck::new("clamp", 1, |x| Ok(x[0].clamp(-0.5, 0.5))),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{check_grad, check_grad2, kinks, t};
    use crate::Tape;

    #[test]
    fn values_and_the_boundary_convention() {
        let tape = Tape::new();
        let x = tape.var(t(&[-2.5, -1.0, 0.0, 0.3, 1.7, f64::NAN], &[6]));
        let y = x.clamp(-1.0, 0.3);
        assert_eq!(&y.value().to_vec()[..5], &[-1.0, -1.0, 0.0, 0.3, 0.3]);
        assert!(y.value().data()[5].is_nan());
        y.mul(&tape.constant(t(&[1., -2., 0.5, 3., 1.5, 1.], &[6]))).unwrap().sum().backward().unwrap();
        // The gradient passes at both boundaries (x = lo = −1 and x = hi = 0.3), as upstream
        // PyTorch's clamp_backward. (The torch build installed here returns 0 at the boundaries.)
        assert_eq!(&x.grad().unwrap().to_vec()[..5], &[0.0, -2.0, 0.5, 3.0, 0.0]);
        // lo > hi: everything is hi, nothing passes.
        let z = tape.var(t(&[-1.0, 0.5, 2.0], &[3]));
        let y = z.clamp(1.0, 0.0);
        assert_eq!(y.value().to_vec(), vec![0.0, 0.0, 0.0]);
        y.sum().backward().unwrap();
        assert_eq!(z.grad().unwrap().to_vec(), vec![0.0, 0.0, 0.0]);
    }

    #[test]
    fn gradients_by_finite_differences_and_kinks() {
        let x = t(&[-1.3, 0.4, 2.0, -0.2], &[2, 2]);
        check_grad(&[&x], |v| v[0].clamp(-1.0, 1.0));
        check_grad2(&[&x], |v| v[0].clamp(-1.0, 1.0).powf(3.0));
        // Gradient checks see the kinks at both bounds, and nowhere else.
        assert_eq!(kinks(&[-1.0, 0.3, 1.0, 1.5], |x| x.clamp(-1.0, 1.0)), [0, 2]);
    }
}
