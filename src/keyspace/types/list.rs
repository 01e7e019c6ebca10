//! `List`: the list type's representation, a deque of front-coded nodes
//! (Redis's quicklist idea with a denser node format).
//!
//! # Layout and cost
//!
//! Elements live in [`Node`]s of at most [`NODE_MAX_ENTRIES`] elements (fewer
//! when `list-max-listpack-size` asks for fewer, or for its byte limit), held
//! inline in a `VecDeque` (64 bytes a node). Inside a node elements are front
//! coded ([`packed`](super::packed)): `item41` after `item40` costs 2 bytes.
//! A list of `item0..item99999` takes 2.8 bytes an element in all (2.1 of
//! data, the rest node slots and allocator rounding) and 100-element lists
//! 3.5 with their boxed `List`, against Redis's 11.4 and 10.9; random
//! numbers, which front coding cannot shrink, are stored in binary and take
//! no more than in a listpack. A node that fills up at the back is cut where
//! its bytes fill an allocator size class, so sealed nodes waste nothing to
//! rounding. The node cap
//! of 128 is a compromise: decoding a node is what a middle access costs,
//! and each node costs its 64-byte slot and allocator rounding.
//!
//! Both ends are O(1) amortised: the first node is cheap to edit at its front
//! and the last node at its back (see [`list_node`](super::list_node)); a
//! push or pop moves at most one node's bytes and does not allocate unless
//! a node buffer crosses an allocator size class. Access by index walks the
//! node slots from the nearer end, then decodes within one node (at most
//! 128 elements), as Redis walks its quicklist.
//!
//! Callbacks receive elements as `&[u8]` borrowed from the node or from a
//! decoding scratch; `get` returns an [`Elem`]. Elements are binary safe.
//!
//! # Encoding name
//!
//! OBJECT ENCODING follows Redis 7.2, which keeps a small list as one
//! listpack and converts it to a quicklist when an insertion would take the
//! listpack past `list-max-listpack-size`, and back when it shrinks to half
//! the limit. The sizes that rule compares are Redis's listpack sizes, which
//! this type tracks ([`listpack_entry_size`]) whatever its own layout, so
//! the conversions happen where Redis's do. One difference remains: Redis
//! converts back only when its quicklist is down to a single node; after
//! pops from the head of a list that spanned several Redis nodes, Redis may
//! keep saying `quicklist` where this says `listpack`.

use std::collections::VecDeque;
use std::mem;

use super::Limits;
use super::list_node::{Decoded, Node, NodeBuilder, NodeLimit};
use super::mem::malloc_size;
use super::packed::{Elem, MAX_CODED};
use crate::util::num::parse_i64;

/// Most elements a node holds, whatever the configuration.
const NODE_MAX_ENTRIES: usize = 128;

/// Redis's byte limit for a node when `list-max-listpack-size` counts
/// entries (`SIZE_SAFETY_LIMIT`).
const SIZE_SAFETY_LIMIT: usize = 8192;

/// `lpBytes` of an empty listpack: 6 header bytes and the end byte.
const LISTPACK_EMPTY_BYTES: usize = 7;

/// A list end: Redis's LEFT/head and RIGHT/tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Front,
    Back,
}

/// Bytes one element takes in a Redis listpack: its encoding (canonical
/// integers are stored in binary) plus the back-length.
pub(crate) fn listpack_entry_size(element: &[u8]) -> usize {
    let int = if element.len() <= 20 {
        parse_i64(element)
    } else {
        None
    };
    let encoded = match int {
        Some(0..=127) => 1,
        Some(-4096..=4095) => 2,
        Some(-32_768..=32_767) => 3,
        Some(-8_388_608..=8_388_607) => 4,
        Some(-2_147_483_648..=2_147_483_647) => 5,
        Some(_) => 9,
        None => {
            let header = match element.len() {
                0..64 => 1,
                64..4096 => 2,
                _ => 5,
            };
            header + element.len()
        }
    };
    let backlen = match encoded {
        0..128 => 1,
        128..16_383 => 2,
        16_383..2_097_151 => 3,
        2_097_151..268_435_455 => 4,
        _ => 5,
    };
    encoded + backlen
}

/// `list-max-listpack-size` as Redis reads it.
#[derive(Clone, Copy)]
enum Fill {
    /// At most this many bytes per listpack.
    Bytes(usize),
    /// At most this many entries (and `SIZE_SAFETY_LIMIT` bytes).
    Entries(usize),
}

impl Fill {
    fn of(limits: &Limits) -> Fill {
        let fill = limits.list_max_listpack_size;
        if fill < 0 {
            let level = (fill.unsigned_abs() - 1).min(4);
            Fill::Bytes(4096 << level)
        } else {
            Fill::Entries(usize::try_from(fill).unwrap_or(usize::MAX).max(1))
        }
    }

    /// Redis's `quicklistNodeExceedsLimit`.
    fn exceeded_by(self, bytes: usize, entries: usize) -> bool {
        match self {
            Fill::Bytes(limit) => bytes > limit,
            Fill::Entries(limit) => bytes > SIZE_SAFETY_LIMIT || entries > limit,
        }
    }

    /// Whether a quicklist this small turns back into a listpack.
    fn fits_half(self, bytes: usize, entries: usize) -> bool {
        match self {
            Fill::Bytes(limit) => bytes <= limit / 2,
            Fill::Entries(limit) => entries <= limit / 2,
        }
    }

    fn node_limit(self) -> NodeLimit {
        match self {
            Fill::Bytes(bytes) => NodeLimit {
                entries: NODE_MAX_ENTRIES,
                bytes,
            },
            Fill::Entries(entries) => NodeLimit {
                entries: entries.min(NODE_MAX_ENTRIES),
                bytes: SIZE_SAFETY_LIMIT,
            },
        }
    }
}

/// A list of binary-safe elements. Indexes are 0-based from the front; the
/// commands' negative indexes go through [`List::resolve_index`].
#[derive(Clone, Default)]
pub struct List {
    nodes: VecDeque<Node>,
    len: usize,
    /// Sum of `listpack_entry_size` over the elements.
    listpack_bytes: usize,
    /// Sum of the nodes' `heap_bytes`, kept so `heap_bytes` is O(1).
    node_heap: usize,
    quicklist: bool,
}

impl List {
    pub const fn new() -> List {
        List {
            nodes: VecDeque::new(),
            len: 0,
            listpack_bytes: 0,
            node_heap: 0,
            quicklist: false,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// An empty list is deleted by the keyspace.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// OBJECT ENCODING's name: `listpack` or `quicklist` (see the module doc).
    pub fn encoding_name(&self) -> &'static str {
        if self.quicklist {
            "quicklist"
        } else {
            "listpack"
        }
    }

    /// Heap bytes owned beyond the `List` itself: the node slots and buffers,
    /// allocator rounding included.
    pub fn heap_bytes(&self) -> usize {
        malloc_size(self.nodes.capacity() * mem::size_of::<Node>()) + self.node_heap
    }

    /// A command's index (negative counts from the back) as an index into
    /// the list, if it is in range.
    pub fn resolve_index(&self, index: i64) -> Option<usize> {
        let i = if index < 0 {
            self.len
                .checked_sub(usize::try_from(index.unsigned_abs()).ok()?)?
        } else {
            usize::try_from(index).ok()?
        };
        (i < self.len).then_some(i)
    }

    /// A command's `start stop` pair (LRANGE, LTRIM: negative from the back,
    /// clamped) as a range of indexes; empty when nothing is selected.
    pub fn resolve_range(&self, start: i64, stop: i64) -> std::ops::Range<usize> {
        let len = i64::try_from(self.len).unwrap_or(i64::MAX);
        let start = if start < 0 {
            start.saturating_add(len)
        } else {
            start
        }
        .max(0);
        let stop = if stop < 0 {
            stop.saturating_add(len)
        } else {
            stop
        };
        if start > stop || start >= len {
            return 0..0;
        }
        start as usize..(stop.min(len - 1) as usize + 1)
    }

    // ---- encoding state -------------------------------------------------

    /// Redis converts a listpack before an insertion of `count` elements of
    /// `bytes` raw bytes that would take it past the limit.
    fn before_insert(&mut self, bytes: usize, count: usize, limits: &Limits) {
        let after = LISTPACK_EMPTY_BYTES
            .saturating_add(self.listpack_bytes)
            .saturating_add(bytes);
        if !self.quicklist && Fill::of(limits).exceeded_by(after, self.len.saturating_add(count)) {
            self.quicklist = true;
        }
    }

    /// ... and converts a quicklist back after removals that leave it small.
    fn after_removal(&mut self, limits: &Limits) {
        let bytes = LISTPACK_EMPTY_BYTES + self.listpack_bytes;
        if self.quicklist && Fill::of(limits).fits_half(bytes, self.len) {
            self.quicklist = false;
        }
    }

    fn added(&mut self, element: &[u8]) {
        self.len += 1;
        self.listpack_bytes += listpack_entry_size(element);
    }

    // ---- node bookkeeping -----------------------------------------------

    /// Runs `f` on node `i`, keeping `node_heap` current.
    fn edit_node<R>(&mut self, i: usize, f: impl FnOnce(&mut Node) -> R) -> R {
        let node = &mut self.nodes[i];
        let before = node.heap_bytes();
        let result = f(node);
        self.node_heap = self.node_heap - before + node.heap_bytes();
        result
    }

    fn insert_node(&mut self, i: usize, node: Node) {
        if self.nodes.len() == self.nodes.capacity() {
            // Grow by a quarter, not double (and most lists are one node).
            self.nodes.reserve_exact((self.nodes.len() / 4).max(1));
        }
        self.node_heap += node.heap_bytes();
        self.nodes.insert(i, node);
    }

    fn remove_node(&mut self, i: usize) {
        if let Some(node) = self.nodes.remove(i) {
            self.node_heap -= node.heap_bytes();
        }
        self.trim_slots();
    }

    /// Gives back slot space once half of it is unused.
    fn trim_slots(&mut self) {
        let len = self.nodes.len();
        if self.nodes.capacity() > 2 * len {
            self.nodes.shrink_to(len + len / 4);
        }
    }

    /// Node index and offset of element `index` (< len), walking from the
    /// nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        if index < self.len / 2 {
            let mut offset = index;
            for (i, node) in self.nodes.iter().enumerate() {
                if offset < node.len() {
                    return (i, offset);
                }
                offset -= node.len();
            }
        } else {
            let mut from_back = self.len - index;
            for (i, node) in self.nodes.iter().enumerate().rev() {
                if from_back <= node.len() {
                    return (i, node.len() - from_back);
                }
                from_back -= node.len();
            }
        }
        unreachable!("index {index} < len {}", self.len)
    }

    // ---- ends -----------------------------------------------------------

    /// Pushes one element (LPUSH/RPUSH of one value).
    pub fn push(&mut self, end: End, element: &[u8], limits: &Limits) {
        self.push_many(end, &[element], limits);
    }

    /// Pushes each element in turn at `end` (LPUSH a b c leaves c first).
    pub fn push_many(&mut self, end: End, elements: &[&[u8]], limits: &Limits) {
        let bytes = elements
            .iter()
            .map(|e| e.len())
            .fold(0, usize::saturating_add);
        self.before_insert(bytes, elements.len(), limits);
        let limit = Fill::of(limits).node_limit();
        for element in elements {
            self.push_one(end, element, limit);
        }
    }

    fn push_one(&mut self, end: End, element: &[u8], limit: NodeLimit) {
        match end {
            End::Front => match self.nodes.front() {
                Some(first) if first.has_room(element.len(), limit) => {
                    self.edit_node(0, |n| n.push_front(element));
                }
                _ => self.insert_node(0, Node::with(element)),
            },
            End::Back => match self.nodes.back() {
                Some(last) if last.has_room(element.len(), limit) => {
                    let i = self.nodes.len() - 1;
                    self.edit_node(i, |n| n.push_back(element));
                }
                _ => {
                    let mut rest = match self.nodes.len().checked_sub(1) {
                        Some(i) => self.edit_node(i, Node::seal),
                        None => Node::default(),
                    };
                    if !rest.is_empty() && !rest.has_room(element.len(), limit) {
                        self.insert_node(self.nodes.len(), mem::take(&mut rest));
                    }
                    rest.push_back(element);
                    self.insert_node(self.nodes.len(), rest);
                }
            },
        }
        self.added(element);
    }

    /// Removes the element at `end`, handing it to `f` (LPOP/RPOP).
    pub fn pop<R>(&mut self, end: End, limits: &Limits, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let last = self.nodes.len().checked_sub(1)?;
        let i = match end {
            End::Front => 0,
            End::Back => last,
        };
        let mut gone = 0;
        let alone = last == 0;
        let result = self.edit_node(i, |node| {
            let take = |e: &[u8]| {
                gone = listpack_entry_size(e);
                f(e)
            };
            match end {
                End::Front => node.pop_front(alone, take),
                End::Back => node.pop_back(alone, take),
            }
        })?;
        self.len -= 1;
        self.listpack_bytes -= gone;
        if self.nodes[i].is_empty() {
            self.remove_node(i);
        }
        self.after_removal(limits);
        Some(result)
    }

    /// Pops up to `count` elements from `end`, in pop order; returns how many.
    pub fn pop_many(
        &mut self,
        end: End,
        count: usize,
        limits: &Limits,
        mut f: impl FnMut(&[u8]),
    ) -> usize {
        let n = count.min(self.len);
        for _ in 0..n {
            self.pop(end, limits, &mut f);
        }
        n
    }

    /// Pops from `end` of this list and pushes onto `to` of `dst` (LMOVE
    /// between two keys), handing the element to `f`.
    pub fn move_to<R>(
        &mut self,
        from: End,
        dst: &mut List,
        to: End,
        limits: &Limits,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Option<R> {
        self.pop(from, limits, |e| {
            dst.push(to, e, limits);
            f(e)
        })
    }

    /// LMOVE with the same key as source and destination: pops from `from`
    /// and pushes the element back at `to`, handing it to `f`.
    pub fn rotate<R>(
        &mut self,
        from: End,
        to: End,
        limits: &Limits,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Option<R> {
        let mut short = [0u8; MAX_CODED];
        let mut long = Vec::new();
        let len = self.pop(from, limits, |e| {
            if e.len() <= MAX_CODED {
                short[..e.len()].copy_from_slice(e);
            } else {
                long = e.to_vec();
            }
            e.len()
        })?;
        let element = if len <= MAX_CODED {
            &short[..len]
        } else {
            &long[..]
        };
        self.push(to, element, limits);
        Some(f(element))
    }

    // ---- by index -------------------------------------------------------

    /// The element at `index` (LINDEX after [`List::resolve_index`]).
    pub fn get(&self, index: usize) -> Option<Elem<'_>> {
        if index >= self.len {
            return None;
        }
        let (i, offset) = self.locate(index);
        self.nodes[i].get(offset)
    }

    /// Replaces the element at `index` (LSET); false if out of range. As in
    /// Redis, the encoding is first checked as for an insertion of `element`.
    pub fn set(&mut self, index: usize, element: &[u8], limits: &Limits) -> bool {
        self.before_insert(element.len(), 1, limits);
        if index >= self.len {
            return false;
        }
        let (i, offset) = self.locate(index);
        let mut old = 0;
        self.edit_node(i, |n| {
            n.replace(offset, element, |e| old = listpack_entry_size(e))
        });
        self.listpack_bytes = self.listpack_bytes - old + listpack_entry_size(element);
        let limit = Fill::of(limits).node_limit();
        if self.nodes[i].len() > 1 && self.nodes[i].byte_len() > limit.bytes {
            self.rebuild(i..i + 1, 0, limit, |e, out| out.push(e));
        }
        self.after_removal(limits);
        true
    }

    /// Inserts `element` before or after the first element equal to `pivot`
    /// (LINSERT); false if there is none. As in Redis, the encoding is
    /// checked for the insertion before the pivot is looked for.
    pub fn insert_at_pivot(
        &mut self,
        pivot: &[u8],
        element: &[u8],
        after: bool,
        limits: &Limits,
    ) -> bool {
        self.before_insert(element.len(), 1, limits);
        let mut found = None;
        self.walk(0..self.len, End::Front, |i, e| {
            if e == pivot {
                found = Some(i);
            }
            found.is_none()
        });
        let Some(index) = found else {
            return false;
        };
        self.insert(
            index + usize::from(after),
            element,
            Fill::of(limits).node_limit(),
        );
        true
    }

    /// Inserts before element `index` (`len` appends).
    fn insert(&mut self, index: usize, element: &[u8], limit: NodeLimit) {
        if index == 0 {
            return self.push_one(End::Front, element, limit);
        }
        if index == self.len {
            return self.push_one(End::Back, element, limit);
        }
        let (i, offset) = self.locate(index);
        if self.nodes[i].has_room(element.len(), limit) {
            self.edit_node(i, |n| n.insert(offset, element));
            self.added(element);
            return;
        }
        let mut position = 0;
        self.rebuild(i..i + 1, 1, limit, |e, out| {
            if position == offset {
                out.push(element);
            }
            out.push(e);
            position += 1;
        });
        self.added(element);
    }

    /// Replaces nodes `range` by nodes built from their elements as `edit`
    /// passes them on (each element once, in order, with the builder), which
    /// adds `added` elements to them in all.
    fn rebuild(
        &mut self,
        range: std::ops::Range<usize>,
        added: usize,
        limit: NodeLimit,
        mut edit: impl FnMut(&[u8], &mut NodeBuilder),
    ) {
        let total: usize = self.nodes.range(range.clone()).map(Node::len).sum();
        let mut builder = NodeBuilder::new(limit, total + added);
        Decoded::with(|scratch| {
            for node in self.nodes.range(range.clone()) {
                node.for_each(scratch, |_, e| {
                    edit(e, &mut builder);
                    true
                });
            }
        });
        for i in range.clone().rev() {
            self.node_heap -= self.nodes[i].heap_bytes();
            self.nodes.remove(i);
        }
        for (k, node) in builder.finish().into_iter().enumerate() {
            self.insert_node(range.start + k, node);
        }
        self.trim_slots();
    }

    // ---- scans ----------------------------------------------------------

    /// Calls `f(index, element)` over `range` from its start (`Front`) or its
    /// end (`Back`) until `f` returns false. Reaching the first element
    /// costs O(distance from the nearer end of the list).
    fn walk(&self, range: std::ops::Range<usize>, dir: End, f: impl FnMut(usize, &[u8]) -> bool) {
        let range = range.start..range.end.min(self.len);
        if range.is_empty() {
            return;
        }
        Decoded::with(|scratch| self.walk_with(range, dir, scratch, f));
    }

    fn walk_with(
        &self,
        range: std::ops::Range<usize>,
        dir: End,
        scratch: &mut Decoded,
        mut f: impl FnMut(usize, &[u8]) -> bool,
    ) {
        match dir {
            End::Front => {
                let (mut i, mut offset) = self.locate(range.start);
                let mut index = range.start;
                while index < range.end {
                    let node = &self.nodes[i];
                    let to = (offset + range.end - index).min(node.len());
                    let base = index - offset;
                    if !node.walk(offset, to, End::Front, scratch, |k, e| f(base + k, e)) {
                        return;
                    }
                    index = base + to;
                    (i, offset) = (i + 1, 0);
                }
            }
            End::Back => {
                let (mut i, last) = self.locate(range.end - 1);
                let mut to = last + 1;
                let mut end = range.end;
                loop {
                    let node = &self.nodes[i];
                    let base = end - to;
                    let from = range.start.saturating_sub(base);
                    if !node.walk(from, to, End::Back, scratch, |k, e| f(base + k, e)) {
                        return;
                    }
                    if base <= range.start || i == 0 {
                        return;
                    }
                    end = base;
                    i -= 1;
                    to = self.nodes[i].len();
                }
            }
        }
    }

    /// Calls `f` for each element of `range` in order (LRANGE); the range is
    /// clamped to the list.
    pub fn for_each_in(&self, range: std::ops::Range<usize>, mut f: impl FnMut(&[u8])) {
        self.walk(range, End::Front, |_, e| {
            f(e);
            true
        });
    }

    /// Like `for_each_in`, from the last element of `range` to the first.
    pub fn for_each_in_rev(&self, range: std::ops::Range<usize>, mut f: impl FnMut(&[u8])) {
        self.walk(range, End::Back, |_, e| {
            f(e);
            true
        });
    }

    /// LPOS: calls `f(index)` for the matches of `element`. A positive `rank`
    /// scans from the front and skips the first `rank - 1` matches; a negative
    /// one scans from the back (the command rejects 0, which matches nothing
    /// here). `count` 0 reports every match, otherwise at most `count`;
    /// `maxlen` 0 compares every element, otherwise at most `maxlen`.
    pub fn positions(
        &self,
        element: &[u8],
        rank: i64,
        count: usize,
        maxlen: usize,
        mut f: impl FnMut(usize),
    ) {
        if rank == 0 {
            return;
        }
        let dir = if rank > 0 { End::Front } else { End::Back };
        let mut skip = rank.unsigned_abs() - 1;
        let mut reported = 0;
        let mut compared = 0;
        self.walk(0..self.len, dir, |i, e| {
            compared += 1;
            if e == element {
                if skip > 0 {
                    skip -= 1;
                } else {
                    f(i);
                    reported += 1;
                }
            }
            (count == 0 || reported < count) && (maxlen == 0 || compared < maxlen)
        });
    }

    // ---- bulk removal ---------------------------------------------------

    /// LREM: removes up to `count` elements equal to `element` scanning from
    /// the front (`count > 0`), from the back (`count < 0`), or all of them
    /// (`count == 0`); returns how many were removed.
    pub fn remove_matches(&mut self, element: &[u8], count: i64, limits: &Limits) -> usize {
        let mut left = match count {
            0 => usize::MAX,
            c => usize::try_from(c.unsigned_abs()).unwrap_or(usize::MAX),
        };
        let from_back = count < 0;
        let mut removed = 0;
        let nodes = self.nodes.len();
        for k in 0..nodes {
            if left == 0 {
                break;
            }
            let i = if from_back { nodes - 1 - k } else { k };
            let mut matches = 0;
            let node = &self.nodes[i];
            Decoded::with(|scratch| {
                node.for_each(scratch, |_, e| {
                    matches += usize::from(e == element);
                    true
                })
            });
            let take = matches.min(left);
            if take == 0 {
                continue;
            }
            // From the back, the matches removed are the node's last `take`.
            let mut skip = if from_back { matches - take } else { 0 };
            let mut taken = 0;
            self.edit_node(i, |n| {
                n.retain(|_, e| {
                    if e != element || taken == take {
                        return true;
                    }
                    if skip > 0 {
                        skip -= 1;
                        return true;
                    }
                    taken += 1;
                    false
                })
            });
            left -= take;
            removed += take;
        }
        if removed > 0 {
            for i in (0..self.nodes.len()).rev() {
                if self.nodes[i].is_empty() {
                    self.remove_node(i);
                }
            }
            self.len -= removed;
            self.listpack_bytes -= removed * listpack_entry_size(element);
            self.compact(0..self.nodes.len(), limits);
            self.after_removal(limits);
        }
        removed
    }

    /// LTRIM: keeps only the elements in `range` (possibly none).
    pub fn retain_range(&mut self, range: std::ops::Range<usize>, limits: &Limits) {
        let keep =
            range.start.min(self.len)..range.end.min(self.len).max(range.start.min(self.len));
        self.remove_range(keep.end..self.len);
        self.remove_range(0..keep.start);
        // Only the nodes at either end were cut.
        self.compact(0..2, limits);
        self.compact(self.nodes.len().saturating_sub(2)..self.nodes.len(), limits);
        self.after_removal(limits);
    }

    /// Removes the elements in `range` (within the list).
    fn remove_range(&mut self, range: std::ops::Range<usize>) {
        if range.is_empty() {
            return;
        }
        let (first, offset) = self.locate(range.start);
        let mut left = range.len();
        let mut i = first;
        let mut from = offset;
        while left > 0 {
            let to = (from + left).min(self.nodes[i].len());
            let mut gone = 0;
            self.edit_node(i, |n| {
                n.remove_range(from, to, |e| gone += listpack_entry_size(e))
            });
            self.listpack_bytes -= gone;
            self.len -= to - from;
            left -= to - from;
            if self.nodes[i].is_empty() {
                self.remove_node(i);
            } else {
                i += 1;
            }
            from = 0;
        }
    }

    /// Merges neighbouring nodes among `range` that together fill at most
    /// three quarters of a node, so removals do not leave a trail of nearly
    /// empty nodes (the slack stops a split and a merge from alternating).
    fn compact(&mut self, range: std::ops::Range<usize>, limits: &Limits) {
        let limit = Fill::of(limits).node_limit();
        let mut i = range.start;
        let mut end = range.end.min(self.nodes.len());
        while i + 1 < end {
            let (a, b) = (&self.nodes[i], &self.nodes[i + 1]);
            let small = (a.len() + b.len()) * 4 <= limit.entries * 3
                && (a.byte_len() + b.byte_len()) * 4 <= limit.bytes * 3;
            if small {
                self.rebuild(i..i + 2, 0, limit, |e, out| out.push(e));
                end -= 1;
            } else {
                i += 1;
            }
        }
    }
}

impl std::fmt::Debug for List {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        self.for_each_in(0..self.len, |e| {
            list.entry(&e.escape_ascii().to_string());
        });
        list.finish()
    }
}

#[cfg(test)]
mod tests;
