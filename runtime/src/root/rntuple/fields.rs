//! Which fields of an RNTuple are branches, and of what shape.
//!
//! Input: the schema (fields, columns, alias columns resolved per field). Output: one
//! [`Branch`] per top-level field and per leaf reached through records, named as uproot
//! names them (`_collection0.Muon_pt`; a collection's `_0` item is its parent's name).
//! A leaf of numbers under no collection is a scalar; under one collection it is jagged, with
//! that collection's offsets; a `ROOT::RNTupleCardinality` field is the collection's sizes.
//! Everything else (strings, nested collections, variants, arrays, streamed objects) is a
//! branch with the reason it cannot be read, so that a script using it gets a clear error.

use super::super::layout::Elem;
use super::decode::{self, Enc};
use super::meta::{COLLECTION, LEAF, RECORD, Schema};

#[derive(Clone, Debug)]
pub(super) enum Shape {
    /// One value per entry, from `value`'s column.
    Scalar { value: u32, elem: Elem },
    /// Per entry, the values of `value` between the offsets of `index`'s column.
    Jagged { index: u32, value: u32, elem: Elem },
    /// Per entry, the size of the collection whose offsets are `index`'s column.
    Cardinality { index: u32, elem: Elem },
}

impl Shape {
    pub(super) fn elem(&self) -> Elem {
        match *self {
            Shape::Scalar { elem, .. }
            | Shape::Jagged { elem, .. }
            | Shape::Cardinality { elem, .. } => elem,
        }
    }
}

#[derive(Clone, Debug)]
pub(super) struct Branch {
    pub name: String,
    pub type_name: String,
    /// The shape, or why the field cannot be read.
    pub shape: Result<Shape, String>,
    /// For unreadable fields: whether they hold a list per entry (for the checker's
    /// messages).
    pub jagged: bool,
}

/// The engine type of a C++ type name (normalized as RNTuple writes it).
fn elem_of(type_name: &str) -> Option<Elem> {
    Some(match type_name {
        "bool" => Elem::Bool,
        "char" | "std::int8_t" => Elem::I8,
        "std::uint8_t" => Elem::U8,
        "std::int16_t" => Elem::I16,
        "std::uint16_t" => Elem::U16,
        "std::int32_t" => Elem::I32,
        "std::uint32_t" => Elem::U32,
        "std::int64_t" => Elem::I64,
        "std::uint64_t" => Elem::U64,
        "float" => Elem::F32,
        "double" => Elem::F64,
        _ => return None,
    })
}

struct Walk<'a> {
    schema: &'a Schema,
    field_columns: &'a [Vec<u32>],
    encs: &'a [Result<Enc, String>],
    children: Vec<Vec<u32>>,
    out: Vec<Branch>,
}

pub(super) fn branches(
    schema: &Schema,
    field_columns: &[Vec<u32>],
    encs: &[Result<Enc, String>],
) -> Vec<Branch> {
    let mut children = vec![Vec::new(); schema.fields.len()];
    let mut top = Vec::new();
    for (i, f) in schema.fields.iter().enumerate() {
        let i = i as u32;
        if f.parent == i {
            top.push(i);
        } else if let Some(c) = children.get_mut(f.parent as usize) {
            c.push(i);
        }
    }
    let mut w = Walk {
        schema,
        field_columns,
        encs,
        children,
        out: Vec::new(),
    };
    for f in top {
        if let Some(name) = schema.fields.get(f as usize).map(|x| x.name.clone()) {
            w.visit(f, name, None, 0);
        }
    }
    w.out
}

/// Collections and records nest at most this deep in what is walked (a cycle of parents in
/// a damaged header must not recurse forever).
const MAX_DEPTH: usize = 16;

impl Walk<'_> {
    fn bad(&mut self, name: String, type_name: String, jagged: bool, why: impl Into<String>) {
        self.out.push(Branch {
            name,
            type_name,
            shape: Err(why.into()),
            jagged,
        });
    }

    /// The value-column check of a leaf: its first column decodes to numbers convertible to
    /// `elem`.
    fn leaf_column(&self, field: u32, elem: Elem) -> Result<(), String> {
        let cols = self
            .field_columns
            .get(field as usize)
            .filter(|c| !c.is_empty())
            .ok_or("the field has no columns")?;
        for &c in cols {
            let enc = self.encs.get(c as usize).ok_or("no such column")?.clone()?;
            let native = enc
                .elem()
                .ok_or("an index column where values were expected")?;
            let real = |e: Elem| matches!(e, Elem::F32 | Elem::F64);
            if real(native) != real(elem) {
                let t = self.schema.columns.get(c as usize).map(|c| c.kind);
                return Err(format!(
                    "stored as {}",
                    t.map(decode::col_type_name).unwrap_or_default()
                ));
            }
        }
        Ok(())
    }

    fn index_column(&self, field: u32) -> Result<(), String> {
        let cols = self
            .field_columns
            .get(field as usize)
            .filter(|c| !c.is_empty())
            .ok_or("the collection has no offsets column")?;
        for &c in cols {
            let enc = self.encs.get(c as usize).ok_or("no such column")?.clone()?;
            if !matches!(enc, Enc::Index { .. }) {
                return Err("the collection's first column is not an index column".into());
            }
        }
        Ok(())
    }

    fn visit(&mut self, id: u32, name: String, coll: Option<u32>, depth: usize) {
        let Some(f) = self.schema.fields.get(id as usize) else {
            return;
        };
        let ty = if f.type_name.is_empty() {
            match f.role {
                COLLECTION => "untyped collection".to_string(),
                _ => "untyped record".to_string(),
            }
        } else {
            f.type_name.clone()
        };
        let jagged = coll.is_some();
        if depth > MAX_DEPTH {
            return self.bad(name, ty, jagged, "fields nested too deep");
        }
        if f.flags & 1 != 0 {
            return self.bad(name, ty, jagged, "fixed-size arrays are not read yet");
        }
        let kids = self.children.get(id as usize).cloned().unwrap_or_default();
        match f.role {
            LEAF if ty.starts_with("ROOT::RNTupleCardinality<") => {
                let elem = if ty.contains("std::uint64_t") {
                    Elem::U64
                } else {
                    Elem::U32
                };
                let shape = match coll {
                    Some(_) => Err("sizes of nested collections are not read".to_string()),
                    None => self
                        .index_column(id)
                        .map(|()| Shape::Cardinality { index: id, elem }),
                };
                self.out.push(Branch {
                    name,
                    type_name: ty,
                    shape,
                    jagged,
                });
            }
            LEAF if kids.is_empty() => {
                let Some(elem) = elem_of(&ty) else {
                    return self.bad(name, ty, jagged, "ana reads numbers and booleans");
                };
                let shape = self.leaf_column(id, elem).map(|()| match coll {
                    None => Shape::Scalar { value: id, elem },
                    Some(index) => Shape::Jagged {
                        index,
                        value: id,
                        elem,
                    },
                });
                let type_name = match coll.and_then(|c| self.schema.fields.get(c as usize)) {
                    Some(c) if c.name != name => format!("{ty} (in {})", c.name),
                    _ => ty,
                };
                self.out.push(Branch {
                    name,
                    type_name,
                    shape,
                    jagged,
                });
            }
            COLLECTION => {
                if coll.is_some() {
                    return self.bad(name, ty, true, "collections nested in collections");
                }
                if let Err(e) = self.index_column(id) {
                    return self.bad(name, ty, true, e);
                }
                let [item] = kids.as_slice() else {
                    return self.bad(name, ty, true, "a collection of several item fields");
                };
                let Some(it) = self.schema.fields.get(*item as usize) else {
                    return;
                };
                let item_kids = self.children.get(*item as usize).map_or(0, Vec::len);
                if it.role == LEAF && item_kids == 0 && elem_of(&it.type_name).is_some() {
                    // `RVec<float>`: the collection is the branch, its `_0` the values.
                    let before = self.out.len();
                    self.visit(*item, name.clone(), Some(id), depth + 1);
                    if let Some(b) = self.out.get_mut(before) {
                        b.type_name = ty;
                    }
                } else if it.role == RECORD {
                    self.bad(
                        name.clone(),
                        ty,
                        true,
                        "a collection of records: read its fields by their names",
                    );
                    for k in self
                        .children
                        .get(*item as usize)
                        .cloned()
                        .unwrap_or_default()
                    {
                        let sub = self.schema.fields.get(k as usize).map(|x| x.name.clone());
                        if let Some(sub) = sub {
                            self.visit(k, format!("{name}.{sub}"), Some(id), depth + 1);
                        }
                    }
                } else {
                    self.bad(name, ty, true, "a collection of this item type is not read");
                }
            }
            RECORD => {
                self.bad(
                    name.clone(),
                    ty,
                    jagged,
                    "a record: read its fields by their names",
                );
                for k in kids {
                    let sub = self.schema.fields.get(k as usize).map(|x| x.name.clone());
                    if let Some(sub) = sub {
                        self.visit(k, format!("{name}.{sub}"), coll, depth + 1);
                    }
                }
            }
            _ => self.bad(name, ty, jagged, "this kind of field is not read"),
        }
    }
}
