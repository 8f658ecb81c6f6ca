//! Operator sugar: `&a + &b`, `a * b`, `&a * 2.0`, `-&a`. Each operator calls the fallible
//! method and panics with its error message on a shape mismatch; use the methods (`a.add(&b)?`)
//! where a mismatch is a recoverable condition.

use crate::{Float, Var};
use std::ops::{Add, Div, Mul, Neg, Sub};

macro_rules! binary_operator {
    ($trait:ident, $method:ident) => {
        impl<'t, T: Float> $trait<&Var<'t, T>> for &Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: &Var<'t, T>) -> Var<'t, T> {
                Var::$method(self, rhs).unwrap_or_else(|e| panic!("{e}"))
            }
        }
        impl<'t, T: Float> $trait<Var<'t, T>> for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: Var<'t, T>) -> Var<'t, T> {
                Var::$method(&self, &rhs).unwrap_or_else(|e| panic!("{e}"))
            }
        }
        impl<'t, T: Float> $trait<&Var<'t, T>> for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: &Var<'t, T>) -> Var<'t, T> {
                Var::$method(&self, rhs).unwrap_or_else(|e| panic!("{e}"))
            }
        }
        impl<'t, T: Float> $trait<Var<'t, T>> for &Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: Var<'t, T>) -> Var<'t, T> {
                Var::$method(self, &rhs).unwrap_or_else(|e| panic!("{e}"))
            }
        }
    };
}

binary_operator!(Add, add);
binary_operator!(Sub, sub);
binary_operator!(Mul, mul);
binary_operator!(Div, div);

/// `x op c` and `c op x` for a scalar constant `c`, through the scalar ops (no broadcast node).
macro_rules! scalar_operators {
    ($t:ty) => {
        impl<'t> Add<$t> for &Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn add(self, c: $t) -> Var<'t, $t> {
                self.add_scalar(c)
            }
        }
        impl<'t> Sub<$t> for &Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn sub(self, c: $t) -> Var<'t, $t> {
                self.add_scalar(-c)
            }
        }
        impl<'t> Mul<$t> for &Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn mul(self, c: $t) -> Var<'t, $t> {
                self.mul_scalar(c)
            }
        }
        impl<'t> Div<$t> for &Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn div(self, c: $t) -> Var<'t, $t> {
                self.mul_scalar(1.0 / c)
            }
        }
        impl<'t> Add<&Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn add(self, x: &Var<'t, $t>) -> Var<'t, $t> {
                x.add_scalar(self)
            }
        }
        impl<'t> Sub<&Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn sub(self, x: &Var<'t, $t>) -> Var<'t, $t> {
                x.neg().add_scalar(self)
            }
        }
        impl<'t> Mul<&Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn mul(self, x: &Var<'t, $t>) -> Var<'t, $t> {
                x.mul_scalar(self)
            }
        }
        impl<'t> Add<$t> for Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn add(self, c: $t) -> Var<'t, $t> {
                self.add_scalar(c)
            }
        }
        impl<'t> Sub<$t> for Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn sub(self, c: $t) -> Var<'t, $t> {
                self.add_scalar(-c)
            }
        }
        impl<'t> Mul<$t> for Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn mul(self, c: $t) -> Var<'t, $t> {
                self.mul_scalar(c)
            }
        }
        impl<'t> Div<$t> for Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn div(self, c: $t) -> Var<'t, $t> {
                self.mul_scalar(1.0 / c)
            }
        }
    };
}

scalar_operators!(f32);
scalar_operators!(f64);

impl<'t, T: Float> Neg for &Var<'t, T> {
    type Output = Var<'t, T>;
    #[track_caller]
    fn neg(self) -> Var<'t, T> {
        Var::neg(self)
    }
}

impl<'t, T: Float> Neg for Var<'t, T> {
    type Output = Var<'t, T>;
    #[track_caller]
    fn neg(self) -> Var<'t, T> {
        Var::neg(&self)
    }
}
