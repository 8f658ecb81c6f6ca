//! Axis details `plotters` does not do the way a reader of training curves wants: a log-scale
//! axis with ticks at 1, 2, 5 × 10^k, and tick labels without float noise (`2` rather than
//! `2.0`, `0.3` rather than `0.30000000000000004`).

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use std::ops::Range;

/// A base-10 logarithmic axis over `[low, high]` (`0 < low < high`).
#[derive(Clone, Debug)]
pub(super) struct LogAxis {
    low: f64,
    high: f64,
}

impl LogAxis {
    pub fn new(low: f64, high: f64) -> LogAxis {
        debug_assert!(0.0 < low && low < high, "the bounds keep a log axis positive and non-empty");
        LogAxis { low, high }
    }

    /// The values `m · 10^k` inside the axis, for each mantissa `m` in `mantissas`, ascending.
    fn ticks(&self, mantissas: &[f64]) -> Vec<f64> {
        let first = self.low.log10().floor() as i32;
        let last = self.high.log10().ceil() as i32;
        (first..=last)
            .flat_map(|k| mantissas.iter().map(move |m| tidy(m * 10f64.powi(k))))
            .filter(|v| (self.low..=self.high).contains(v))
            .collect()
    }
}

impl Ranged for LogAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (low, high) = (self.low.log10(), self.high.log10());
        let t = (value.log10() - low) / (high - low);
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    /// Labelled ticks at 1, 2, 5 × 10^k if they fit, else at each power of ten, else at every
    /// n-th; light lines at 1, …, 9 × 10^k. An axis inside one decade with fewer than two such
    /// ticks gets evenly spaced ones.
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let max = hint.max_num_points();
        if max == 0 {
            return Vec::new();
        }
        if hint.weight().allow_light_points() {
            return self.ticks(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        }
        let one_two_five = self.ticks(&[1.0, 2.0, 5.0]);
        if one_two_five.len() > max {
            let decades = self.ticks(&[1.0]);
            let stride = decades.len().div_ceil(max).max(1);
            return decades.into_iter().step_by(stride).collect();
        }
        if one_two_five.len() >= 2 {
            return one_two_five;
        }
        let n = max.min(5);
        (0..n).map(|i| tidy(self.low + (self.high - self.low) * i as f64 / (n - 1).max(1) as f64)).collect()
    }

    fn range(&self) -> Range<f64> {
        self.low..self.high
    }
}

impl ValueFormatter<f64> for LogAxis {
    fn format_ext(&self, value: &f64) -> String {
        label(*value)
    }
}

/// `v` rounded to 10 significant digits, which removes the noise of computed tick positions.
pub(super) fn tidy(v: f64) -> f64 {
    format!("{v:.9e}").parse().expect("a formatted f64 parses back")
}

/// A tick label: the shortest decimal of `tidy(v)`, in scientific notation when very small or
/// very large (`1e-5`, `2e6`).
pub(super) fn label(v: f64) -> String {
    let v = tidy(v);
    if v != 0.0 && !(1e-4..1e6).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::coord::ranged1d::BoldPoints;

    #[test]
    fn labels_are_short_decimals() {
        assert_eq!(label(0.1 + 0.2), "0.3");
        assert_eq!(label(2.0), "2");
        assert_eq!(label(-0.25), "-0.25");
        assert_eq!(label(0.0), "0");
        assert_eq!(label(1e-5), "1e-5");
        assert_eq!(label(2.5e6), "2.5e6");
        assert_eq!(label(123456.0), "123456");
    }

    #[test]
    fn log_ticks_follow_one_two_five_then_decades() {
        let axis = LogAxis::new(0.05, 3.0);
        assert_eq!(axis.key_points(BoldPoints(10)), vec![0.05, 0.1, 0.2, 0.5, 1.0, 2.0]);
        let wide = LogAxis::new(1e-6, 10.0);
        assert_eq!(wide.key_points(BoldPoints(10)), vec![1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0]);
        assert_eq!(wide.key_points(BoldPoints(4)), vec![1e-6, 1e-4, 0.01, 1.0]);
        // Inside one decade without two 1-2-5 ticks: evenly spaced.
        assert_eq!(LogAxis::new(0.3, 0.45).key_points(BoldPoints(10)), vec![0.3, 0.3375, 0.375, 0.4125, 0.45]);
        // Light lines at every mantissa.
        assert_eq!(LogAxis::new(0.5, 3.0).key_points(20usize), vec![0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 2.0, 3.0]);
        // The mapping is linear in log10.
        assert_eq!(LogAxis::new(1.0, 100.0).map(&10.0, (0, 100)), 50);
    }
}
