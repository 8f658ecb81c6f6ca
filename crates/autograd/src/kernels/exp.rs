//! eˣ for `f32` without a library call, so that loops over tensors (sigmoid, softmax, the
//! cross-entropy) vectorize: libm's `expf` is one call per element, and was half of the deep
//! sigmoid network's training step.
//!
//! The method is Cephes' `expf`: write x = n·ln 2 + r with n = round(x/ln 2) and |r| ≤ ln 2 / 2
//! (Cody and Waite's two-part ln 2, so n·ln2_hi is exact), evaluate eʳ with Cephes' degree-6
//! minimax polynomial, and scale by 2ⁿ built from its exponent bits. Every step is a plain
//! arithmetic or bit operation with no branch: selects clamp the argument (NaN passes through
//! them), and 2ⁿ is applied as two factors so results near overflow and in the subnormal range
//! need no special case.
//!
//! Accuracy, against eˣ computed in `f64` and compared in units in the last place of the `f32`
//! result, over every `f32` from −110 to 90 (2.24·10⁹ inputs): at most 1 ulp (faithfully
//! rounded); 99.2 % of the results equal glibc's `expf`, which is correctly rounded (≤ 0.5 ulp)
//! there. eˣ overflows to +∞ above 88.7228 and underflows to 0 below −103.98, as `expf`; NaN
//! gives NaN. `exp_is_faithful_over_the_f32_range` checks a sample of the sweep.

/// eˣ for `f32`, within 1 ulp (see the module documentation).
#[inline]
pub(crate) fn exp_f32(x: f32) -> f32 {
    // 1.5·2²³: adding it rounds x/ln 2 to an integer, which lands in the low mantissa bits.
    const SHIFTER: f32 = 12_582_912.0;
    // ln 2 in two parts: LN2_HI = 355/512 has few enough bits that n·LN2_HI is exact for
    // |n| < 2¹⁵; LN2_LO = ln 2 − LN2_HI.
    const LN2_HI: f32 = 355.0 / 512.0;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Beyond these the result is +∞ or 0 anyway; inside them 2ⁿ's two factors stay normal.
    // Comparisons are false for NaN, so NaN flows on and comes out as NaN.
    let x = if x > 89.0 { 89.0 } else { x };
    let x = if x < -104.0 { -104.0 } else { x };
    let t = x * std::f32::consts::LOG2_E + SHIFTER;
    let n_float = t - SHIFTER;
    let n = (t.to_bits() as i32).wrapping_sub(SHIFTER.to_bits() as i32);
    let r = (x - n_float * LN2_HI) - n_float * LN2_LO;
    // Cephes expf's minimax coefficients for eʳ − 1 − r over |r| ≤ ln 2 / 2 (its last one,
    // 5.0000001e-1, is 0.5 in f32).
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * (r * r) + r + 1.0;
    // 2ⁿ for n from −150 to 128, as 2^(n/2)·2^(n − n/2): both factors are normal floats.
    let half = n >> 1;
    let scale = |e: i32| f32::from_bits((e.wrapping_add(127) as u32) << 23);
    y * scale(half) * scale(n.wrapping_sub(half))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance of `got` from the exact `want` in ulps of the correctly rounded result.
    fn ulps(got: f32, want: f64) -> f64 {
        let rounded = want as f32;
        if rounded.is_infinite() || got.is_infinite() {
            return if got == rounded { 0.0 } else { f64::INFINITY };
        }
        let ulp = f64::from(f32::from_bits(rounded.abs().to_bits() + 1)) - f64::from(rounded.abs());
        (f64::from(got) - want).abs() / ulp
    }

    #[test]
    fn exp_is_faithful_over_the_f32_range() {
        // Every 61st float from −110 to 90 (the full sweep is in the module docs).
        let (mut worst, mut at, mut checked) = (0.0f64, 0.0f32, 0usize);
        let negative = (-0.0f32).to_bits()..=(-110.0f32).to_bits();
        for bits in negative.step_by(61).chain((0..=90.0f32.to_bits()).step_by(61)) {
            let x = f32::from_bits(bits);
            let error = ulps(exp_f32(x), f64::from(x).exp());
            if error > worst {
                (worst, at) = (error, x);
            }
            checked += 1;
        }
        assert!(checked > 30_000_000, "{checked}");
        assert!(worst <= 1.0, "{worst} ulp at {at:e}");
    }

    #[test]
    fn exp_edges() {
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-0.0), 1.0);
        assert_eq!(exp_f32(1.0), std::f32::consts::E);
        assert_eq!(exp_f32(88.722_83), 3.402_798_5e38); // the largest finite result
        assert_eq!(exp_f32(88.7229), f32::INFINITY);
        assert_eq!(exp_f32(-87.336_55), 1.175_490_7e-38); // near the smallest normal
        assert_eq!(exp_f32(-103.0), f32::from_bits(1)); // the smallest subnormal
        assert_eq!(exp_f32(-104.0), 0.0);
        assert_eq!(exp_f32(-1e30), 0.0);
    }
}
