//! Square root: `y = √x`; dy/dx = 1/(2√x) = 1/(2y) (from the saved output). `√0 = 0` with an
//! infinite derivative and `√x = NaN` for `x < 0`, as IEEE 754 and PyTorch; anomaly mode reports
//! either at this op.

use crate::error::Site;
use crate::gradcheck::{Domain, OpCheck};
use crate::op::Sqrt;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `√x`.
    #[track_caller]
    pub fn sqrt(&self) -> Var<'t, T> {
        self.unary(Sqrt, Keep::Output, Site::caller(), T::sqrt)
    }
}

impl<T: Float> Derivative<T> for Sqrt {
    fn derivative<E: Elementwise<T>>(&self, y: &E) -> E {
        y.recip().mul_scalar(T::from_f64(0.5))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("sqrt", 1, |x| Ok(x[0].sqrt())).domain(Domain::Positive)]
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_all_close, check_grad, check_grad2, t};
    use crate::Tape;

    // PyTorch 2.15: x = [0.25, 1, 2, 9, 1e-6, 100]; (x.sqrt() * [1, -2, 0.5, 3, 1.5, -1]).sum().backward()
    #[test]
    fn matches_pytorch() {
        let tape = Tape::new();
        let x = tape.var(t(&[0.25, 1., 2., 9., 1e-6, 100.], &[6]));
        let y = x.sqrt();
        assert_all_close(y.value().data(), &[0.5, 1.0, std::f64::consts::SQRT_2, 3.0, 0.001, 10.0], 1e-15);
        y.mul(&tape.constant(t(&[1., -2., 0.5, 3., 1.5, -1.], &[6]))).unwrap().sum().backward().unwrap();
        assert_all_close(x.grad().unwrap().data(), &[1.0, -1.0, 0.1767766952966369, 0.5, 750.0, -0.05], 1e-12);
        let z = tape.var(t(&[0.0], &[1]));
        z.sqrt().sum().backward().unwrap();
        assert_eq!(z.grad().unwrap().item(), f64::INFINITY);
    }

    #[test]
    fn gradients_by_finite_differences() {
        let x = t(&[0.3, 1.2, 2.5, 0.05], &[2, 2]);
        check_grad(&[&x], |v| v[0].sqrt());
        check_grad2(&[&x], |v| v[0].sqrt());
    }
}
