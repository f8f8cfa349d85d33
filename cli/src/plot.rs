//! The pictures, drawn with `plotters`: the haircut heat map (`risk haircuts --plot`), the
//! equity and requirement curves against price moves (`check --plot`), profit and loss across
//! the risk table's scenarios (`risk scenarios --plot`, `check --plot`) and, through
//! [`save`], the circuit layout (`audit --layout`).
//!
//! Every picture is written as SVG or PNG, as its file's extension says ([`format_of`]), with
//! the same labels in both: a picture is drawn once, generic over the plotters backend
//! ([`Picture`]), into memory, and the file is written atomically, so a failure never leaves
//! half a picture behind. Text is measured and drawn with DejaVu Sans embedded in the binary
//! ([`register_fonts`]): plotters' `ab_glyph` finds no system font, and a venue's or a CI
//! machine may have none. Floating point is used here for drawing only; every figure drawn is
//! computed exactly first.

use std::path::Path;
use std::sync::OnceLock;

use plotters::backend::RGBPixel;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};
use zkmargin_formats::write::write_atomic;

use crate::errors::CliError;
use crate::inputs::label;

/// The file formats a picture is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

/// The picture file given to `flag` (`--plot`, `--layout`), if any, with its format; checked
/// before any work is done, so that a wrong name costs nothing.
pub fn picture_file<'a>(
    path: Option<&'a Path>,
    flag: &str,
) -> Result<Option<(&'a Path, Format)>, CliError> {
    path.map(|path| Ok((path, format_of(path, flag)?)))
        .transpose()
}

/// The format of the picture file `path` given to `flag`: `.svg` or `.png`, case-insensitive.
fn format_of(path: &Path, flag: &str) -> Result<Format, CliError> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if extension.eq_ignore_ascii_case("svg") {
        Ok(Format::Svg)
    } else if extension.eq_ignore_ascii_case("png") {
        Ok(Format::Png)
    } else {
        Err(CliError::flag(
            flag,
            format!("{} must end in .svg or .png", label(path)),
        ))
    }
}

/// The font families text is asked for in: ours and halo2's layout use `("sans-serif", n)`,
/// and plotters' own defaults (mesh labels, legends) use sans-serif too. The other two generic
/// names get the same face so that no `TextStyle` can miss a font.
const FAMILIES: [&str; 3] = ["sans-serif", "serif", "monospace"];

/// Registers DejaVu Sans under [`FAMILIES`], once per process. Both formats need it: with
/// `ab_glyph` plotters measures text (captions, label areas) with the registered font even
/// for SVG, and a family without a font is an error when measuring or drawing.
pub fn register_fonts() -> Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = REGISTERED.get_or_init(|| {
        FAMILIES
            .iter()
            .all(|family| register_font(family, FontStyle::Normal, dejavu::sans::regular()).is_ok())
    });
    if *registered {
        Ok(())
    } else {
        Err("the embedded DejaVu Sans font cannot be read".into())
    }
}

/// Largest PNG drawn, in pixels: 1800 x 16000 (the tallest layout), i.e. an 86.4 MB RGB
/// buffer (3 bytes a pixel). Each picture bounds its own size below this; the check stops a
/// future picture from allocating gigabytes.
pub const PNG_MAX_PIXELS: u64 = 1800 * 16_000;

fn draw_error(e: impl std::fmt::Display) -> String {
    format!("cannot draw the picture: {e}")
}

/// A picture drawn once for every format: on any plotters backend (a closure cannot be
/// generic over the backend, hence a trait). `area` is the whole canvas, already white.
pub trait Picture {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

fn paint<DB: DrawingBackend>(backend: DB, picture: &impl Picture) -> Result<(), String> {
    let area = backend.into_drawing_area();
    area.fill(&WHITE).map_err(draw_error)?;
    picture.draw(&area)?;
    area.present().map_err(draw_error)
}

fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// The picture `size` pixels large (width, height), as the bytes of a `format` file.
pub fn render(format: Format, size: (u32, u32), picture: &impl Picture) -> Result<Vec<u8>, String> {
    register_fonts()?;
    match format {
        Format::Svg => {
            let mut svg = String::new();
            paint(SVGBackend::with_string(&mut svg, size), picture)?;
            Ok(svg.into_bytes())
        }
        Format::Png => {
            let (width, height) = size;
            let pixels = u64::from(width) * u64::from(height);
            if pixels == 0 || pixels > PNG_MAX_PIXELS {
                return Err(format!(
                    "a {width} x {height} picture is too large for a PNG (at most \
                     {PNG_MAX_PIXELS} pixels): use .svg"
                ));
            }
            // Within the bound, so this neither overflows nor allocates more than 86.4 MB.
            let mut rgb = vec![0u8; pixels as usize * 3];
            let backend = BitMapBackend::<RGBPixel>::with_buffer_and_format(&mut rgb, size)
                .map_err(draw_error)?;
            paint(backend, picture)?;
            encode_png(&rgb, size).map_err(|e| format!("cannot encode the PNG: {e}"))
        }
    }
}

/// Draws the picture and writes it to `path` atomically (the picture file of `flag`).
pub fn save(
    path: &Path,
    flag: &str,
    format: Format,
    size: (u32, u32),
    picture: &impl Picture,
) -> Result<(), CliError> {
    let bytes = render(format, size, picture)
        .map_err(|reason| CliError::internal(format!("drawing {}", label(path)), reason))?;
    write_atomic(path, &bytes, None)
        .map_err(|e| CliError::io(path, flag, "cannot write the picture", &e))
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
    crate::output::percent(ppm)
}

/// Two heat maps side by side, assets down and chains across: the haircut, and the latency
/// term `z sigma sqrt(T / year)` alone, on one colour scale, each cell labelled with its value
/// and the latency's share of the haircut.
pub struct HeatMap<'a> {
    pub title: String,
    pub assets: &'a [String],
    pub chains: &'a [String],
    /// `cells[asset][chain]`.
    pub cells: &'a [Vec<Cell>],
}

impl HeatMap<'_> {
    /// Width and height in pixels: 150 a cell across, 70 down, within 4000 x 4000.
    pub fn size(&self) -> (u32, u32) {
        let (n_chains, n_assets) = (self.chains.len() as u32, self.assets.len() as u32);
        let width = 260u32
            .saturating_add(n_chains.saturating_mul(2 * 150))
            .clamp(900, 4000);
        let height = 160u32.saturating_add(n_assets.saturating_mul(70)).min(4000);
        (width, height)
    }
}

impl Picture for HeatMap<'_> {
    fn draw<DB: DrawingBackend>(&self, base: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (assets, chains, cells) = (self.assets, self.chains, self.cells);
        let (n_chains, n_assets) = (chains.len(), assets.len());
        let max = cells
            .iter()
            .flatten()
            .map(|c| c.total_ppm)
            .max()
            .unwrap_or(0);
        let root = base
            .titled(&self.title, ("sans-serif", 18))
            .map_err(draw_error)?;
        let (left, right) = root.split_horizontally(base.dim_in_pixel().0 / 2);
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
        Ok(())
    }
}

/// Equity and requirement of a book against moves of one asset's price.
pub struct Curve {
    pub symbol: String,
    /// `(move in percent, equity USD, requirement USD)`, moves increasing.
    pub points: Vec<(f64, f64, f64)>,
}

/// One panel per asset, stacked: equity and requirement (USD) against the move (percent).
pub struct MoveCurves<'a> {
    pub title: String,
    pub curves: &'a [Curve],
}

impl MoveCurves<'_> {
    /// Width and height in pixels: 900 across, 300 a panel down, at most 8000.
    pub fn size(&self) -> (u32, u32) {
        let panels = u32::try_from(self.curves.len().max(1)).unwrap_or(u32::MAX);
        (900, panels.saturating_mul(300).saturating_add(60).min(8000))
    }
}

impl Picture for MoveCurves<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let curves = self.curves;
        let root = root
            .titled(&self.title, ("sans-serif", 18))
            .map_err(draw_error)?;
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
        Ok(())
    }
}

/// Two pictures in one, `top` above `bottom`, each drawn in its own part: `top_height` pixels
/// for the upper one, the rest for the lower.
pub struct Stacked<'a, A, B> {
    pub top: &'a A,
    pub top_height: u32,
    pub bottom: &'a B,
}

impl<A: Picture, B: Picture> Picture for Stacked<'_, A, B> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let split = i32::try_from(self.top_height).unwrap_or(i32::MAX);
        let (upper, lower) = root.split_vertically(split);
        self.top.draw(&upper)?;
        self.bottom.draw(&lower)
    }
}

/// One panel of [`ScenarioBars`]: a profit and loss in each of the sixteen scenarios.
pub struct ScenarioPanel {
    pub caption: String,
    /// Profit (positive) or loss (negative) in USD, in scenario order.
    pub pnl_usd: Vec<f64>,
    /// The scenario marked as the worst (outlined), if any.
    pub worst: Option<usize>,
}

/// Profit and loss across the risk table's scenarios, one panel per series (an instrument, or
/// a book's underlying): a horizontal bar per scenario, labelled with the scenario
/// (`portfolio::Scenario::label`), green for a gain and red for a loss.
pub struct ScenarioBars<'a> {
    pub title: String,
    /// The scenarios' labels, top to bottom.
    pub labels: &'a [String],
    pub panels: &'a [ScenarioPanel],
}

impl ScenarioBars<'_> {
    /// Width and height in pixels: 900 across, 30 a scenario down a panel, at most 8000.
    pub fn size(&self) -> (u32, u32) {
        let panels = u32::try_from(self.panels.len().max(1)).unwrap_or(u32::MAX);
        let rows = u32::try_from(self.labels.len()).unwrap_or(u32::MAX);
        let panel = rows.saturating_mul(30).saturating_add(90);
        (
            900,
            panels.saturating_mul(panel).saturating_add(60).min(8000),
        )
    }
}

impl Picture for ScenarioBars<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let root = root
            .titled(&self.title, ("sans-serif", 18))
            .map_err(draw_error)?;
        let areas = root.split_evenly((self.panels.len().max(1), 1));
        let rows = self.labels.len();
        for (area, panel) in areas.iter().zip(self.panels) {
            let largest = panel
                .pnl_usd
                .iter()
                .fold(0f64, |m, v| m.max(v.abs()))
                .max(1e-6);
            let x_range = (-largest * 1.1)..(largest * 1.1);
            let labels = self.labels;
            let n = i32::try_from(rows).unwrap_or(i32::MAX);
            // Row i (scenario i) is segment n - 1 - i: scenario 0 on top.
            let segment = |i: usize| n - 1 - i as i32;
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.caption, ("sans-serif", 14))
                .margin(12)
                .x_label_area_size(30)
                .y_label_area_size(110)
                .build_cartesian_2d(x_range, (0..n.max(1) - 1).into_segmented())
                .map_err(draw_error)?;
            chart
                .configure_mesh()
                .x_desc("profit and loss (USD)")
                .y_labels(rows)
                .y_label_formatter(&|y: &SegmentValue<i32>| match y {
                    SegmentValue::CenterOf(s) if (0..n).contains(s) => {
                        labels[(n - 1 - s) as usize].clone()
                    }
                    _ => String::new(),
                })
                .disable_y_mesh()
                .draw()
                .map_err(draw_error)?;
            let bar = |i: usize, v: f64| {
                [
                    (0.0, SegmentValue::Exact(segment(i))),
                    (v, SegmentValue::Exact(segment(i) + 1)),
                ]
            };
            let bars = panel.pnl_usd.iter().enumerate().map(|(i, &v)| {
                let colour = if v >= 0.0 {
                    GREEN.mix(0.7)
                } else {
                    RED.mix(0.7)
                };
                Rectangle::new(bar(i, v), colour.filled())
            });
            chart.draw_series(bars).map_err(draw_error)?;
            if let Some(worst) = panel.worst.filter(|&w| w < panel.pnl_usd.len()) {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        bar(worst, panel.pnl_usd[worst]),
                        BLACK.stroke_width(2),
                    )))
                    .map_err(draw_error)?;
            }
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Exact(n))],
                    BLACK.mix(0.5),
                )))
                .map_err(draw_error)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text in every family and style plotters may ask for, and nothing else.
    struct Words;

    impl Picture for Words {
        fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
            for (i, family) in FAMILIES.iter().enumerate() {
                for (j, style) in [FontStyle::Normal, FontStyle::Bold, FontStyle::Italic]
                    .into_iter()
                    .enumerate()
                {
                    let font = (*family, 20).into_font().style(style).color(&BLACK);
                    let at = (10 + 130 * j as i32, 10 + 30 * i as i32);
                    area.draw(&Text::new("Haircut 3.1%", at, font))
                        .map_err(draw_error)?;
                }
            }
            Ok(())
        }
    }

    fn dark_pixels(png: &[u8]) -> usize {
        let mut reader = png::Decoder::new(png).read_info().unwrap();
        let mut rgb = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut rgb).unwrap();
        rgb[..info.buffer_size()]
            .chunks(3)
            .filter(|p| p.iter().all(|&c| c < 128))
            .count()
    }

    #[test]
    fn text_is_drawn_in_every_family_without_a_system_font() {
        let png = render(Format::Png, (400, 100), &Words).unwrap();
        assert!(dark_pixels(&png) > 500, "{}", dark_pixels(&png));
        let svg = String::from_utf8(render(Format::Svg, (400, 100), &Words).unwrap()).unwrap();
        assert_eq!(svg.matches("Haircut 3.1%").count(), 9);
    }

    #[test]
    fn empty_pictures_are_drawn_not_refused() {
        let map = HeatMap {
            title: "no assets".into(),
            assets: &[],
            chains: &[],
            cells: &[],
        };
        let curves = MoveCurves {
            title: "no exposure".into(),
            curves: &[],
        };
        for format in [Format::Svg, Format::Png] {
            render(format, map.size(), &map).unwrap();
            render(format, curves.size(), &curves).unwrap();
        }
    }

    #[test]
    fn a_png_past_the_bound_is_an_error_not_an_allocation() {
        let error = render(Format::Png, (100_000, 100_000), &Words).unwrap_err();
        assert!(error.contains("too large"), "{error}");
        assert!(render(Format::Png, (0, 10), &Words).is_err());
    }

    #[test]
    fn the_format_follows_the_extension() {
        let format = |name: &str| format_of(Path::new(name), "--plot").ok();
        assert_eq!(format("a.svg"), Some(Format::Svg));
        assert_eq!(format("dir.png/a.SVG"), Some(Format::Svg));
        assert_eq!(format("a.Png"), Some(Format::Png));
        for bad in ["a.jpg", "a", "png", "a.svg.gz"] {
            let error = format_of(Path::new(bad), "--plot").unwrap_err();
            assert!(error.to_string().contains("--plot"), "{error}");
            assert!(error.to_string().contains(bad), "{error}");
        }
    }
}
