//! How a branch's entries sit in its baskets, decided once from the branch metadata.
//! Input: [`BranchMeta`]. Output: a [`Layout`] (or the reason it is unsupported) and the
//! schema entry. Invariant: a branch with a layout is decodable by `column.rs` from its
//! baskets alone (plus its counter branch for generated offsets).

use ana_compiler::graph::PhysType;

use super::objects::{BranchMeta, LeafMeta};

/// The storage type of one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl Elem {
    pub fn size(self) -> usize {
        match self {
            Elem::Bool | Elem::I8 | Elem::U8 => 1,
            Elem::I16 | Elem::U16 => 2,
            Elem::I32 | Elem::U32 | Elem::F32 => 4,
            Elem::I64 | Elem::U64 | Elem::F64 => 8,
        }
    }

    pub fn phys(self) -> PhysType {
        match self {
            Elem::Bool => PhysType::Bool,
            Elem::I8 => PhysType::I8,
            Elem::U8 => PhysType::U8,
            Elem::I16 => PhysType::I16,
            Elem::U16 => PhysType::U16,
            Elem::I32 => PhysType::I32,
            Elem::U32 => PhysType::U32,
            Elem::I64 => PhysType::I64,
            Elem::U64 => PhysType::U64,
            Elem::F32 => PhysType::F32,
            Elem::F64 => PhysType::F64,
        }
    }

    /// ROOT's typedef name, for `inspect` and messages.
    pub fn root_name(self) -> &'static str {
        match self {
            Elem::Bool => "Bool_t",
            Elem::I8 => "Char_t",
            Elem::U8 => "UChar_t",
            Elem::I16 => "Short_t",
            Elem::U16 => "UShort_t",
            Elem::I32 => "Int_t",
            Elem::U32 => "UInt_t",
            Elem::I64 => "Long64_t",
            Elem::U64 => "ULong64_t",
            Elem::F32 => "Float_t",
            Elem::F64 => "Double_t",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One value per entry.
    Scalar(Elem),
    /// `T[N]`: `n` values per entry.
    Fixed(Elem, usize),
    /// `T[count]` (times `per` for `T[count][N]`): the counter branch gives the length.
    Counted {
        elem: Elem,
        per: usize,
        counter: String,
    },
    /// `std::vector<T>`: a 10-byte header before each entry's values.
    Vector(Elem),
    /// `std::vector<std::vector<T>>`: for `inspect` only.
    VectorVector(Elem),
}

impl Layout {
    pub(crate) fn elem(&self) -> Elem {
        match self {
            Layout::Scalar(e)
            | Layout::Fixed(e, _)
            | Layout::Vector(e)
            | Layout::VectorVector(e) => *e,
            Layout::Counted { elem, .. } => *elem,
        }
    }
}

/// The layout of a branch, or `Err(type name)` when the fast path cannot read it.
/// `counter_branch` maps a counter leaf's name to its branch's name.
pub(crate) fn layout(
    b: &BranchMeta,
    counter_branch: impl Fn(&str) -> Option<String>,
) -> Result<Layout, String> {
    if !b.children.is_empty() {
        return Err(type_name_fallback(b));
    }
    let [leaf] = b.leaves.as_slice() else {
        return Err(type_name_fallback(b));
    };
    if b.is_element {
        return element_layout(b, leaf);
    }
    let elem = leaf_elem(leaf).ok_or_else(|| type_name_fallback(b))?;
    let len = usize::try_from(leaf.len.max(1)).unwrap_or(1);
    match &leaf.leaf_count {
        Some(count) => {
            let counter = counter_branch(count).unwrap_or_else(|| count.clone());
            Ok(Layout::Counted {
                elem,
                per: len,
                counter,
            })
        }
        None if len == 1 => Ok(Layout::Scalar(elem)),
        None => Ok(Layout::Fixed(elem, len)),
    }
}

fn leaf_elem(leaf: &LeafMeta) -> Option<Elem> {
    let u = leaf.is_unsigned;
    Some(match leaf.class.as_str() {
        "TLeafO" => Elem::Bool,
        "TLeafB" if u => Elem::U8,
        "TLeafB" => Elem::I8,
        "TLeafS" if u => Elem::U16,
        "TLeafS" => Elem::I16,
        "TLeafI" if u => Elem::U32,
        "TLeafI" => Elem::I32,
        "TLeafL" | "TLeafG" if u => Elem::U64,
        "TLeafL" | "TLeafG" => Elem::I64,
        "TLeafF" => Elem::F32,
        "TLeafD" => Elem::F64,
        _ => return None,
    })
}

/// ROOT's basic type codes (`TDataType` / `TStreamerInfo::EReadWrite`).
fn code_elem(code: i32) -> Option<Elem> {
    Some(match code {
        1 => Elem::I8,
        2 => Elem::I16,
        3 | 6 => Elem::I32,
        4 | 16 => Elem::I64,
        5 => Elem::F32,
        8 => Elem::F64,
        11 => Elem::U8,
        12 => Elem::U16,
        13 => Elem::U32,
        14 | 17 => Elem::U64,
        18 => Elem::Bool,
        _ => return None,
    })
}

fn element_layout(b: &BranchMeta, leaf: &LeafMeta) -> Result<Layout, String> {
    let class = normalize(&b.class_name);
    if let Some(inner) = strip(&class, "vector<") {
        if let Some(inner2) = strip(inner, "vector<") {
            return name_elem(inner2)
                .map(Layout::VectorVector)
                .ok_or_else(|| b.class_name.clone());
        }
        return name_elem(inner)
            .map(Layout::Vector)
            .ok_or_else(|| b.class_name.clone());
    }
    if !class.is_empty() {
        return Err(b.class_name.clone());
    }
    // A basic-typed member of a split object.
    let len = usize::try_from(leaf.len.max(1)).unwrap_or(1);
    match leaf.elem_type {
        t @ 1..=18 => code_elem(t)
            .map(Layout::Scalar)
            .ok_or_else(|| type_name_fallback(b)),
        t @ 21..=38 => code_elem(t - 20)
            .map(|e| Layout::Fixed(e, len))
            .ok_or_else(|| type_name_fallback(b)),
        _ => Err(type_name_fallback(b)),
    }
}

fn normalize(class: &str) -> String {
    class.replace("std::", "").replace(' ', "")
}

/// `vector<float>` with prefix `vector<` gives `float`.
fn strip<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.strip_prefix(prefix)?.strip_suffix('>')
}

fn name_elem(name: &str) -> Option<Elem> {
    Some(match name {
        "bool" | "Bool_t" => Elem::Bool,
        "char" | "int8_t" | "Char_t" | "signedchar" => Elem::I8,
        "unsignedchar" | "uint8_t" | "UChar_t" => Elem::U8,
        "short" | "int16_t" | "Short_t" => Elem::I16,
        "unsignedshort" | "uint16_t" | "UShort_t" => Elem::U16,
        "int" | "int32_t" | "Int_t" => Elem::I32,
        "unsignedint" | "uint32_t" | "UInt_t" => Elem::U32,
        "long" | "longlong" | "int64_t" | "Long64_t" | "Long_t" => Elem::I64,
        "unsignedlong" | "unsignedlonglong" | "uint64_t" | "ULong64_t" | "ULong_t" => Elem::U64,
        "float" | "Float_t" => Elem::F32,
        "double" | "Double_t" => Elem::F64,
        _ => return None,
    })
}

/// A type name for branches outside the fast path (strings, objects, leaf lists).
fn type_name_fallback(b: &BranchMeta) -> String {
    if !b.class_name.is_empty() {
        return b.class_name.clone();
    }
    match b.leaves.as_slice() {
        [] => "(no leaves)".to_string(),
        [l] if l.class == "TLeafC" => "char*".to_string(),
        [l] => l.class.clone(),
        ls => format!(
            "struct {{{}}}",
            ls.iter()
                .map(|l| format!("{} {}", l.class, l.name))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

/// ROOT-style type name of a readable branch: `Float_t`, `Float_t[3]`, `Float_t[nMuon]`,
/// `vector<float>`.
pub(crate) fn type_name(b: &BranchMeta, l: &Layout) -> String {
    let dims = || {
        b.leaves
            .first()
            .and_then(|leaf| leaf.title.find('[').map(|i| leaf.title[i..].to_string()))
    };
    match l {
        Layout::Scalar(e) => e.root_name().to_string(),
        Layout::Fixed(e, n) => format!(
            "{}{}",
            e.root_name(),
            dims().unwrap_or_else(|| format!("[{n}]"))
        ),
        Layout::Counted { elem, counter, .. } => {
            format!(
                "{}{}",
                elem.root_name(),
                dims().unwrap_or_else(|| format!("[{counter}]"))
            )
        }
        Layout::Vector(_) | Layout::VectorVector(_) => b.class_name.clone(),
    }
}
