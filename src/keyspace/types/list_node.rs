//! One node of a [`List`](super::list::List): up to a node's worth of
//! elements as two front-coded [`Packed`] runs, so that both ends are cheap.
//!
//! A packed run can only be decoded forwards and is cheap to edit at its
//! front (the first entry is stored whole). A node therefore keeps its
//! elements as `fwd` (in list order, first element first) followed by `rev`
//! (in reverse order, last element first): pushing or popping at either end
//! of the node edits the front of one run. When a pop finds its run empty,
//! half of the other run moves over (as in a deque made of two stacks), so
//! every element moves a bounded number of times. Only the list's last node
//! keeps a `rev` run; a node that stops being last is folded into `fwd`.

use super::packed::{Builder, Cursor, Elem, Packed};

#[derive(Clone, Default)]
pub(super) struct Node {
    fwd: Packed<1>,
    rev: Packed<1>,
}

/// The most a node may hold.
#[derive(Clone, Copy, Debug)]
pub(super) struct NodeLimit {
    pub(super) entries: usize,
    pub(super) bytes: usize,
}

/// A node's elements decoded into one buffer, for walking them backwards or
/// rebuilding. Only slow paths use it.
#[derive(Default)]
pub(super) struct Decoded {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Decoded {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    fn push(&mut self, entry: &[u8]) {
        self.bytes.extend_from_slice(entry);
        self.ends.push(self.bytes.len());
    }

    /// Appends `count` entries of `run` from `from`.
    fn extend_from(&mut self, run: &Packed<1>, from: usize, count: usize) {
        let mut cursor = run.cursor();
        cursor.skip(from);
        for _ in 0..count {
            match cursor.next_entry() {
                Some(entry) => self.push(entry),
                None => break,
            }
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

impl Node {
    pub(super) fn with(entry: &[u8]) -> Node {
        let mut node = Node::default();
        node.push_front(entry);
        node
    }

    pub(super) fn len(&self) -> usize {
        self.fwd.len() + self.rev.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(super) fn byte_len(&self) -> usize {
        self.fwd.byte_len() + self.rev.byte_len()
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.fwd.heap_bytes() + self.rev.heap_bytes()
    }

    /// Whether an element of `len` bytes may join (an empty node takes
    /// anything, so an element too big for any node gets one of its own).
    /// The byte limit is soft: an insertion can also lengthen the element
    /// after it (which may lose its shared prefix), by up to `MAX_CODED`.
    pub(super) fn has_room(&self, len: usize, limit: NodeLimit) -> bool {
        self.is_empty()
            || (self.len() < limit.entries
                && self.byte_len().saturating_add(len).saturating_add(1) <= limit.bytes)
    }

    /// Where element `i` lives: `fwd` index, or `rev` index.
    fn locate(&self, i: usize) -> Result<usize, usize> {
        if i < self.fwd.len() {
            Ok(i)
        } else {
            Err(self.len() - 1 - i)
        }
    }

    pub(super) fn get(&self, i: usize) -> Option<Elem<'_>> {
        if i >= self.len() {
            return None;
        }
        match self.locate(i) {
            Ok(f) => self.fwd.get(f),
            Err(r) => self.rev.get(r),
        }
    }

    pub(super) fn push_front(&mut self, entry: &[u8]) {
        self.fwd.insert(0, entry);
    }

    pub(super) fn push_back(&mut self, entry: &[u8]) {
        self.rev.insert(0, entry);
    }

    pub(super) fn pop_front<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if self.fwd.is_empty() {
            Self::refill(&mut self.fwd, &mut self.rev);
        }
        self.fwd.pop_front_with(f)
    }

    pub(super) fn pop_back<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if self.rev.is_empty() {
            Self::refill(&mut self.rev, &mut self.fwd);
        }
        self.rev.pop_front_with(f)
    }

    /// Moves the far half of `from` (the elements nearest the empty run's
    /// end of the node) into the empty run `to`, reversing their order.
    fn refill(to: &mut Packed<1>, from: &mut Packed<1>) {
        let keep = from.len() / 2;
        let mut moved = Decoded::default();
        moved.extend_from(from, keep, from.len() - keep);
        let mut builder = Builder::new();
        for i in (0..moved.len()).rev() {
            builder.push(moved.get(i));
        }
        *to = Packed::from_builder(builder);
        from.remove(keep, from.len() - keep);
        from.shrink_to_fit();
    }

    /// Replaces element `i`, handing the old bytes to `old` first.
    pub(super) fn replace(&mut self, i: usize, entry: &[u8], old: impl FnOnce(&[u8])) -> bool {
        if i >= self.len() {
            return false;
        }
        let (run, index) = match self.locate(i) {
            Ok(f) => (&mut self.fwd, f),
            Err(r) => (&mut self.rev, r),
        };
        let mut cursor = run.cursor();
        cursor.skip(index);
        let at = cursor.position().clone();
        if let Some(current) = cursor.next_entry() {
            old(current);
        }
        run.splice(&at, 1, &[entry]);
        true
    }

    /// Inserts before element `i` (`len()` appends).
    pub(super) fn insert(&mut self, i: usize, entry: &[u8]) -> bool {
        if i > self.len() {
            return false;
        }
        if i <= self.fwd.len() {
            self.fwd.insert(i, entry)
        } else {
            self.rev.insert(self.len() - i, entry)
        }
    }

    /// Folds `rev` into `fwd`, for a node that is no longer last.
    pub(super) fn fold(&mut self) {
        if self.rev.is_empty() {
            return;
        }
        let mut builder = Builder::new();
        self.for_each(0, self.len(), &mut Decoded::default(), |_, e| {
            builder.push(e);
            true
        });
        *self = Node {
            fwd: Packed::from_builder(builder),
            rev: Packed::new(),
        };
    }

    /// Calls `f(i, element)` for `i` in `from..to`, in order, until it
    /// returns false (then returns false). `scratch` is reused for `rev`.
    pub(super) fn for_each(
        &self,
        from: usize,
        to: usize,
        scratch: &mut Decoded,
        mut f: impl FnMut(usize, &[u8]) -> bool,
    ) -> bool {
        let to = to.min(self.len());
        let split = self.fwd.len();
        let mut cursor = self.fwd.cursor();
        cursor.skip(from);
        for i in from..to.min(split) {
            match cursor.next_entry() {
                Some(e) if f(i, e) => {}
                _ => return false,
            }
        }
        let from = from.max(split);
        if from >= to {
            return true;
        }
        // List indexes from..to are rev indexes len-to..len-from, reversed.
        scratch.clear();
        scratch.extend_from(&self.rev, self.len() - to, to - from);
        (0..scratch.len())
            .rev()
            .zip(from..to)
            .all(|(k, i)| f(i, scratch.get(k)))
    }

    /// Like `for_each` for `from..to`, from `to - 1` down to `from`.
    pub(super) fn for_each_rev(
        &self,
        from: usize,
        to: usize,
        scratch: &mut Decoded,
        mut f: impl FnMut(usize, &[u8]) -> bool,
    ) -> bool {
        let to = to.min(self.len());
        let split = self.fwd.len();
        if to > split {
            let first = from.max(split);
            let mut cursor: Cursor<'_, 1> = self.rev.cursor();
            cursor.skip(self.len() - to);
            for i in (first..to).rev() {
                match cursor.next_entry() {
                    Some(e) if f(i, e) => {}
                    _ => return false,
                }
            }
        }
        let to = to.min(split);
        if from >= to {
            return true;
        }
        scratch.clear();
        scratch.extend_from(&self.fwd, from, to - from);
        (0..scratch.len())
            .rev()
            .all(|k| f(from + k, scratch.get(k)))
    }

    /// Keeps the elements for which `keep(i, element)` is true; false if it
    /// kept them all (then nothing changed).
    pub(super) fn retain(&mut self, mut keep: impl FnMut(usize, &[u8]) -> bool) -> bool {
        let mut builder = Builder::new();
        let mut dropped = false;
        self.for_each(0, self.len(), &mut Decoded::default(), |i, e| {
            if keep(i, e) {
                builder.push(e);
            } else {
                dropped = true;
            }
            true
        });
        if dropped {
            *self = Node {
                fwd: Packed::from_builder(builder),
                rev: Packed::new(),
            };
        }
        dropped
    }

    /// Removes elements `from..to` (which must exist), handing each to `f`
    /// first. Each run loses one contiguous stretch, so this is a splice per
    /// run, not a rebuild: cheap at either end of the node.
    pub(super) fn remove_range(&mut self, from: usize, to: usize, mut f: impl FnMut(&[u8])) {
        self.for_each(from, to, &mut Decoded::default(), |_, e| {
            f(e);
            true
        });
        let split = self.fwd.len();
        let rev_from = self.len() - to;
        let rev_to = self.len() - from.max(split).min(to);
        if from < split {
            self.fwd.remove(from, to.min(split) - from);
        }
        if rev_from < rev_to {
            self.rev.remove(rev_from, rev_to - rev_from);
        }
    }

    #[cfg(test)]
    pub(super) fn is_folded(&self) -> bool {
        self.rev.is_empty()
    }
}

/// Packs a stream of elements into nodes of at most `target` elements (and
/// the byte limit), for the slow paths that rebuild a stretch of a list.
pub(super) struct NodeBuilder {
    limit: NodeLimit,
    target: usize,
    current: Builder<1>,
    nodes: Vec<Node>,
}

impl NodeBuilder {
    /// For `total` elements: as few nodes as the limit allows, evenly filled.
    pub(super) fn new(limit: NodeLimit, total: usize) -> Self {
        let nodes = total.div_ceil(limit.entries).max(1);
        NodeBuilder {
            limit,
            target: total.div_ceil(nodes).max(1),
            current: Builder::new(),
            nodes: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, entry: &[u8]) {
        let count = self.current.count();
        let full = count >= self.target
            || self.current.byte_len().saturating_add(entry.len()) >= self.limit.bytes;
        if count > 0 && full {
            self.flush();
        }
        self.current.push(entry);
    }

    fn flush(&mut self) {
        let builder = std::mem::replace(&mut self.current, Builder::new());
        self.nodes.push(Node {
            fwd: Packed::from_builder(builder),
            rev: Packed::new(),
        });
    }

    pub(super) fn finish(mut self) -> Vec<Node> {
        if self.current.count() > 0 {
            self.flush();
        }
        self.nodes
    }
}
