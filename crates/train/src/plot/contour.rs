//! Contour lines of a function of two variables: [`Grid`] samples it, marching squares traces
//! each level.
//!
//! Marching squares: in every grid cell, the corners at or above the level and those below it
//! say which cell edges the level crosses (16 cases); the crossing on an edge is placed by
//! linear interpolation between its two corners. Segments of neighbouring cells meet on their
//! shared edge, so they are chained into polylines by edge. In the two saddle cases (diagonal
//! corners on the same side) the cell's centre value, the mean of its corners, decides which
//! way the lines turn. A cell with a non-finite corner is skipped.

use crate::{Error, Result};
use std::collections::HashMap;
use std::ops::Range;

/// A function of two variables sampled on a regular grid, for [`Chart::contours`](super::Chart::contours).
///
/// ```
/// use train::plot::{Chart, Grid};
///
/// // An ill-conditioned bowl, and gradient descent's zig-zag on it.
/// let bowl = Grid::sample(-2.0..2.0, -2.0..2.0, (41, 41), |x, y| x * x + 10.0 * y * y)?;
/// assert_eq!(bowl.levels(3), vec![11.0, 22.0, 33.0]); // evenly between 0 and 44
/// let path = [(-1.8, 1.0), (-1.5, -0.8), (-1.2, 0.64), (-0.96, -0.5)];
/// let svg = Chart::new("gradient descent").contours("loss", bowl.clone(), bowl.levels(8)).path("sgd", path)
///     .to_svg_string()?;
/// assert!(svg.contains("gradient descent"));
/// # Ok::<(), train::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Grid {
    x: (f64, f64),
    y: (f64, f64),
    nx: usize,
    ny: usize,
    /// `values[j * nx + i] = f(x_i, y_j)`.
    values: Vec<f64>,
}

impl Grid {
    /// Samples `f` at `points.0 × points.1` evenly spaced points covering `x × y`, ends
    /// included.
    ///
    /// Fails if either count is below 2 or if a range is empty or not finite.
    pub fn sample(x: Range<f64>, y: Range<f64>, points: (usize, usize), f: impl Fn(f64, f64) -> f64) -> Result<Grid> {
        for (axis, range, n) in [("x", &x, points.0), ("y", &y, points.1)] {
            if !(range.start.is_finite() && range.end.is_finite() && range.start < range.end) {
                return Err(Error::invalid(
                    "Grid::sample",
                    format!("the {axis} range must be finite and non-empty, got {range:?}"),
                ));
            }
            if n < 2 {
                return Err(Error::invalid("Grid::sample", format!("needs at least 2 points along {axis}, got {n}")));
            }
        }
        let (nx, ny) = points;
        let mut grid = Grid { x: (x.start, x.end), y: (y.start, y.end), nx, ny, values: Vec::with_capacity(nx * ny) };
        for j in 0..ny {
            for i in 0..nx {
                let value = f(grid.x_at(i as f64), grid.y_at(j as f64));
                grid.values.push(value);
            }
        }
        Ok(grid)
    }

    /// `n` levels evenly spaced strictly between the smallest and the largest finite value
    /// (none if there are no two distinct finite values).
    pub fn levels(&self, n: usize) -> Vec<f64> {
        match self.finite_range() {
            Some((lo, hi)) if lo < hi => (1..=n).map(|k| lo + (hi - lo) * k as f64 / (n + 1) as f64).collect(),
            _ => Vec::new(),
        }
    }

    /// `n` levels spaced by a constant factor strictly between the smallest and the largest
    /// positive finite value: for surfaces whose interesting part is near a minimum (a loss
    /// near 0, Rosenbrock's valley).
    pub fn log_levels(&self, n: usize) -> Vec<f64> {
        let positive = self.values.iter().filter(|v| v.is_finite() && **v > 0.0);
        let (lo, hi) = positive.fold((f64::INFINITY, 0.0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        if lo >= hi {
            return Vec::new();
        }
        let ratio = (hi / lo).ln();
        (1..=n).map(|k| lo * (ratio * k as f64 / (n + 1) as f64).exp()).collect()
    }

    /// The x range covered.
    pub fn x_range(&self) -> Range<f64> {
        self.x.0..self.x.1
    }

    /// The y range covered.
    pub fn y_range(&self) -> Range<f64> {
        self.y.0..self.y.1
    }

    fn finite_range(&self) -> Option<(f64, f64)> {
        let finite = self.values.iter().copied().filter(|v| v.is_finite());
        finite.fold(None, |acc, v| Some(acc.map_or((v, v), |(lo, hi): (f64, f64)| (lo.min(v), hi.max(v)))))
    }

    /// The x coordinate of (fractional) column `i`.
    fn x_at(&self, i: f64) -> f64 {
        self.x.0 + (self.x.1 - self.x.0) * i / (self.nx - 1) as f64
    }

    /// The y coordinate of (fractional) row `j`.
    fn y_at(&self, j: f64) -> f64 {
        self.y.0 + (self.y.1 - self.y.0) * j / (self.ny - 1) as f64
    }

    fn value(&self, i: usize, j: usize) -> f64 {
        self.values[j * self.nx + i]
    }

    /// The lines where the sampled function equals `level`, as polylines in plot coordinates
    /// (a closed contour repeats its first point at the end).
    pub(super) fn contour(&self, level: f64) -> Vec<Vec<(f64, f64)>> {
        let segments = self.segments(level);
        chain(&segments)
            .into_iter()
            .map(|line| line.into_iter().map(|edge| self.crossing(edge, level)).collect())
            .collect()
    }

    /// Marching squares: each segment joins the crossings on two cell edges.
    fn segments(&self, level: f64) -> Vec<(Edge, Edge)> {
        let mut segments = Vec::new();
        for j in 0..self.ny - 1 {
            for i in 0..self.nx - 1 {
                // Corners counter-clockwise from the bottom left.
                let corners = [self.value(i, j), self.value(i + 1, j), self.value(i + 1, j + 1), self.value(i, j + 1)];
                if corners.iter().any(|v| !v.is_finite()) {
                    continue;
                }
                let case = corners.iter().enumerate().fold(0, |case, (k, &v)| case | (usize::from(v >= level) << k));
                // The cell's edges: bottom, right, top, left.
                let (bottom, right, top, left) = (
                    Edge::Horizontal(i, j),
                    Edge::Vertical(i + 1, j),
                    Edge::Horizontal(i, j + 1),
                    Edge::Vertical(i, j),
                );
                let centre_above = corners.iter().sum::<f64>() / 4.0 >= level;
                let pairs: &[(Edge, Edge)] = match case {
                    0 | 15 => &[],
                    1 | 14 => &[(left, bottom)],
                    2 | 13 => &[(bottom, right)],
                    3 | 12 => &[(left, right)],
                    4 | 11 => &[(right, top)],
                    6 | 9 => &[(bottom, top)],
                    7 | 8 => &[(left, top)],
                    // Saddles: bottom-left and top-right above (5) or below (10) the level. If the
                    // centre is on their side, they are joined and the lines cut off the other two.
                    5 | 10 if centre_above == (case == 5) => &[(left, top), (bottom, right)],
                    5 | 10 => &[(left, bottom), (right, top)],
                    _ => unreachable!("four corners make 16 cases"),
                };
                segments.extend_from_slice(pairs);
            }
        }
        segments
    }

    /// Where the level crosses `edge`, by linear interpolation between its corners.
    fn crossing(&self, edge: Edge, level: f64) -> (f64, f64) {
        let ((i0, j0), (i1, j1)) = match edge {
            Edge::Horizontal(i, j) => ((i, j), (i + 1, j)),
            Edge::Vertical(i, j) => ((i, j), (i, j + 1)),
        };
        let (a, b) = (self.value(i0, j0), self.value(i1, j1));
        // The corners are on opposite sides of the level, so a != b.
        let t = ((level - a) / (b - a)).clamp(0.0, 1.0);
        let (fi, fj) = (i0 as f64 + t * (i1 - i0) as f64, j0 as f64 + t * (j1 - j0) as f64);
        (self.x_at(fi), self.y_at(fj))
    }
}

/// A cell edge: `Horizontal(i, j)` joins grid points `(i, j)` and `(i + 1, j)`;
/// `Vertical(i, j)` joins `(i, j)` and `(i, j + 1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Edge {
    Horizontal(usize, usize),
    Vertical(usize, usize),
}

/// Chains segments that share an edge into polylines of edges. An edge is shared by at most two
/// cells, so each edge has at most two segments and the chaining is unambiguous.
fn chain(segments: &[(Edge, Edge)]) -> Vec<Vec<Edge>> {
    let mut at: HashMap<Edge, Vec<usize>> = HashMap::new();
    for (s, &(a, b)) in segments.iter().enumerate() {
        at.entry(a).or_default().push(s);
        at.entry(b).or_default().push(s);
    }
    let mut used = vec![false; segments.len()];
    // Follows unused segments from `edge` onwards, appending the edges reached.
    let walk = |mut edge: Edge, used: &mut Vec<bool>, line: &mut Vec<Edge>| {
        while let Some(&s) = at[&edge].iter().find(|&&s| !used[s]) {
            used[s] = true;
            let (a, b) = segments[s];
            edge = if a == edge { b } else { a };
            line.push(edge);
        }
    };
    let mut lines = Vec::new();
    for s in 0..segments.len() {
        if used[s] {
            continue;
        }
        used[s] = true;
        let (a, b) = segments[s];
        let mut forward = vec![a, b];
        walk(b, &mut used, &mut forward);
        let mut backward = Vec::new();
        walk(a, &mut used, &mut backward);
        backward.reverse();
        backward.extend(forward);
        lines.push(backward);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_circle_is_one_closed_line_at_the_right_radius() {
        let grid = Grid::sample(-2.0..2.0, -2.0..2.0, (81, 81), |x, y| x * x + y * y).unwrap();
        let lines = grid.contour(1.0);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line.first(), line.last(), "closed");
        assert!(line.len() > 40);
        for &(x, y) in line {
            // Linear interpolation of x² + y² on a 0.05 grid is off by at most h²/4 in value.
            assert!(((x * x + y * y) - 1.0).abs() < 0.05 * 0.05, "({x}, {y})");
        }
    }

    #[test]
    fn a_plane_gives_straight_lines_and_levels_outside_give_none() {
        let grid = Grid::sample(0.0..1.0, 0.0..2.0, (5, 9), |x, _| x).unwrap();
        let lines = grid.contour(0.3);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), 9);
        assert!(lines[0].iter().all(|&(x, _)| (x - 0.3).abs() < 1e-12));
        assert!(grid.contour(2.0).is_empty() && grid.contour(-1.0).is_empty());
    }

    #[test]
    fn a_saddle_follows_its_centre() {
        // z = x·y on [-1, 1]² with one cell: corners -1·-1 = 1 (bottom left), -1, 1, -1, centre 0.
        let grid = Grid::sample(-1.0..1.0, -1.0..1.0, (2, 2), |x, y| x * y).unwrap();
        // Level -0.5: the centre (0) is above, on the side of the corners at +1, which are joined;
        // the lines cut off the corners at -1 (bottom right, top left).
        let mut lines = grid.contour(-0.5);
        lines.sort_by(|a, b| a[0].partial_cmp(&b[0]).unwrap());
        assert_eq!(lines.len(), 2);
        let near = |p: (f64, f64), q: (f64, f64)| (p.0 - q.0).abs() < 1e-12 && (p.1 - q.1).abs() < 1e-12;
        let ends = |l: &Vec<(f64, f64)>| (l[0], l[1]);
        let (a, b) = (ends(&lines[0]), ends(&lines[1]));
        // Cutting off the top left corner (-1, 1): crossings on the left edge and the top edge.
        assert!(
            near(a.0, (-1.0, 0.5)) && near(a.1, (-0.5, 1.0)) || near(a.1, (-1.0, 0.5)) && near(a.0, (-0.5, 1.0)),
            "{a:?}"
        );
        assert!(
            near(b.0, (0.5, -1.0)) && near(b.1, (1.0, -0.5)) || near(b.1, (0.5, -1.0)) && near(b.0, (1.0, -0.5)),
            "{b:?}"
        );
    }

    #[test]
    fn cells_with_non_finite_corners_are_skipped() {
        let grid = Grid::sample(0.0..4.0, 0.0..1.0, (5, 2), |x, _| if x == 2.0 { f64::NAN } else { x }).unwrap();
        // The two cells around x = 2 are skipped: the level 0.5 still crosses the first cell.
        assert_eq!(grid.contour(0.5).len(), 1);
        assert!(grid.contour(2.5).is_empty());
    }

    #[test]
    fn levels_are_spaced_between_the_extremes() {
        let grid = Grid::sample(0.0..1.0, 0.0..1.0, (2, 2), |x, y| 1.0 + 99.0 * x * y).unwrap();
        assert_eq!(grid.levels(3), vec![25.75, 50.5, 75.25]);
        let log = grid.log_levels(1);
        assert!((log[0] - 10.0).abs() < 1e-12, "{log:?}");
        assert!(Grid::sample(0.0..1.0, 0.0..1.0, (2, 2), |_, _| 3.0).unwrap().levels(5).is_empty());
    }

    #[test]
    fn bad_grids_are_errors() {
        let err = |x: Range<f64>, n| Grid::sample(x, 0.0..1.0, (n, 2), |_, _| 0.0).unwrap_err().to_string();
        assert_eq!(err(0.0..1.0, 1), "invalid argument to Grid::sample: needs at least 2 points along x, got 1");
        assert_eq!(
            err(1.0..1.0, 3),
            "invalid argument to Grid::sample: the x range must be finite and non-empty, got 1.0..1.0"
        );
        assert!(err(0.0..f64::NAN, 3).contains("finite and non-empty"));
    }
}
