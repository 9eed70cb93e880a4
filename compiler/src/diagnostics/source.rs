//! The script as diagnostics show it: one shared copy with its line starts, so that each
//! snippet costs its own lines (a binary search finds them) instead of a scan from the start
//! of the script, and very long lines are shown as a window around the span.
//!
//! Snippets read exactly as miette's own `SourceCode` for `str` makes them: the lines around
//! a span are cut out and handed to it, and its answer is moved back to the script's offsets
//! and line numbers.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::ast::Span;

/// Longest line shown whole, in bytes; a longer one is shown as a window around the span.
pub const MAX_LINE: usize = 160;

/// Bytes of a long line shown before the span's start.
const LEAD: usize = 40;

/// Where each line starts, breaking lines as miette does (`\n`, `\r\n`, or a lone `\r`).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, &c) in bytes.iter().enumerate() {
            let brk = c == b'\n' || (c == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if brk {
                starts.push(i + 1);
            }
        }
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// 0-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// 1-based line number of a byte offset, as messages say it.
    pub fn line_number(&self, offset: usize) -> usize {
        self.line(offset) + 1
    }

    fn start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.len)
    }

    /// The end of a line's text, before its line break.
    fn end(&self, text: &str, line: usize) -> usize {
        let next = self.start(line + 1);
        let body = text.get(self.start(line)..next).unwrap_or("");
        next - (body.len() - body.trim_end_matches(['\n', '\r']).len())
    }

    fn width(&self, text: &str, line: usize) -> usize {
        self.end(text, line).saturating_sub(self.start(line))
    }
}

/// A named script with its line index: what every diagnostic of one compile shares.
#[derive(Debug)]
pub struct ScriptSource {
    name: String,
    text: String,
    lines: LineIndex,
}

impl ScriptSource {
    pub fn new(name: &str, text: &str) -> Self {
        ScriptSource {
            name: name.to_string(),
            text: text.to_string(),
            lines: LineIndex::new(text),
        }
    }

    /// The window of a long line that is shown: up to [`MAX_LINE`] bytes from a little
    /// before `at`, on character boundaries.
    fn window(&self, line: usize, at: usize) -> (usize, usize) {
        let (start, end) = (self.lines.start(line), self.lines.end(&self.text, line));
        let from = floor_char(&self.text, at.saturating_sub(LEAD).max(start));
        let to = floor_char(&self.text, (from + MAX_LINE).min(end));
        (from, to)
    }

    /// A label's span as shown: a span on a line longer than [`MAX_LINE`] (or reaching such a
    /// line) is cut to the window shown of its first line, so that neither the snippet nor
    /// the underline repeats a 200 KB line.
    pub fn clip(&self, span: Span) -> Span {
        let first = self.lines.line(span.start);
        let last = self.lines.line(span.end.saturating_sub(1).max(span.start));
        if (first..=last).all(|l| self.lines.width(&self.text, l) <= MAX_LINE) {
            return span;
        }
        let line_end = self.lines.end(&self.text, first);
        if self.lines.width(&self.text, first) <= MAX_LINE {
            return Span::new(span.start, span.end.min(line_end).max(span.start));
        }
        let (from, to) = self.window(first, span.start);
        let start = span.start.clamp(from, to);
        Span::new(start, span.end.clamp(start, to))
    }
}

/// The largest char boundary at or before `i`.
fn floor_char(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl SourceCode for ScriptSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset();
        let end = start + span.len();
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = self.lines.line(start);
        let last = self.lines.line(end.saturating_sub(1).max(start));
        if self.lines.width(&self.text, first) > MAX_LINE {
            // The window alone: context lines would have to include the whole line.
            let (from, to) = self.window(first, start);
            let from = if context_lines_before == 0 {
                start.clamp(from, to)
            } else {
                from
            };
            let data = self.text.get(from..to).unwrap_or("").as_bytes();
            return Ok(Box::new(MietteSpanContents::new_named(
                self.name.clone(),
                data,
                (from, data.len()).into(),
                first,
                from - self.lines.start(first),
                first,
            )));
        }
        // Context lines stop before a long line: they could only be shown whole.
        let short = |l: usize| self.lines.width(&self.text, l) <= MAX_LINE;
        let before = (1..=context_lines_before)
            .take_while(|&k| k <= first && short(first - k))
            .count();
        let after = (1..=context_lines_after)
            .take_while(|&k| last + k < self.lines.starts.len() && short(last + k))
            .count();
        let top = first - before;
        let from = self.lines.start(top);
        let to = self.lines.start(last + after + 1);
        let window = self.text.get(from..to).unwrap_or("");
        let local = SourceSpan::from((start - from, span.len()));
        let inner = <str as SourceCode>::read_span(
            window,
            &local,
            context_lines_before,
            context_lines_after,
        )?;
        let data: &'a [u8] = inner.data();
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data,
            (inner.span().offset() + from, inner.span().len()).into(),
            inner.line() + top,
            inner.column(),
            inner.line_count() + top,
        )))
    }
}
