//! Stable text dumps of a graph: one line per node (for `ana graph` and snapshot tests), and
//! Graphviz DOT where shared work visibly appears once.
//!
//! Input: any graph (valid or not: the dump never indexes out of range). Output: text that
//! depends only on the graph, so snapshots are stable.

use std::fmt::Write;

use crate::graph::*;

/// One header line per branch, histogram, table, region and cutflow, then one line per node:
/// `%7 = mul f64[%2] %5, %5   # z.px` (`[%2]`: one value per element of space %2).
pub fn text(graph: &Graph) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "tree {}", graph.tree);
    for (i, b) in graph.branches.iter().enumerate() {
        let _ = writeln!(
            out,
            "branch #{i} {}: {:?}{}",
            b.name,
            b.phys,
            if b.jagged { "[]" } else { "" }
        );
    }
    for (i, h) in graph.hists.iter().enumerate() {
        let axes: Vec<String> = h.axes.iter().map(axis).collect();
        let _ = writeln!(
            out,
            "hist #{i} {}: {} ({:?})",
            h.name,
            axes.join(" x "),
            h.storage
        );
    }
    for (i, t) in graph.tables.iter().enumerate() {
        let cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| {
                if c.list {
                    format!("{:?} list<{:?}>", c.name, c.dtype)
                } else {
                    format!("{:?} {:?}", c.name, c.dtype)
                }
            })
            .collect();
        let _ = writeln!(out, "table #{i} {}: {}", t.name, cols.join(", "));
    }
    for (i, r) in graph.regions.iter().enumerate() {
        let _ = writeln!(out, "region #{i} {}: %{}", r.name, r.mask.0);
    }
    for (i, c) in graph.cutflows.iter().enumerate() {
        let weight = c
            .weight
            .as_ref()
            .map_or(String::new(), |w| format!(" weight {w}"));
        let _ = writeln!(
            out,
            "cutflow #{i} {}: {}{weight}",
            c.name,
            c.regions.join(", ")
        );
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        let (op, args) = describe(graph, node);
        let mut line = if node.is_sink() {
            format!("{op} {args}")
        } else {
            format!(
                "%{i} = {op} {}{}{}",
                ty(node),
                if args.is_empty() { "" } else { " " },
                args
            )
        };
        if let Some(h) = &node.hint {
            while line.len() < 44 {
                line.push(' ');
            }
            let _ = write!(line, "  # {h}");
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// Graphviz DOT: values as boxes, spaces as ellipses, sinks as double octagons; an edge from
/// each operand to its user.
pub fn dot(graph: &Graph) -> String {
    let mut out = String::from(
        "digraph ana {\n  rankdir=TB;\n  node [fontname=\"monospace\", fontsize=10];\n",
    );
    for (i, node) in graph.nodes.iter().enumerate() {
        let (op, args) = describe(graph, node);
        let mut label = if node.is_sink() {
            format!("{op} {args}")
        } else {
            format!("%{i} = {op} {} {args}", ty(node))
                .trim_end()
                .to_string()
        };
        if let Some(h) = &node.hint {
            let _ = write!(label, "\\n{h}");
        }
        let shape = if node.is_sink() {
            "doubleoctagon"
        } else if node.is_space() {
            "ellipse"
        } else {
            "box"
        };
        let _ = writeln!(out, "  n{i} [shape={shape}, label=\"{}\"];", escape(&label));
        for op in node.operands() {
            let _ = writeln!(out, "  n{} -> n{i};", op.0);
        }
    }
    out.push_str("}\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace("\\\\n", "\\n")
        .replace('"', "\\\"")
}

fn ty(node: &Node) -> String {
    let base = match node.ty {
        Type::Space => return "space".to_string(),
        Type::Scalar(ScalarType::Bool) => "bool".to_string(),
        Type::Scalar(ScalarType::Int) => "i64".to_string(),
        Type::Scalar(ScalarType::Float) => "f64".to_string(),
        Type::Scalar(ScalarType::Ref(s)) => format!("ref(%{})", s.0),
    };
    match node.shape {
        Shape::Event => base,
        Shape::Elem(s) => format!("{base}[%{}]", s.0),
    }
}

fn axis(a: &Axis) -> String {
    let kind = match &a.kind {
        AxisKind::Regular { bins, lo, hi } => format!("Reg({bins}, {lo:?}, {hi:?})"),
        AxisKind::Log { bins, lo, hi } => format!("Log({bins}, {lo:?}, {hi:?})"),
        AxisKind::Variable { edges } => format!("Var({edges:?})"),
        AxisKind::Integer { lo, hi } => format!("Int({lo}, {hi})"),
        AxisKind::Category { values } => format!("Cat({values:?})"),
        AxisKind::StrCategory { values, .. } => format!("Cat({values:?})"),
    };
    format!("{kind} name={:?} label={:?}", a.name, a.label)
}

fn ids(v: &[NodeId]) -> String {
    v.iter()
        .map(|n| format!("%{}", n.0))
        .collect::<Vec<_>>()
        .join(", ")
}

fn branch_name(graph: &Graph, b: BranchId) -> String {
    graph
        .branches
        .get(b.0 as usize)
        .map_or_else(|| format!("#{}", b.0), |b| b.name.clone())
}

fn lower(s: impl std::fmt::Debug) -> String {
    let s = format!("{s:?}");
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The operation's name and its operands as text.
fn describe(graph: &Graph, node: &Node) -> (String, String) {
    use NodeKind::*;
    let id = |n: &NodeId| format!("%{}", n.0);
    match &node.kind {
        Source {
            counter: Counter::Branch(b),
        } => ("source".into(), branch_name(graph, *b)),
        Source {
            counter: Counter::SizeOf(b),
        } => (
            "source".into(),
            format!("sizeof {}", branch_name(graph, *b)),
        ),
        Filter { parent, mask } => (
            "filter".into(),
            format!("{} where {}", id(parent), id(mask)),
        ),
        Sort {
            parent,
            key,
            descending,
        } => (
            "sort".into(),
            format!(
                "{} by {}{}",
                id(parent),
                id(key),
                if *descending { " desc" } else { "" }
            ),
        ),
        Combinations { parent, k } => ("combinations".into(), format!("{} k={k}", id(parent))),
        Cartesian { parents } => ("cartesian".into(), ids(parents)),
        Concat { parents } => ("concat".into(), ids(parents)),
        Const(Literal::Bool(b)) => ("const".into(), b.to_string()),
        Const(Literal::Int(i)) => ("const".into(), i.to_string()),
        Const(Literal::Float(f)) => ("const".into(), format!("{f:?}")),
        Const(Literal::Str(i)) => (
            "const".into(),
            format!(
                "{:?}",
                usize::try_from(*i)
                    .ok()
                    .and_then(|i| graph.strings.get(i))
                    .map_or("?", String::as_str)
            ),
        ),
        LoadEvent { branch } => ("load".into(), branch_name(graph, *branch)),
        LoadElem { branch, .. } => ("load".into(), branch_name(graph, *branch)),
        Broadcast { value, .. } => ("broadcast".into(), id(value)),
        ParentIndex { space, parent } => {
            ("parent_index".into(), format!("{} #{parent}", id(space)))
        }
        SelfIndex { space } => ("self_index".into(), id(space)),
        Gather { index, value } => ("gather".into(), format!("{} at {}", id(value), id(index))),
        Unary { op, arg } => (lower(op), id(arg)),
        Binary { op, lhs, rhs } => (lower(op), format!("{}, {}", id(lhs), id(rhs))),
        Select { cond, then, else_ } => (
            "select".into(),
            format!("{} ? {} : {}", id(cond), id(then), id(else_)),
        ),
        Cast { arg } => ("cast".into(), id(arg)),
        Reduce { op, space, value } => (
            format!("reduce_{}", lower(op)),
            match value {
                Some(v) => format!("{} over {}", id(v), id(space)),
                None => format!("over {}", id(space)),
            },
        ),
        ReduceInner { op, space, value } => (
            format!("reduce_inner_{}", lower(op)),
            match value {
                Some(v) => format!("{} over {}", id(v), id(space)),
                None => format!("over {}", id(space)),
            },
        ),
        Pick { op, space } => match op {
            PickOp::First => ("pick_first".into(), id(space)),
            PickOp::Last => ("pick_last".into(), id(space)),
            PickOp::At { index } => (
                "pick_at".into(),
                format!("{} index {}", id(space), id(index)),
            ),
            PickOp::ArgMin { key } => (
                "pick_argmin".into(),
                format!("{} by {}", id(space), id(key)),
            ),
            PickOp::ArgMax { key } => (
                "pick_argmax".into(),
                format!("{} by {}", id(space), id(key)),
            ),
        },
        Fill {
            hist,
            space,
            region,
            values,
            weight,
            sample,
            valid,
        } => {
            let name = graph
                .hists
                .get(hist.0 as usize)
                .map_or("?", |h| h.name.as_str());
            let mut s = format!("{name}: {}", ids(values));
            if let Some(x) = sample {
                let _ = write!(s, " mean of {}", id(x));
            }
            if let Some(w) = weight {
                let _ = write!(s, " weight {}", id(w));
            }
            if let Some(v) = valid {
                let _ = write!(s, " valid {}", id(v));
            }
            if let Some(sp) = space {
                let _ = write!(s, " per {}", id(sp));
            }
            if let Some(r) = region {
                let _ = write!(s, " if {}", id(r));
            }
            ("fill".into(), s)
        }
        Append {
            table,
            space,
            region,
            columns,
        } => {
            let name = graph
                .tables
                .get(table.0 as usize)
                .map_or("?", |t| t.name.as_str());
            let mut s = format!("{name}: {}", ids(columns));
            if let Some(sp) = space {
                let _ = write!(s, " per {}", id(sp));
            }
            if let Some(r) = region {
                let _ = write!(s, " if {}", id(r));
            }
            ("append".into(), s)
        }
        CountRegion { region, mask } => {
            let name = graph
                .regions
                .get(region.0 as usize)
                .map_or("?", |r| r.name.as_str());
            ("count_region".into(), format!("{name}: {}", id(mask)))
        }
        CountCutflow {
            cutflow,
            row,
            mask,
            weight,
        } => {
            let name = graph
                .cutflows
                .get(cutflow.0 as usize)
                .map_or("?", |c| c.name.as_str());
            let mut s = format!("{name}[{row}]");
            if let Some(w) = weight {
                let _ = write!(s, " weight {}", id(w));
            }
            if let Some(m) = mask {
                let _ = write!(s, " if {}", id(m));
            }
            ("count_cutflow".into(), s)
        }
    }
}
