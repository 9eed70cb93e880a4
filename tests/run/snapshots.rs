//! Snapshots of every example's outputs on the shared files (histogram summaries, table
//! heads, cutflow), so that any change in results shows up in review. The values themselves
//! are proven against Python references elsewhere (`dimuon.rs`, `tests/frontend/reference.rs`).

use super::*;

/// A histogram in a few lines: axes, entries with and without flow, the fullest bins.
fn summarize_hist(h: &serde_json::Value, values: &[f64]) -> serde_json::Value {
    let axes: Vec<String> = h["axes"]
        .as_array()
        .expect("axes")
        .iter()
        .map(|a| {
            let n = a["bins"]
                .as_u64()
                .or_else(|| a["edges"].as_array().map(|e| e.len() as u64 - 1))
                .or_else(|| a["categories"].as_array().map(|c| c.len() as u64))
                .unwrap_or(0);
            format!(
                "{} {} ({n} bins)",
                a["type"].as_str().unwrap_or("?"),
                a["metadata"]["name"]
            )
        })
        .collect();
    let total: f64 = values.iter().sum();
    let mut fullest: Vec<(usize, f64)> = values.iter().copied().enumerate().collect();
    fullest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    serde_json::json!({
        "axes": axes,
        "total_with_flow": total,
        "nonzero_bins": values.iter().filter(|&&v| v != 0.0).count(),
        "fullest_flow_bins": fullest.iter().take(4).filter(|b| b.1 != 0.0)
            .map(|(i, v)| format!("{i}: {v}")).collect::<Vec<_>>(),
    })
}

/// Runs a script and summarizes its outputs.
fn run_summary(script: &str, input: &Path, extra: &[&str]) -> serde_json::Value {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("o");
    let mut args = vec!["run", script, input.to_str().expect("utf-8"), "-q"];
    args.extend(["-o", out.to_str().expect("utf-8")]);
    args.extend(extra);
    ana_ok(&args);
    let hists = read_json(&out.join("histograms.json"));
    let mut summary = serde_json::Map::new();
    for (name, h) in hists.as_object().expect("object") {
        summary.insert(
            format!("hist {name}"),
            summarize_hist(h, &hist_values(&hists, name)),
        );
    }
    summary.insert("cutflow".into(), read_json(&out.join("cutflow.json")));
    let run = read_json(&out.join("run.json"));
    for t in run["tables"].as_array().expect("tables") {
        let name = t["name"].as_str().expect("name");
        let columns = read_table(&out.join(name));
        let head: Vec<String> = (0..columns.first().map_or(0, |c| c.1.len()).min(5))
            .map(|r| {
                columns
                    .iter()
                    .map(|(n, v)| format!("{n}={:.6}", v[r]))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        summary.insert(
            format!("table {name}"),
            serde_json::json!({ "rows": t["rows"], "head": head }),
        );
    }
    serde_json::Value::Object(summary)
}

#[test]
fn dimuon_outputs() {
    let input = root().join("examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root");
    insta::assert_yaml_snapshot!(
        "dimuon_cms2012",
        run_summary("examples/dimuon.ana", &input, &[])
    );
    if let Some(nano) = shared("nanoAOD_2015_CMS_Open_Data_ttbar.root") {
        insta::assert_yaml_snapshot!(
            "dimuon_nanoaod",
            run_summary("examples/dimuon.ana", &nano, &[])
        );
    }
}

#[test]
fn adl_outputs() {
    let synth = root().join("tests/data/adl_synth_20k.root");
    let nano = shared("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    for q in 1..=8 {
        let script = format!("examples/adl/q{q}.ana");
        insta::assert_yaml_snapshot!(
            format!("adl_q{q}_synthetic"),
            run_summary(&script, &synth, &[])
        );
        if let Some(nano) = &nano {
            let set: &[&str] = if q == 6 {
                &["--set", "btag=Jet_btagDeepB"]
            } else {
                &[]
            };
            insta::assert_yaml_snapshot!(
                format!("adl_q{q}_nanoaod"),
                run_summary(&script, nano, set)
            );
        }
    }
}
