//! What an expression denotes while it is lowered: a scalar node, a collection (a space with
//! fields), one object of a collection, a four-vector, or a string.
//!
//! Input: graph nodes made through the [`Builder`]. Output: graph nodes for fields, member
//! objects and four-vector components, made on demand so that only what a script uses is
//! built. Invariant: a value's nodes all have the value's `shape`; values of other shapes are
//! brought to it by [`lift`] (broadcast an event value, gather through parent indices).

use std::rc::Rc;

use indexmap::IndexMap;

use super::builder::Builder;
use crate::graph::*;

#[derive(Clone, Debug)]
pub enum Val {
    /// A Bool, Int or Float node (also `Ref` nodes never escape as `Num`).
    Num(NodeId),
    Coll(Rc<Coll>),
    Obj(Obj),
    Vec4(V4),
    /// A string literal or string parameter: a branch name where one is expected, else a
    /// string value (interned on use, see `Text`).
    Str(String),
    /// A string value: an `Int` node holding an interned id (`Graph::strings`), per event
    /// or per element (`if c then "ee" else "mumu"`).
    Text(NodeId),
    /// Something already reported: using it reports nothing more.
    Error,
}

/// One element of `coll`: `index` (a `Ref(coll.space)` node) points to it, or `None` when the
/// value is the element itself (shape `Elem(coll.space)`, inside `coll[...]`).
#[derive(Clone, Debug)]
pub struct Obj {
    pub coll: Rc<Coll>,
    pub index: Option<NodeId>,
}

/// A four-vector as components of one shape: as loaded (pt, eta, phi, mass) or summed
/// (px, py, pz, e).
#[derive(Clone, Copy, Debug)]
pub enum V4 {
    Polar {
        pt: NodeId,
        eta: NodeId,
        phi: NodeId,
        mass: NodeId,
    },
    Cart {
        px: NodeId,
        py: NodeId,
        pz: NodeId,
        e: NodeId,
    },
}

#[derive(Debug)]
pub struct Coll {
    pub space: NodeId,
    /// How the script calls its elements, for messages ("Muon", "pairs of Muon").
    pub what: String,
    pub kind: CollKind,
}

#[derive(Debug)]
pub enum CollKind {
    /// From branches: field name -> (branch, physical type).
    Source {
        fields: IndexMap<String, (String, PhysType)>,
    },
    /// Filter or sort of `parent`; `index` is `ParentIndex(space, 0)`.
    Derived { parent: Rc<Coll>, index: NodeId },
    /// Pairs, triples or cross pairs: member m is `members[m].1` (a `Ref` into `members[m].0`).
    Combo { members: Vec<(Rc<Coll>, NodeId)> },
    /// Concatenation: the parents with their parent indices; `first` is true for elements of
    /// the first parent; `tags` are the `flavour` values.
    Concat {
        parts: [(Rc<Coll>, NodeId); 2],
        first: NodeId,
        tags: [i64; 2],
    },
}

pub const VECTOR_FIELDS: [&str; 4] = ["pt", "eta", "phi", "mass"];
pub const VECTOR_PROPS: [&str; 8] = ["pt", "eta", "phi", "mass", "px", "py", "pz", "e"];

impl Val {
    /// The shape of the value's nodes; `None` for strings and errors.
    pub fn shape(&self, b: &Builder) -> Option<Shape> {
        match self {
            Val::Num(n) => Some(b.shape(*n)),
            Val::Coll(_) => Some(Shape::Event),
            Val::Obj(o) => Some(match o.index {
                Some(i) => b.shape(i),
                None => Shape::Elem(o.coll.space),
            }),
            Val::Vec4(v) => Some(b.shape(v.any())),
            Val::Text(n) => Some(b.shape(*n)),
            Val::Str(_) | Val::Error => None,
        }
    }

    /// What it is, for messages.
    pub fn describe(&self, b: &Builder) -> String {
        match self {
            Val::Num(n) => {
                let t = match b.scalar_type(*n) {
                    Some(ScalarType::Bool) => "a Bool",
                    Some(ScalarType::Int) => "an Int",
                    _ => "a Float",
                };
                match b.shape(*n) {
                    Shape::Event => format!("{t} per event"),
                    Shape::Elem(_) => format!("{t} per element"),
                }
            }
            Val::Coll(c) => format!("a collection ({})", c.what),
            Val::Obj(o) => format!("one object ({})", o.coll.what),
            Val::Vec4(_) => "a four-vector".to_string(),
            Val::Str(_) => "a string".to_string(),
            Val::Text(n) => match b.shape(*n) {
                Shape::Event => "a string per event".to_string(),
                Shape::Elem(_) => "a string per element".to_string(),
            },
            Val::Error => "an error".to_string(),
        }
    }
}

impl V4 {
    pub(crate) fn any(&self) -> NodeId {
        match *self {
            V4::Polar { pt, .. } => pt,
            V4::Cart { px, .. } => px,
        }
    }

    pub fn map(&self, mut f: impl FnMut(NodeId) -> NodeId) -> V4 {
        match *self {
            V4::Polar { pt, eta, phi, mass } => V4::Polar {
                pt: f(pt),
                eta: f(eta),
                phi: f(phi),
                mass: f(mass),
            },
            V4::Cart { px, py, pz, e } => V4::Cart {
                px: f(px),
                py: f(py),
                pz: f(pz),
                e: f(e),
            },
        }
    }

    /// px = pt cos(phi), py = pt sin(phi), pz = pt sinh(eta), e = sqrt(px² + py² + pz² + m²).
    pub fn cart(&self, b: &mut Builder) -> [NodeId; 4] {
        match *self {
            V4::Cart { px, py, pz, e } => [px, py, pz, e],
            V4::Polar { pt, eta, phi, mass } => {
                let cos = b.unary(UnaryOp::Cos, phi);
                let sin = b.unary(UnaryOp::Sin, phi);
                let sinh = b.unary(UnaryOp::Sinh, eta);
                let px = b.binary(BinaryOp::Mul, pt, cos);
                let py = b.binary(BinaryOp::Mul, pt, sin);
                let pz = b.binary(BinaryOp::Mul, pt, sinh);
                let p2 = sum_sq(b, &[px, py, pz]);
                let m2 = b.binary(BinaryOp::Mul, mass, mass);
                let e2 = b.binary(BinaryOp::Add, p2, m2);
                let e = b.unary(UnaryOp::Sqrt, e2);
                [px, py, pz, e]
            }
        }
    }

    pub fn add(&self, other: &V4, b: &mut Builder) -> V4 {
        let [lx, ly, lz, le] = self.cart(b);
        let [rx, ry, rz, re] = other.cart(b);
        let px = b.binary(BinaryOp::Add, lx, rx);
        let py = b.binary(BinaryOp::Add, ly, ry);
        let pz = b.binary(BinaryOp::Add, lz, rz);
        let e = b.binary(BinaryOp::Add, le, re);
        V4::Cart { px, py, pz, e }
    }

    /// One of [`VECTOR_PROPS`]; loaded components are used as they are.
    pub fn prop(&self, name: &str, b: &mut Builder) -> Option<NodeId> {
        if let V4::Polar { pt, eta, phi, mass } = *self {
            match name {
                "pt" => return Some(pt),
                "eta" => return Some(eta),
                "phi" => return Some(phi),
                "mass" => return Some(mass),
                _ => {}
            }
        }
        let [px, py, pz, e] = self.cart(b);
        Some(match name {
            "px" => px,
            "py" => py,
            "pz" => pz,
            "e" => e,
            // pt = sqrt(px² + py²)
            "pt" => {
                let s = sum_sq(b, &[px, py]);
                b.unary(UnaryOp::Sqrt, s)
            }
            // phi = atan2(py, px)
            "phi" => b.binary(BinaryOp::Atan2, py, px),
            // eta = asinh(pz / pt)
            "eta" => {
                let pt = self.prop("pt", b)?;
                let r = b.binary(BinaryOp::Div, pz, pt);
                b.unary(UnaryOp::Asinh, r)
            }
            // m² = e² - p²; mass = m² >= 0 ? sqrt(m²) : -sqrt(-m²)
            "mass" => {
                let e2 = b.binary(BinaryOp::Mul, e, e);
                let p2 = sum_sq(b, &[px, py, pz]);
                let m2 = b.binary(BinaryOp::Sub, e2, p2);
                let zero = b.float(0.0);
                let pos = b.binary(BinaryOp::Ge, m2, zero);
                let root = b.unary(UnaryOp::Sqrt, m2);
                let neg_m2 = b.unary(UnaryOp::Neg, m2);
                let neg_root0 = b.unary(UnaryOp::Sqrt, neg_m2);
                let neg_root = b.unary(UnaryOp::Neg, neg_root0);
                b.select(pos, root, neg_root)
            }
            _ => return None,
        })
    }
}

/// a² + b² + ... added left to right.
pub fn sum_sq(b: &mut Builder, xs: &[NodeId]) -> NodeId {
    let mut acc: Option<NodeId> = None;
    for &x in xs {
        let sq = b.binary(BinaryOp::Mul, x, x);
        acc = Some(match acc {
            None => sq,
            Some(a) => b.binary(BinaryOp::Add, a, sq),
        });
    }
    acc.unwrap_or_else(|| b.float(0.0))
}

impl Coll {
    /// Field names, for "did you mean" and for `concat`.
    pub fn field_names(&self) -> Vec<String> {
        match &self.kind {
            CollKind::Source { fields } => fields.keys().cloned().collect(),
            CollKind::Derived { parent, .. } => parent.field_names(),
            CollKind::Combo { members } => {
                let mut v: Vec<String> = (0..members.len()).map(|m| m.to_string()).collect();
                if members.iter().all(|(c, _)| c.is_vector()) {
                    v.extend(VECTOR_PROPS.iter().map(|s| s.to_string()));
                }
                v
            }
            CollKind::Concat { parts, .. } => {
                let b = parts[1].0.field_names();
                let mut v: Vec<String> = parts[0]
                    .0
                    .field_names()
                    .into_iter()
                    .filter(|f| b.contains(f))
                    .collect();
                v.push("flavour".to_string());
                v
            }
        }
    }

    pub fn is_vector(&self) -> bool {
        match &self.kind {
            CollKind::Combo { members } => members.iter().all(|(c, _)| c.is_vector()),
            _ => {
                let names = self.field_names();
                VECTOR_FIELDS.iter().all(|f| names.iter().any(|n| n == f))
            }
        }
    }

    /// A field's value per element (shape `Elem(space)`); `None` if there is no such field.
    pub fn field(&self, name: &str, b: &mut Builder) -> Option<Val> {
        match &self.kind {
            CollKind::Source { fields } => {
                let (branch, phys) = fields.get(name)?;
                let id = b.branch(branch, *phys, true);
                let ty = phys.value_type();
                Some(Val::Num(b.add(
                    NodeKind::LoadElem {
                        branch: id,
                        space: self.space,
                    },
                    Type::Scalar(ty),
                    Shape::Elem(self.space),
                )))
            }
            CollKind::Derived { parent, index } => {
                let v = parent.field(name, b)?;
                Some(gather(b, *index, &v))
            }
            CollKind::Combo { members } => {
                if let Ok(m) = name.parse::<usize>() {
                    let (coll, index) = members.get(m)?;
                    return Some(Val::Obj(Obj {
                        coll: coll.clone(),
                        index: Some(*index),
                    }));
                }
                let v = self.vec4(b)?;
                v.prop(name, b).map(Val::Num)
            }
            CollKind::Concat { parts, first, tags } => {
                if name == "flavour" {
                    let a = b.konst(Literal::Int(tags[0]));
                    let c = b.konst(Literal::Int(tags[1]));
                    let a = b.broadcast(a, self.space);
                    let c = b.broadcast(c, self.space);
                    return Some(Val::Num(b.select(*first, a, c)));
                }
                let x = parts[0].0.field(name, b)?;
                let y = parts[1].0.field(name, b)?;
                let (Val::Num(x), Val::Num(y)) = (x, y) else {
                    return None;
                };
                let (tx, ty) = (b.scalar_type(x), b.scalar_type(y));
                let (x, y) = if tx == ty {
                    (x, y)
                } else {
                    (b.cast(x, ScalarType::Float), b.cast(y, ScalarType::Float))
                };
                let gx = b.gather(parts[0].1, x);
                let gy = b.gather(parts[1].1, y);
                Some(Val::Num(b.select(*first, gx, gy)))
            }
        }
    }

    /// The four-vector of each element (shape `Elem(space)`), when the collection has one.
    pub fn vec4(&self, b: &mut Builder) -> Option<V4> {
        match &self.kind {
            CollKind::Source { .. } => {
                let mut comp = |f: &str| match self.field(f, b) {
                    Some(Val::Num(n)) => {
                        let n = b.cast(n, ScalarType::Float);
                        Some(n)
                    }
                    _ => None,
                };
                Some(V4::Polar {
                    pt: comp("pt")?,
                    eta: comp("eta")?,
                    phi: comp("phi")?,
                    mass: comp("mass")?,
                })
            }
            CollKind::Derived { parent, index } => {
                let v = parent.vec4(b)?;
                Some(v.map(|n| b.gather(*index, n)))
            }
            CollKind::Combo { members } => {
                let mut acc: Option<V4> = None;
                for (coll, index) in members {
                    let v = coll.vec4(b)?.map(|n| b.gather(*index, n));
                    acc = Some(match acc {
                        None => v,
                        Some(a) => a.add(&v, b),
                    });
                }
                acc
            }
            CollKind::Concat { parts, first, .. } => {
                let x = parts[0].0.vec4(b)?.map(|n| b.gather(parts[0].1, n));
                let y = parts[1].0.vec4(b)?.map(|n| b.gather(parts[1].1, n));
                Some(match (x, y) {
                    (
                        V4::Polar {
                            pt: a0,
                            eta: a1,
                            phi: a2,
                            mass: a3,
                        },
                        V4::Polar {
                            pt: b0,
                            eta: b1,
                            phi: b2,
                            mass: b3,
                        },
                    ) => V4::Polar {
                        pt: b.select(*first, a0, b0),
                        eta: b.select(*first, a1, b1),
                        phi: b.select(*first, a2, b2),
                        mass: b.select(*first, a3, b3),
                    },
                    (x, y) => {
                        let ([lx, ly, lz, le], [rx, ry, rz, re]) = (x.cart(b), y.cart(b));
                        let px = b.select(*first, lx, rx);
                        let py = b.select(*first, ly, ry);
                        let pz = b.select(*first, lz, rz);
                        let e = b.select(*first, le, re);
                        V4::Cart { px, py, pz, e }
                    }
                })
            }
        }
    }
}

impl Obj {
    /// The `Ref` node pointing to the object.
    pub fn index_node(&self, b: &mut Builder) -> NodeId {
        match self.index {
            Some(i) => i,
            None => b.self_index(self.coll.space),
        }
    }

    pub fn field(&self, name: &str, b: &mut Builder) -> Option<Val> {
        let v = self.coll.field(name, b)?;
        Some(match self.index {
            Some(i) => gather(b, i, &v),
            None => v,
        })
    }

    pub fn vec4(&self, b: &mut Builder) -> Option<V4> {
        let v = self.coll.vec4(b)?;
        Some(match self.index {
            Some(i) => v.map(|n| b.gather(i, n)),
            None => v,
        })
    }
}

/// `v` (per element of some space) at the element `index` points to.
pub fn gather(b: &mut Builder, index: NodeId, v: &Val) -> Val {
    match v {
        Val::Num(n) => Val::Num(b.gather(index, *n)),
        Val::Obj(o) => {
            let inner = o.index_node(b);
            Val::Obj(Obj {
                coll: o.coll.clone(),
                index: Some(b.gather(index, inner)),
            })
        }
        Val::Vec4(v) => Val::Vec4(v.map(|n| b.gather(index, n))),
        other => other.clone(),
    }
}

/// Brings a value to `target`: event values are broadcast; values per element of a space are
/// gathered through the parent indices of filters, sorts and cross pairs derived from it.
/// `None` when the shapes are unrelated.
pub fn lift(b: &mut Builder, v: &Val, target: Shape) -> Option<Val> {
    if let Val::Text(n) = v {
        return match lift(b, &Val::Num(*n), target)? {
            Val::Num(m) => Some(Val::Text(m)),
            _ => None,
        };
    }
    let from = v.shape(b)?;
    if from == target {
        return Some(v.clone());
    }
    let Shape::Elem(to) = target else { return None };
    match from {
        Shape::Event => Some(match v {
            Val::Num(n) => Val::Num(b.broadcast(*n, to)),
            Val::Obj(o) => {
                let i = o.index_node(b);
                Val::Obj(Obj {
                    coll: o.coll.clone(),
                    index: Some(b.broadcast(i, to)),
                })
            }
            Val::Vec4(x) => Val::Vec4(x.map(|n| b.broadcast(n, to))),
            other => other.clone(),
        }),
        Shape::Elem(space) => {
            let path = path_to(b, space, to)?;
            let mut cur = v.clone();
            for (derived, m, parent) in path {
                let index = b.parent_index(derived, m, parent);
                cur = gather(b, index, &cur);
            }
            Some(cur)
        }
    }
}

/// The steps (derived space, parent number, parent space) from `from` down to `to`, in the
/// order to apply them; only through filters, sorts and cross pairs.
pub fn path_to(b: &Builder, from: NodeId, to: NodeId) -> Option<Vec<(NodeId, u8, NodeId)>> {
    if from == to {
        return Some(vec![]);
    }
    let candidates: Vec<(u8, NodeId)> = match &b.node(to).kind {
        NodeKind::Filter { parent, .. } | NodeKind::Sort { parent, .. } => vec![(0, *parent)],
        NodeKind::Cartesian { parents } => vec![(0, parents[0]), (1, parents[1])],
        _ => vec![],
    };
    for (m, parent) in candidates {
        if let Some(mut p) = path_to(b, from, parent) {
            p.push((to, m, parent));
            return Some(p);
        }
    }
    None
}
