//! Error function: `y = erf x = (2/√π) ∫₀ˣ e^(−t²) dt`; dy/dx = (2/√π)·e^(−x²). Smooth: no
//! kinks. `erf(±∞) = ±1` and NaN stays NaN, as PyTorch. Exact GELU is `x·(1 + erf(x/√2))/2`.
//!
//! The kernel is FreeBSD's `s_erf.c` (also musl's, and the `libm` crate's), ported: rational
//! approximations on `|x|` in [0, 0.84375), [0.84375, 1.25), [1.25, 1/0.35) and [1/0.35, 6),
//! each within 2⁻⁵⁷ of erf, and ±1 beyond, so that the result is within one ulp in f64; f32
//! evaluates it in f64 and rounds once. The tests hold it to one ulp of mpmath's correctly
//! rounded values at 1,900 points covering every interval and its edges, in f64 and f32
//! (`tests/fixtures/erf.txt`, made by `scripts/erf_reference.py`).

// The kernel's constants are s_erf.c's, digit for digit, so that they can be compared with it.
#![allow(clippy::excessive_precision)]

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Erf;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};
use std::f64::consts::FRAC_2_SQRT_PI;

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise error function, `erf x = (2/√π) ∫₀ˣ e^(−t²) dt`, to within one ulp.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::scalar(1.0));
    /// // Exact GELU, x·Φ(x) = x·(1 + erf(x/√2))/2; PyTorch's gelu(1.0) and its derivative:
    /// let gelu = x.mul(&x.mul_scalar(std::f64::consts::FRAC_1_SQRT_2).erf().add_scalar(1.0)).unwrap().mul_scalar(0.5);
    /// assert!((gelu.item() - 0.841344746068543).abs() < 1e-15);
    /// gelu.backward().unwrap();
    /// assert!((x.grad().unwrap().item() - 1.0833154705876864).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn erf(&self) -> Var<'t, T> {
        self.unary(Erf, Keep::Inputs, Site::caller(), |x| T::from_f64(erf(x.to_f64())))
    }
}

impl<T: Float> Derivative<T> for Erf {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        x.mul(x).neg().exp().mul_scalar(T::from_f64(FRAC_2_SQRT_PI))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("erf", 1, |x| Ok(x[0].erf()))]
}

// The kernel below is ported from FreeBSD's /usr/src/lib/msun/src/s_erf.c, which carries this
// notice:
//
// ====================================================
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//
// Developed at SunPro, a Sun Microsystems, Inc. business.
// Permission to use, copy, modify, and distribute this
// software is freely granted, provided that this notice
// is preserved.
// ====================================================

/// erf(1) = 0.84506291151… rounded to 24 bits: on [0.84375, 1.25) erf is this plus a small
/// rational correction.
const ERX: f64 = 8.45062911510467529297e-01;
/// 8·(2/√π − 1), for tiny arguments: erf(x) ≈ x + x·(2/√π − 1), computed without underflow.
const EFX8: f64 = 1.02703333676410069053e+00;
// erf(x) = x + x·P(x²)/Q(x²) on [0, 0.84375).
const PP: [f64; 5] = [
    1.28379167095512558561e-01,
    -3.25042107247001499370e-01,
    -2.84817495755985104766e-02,
    -5.77027029648944159157e-03,
    -2.37630166566501626084e-05,
];
const QQ: [f64; 5] = [
    3.97917223959155352819e-01,
    6.50222499887672944485e-02,
    5.08130628187576562776e-03,
    1.32494738004321644526e-04,
    -3.96022827877536812320e-06,
];
// erf(1 + s) = ERX + P(s)/Q(s) on [0.84375, 1.25).
const PA: [f64; 7] = [
    -2.36211856075265944077e-03,
    4.14856118683748331666e-01,
    -3.72207876035701323847e-01,
    3.18346619901161753674e-01,
    -1.10894694282396677476e-01,
    3.54783043256182359371e-02,
    -2.16637559486879084300e-03,
];
const QA: [f64; 6] = [
    1.06420880400844228286e-01,
    5.40397917702171048937e-01,
    7.18286544141962662868e-02,
    1.26171219808761642112e-01,
    1.36370839120290507362e-02,
    1.19844998467991074170e-02,
];
// erfc(x) = e^(−x² − 0.5625 + R(1/x²)/S(1/x²)) / x on [1.25, 1/0.35).
const RA: [f64; 8] = [
    -9.86494403484714822705e-03,
    -6.93858572707181764372e-01,
    -1.05586262253232909814e+01,
    -6.23753324503260060396e+01,
    -1.62396669462573470355e+02,
    -1.84605092906711035994e+02,
    -8.12874355063065934246e+01,
    -9.81432934416914548592e+00,
];
const SA: [f64; 8] = [
    1.96512716674392571292e+01,
    1.37657754143519042600e+02,
    4.34565877475229228821e+02,
    6.45387271733267880336e+02,
    4.29008140027567833386e+02,
    1.08635005541779435134e+02,
    6.57024977031928170135e+00,
    -6.04244152148580987438e-02,
];
/// Where the two approximations of erfc meet: 1/0.35 to the 20 high bits of its significand, as
/// the original compares only the high word.
const ONE_OVER_0_35: f64 = f64::from_bits(0x4006_db6d_0000_0000);
// The same on [1/0.35, 6).
const RB: [f64; 7] = [
    -9.86494292470009928597e-03,
    -7.99283237680523006574e-01,
    -1.77579549177547519889e+01,
    -1.60636384855821916062e+02,
    -6.37566443368389627722e+02,
    -1.02509513161107724954e+03,
    -4.83519191608651397019e+02,
];
const SB: [f64; 7] = [
    3.03380607434824582924e+01,
    3.25792512996573918826e+02,
    1.53672958608443695994e+03,
    3.19985821950859553908e+03,
    2.55305040643316442583e+03,
    4.74528541206955367215e+02,
    -2.24409524465858183362e+01,
];

/// `c[0] + z·c[1] + z²·c[2] + …` by Horner's rule.
fn poly(z: f64, c: &[f64]) -> f64 {
    c.iter().rev().fold(0.0, |acc, &k| acc * z + k)
}

/// `1 + z·c[0] + z²·c[1] + …`: the denominators, whose constant term is 1.
fn poly1(z: f64, c: &[f64]) -> f64 {
    1.0 + z * poly(z, c)
}

/// erf in f64, within one ulp.
fn erf(x: f64) -> f64 {
    let a = x.abs();
    if !a.is_finite() {
        // erf(±∞) = ±1; NaN stays NaN.
        return if a.is_nan() { x } else { x.signum() };
    }
    if a < 0.84375 {
        if a < f64::from_bits(0x3e30_0000_0000_0000) {
            // |x| < 2⁻²⁸: 2/√π·x, scaled by 8 so that a subnormal x loses no bits.
            return 0.125 * (8.0 * x + EFX8 * x);
        }
        let z = x * x;
        return x + x * (poly(z, &PP) / poly1(z, &QQ));
    }
    let y = if a < 1.25 {
        let s = a - 1.0;
        ERX + poly(s, &PA) / poly1(s, &QA)
    } else if a < 6.0 {
        let s = 1.0 / (a * a);
        let (r, big_s) = if a < ONE_OVER_0_35 { (poly(s, &RA), poly1(s, &SA)) } else { (poly(s, &RB), poly1(s, &SB)) };
        // e^(−a²) as e^(−z²)·e^((z − a)(z + a)), with z = a to 32 bits, so that −z² is exact.
        let z = f64::from_bits(a.to_bits() & 0xffff_ffff_0000_0000);
        let erfc = (-z * z - 0.5625).exp() * ((z - a) * (z + a) + r / big_s).exp() / a;
        1.0 - erfc
    } else {
        // erfc(6) < 2⁻⁵⁴: erf rounds to 1.
        1.0
    };
    if x < 0.0 {
        -y
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_all_close, check_grad, check_grad2, t};
    use crate::{Tape, Tensor};

    const REFERENCE: &str = include_str!("../../tests/fixtures/erf.txt");

    /// The reference lines of one kind, as numbers.
    fn reference(kind: &str) -> Vec<Vec<f64>> {
        REFERENCE
            .lines()
            .filter_map(|line| line.strip_prefix(kind)?.strip_prefix(' '))
            .map(|rest| rest.split(' ').map(|v| v.parse().expect("a number")).collect())
            .collect()
    }

    /// The distance in units in the last place (±0 are one point).
    fn ulps64(a: f64, b: f64) -> u64 {
        let key =
            |v: f64| if v.is_sign_negative() { -((v.to_bits() & !(1 << 63)) as i128) } else { v.to_bits() as i128 };
        (key(a) - key(b)).unsigned_abs() as u64
    }

    fn ulps32(a: f32, b: f32) -> u64 {
        let key = |v: f32| if v.is_sign_negative() { -((v.to_bits() & !(1 << 31)) as i64) } else { v.to_bits() as i64 };
        (key(a) - key(b)).unsigned_abs()
    }

    #[test]
    fn within_one_ulp_of_mpmath_in_f64_and_f32() {
        let rows = reference("f64");
        assert!(rows.len() > 1000, "{} f64 reference values", rows.len());
        let tape = Tape::<f64>::new();
        let x = tape.constant(Tensor::vector(&rows.iter().map(|r| r[0]).collect::<Vec<_>>()));
        let y = x.erf();
        let worst = rows.iter().zip(y.value().data()).map(|(r, &y)| (ulps64(y, r[1]), r[0])).max_by_key(|w| w.0);
        assert!(worst.expect("values").0 <= 1, "f64: {worst:?} (ulps, x)");
        println!("f64: at most {worst:?} (ulps, at x)");

        let rows = reference("f32");
        assert!(rows.len() > 500, "{} f32 reference values", rows.len());
        let tape = Tape::<f32>::new();
        let xs: Vec<f32> = rows.iter().map(|r| r[0] as f32).collect();
        assert!(rows.iter().zip(&xs).all(|(r, &x)| x as f64 == r[0]), "the f32 inputs are exact");
        let y = tape.constant(Tensor::vector(&xs)).erf();
        let worst = rows.iter().zip(y.value().data()).map(|(r, &y)| (ulps32(y, r[1] as f32), r[0])).max_by_key(|w| w.0);
        assert!(worst.expect("values").0 <= 1, "f32: {worst:?} (ulps, x)");
        println!("f32: at most {worst:?} (ulps, at x)");
    }

    #[test]
    fn odd_with_its_limits_and_nan() {
        let tape = Tape::<f64>::new();
        let y = tape.constant(t(&[f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, f64::NAN], &[5])).erf();
        let y = y.value().data();
        assert_eq!(&y[..4], &[1.0, -1.0, -0.0, 0.0]);
        assert!(y[2].is_sign_negative() && y[4].is_nan());
        let x = Tensor::from_fn([200], |i| (i as f64 - 100.0) * 0.071);
        let plus = tape.constant(x.clone()).erf();
        let minus = tape.constant(x.map(|v| -v)).erf();
        assert!(plus.value().data().iter().zip(minus.value().data()).all(|(a, b)| *a == -*b));
    }

    #[test]
    fn gradient_matches_pytorch() {
        let rows = reference("grad");
        let column = |k: usize| rows.iter().map(|r| r[k]).collect::<Vec<_>>();
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::vector(&column(0)));
        x.erf().mul(&tape.constant(Tensor::vector(&column(1)))).unwrap().sum().backward().unwrap();
        assert_all_close(x.grad().unwrap().data(), &column(2), 1e-15);
    }

    #[test]
    fn gradients_by_finite_differences() {
        let x = t(&[-2.3, -0.9, -0.2, 0.0, 0.5, 1.1, 1.9, 3.2], &[2, 4]);
        check_grad(&[&x], |v| v[0].erf());
        check_grad2(&[&x], |v| v[0].erf());
    }
}
