//! Figures of a run's histograms (`ana plot`, `ana run --plot`): one PNG or SVG per
//! histogram of `OUT/histograms.json`, in the style physicists know from mplhep.
//!
//! Input: the UHI JSON a run wrote (or any `hist` wrote). Output: image files.
//! Phases: `read` (UHI JSON to flat histograms), `figure` (what a figure shows: axes,
//! scales, ticks, bins, stat box, notes; its serialization is the stable description tests
//! snapshot), `ticks`, `draw` (plotters, with the DejaVu Sans face compiled in).
//! Invariant: this is the only module that names plotters. A histogram that has no figure
//! (more than two axes, a 2D mean) is reported with its reason, never drawn wrong.

mod draw;
mod figure;
mod read;
mod ticks;

use std::path::{Path, PathBuf};

use plotters::prelude::{BitMapBackend, IntoDrawingArea, SVGBackend};

pub use figure::{Figure, FigureKind, PlotOptions, figure};
pub use read::{Entries, Hist, read_all, read_hist};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("{0} is not an ana output folder: it does not exist")]
    NoOutput(PathBuf),
    #[error("{0} has no histograms.json: the run wrote no histogram, or this is not its output")]
    NoHistograms(PathBuf),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not UHI histogram JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("no histogram named {name:?} in {path} (it has: {available})")]
    UnknownHist {
        name: String,
        path: PathBuf,
        available: String,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("histogram {name}: {message}")]
    Draw { name: String, message: String },
}

/// What a call of [`plot_outputs`] did.
#[derive(Debug, Default)]
pub struct PlotReport {
    pub written: Vec<PathBuf>,
    /// Histograms without a figure, and why.
    pub skipped: Vec<(String, String)>,
}

/// The figure as an image file's bytes.
pub fn render(fig: &Figure, format: Format) -> Result<Vec<u8>, PlotError> {
    let fail = |message: String| PlotError::Draw {
        name: fig.name.clone(),
        message,
    };
    let size = (draw::WIDTH, draw::HEIGHT);
    match format {
        Format::Svg => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
                draw::draw(fig, &root).map_err(fail)?;
                root.present().map_err(|e| fail(format!("{e:?}")))?;
            }
            Ok(text.into_bytes())
        }
        Format::Png => {
            let mut rgb = vec![0u8; 3 * draw::WIDTH as usize * draw::HEIGHT as usize];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                draw::draw(fig, &root).map_err(fail)?;
                root.present().map_err(|e| fail(format!("{e:?}")))?;
            }
            let mut out = Vec::new();
            let mut enc = png::Encoder::new(&mut out, draw::WIDTH, draw::HEIGHT);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.write_header()
                .and_then(|mut w| w.write_image_data(&rgb))
                .map_err(|e| fail(format!("encoding PNG: {e}")))?;
            Ok(out)
        }
    }
}

/// The histograms of `out/histograms.json`, in the file's order, each read or with the
/// reason it could not be.
pub fn load(out: &Path) -> Result<Entries, PlotError> {
    if !out.exists() {
        return Err(PlotError::NoOutput(out.to_path_buf()));
    }
    let path = out.join("histograms.json");
    if !path.exists() {
        return Err(PlotError::NoHistograms(out.to_path_buf()));
    }
    let text = std::fs::read_to_string(&path).map_err(|source| PlotError::Read {
        path: path.clone(),
        source,
    })?;
    read_all(&text).map_err(|source| PlotError::Json { path, source })
}

/// One figure per histogram of `out` (only `names` when given) into `dir` (default
/// `out/plots`), as `NAME.png` or `NAME.svg`.
pub fn plot_outputs(
    out: &Path,
    names: &[String],
    format: Format,
    dir: Option<&Path>,
    opts: PlotOptions,
) -> Result<PlotReport, PlotError> {
    let hists = load(out)?;
    for n in names {
        if !hists.iter().any(|(k, _)| k == n) {
            let available: Vec<&str> = hists.iter().map(|(k, _)| k.as_str()).collect();
            return Err(PlotError::UnknownHist {
                name: n.clone(),
                path: out.join("histograms.json"),
                available: if available.is_empty() {
                    "no histograms".into()
                } else {
                    available.join(", ")
                },
            });
        }
    }
    let dir = dir.map_or_else(|| out.join("plots"), Path::to_path_buf);
    let mut report = PlotReport::default();
    let wanted = hists
        .into_iter()
        .filter(|(k, _)| names.is_empty() || names.contains(k));
    for (name, hist) in wanted {
        let fig = match hist.and_then(|h| figure(&h, opts)) {
            Ok(fig) => fig,
            Err(reason) => {
                report.skipped.push((name, reason));
                continue;
            }
        };
        let bytes = render(&fig, format)?;
        std::fs::create_dir_all(&dir).map_err(|source| PlotError::Write {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join(format!("{}.{}", file_stem(&name), format.extension()));
        write_atomic(&path, &bytes)?;
        report.written.push(path);
    }
    Ok(report)
}

/// A histogram name as a file name: JSON keys may hold any character, file names may not.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match stem.trim_start_matches('.') {
        "" => "_".repeat(stem.len().max(1)),
        s => s.to_string(),
    }
}

/// A reader never sees half an image: the bytes go to a temporary file renamed into place.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    let fail = |source| PlotError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(fail)?;
    // Temporary files are private (0600); an image is as readable as the run's other outputs.
    use std::os::unix::fs::PermissionsExt;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests;
