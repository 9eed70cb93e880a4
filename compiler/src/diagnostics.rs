//! Errors in a script, as data: a stable code, a message, the span with a label, and a hint.
//!
//! Input: created by `syntax` and `lower` wherever they find a problem. Output: [`Diagnostics`],
//! every error of the script sorted by span; the CLI renders it with `miette::Report`, which
//! shows the source snippet because each diagnostic carries the named source.
//! Rendering happens only in the CLI; nothing here prints.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceCode};

use crate::ast::Span;

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
    source: Option<Arc<NamedSource<String>>>,
}

/// All diagnostics of a script, sorted by span; as a miette diagnostic, all are related ones.
#[derive(Clone, Debug)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostic {
    pub fn new(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: String::new(),
            help: String::new(),
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

    /// Attaches the script, so that the report shows the snippet.
    pub fn with_source(mut self, source: Arc<NamedSource<String>>) -> Self {
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
        let label = (!self.label.is_empty()).then(|| self.label.clone());
        let span = LabeledSpan::new(
            label,
            self.span.start,
            self.span.end.saturating_sub(self.span.start),
        );
        Some(Box::new(std::iter::once(span)))
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.len() {
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
            self.0.iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}

impl Diagnostics {
    /// Sorts by span (then message, for determinism) and drops exact duplicates.
    pub fn sorted(mut list: Vec<Diagnostic>, source: Arc<NamedSource<String>>) -> Self {
        list.sort_by(|a, b| (a.span, &a.message).cmp(&(b.span, &b.message)));
        list.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        Diagnostics(
            list.into_iter()
                .map(|d| d.with_source(source.clone()))
                .collect(),
        )
    }
}
