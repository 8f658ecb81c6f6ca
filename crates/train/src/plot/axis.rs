//! Axis details `plotters` does not do the way a reader of training curves wants: ticks at
//! whole multiples of a 1, 2, 5 × 10^k step on a linear axis (plotters accumulates the step, so
//! the tick at zero came out as `-5.551115123e-17`), a log-scale axis with ticks at
//! 1, 2, 5 × 10^k, and tick labels without float noise (`2` rather than `2.0`, `0.3` rather
//! than `0.30000000000000004`).

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use std::ops::Range;

/// A linear axis over `[low, high]` (`low < high`) whose ticks are `i · step` for whole `i`,
/// `step` the finest of 1, 2, 5 × 10^k that gives no more ticks than asked for: computed from
/// the index, never by adding steps up, so zero is exactly 0 and `-0.15` is not
/// `-0.15000000000000002`.
#[derive(Clone, Debug)]
pub(super) struct LinearAxis {
    low: f64,
    high: f64,
}

impl LinearAxis {
    pub fn new(low: f64, high: f64) -> LinearAxis {
        debug_assert!(low < high, "the bounds keep an axis non-empty");
        LinearAxis { low, high }
    }

    /// The multiples of `step` inside the axis, as whole indices (a hair of slack at the ends,
    /// so a bound that is itself a multiple keeps its tick despite rounding in the division).
    fn indices(&self, step: f64) -> std::ops::RangeInclusive<i64> {
        let slack = 1e-9;
        ((self.low / step - slack).ceil() as i64)..=((self.high / step + slack).floor() as i64)
    }
}

impl Ranged for LinearAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    /// plotters' own linear mapping (so charts keep their pixels).
    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.low) / (self.high - self.low);
        let length = f64::from(limit.1 - limit.0);
        if length >= 0.0 {
            limit.0 + (length * t + 1e-3).floor() as i32
        } else {
            limit.0 + (length * t - 1e-3).ceil() as i32
        }
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let max = hint.max_num_points();
        let span = self.high - self.low;
        if max == 0 || !span.is_finite() || span <= 0.0 {
            return Vec::new();
        }
        // From a step too fine for `max` ticks up to one wider than the axis (at most one tick).
        let finest = 10f64.powi((span / max as f64).log10().floor() as i32 - 1);
        let steps = (0..).flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * finest * 10f64.powi(k)));
        for step in steps {
            let indices = self.indices(step);
            let count = (indices.end() - indices.start() + 1).max(0) as usize;
            if count <= max {
                return indices.map(|i| tidy(i as f64 * step)).collect();
            }
        }
        unreachable!("a step wider than the axis leaves at most one tick")
    }

    fn range(&self) -> Range<f64> {
        self.low..self.high
    }
}

impl ValueFormatter<f64> for LinearAxis {
    fn format_ext(&self, value: &f64) -> String {
        label(*value)
    }
}

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
    fn linear_ticks_are_whole_multiples_of_a_one_two_five_step() {
        // The axis of a gap chart, -0.27 to 0.02: plotters labelled its zero -5.551115123e-17.
        let axis = LinearAxis::new(-0.2713, 0.0213);
        assert_eq!(axis.key_points(BoldPoints(11)), vec![-0.25, -0.2, -0.15, -0.1, -0.05, 0.0]);
        assert_eq!(label(axis.key_points(BoldPoints(11))[5]), "0");
        // A histogram's x axis across zero: every tick a short decimal.
        let axis = LinearAxis::new(-0.0917, 0.0823);
        let ticks = axis.key_points(BoldPoints(11));
        assert_eq!(ticks, vec![-0.08, -0.06, -0.04, -0.02, 0.0, 0.02, 0.04, 0.06, 0.08]);
        assert!(ticks.iter().all(|&t| label(t).len() <= 5), "{ticks:?}");
        // Bounds that are multiples keep their ticks; epochs 1..140 tick every 20.
        assert_eq!(LinearAxis::new(0.0, 1.0).key_points(BoldPoints(11)).len(), 11);
        assert_eq!(
            LinearAxis::new(1.0, 140.0).key_points(BoldPoints(11)),
            (1..=7).map(|i| 20.0 * f64::from(i)).collect::<Vec<_>>()
        );
        // Few ticks asked for: a coarser step; none asked for: none.
        assert_eq!(LinearAxis::new(0.0, 100_000.0).key_points(BoldPoints(3)), vec![0.0, 50_000.0, 100_000.0]);
        assert!(LinearAxis::new(0.0, 1.0).key_points(BoldPoints(0)).is_empty());
        assert_eq!(LinearAxis::new(0.3, 0.35).key_points(BoldPoints(1)).len(), 1);
        // The mapping is plotters': linear, rounded down to the pixel.
        assert_eq!(LinearAxis::new(0.0, 10.0).map(&2.5, (0, 100)), 25);
        assert_eq!(LinearAxis::new(0.0, 10.0).map(&2.5, (100, 0)), 75);
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
