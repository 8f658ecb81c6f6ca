//! Leaky ReLU: `y = x` if x > 0 else `slope·x`; dy/dx = 1 if x > 0 else `slope`. At the kink
//! x = 0 the derivative is `slope`, as PyTorch (`self > 0 ? grad : grad·slope`), consistent with
//! ReLU'(0) = 0 (the `slope = 0` case). Gradient checks treat `x = 0` as a kink.

use crate::error::Site;
use crate::gradcheck::{Domain, OpCheck};
use crate::op::LeakyRelu;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `x` for `x > 0`, `slope·x` otherwise.
    #[track_caller]
    pub fn leaky_relu(&self, slope: T) -> Var<'t, T> {
        self.unary(LeakyRelu { slope }, Keep::Inputs, Site::caller(), |x| if x > T::ZERO { x } else { x * slope })
    }
}

impl<T: Float> Derivative<T> for LeakyRelu<T> {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        let slope = self.slope;
        x.piecewise(|x| if x > T::ZERO { T::ONE } else { slope })
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("leaky_relu", 1, |x| Ok(x[0].leaky_relu(0.1))).domain(Domain::AwayFromZero(0.1))]
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_all_close, check_grad, check_grad2, kinks, t};
    use crate::Tape;

    // PyTorch 2.15: F.leaky_relu(x, 0.1) at x = [-2.5, -1, 0, 0.3, 1.7, 25], seed r = [1, -2, 0.5, 3, 1.5, -1]
    #[test]
    fn matches_pytorch_including_the_kink() {
        let tape = Tape::new();
        let x = tape.var(t(&[-2.5, -1.0, 0.0, 0.3, 1.7, 25.0], &[6]));
        let y = x.leaky_relu(0.1);
        assert_all_close(y.value().data(), &[-0.25, -0.1, 0.0, 0.3, 1.7, 25.0], 1e-16);
        y.mul(&tape.constant(t(&[1., -2., 0.5, 3., 1.5, -1.], &[6]))).unwrap().sum().backward().unwrap();
        // At x = 0 the gradient is slope · g = 0.1 · 0.5.
        assert_all_close(x.grad().unwrap().data(), &[0.1, -0.2, 0.05, 3.0, 1.5, -1.0], 1e-16);
    }

    #[test]
    fn gradients_by_finite_differences_and_kink() {
        let x = t(&[-1.3, 0.4, 2.0, -0.2], &[2, 2]);
        check_grad(&[&x], |v| v[0].leaky_relu(0.2));
        check_grad2(&[&x], |v| v[0].leaky_relu(0.2).powf(2.0));
        assert_eq!(kinks(&[-0.5, 0.0, 0.4], |x| x.leaky_relu(0.2)), [1]);
    }
}
