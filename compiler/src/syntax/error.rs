//! Syntax errors as diagnostics: what was expected where the parse stopped, what was found,
//! and the likeliest fix.
//!
//! pest reports the rules it tried at the failing position, but not the punctuation of the
//! rule it is inside: inside `Reg(20, 0, 200 "pT")` it says "an operator" only. The open
//! brackets before the position tell the rest (`,` or `)` may follow an argument), and two
//! operands side by side inside an argument list are a missing `,`.

use super::{Rule, STMT_KEYWORDS, statement_start};
use crate::ast::Span;
use crate::diagnostics::{Diagnostic, LineIndex};

/// Keywords that are not statements: `found` being one of them is not an operand.
const KEYWORDS: [&str; 11] = [
    "in", "and", "or", "not", "weight", "if", "then", "else", "true", "false", "vs",
];

/// The diagnostic of a parse of `source[base..]` that failed, and the failing position in
/// that text.
pub(super) fn syntax_error(
    err: &pest::error::Error<Rule>,
    source: &str,
    base: usize,
    lines: &LineIndex,
) -> (usize, Diagnostic) {
    let text = source.get(base..).unwrap_or("");
    let (start, end) = match err.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((s, e)) => (s, e),
    };
    let found = token(text.get(start..).unwrap_or("").trim_start());
    let found_desc = if found.is_empty() {
        "the end of the script".to_string()
    } else {
        format!("`{}`", found.chars().take(20).collect::<String>())
    };
    let mut expected = match &err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().filter_map(|r| describe(*r)).collect();
            names.sort();
            names.dedup();
            names
        }
        pest::error::ErrorVariant::CustomError { .. } => vec![],
    };
    // An error at the start of a line may belong to the statement before (a missing `)`).
    let open = unclosed(text, statement_start(text, start.saturating_sub(1)), start)
        .map(|(c, at)| Open::new(text, c, at));
    // After a whole operand, the open bracket's `,` and closer may follow as well.
    if let Some(open) = &open
        && expected.contains(&"an operator")
    {
        let mut punct = open.follows();
        punct.append(&mut expected);
        expected = punct;
    }
    let message = if expected.is_empty() {
        format!("unexpected {found_desc}")
    } else {
        format!("expected {}, found {found_desc}", join_or(&expected))
    };
    let width = found
        .chars()
        .next()
        .map_or(0, char::len_utf8)
        .max(end - start);
    let span = Span::new(base + start, base + start + width);
    let help = syntax_help(text, start, found, &expected, open.as_ref(), |at| {
        lines.line_number(base + at)
    });
    let label = if found.is_empty() {
        "the script ends here".to_string()
    } else {
        "unexpected here".to_string()
    };
    (
        start,
        Diagnostic::new("ana::syntax::unexpected", span, message)
            .label(label)
            .help(help),
    )
}

/// The innermost bracket left open before an error.
struct Open {
    bracket: char,
    /// Offset in the text.
    at: usize,
    /// Whether `,` separates items in it: arguments of a call or an axis, a list, the
    /// fields of a collection or the columns of a table (not `(a + b)` or `c[pt > 20]`).
    commas: bool,
}

impl Open {
    fn new(text: &str, bracket: char, at: usize) -> Self {
        let before = text.get(..at).unwrap_or("").trim_end().chars().next_back();
        let after_operand = before.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let commas = match bracket {
            '(' => after_operand,
            '[' => !(after_operand || matches!(before, Some(')' | ']' | '}'))),
            _ => true,
        };
        Open {
            bracket,
            at,
            commas,
        }
    }

    fn closer(&self) -> char {
        match self.bracket {
            '(' => ')',
            '[' => ']',
            _ => '}',
        }
    }

    /// The punctuation that may follow an item inside.
    fn follows(&self) -> Vec<&'static str> {
        let closer = match self.bracket {
            '(' => "`)`",
            '[' => "`]`",
            _ => "`}`",
        };
        if self.commas {
            vec!["`,`", closer]
        } else {
            vec![closer]
        }
    }
}

/// The most likely cause of a syntax error at `pos`; `line` numbers an offset of `text`.
fn syntax_help(
    text: &str,
    pos: usize,
    found: &str,
    expected: &[&str],
    open: Option<&Open>,
    line: impl Fn(usize) -> usize,
) -> String {
    let line_end = text
        .get(pos..)
        .and_then(|r| r.find('\n'))
        .map_or(text.len(), |i| pos + i);
    if found.starts_with('"') && !text.get(pos + 1..line_end).unwrap_or("").contains('"') {
        return "this string is not closed: end it with `\"` on the same line".to_string();
    }
    if let Some(open) = open {
        // `Reg(20, 0, 200 "pT")`: two arguments side by side.
        if open.commas && expected.contains(&"an operator") && starts_operand(found) {
            let what = match open.bracket {
                '(' => "arguments",
                _ => "items",
            };
            return format!("add `,` between the {what}");
        }
        return format!(
            "the `{}` on line {} is not closed: add `{}`",
            open.bracket,
            line(open.at),
            open.closer()
        );
    }
    if found.starts_with('=') && !found.starts_with("==") {
        return "`=` binds a name (`let x = ...`); to compare, write `==`".to_string();
    }
    if expected.contains(&"a name") && (STMT_KEYWORDS.contains(&found) || KEYWORDS.contains(&found))
    {
        return format!("`{found}` is a keyword; it cannot be used as a name");
    }
    let before = text.get(..pos).unwrap_or("").trim_end();
    if expected.iter().any(|e| e.starts_with("an axis")) || before.ends_with('~') {
        return "attach an axis with `~`: `hist h: x ~ Reg(50, 0, 100, \"label\")`".to_string();
    }
    "statements are `input`, `tree`, `param`, `let`, `region`, `hist`, `profile`, `table`, `cutflow`; see docs/language.md".to_string()
}

/// The token `rest` starts with: a string, a name or number, a run of operator characters,
/// or one character (a bracket).
fn token(rest: &str) -> &str {
    let Some(first) = rest.chars().next() else {
        return "";
    };
    let end = if first == '"' {
        match rest.get(1..).and_then(|r| r.find(['"', '\n'])) {
            Some(i) if rest.get(i + 1..).is_some_and(|r| r.starts_with('"')) => i + 2,
            Some(i) => i + 1,
            None => rest.len(),
        }
    } else if first.is_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len())
    } else {
        rest.find(|c: char| !"=!<>+-*/%~:".contains(c))
            .unwrap_or(rest.len())
            .max(first.len_utf8())
    };
    rest.get(..end).unwrap_or(rest)
}

/// Whether a token begins a value (a name, a number, a string, a parenthesis), so that it
/// cannot continue the value before it.
fn starts_operand(found: &str) -> bool {
    let keyword = STMT_KEYWORDS.contains(&found) || KEYWORDS.contains(&found);
    !keyword
        && found
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '"' | '('))
}

/// The innermost bracket opened in `text[from..to]` and not closed there, skipping strings
/// and comments.
fn unclosed(text: &str, from: usize, to: usize) -> Option<(char, usize)> {
    let mut stack = Vec::new();
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, c) in text.get(from..to)?.char_indices() {
        if in_comment {
            in_comment = c != '\n';
        } else if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' | '\n' => in_string = false,
                _ => {}
            }
        } else {
            match c {
                '#' => in_comment = true,
                '"' => in_string = true,
                '(' | '[' | '{' => stack.push((c, from + i)),
                ')' | ']' | '}' => {
                    stack.pop();
                }
                _ => {}
            }
        }
    }
    stack.pop()
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// How an expected rule reads in "expected ..." messages; `None` hides internal rules.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the script",
        Rule::input_stmt
        | Rule::tree_stmt
        | Rule::param_stmt
        | Rule::let_stmt
        | Rule::region_stmt
        | Rule::hist_stmt
        | Rule::profile_stmt
        | Rule::table_stmt
        | Rule::cutflow_stmt => "a statement",
        Rule::ident => "a name",
        Rule::string | Rule::string_inner => "a string",
        Rule::number | Rule::neg_number | Rule::index_lit => "a number",
        Rule::literal => "a literal (number, true/false or string)",
        Rule::expr
        | Rule::lambda
        | Rule::if_expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::coalesce_expr
        | Rule::add_expr
        | Rule::mul_expr
        | Rule::pow_expr
        | Rule::unary
        | Rule::postfix
        | Rule::call
        | Rule::boolean => "an expression",
        Rule::or_op | Rule::and_op | Rule::not_op => "an operator",
        Rule::cmp_op
        | Rule::add_op
        | Rule::mul_op
        | Rule::pow_op
        | Rule::neg_op
        | Rule::coalesce_op => "an operator",
        Rule::member | Rule::bracket | Rule::ctor_fields => "an operator",
        Rule::in_clause => "`in`",
        Rule::vs_op => "`vs`",
        Rule::weight_clause => "`weight`",
        Rule::hist_dim => "an expression",
        Rule::axis => "an axis (Reg, Log, Var, Int, Cat)",
        Rule::named_arg | Rule::list => "an axis argument",
        Rule::column => "a column (`name = expr`)",
        Rule::ctor_field => "a field name",
        _ => return None,
    })
}
