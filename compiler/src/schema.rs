//! What the checker knows of the input: the branches of the tree, with their types.
//! Built by the runtime from a ROOT file (the compiler does no IO); absent for `ana check`
//! without an input, in which case names are not checked against branches.

use crate::graph::PhysType;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    pub tree: String,
    pub branches: Vec<SchemaBranch>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SchemaBranch {
    /// As ROOT spells it (`Muon_pt`).
    pub name: String,
    /// `None` for types that no engine reads (`vector<vector<T>>`, strings, objects): the
    /// checker reports a clear "unsupported type" error if a script uses them.
    pub phys: Option<PhysType>,
    /// One list per entry (leaf-count array, `std::vector<T>`, fixed array `T[N]`).
    pub jagged: bool,
    /// The counter branch of a leaf-count array (`nMuon` for `Muon_pt[nMuon]`).
    pub counter: Option<String>,
    /// ROOT's type name for messages (`Float_t[nMuon]`, `vector<float>`).
    pub type_name: String,
}

impl Schema {
    pub fn branch(&self, name: &str) -> Option<&SchemaBranch> {
        self.branches.iter().find(|b| b.name == name)
    }
}
