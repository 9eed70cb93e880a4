//! Chunk planning: entry ranges per file, sized by `--chunk-entries`, cut at `--max-entries`.
//!
//! Input: each file's clusters (entry ranges at basket boundaries shared by the branches
//! read). Output: the run's chunks in order (file by file, entries ascending).
//! Invariant: the chunks of a file are disjoint, ascending and cover exactly the entries
//! read, so merging their partials in order is the same as one pass over the input.

use std::ops::Range;

/// One unit of work: entries `entries` of input file number `file`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub file: usize,
    pub entries: Range<u64>,
}

/// Groups consecutive clusters into chunks of at least `chunk_entries` entries; a cluster
/// larger than that is cut into pieces of `chunk_entries` (its baskets are then decoded by
/// several chunks). Without `chunk_entries` the clusters are the chunks.
pub fn split_ranges(clusters: &[Range<u64>], chunk_entries: Option<u64>) -> Vec<Range<u64>> {
    let Some(n) = chunk_entries.filter(|&n| n > 0) else {
        return clusters.iter().filter(|r| !r.is_empty()).cloned().collect();
    };
    let mut out = Vec::new();
    let mut current: Option<Range<u64>> = None;
    for r in clusters.iter().filter(|r| !r.is_empty()) {
        if r.end - r.start > n {
            if let Some(c) = current.take() {
                out.push(c);
            }
            let mut start = r.start;
            while start < r.end {
                let end = start.saturating_add(n).min(r.end);
                out.push(start..end);
                start = end;
            }
            continue;
        }
        let c = match current.take() {
            Some(c) if c.end == r.start => c.start..r.end,
            Some(c) => {
                out.push(c);
                r.clone()
            }
            None => r.clone(),
        };
        if c.end - c.start >= n {
            out.push(c);
        } else {
            current = Some(c);
        }
    }
    out.extend(current);
    out
}

/// Cuts the run's chunks so that at most `max` entries are read in total.
pub fn limit(chunks: Vec<Chunk>, max: Option<u64>) -> Vec<Chunk> {
    let Some(mut left) = max else { return chunks };
    let mut out = Vec::new();
    for mut c in chunks {
        if left == 0 {
            break;
        }
        let len = c.entries.end - c.entries.start;
        if len > left {
            c.entries.end = c.entries.start + left;
        }
        left -= c.entries.end - c.entries.start;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_small_clusters_and_cuts_large_ones() {
        let clusters = [0..10, 10..20, 20..100, 100..105, 105..110];
        assert_eq!(split_ranges(&clusters, None), clusters.to_vec());
        assert_eq!(
            split_ranges(&clusters, Some(15)),
            vec![
                0..20,
                20..35,
                35..50,
                50..65,
                65..80,
                80..95,
                95..100,
                100..110
            ]
        );
        assert_eq!(
            split_ranges(std::slice::from_ref(&(0..1000)), Some(300)),
            vec![0..300, 300..600, 600..900, 900..1000]
        );
        assert_eq!(split_ranges(&[], Some(3)), Vec::<Range<u64>>::new());
    }

    #[test]
    fn limit_cuts_the_plan() {
        let c = |file, entries| Chunk { file, entries };
        let plan = vec![c(0, 0..10), c(0, 10..20), c(1, 0..10)];
        assert_eq!(
            limit(plan.clone(), Some(15)),
            vec![c(0, 0..10), c(0, 10..15)]
        );
        assert_eq!(limit(plan.clone(), None), plan);
        assert_eq!(limit(plan, Some(0)), vec![]);
    }
}
