//! Drawing charts with `plotters`: the axes' bounds, then one arm per kind of series.

use super::axis::{label, LinearAxis, LogAxis};
use super::{Chart, Series};
use crate::{Error, Result};
use plotters::coord::ranged1d::{BoldPoints, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The series colours, in order: matplotlib's "tab10" palette, designed so that neighbours
/// stay distinguishable (also in most forms of colour blindness).
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

const MARKER_COLOUR: RGBColor = RGBColor(0x44, 0x44, 0x44);
const FONT: &str = "sans-serif";
/// The size of tick labels, legend entries and marker labels.
const LABEL_SIZE: u32 = 15;
/// Room around each chart, in pixels.
const MARGIN: u32 = 12;
/// The width of the area left of the y axis that holds its tick labels and description.
const Y_LABEL_AREA: u32 = 60;
/// The most labelled ticks on each axis.
const MAX_TICKS: usize = 11;

/// Draws `charts` side by side, each `chart_size` pixels, into an SVG document.
pub(super) fn render(charts: &[Chart], chart_size: (u32, u32)) -> Result<String> {
    let mut svg = String::new();
    {
        let width = chart_size.0 * charts.len() as u32;
        let root = SVGBackend::with_string(&mut svg, (width, chart_size.1)).into_drawing_area();
        let figure_error = |e: DrawingAreaErrorKind<_>| Error::Plot { chart: String::new(), msg: e.to_string() };
        root.fill(&WHITE).map_err(figure_error)?;
        for (chart, area) in charts.iter().zip(root.split_evenly((1, charts.len()))) {
            draw_chart(chart, &area).map_err(|e| Error::Plot { chart: chart.title.clone(), msg: e.to_string() })?;
        }
        root.present().map_err(figure_error)?;
    }
    Ok(svg)
}

type DrawResult<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_chart<DB: DrawingBackend>(chart: &Chart, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let bounds = Bounds::of(chart);
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&chart.title, (FONT, 22))
        .margin(MARGIN)
        .margin_right(right_margin(area, &bounds)?)
        .x_label_area_size(42)
        .y_label_area_size(Y_LABEL_AREA);
    let x = LinearAxis::new(bounds.x.0, bounds.x.1);
    if chart.log_y {
        draw_series(builder.build_cartesian_2d(x, LogAxis::new(bounds.y.0, bounds.y.1))?, chart, &bounds)
    } else {
        draw_series(builder.build_cartesian_2d(x, LinearAxis::new(bounds.y.0, bounds.y.1))?, chart, &bounds)
    }
}

/// The margin right of the plotting area: [`MARGIN`], or more if the label of the last x tick,
/// centred on its tick, would reach past it (and be cut off at the edge of the figure, as
/// `100000` once showed as `10000`). The SVG viewer's font decides the real width of a label;
/// plotters estimates 0.56 of the declared font size per character, and DejaVu Sans, a common
/// default sans-serif, draws digits 0.64 of it wide, so the estimate is widened by a fifth.
fn right_margin<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bounds: &Bounds,
) -> Result<u32, DrawingAreaErrorKind<DB::ErrorType>> {
    let (low, high) = bounds.x;
    let Some(&last) = LinearAxis::new(low, high).key_points(BoldPoints(MAX_TICKS)).last() else { return Ok(MARGIN) };
    let (width, _) = area.estimate_text_size(&label(last), &(FONT, LABEL_SIZE).into_font().into())?;
    let plot_width = f64::from(area.dim_in_pixel().0.saturating_sub(Y_LABEL_AREA + 2 * MARGIN));
    // Pixels from the last tick to the end of the axis, then to the edge of the chart.
    let room = (high - last) / (high - low) * plot_width + f64::from(MARGIN);
    let overhang = 1.2 * f64::from(width) / 2.0 - room;
    Ok(MARGIN + overhang.max(0.0).ceil() as u32)
}

/// Draws the mesh, the series, the markers and the legend on axes whose y scale is `Y`.
fn draw_series<'a, DB, Y>(
    mut axes: ChartContext<'a, DB, Cartesian2d<LinearAxis, Y>>,
    chart: &Chart,
    bounds: &Bounds,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    axes.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .label_style((FONT, LABEL_SIZE))
        .x_labels(MAX_TICKS)
        .y_labels(MAX_TICKS)
        .x_label_formatter(&|v| label(*v))
        .y_label_formatter(&|v| label(*v))
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.1))
        .draw()?;

    let visible = |&&(x, y): &&(f64, f64)| x.is_finite() && y.is_finite() && (!chart.log_y || y > 0.0);
    for (index, series) in chart.series.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let line_style = colour.stroke_width(2);
        let (name, legend) = match series {
            Series::Line { name, points } => {
                let points: Vec<(f64, f64)> = points.iter().filter(visible).copied().collect();
                axes.draw_series(LineSeries::new(points, line_style))?;
                (name, Legend::Line)
            }
            Series::Scatter { name, points } => {
                axes.draw_series(points.iter().filter(visible).map(|&p| Circle::new(p, 3, colour.filled())))?;
                (name, Legend::Dot)
            }
            Series::Path { name, points } => {
                let points: Vec<(f64, f64)> = points.iter().filter(visible).copied().collect();
                axes.draw_series(LineSeries::new(points.iter().copied(), line_style))?;
                axes.draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
                (name, Legend::Line)
            }
            Series::Histogram { name, values, bins } => {
                let bars = histogram(values, *bins);
                // A bar rises from 0, or from the bottom of a log-scale axis (where 0 is not).
                let floor = if chart.log_y { bounds.y.0 } else { 0.0 };
                let shown = bars.iter().filter(|bar| bar.count > 0);
                let rect = |bar: &Bar, style: ShapeStyle| {
                    Rectangle::new([(bar.left, floor), (bar.right, bar.count as f64)], style)
                };
                axes.draw_series(shown.clone().map(|bar| rect(bar, colour.mix(0.5).filled())))?;
                axes.draw_series(shown.map(|bar| rect(bar, colour.stroke_width(1))))?;
                (name, Legend::Bar)
            }
            Series::Contours { name, grid, levels } => {
                let mut levels = levels.clone();
                levels.sort_by(f64::total_cmp);
                for (rank, &level) in levels.iter().enumerate() {
                    // The lowest level darkest: the eye goes to the minimum.
                    let fade = if levels.len() > 1 { rank as f64 / (levels.len() - 1) as f64 } else { 0.0 };
                    // In tenths, so the opacities print short (0.3, not 0.30000000000000004).
                    let style = colour.mix((10.0 - 7.0 * fade) / 10.0).stroke_width(1);
                    for line in grid.contour(level) {
                        let points: Vec<(f64, f64)> = line.iter().filter(visible).copied().collect();
                        axes.draw_series(LineSeries::new(points, style))?;
                    }
                }
                (name, Legend::Line)
            }
        };
        // The legend entry is attached to one more (empty) series, so every kind gets the same
        // one-entry-per-series legend whatever number of `draw_series` calls it took.
        let entry = axes.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?.label(name.as_str());
        match legend {
            Legend::Line => entry.legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], line_style)),
            Legend::Dot => entry.legend(move |(x, y)| Circle::new((x + 10, y), 3, colour.filled())),
            Legend::Bar => {
                entry.legend(move |(x, y)| Rectangle::new([(x + 4, y - 5), (x + 16, y + 5)], colour.mix(0.5).filled()))
            }
        };
    }

    let markers = chart.markers.iter().filter(|m| m.x.is_finite());
    for (row, marker) in markers.enumerate() {
        let (bottom, top) = bounds.y;
        let style = MARKER_COLOUR.stroke_width(1);
        axes.draw_series(std::iter::once(DashedPathElement::new([(marker.x, bottom), (marker.x, top)], 6, 4, style)))?;
        // Labels of markers in the right half hang to the left of their line, so they stay
        // inside the chart; several markers stack their labels downwards.
        let right_half = marker.x > (bounds.x.0 + bounds.x.1) / 2.0;
        let (dx, h_pos) = if right_half { (-5, HPos::Right) } else { (5, HPos::Left) };
        let font =
            TextStyle::from((FONT, LABEL_SIZE).into_font()).color(&MARKER_COLOUR).pos(Pos::new(h_pos, VPos::Top));
        let label =
            EmptyElement::at((marker.x, top)) + Text::new(marker.label.clone(), (dx, 5 + 16 * row as i32), font);
        axes.draw_series(std::iter::once(label))?;
    }

    if !chart.series.is_empty() {
        axes.configure_series_labels()
            .position(legend_corner(chart, bounds))
            .label_font((FONT, LABEL_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()?;
    }
    Ok(())
}

/// Where the legend covers the least: the corner whose quarter of the chart holds the fewest
/// drawn things (points, points along the lines between them, histogram bars, marker labels),
/// ties going to upper right, upper left, lower right, lower left in that order.
fn legend_corner(chart: &Chart, bounds: &Bounds) -> SeriesLabelPosition {
    // counts[upper as usize][right as usize]
    let mut counts = [[0usize; 2]; 2];
    let mut count = |(u, v): (f64, f64), weight: usize| counts[usize::from(v > 0.5)][usize::from(u > 0.5)] += weight;
    let unit = |p: (f64, f64)| bounds.to_unit(p, chart.log_y);
    let visible = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite() && (!chart.log_y || p.1 > 0.0);
    for series in &chart.series {
        match series {
            Series::Scatter { points, .. } => points.iter().filter(visible).for_each(|&p| count(unit(p), 1)),
            Series::Line { points, .. } | Series::Path { points, .. } => {
                let points: Vec<(f64, f64)> = points.iter().filter(visible).map(|&p| unit(p)).collect();
                points.iter().for_each(|&p| count(p, 1));
                // A few points along each segment, so a line through a corner counts there.
                for pair in points.windows(2) {
                    let ((u0, v0), (u1, v1)) = (pair[0], pair[1]);
                    (1..4).map(|i| f64::from(i) / 4.0).for_each(|t| count((u0 + t * (u1 - u0), v0 + t * (v1 - v0)), 1));
                }
            }
            Series::Histogram { values, bins, .. } => {
                for bar in histogram(values, *bins).iter().filter(|bar| bar.count > 0) {
                    let (u, v) = unit(((bar.left + bar.right) / 2.0, bar.count as f64));
                    // A bar covers its quarter and, if it rises into the upper half, the one below.
                    count((u, v), 1);
                    if v > 0.5 {
                        count((u, 0.0), 1);
                    }
                }
            }
            // Contour lines are the background; the legend may cover them.
            Series::Contours { .. } => {}
        }
    }
    // A marker's label, near the top of its line, weighs as much as a few points.
    for marker in chart.markers.iter().filter(|m| m.x.is_finite()) {
        count(unit((marker.x, bounds.y.1)), 5);
    }
    let [lower, upper] = counts;
    let corners = [
        (upper[1], SeriesLabelPosition::UpperRight),
        (upper[0], SeriesLabelPosition::UpperLeft),
        (lower[1], SeriesLabelPosition::LowerRight),
        (lower[0], SeriesLabelPosition::LowerLeft),
    ];
    // `min_by_key` keeps the first of equal minima, which is the preference order above.
    corners.into_iter().min_by_key(|&(n, _)| n).map(|(_, corner)| corner).expect("four corners")
}

/// How a series shows in the legend.
#[derive(Clone, Copy)]
enum Legend {
    Line,
    Dot,
    Bar,
}

/// The axes' extent: `(low, high)` for x and y, each with `low < high`.
#[derive(Debug, PartialEq)]
pub(super) struct Bounds {
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Bounds {
    /// Where `(x, y)` falls in the chart, as fractions of the axes' spans (log10 for a log y).
    pub fn to_unit(&self, (x, y): (f64, f64), log_y: bool) -> (f64, f64) {
        let u = (x - self.x.0) / (self.x.1 - self.x.0);
        let v = if log_y {
            (y.log10() - self.y.0.log10()) / (self.y.1.log10() - self.y.0.log10())
        } else {
            (y - self.y.0) / (self.y.1 - self.y.0)
        };
        (u, v)
    }

    /// The extent of everything `chart` shows, with the room described in the module
    /// documentation.
    pub fn of(chart: &Chart) -> Bounds {
        let mut x = Extent::default();
        let mut y = Extent::default();
        let mut scattered = false;
        let mut histogram_shown = false;
        let visible = |&(px, py): &(f64, f64)| px.is_finite() && py.is_finite() && (!chart.log_y || py > 0.0);
        for series in &chart.series {
            match series {
                Series::Line { points, .. } | Series::Scatter { points, .. } | Series::Path { points, .. } => {
                    scattered |= !matches!(series, Series::Line { .. });
                    points.iter().copied().filter(visible).for_each(|(px, py)| {
                        x.add(px);
                        y.add(py);
                    });
                }
                Series::Histogram { values, bins, .. } => {
                    for bar in histogram(values, *bins) {
                        x.add(bar.left);
                        x.add(bar.right);
                        if bar.count > 0 {
                            y.add(bar.count as f64);
                            histogram_shown = true;
                        }
                    }
                }
                Series::Contours { grid, .. } => {
                    let (xs, ys) = (grid.x_range(), grid.y_range());
                    x.add(xs.start);
                    x.add(xs.end);
                    for v in [ys.start, ys.end].into_iter().filter(|&v| !chart.log_y || v > 0.0) {
                        y.add(v);
                    }
                }
            }
        }
        chart.markers.iter().filter(|m| m.x.is_finite()).for_each(|m| x.add(m.x));

        let x = match x.range() {
            None => (0.0, 1.0),
            Some((lo, hi)) if lo == hi => (lo - 0.5, hi + 0.5),
            Some((lo, hi)) if scattered => (lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)),
            Some(range) => range,
        };
        let y = if chart.log_y {
            match y.range() {
                None => (1.0, 10.0),
                Some((lo, hi)) if lo == hi => (lo / 2.0, hi * 2.0),
                Some((lo, hi)) => {
                    let room = (hi / lo).powf(0.05);
                    (lo / room, hi * room)
                }
            }
        } else {
            if histogram_shown {
                y.add(0.0);
            }
            match y.range() {
                None => (0.0, 1.0),
                Some((lo, hi)) if lo == hi => {
                    let room = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
                    (lo - room, hi + room)
                }
                Some((lo, hi)) => {
                    let room = 0.05 * (hi - lo);
                    (if histogram_shown && lo == 0.0 { 0.0 } else { lo - room }, hi + room)
                }
            }
        };
        Bounds { x, y }
    }
}

/// The smallest and largest of the values added.
#[derive(Default)]
struct Extent(Option<(f64, f64)>);

impl Extent {
    fn add(&mut self, v: f64) {
        self.0 = Some(match self.0 {
            None => (v, v),
            Some((lo, hi)) => (lo.min(v), hi.max(v)),
        });
    }

    fn range(&self) -> Option<(f64, f64)> {
        self.0
    }
}

/// One bin of a histogram.
#[derive(Debug, PartialEq)]
pub(super) struct Bar {
    pub left: f64,
    pub right: f64,
    pub count: usize,
}

/// The bins of `values` (finite ones only) as documented on [`Chart::histogram`]: `bins`
/// equal-width bins from the smallest to the largest value, half-open but for the last.
/// No finite value, or no bin, gives no bar.
pub(super) fn histogram(values: &[f64], bins: usize) -> Vec<Bar> {
    let mut extent = Extent::default();
    values.iter().filter(|v| v.is_finite()).for_each(|&v| extent.add(v));
    let Some((lo, hi)) = extent.range() else { return Vec::new() };
    if bins == 0 {
        return Vec::new();
    }
    let (lo, hi) = if lo == hi { (lo - 0.5, hi + 0.5) } else { (lo, hi) };
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0; bins];
    for &v in values.iter().filter(|v| v.is_finite()) {
        // `min` puts the largest value (and any rounding past the end) into the last bin.
        let bin = (((v - lo) / width) as usize).min(bins - 1);
        counts[bin] += 1;
    }
    // Edges from the index, not by accumulating the width, so the last edge is exactly `hi`.
    let edge = |i: usize| if i == bins { hi } else { lo + width * i as f64 };
    counts.into_iter().enumerate().map(|(i, count)| Bar { left: edge(i), right: edge(i + 1), count }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_are_half_open_but_the_last_and_skip_non_finite_values() {
        let bars = histogram(&[0.0, 0.5, 1.0, 1.5, 2.0, f64::NAN, f64::INFINITY], 2);
        assert_eq!(bars, vec![Bar { left: 0.0, right: 1.0, count: 2 }, Bar { left: 1.0, right: 2.0, count: 3 }]);
        // All equal: one unit centred on the value.
        assert_eq!(histogram(&[3.0, 3.0], 1), vec![Bar { left: 2.5, right: 3.5, count: 2 }]);
        assert!(histogram(&[f64::NAN], 3).is_empty());
        assert!(histogram(&[], 3).is_empty());
    }

    #[test]
    fn bounds_span_the_data_with_room_on_y() {
        let chart = Chart::new("c").line("a", [(1.0, 0.0), (5.0, 10.0), (f64::NAN, 100.0)]).marker(7.0, "m");
        assert_eq!(Bounds::of(&chart), Bounds { x: (1.0, 7.0), y: (-0.5, 10.5) });
        let empty = Chart::new("empty");
        assert_eq!(Bounds::of(&empty), Bounds { x: (0.0, 1.0), y: (0.0, 1.0) });
        assert_eq!(Bounds::of(&empty.log_y()), Bounds { x: (0.0, 1.0), y: (1.0, 10.0) });
        // Log scale: non-positive values skipped, room by a factor.
        let log = Chart::new("c").log_y().line("a", [(0.0, -1.0), (1.0, 0.01), (2.0, 100.0)]);
        let Bounds { x, y } = Bounds::of(&log);
        assert_eq!(x, (1.0, 2.0));
        let room = 10_000f64.powf(0.05);
        assert!((y.0 - 0.01 / room).abs() < 1e-15 && (y.1 - 100.0 * room).abs() < 1e-12, "{y:?}");
        // A histogram starts at 0; a single point gets a unit of room.
        let hist = Chart::new("h").histogram("w", [1.0, 2.0, 2.0, 3.0], 2);
        assert_eq!(Bounds::of(&hist), Bounds { x: (1.0, 3.0), y: (0.0, 3.0 + 0.15) });
        let point = Chart::new("p").scatter("s", [(2.0, 0.0)]);
        assert_eq!(Bounds::of(&point), Bounds { x: (1.5, 2.5), y: (-1.0, 1.0) });
    }
}
