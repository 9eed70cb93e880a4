//! Building spaces: `Filter`, `Sort`, `Combinations`, `Cartesian`, `Concat` over a chunk.
//!
//! Input: parent spaces (and masks/keys, one value per parent element). Output: a
//! [`SpaceCol`] whose `parents[m]` holds, for each new element, the chunk-global index of the
//! parent element it comes from (-1 for a `Concat` element from the other parent).
//! Invariant: element order within an event is exactly the one `graph::NodeKind` documents.

use std::cmp::Ordering;

use ana_compiler::abi::EngineError;

use super::column::{Col, SpaceCol, graph_error, offsets_from_counts};

pub fn filter(parent: &SpaceCol, mask: &[bool]) -> Result<SpaceCol, EngineError> {
    if mask.len() != parent.total() {
        return Err(graph_error("filter mask length differs from its space"));
    }
    let mut offsets = Vec::with_capacity(parent.offsets.len());
    let mut index = Vec::new();
    offsets.push(0);
    for (_, range) in parent.events() {
        let m = mask
            .get(range.clone())
            .ok_or_else(|| graph_error("filter over a malformed space"))?;
        for (i, &keep) in range.zip(m) {
            if keep {
                index.push(i as i64);
            }
        }
        offsets.push(index.len());
    }
    Ok(SpaceCol {
        offsets,
        parents: vec![index],
    })
}

/// Key order of `Sort`: NaN keys last in both directions; equal keys (and -0 / +0, which
/// compare equal) keep parent order, since the sort is stable.
fn key_order(a: f64, b: f64, descending: bool) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ if descending => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

#[expect(
    clippy::indexing_slicing,
    reason = "the sorted values are element indices of `parent`, below `key.len()` (checked)"
)]
pub fn sort(parent: &SpaceCol, key: &Col, descending: bool) -> Result<SpaceCol, EngineError> {
    if key.len() != parent.total() {
        return Err(graph_error("sort key length differs from its space"));
    }
    let mut index: Vec<i64> = (0..parent.total() as i64).collect();
    for (_, range) in parent.events() {
        let slice = index
            .get_mut(range)
            .ok_or_else(|| graph_error("sort over a malformed space"))?;
        // Small events (the common case) use an insertion sort: stable, allocation free.
        match key {
            Col::Float(k) => stable_sort(slice, |a, b| {
                key_order(k[a as usize], k[b as usize], descending)
            }),
            Col::Int(k) => stable_sort(slice, |a, b| {
                let o = k[a as usize].cmp(&k[b as usize]);
                if descending { o.reverse() } else { o }
            }),
            other => {
                return Err(graph_error(format!(
                    "sort key of type {}",
                    other.type_name()
                )));
            }
        }
    }
    Ok(SpaceCol {
        offsets: parent.offsets.clone(),
        parents: vec![index],
    })
}

#[expect(clippy::indexing_slicing, reason = "`0 < j < slice.len()`")]
fn stable_sort(slice: &mut [i64], cmp: impl Fn(i64, i64) -> Ordering) {
    if slice.len() <= 32 {
        for i in 1..slice.len() {
            let mut j = i;
            while j > 0 && cmp(slice[j - 1], slice[j]) == Ordering::Greater {
                slice.swap(j - 1, j);
                j -= 1;
            }
        }
    } else {
        slice.sort_by(|&a, &b| cmp(a, b));
    }
}

fn choose(n: usize, k: u8) -> usize {
    match k {
        2 => n.saturating_mul(n.saturating_sub(1)) / 2,
        3 => {
            n.saturating_mul(n.saturating_sub(1))
                .saturating_mul(n.saturating_sub(2))
                / 6
        }
        _ => 0,
    }
}

pub fn combinations(parent: &SpaceCol, k: u8) -> Result<SpaceCol, EngineError> {
    if !(2..=3).contains(&k) {
        return Err(graph_error(format!("combinations of {k} elements")));
    }
    let n_events = parent.n_events();
    let offsets = offsets_from_counts(parent.events().map(|(_, r)| choose(r.len(), k)), n_events)?;
    let total = offsets.last().copied().unwrap_or(0);
    let mut first = Vec::with_capacity(total);
    let mut second = Vec::with_capacity(total);
    let mut third = Vec::with_capacity(if k == 3 { total } else { 0 });
    for (_, r) in parent.events() {
        let (lo, hi) = (r.start as i64, r.end as i64);
        if k == 2 {
            for a in lo..hi {
                for b in a + 1..hi {
                    first.push(a);
                    second.push(b);
                }
            }
        } else {
            for a in lo..hi {
                for b in a + 1..hi {
                    for c in b + 1..hi {
                        first.push(a);
                        second.push(b);
                        third.push(c);
                    }
                }
            }
        }
    }
    let parents = if k == 2 {
        vec![first, second]
    } else {
        vec![first, second, third]
    };
    Ok(SpaceCol { offsets, parents })
}

pub fn cartesian(a: &SpaceCol, b: &SpaceCol) -> Result<SpaceCol, EngineError> {
    if a.n_events() != b.n_events() {
        return Err(graph_error("cartesian of spaces over different events"));
    }
    let counts = a
        .events()
        .zip(b.events())
        .map(|((_, ra), (_, rb))| ra.len().saturating_mul(rb.len()));
    let offsets = offsets_from_counts(counts, a.n_events())?;
    let total = offsets.last().copied().unwrap_or(0);
    let mut first = Vec::with_capacity(total);
    let mut second = Vec::with_capacity(total);
    for ((_, ra), (_, rb)) in a.events().zip(b.events()) {
        for i in ra {
            for j in rb.clone() {
                first.push(i as i64);
                second.push(j as i64);
            }
        }
    }
    Ok(SpaceCol {
        offsets,
        parents: vec![first, second],
    })
}

pub fn concat(a: &SpaceCol, b: &SpaceCol) -> Result<SpaceCol, EngineError> {
    if a.n_events() != b.n_events() {
        return Err(graph_error("concat of spaces over different events"));
    }
    let counts = a
        .events()
        .zip(b.events())
        .map(|((_, ra), (_, rb))| ra.len() + rb.len());
    let offsets = offsets_from_counts(counts, a.n_events())?;
    let total = offsets.last().copied().unwrap_or(0);
    let mut first = Vec::with_capacity(total);
    let mut second = Vec::with_capacity(total);
    for ((_, ra), (_, rb)) in a.events().zip(b.events()) {
        for i in ra {
            first.push(i as i64);
            second.push(-1);
        }
        for j in rb {
            first.push(-1);
            second.push(j as i64);
        }
    }
    Ok(SpaceCol {
        offsets,
        parents: vec![first, second],
    })
}
