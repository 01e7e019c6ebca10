//! `Tree`: an order-statistic B+tree of `u32` entry ids, the ordered index
//! of the large sorted set.
//!
//! The tree stores ids only (4 bytes each); the order is the caller's,
//! given as a predicate `before(id, score)` ("sorts before the key I
//! mean") that is true for a prefix of the ids. Inner nodes keep, per
//! child, its entry count (for rank), and the id and score of its last
//! entry (to steer a descent): the predicate gets that cached score, so
//! the inner levels of a descent by score read no entry, only the leaf
//! does (where `score` is None). Rank, select, insert and remove are all
//! one root-to-leaf walk: O(log n), with a fan-out of 32 and 64 ids per
//! leaf (a 100k-entry tree is 3 levels). Callers that change the tree pass
//! `score_of`, to refresh the cached scores.
//!
//! Memory: leaves are 256-byte arrays at least a third full (about 70% on
//! random inserts); appending past the last entry (ascending scores, the
//! time-series pattern) fills leaves completely instead of splitting them
//! in half. Each leaf also has a 40-byte record in its parent. About 6.5
//! bytes per entry in all.

use std::mem;

use crate::keyspace::types::mem::malloc_size;

const LEAF_CAP: usize = 64;
const INNER_CAP: usize = 32;
const LEAF_MIN: usize = LEAF_CAP / 3;
const INNER_MIN: usize = INNER_CAP / 3;

#[derive(Clone, Debug)]
enum Node {
    /// Ids in order; capacity `LEAF_CAP`.
    Leaf(Vec<u32>),
    /// Children in order; capacity `INNER_CAP`.
    Inner(Vec<Child>),
}

/// The score of an entry, for the cached last scores.
pub(crate) type ScoreOf<'a> = &'a dyn Fn(u32) -> f64;

#[derive(Clone, Debug)]
struct Child {
    node: Node,
    /// Entries in the subtree.
    count: u32,
    /// The subtree's last id, and its score.
    last: u32,
    last_score: f64,
}

impl Child {
    fn new(node: Node, score_of: ScoreOf<'_>) -> Self {
        let mut child = Child {
            node,
            count: 0,
            last: 0,
            last_score: 0.0,
        };
        child.refresh(score_of);
        child
    }

    /// Recomputes the summary after the subtree changed.
    fn refresh(&mut self, score_of: ScoreOf<'_>) {
        (self.count, self.last, self.last_score) = match &self.node {
            Node::Leaf(ids) => {
                let last = ids.last().copied().unwrap_or(0);
                (ids.len() as u32, last, score_of(last))
            }
            Node::Inner(children) => (
                children.iter().map(|c| c.count).sum(),
                children.last().map_or(0, |c| c.last),
                children.last().map_or(0.0, |c| c.last_score),
            ),
        };
    }
}

impl Node {
    fn width(&self) -> usize {
        match self {
            Node::Leaf(ids) => ids.len(),
            Node::Inner(children) => children.len(),
        }
    }

    fn is_underfull(&self) -> bool {
        match self {
            Node::Leaf(ids) => ids.len() < LEAF_MIN,
            Node::Inner(children) => children.len() < INNER_MIN,
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Node::Leaf(ids) => malloc_size(ids.capacity() * mem::size_of::<u32>()),
            Node::Inner(children) => {
                malloc_size(children.capacity() * mem::size_of::<Child>())
                    + children.iter().map(|c| c.node.heap_bytes()).sum::<usize>()
            }
        }
    }
}

/// Where an insertion lands, so splits can favour appends.
#[derive(Clone, Copy)]
struct Edge {
    /// The node is the tree's first / last at its level.
    first: bool,
    last: bool,
}

/// Where to split a node holding one item too many, given the index of
/// the item that grows next (the one just inserted, or the child that took
/// it). Appending at the tree's right edge keeps the left part full;
/// prepending at its left edge keeps the right part full; anything else
/// splits in half.
fn split_point(len: usize, growing: usize, edge: Edge) -> usize {
    if edge.last && growing == len - 1 {
        len - 1
    } else if edge.first && growing == 0 {
        1
    } else {
        len / 2
    }
}

fn new_leaf() -> Vec<u32> {
    Vec::with_capacity(LEAF_CAP)
}

fn new_inner() -> Vec<Child> {
    Vec::with_capacity(INNER_CAP)
}

#[derive(Clone, Debug)]
pub(crate) struct Tree {
    root: Node,
    len: usize,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            root: Node::Leaf(Vec::new()),
            len: 0,
        }
    }
}

impl Tree {
    /// A tree of `ids`, already in order, with leaves packed full.
    pub(crate) fn from_sorted(ids: &[u32], score_of: ScoreOf<'_>) -> Self {
        let mut level: Vec<Child> = ids
            .chunks(LEAF_CAP)
            .map(|chunk| {
                let mut leaf = new_leaf();
                leaf.extend_from_slice(chunk);
                Child::new(Node::Leaf(leaf), score_of)
            })
            .collect();
        rebalance_tail(&mut level, LEAF_MIN, score_of);
        while level.len() > 1 {
            let mut parents = Vec::with_capacity(level.len().div_ceil(INNER_CAP));
            let mut children = level.into_iter().peekable();
            while children.peek().is_some() {
                let mut inner = new_inner();
                inner.extend(children.by_ref().take(INNER_CAP));
                parents.push(Child::new(Node::Inner(inner), score_of));
            }
            rebalance_tail(&mut parents, INNER_MIN, score_of);
            level = parents;
        }
        Tree {
            root: level.pop().map_or(Node::Leaf(Vec::new()), |c| c.node),
            len: ids.len(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.root.heap_bytes()
    }

    /// How many ids satisfy `before`, which must hold for a prefix of them.
    pub(crate) fn partition_point(&self, before: impl Fn(u32, Option<f64>) -> bool) -> usize {
        let mut rank = 0;
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(ids) => return rank + ids.partition_point(|&id| before(id, None)),
                Node::Inner(children) => {
                    let i = children.partition_point(|c| before(c.last, Some(c.last_score)));
                    let Some(child) = children.get(i) else {
                        // Only at the root: a child's last id is its
                        // subtree's, so the descent never passes it.
                        return rank + children.iter().map(|c| c.count as usize).sum::<usize>();
                    };
                    rank += children[..i]
                        .iter()
                        .map(|c| c.count as usize)
                        .sum::<usize>();
                    node = &child.node;
                }
            }
        }
    }

    /// The leaf holding `rank` and the rank of that leaf's first id.
    pub(crate) fn leaf_at(&self, rank: usize) -> Option<(&[u32], usize)> {
        if rank >= self.len {
            return None;
        }
        let mut offset = 0;
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(ids) => return Some((ids, offset)),
                Node::Inner(children) => {
                    let (child, skipped) = child_at(children, rank - offset);
                    offset += skipped;
                    node = &children[child].node;
                }
            }
        }
    }

    /// Inserts `id` after every id for which `before` holds.
    pub(crate) fn insert(
        &mut self,
        id: u32,
        before: impl Fn(u32, Option<f64>) -> bool,
        score_of: ScoreOf<'_>,
    ) {
        let edge = Edge {
            first: true,
            last: true,
        };
        if let Some(right) = insert_into(&mut self.root, id, &before, edge, score_of) {
            let left = mem::replace(&mut self.root, Node::Leaf(Vec::new()));
            let mut children = new_inner();
            children.push(Child::new(left, score_of));
            children.push(right);
            self.root = Node::Inner(children);
        }
        self.len += 1;
    }

    /// Removes and returns the id at `rank`.
    pub(crate) fn remove(&mut self, rank: usize, score_of: ScoreOf<'_>) -> Option<u32> {
        if rank >= self.len {
            return None;
        }
        let id = remove_from(&mut self.root, rank, score_of);
        self.len -= 1;
        // A root with one child hands over to it.
        while let Node::Inner(children) = &mut self.root {
            if children.len() != 1 {
                break;
            }
            let only = children.pop().map(|c| c.node);
            self.root = only.unwrap_or(Node::Leaf(Vec::new()));
        }
        Some(id)
    }

    /// Calls `f` with each leaf's ids, in order.
    pub(crate) fn for_each_leaf(&self, mut f: impl FnMut(&[u32])) {
        fn walk(node: &Node, f: &mut impl FnMut(&[u32])) {
            match node {
                Node::Leaf(ids) => f(ids),
                Node::Inner(children) => children.iter().for_each(|c| walk(&c.node, f)),
            }
        }
        walk(&self.root, &mut f);
    }

    /// Replaces every id, in order (after the caller renumbered entries;
    /// scores stay as they were).
    pub(crate) fn rewrite_ids(&mut self, mut f: impl FnMut(u32) -> u32) {
        rewrite(&mut self.root, &mut f);
    }
}

/// Evens out the last two nodes of a freshly built level so neither is
/// under its minimum.
fn rebalance_tail(level: &mut [Child], min: usize, score_of: ScoreOf<'_>) {
    if let [.., left, right] = level
        && right.node.width() < min
    {
        redistribute(left, right, score_of);
    }
}

/// Which child holds the `rank`th entry below, and how many entries the
/// children before it hold.
fn child_at(children: &[Child], mut rank: usize) -> (usize, usize) {
    let mut skipped = 0;
    for (i, c) in children.iter().enumerate() {
        if rank < c.count as usize {
            return (i, skipped);
        }
        rank -= c.count as usize;
        skipped += c.count as usize;
    }
    (children.len() - 1, skipped)
}

/// Inserts into the subtree; if the node overflowed, returns its new right
/// sibling.
fn insert_into(
    node: &mut Node,
    id: u32,
    before: &impl Fn(u32, Option<f64>) -> bool,
    edge: Edge,
    score_of: ScoreOf<'_>,
) -> Option<Child> {
    match node {
        Node::Leaf(ids) => {
            let at = ids.partition_point(|&x| before(x, None));
            if ids.len() < LEAF_CAP {
                ids.insert(at, id);
                return None;
            }
            // Split the LEAF_CAP + 1 ids (with `id` at `at`) at `split`.
            let split = split_point(LEAF_CAP + 1, at, edge);
            let mut right = new_leaf();
            if at < split {
                right.extend_from_slice(&ids[split - 1..]);
                ids.truncate(split - 1);
                ids.insert(at, id);
            } else {
                right.extend_from_slice(&ids[split..]);
                ids.truncate(split);
                right.insert(at - split, id);
            }
            Some(Child::new(Node::Leaf(right), score_of))
        }
        Node::Inner(children) => {
            let at = children
                .partition_point(|c| before(c.last, Some(c.last_score)))
                .min(children.len() - 1);
            let child_edge = Edge {
                first: edge.first && at == 0,
                last: edge.last && at == children.len() - 1,
            };
            let split = insert_into(&mut children[at].node, id, before, child_edge, score_of);
            children[at].refresh(score_of);
            let right = split?;
            if children.len() < INNER_CAP {
                children.insert(at + 1, right);
                return None;
            }
            let mut all: Vec<Child> = Vec::with_capacity(INNER_CAP + 1);
            all.extend(children.drain(..at + 1));
            all.push(right);
            all.append(children);
            // After a prepend the child at `at` keeps growing, else the new
            // sibling at `at + 1` does.
            let growing = if child_edge.first { at } else { at + 1 };
            let split = split_point(all.len(), growing, edge);
            let mut sibling = new_inner();
            sibling.extend(all.drain(split..));
            children.extend(all);
            Some(Child::new(Node::Inner(sibling), score_of))
        }
    }
}

/// Removes the `rank`th id of the subtree, rebalancing children that drop
/// under their minimum.
fn remove_from(node: &mut Node, rank: usize, score_of: ScoreOf<'_>) -> u32 {
    match node {
        Node::Leaf(ids) => ids.remove(rank),
        Node::Inner(children) => {
            let (at, skipped) = child_at(children, rank);
            let id = remove_from(&mut children[at].node, rank - skipped, score_of);
            children[at].refresh(score_of);
            if children[at].node.is_underfull() && children.len() > 1 {
                fix_underfull(children, at, score_of);
            }
            id
        }
    }
}

/// Merges `children[at]` with a neighbour, or evens the pair out if they
/// would not fit one node.
fn fix_underfull(children: &mut Vec<Child>, at: usize, score_of: ScoreOf<'_>) {
    let left = if at + 1 < children.len() { at } else { at - 1 };
    let (head, tail) = children.split_at_mut(left + 1);
    let (a, b) = (&mut head[left], &mut tail[0]);
    let cap = match a.node {
        Node::Leaf(_) => LEAF_CAP,
        Node::Inner(_) => INNER_CAP,
    };
    if a.node.width() + b.node.width() <= cap {
        match (&mut a.node, &mut b.node) {
            (Node::Leaf(x), Node::Leaf(y)) => x.append(y),
            (Node::Inner(x), Node::Inner(y)) => x.append(y),
            _ => unreachable!("siblings are at the same level"),
        }
        a.refresh(score_of);
        children.remove(left + 1);
    } else {
        redistribute(a, b, score_of);
    }
}

/// Moves items between two adjacent siblings so their widths differ by at
/// most one.
fn redistribute(a: &mut Child, b: &mut Child, score_of: ScoreOf<'_>) {
    match (&mut a.node, &mut b.node) {
        (Node::Leaf(x), Node::Leaf(y)) => even_out(x, y),
        (Node::Inner(x), Node::Inner(y)) => even_out(x, y),
        _ => unreachable!("siblings are at the same level"),
    }
    a.refresh(score_of);
    b.refresh(score_of);
}

fn even_out<T>(x: &mut Vec<T>, y: &mut Vec<T>) {
    let total = x.len() + y.len();
    let want = total / 2;
    if x.len() > want {
        let moved: Vec<T> = x.drain(want..).collect();
        y.splice(0..0, moved);
    } else {
        let moved: Vec<T> = y.drain(..want - x.len()).collect();
        x.extend(moved);
    }
}

fn rewrite(node: &mut Node, f: &mut impl FnMut(u32) -> u32) {
    match node {
        Node::Leaf(ids) => ids.iter_mut().for_each(|id| *id = f(*id)),
        Node::Inner(children) => {
            for c in children.iter_mut() {
                rewrite(&mut c.node, f);
                c.last = f(c.last);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    impl Tree {
        fn get(&self, rank: usize) -> Option<u32> {
            self.leaf_at(rank).map(|(ids, first)| ids[rank - first])
        }

        fn ids(&self) -> Vec<u32> {
            let by_rank: Vec<u32> = (0..self.len).map(|r| self.get(r).unwrap()).collect();
            let mut by_leaf = Vec::new();
            self.for_each_leaf(|ids| by_leaf.extend_from_slice(ids));
            assert_eq!(by_rank, by_leaf);
            by_rank
        }

        /// Checks counts, lasts, fill and equal leaf depth.
        fn check(&self) {
            fn walk(
                node: &Node,
                is_root: bool,
                depth: usize,
                leaf_depth: &mut Option<usize>,
            ) -> (u32, Option<u32>) {
                assert!(is_root || node.width() > 0, "empty node");
                match node {
                    Node::Leaf(ids) => {
                        assert_eq!(*leaf_depth.get_or_insert(depth), depth);
                        assert!(ids.len() <= LEAF_CAP);
                        (ids.len() as u32, ids.last().copied())
                    }
                    Node::Inner(children) => {
                        assert!(children.len() <= INNER_CAP);
                        assert!(!is_root || children.len() >= 2);
                        let mut total = 0;
                        let mut last = None;
                        for c in children {
                            let (count, l) = walk(&c.node, false, depth + 1, leaf_depth);
                            assert_eq!(c.count, count);
                            assert_eq!(Some(c.last), l);
                            assert_eq!(c.last_score, score(c.last));
                            total += count;
                            last = l;
                        }
                        (total, last)
                    }
                }
            }
            let (count, _) = walk(&self.root, true, 0, &mut None);
            assert_eq!(count as usize, self.len);
        }
    }

    /// Ids are their own keys (and scores) here.
    fn score(id: u32) -> f64 {
        f64::from(id)
    }

    fn insert(t: &mut Tree, id: u32) {
        t.insert(id, |x, _| x < id, &score);
    }

    #[test]
    fn ascending_appends_pack_leaves_full() {
        let mut t = Tree::default();
        for id in 0..100_000 {
            insert(&mut t, id);
        }
        t.check();
        assert_eq!(t.ids(), (0..100_000).collect::<Vec<_>>());
        // 1563 full leaves of 256 bytes, plus about 1/6 for their 40-byte
        // child records in full inner nodes.
        let leaves = 100_000usize.div_ceil(LEAF_CAP) * LEAF_CAP * 4;
        assert!(t.heap_bytes() < leaves + leaves / 5, "{}", t.heap_bytes());
        let mut t = Tree::default();
        for id in (0..10_000).rev() {
            insert(&mut t, id);
        }
        t.check();
        // Half-full leaves would take 80 KB.
        let leaves = 10_000usize.div_ceil(LEAF_CAP) * LEAF_CAP * 4;
        assert!(t.heap_bytes() < leaves + leaves / 4, "{}", t.heap_bytes());
    }

    #[test]
    fn bulk_load_matches_inserts() {
        for n in [0, 1, 63, 64, 65, 2047, 2048, 2049, 70_000] {
            let ids: Vec<u32> = (0..n).collect();
            let t = Tree::from_sorted(&ids, &score);
            t.check();
            assert_eq!(t.ids(), ids);
            assert_eq!(t.partition_point(|x, _| x < n / 2), (n / 2) as usize);
        }
    }

    proptest! {
        #[test]
        fn behaves_like_a_sorted_vec(
            ops in proptest::collection::vec((0u8..3, any::<u32>(), any::<prop::sample::Index>()), 0..3000),
            start in 0usize..2000,
        ) {
            let mut model: Vec<u32> = (0..start as u32 * 2).step_by(2).collect();
            let mut t = Tree::from_sorted(&model, &score);
            for (op, id, index) in ops {
                match op {
                    0 | 1 => {
                        if let Err(at) = model.binary_search(&id) {
                            model.insert(at, id);
                            insert(&mut t, id);
                        }
                    }
                    _ if !model.is_empty() => {
                        let rank = index.index(model.len());
                        prop_assert_eq!(t.remove(rank, &score), Some(model.remove(rank)));
                    }
                    _ => prop_assert_eq!(t.remove(0, &score), None),
                }
                prop_assert_eq!(t.len(), model.len());
            }
            t.check();
            prop_assert_eq!(t.ids(), model.clone());
            for probe in [0, 1, u32::MAX / 2, u32::MAX] {
                prop_assert_eq!(t.partition_point(|x, hint| {
                    assert!(hint.is_none_or(|s| s == score(x)));
                    x < probe
                }), model.partition_point(|&x| x < probe));
            }
            let renumbered: Vec<u32> = model.iter().map(|x| x / 2).collect();
            // (Renumbering changes these ids' "scores", so only ids and
            // counts are checked after it.)
            t.rewrite_ids(|x| x / 2);
            prop_assert_eq!(t.ids(), renumbered);
        }
    }

    #[test]
    fn removing_everything_from_either_end_shrinks_the_tree() {
        let ids: Vec<u32> = (0..50_000).collect();
        let mut t = Tree::from_sorted(&ids, &score);
        for i in 0..25_000 {
            assert_eq!(t.remove(0, &score), Some(i));
        }
        t.check();
        for i in (25_000..50_000).rev() {
            assert_eq!(t.remove(t.len() - 1, &score), Some(i));
        }
        t.check();
        assert_eq!(t.len(), 0);
        assert!(t.heap_bytes() <= LEAF_CAP * 4);
        insert(&mut t, 7);
        assert_eq!(t.ids(), [7]);
    }
}
