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
//! keeps a `rev` run; a node that stops being last is folded into `fwd`
//! (and cut to fit an allocator size class, see [`Node::seal`]).

use super::list::End;
use super::mem::class_floor;
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

/// Elements of a run decoded for walking them backwards. Entries stored
/// whole stay in the run (by offset); only front-coded ones, at most
/// `MAX_CODED` bytes each, are copied out, so this holds at most a node's
/// count of short entries whatever the elements' sizes. Walks reuse one per
/// thread ([`Decoded::with`]), so reads do not allocate once warm.
#[derive(Default)]
pub(super) struct Decoded {
    arena: Vec<u8>,
    spans: Vec<Span>,
}

#[derive(Clone, Copy)]
struct Span {
    start: usize,
    len: usize,
    in_run: bool,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Decoded> = std::cell::Cell::new(Decoded::default());
}

impl Decoded {
    /// Runs `f` with this thread's scratch (a fresh one if a walk is
    /// already using it, as when a callback walks another list).
    pub(super) fn with<R>(f: impl FnOnce(&mut Decoded) -> R) -> R {
        let mut scratch = SCRATCH.take();
        let result = f(&mut scratch);
        SCRATCH.set(scratch);
        result
    }

    /// Decodes `count` entries of `run` from `from`.
    fn fill(&mut self, run: &Packed<1>, from: usize, count: usize) {
        self.arena.clear();
        self.spans.clear();
        let mut cursor = run.cursor();
        cursor.skip(from);
        for _ in 0..count {
            if !cursor.advance() {
                break;
            }
            let span = match cursor.last_span() {
                Some(range) => Span {
                    start: range.start,
                    len: range.len(),
                    in_run: true,
                },
                None => {
                    let start = self.arena.len();
                    self.arena.extend_from_slice(cursor.last());
                    Span {
                        start,
                        len: self.arena.len() - start,
                        in_run: false,
                    }
                }
            };
            self.spans.push(span);
        }
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    /// Entry `i` of what `fill` decoded from `run`.
    fn get<'a>(&'a self, run: &'a Packed<1>, i: usize) -> &'a [u8] {
        let span = self.spans[i];
        let source = if span.in_run {
            run.bytes()
        } else {
            &self.arena[..]
        };
        &source[span.start..span.start + span.len]
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
        self.fwd.push_front(entry);
    }

    pub(super) fn push_back(&mut self, entry: &[u8]) {
        self.rev.push_front(entry);
    }

    /// Pops the first element. `alone` says the node is the list's only one,
    /// so its other end is in use too.
    pub(super) fn pop_front<R>(&mut self, alone: bool, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if self.fwd.is_empty() {
            Self::refill(&mut self.fwd, &mut self.rev, alone);
        }
        self.fwd.pop_front_with(f)
    }

    /// Pops the last element; see `pop_front` for `alone`.
    pub(super) fn pop_back<R>(&mut self, alone: bool, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if self.rev.is_empty() {
            Self::refill(&mut self.rev, &mut self.fwd, alone);
        }
        self.rev.pop_front_with(f)
    }

    /// Moves elements of `from` (those nearest the empty run's end of the
    /// node) into the empty run `to`, reversing their order: all of them,
    /// or half if the node's other end is in use too (then each element
    /// moves a bounded number of times however the two ends alternate).
    fn refill(to: &mut Packed<1>, from: &mut Packed<1>, half: bool) {
        let keep = if half { from.len() / 2 } else { 0 };
        *to = Decoded::with(|moved| {
            moved.fill(from, keep, from.len() - keep);
            let mut builder = Builder::new();
            for i in (0..moved.len()).rev() {
                builder.push(moved.get(from, i));
            }
            Packed::from_builder(builder)
        });
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

    /// Seals a last node that a new last node is about to follow: folds
    /// `rev` into `fwd`, cut where the bytes fill the largest allocator size
    /// class they reach, so the allocation wastes nothing. The elements past
    /// the cut (a fifth at most, as size classes are that close) come back
    /// as the start of the next node. The class is taken from the node's
    /// bytes before folding: shared prefixes are the same either way round,
    /// so the folded run is within an element of that size.
    pub(super) fn seal(&mut self) -> Node {
        let class = class_floor(self.byte_len());
        let mut kept = Builder::new();
        let mut rest = Builder::new();
        Decoded::with(|scratch| {
            self.for_each(scratch, |_, e| {
                // The first element stays whatever its size; once one
                // element has gone to the rest, all that follow go too.
                if kept.count() == 0 {
                    kept.push(e);
                } else if rest.count() > 0 || !kept.push_within(e, class) {
                    rest.push(e);
                }
                true
            })
        });
        *self = Node {
            fwd: Packed::from_builder(kept),
            rev: Packed::new(),
        };
        Node {
            fwd: Packed::from_builder(rest),
            rev: Packed::new(),
        }
    }

    /// Calls `f(i, element)` for `i` in `from..to`, in order from `dir`'s
    /// end of the range, until it returns false (then returns false).
    /// `scratch` serves the run that must be read against its order.
    pub(super) fn walk(
        &self,
        from: usize,
        to: usize,
        dir: End,
        scratch: &mut Decoded,
        mut f: impl FnMut(usize, &[u8]) -> bool,
    ) -> bool {
        let to = to.min(self.len());
        let split = self.fwd.len();
        // List indexes from..to of the rev part are its indexes len-to..len-from.
        let rev = from.max(split)..to;
        let fwd = from..to.min(split);
        match dir {
            End::Front => {
                let mut cursor = self.fwd.cursor();
                cursor.skip(from);
                emit(cursor, fwd, &mut f)
                    && (rev.is_empty()
                        || emit_reversed(&self.rev, self.len() - to, rev, scratch, &mut f))
            }
            End::Back => {
                let mut cursor = self.rev.cursor();
                cursor.skip(self.len() - to);
                (rev.is_empty() || emit(cursor, rev.rev(), &mut f))
                    && (fwd.is_empty()
                        || emit_reversed(&self.fwd, from, fwd.rev(), scratch, &mut f))
            }
        }
    }

    /// `walk` forwards over all elements.
    pub(super) fn for_each(
        &self,
        scratch: &mut Decoded,
        f: impl FnMut(usize, &[u8]) -> bool,
    ) -> bool {
        self.walk(0, self.len(), End::Front, scratch, f)
    }

    /// Keeps the elements for which `keep(i, element)` is true; false if it
    /// kept them all (then nothing changed).
    pub(super) fn retain(&mut self, mut keep: impl FnMut(usize, &[u8]) -> bool) -> bool {
        let mut builder = Builder::new();
        let mut dropped = false;
        Decoded::with(|scratch| {
            self.for_each(scratch, |i, e| {
                if keep(i, e) {
                    builder.push(e);
                } else {
                    dropped = true;
                }
                true
            })
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
        Decoded::with(|scratch| {
            self.walk(from, to, End::Front, scratch, |_, e| {
                f(e);
                true
            })
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

/// Hands `f` the cursor's next entries, numbered by `indexes`, until it
/// returns false (then returns false).
fn emit(
    mut cursor: Cursor<'_, 1>,
    indexes: impl Iterator<Item = usize>,
    f: &mut impl FnMut(usize, &[u8]) -> bool,
) -> bool {
    for i in indexes {
        match cursor.next_entry() {
            Some(e) if f(i, e) => {}
            _ => return false,
        }
    }
    true
}

/// Hands `f` entries of `run` from `first` on in reverse, numbered by
/// `indexes` (as many as wanted), until it returns false.
fn emit_reversed(
    run: &Packed<1>,
    first: usize,
    indexes: impl ExactSizeIterator<Item = usize>,
    scratch: &mut Decoded,
    f: &mut impl FnMut(usize, &[u8]) -> bool,
) -> bool {
    scratch.fill(run, first, indexes.len());
    (0..scratch.len())
        .rev()
        .zip(indexes)
        .all(|(k, i)| f(i, scratch.get(run, k)))
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
