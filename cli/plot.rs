//! `ana plot OUT [--hist NAME]... [--format png|svg|pdf] [-o DIR] [--logy] [--density]`:
//! one figure per histogram of a run's outputs (`ana_runtime::output::plot` draws them).

use std::path::{Path, PathBuf};

use ana_runtime::output::plot::{self, Format, PlotError, PlotOptions};

use crate::Failure;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Png,
    Svg,
    /// Not available: write SVG and convert it (e.g. `rsvg-convert -f pdf`).
    Pdf,
}

#[derive(clap::Args)]
pub struct Args {
    /// A run's output folder (the `-o` of `ana run`), holding histograms.json.
    pub out: PathBuf,
    /// Plot only this histogram (repeatable); default: every histogram.
    #[arg(long = "hist", value_name = "NAME")]
    pub hist: Vec<String>,
    /// Image format.
    #[arg(long, value_enum, default_value = "png")]
    pub format: FormatArg,
    /// Folder for the figures (default: OUT/plots).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Log scale for the counts (the y axis; the colour scale of 2D histograms).
    #[arg(long)]
    pub logy: bool,
    /// Counts per unit of the x axis ("Events / bin width").
    #[arg(long)]
    pub density: bool,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn main(args: Args) -> Result<(), Failure> {
    let format = match args.format {
        FormatArg::Png => Format::Png,
        FormatArg::Svg => Format::Svg,
        FormatArg::Pdf => {
            return Err(Failure::Usage(miette::miette!(
                help = "write --format svg and convert it, e.g. `rsvg-convert -f pdf -o mass.pdf \
                        mass.svg` or `inkscape mass.svg -o mass.pdf`",
                "--format pdf is not supported yet: ana draws PNG and SVG"
            )));
        }
    };
    let opts = PlotOptions {
        logy: args.logy,
        density: args.density,
    };
    plot(
        &args.out,
        &args.hist,
        format,
        args.output.as_deref(),
        opts,
        args.quiet,
    )
}

/// Plots `out`'s histograms and says what was written and what was not; shared with
/// `ana run --plot`.
pub fn plot(
    out: &Path,
    hists: &[String],
    format: Format,
    dir: Option<&Path>,
    opts: PlotOptions,
    quiet: bool,
) -> Result<(), Failure> {
    let report = plot::plot_outputs(out, hists, format, dir, opts).map_err(plot_error)?;
    for (name, reason) in &report.skipped {
        crate::out::message(&format!("warning: {name} not plotted: {reason}"));
    }
    if !quiet && report.written.is_empty() && report.skipped.is_empty() {
        crate::out::message(&format!(
            "{}/histograms.json holds no histogram: nothing to plot",
            out.display()
        ));
    }
    if !quiet && !report.written.is_empty() {
        let dir = dir.map_or_else(|| out.join("plots"), Path::to_path_buf);
        let files: Vec<String> = report
            .written
            .iter()
            .filter_map(|p| p.file_name())
            .map(|f| f.to_string_lossy().into_owned())
            .collect();
        crate::out::print(&format!(
            "  plots     {}/: {}\n",
            dir.display(),
            files.join(", ")
        ))?;
    }
    Ok(())
}

fn plot_error(e: PlotError) -> Failure {
    match e {
        PlotError::NoOutput(_) | PlotError::NoHistograms(_) => Failure::Usage(miette::miette!(
            help = "name the folder that `ana run -o OUT` wrote (default ana-out)",
            "{e}"
        )),
        PlotError::UnknownHist { .. } => Failure::Usage(miette::miette!(
            help = "--hist takes a histogram's name from the script (`hist NAME: ...`)",
            "{e}"
        )),
        PlotError::Json { .. } => Failure::Error(Some(miette::miette!(
            help = "histograms.json is written by `ana run`; run it again to rewrite it",
            "{e}"
        ))),
        e => Failure::Error(Some(miette::miette!("{e}"))),
    }
}
