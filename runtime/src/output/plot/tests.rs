//! Figures of every axis and storage kind the UHI writer (`output::uhi`) writes, read back
//! from its JSON; what has no figure says why; text in PNGs comes from the embedded face.

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

use ana_compiler::abi::HistBuffer;
use ana_compiler::graph::{Axis, AxisKind, HistSpec, Storage};
use serde_json::json;

use super::*;

fn axis(name: &str, kind: AxisKind) -> Axis {
    Axis {
        name: name.into(),
        label: format!("{name} label"),
        kind,
    }
}

fn kinds() -> Vec<AxisKind> {
    vec![
        AxisKind::Regular {
            bins: 4,
            lo: 0.0,
            hi: 2.0,
        },
        AxisKind::Log {
            bins: 5,
            lo: 0.5,
            hi: 500.0,
        },
        AxisKind::Variable {
            edges: vec![0.0, 1.0, 5.0, 20.0],
        },
        AxisKind::Integer { lo: -1, hi: 3 },
        AxisKind::Category {
            values: vec![11, 13],
        },
        AxisKind::Category { values: vec![] },
        AxisKind::StrCategory {
            values: vec!["ee".into(), "mumu".into()],
            ids: vec![0, 1],
        },
    ]
}

/// The writer's JSON of a histogram whose bin k holds k % 7 (NaN every 11th bin).
fn written(spec: &HistSpec) -> serde_json::Value {
    let sumw: Vec<f64> = (0..spec.size())
        .map(|k| {
            if k % 11 == 10 {
                f64::NAN
            } else {
                (k % 7) as f64
            }
        })
        .collect();
    let mean = spec.storage.is_mean();
    let buf = HistBuffer {
        sumw2: spec
            .storage
            .has_sumw2()
            .then(|| sumw.iter().map(|w| w * 0.5).collect()),
        sumwx: mean.then(|| sumw.iter().map(|w| w * 3.0).collect()),
        sumwx2: mean.then(|| sumw.iter().map(|w| w * 10.0).collect()),
        sumw,
    };
    crate::output::hist_json(spec, &buf)
}

#[test]
fn every_written_kind_has_a_figure_in_both_formats() {
    let kinds = kinds();
    let mut specs = Vec::new();
    for (i, a) in kinds.iter().enumerate() {
        for storage in [Storage::Double, Storage::Weighted] {
            specs.push(HistSpec {
                name: format!("h{i}"),
                axes: vec![axis("a", a.clone())],
                storage,
            });
            for b in &kinds {
                specs.push(HistSpec {
                    name: format!("h{i}_2d"),
                    axes: vec![axis("a", a.clone()), axis("b", b.clone())],
                    storage,
                });
            }
        }
    }
    for spec in &specs {
        let h = read_hist(&spec.name, &written(spec)).expect("readable");
        assert_eq!(h.values.len(), spec.size(), "{spec:?}");
        let fig = figure(&h, PlotOptions::default()).expect("a figure");
        let cats = spec
            .axes
            .iter()
            .filter(|a| {
                matches!(
                    a.kind,
                    AxisKind::Category { .. } | AxisKind::StrCategory { .. }
                )
            })
            .count();
        let want = match (spec.axes.len(), cats) {
            (1, _) => FigureKind::Steps,
            (_, 1) => FigureKind::Overlay,
            _ => FigureKind::Map,
        };
        assert_eq!(fig.kind, want, "{spec:?}");
        for format in [Format::Png, Format::Svg] {
            let bytes = render(&fig, format).expect("renders");
            assert!(bytes.len() > 1000, "{spec:?} {format:?}");
        }
        let logy = figure(
            &h,
            PlotOptions {
                logy: true,
                density: true,
            },
        )
        .expect("a figure");
        render(&logy, Format::Svg).expect("renders");
    }
}

#[test]
fn log_axes_read_back_as_log_scales() {
    let spec = HistSpec {
        name: "mass".into(),
        axes: vec![axis(
            "m",
            AxisKind::Log {
                bins: 1000,
                lo: 0.2,
                hi: 200.0,
            },
        )],
        storage: Storage::Double,
    };
    let fig = figure(
        &read_hist("mass", &written(&spec)).expect("read"),
        PlotOptions::default(),
    )
    .expect("figure");
    assert!(fig.x.log && !fig.y.log);
    assert!((fig.x.lo - 0.2).abs() < 1e-12 && (fig.x.hi - 200.0).abs() < 1e-9);
    let labels: Vec<&str> = fig.x.ticks.major.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(labels, ["1", "10", "100"]);
    assert_eq!(fig.series[0].bins.len(), 1000);
    // Every 11th bin is NaN: not drawn, and said so.
    assert_eq!(fig.series[0].drawn_bins, 1000 - 91);
    assert!(
        fig.notes.iter().any(|n| n.contains("91 bins")),
        "{:?}",
        fig.notes
    );
}

#[test]
fn stat_box_and_flow_notes() {
    let h = read_hist(
        "x",
        &json!({
            "axes": [{"type": "regular", "lower": 0.0, "upper": 4.0, "bins": 4,
                      "underflow": true, "overflow": true, "metadata": {"name": "x"}}],
            "storage": {"type": "double", "values": [2.0, 1.0, 0.0, 0.0, 3.0, 5.0]},
        }),
    )
    .expect("read");
    let fig = figure(&h, PlotOptions::default()).expect("figure");
    // Entries count flow bins; mean and std the in-range bins' centres (0.5 once, 3.5 thrice).
    assert_eq!(
        fig.stats,
        [
            ("Entries".to_string(), "11".to_string()),
            ("Mean".into(), "2.750".into()),
            ("Std Dev".into(), "1.299".into())
        ]
    );
    assert_eq!(fig.notes, ["underflow 2, overflow 5"]);
    assert_eq!(fig.y.title, "Events");
    let dens = figure(
        &h,
        PlotOptions {
            logy: false,
            density: true,
        },
    )
    .expect("figure");
    assert_eq!(dens.y.title, "Events / bin width");
}

#[test]
fn means_are_drawn_with_the_error_of_the_mean() {
    let h = read_hist(
        "m",
        &json!({
            "axes": [{"type": "category_str", "categories": ["a<b", "b"], "flow": false,
                      "metadata": {"name": "sample"}}],
            "storage": {"type": "mean", "counts": [4.0, 0.0], "values": [3.0, 0.0],
                        "variances": [16.0, 0.0]},
        }),
    )
    .expect("read");
    let fig = figure(&h, PlotOptions::default()).expect("figure");
    assert_eq!(fig.y.title, "Mean");
    let b = &fig.series[0].bins;
    assert_eq!((b[0].value, b[0].err), (3.0, 2.0));
    // A bin without fills has no mean: not drawn.
    assert!(b[1].value.is_nan());
    let labels: Vec<&str> = fig.x.ticks.major.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(labels, ["a<b", "b"]);
    // Category names are text in the SVG, escaped.
    let svg = String::from_utf8(render(&fig, Format::Svg).expect("svg")).expect("utf-8");
    assert!(
        svg.contains(">\na&lt;b\n</text>"),
        "category label not escaped"
    );
}

#[test]
fn what_has_no_figure_says_why() {
    let reg = json!({"type": "regular", "lower": 0.0, "upper": 1.0, "bins": 1,
                     "underflow": false, "overflow": false, "metadata": {}});
    let three = json!({
        "axes": [reg, reg, reg],
        "storage": {"type": "double", "values": [[[1.0]]]},
    });
    let h = read_hist("h", &three).expect("read");
    let why = figure(&h, PlotOptions::default()).expect_err("no figure");
    assert!(why.contains("3 axes"), "{why}");
    let mean2d = json!({
        "axes": [reg, reg],
        "storage": {"type": "mean", "counts": [[1.0]], "values": [[1.0]], "variances": [[0.0]]},
    });
    let why = figure(
        &read_hist("h", &mean2d).expect("read"),
        PlotOptions::default(),
    )
    .expect_err("no figure");
    assert!(why.contains("2D histogram of means"), "{why}");
    let bad = [
        (json!({"storage": {}}), "no `axes`"),
        (
            json!({"axes": [reg], "storage": {"type": "double", "values": [1.0, 2.0]}}),
            "2 values where the axes have 1",
        ),
        (
            json!({"axes": [reg], "storage": {"type": "double", "values": ["x"]}}),
            "not a number",
        ),
        (
            json!({"axes": [reg], "storage": {"type": "weighted", "values": [1.0]}}),
            "no `variances`",
        ),
        (
            json!({"axes": [reg], "storage": {"type": "atomic", "values": [1.0]}}),
            "storage type \"atomic\"",
        ),
        (
            json!({"axes": [{"type": "variable", "edges": [1.0, 0.0]}], "storage": {}}),
            "not increasing",
        ),
        (
            json!({"axes": [{"type": "regular", "lower": 1.0, "upper": 0.0, "bins": 2}], "storage": {}}),
            "regular axis from 1 to 0",
        ),
        (
            json!({"axes": [{"type": "polar"}], "storage": {}}),
            "axis type \"polar\"",
        ),
        (
            json!({"axes": [{"type": "regular", "lower": 0.0, "upper": 1.0,
                             "bins": 1_000_000_000_000u64}], "storage": {}}),
            "more than the 10000000",
        ),
    ];
    for (h, want) in bad {
        let why = read_hist("h", &h).expect_err("unreadable");
        assert!(why.contains(want), "{why} lacks {want}");
    }
}

/// SVG keeps text as `<text>`; PNG text comes from the compiled-in face (no system font is
/// looked up), so the x title's corner of the image has dark pixels.
#[test]
fn text_in_svg_and_png() {
    let spec = HistSpec {
        name: "pt".into(),
        axes: vec![axis(
            "pt",
            AxisKind::Regular {
                bins: 10,
                lo: 0.0,
                hi: 100.0,
            },
        )],
        storage: Storage::Double,
    };
    let fig = figure(
        &read_hist("pt", &written(&spec)).expect("read"),
        PlotOptions::default(),
    )
    .expect("figure");
    let svg = String::from_utf8(render(&fig, Format::Svg).expect("svg")).expect("utf-8");
    for text in ["pt label", "Events", "Entries", "100"] {
        assert!(
            svg.contains(&format!(">\n{text}\n</text>")),
            "no <text> {text}"
        );
    }
    assert!(svg.contains("font-family=\"DejaVu Sans, sans-serif\""));
    assert!(!svg.contains("<path"), "text drawn as outlines");
    let png = render(&fig, Format::Png).expect("png");
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().expect("png header");
    let mut rgb = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut rgb).expect("png data");
    assert_eq!((info.width, info.height), (800, 600));
    // The x title sits right-aligned under the frame, bottom right.
    let dark = (560..790)
        .flat_map(|x| (560..600).map(move |y| (x, y)))
        .filter(|&(x, y)| {
            let i = 3 * (y * 800 + x);
            rgb[i..i + 3].iter().map(|&c| u32::from(c)).sum::<u32>() < 200
        })
        .count();
    assert!(dark > 50, "only {dark} dark pixels where the x title is");
}

#[test]
fn many_categories_keep_the_legend_short() {
    let spec = HistSpec {
        name: "by_run".into(),
        axes: vec![
            axis(
                "run",
                AxisKind::Category {
                    values: (0..30).collect(),
                },
            ),
            axis(
                "pt",
                AxisKind::Regular {
                    bins: 5,
                    lo: 0.0,
                    hi: 50.0,
                },
            ),
        ],
        storage: Storage::Double,
    };
    let fig = figure(
        &read_hist("by_run", &written(&spec)).expect("read"),
        PlotOptions::default(),
    )
    .expect("figure");
    assert_eq!(fig.kind, FigureKind::Overlay);
    assert_eq!(fig.series.len(), 30);
    assert_eq!(fig.stats.len(), 12);
    assert!(
        fig.notes
            .iter()
            .any(|n| n == "18 more categories drawn, not in the legend"),
        "{:?}",
        fig.notes
    );
    render(&fig, Format::Png).expect("renders");
}

/// Histogram names are JSON keys, which may hold anything; file names may not.
#[test]
fn names_become_safe_file_names() {
    assert_eq!(file_stem("mass"), "mass");
    assert_eq!(file_stem("a/../b c"), "a_.._b_c");
    assert_eq!(file_stem(".."), "__");
    assert_eq!(file_stem(".hidden"), "hidden");
    assert_eq!(file_stem(""), "_");
    assert_eq!(file_stem("µ_pt"), "µ_pt");
}

/// Flow bins of each axis of a 2D histogram are summed along that axis (a category axis
/// first: its "other" bin is the last row; the numeric axis's overflow the last column).
#[test]
fn overlay_flow_notes_name_their_axis() {
    let h = read_hist(
        "h",
        &json!({
            "axes": [
                {"type": "category_int", "categories": [1, 2], "flow": true,
                 "metadata": {"name": "c", "label": "sample"}},
                {"type": "regular", "lower": 0.0, "upper": 2.0, "bins": 2,
                 "underflow": true, "overflow": true, "metadata": {"name": "x", "label": "x"}},
            ],
            "storage": {"type": "double", "values": [
                [0.0, 1.0, 2.0, 5.0],
                [0.0, 4.0, 4.0, 0.0],
                [1.0, 2.0, 0.0, 0.0],
            ]},
        }),
    )
    .expect("read");
    let fig = figure(&h, PlotOptions::default()).expect("figure");
    assert_eq!(fig.kind, FigureKind::Overlay);
    assert_eq!(
        fig.notes,
        ["other categories 3 (sample)", "underflow 1, overflow 5 (x)"]
    );
    assert_eq!(
        fig.stats,
        [
            ("sample 1".to_string(), "8".to_string()),
            ("sample 2".into(), "8".into())
        ]
    );
    let heights: Vec<f64> = fig.series[1].bins.iter().map(|b| b.value).collect();
    assert_eq!(heights, [4.0, 4.0]);
}

/// Profiles as the writer writes them (`mean`, `weighted_mean` storage) are drawn in 1D.
#[test]
fn written_profiles_are_drawn() {
    for storage in [Storage::Mean, Storage::WeightedMean] {
        let spec = HistSpec {
            name: "p".into(),
            axes: vec![axis("a", kinds()[0].clone())],
            storage,
        };
        let h = read_hist(&spec.name, &written(&spec)).expect("readable");
        let fig = figure(&h, PlotOptions::default()).expect("a figure");
        assert_eq!(fig.kind, FigureKind::Steps, "{storage:?}");
        assert_eq!(fig.y.title, "Mean");
    }
}
