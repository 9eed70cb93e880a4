//! Plotting benchmark: the time to draw a figure, for the 1000-bin log-axis mass histogram of
//! `examples/dimuon.ana` (`OUT/histograms.json`'s `mass`) and for 100 figures in a row.
//!
//! Run: `cargo bench -p ana-runtime --bench plot -- OUT [--reps R]` after
//! `ana run examples/dimuon.ana -o OUT`.
//! Method: the histogram is read once; then figure (layout) plus rendering (PNG: rasterized and
//! encoded; SVG: the text) are timed R times each (default 21) after one warm-up, and the
//! median is printed; "100 figures" renders every histogram of OUT in turn until 100 PNGs
//! are done and reports the total.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ana_runtime::output::plot::{self, Format, PlotOptions};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let mut out: Option<PathBuf> = None;
    let mut reps = 21;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--reps" => reps = args.next().and_then(|r| r.parse().ok()).unwrap_or(reps),
            "--bench" => {}
            other => out = Some(PathBuf::from(other)),
        }
    }
    let Some(out) = out else {
        eprintln!("usage: cargo bench -p ana-runtime --bench plot -- OUT [--reps R]");
        std::process::exit(2);
    };
    let hists: Vec<plot::Hist> = plot::load(&out)
        .expect("histograms.json")
        .into_iter()
        .filter_map(|(_, h)| h.ok())
        .collect();
    let mass = hists
        .iter()
        .find(|h| h.name == "mass")
        .expect("a histogram named mass");
    let opts = PlotOptions::default();
    for format in [Format::Png, Format::Svg] {
        let once = || {
            let t = Instant::now();
            let fig = plot::figure(mass, opts).expect("figure");
            let bytes = plot::render(&fig, format).expect("render");
            (t.elapsed(), bytes.len())
        };
        let (_, size) = once();
        let times: Vec<Duration> = (0..reps).map(|_| once().0).collect();
        println!(
            "mass ({} bins) {:?}: {:.1} ms median of {reps}, {size} bytes",
            mass.values.len().saturating_sub(2),
            format,
            median(times).as_secs_f64() * 1e3
        );
    }
    let t = Instant::now();
    for h in hists.iter().cycle().take(100) {
        let fig = plot::figure(h, opts).expect("figure");
        plot::render(&fig, Format::Png).expect("render");
    }
    println!("100 PNG figures: {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
}
