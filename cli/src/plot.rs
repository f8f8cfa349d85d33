//! SVG charts drawn with `plotters`: the haircut heat map (`risk haircuts --plot`) and the
//! equity and requirement curves against price moves (`check --plot`).
//!
//! Only SVG is written: plotters draws text into a bitmap (PNG) only through a font library
//! and a system font, which a venue's or a CI machine may not have, and plotters panics when
//! asked to draw text without one. SVG leaves text to the viewer. Floating point is used here
//! for drawing only; every figure drawn is computed exactly first.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::errors::Failure;
use crate::inputs::label;

/// Refuses a plot path that does not end in `.svg` (case-insensitive).
pub fn check_svg_path(path: &Path) -> Result<(), Failure> {
    let is_svg = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if is_svg {
        Ok(())
    } else {
        Err(Failure::flag(
            "--plot",
            format!(
                "{} is not an .svg file: plots are written as SVG only (a bitmap would need a \
                 system font)",
                label(path)
            ),
        ))
    }
}

fn draw_error(e: impl std::fmt::Display) -> String {
    format!("cannot draw the chart: {e}")
}

/// One cell of the heat map.
pub struct Cell {
    /// Haircut, ppm.
    pub total_ppm: u64,
    /// Latency term alone, ppm.
    pub latency_ppm: u64,
}

/// White (0%) to deep red (the largest value).
fn heat(value: u64, max: u64) -> RGBColor {
    let t = if max == 0 {
        0.0
    } else {
        value as f64 / max as f64
    };
    let fade = |full: f64| (255.0 - (255.0 - full) * t).round().clamp(0.0, 255.0) as u8;
    RGBColor(fade(200.0), fade(30.0), fade(30.0))
}

/// Exact: ppm as a percentage with up to 4 decimals.
fn percent(ppm: u64) -> String {
    crate::report::percent(ppm)
}

/// Two heat maps side by side, assets down and chains across: the haircut, and the latency
/// term `z sigma sqrt(T / year)` alone, on one colour scale, each cell labelled with its value
/// and the latency's share of the haircut.
pub fn haircut_heatmap(
    title: &str,
    assets: &[String],
    chains: &[String],
    cells: &[Vec<Cell>],
) -> Result<String, String> {
    let (n_chains, n_assets) = (chains.len(), assets.len());
    let width = (260 + 2 * 150 * n_chains as u32).clamp(900, 4000);
    let height = (160 + 70 * n_assets as u32).min(4000);
    let max = cells
        .iter()
        .flatten()
        .map(|c| c.total_ppm)
        .max()
        .unwrap_or(0);
    let mut svg = String::new();
    {
        let base = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        base.fill(&WHITE).map_err(draw_error)?;
        let root = base.titled(title, ("sans-serif", 18)).map_err(draw_error)?;
        let (left, right) = root.split_horizontally(width / 2);
        let centred = |size: u32| {
            ("sans-serif", size)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center))
        };
        for (area, latency) in [(left, false), (right, true)] {
            let caption = if latency {
                "latency term z*sigma*sqrt(T/year) (share of haircut)"
            } else {
                "haircut (ppm rounded up)"
            };
            // Cells are unit squares: chain c, asset a covers [c, c+1] x [a, a+1].
            let chart = ChartBuilder::on(&area)
                .caption(caption, ("sans-serif", 14))
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(70)
                .build_cartesian_2d(0f64..n_chains.max(1) as f64, 0f64..n_assets.max(1) as f64)
                .map_err(draw_error)?;
            for (a, row) in cells.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    let value = if latency {
                        cell.latency_ppm
                    } else {
                        cell.total_ppm
                    };
                    let (x, y) = (c as f64, a as f64);
                    let square = [(x, y), (x + 1.0, y + 1.0)];
                    chart
                        .plotting_area()
                        .draw(&Rectangle::new(square, heat(value, max).filled()))
                        .map_err(draw_error)?;
                    chart
                        .plotting_area()
                        .draw(&Rectangle::new(square, WHITE.stroke_width(2)))
                        .map_err(draw_error)?;
                    let text = if latency {
                        let share = if cell.total_ppm == 0 {
                            0.0
                        } else {
                            100.0 * cell.latency_ppm as f64 / cell.total_ppm as f64
                        };
                        format!("{} ({share:.0}%)", percent(value))
                    } else {
                        percent(value)
                    };
                    chart
                        .plotting_area()
                        .draw(&Text::new(text, (x + 0.5, y + 0.5), centred(13)))
                        .map_err(draw_error)?;
                }
            }
            // Names beside the cells, drawn on the whole canvas in its pixels.
            for (c, name) in chains.iter().enumerate() {
                let (px, py) = chart.backend_coord(&(c as f64 + 0.5, 0.0));
                base.draw(&Text::new(name.clone(), (px, py + 14), centred(12)))
                    .map_err(draw_error)?;
            }
            for (a, name) in assets.iter().enumerate() {
                let (px, py) = chart.backend_coord(&(0.0, a as f64 + 0.5));
                base.draw(&Text::new(name.clone(), (px - 35, py), centred(12)))
                    .map_err(draw_error)?;
            }
        }
        base.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// Equity and requirement of a book against moves of one asset's price.
pub struct Curve {
    pub symbol: String,
    /// `(move in percent, equity USD, requirement USD)`, moves increasing.
    pub points: Vec<(f64, f64, f64)>,
}

/// One panel per asset, stacked: equity and requirement (USD) against the move (percent).
pub fn move_curves(title: &str, curves: &[Curve]) -> Result<String, String> {
    let width = 900u32;
    let panel = 300u32;
    let height = (60 + panel * curves.len().max(1) as u32).min(8000);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let root = root.titled(title, ("sans-serif", 18)).map_err(draw_error)?;
        let areas = root.split_evenly((curves.len().max(1), 1));
        for (area, curve) in areas.iter().zip(curves) {
            let xs = curve.points.iter().map(|p| p.0);
            let (x_min, x_max) =
                xs.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
            let ys = curve.points.iter().flat_map(|p| [p.1, p.2]);
            let (y_min, y_max) =
                ys.fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
            if x_min >= x_max || !y_min.is_finite() || !y_max.is_finite() {
                continue;
            }
            let pad = ((y_max - y_min) * 0.05).max(1.0);
            let mut chart = ChartBuilder::on(area)
                .caption(
                    format!("move of {} (percent of its price)", curve.symbol),
                    ("sans-serif", 14),
                )
                .margin(12)
                .x_label_area_size(30)
                .y_label_area_size(90)
                .build_cartesian_2d(x_min..x_max, (y_min - pad)..(y_max + pad))
                .map_err(draw_error)?;
            chart
                .configure_mesh()
                .x_desc("move (%)")
                .y_desc("USD")
                .draw()
                .map_err(draw_error)?;
            chart
                .draw_series(LineSeries::new(
                    curve.points.iter().map(|p| (p.0, p.1)),
                    BLUE.stroke_width(2),
                ))
                .map_err(draw_error)?
                .label("equity")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
            chart
                .draw_series(LineSeries::new(
                    curve.points.iter().map(|p| (p.0, p.2)),
                    RED.stroke_width(2),
                ))
                .map_err(draw_error)?
                .label("requirement")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, y_min - pad), (0.0, y_max + pad)],
                    BLACK.mix(0.3),
                )))
                .map_err(draw_error)?;
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}
