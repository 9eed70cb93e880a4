//! What each global name of a script denotes, in physics terms, for the analysis-level view
//! of `ana graph` (`crate::overview`): the checker knows it, the syntax tree does not.

use super::{CollKind, Val};

/// What a `param`, `let` or `region` binds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denotes {
    Param,
    Region,
    /// Objects read from branches (`Muon{pt, ...}`), or a selection, sort or concatenation
    /// of such collections.
    Collection,
    /// Pairs, triples or cross pairs of objects: composite candidates.
    Combinations,
    /// One object of a collection (`first(...)`, `argmin(...)`).
    Object,
    /// A four-vector sum (`sum(muons)`, `a + b`): a composite candidate.
    FourVector,
    /// A number per event.
    Number,
    /// A string (a parameter naming a branch).
    Text,
    /// A definition whose value has an error (already reported).
    Error,
}

/// A global name with what it denotes; `text` is a string parameter's value.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    pub name: String,
    pub denotes: Denotes,
    pub text: Option<String>,
}

pub(super) fn denotes(val: &Val, what: &str) -> Denotes {
    match (what, val) {
        (_, Val::Error) => Denotes::Error,
        ("parameter", Val::Str(_)) => Denotes::Text,
        ("parameter", _) => Denotes::Param,
        ("region", _) => Denotes::Region,
        (_, Val::Coll(c)) => match c.kind {
            CollKind::Combo { .. } => Denotes::Combinations,
            _ => Denotes::Collection,
        },
        (_, Val::Obj(_)) => Denotes::Object,
        (_, Val::Vec4(_)) => Denotes::FourVector,
        (_, Val::Num(_)) => Denotes::Number,
        (_, Val::Str(_) | Val::Text(_)) => Denotes::Text,
    }
}
