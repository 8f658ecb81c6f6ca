//! SVG plots: well-formed documents with one drawn line per series, the legend and marker
//! labels as text, the same bytes for the same chart, skipped non-finite points, atomic files
//! and errors that name the problem.

use train::plot::{Chart, Figure, Grid};
use train::Error;

/// The tab10 colours of the first three series, as the SVG writes them.
const BLUE: &str = "#1F77B4";
const ORANGE: &str = "#FF7F0E";
const GREEN: &str = "#2CA02C";

/// Checks that `svg` is one well-formed `<svg>` element: every tag closed in order, attribute
/// values quoted, no stray `<` or `&` in text. Returns the tags in order (`"svg"`, `"/svg"`,
/// `"polyline/"`, ...).
fn well_formed(svg: &str) -> Vec<String> {
    assert!(svg.starts_with("<svg "), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
    let mut tags = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        assert!(!text.contains('>'), "stray '>' in text {text:?}");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"].iter().any(|e| entity.starts_with(e)),
                "unescaped '&' in {text:?}"
            );
        }
        let end = start + rest[start..].find('>').expect("every tag ends");
        let tag = &rest[start + 1..end];
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in <{tag}>");
        let name: String = tag.chars().take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>').collect();
        if let Some(closing) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(closing), "</{closing}> closes the wrong element");
            tags.push(format!("/{closing}"));
        } else if tag.ends_with('/') {
            tags.push(format!("{name}/"));
        } else {
            open.push(name.clone());
            tags.push(name);
        }
        assert!(!open.is_empty() || rest[end + 1..].trim().is_empty(), "content after </svg>");
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "unclosed elements {open:?}");
    assert_eq!(tags.first().map(String::as_str), Some("svg"));
    tags
}

/// The `points` of each `<polyline>` stroked in `colour` with width 2 (series lines and their
/// legend samples), as lists of pixel coordinates.
fn polylines(svg: &str, colour: &str) -> Vec<Vec<(i32, i32)>> {
    svg.lines()
        .filter(|l| l.starts_with("<polyline") && l.contains(&format!(r#"stroke="{colour}" stroke-width="2""#)))
        .map(|l| {
            let points = l.split(r#"points=""#).nth(1).unwrap().split('"').next().unwrap();
            points
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

/// The text of every `<text>` element.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| t.split_once('>').unwrap().1.split("</text>").next().unwrap().trim().to_owned())
        .collect()
}

fn curves() -> Chart {
    let epochs = 1..=10;
    Chart::new("loss")
        .x_label("epoch")
        .y_label("cross-entropy")
        .line("train", epochs.clone().map(|e| (e as f64, 1.0 / e as f64)))
        .line("validation", epochs.map(|e| (e as f64, 1.0 / e as f64 + 0.002 * (e * e) as f64)))
        .marker(6.0, "early stopping: epoch 6")
}

#[test]
fn a_chart_is_well_formed_svg_with_a_line_per_series_legend_and_marker() {
    let svg = curves().to_svg_string().unwrap();
    well_formed(&svg);
    assert!(svg.starts_with(r#"<svg width="640" height="480""#));
    for colour in [BLUE, ORANGE] {
        // The series' line through its 10 points, and its legend sample.
        let lines = polylines(&svg, colour);
        assert_eq!(lines.iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 2], "{colour}");
    }
    // The training loss falls: its pixels go down the page as x goes right (y grows downwards).
    let train = &polylines(&svg, BLUE)[0];
    assert!(train.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1), "{train:?}");
    let texts = texts(&svg);
    for expected in ["loss", "epoch", "cross-entropy", "train", "validation", "early stopping: epoch 6"] {
        assert!(texts.iter().any(|t| t == expected), "no text {expected:?} in {texts:?}");
    }
    // The marker is a dashed vertical line: several short segments at one x.
    let dashes: Vec<&str> =
        svg.lines().filter(|l| l.contains(r##"stroke="#444444""##) && l.starts_with("<polyline")).collect();
    assert!(dashes.len() > 5, "{dashes:?}");
}

#[test]
fn the_same_chart_gives_the_same_bytes() {
    let a = Figure::new().chart(curves()).chart(Chart::new("weights").histogram("w", [0.1, 0.2, 0.2, 0.9], 3));
    let b = Figure::new().chart(curves()).chart(Chart::new("weights").histogram("w", [0.1, 0.2, 0.2, 0.9], 3));
    assert_eq!(a.to_svg_string().unwrap(), b.to_svg_string().unwrap());
    assert_eq!(a.to_svg_string().unwrap(), a.to_svg_string().unwrap());
}

#[test]
fn charts_stand_side_by_side_and_series_take_distinct_colours() {
    let accuracy =
        Chart::new("accuracy").line("train", [(1.0, 0.5), (2.0, 0.8)]).line("validation", [(1.0, 0.4), (2.0, 0.7)]);
    let figure = Figure::new().chart(curves()).chart(accuracy).size(500, 300);
    let svg = figure.to_svg_string().unwrap();
    well_formed(&svg);
    assert!(svg.starts_with(r#"<svg width="1000" height="300""#));
    let texts = texts(&svg);
    assert!(texts.contains(&"loss".to_owned()) && texts.contains(&"accuracy".to_owned()));
    // Each chart colours its own series from the start of the palette; the second chart's lines
    // lie in its right half.
    let blue = polylines(&svg, BLUE);
    assert_eq!(blue.len(), 4);
    assert!(blue[0].iter().all(|p| p.0 < 500) && blue[2].iter().all(|p| p.0 >= 500));
    // A third series gets a third colour.
    let three = Chart::new("c")
        .line("a", [(0.0, 0.0), (1.0, 1.0)])
        .line("b", [(0.0, 1.0), (1.0, 0.0)])
        .line("c", [(0.0, 0.5), (1.0, 0.5)]);
    assert_eq!(polylines(&three.to_svg_string().unwrap(), GREEN).len(), 2);
}

#[test]
fn non_finite_points_are_skipped_and_log_scales_skip_non_positive_ones() {
    let points = [(1.0, 1.0), (2.0, f64::NAN), (3.0, 0.5), (f64::INFINITY, 0.4), (5.0, f64::NEG_INFINITY), (6.0, 0.2)];
    let svg = Chart::new("diverged").line("loss", points).to_svg_string().unwrap();
    well_formed(&svg);
    assert_eq!(polylines(&svg, BLUE)[0].len(), 3);
    assert!(!svg.contains("NaN") && !svg.contains("inf"));

    let svg = Chart::new("log")
        .log_y()
        .line("loss", [(1.0, 10.0), (2.0, 0.0), (3.0, -1.0), (4.0, 0.01)])
        .to_svg_string()
        .unwrap();
    well_formed(&svg);
    assert_eq!(polylines(&svg, BLUE)[0].len(), 2);
    // Ticks at powers of ten between 0.01 and 10, labelled plainly.
    let texts = texts(&svg);
    for tick in ["0.01", "0.1", "1", "10"] {
        assert!(texts.iter().any(|t| t == tick), "no tick {tick} in {texts:?}");
    }
}

#[test]
fn tick_labels_are_short_numbers_that_stay_inside_the_figure() {
    // A gap that crosses zero (plotters' own ticks labelled its zero -5.551115123e-17) beside
    // an x axis that ends on a six-digit tick (whose label was cut off at the figure's edge).
    let gap = Chart::new("gap").line("a", [(1.0, -0.2713), (140.0, 0.0213)]);
    let budget = Chart::new("budget").line("a", [(30_000.0, 0.9), (100_000.0, 0.95)]);
    let svg = Figure::new().chart(gap).chart(budget).to_svg_string().unwrap();
    well_formed(&svg);
    let ticks: Vec<(f64, f64, String)> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| {
            let (attributes, rest) = t.split_once('>').unwrap();
            let text = rest.split("</text>").next().unwrap().trim().to_owned();
            text.parse::<f64>().ok()?;
            let attribute = |name: &str| -> f64 {
                let value = attributes.split(&format!(" {name}=\"")).nth(1).unwrap();
                value.split('"').next().unwrap().parse().unwrap()
            };
            Some((attribute("x"), attribute("font-size"), text))
        })
        .collect();
    let labels: Vec<&str> = ticks.iter().map(|(_, _, t)| t.as_str()).collect();
    assert!(labels.contains(&"0") && labels.contains(&"-0.15") && labels.contains(&"100000"), "{labels:?}");
    assert!(labels.iter().all(|l| l.len() <= 6 && !l.contains('e')), "{labels:?}");
    // Each x label, centred on its tick, ends inside the figure even in a font whose digits are
    // 0.64 em wide (DejaVu Sans).
    let (x, size, text) = ticks.iter().find(|(_, _, t)| t == "100000").unwrap();
    assert!(x + 0.64 * size * text.len() as f64 / 2.0 <= 1280.0, "{x} {size}");
}

#[test]
fn an_empty_chart_is_a_valid_svg_with_its_title_and_no_legend() {
    for chart in [
        Chart::new("nothing yet"),
        Chart::new("nothing yet").log_y(),
        Chart::new("nothing yet").line("loss", [(1.0, f64::NAN)]),
    ] {
        let svg = chart.to_svg_string().unwrap();
        well_formed(&svg);
        assert!(texts(&svg).contains(&"nothing yet".to_owned()));
        assert!(polylines(&svg, BLUE).iter().all(|line| line.len() <= 2), "only the legend sample, if any");
    }
}

#[test]
fn a_histogram_draws_one_bar_per_non_empty_bin() {
    // Bins [0, 1), [1, 2), [2, 3]: counts 2, 0, 3.
    let svg = Chart::new("weights").histogram("w", [0.0, 0.5, 2.0, 2.5, 3.0, f64::NAN], 3).to_svg_string().unwrap();
    well_formed(&svg);
    let filled = svg
        .lines()
        .filter(|l| l.starts_with("<rect") && l.contains(r##"fill="#1F77B4""##) && l.contains(r#"opacity="0.5""#));
    // Two bars plus the legend's swatch.
    assert_eq!(filled.count(), 3);
    assert!(texts(&svg).contains(&"w".to_owned()));
}

#[test]
fn scatter_and_path_series_draw_their_points() {
    let steps = [(1.0, 1.0), (0.5, 0.6), (0.2, 0.1)];
    let svg = Chart::new("sgd on a bowl").path("sgd", steps).scatter("minimum", [(0.0, 0.0)]).to_svg_string().unwrap();
    well_formed(&svg);
    assert_eq!(polylines(&svg, BLUE)[0].len(), 3);
    let circles = |colour: &str| {
        svg.lines().filter(|l| l.starts_with("<circle") && l.contains(&format!(r#"fill="{colour}""#))).count()
    };
    assert_eq!(circles(BLUE), 3); // a dot per step
    assert_eq!(circles(ORANGE), 2); // the point and its legend entry
}

#[test]
fn contours_of_a_bowl_are_closed_lines_one_per_level_with_a_path_on_top() {
    let bowl = Grid::sample(-1.0..1.0, -1.0..1.0, (41, 41), |x, y| x * x + y * y).unwrap();
    let levels = [0.1, 0.25, 0.5];
    let path = [(0.9, 0.0), (0.45, 0.0), (0.2, 0.0)];
    let chart = Chart::new("bowl").contours("loss", bowl, levels).path("sgd", path);
    let svg = chart.to_svg_string().unwrap();
    well_formed(&svg);
    // Contour lines are 1 pixel wide in the first colour, fading with the level.
    let contours: Vec<&str> = svg
        .lines()
        .filter(|l| l.starts_with("<polyline") && l.contains(r##"stroke="#1F77B4" stroke-width="1""##))
        .collect();
    assert_eq!(contours.len(), levels.len());
    let opacities: Vec<&str> =
        contours.iter().map(|l| l.split(r#"opacity=""#).nth(1).unwrap().split('"').next().unwrap()).collect();
    assert_eq!(opacities, ["1", "0.65", "0.3"]);
    for line in &contours {
        let points: Vec<&str> =
            line.split(r#"points=""#).nth(1).unwrap().split('"').next().unwrap().split_whitespace().collect();
        assert!(points.len() > 20, "{line}");
        assert_eq!(points.first(), points.last(), "closed: {line}");
    }
    // The path's line in the second colour, 2 pixels wide, with a dot per step.
    assert_eq!(polylines(&svg, ORANGE)[0].len(), 3);
    assert_eq!(svg, chart.to_svg_string().unwrap());
}

#[test]
fn text_is_escaped() {
    let svg = Chart::new("loss < 1 & \"rising\"").line("a<b", [(0.0, 0.0), (1.0, 1.0)]).to_svg_string().unwrap();
    well_formed(&svg);
    assert!(svg.contains("loss &lt; 1 &amp; &quot;rising&quot;") && svg.contains("a&lt;b"));
}

#[test]
fn write_svg_writes_the_same_bytes_atomically_and_names_a_bad_path() {
    let dir = std::env::temp_dir().join(format!("chainrule-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("curves.svg");
    std::fs::write(&path, "old contents").unwrap();
    let figure = Figure::from(curves());
    figure.write_svg(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), figure.to_svg_string().unwrap());
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("curves.svg")]);
    std::fs::remove_dir_all(&dir).unwrap();

    let missing = dir.join("no such folder").join("curves.svg");
    let err = curves().write_svg(&missing).unwrap_err();
    assert!(matches!(&err, Error::WriteFile { path, .. } if *path == missing), "{err}");
    assert!(err.to_string().starts_with(&format!("cannot write {}: ", missing.display())), "{err}");
}

#[test]
fn bad_figures_are_errors_naming_the_problem() {
    let err = Figure::new().to_svg_string().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid argument to Figure::to_svg_string: a figure needs at least one chart, got none"
    );
    let err = Figure::from(curves()).size(100, 480).to_svg_string().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid argument to Figure::size: a chart needs at least 200 × 150 pixels, got 100 × 480"
    );
    let err = Chart::new("weights").histogram("layer 1", [1.0, 2.0], 0).to_svg_string().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid argument to Chart::histogram: histogram "layer 1" of chart "weights" needs at least one bin, got 0"#
    );
}
