//! The bytes of a remote file held in memory: blocks prefetched for a chunk (kept until the
//! chunk is read, then dropped by its key) and a few read-ahead blocks of metadata reads.

use std::ops::Range;

/// Read-ahead blocks kept (the oldest goes first): metadata reads cluster at a file's start
/// and end (header, keys, tree object), a handful covers them.
const READ_AHEAD_BLOCKS: usize = 8;

#[derive(Debug, Default)]
pub(super) struct Cache {
    /// (first byte, bytes, key of the chunk that asked for them).
    prefetched: Vec<(u64, Vec<u8>, u64)>,
    read_ahead: std::collections::VecDeque<(u64, Vec<u8>)>,
}

fn slice(start: u64, bytes: &[u8], want: &Range<u64>) -> Option<Vec<u8>> {
    let from = usize::try_from(want.start.checked_sub(start)?).ok()?;
    let to = usize::try_from(want.end.checked_sub(start)?).ok()?;
    bytes.get(from..to).map(<[u8]>::to_vec)
}

impl Cache {
    /// The bytes of `want`, if one block holds them all.
    pub(super) fn get(&self, want: &Range<u64>) -> Option<Vec<u8>> {
        self.prefetched
            .iter()
            .find_map(|(s, b, _)| slice(*s, b, want))
            .or_else(|| {
                self.read_ahead
                    .iter()
                    .rev()
                    .find_map(|(s, b)| slice(*s, b, want))
            })
    }

    /// Whether one block holds all of `want`.
    pub(super) fn covers(&self, want: &Range<u64>) -> bool {
        let inside =
            |s: u64, len: usize| s <= want.start && want.end <= s.saturating_add(len as u64);
        self.prefetched.iter().any(|(s, b, _)| inside(*s, b.len()))
            || self.read_ahead.iter().any(|(s, b)| inside(*s, b.len()))
    }

    pub(super) fn insert(&mut self, start: u64, bytes: Vec<u8>, key: u64) {
        self.prefetched.push((start, bytes, key));
    }

    pub(super) fn forget(&mut self, key: u64) {
        self.prefetched.retain(|(_, _, k)| *k != key);
    }

    pub(super) fn read_ahead(&mut self, start: u64, bytes: Vec<u8>) {
        if self.read_ahead.len() >= READ_AHEAD_BLOCKS {
            self.read_ahead.pop_front();
        }
        self.read_ahead.push_back((start, bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_serve_ranges_inside_them_until_forgotten() {
        let mut c = Cache::default();
        c.insert(100, (0..50).collect(), 7);
        assert_eq!(c.get(&(110..113)), Some(vec![10, 11, 12]));
        assert!(c.covers(&(100..150)) && !c.covers(&(100..151)));
        assert_eq!(c.get(&(140..151)), None, "runs past the block");
        assert_eq!(c.get(&(90..101)), None, "starts before the block");
        c.forget(7);
        assert_eq!(c.get(&(110..113)), None);
        for i in 0..=READ_AHEAD_BLOCKS as u64 {
            c.read_ahead(i * 10, vec![i as u8; 10]);
        }
        assert_eq!(c.get(&(0..1)), None, "the oldest read-ahead block went");
        assert_eq!(c.get(&(15..16)), Some(vec![1]));
    }
}
