//! A [`Figure`] drawn with plotters, in mplhep's style: a frame with ticks inside on all four
//! sides (minor ticks too), the x title at the right end and the y title at the top, a step
//! line with error bars at the bin centres, the histogram's name above the frame, a stat box
//! in the upper right corner, notes below it; 2D: cells coloured by viridis and a colour bar.
//!
//! Text is set in DejaVu Sans (matplotlib's default face), compiled in from the `dejavu`
//! crate, so that PNGs have text on machines without fonts; SVG keeps every string a
//! `<text>` element (with `font-family="DejaVu Sans, sans-serif"`).

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figure::{Axis, ColourMap, Figure, FigureKind};

pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 600;
/// The registered face's name: also a CSS font-family list, as SVG writes it.
const FONT: &str = "DejaVu Sans, sans-serif";

/// The frame of the data, in pixels.
#[derive(Clone, Copy)]
struct Frame {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn of(f: &Figure) -> Frame {
        Frame {
            left: 95.0,
            right: f64::from(WIDTH) - if f.map.is_some() { 140.0 } else { 30.0 },
            top: 45.0,
            bottom: f64::from(HEIGHT) - 70.0,
        }
    }
}

/// Registers the embedded face once per process; false when it cannot be read.
pub fn fonts_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    })
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("drawing failed: {e:?}")
}

/// Draws the figure onto a drawing area of [`WIDTH`] x [`HEIGHT`] pixels.
pub fn draw<DB: DrawingBackend>(f: &Figure, root: &DrawingArea<DB, Shift>) -> DrawResult {
    if !fonts_ready() {
        return Err("the embedded font could not be read".into());
    }
    root.fill(&WHITE).map_err(err)?;
    let fr = Frame::of(f);
    match &f.map {
        Some(m) => cells(f, m, fr, root)?,
        None => lines(f, fr, root)?,
    }
    frame(f, fr, root)?;
    if let Some(m) = &f.map {
        colour_bar(m, fr, root)?;
    }
    boxes(f, fr, root)?;
    Ok(())
}

/// Data to pixels along an axis, clamped a little outside the frame so that off-scale
/// values draw as lines leaving it.
fn map(a: &Axis, v: f64, p0: f64, p1: f64) -> f64 {
    let t = if a.log {
        if v <= 0.0 {
            -1.0
        } else {
            (v.log10() - a.lo.log10()) / (a.hi.log10() - a.lo.log10())
        }
    } else {
        (v - a.lo) / (a.hi - a.lo)
    };
    let t = if t.is_finite() {
        t.clamp(-0.01, 1.01)
    } else {
        0.0
    };
    p0 + t * (p1 - p0)
}

fn px(x: f64, y: f64) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

fn colour(hex: &str) -> RGBColor {
    let c = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|s| u8::from_str_radix(s, 16).ok())
            .unwrap_or(0)
    };
    RGBColor(c(1), c(3), c(5))
}

fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// Step lines and error bars, clipped to the frame.
fn lines<DB: DrawingBackend>(f: &Figure, fr: Frame, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let x = |v: f64| map(&f.x, v, fr.left, fr.right);
    let y = |v: f64| map(&f.y, v, fr.bottom, fr.top);
    let base = y(if f.y.log { f.y.lo } else { 0.0f64.max(f.y.lo) });
    for s in &f.series {
        let style = ShapeStyle::from(&colour(s.colour)).stroke_width(2);
        let thin = ShapeStyle::from(&colour(s.colour)).stroke_width(1);
        // A line runs over consecutive drawable bins and drops to the baseline at its ends.
        let mut path: Vec<(i32, i32)> = Vec::new();
        let flush = |path: &mut Vec<(i32, i32)>| -> DrawResult {
            if let Some(&(lx, _)) = path.last() {
                path.push((lx, base.round() as i32));
                root.draw(&PathElement::new(std::mem::take(path), style))
                    .map_err(err)?;
            }
            Ok(())
        };
        for b in &s.bins {
            if !b.value.is_finite() {
                flush(&mut path)?;
                continue;
            }
            let (x0, x1, yv) = (x(b.lo), x(b.hi), y(b.value));
            if path.is_empty() {
                path.push(px(x0, base));
            }
            path.push(px(x0, yv));
            path.push(px(x1, yv));
        }
        flush(&mut path)?;
        for b in s.bins.iter().filter(|b| b.value.is_finite() && b.err > 0.0) {
            let c = if f.x.log {
                (b.lo * b.hi).sqrt()
            } else {
                0.5 * (b.lo + b.hi)
            };
            let (lo, hi) = (y(b.value - b.err), y(b.value + b.err));
            root.draw(&PathElement::new(vec![px(x(c), lo), px(x(c), hi)], thin))
                .map_err(err)?;
        }
    }
    Ok(())
}

fn viridis(t: f64) -> RGBColor {
    ViridisRGB.get_color(t.clamp(0.0, 1.0) as f32)
}

fn colour_fraction(m: &ColourMap, v: f64) -> f64 {
    if m.log {
        (v.max(m.lo).log10() - m.lo.log10()) / (m.hi.log10() - m.lo.log10())
    } else {
        (v - m.lo) / (m.hi - m.lo)
    }
}

fn cells<DB: DrawingBackend>(
    f: &Figure,
    m: &ColourMap,
    fr: Frame,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult {
    for c in &m.cells {
        let (x0, x1) = (
            map(&f.x, c.x.0, fr.left, fr.right),
            map(&f.x, c.x.1, fr.left, fr.right),
        );
        let (y0, y1) = (
            map(&f.y, c.y.0, fr.bottom, fr.top),
            map(&f.y, c.y.1, fr.bottom, fr.top),
        );
        let fill = viridis(colour_fraction(m, c.value)).filled();
        root.draw(&Rectangle::new([px(x0, y1), px(x1, y0)], fill))
            .map_err(err)?;
    }
    Ok(())
}

fn colour_bar<DB: DrawingBackend>(
    m: &ColourMap,
    fr: Frame,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult {
    let (l, r) = (fr.right + 20.0, fr.right + 40.0);
    let steps = 128;
    for i in 0..steps {
        let t0 = f64::from(i) / f64::from(steps);
        let t1 = f64::from(i + 1) / f64::from(steps);
        let (y0, y1) = (
            fr.bottom + t0 * (fr.top - fr.bottom),
            fr.bottom + t1 * (fr.top - fr.bottom),
        );
        root.draw(&Rectangle::new(
            [px(l, y1), px(r, y0)],
            viridis(t0 + 0.5 / f64::from(steps)).filled(),
        ))
        .map_err(err)?;
    }
    root.draw(&Rectangle::new(
        [px(l, fr.top), px(r, fr.bottom)],
        BLACK.stroke_width(1),
    ))
    .map_err(err)?;
    let axis = Axis {
        title: m.title.clone(),
        log: m.log,
        lo: m.lo,
        hi: m.hi,
        ticks: m.ticks.clone(),
    };
    for t in &axis.ticks.major {
        let y = map(&axis, t.at, fr.bottom, fr.top);
        root.draw(&PathElement::new(
            vec![px(r - 5.0, y), px(r, y)],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
        root.draw(&Text::new(
            t.label.clone(),
            px(r + 4.0, y),
            font(15.0).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    root.draw(&Text::new(
        m.title.clone(),
        px(f64::from(WIDTH) - 8.0, fr.top),
        font(18.0)
            .pos(Pos::new(HPos::Right, VPos::Bottom))
            .transform(FontTransform::Rotate270),
    ))
    .map_err(err)?;
    Ok(())
}

/// The frame, ticks inside on all sides, tick labels and axis titles.
fn frame<DB: DrawingBackend>(f: &Figure, fr: Frame, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let line = BLACK.stroke_width(1);
    root.draw(&Rectangle::new(
        [px(fr.left, fr.top), px(fr.right, fr.bottom)],
        line,
    ))
    .map_err(err)?;
    let tick = |a: (f64, f64), b: (f64, f64)| {
        root.draw(&PathElement::new(vec![px(a.0, a.1), px(b.0, b.1)], line))
            .map_err(err)
    };
    let (major, minor) = (10.0, 5.0);
    for t in &f.x.ticks.major {
        let x = map(&f.x, t.at, fr.left, fr.right);
        tick((x, fr.bottom), (x, fr.bottom - major))?;
        tick((x, fr.top), (x, fr.top + major))?;
        root.draw(&Text::new(
            t.label.clone(),
            px(x, fr.bottom + 8.0),
            font(16.0).pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(err)?;
    }
    for &m in &f.x.ticks.minor {
        let x = map(&f.x, m, fr.left, fr.right);
        tick((x, fr.bottom), (x, fr.bottom - minor))?;
        tick((x, fr.top), (x, fr.top + minor))?;
    }
    for t in &f.y.ticks.major {
        let y = map(&f.y, t.at, fr.bottom, fr.top);
        tick((fr.left, y), (fr.left + major, y))?;
        tick((fr.right, y), (fr.right - major, y))?;
        root.draw(&Text::new(
            t.label.clone(),
            px(fr.left - 7.0, y),
            font(16.0).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
    }
    for &m in &f.y.ticks.minor {
        let y = map(&f.y, m, fr.bottom, fr.top);
        tick((fr.left, y), (fr.left + minor, y))?;
        tick((fr.right, y), (fr.right - minor, y))?;
    }
    root.draw(&Text::new(
        f.x.title.clone(),
        px(fr.right, f64::from(HEIGHT) - 12.0),
        font(19.0).pos(Pos::new(HPos::Right, VPos::Bottom)),
    ))
    .map_err(err)?;
    root.draw(&Text::new(
        f.y.title.clone(),
        px(14.0, fr.top),
        font(19.0)
            .pos(Pos::new(HPos::Right, VPos::Top))
            .transform(FontTransform::Rotate270),
    ))
    .map_err(err)?;
    root.draw(&Text::new(
        f.name.clone(),
        px(fr.left, fr.top - 8.0),
        (FONT, 20.0)
            .into_font()
            .style(FontStyle::Bold)
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Bottom)),
    ))
    .map_err(err)?;
    Ok(())
}

/// The stat box (or, for overlays, the legend with each line's entries) in the upper right
/// corner of the frame, the notes under it.
fn boxes<DB: DrawingBackend>(f: &Figure, fr: Frame, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let size = 15.0;
    let style = font(size);
    let width = |s: &str| {
        root.estimate_text_size(s, &style)
            .map(|(w, _)| f64::from(w))
            .unwrap_or(8.0 * s.len() as f64)
    };
    let row = size + 4.0;
    let legend = f.kind == FigureKind::Overlay;
    let swatch = if legend { 28.0 } else { 0.0 };
    let inner = f
        .stats
        .iter()
        .map(|(k, v)| width(k) + width(v) + 20.0 + swatch)
        .fold(0.0, f64::max);
    let (right, top) = (fr.right - 10.0, fr.top + 10.0);
    let left = right - inner - 16.0;
    let mut y = top + 6.0;
    if !f.stats.is_empty() {
        let bottom = top + 12.0 + row * f.stats.len() as f64;
        root.draw(&Rectangle::new(
            [px(left, top), px(right, bottom)],
            WHITE.filled(),
        ))
        .map_err(err)?;
        root.draw(&Rectangle::new(
            [px(left, top), px(right, bottom)],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
        for (i, (k, v)) in f.stats.iter().enumerate() {
            let mid = y + row / 2.0;
            if legend && let Some(s) = f.series.get(i) {
                root.draw(&PathElement::new(
                    vec![px(left + 8.0, mid), px(left + 8.0 + swatch - 6.0, mid)],
                    ShapeStyle::from(&colour(s.colour)).stroke_width(2),
                ))
                .map_err(err)?;
            }
            root.draw(&Text::new(
                k.clone(),
                px(left + 8.0 + swatch, mid),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(err)?;
            root.draw(&Text::new(
                v.clone(),
                px(right - 8.0, mid),
                style.pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
            y += row;
        }
        y += 14.0;
    }
    for n in &f.notes {
        root.draw(&Text::new(
            n.clone(),
            px(right, y + row / 2.0),
            font(14.0).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
        y += row;
    }
    Ok(())
}
