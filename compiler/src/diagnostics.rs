//! Errors in a script, as data: a stable code, a message, the span with a label, and a hint.
//!
//! Input: created by `syntax` and `lower` wherever they find a problem. Output: [`Diagnostics`],
//! the first [`MAX_SHOWN`] errors of the script sorted by span and the count of the rest; the
//! CLI renders them with `miette::Report`, which shows the source snippet because each
//! diagnostic carries the script ([`ScriptSource`], shared).
//! Rendering happens only in the CLI; nothing here prints.

mod source;

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, SourceCode};

pub use source::{LineIndex, MAX_LINE, ScriptSource};

use crate::ast::Span;

/// Errors shown of a script; the rest are counted. More are rarely useful (later ones tend
/// to follow from earlier ones), and a script full of errors must not print megabytes.
pub const MAX_SHOWN: usize = 50;

/// One error in a script.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Stable code, `ana::<phase>::<what>` (e.g. `ana::check::unknown_name`).
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    /// Text under the span.
    pub label: String,
    /// What to do about it.
    pub help: String,
    /// Other places the message is about, with their labels (the first definition of a name
    /// defined twice).
    pub also: Vec<(Span, String)>,
    source: Option<Arc<ScriptSource>>,
}

/// The first [`MAX_SHOWN`] diagnostics of a script, sorted by span, and how many more there
/// are; as a miette diagnostic, the shown ones are related ones.
#[derive(Clone, Debug)]
pub struct Diagnostics {
    pub shown: Vec<Diagnostic>,
    /// Errors found after the shown ones.
    pub omitted: usize,
}

impl Diagnostic {
    pub fn new(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: String::new(),
            help: String::new(),
            also: Vec::new(),
            source: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }

    /// Another labelled place the message is about.
    pub fn also(mut self, span: Span, label: impl Into<String>) -> Self {
        self.also.push((span, label.into()));
        self
    }

    /// Attaches the script, so that the report shows the snippet.
    pub fn with_source(mut self, source: Arc<ScriptSource>) -> Self {
        self.source = Some(source);
        self
    }
}

/// The "did you mean" hint: the closest candidate by Jaro-Winkler similarity, if close enough.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(name, c);
        if score > 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.help.is_empty()).then(|| Box::new(&self.help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s.as_ref() as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let shown = |span: Span| match &self.source {
            Some(s) => s.clip(span),
            None => span,
        };
        let len = |s: Span| s.end.saturating_sub(s.start);
        let label = (!self.label.is_empty()).then(|| self.label.clone());
        let main = shown(self.span);
        let primary = LabeledSpan::new_primary_with_span(label, (main.start, len(main)));
        let others = self.also.iter().map(move |(span, label)| {
            let s = shown(*span);
            LabeledSpan::new_with_span(Some(label.clone()), (s.start, len(s)))
        });
        Some(Box::new(std::iter::once(primary).chain(others)))
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.total() {
            1 => f.write_str("the script has 1 error"),
            n => write!(f, "the script has {n} errors"),
        }
    }
}

impl std::error::Error for Diagnostics {}

/// The wrapper has no snippet of its own: every diagnostic is a related one, with its source.
impl miette::Diagnostic for Diagnostics {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(
            self.shown.iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}

impl Diagnostics {
    /// Sorts by span (then message, for determinism), drops exact duplicates, and keeps the
    /// first [`MAX_SHOWN`].
    pub fn sorted(mut list: Vec<Diagnostic>, source: Arc<ScriptSource>) -> Self {
        list.sort_by(|a, b| (a.span, &a.message).cmp(&(b.span, &b.message)));
        list.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        let omitted = list.len().saturating_sub(MAX_SHOWN);
        list.truncate(MAX_SHOWN);
        Diagnostics {
            shown: list
                .into_iter()
                .map(|d| d.with_source(source.clone()))
                .collect(),
            omitted,
        }
    }

    /// The line that follows the shown diagnostics when there are more.
    pub fn omitted_note(&self) -> Option<String> {
        let total = self.total();
        match self.omitted {
            0 => None,
            1 => Some(format!(
                "and 1 more error ({total} in all): fix the ones above first"
            )),
            n => Some(format!(
                "and {n} more errors ({total} in all): fix the ones above first"
            )),
        }
    }

    /// Every error found, shown or not.
    pub fn total(&self) -> usize {
        self.shown.len() + self.omitted
    }
}
