//! `ana inspect FILE.root [--json] [--tree T --branch B ... --entries A:B]`.
//!
//! Input: a ROOT file and flags. Output: the trees with their branches (type, counter of a
//! jagged branch, baskets, sizes, compression; long names cut), or the values of branches per entry, as text
//! or JSON. Exit 1 for unreadable files, 2 for usage errors (bad flags, a missing file).

use std::fmt::Write as _;
use std::ops::Range;
use std::path::PathBuf;

use ana_compiler::abi::{ColumnData, InputColumn};
use ana_runtime::root::{BranchInfo, RootFile, Tree, Values};
use serde_json::{Value, json};

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// The ROOT file.
    pub file: PathBuf,
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
    /// The tree whose branch values to print.
    #[arg(long)]
    pub tree: Option<String>,
    /// A branch whose values to print (repeatable).
    #[arg(long = "branch")]
    pub branches: Vec<String>,
    /// Entry range A:B (half-open; either side may be omitted).
    #[arg(long)]
    pub entries: Option<String>,
}

fn usage(msg: String, help: &str) -> Failure {
    Failure::Usage(miette::miette!(help = help.to_string(), "{msg}"))
}

pub fn main(args: Args) -> Result<(), Failure> {
    // A missing file or a broken link is named here; something that is there but not a file
    // (a FIFO, a device, a folder) is named by kind when opened.
    let remote = ana_runtime::remote::is_url(&args.file.display().to_string());
    if let Some(why) = crate::input::unusable(&args.file).filter(|_| !remote) {
        return Err(usage(
            format!("{}{why}", args.file.display()),
            "give the path of a ROOT file",
        ));
    }
    let range = args.entries.as_deref().map(parse_range).transpose()?;
    let file =
        RootFile::open(&args.file).map_err(|e| Failure::Error(Some(miette::miette!("{e}"))))?;
    let err = |e: ana_runtime::root::RootError| Failure::Error(Some(miette::miette!("{e}")));
    if args.branches.is_empty() {
        if range.is_some() {
            return Err(usage(
                "--entries needs --branch".into(),
                "add --branch B for the values to print",
            ));
        }
        let names = match &args.tree {
            Some(t) => vec![t.clone()],
            None => file.tree_names(),
        };
        let trees = names
            .iter()
            .map(|n| file.tree(n))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        return crate::out::print(&if args.json {
            listing_json(&file, &trees)
        } else {
            listing_text(&file, &trees)
        });
    }
    let tree_name = match &args.tree {
        Some(t) => t.clone(),
        None => match file.tree_names().as_slice() {
            [one] => one.clone(),
            // Nothing to read: let `tree` explain, exit 1.
            [] => String::new(),
            names => {
                return Err(usage(
                    format!(
                        "{}: which tree? the file has {}",
                        file.path(),
                        names.join(", ")
                    ),
                    "name one with --tree",
                ));
            }
        },
    };
    let tree = file.tree(&tree_name).map_err(err)?;
    let n = tree.entries();
    let (a, b) = range.unwrap_or((None, None));
    let end = b.unwrap_or(n).min(n);
    let range = a.unwrap_or(0).min(end)..end;
    let mut columns = Vec::new();
    for b in &args.branches {
        columns.push((b.as_str(), tree.read_values(b, range.clone()).map_err(err)?));
    }
    if args.json {
        let values: serde_json::Map<String, Value> = columns
            .iter()
            .map(|(b, v)| {
                (
                    b.to_string(),
                    Value::Array(entries_json(v, range.end - range.start)),
                )
            })
            .collect();
        let out = json!({"tree": tree.name(), "values": values});
        crate::out::print(&(serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"))
    } else {
        crate::out::print(&values_text(&tree, &columns, range))
    }
}

/// `A:B`, `A:`, `:B`, `:` or a single entry `A`.
fn parse_range(s: &str) -> Result<(Option<u64>, Option<u64>), Failure> {
    let bad = || {
        usage(
            format!("bad entry range {s:?}"),
            "write A:B (half-open), A:, :B or A",
        )
    };
    let num = |t: &str| -> Result<Option<u64>, Failure> {
        let t = t.trim();
        if t.is_empty() {
            Ok(None)
        } else {
            t.parse().map(Some).map_err(|_| bad())
        }
    };
    match s.split_once(':') {
        Some((a, b)) => Ok((num(a)?, num(b)?)),
        None => {
            let a = num(s)?.ok_or_else(bad)?;
            Ok((Some(a), Some(a.saturating_add(1))))
        }
    }
}

fn size(bytes: i64) -> String {
    let b = bytes as f64;
    if bytes < 1_000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{:.1} kB", b / 1e3)
    } else if bytes < 1_000_000_000 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.2} GB", b / 1e9)
    }
}

/// Names longer than this are cut with `…` (NanoAOD has names of 83 characters), so that a
/// row fits a terminal, as uproot's `show()` does.
const NAME_WIDTH: usize = 40;

fn cut(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return name.to_string();
    }
    let mut out: String = name.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Compressed bytes of a branch: its baskets in keys of their own, and "in tree" for baskets
/// embedded in the tree object, whose compressed share cannot be told apart.
fn compressed(b: &BranchInfo) -> String {
    match (b.embedded_baskets, b.zip_bytes) {
        (0, z) => size(z),
        (_, 0) => "in tree".to_string(),
        (_, z) => format!("{} + in tree", size(z)),
    }
}

fn branch_row(b: &BranchInfo) -> [String; 7] {
    let uncompressed = b
        .tot_bytes
        .saturating_add(i64::try_from(b.embedded_bytes).unwrap_or(0));
    [
        cut(&b.name, NAME_WIDTH),
        if b.elem.is_some() {
            b.type_name.clone()
        } else {
            format!("{} (unsupported)", b.type_name)
        },
        b.counter.clone().unwrap_or_default(),
        b.baskets.to_string(),
        size(uncompressed),
        compressed(b),
        b.codec.map(|c| c.name().to_string()).unwrap_or_default(),
    ]
}

fn listing_text(file: &RootFile, trees: &[Tree]) -> String {
    let mut out = String::new();
    for t in trees {
        let (kind, parts) = if t.is_rntuple() {
            ("RNTuple, ", "pages")
        } else {
            ("", "baskets")
        };
        let _ = writeln!(out, "{} ({kind}{} entries)", t.name(), t.entries());
        let head = [
            "name",
            "type",
            "counter",
            parts,
            "uncompressed",
            "compressed",
            "compression",
        ];
        let branches = t.branches();
        let rows: Vec<[String; 7]> = branches.iter().map(branch_row).collect();
        let mut w = head.map(str::len);
        for r in &rows {
            for (wk, c) in w.iter_mut().zip(r) {
                *wk = (*wk).max(c.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let s: Vec<String> = cells
                .iter()
                .zip(&w)
                .map(|(c, &width)| format!("{c:<width$}"))
                .collect();
            s.join(" | ").trim_end().to_string()
        };
        let _ = writeln!(out, "{}", line(&head.map(String::from)));
        let _ = writeln!(
            out,
            "{}",
            w.iter()
                .map(|&n| "-".repeat(n))
                .collect::<Vec<_>>()
                .join("-+-")
        );
        for r in &rows {
            let _ = writeln!(out, "{}", line(r));
        }
        let embedded = branches.iter().filter(|b| b.embedded_baskets > 0).count();
        if embedded > 0 {
            let r = t.record();
            let _ = writeln!(
                out,
                "in tree: {embedded} of {} branches keep baskets inside the tree object (written \
                 before they were flushed\n  to keys of their own), compressed with the \
                 branches' metadata: {} uncompressed, {} on file ({})",
                branches.len(),
                size(i64::try_from(r.uncompressed_bytes).unwrap_or(i64::MAX)),
                size(i64::try_from(r.compressed_bytes).unwrap_or(i64::MAX)),
                r.codec.name()
            );
        }
        out.push('\n');
    }
    if trees.is_empty() {
        let _ = writeln!(out, "{}: no TTrees or RNTuples", file.path());
    }
    out
}

fn listing_json(file: &RootFile, trees: &[Tree]) -> String {
    let trees: Vec<Value> = trees
        .iter()
        .map(|t| {
            let branches: Vec<Value> = t
                .branches()
                .iter()
                .map(|b| {
                    json!({
                        "name": b.name,
                        "type": b.type_name,
                        "supported": b.elem.is_some(),
                        "jagged": b.jagged,
                        "counter": b.counter,
                        "entries": b.entries,
                        "baskets": b.baskets,
                        "uncompressed_bytes": b.tot_bytes,
                        "compressed_bytes": b.zip_bytes,
                        "embedded_baskets": b.embedded_baskets,
                        "embedded_bytes": b.embedded_bytes,
                        "compression": b.codec.map(|c| c.name()),
                    })
                })
                .collect();
            let r = t.record();
            json!({
                "name": t.name(),
                "format": if t.is_rntuple() { "RNTuple" } else { "TTree" },
                "entries": t.entries(),
                "record": {
                    "compression": r.codec.name(),
                    "compressed_bytes": r.compressed_bytes,
                    "uncompressed_bytes": r.uncompressed_bytes,
                },
                "branches": branches,
            })
        })
        .collect();
    let out = json!({"trees": trees, "rntuples": file.rntuple_names()});
    serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"
}

/// Value `i` of a column as JSON: shortest round-trip form for floats (f32 as f32),
/// non-finite floats as the strings "nan", "inf", "-inf". (`null` past the end, which the
/// reader's consistent offsets never ask for.)
fn value_json(d: &ColumnData, i: usize) -> Value {
    fn float(s: String) -> Value {
        match s.parse::<f64>() {
            Ok(f) if f.is_finite() => json!(f),
            _ => Value::String(s.to_lowercase()),
        }
    }
    fn at<T: Copy>(v: &[T], i: usize, f: impl Fn(T) -> Value) -> Value {
        v.get(i).map_or(Value::Null, |&x| f(x))
    }
    match d {
        ColumnData::Bool(v) => at(v, i, |x| json!(x)),
        ColumnData::I8(v) => at(v, i, |x| json!(x)),
        ColumnData::U8(v) => at(v, i, |x| json!(x)),
        ColumnData::I16(v) => at(v, i, |x| json!(x)),
        ColumnData::U16(v) => at(v, i, |x| json!(x)),
        ColumnData::I32(v) => at(v, i, |x| json!(x)),
        ColumnData::U32(v) => at(v, i, |x| json!(x)),
        ColumnData::I64(v) => at(v, i, |x| json!(x)),
        ColumnData::U64(v) => at(v, i, |x| json!(x)),
        ColumnData::F32(v) => at(v, i, |x| float(format!("{x}"))),
        ColumnData::F64(v) => at(v, i, |x| float(format!("{x}"))),
    }
}

fn list(d: &ColumnData, r: Range<u32>) -> Value {
    Value::Array(
        (r.start as usize..r.end as usize)
            .map(|i| value_json(d, i))
            .collect(),
    )
}

/// One JSON value per entry: a number, a list, or a list of lists.
fn entries_json(v: &Values, n: u64) -> Vec<Value> {
    let n = n as usize;
    match v {
        Values::Column(InputColumn {
            data,
            offsets: None,
        }) => (0..n.min(data.len()))
            .map(|i| value_json(data, i))
            .collect(),
        Values::Column(InputColumn {
            data,
            offsets: Some(o),
        }) => o
            .iter()
            .zip(o.iter().skip(1))
            .map(|(&a, &z)| list(data, a..z))
            .collect(),
        Values::Nested(nv) => nv
            .outer
            .iter()
            .zip(nv.outer.iter().skip(1))
            .map(|(&a, &z)| {
                let inner = nv.inner.get(a as usize..=z as usize).unwrap_or_default();
                Value::Array(
                    inner
                        .iter()
                        .zip(inner.iter().skip(1))
                        .map(|(&b, &e)| list(&nv.data, b..e))
                        .collect(),
                )
            })
            .collect(),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Array(a) => format!("[{}]", a.iter().map(text).collect::<Vec<_>>().join(", ")),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn values_text(tree: &Tree, columns: &[(&str, Values)], range: Range<u64>) -> String {
    let n = range.end - range.start;
    let cols: Vec<Vec<String>> = columns
        .iter()
        .map(|(_, v)| entries_json(v, n).iter().map(text).collect())
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} entries {}..{} of {}",
        tree.name(),
        range.start,
        range.end,
        tree.entries()
    );
    let mut head = vec!["entry".to_string()];
    head.extend(columns.iter().map(|(b, _)| b.to_string()));
    let mut rows = vec![head];
    for i in 0..n as usize {
        let mut r = vec![(range.start + i as u64).to_string()];
        r.extend(cols.iter().map(|c| c.get(i).cloned().unwrap_or_default()));
        rows.push(r);
    }
    let mut w = vec![0usize; columns.len() + 1];
    for r in &rows {
        for (wk, c) in w.iter_mut().zip(r) {
            *wk = (*wk).max(c.len());
        }
    }
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&w)
            .map(|(c, &width)| format!("{c:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}
