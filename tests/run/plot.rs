//! `ana plot` and `ana run --plot`: every example's histograms as PNG and SVG, the figures'
//! descriptions (axes, scales, ticks, titles, drawn bins, stat box, notes) as snapshots, the
//! SVG's text checked against them; bad input gives clear errors.

use std::path::Path;

use ana_runtime::output::plot::{self, PlotOptions};

use super::*;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A PNG's width and height, from its header.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is no PNG",
        path.display()
    );
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    (be(16), be(20))
}

/// Runs a script with `--plot` (PNGs), then `ana plot --format svg`; checks both files of
/// every histogram and returns the figures' descriptions. Every title and tick label of a
/// description is a `<text>` of its SVG.
fn figures(script: &str, input: &Path, extra: &[&str]) -> serde_json::Value {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("o");
    let o = out.to_str().expect("utf-8");
    let mut args = vec![
        "run",
        script,
        input.to_str().expect("utf-8"),
        "-q",
        "--plot",
    ];
    args.extend(["-o", o]);
    args.extend(extra);
    ana_ok(&args);
    ana_ok(&["plot", o, "--format", "svg", "-q"]);
    let mut described = serde_json::Map::new();
    for (name, hist) in plot::load(&out).expect("histograms") {
        let fig = plot::figure(&hist.expect("readable"), PlotOptions::default())
            .unwrap_or_else(|why| panic!("{name}: no figure: {why}"));
        assert_eq!(png_size(&out.join(format!("plots/{name}.png"))), (800, 600));
        let svg = std::fs::read_to_string(out.join(format!("plots/{name}.svg"))).expect("svg");
        let mut texts = vec![fig.name.clone(), fig.x.title.clone(), fig.y.title.clone()];
        texts.extend(fig.x.ticks.major.iter().map(|t| t.label.clone()));
        texts.extend(fig.y.ticks.major.iter().map(|t| t.label.clone()));
        texts.extend(fig.stats.iter().flat_map(|(k, v)| [k.clone(), v.clone()]));
        texts.extend(fig.notes.iter().cloned());
        for t in texts {
            assert!(
                svg.contains(&format!(">\n{t}\n</text>")),
                "{name}.svg has no <text> {t:?}"
            );
        }
        described.insert(name, serde_json::to_value(&fig).expect("serializable"));
    }
    serde_json::Value::Object(described)
}

#[test]
fn dimuon_figures() {
    let input = root().join("examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root");
    let figs = figures("examples/dimuon.ana", &input, &[]);
    // The notebook's mass plot: a log x axis from 0.2 to 200 GeV, labelled at the decades.
    let mass = &figs["mass"];
    assert_eq!(mass["x"]["log"], true);
    assert_eq!(mass["x"]["title"], "Di-muon invariant mass");
    assert_eq!(mass["x"]["lo"], 0.2);
    let labels: Vec<&str> = mass["x"]["ticks"]["major"]
        .as_array()
        .expect("ticks")
        .iter()
        .map(|t| t["label"].as_str().expect("label"))
        .collect();
    assert_eq!(labels, ["1", "10", "100"]);
    assert_eq!(mass["y"]["log"], false);
    assert_eq!(mass["y"]["title"], "Events");
    assert_eq!(figs["nMuons"]["x"]["log"], false);
    insta::assert_yaml_snapshot!("plot_dimuon", figs);
}

#[test]
fn adl_figures() {
    let synth = root().join("tests/data/adl_synth_20k.root");
    for q in 1..=8 {
        let script = format!("examples/adl/q{q}.ana");
        insta::assert_yaml_snapshot!(format!("plot_adl_q{q}"), figures(&script, &synth, &[]));
    }
}

/// An earlier run's output folder, for the error cases.
fn dimuon_out(dir: &Path) -> PathBuf {
    let out = dir.join("o");
    ana_ok(&[
        "run",
        "examples/dimuon.ana",
        "-q",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    out
}

#[test]
fn plot_options_choose_histograms_folder_and_scale() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = dimuon_out(tmp.path());
    let figs = tmp.path().join("figs");
    let run = ana_ok(&[
        "plot",
        out.to_str().expect("utf-8"),
        "--hist",
        "nMuons",
        "-o",
        figs.to_str().expect("utf-8"),
        "--logy",
    ]);
    let names: Vec<_> = std::fs::read_dir(&figs)
        .expect("figs")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["nMuons.png"]);
    assert!(!out.join("plots").exists());
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("nMuons.png"),
        "the written file is named"
    );
    let svg = ana_ok(&[
        "plot",
        out.to_str().expect("utf-8"),
        "--hist",
        "mass",
        "--format",
        "svg",
        "--logy",
        "--density",
        "-q",
    ]);
    assert!(svg.stdout.is_empty(), "-q prints nothing");
    let text = std::fs::read_to_string(out.join("plots/mass.svg")).expect("svg");
    assert!(text.contains(">\nEvents / bin width\n</text>"));
}

#[test]
fn bad_plot_input_gives_clear_errors() {
    let tmp = tempfile::tempdir().expect("tmp");
    let missing = tmp.path().join("nowhere");
    let r = ana(&["plot", missing.to_str().expect("utf-8")]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("does not exist"), "{}", stderr(&r));

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let r = ana(&["plot", empty.to_str().expect("utf-8")]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("has no histograms.json"),
        "{}",
        stderr(&r)
    );

    let out = dimuon_out(tmp.path());
    let o = out.to_str().expect("utf-8");
    let r = ana(&["plot", o, "--hist", "masss"]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("no histogram named \"masss\"") && stderr(&r).contains("mass, nMuons"),
        "{}",
        stderr(&r)
    );
    assert!(
        !out.join("plots").exists(),
        "nothing drawn on a usage error"
    );

    let r = ana(&["plot", o, "--format", "pdf"]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("--format pdf is not supported"),
        "{}",
        stderr(&r)
    );

    let hists = out.join("histograms.json");
    let text = std::fs::read_to_string(&hists).expect("json");
    std::fs::write(&hists, &text[..text.len() / 2]).expect("truncate");
    let r = ana(&["plot", o]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("histograms.json is not UHI histogram JSON")
            && stderr(&r).contains("line"),
        "{}",
        stderr(&r)
    );

    // A histogram without a figure is named with the reason; the others are drawn.
    let reg = serde_json::json!({"type": "regular", "lower": 0.0, "upper": 1.0, "bins": 1,
        "underflow": false, "overflow": false, "metadata": {"name": "x"}});
    let h1 = serde_json::json!({"axes": [reg], "storage": {"type": "double", "values": [1.0]}});
    let h3 = serde_json::json!({"axes": [reg, reg, reg],
        "storage": {"type": "double", "values": [[[1.0]]]}});
    let broken = serde_json::json!({"axes": [reg], "storage": {"type": "double", "values": []}});
    let doc = serde_json::json!({"one": h1, "cube": h3, "broken": broken});
    std::fs::write(&hists, doc.to_string()).expect("write");
    let r = ana(&["plot", o]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("warning: cube not plotted: it has 3 axes"),
        "{}",
        stderr(&r)
    );
    assert!(
        stderr(&r).contains(
            "warning: broken not plotted: storage `values`: 0 values where the axes have 1"
        ),
        "{}",
        stderr(&r)
    );
    assert_eq!(png_size(&out.join("plots/one.png")), (800, 600));
    assert!(!out.join("plots/cube.png").exists());

    std::fs::write(&hists, "{}").expect("write");
    let r = ana(&["plot", o]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("holds no histogram: nothing to plot"),
        "{}",
        stderr(&r)
    );
}
