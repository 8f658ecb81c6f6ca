//! Plots as SVG files: training curves, histograms, optimizer paths.
//!
//! A [`Chart`] is one pair of axes holding named series, each drawn in its own colour with a
//! legend entry, and optional vertical markers (e.g. the epoch early stopping chose). A
//! [`Figure`] puts one or more charts side by side (loss | accuracy) and writes them as one SVG.
//!
//! ```
//! use train::plot::{Chart, Figure};
//!
//! let train = [(1.0, 0.9), (2.0, 0.5), (3.0, 0.35), (4.0, 0.3)];
//! let val = [(1.0, 0.95), (2.0, 0.6), (3.0, 0.55), (4.0, 0.58)];
//! let loss = Chart::new("loss")
//!     .x_label("epoch")
//!     .line("train", train)
//!     .line("validation", val)
//!     .marker(3.0, "early stopping: epoch 3");
//! let accuracy = Chart::new("accuracy").x_label("epoch").line("validation", [(1.0, 0.8), (4.0, 0.9)]);
//! let svg = Figure::new().chart(loss).chart(accuracy).to_svg_string()?;
//! assert!(svg.starts_with("<svg") && svg.contains("early stopping: epoch 3"));
//! # let dir = std::env::temp_dir().join(format!("chainrule-plot-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let path = dir.join("curves.svg");
//! // Figure::write_svg writes the same bytes atomically (a temporary file, then a rename).
//! # let figure = Figure::from(Chart::new("loss").line("train", train));
//! # figure.write_svg(&path)?;
//! # assert_eq!(std::fs::read_to_string(&path).unwrap(), figure.to_svg_string()?);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), train::Error>(())
//! ```
//!
//! Drawing is done by the `plotters` crate with only its SVG backend: text is written as SVG
//! `<text>` elements that the viewer renders with its own fonts, so no font files, system font
//! libraries or C code are involved (see `docs/dependencies.md`). The output is a pure function
//! of the chart: the same chart gives the same bytes.
//!
//! Conventions, chosen so that plotting never stops a training run:
//! - A point with a NaN or infinite coordinate (a diverged loss) is skipped, not an error; so is
//!   a point with `y ≤ 0` on a log-scale axis. A line connects the points that remain.
//! - A chart with nothing to draw is a valid SVG with its title, axes over [0, 1] (over [1, 10]
//!   for a log-scale y) and no legend.
//! - The axes span the data: x exactly (with 3 % room on each side when a chart has scattered
//!   points), y with 5 % room on each side (a factor of (max/min)^0.05 on a log scale); a chart
//!   with a histogram starts y at 0.
//! - Ticks are whole multiples of a step of 1, 2 or 5 × 10^k (on a log axis, at 1, 2, 5 × 10^k),
//!   labelled as short decimals (`0`, `-0.15`, `1e-5`); a chart's right margin grows when the
//!   label of its last x tick would otherwise reach past the chart's edge.
//!
//! Each kind of series (line, scatter, path, histogram, contours) is one variant of the private
//! `Series` enum with one drawing arm in `draw.rs`, so adding a kind is a builder method on
//! [`Chart`], a variant, its extent in `draw.rs`'s bounds and its drawing arm.

mod axis;
mod contour;
mod draw;

pub use contour::Grid;

use crate::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// One or more [`Chart`]s side by side, written as one SVG.
///
/// Each chart gets `chart_width × chart_height` pixels (640 × 480 unless [`Figure::size`] says
/// otherwise).
#[derive(Clone, Debug)]
pub struct Figure {
    charts: Vec<Chart>,
    chart_size: (u32, u32),
}

impl Default for Figure {
    fn default() -> Self {
        Figure { charts: Vec::new(), chart_size: (640, 480) }
    }
}

impl From<Chart> for Figure {
    fn from(chart: Chart) -> Self {
        Figure::new().chart(chart)
    }
}

/// The smallest chart the layout fits in (axis labels, ticks and title take ~100 pixels).
const MIN_CHART_SIZE: (u32, u32) = (200, 150);

impl Figure {
    /// A figure without charts; add them with [`Figure::chart`].
    pub fn new() -> Figure {
        Figure::default()
    }

    /// Adds `chart` to the right of the charts already there.
    pub fn chart(mut self, chart: Chart) -> Figure {
        self.charts.push(chart);
        self
    }

    /// Sets the size of each chart in pixels (the figure is `charts × chart_width` wide).
    /// Rendering fails if either is below 200 × 150.
    pub fn size(mut self, chart_width: u32, chart_height: u32) -> Figure {
        self.chart_size = (chart_width, chart_height);
        self
    }

    /// The charts, left to right.
    pub fn charts(&self) -> &[Chart] {
        &self.charts
    }

    /// The figure as an SVG document.
    ///
    /// Fails if the figure has no chart, if the size is below 200 × 150 pixels, or if a
    /// histogram has 0 bins; the error names the chart.
    pub fn to_svg_string(&self) -> Result<String> {
        if self.charts.is_empty() {
            return Err(Error::invalid("Figure::to_svg_string", "a figure needs at least one chart, got none"));
        }
        let (w, h) = self.chart_size;
        if w < MIN_CHART_SIZE.0 || h < MIN_CHART_SIZE.1 {
            return Err(Error::invalid(
                "Figure::size",
                format!("a chart needs at least {} × {} pixels, got {w} × {h}", MIN_CHART_SIZE.0, MIN_CHART_SIZE.1),
            ));
        }
        self.charts.iter().try_for_each(Chart::check)?;
        draw::render(&self.charts, self.chart_size)
    }

    /// Writes the figure as an SVG file at `path`, atomically: the bytes go to a temporary file
    /// in the same folder, which is then renamed over `path`, so a reader (or a crash) never
    /// sees half a file.
    ///
    /// Fails as [`Figure::to_svg_string`] does, or with [`Error::WriteFile`] naming `path` if
    /// the folder does not exist or cannot be written.
    pub fn write_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), self.to_svg_string()?.as_bytes())
    }
}

/// One pair of axes: a title, axis labels, named series and vertical markers. Built by
/// chaining; drawn through a [`Figure`] (or [`Chart::to_svg_string`] / [`Chart::write_svg`]
/// for a figure of one).
///
/// ```
/// use train::plot::Chart;
///
/// let losses = [2.3, 0.9, 0.5, 0.41, f64::NAN]; // the NaN is skipped
/// let chart = Chart::new("training loss")
///     .x_label("epoch")
///     .y_label("cross-entropy")
///     .log_y()
///     .line("train", losses.iter().enumerate().map(|(i, &l)| ((i + 1) as f64, l)));
/// let svg = chart.to_svg_string()?;
/// assert!(svg.starts_with("<svg") && svg.contains("training loss"));
/// // The line through the four finite points (and the legend's sample), in the first colour.
/// let line = svg.lines().find(|l| l.contains(r##"stroke="#1F77B4" stroke-width="2""##)).unwrap();
/// assert_eq!(line.split("points=").nth(1).unwrap().matches(',').count(), 4);
/// # Ok::<(), train::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Chart {
    title: String,
    x_label: String,
    y_label: String,
    log_y: bool,
    series: Vec<Series>,
    markers: Vec<Marker>,
}

/// A named set of data on a chart, drawn in the chart's next colour.
#[derive(Clone, Debug)]
enum Series {
    /// Points joined in the given order.
    Line { name: String, points: Vec<(f64, f64)> },
    /// Points drawn as dots, not joined.
    Scatter { name: String, points: Vec<(f64, f64)> },
    /// Points joined in order with a dot at each (an optimizer's steps).
    Path { name: String, points: Vec<(f64, f64)> },
    /// The counts of `values` in `bins` equal-width bins, drawn as bars.
    Histogram { name: String, values: Vec<f64>, bins: usize },
    /// The lines where the sampled function equals each level.
    Contours { name: String, grid: Grid, levels: Vec<f64> },
}

/// A vertical line across the chart at `x`, labelled.
#[derive(Clone, Debug)]
struct Marker {
    x: f64,
    label: String,
}

impl Chart {
    /// An empty chart titled `title`, with a linear y axis.
    pub fn new(title: impl Into<String>) -> Chart {
        Chart {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            log_y: false,
            series: Vec::new(),
            markers: Vec::new(),
        }
    }

    /// Labels the x axis.
    pub fn x_label(mut self, label: impl Into<String>) -> Chart {
        self.x_label = label.into();
        self
    }

    /// Labels the y axis.
    pub fn y_label(mut self, label: impl Into<String>) -> Chart {
        self.y_label = label.into();
        self
    }

    /// Makes the y axis logarithmic (points with `y ≤ 0` are then skipped).
    pub fn log_y(mut self) -> Chart {
        self.log_y = true;
        self
    }

    /// Adds a line through `points` in the given order, named `name` in the legend.
    pub fn line(self, name: impl Into<String>, points: impl IntoIterator<Item = (f64, f64)>) -> Chart {
        self.with(Series::Line { name: name.into(), points: points.into_iter().collect() })
    }

    /// Adds `points` as unconnected dots, named `name` in the legend.
    pub fn scatter(self, name: impl Into<String>, points: impl IntoIterator<Item = (f64, f64)>) -> Chart {
        self.with(Series::Scatter { name: name.into(), points: points.into_iter().collect() })
    }

    /// Adds a path through `points` with a dot at each: a trajectory, such as an optimizer's
    /// iterates on a 2-D loss surface.
    pub fn path(self, name: impl Into<String>, points: impl IntoIterator<Item = (f64, f64)>) -> Chart {
        self.with(Series::Path { name: name.into(), points: points.into_iter().collect() })
    }

    /// Adds a histogram of `values` (NaN and infinities skipped) in `bins` equal-width bins
    /// from the smallest value to the largest; each bin holds the values in `[left, right)`
    /// except the last, which also holds the largest, as `numpy.histogram`. If all values are
    /// equal, the bins span one unit centred on them. The x axis is the value, y the count.
    ///
    /// ```
    /// use train::plot::Chart;
    /// let weights = [-0.5, -0.1, 0.0, 0.05, 0.1, 0.4];
    /// let svg = Chart::new("layer 1 weights").histogram("w", weights, 4).to_svg_string()?;
    /// assert!(svg.contains("<rect") && svg.contains("layer 1 weights"));
    /// assert!(Chart::new("no bins").histogram("w", weights, 0).to_svg_string().is_err());
    /// # Ok::<(), train::Error>(())
    /// ```
    pub fn histogram(self, name: impl Into<String>, values: impl IntoIterator<Item = f64>, bins: usize) -> Chart {
        self.with(Series::Histogram { name: name.into(), values: values.into_iter().collect(), bins })
    }

    /// Adds the contour lines of a sampled function at each of `levels` (non-finite levels
    /// skipped), in one colour fading from the lowest level to the highest; the chart then
    /// covers the grid. See [`Grid`] for an example with an optimizer's path on top.
    pub fn contours(self, name: impl Into<String>, grid: Grid, levels: impl IntoIterator<Item = f64>) -> Chart {
        let levels = levels.into_iter().filter(|l| l.is_finite()).collect();
        self.with(Series::Contours { name: name.into(), grid, levels })
    }

    /// Adds a dashed vertical line at `x` with `label` written next to its top (e.g. `"early
    /// stopping: epoch 7"`). A non-finite `x` is skipped.
    pub fn marker(mut self, x: f64, label: impl Into<String>) -> Chart {
        self.markers.push(Marker { x, label: label.into() });
        self
    }

    /// The chart's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The chart alone as an SVG document of 640 × 480 pixels (see [`Figure::to_svg_string`]).
    pub fn to_svg_string(&self) -> Result<String> {
        Figure::from(self.clone()).to_svg_string()
    }

    /// Writes the chart alone as an SVG file, atomically (see [`Figure::write_svg`]).
    pub fn write_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        Figure::from(self.clone()).write_svg(path)
    }

    fn with(mut self, series: Series) -> Chart {
        self.series.push(series);
        self
    }

    /// Checks what the builder methods cannot: a histogram needs bins.
    fn check(&self) -> Result<()> {
        for series in &self.series {
            if let Series::Histogram { name, bins: 0, .. } = series {
                return Err(Error::invalid(
                    "Chart::histogram",
                    format!("histogram {name:?} of chart {:?} needs at least one bin, got 0", self.title),
                ));
            }
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder: write, fsync, rename
/// over `path`, fsync the folder. The rename is atomic on POSIX file systems, so `path` holds
/// either the old or the new contents, never a mixture.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let fail = |source| Error::WriteFile { path: path.to_path_buf(), source };
    let file_name = path
        .file_name()
        .ok_or_else(|| fail(std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path does not name a file")))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Unique per process and call, so concurrent writers never share a temporary file.
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{}.{}.{unique}.tmp", file_name.to_string_lossy(), std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create_new(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(source));
    }
    // Make the rename itself durable where folders can be opened for syncing.
    #[cfg(unix)]
    std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(fail)?;
    Ok(())
}
