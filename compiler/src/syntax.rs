//! Parsing: source text to the [`ast::Script`], with spans. The only module that names pest.
//!
//! Input: the script's text. Output: the AST, or syntax diagnostics. A syntax error does not
//! stop the parse: the parser skips to the next line that starts a statement and goes on, so
//! one run reports every statement that does not parse. Never panics: pest pairs are walked
//! by their rule, and a shape the grammar cannot produce becomes an internal diagnostic.

use pest::Parser;
use pest::iterators::Pair;

use crate::ast::*;
use crate::diagnostics::{Diagnostic, LineIndex};

mod error;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/ana.pest"]
struct AnaParser;

/// Statement keywords: a line starting with one of them is where parsing resumes after an error.
const STMT_KEYWORDS: [&str; 9] = [
    "input", "tree", "param", "let", "region", "hist", "profile", "table", "cutflow",
];

/// Parses a whole script, reporting every statement that fails.
pub fn parse(source: &str) -> (Script, Vec<Diagnostic>) {
    let mut script = Script::default();
    let mut diags = Vec::new();
    // Parsing and lowering recurse on nesting: refuse depths that could exhaust the stack.
    if let Some(at) = too_deep(source) {
        diags.push(
            Diagnostic::new(
                "ana::syntax::too_deep",
                Span::new(at, at + 1),
                "the expression is nested too deeply",
            )
            .label(format!("more than {MAX_DEPTH} levels here"))
            .help("split it into several `let` bindings"),
        );
        return (script, diags);
    }
    // Line numbers for hints, built at the first error only.
    let mut lines: Option<LineIndex> = None;
    // A byte-order mark (editors on Windows write one) is skipped, not removed from the
    // text: spans stay offsets into the source as the caller holds it.
    let mut offset = if source.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    while offset <= source.len() {
        let Some(rest) = source.get(offset..) else {
            break;
        };
        // A window of whole statements: pest's error costs the length of the text it was
        // given (it looks for the failing line's start from the end), so a script of many
        // errors must not hand it the whole rest of the script each time. A window ends
        // where a line starts with a statement keyword: no statement goes on past such a
        // line, so a statement fails in its window exactly as in the whole script.
        let end = window_end(rest);
        let parsed = AnaParser::parse(Rule::file, rest.get(..end).unwrap_or(rest));
        match parsed {
            Ok(pairs) => {
                add_statements(pairs, offset, &mut script, &mut diags);
                if end >= rest.len() {
                    break;
                }
                offset += end;
            }
            Err(err) => {
                let lines = lines.get_or_insert_with(|| LineIndex::new(source));
                let (pos, diag) = error::syntax_error(&err, source, offset, lines);
                diags.push(diag);
                // Keep the statements before the error: parse the prefix up to the start
                // of the failing statement, then resume after it. An error on a statement
                // keyword belongs to the statement before (`let a = (b +` then `let c`):
                // the one at the error is parsed next, not skipped.
                let at_keyword = rest.get(pos..).is_some_and(starts_statement);
                let stmt_start = statement_start(rest, pos.saturating_sub(usize::from(at_keyword)));
                if let Some(prefix) = rest.get(..stmt_start)
                    && let Ok(pairs) = AnaParser::parse(Rule::file, prefix)
                {
                    add_statements(pairs, offset, &mut script, &mut diags);
                }
                match next_statement(rest, pos.max(stmt_start + 1)) {
                    Some(next) => offset += next,
                    None => break,
                }
            }
        }
    }
    let mut kept = Vec::new();
    for stmt in std::mem::take(&mut script.stmts) {
        if stmt.exprs().iter().any(|e| e.depth() > MAX_TREE_DEPTH) {
            diags.push(
                Diagnostic::new(
                    "ana::syntax::too_deep",
                    stmt.span,
                    "the expression is nested too deeply",
                )
                .label(format!("more than {MAX_TREE_DEPTH} levels"))
                .help("split it into several `let` bindings"),
            );
        } else {
            kept.push(stmt);
        }
    }
    script.stmts = kept;
    (script, diags)
}

/// Bytes of script parsed at a time, rounded up to the next statement.
const WINDOW: usize = 4 * 1024;

/// The end of the window of `text` parsed next: the start of the first statement at or after
/// [`WINDOW`] bytes, or the end of the text. A line that starts with a statement keyword
/// starts a statement: no expression contains a keyword.
fn window_end(text: &str) -> usize {
    if text.len() <= WINDOW {
        return text.len();
    }
    next_statement(text, WINDOW).unwrap_or(text.len())
}

/// Appends the statements of a successful parse of the text at `base`.
fn add_statements(
    mut pairs: pest::iterators::Pairs<Rule>,
    base: usize,
    script: &mut Script,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(file) = pairs.next() else {
        return;
    };
    let mut b = Builder { base, diags };
    for pair in file.into_inner() {
        if pair.as_rule() != Rule::EOI
            && let Some(stmt) = b.stmt(pair)
        {
            script.stmts.push(stmt);
        }
    }
}

/// Longest operator chain (`a + b + ...`, `- - x`) in one expression.
pub const MAX_CHAIN: usize = 200;

/// Deepest expression tree the checker walks (it recurses once per level).
pub const MAX_TREE_DEPTH: usize = 200;

/// Deepest nesting a statement may have: brackets, `=>`, `if` and `**` each add a level.
pub const MAX_DEPTH: usize = 64;

/// The offset where a statement's nesting first exceeds [`MAX_DEPTH`]. Operator chains
/// (`a + b + c ...`) do not count: the parser reads them iteratively.
fn too_deep(source: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut extra = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut line_start = true;
    let bytes = source.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        if c == b'\n' {
            in_comment = false;
            in_string = false;
            line_start = true;
            continue;
        }
        if in_comment {
            continue;
        }
        if in_string {
            if c == b'"' {
                in_string = false;
            }
            continue;
        }
        if line_start && !c.is_ascii_whitespace() {
            line_start = false;
            if source.get(i..).is_some_and(starts_statement) {
                depth = 0;
                extra = 0;
            }
        }
        match c {
            b'#' => in_comment = true,
            b'"' => in_string = true,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'=' if bytes.get(i + 1) == Some(&b'>') => extra += 1,
            b'*' if bytes.get(i + 1) == Some(&b'*') => extra += 1,
            b'i' if bytes.get(i + 1) == Some(&b'f')
                && (i == 0
                    || bytes
                        .get(i - 1)
                        .is_some_and(|b| !b.is_ascii_alphanumeric() && *b != b'_'))
                && bytes
                    .get(i + 2)
                    .is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'_') =>
            {
                extra += 1
            }
            _ => {}
        }
        if depth + extra > MAX_DEPTH {
            return Some(i);
        }
    }
    None
}

/// The start of the line-initial statement keyword at or before `pos`.
fn statement_start(text: &str, pos: usize) -> usize {
    let mut best = 0;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        if line_start > pos {
            break;
        }
        if starts_statement(line) {
            best = line_start + (line.len() - line.trim_start().len());
        }
        line_start += line.len();
    }
    best.min(pos)
}

/// The offset of the first line after `pos` that starts with a statement keyword.
fn next_statement(text: &str, pos: usize) -> Option<usize> {
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        if line_start >= pos && starts_statement(line) {
            return Some(line_start + (line.len() - line.trim_start().len()));
        }
        line_start += line.len();
    }
    None
}

fn starts_statement(line: &str) -> bool {
    let t = line.trim_start();
    STMT_KEYWORDS.iter().any(|k| {
        t.strip_prefix(k).is_some_and(|r| {
            r.chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        })
    })
}

struct Builder<'d> {
    base: usize,
    diags: &'d mut Vec<Diagnostic>,
}

impl Builder<'_> {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.base + s.start(), self.base + s.end())
    }

    fn internal(&mut self, pair: &Pair<Rule>) {
        let span = self.span(pair);
        self.diags.push(
            Diagnostic::new(
                "ana::syntax::internal",
                span,
                format!("unexpected parse of {:?}", pair.as_rule()),
            )
            .label("here")
            .help("this is a bug in ana's parser; please report it with the script"),
        );
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn stmt(&mut self, pair: Pair<Rule>) -> Option<Stmt> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut it = pair.clone().into_inner();
        let kind = match rule {
            Rule::input_stmt => StmtKind::Input {
                path: self.string(it.next()?),
            },
            Rule::tree_stmt => StmtKind::Tree {
                name: self.ident(it.next()?),
            },
            Rule::param_stmt => {
                let name = self.ident(it.next()?);
                let lit = it.next()?.into_inner().next()?;
                StmtKind::Param {
                    name,
                    value: self.literal(lit)?,
                }
            }
            Rule::let_stmt => {
                let name = self.ident(it.next()?);
                StmtKind::Let {
                    name,
                    value: self.expr(it.next()?)?,
                }
            }
            Rule::region_stmt => {
                let name = self.ident(it.next()?);
                let mut parent = None;
                let mut next = it.next()?;
                if next.as_rule() == Rule::in_clause {
                    parent = Some(self.ident(next.into_inner().next()?));
                    next = it.next()?;
                }
                StmtKind::Region {
                    name,
                    parent,
                    cond: self.expr(next)?,
                }
            }
            Rule::hist_stmt | Rule::profile_stmt => {
                let profile = rule == Rule::profile_stmt;
                let name = self.ident(it.next()?);
                let (mut region, mut dims, mut weight, mut sample) = (None, Vec::new(), None, None);
                for p in it {
                    match p.as_rule() {
                        Rule::in_clause => region = Some(self.ident(p.into_inner().next()?)),
                        Rule::expr if profile && sample.is_none() && dims.is_empty() => {
                            sample = Some(self.expr(p)?)
                        }
                        Rule::vs_op => {}
                        Rule::hist_dim => {
                            let mut d = p.into_inner();
                            let value = self.expr(d.next()?)?;
                            let axis = self.axis(d.next()?)?;
                            dims.push(HistDim { value, axis });
                        }
                        Rule::weight_clause => weight = Some(self.expr(p.into_inner().next()?)?),
                        _ => self.internal(&p),
                    }
                }
                StmtKind::Hist {
                    name,
                    region,
                    dims,
                    weight,
                    sample,
                }
            }
            Rule::table_stmt => {
                let name = self.ident(it.next()?);
                let (mut region, mut columns) = (None, Vec::new());
                for p in it {
                    match p.as_rule() {
                        Rule::in_clause => region = Some(self.ident(p.into_inner().next()?)),
                        Rule::column => {
                            let mut c = p.into_inner();
                            let n = c.next()?;
                            let name_span = self.span(&n);
                            let name = match n.as_rule() {
                                Rule::string => self.string(n),
                                _ => n.as_str().to_string(),
                            };
                            columns.push(Column {
                                name,
                                name_span,
                                value: self.expr(c.next()?)?,
                            });
                        }
                        _ => self.internal(&p),
                    }
                }
                StmtKind::Table {
                    name,
                    region,
                    columns,
                }
            }
            Rule::cutflow_stmt => {
                let name = self.ident(it.next()?);
                let (mut regions, mut weight) = (Vec::new(), None);
                for p in it {
                    match p.as_rule() {
                        Rule::ident => regions.push(self.ident(p)),
                        Rule::weight_clause => weight = Some(self.expr(p.into_inner().next()?)?),
                        _ => self.internal(&p),
                    }
                }
                StmtKind::Cutflow {
                    name,
                    regions,
                    weight,
                }
            }
            _ => {
                self.internal(&pair);
                return None;
            }
        };
        Some(Stmt { kind, span })
    }

    fn string(&self, pair: Pair<Rule>) -> String {
        let inner = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    fn number(&mut self, text: &str, span: Span) -> ExprKind {
        if !text.contains(['.', 'e', 'E']) {
            if let Ok(v) = text.parse::<i64>() {
                return ExprKind::Int(v);
            }
            self.diags.push(
                Diagnostic::new(
                    "ana::syntax::int_overflow",
                    span,
                    format!("integer {text} does not fit in 64 bits"),
                )
                .label("too large")
                .help("write it as a float, e.g. `1e19`"),
            );
            return ExprKind::Int(0);
        }
        ExprKind::Float(text.parse::<f64>().unwrap_or(f64::NAN))
    }

    fn literal(&mut self, pair: Pair<Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::neg_number => {
                let n = pair.into_inner().next()?;
                match self.number(n.as_str(), span) {
                    ExprKind::Int(v) => ExprKind::Int(v.wrapping_neg()),
                    ExprKind::Float(v) => ExprKind::Float(-v),
                    other => other,
                }
            }
            Rule::number => self.number(pair.as_str(), span),
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::string => ExprKind::Str(self.string(pair)),
            _ => {
                self.internal(&pair);
                return None;
            }
        };
        Some(Expr { kind, span })
    }

    fn axis(&mut self, pair: Pair<Rule>) -> Option<AxisExpr> {
        let span = self.span(&pair);
        let mut it = pair.into_inner();
        let kind = self.ident(it.next()?);
        let mut args = Vec::new();
        for p in it {
            args.push(self.expr(p)?);
        }
        Some(AxisExpr { kind, args, span })
    }

    /// Refuses operator chains longer than [`MAX_CHAIN`]: they nest as deep as they are long.
    fn chain_limit(&mut self, pair: &Pair<Rule>) -> Option<()> {
        if pair.clone().into_inner().count() > 2 * MAX_CHAIN {
            let span = self.span(pair);
            self.diags.push(
                Diagnostic::new("ana::syntax::too_deep", span, "the expression is too long")
                    .label(format!("more than {MAX_CHAIN} operands"))
                    .help("split it into several `let` bindings"),
            );
            return None;
        }
        Some(())
    }

    fn binary_chain(&mut self, pair: Pair<Rule>) -> Option<Expr> {
        self.chain_limit(&pair)?;
        if matches!(pair.as_rule(), Rule::and_expr | Rule::or_expr) {
            return self.logical_chain(pair);
        }
        let mut it = pair.into_inner();
        let mut lhs = self.expr(it.next()?)?;
        while let Some(op) = it.next() {
            let rhs = self.expr(it.next()?)?;
            let op = match op.as_str().trim() {
                "or" => BinOp::Or,
                "and" => BinOp::And,
                "+" => BinOp::Add,
                "-" => BinOp::Sub,
                "*" => BinOp::Mul,
                "/" => BinOp::Div,
                "%" => BinOp::Mod,
                "**" => BinOp::Pow,
                "??" => BinOp::Coalesce,
                _ => {
                    self.internal(&op);
                    return None;
                }
            };
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        Some(lhs)
    }

    /// `a and b and c` is `a and (b and c)` (likewise `or`): the same value either way, but
    /// the right-nested form lets the JIT skip all of `b and c` when `a` is false (see
    /// `codegen/lazy.rs`: the mass in `p.0.charge != p.1.charge and p.mass > 60 and ...`).
    fn logical_chain(&mut self, pair: Pair<Rule>) -> Option<Expr> {
        let mut operands = Vec::new();
        let mut op = BinOp::And;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::and_op => op = BinOp::And,
                Rule::or_op => op = BinOp::Or,
                _ => operands.push(self.expr(p)?),
            }
        }
        nest_right(op, operands)
    }

    /// `a ** b ** c` is `a ** (b ** c)`.
    fn power(&mut self, pair: Pair<Rule>) -> Option<Expr> {
        self.chain_limit(&pair)?;
        let mut operands = Vec::new();
        for p in pair.into_inner() {
            if p.as_rule() != Rule::pow_op {
                operands.push(self.expr(p)?);
            }
        }
        nest_right(BinOp::Pow, operands)
    }

    /// `a < b <= c` means `a < b and b <= c`, as in Python.
    fn comparison(&mut self, pair: Pair<Rule>) -> Option<Expr> {
        self.chain_limit(&pair)?;
        let mut it = pair.into_inner();
        let mut prev = self.expr(it.next()?)?;
        let mut cmps = Vec::new();
        while let Some(op) = it.next() {
            let rhs = self.expr(it.next()?)?;
            let op = match op.as_str() {
                "==" => BinOp::Eq,
                "!=" => BinOp::Ne,
                "<" => BinOp::Lt,
                "<=" => BinOp::Le,
                ">" => BinOp::Gt,
                _ => BinOp::Ge,
            };
            let span = prev.span.to(rhs.span);
            cmps.push(Expr {
                kind: ExprKind::Binary(op, Box::new(prev), Box::new(rhs.clone())),
                span,
            });
            prev = rhs;
        }
        if cmps.is_empty() {
            return Some(prev);
        }
        // Nested to the right, as `and` chains are (see `logical_chain`).
        nest_right(BinOp::And, cmps)
    }

    fn expr(&mut self, pair: Pair<Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::expr => return self.expr(pair.into_inner().next()?),
            Rule::lambda => {
                let mut it = pair.into_inner();
                let param = self.ident(it.next()?);
                ExprKind::Lambda {
                    param,
                    body: Box::new(self.expr(it.next()?)?),
                }
            }
            Rule::if_expr => {
                let mut it = pair.into_inner();
                let cond = Box::new(self.expr(it.next()?)?);
                let then = Box::new(self.expr(it.next()?)?);
                let else_ = Box::new(self.expr(it.next()?)?);
                ExprKind::If { cond, then, else_ }
            }
            Rule::pow_expr => return self.power(pair),
            Rule::or_expr
            | Rule::and_expr
            | Rule::coalesce_expr
            | Rule::add_expr
            | Rule::mul_expr => {
                return self.binary_chain(pair);
            }
            Rule::cmp_expr => return self.comparison(pair),
            Rule::not_expr | Rule::unary => {
                self.chain_limit(&pair)?;
                let is_not = pair.as_rule() == Rule::not_expr;
                let parts: Vec<Pair<Rule>> = pair.into_inner().collect();
                let (ops, last) = parts.split_at(parts.len().saturating_sub(1));
                let mut e = self.expr(last.first()?.clone())?;
                for op in ops.iter().rev() {
                    let s = self.span(op).to(e.span);
                    let u = if is_not { UnOp::Not } else { UnOp::Neg };
                    e = Expr {
                        kind: ExprKind::Unary(u, Box::new(e)),
                        span: s,
                    };
                }
                return Some(e);
            }
            Rule::postfix => {
                let mut it = pair.into_inner();
                let mut e = self.expr(it.next()?)?;
                for p in it {
                    let s = e.span.to(self.span(&p));
                    let kind = match p.as_rule() {
                        Rule::member => {
                            let m = self.ident(p.into_inner().next()?);
                            ExprKind::Member {
                                base: Box::new(e),
                                member: m,
                            }
                        }
                        Rule::bracket => {
                            let inner = self.expr(p.into_inner().next()?)?;
                            ExprKind::Bracket {
                                base: Box::new(e),
                                inner: Box::new(inner),
                            }
                        }
                        Rule::ctor_fields => {
                            let ExprKind::Name(name) = &e.kind else {
                                self.diags.push(
                                    Diagnostic::new(
                                        "ana::syntax::constructor",
                                        s,
                                        "only a branch prefix can be followed by `{fields}`",
                                    )
                                    .label("not a prefix")
                                    .help("write a collection as `Muon{pt, eta, phi, mass}`"),
                                );
                                return None;
                            };
                            let prefix = Ident {
                                name: name.clone(),
                                span: e.span,
                            };
                            let mut fields = Vec::new();
                            for f in p.into_inner() {
                                let mut fi = f.into_inner();
                                let name = self.ident(fi.next()?);
                                let branch = fi.next().map(|b| match b.as_rule() {
                                    Rule::string => Expr {
                                        span: self.span(&b),
                                        kind: ExprKind::Str(self.string(b)),
                                    },
                                    _ => Expr {
                                        span: self.span(&b),
                                        kind: ExprKind::Name(b.as_str().to_string()),
                                    },
                                });
                                fields.push(FieldSpec { name, branch });
                            }
                            ExprKind::Construct { prefix, fields }
                        }
                        _ => {
                            self.internal(&p);
                            return None;
                        }
                    };
                    e = Expr { kind, span: s };
                }
                return Some(e);
            }
            Rule::call => {
                let mut it = pair.into_inner();
                let func = self.ident(it.next()?);
                let mut args = Vec::new();
                for a in it {
                    args.push(self.expr(a)?);
                }
                ExprKind::Call { func, args }
            }
            Rule::named_arg => {
                let mut it = pair.into_inner();
                let name = self.ident(it.next()?);
                ExprKind::Named {
                    name,
                    value: Box::new(self.expr(it.next()?)?),
                }
            }
            Rule::list => {
                let mut items = Vec::new();
                for p in pair.into_inner() {
                    items.push(self.expr(p)?);
                }
                ExprKind::List(items)
            }
            Rule::number => self.number(pair.as_str(), span),
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::string => ExprKind::Str(self.string(pair)),
            Rule::ident => ExprKind::Name(pair.as_str().to_string()),
            _ => {
                self.internal(&pair);
                return None;
            }
        };
        Some(Expr { kind, span })
    }
}

/// `x0 op (x1 op (... op xn))`; `None` for no operands.
fn nest_right(op: BinOp, mut operands: Vec<Expr>) -> Option<Expr> {
    let mut acc = operands.pop()?;
    while let Some(lhs) = operands.pop() {
        let span = lhs.span.to(acc.span);
        acc = Expr {
            kind: ExprKind::Binary(op, Box::new(lhs), Box::new(acc)),
            span,
        };
    }
    Some(acc)
}
