//! `Dict<V>`: the chained hash table that holds a shard's keys (and the
//! fields of large hashes and sets).
//!
//! It is shaped after Redis's `dict` rather than using `std::collections::HashMap`
//! for two reasons:
//!
//! * **Memory per key.** Each entry is a single heap allocation (a [`Node`]):
//!   a fixed header followed by the key bytes inline, so a key costs one
//!   allocation and no separate `Vec`/`Box` header. The bucket array holds
//!   one 8-byte pointer per bucket and runs at a load factor of up to 1;
//!   open addressing would have to keep whole entries in the table and
//!   double at 7/8 load.
//! * **The SCAN guarantee.** Buckets are addressed by the low bits of the hash
//!   and the table size is always a power of two, so the reverse-binary
//!   cursor of Redis's `dictScan` works: a full scan returns every element
//!   that was present for the whole scan, even if the table grew or shrank
//!   between calls (elements may be returned more than once after a shrink).
//!
//! Resizing is a full rehash under the caller's lock (there is no incremental
//! rehash: every caller holds the shard lock for a whole call). Nodes do not
//! store their hash, so resizing recomputes it with [`hash_key`]; hence every
//! `*_hashed` method must be given `hash_key(key)` and nothing else.

use std::alloc::{self, Layout};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::marker::PhantomData;
use std::mem;
use std::ptr::{self, NonNull};
use std::sync::OnceLock;

use ahash::RandomState;
use rand::{Rng, RngExt};

/// Smallest bucket array; shrinking never goes below it.
const MIN_BUCKETS: usize = 4;

/// A table shrinks once fewer than one in this many buckets would be used.
/// Shrinking goes to the smallest power of two that still holds every entry
/// at load factor 1, so after a shrink the load is above 1/2 and it takes
/// many removals (or a doubling of entries) before the next resize.
const SHRINK_RATIO: usize = 8;

/// Hashes a key with the process-wide seeded hasher.
///
/// The keyspace hashes each key once: the high bits pick a shard and the same
/// value is passed to the `*_hashed` methods, whose bucket index is the low
/// bits. The seeds are random per process so that clients cannot precompute
/// colliding keys.
pub fn hash_key(key: &[u8]) -> u64 {
    static STATE: OnceLock<RandomState> = OnceLock::new();
    let state = STATE.get_or_init(|| {
        let [k0, k1, k2, k3] = rand::random::<[u64; 4]>();
        RandomState::with_seeds(k0, k1, k2, k3)
    });
    let mut hasher = state.build_hasher();
    hasher.write(key);
    hasher.finish()
}

/// One entry: this header, then `key_len` key bytes in the same allocation.
///
/// `repr(C)` fixes the field order so the header is as small as the fields
/// allow (for a 24-byte value: 8 + 24 + 4 + 4 = 40 bytes) and the key starts
/// at `size_of::<Node<V>>()`. Nodes are only ever handled through raw
/// pointers that cover the whole allocation: a `&Node<V>` would not cover
/// the trailing key bytes.
#[repr(C)]
struct Node<V> {
    next: *mut Node<V>,
    value: V,
    meta: u32,
    key_len: u32,
}

impl<V> Node<V> {
    fn layout(key_len: usize) -> Layout {
        Layout::from_size_align(mem::size_of::<Self>() + key_len, mem::align_of::<Self>())
            .expect("key too large")
    }

    /// Allocates a node holding `key` and `value`, with `meta` 0 and no successor.
    fn alloc(key: &[u8], value: V) -> NonNull<Self> {
        let key_len = u32::try_from(key.len()).expect("key longer than u32::MAX bytes");
        let layout = Self::layout(key.len());
        // SAFETY: the layout's size is non-zero: it includes the `next` pointer.
        let raw = unsafe { alloc::alloc(layout) }.cast::<Self>();
        let Some(node) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout)
        };
        // SAFETY: `node` is a fresh allocation of `layout`: properly aligned for
        // `Node<V>` and large enough for the header plus `key.len()` bytes right
        // after it, which cannot overlap `key`.
        unsafe {
            node.as_ptr().write(Node {
                next: ptr::null_mut(),
                value,
                meta: 0,
                key_len,
            });
            ptr::copy_nonoverlapping(
                key.as_ptr(),
                node.as_ptr().cast::<u8>().add(mem::size_of::<Self>()),
                key.len(),
            );
        }
        node
    }

    /// # Safety
    /// `node` must point to a live node made by [`Node::alloc`], and the returned
    /// slice must not outlive it.
    unsafe fn key<'a>(node: *const Self) -> &'a [u8] {
        // SAFETY: per the contract, the node is live and `key_len` bytes of
        // initialised key follow its header in the same allocation; the key is
        // never written after allocation.
        unsafe {
            let len = (*node).key_len as usize;
            std::slice::from_raw_parts(node.cast::<u8>().add(mem::size_of::<Self>()), len)
        }
    }

    /// Bytes allocated for a node holding a key of `key_len` bytes.
    fn alloc_size(key_len: usize) -> usize {
        mem::size_of::<Self>() + key_len
    }

    /// Frees the node and hands back its value, so that dropping the value
    /// happens after the node is gone (a panicking `Drop` then leaks nothing
    /// and leaves no dangling pointer).
    ///
    /// # Safety
    /// `node` must be a live node from [`Node::alloc`] that is no longer
    /// reachable from any table.
    unsafe fn free(node: *mut Self) -> V {
        // SAFETY: per the contract the node is live, unreachable and its value
        // initialised; it is read exactly once and the allocation freed with the
        // layout it was allocated with.
        unsafe {
            let value = ptr::read(&raw const (*node).value);
            let layout = Self::layout((*node).key_len as usize);
            alloc::dealloc(node.cast::<u8>(), layout);
            value
        }
    }
}

/// A chained hash table from binary-safe keys to `V`, with a caller-owned
/// `u32` word per entry (see the module documentation).
pub struct Dict<V> {
    /// `None` until the first insert and after `clear`, so that an empty
    /// dict owns no allocation. Its length is a power of two.
    table: Option<Box<[*mut Node<V>]>>,
    len: usize,
    /// Sum of the node allocation sizes, kept so `allocated_bytes` is O(1).
    node_bytes: usize,
    /// The dict owns its values (for drop check and auto traits).
    _owns: PhantomData<V>,
}

// SAFETY: the dict owns every node exclusively (nodes are never shared between
// dicts), so moving it to another thread moves the `V`s with it.
unsafe impl<V: Send> Send for Dict<V> {}
// SAFETY: `&Dict` only hands out `&V` and `&[u8]` and never mutates through a
// shared reference, so sharing it is sharing `&V`.
unsafe impl<V: Sync> Sync for Dict<V> {}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Dict<V> {
    /// An empty dict; allocates nothing.
    pub const fn new() -> Self {
        Dict {
            table: None,
            len: 0,
            node_bytes: 0,
            _owns: PhantomData,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of buckets (0 before the first insert and after `clear`).
    pub fn bucket_count(&self) -> usize {
        self.table.as_ref().map_or(0, |t| t.len())
    }

    /// Bytes this dict has allocated: the bucket array plus every node.
    pub fn allocated_bytes(&self) -> usize {
        self.bucket_count() * mem::size_of::<*mut Node<V>>() + self.node_bytes
    }

    fn buckets(&self) -> &[*mut Node<V>] {
        self.table.as_deref().unwrap_or(&[])
    }

    /// The node holding `key`, if any.
    fn find(&self, hash: u64, key: &[u8]) -> Option<NonNull<Node<V>>> {
        debug_assert_eq!(hash, hash_key(key), "hash must be hash_key(key)");
        let buckets = self.buckets();
        if buckets.is_empty() {
            return None;
        }
        let mut node = buckets[hash as usize & (buckets.len() - 1)];
        while !node.is_null() {
            // SAFETY: every non-null pointer reachable from the table is a live
            // node owned by `self`, which `&self` keeps alive.
            unsafe {
                if Node::key(node) == key {
                    return NonNull::new(node);
                }
                node = (*node).next;
            }
        }
        None
    }

    /// The link (bucket slot or a predecessor's `next`) that points at the
    /// node holding `key`, so the caller can unlink it.
    fn find_link(&mut self, hash: u64, key: &[u8]) -> Option<*mut *mut Node<V>> {
        debug_assert_eq!(hash, hash_key(key), "hash must be hash_key(key)");
        let buckets = self.table.as_deref_mut()?;
        let index = hash as usize & (buckets.len() - 1);
        let mut link: *mut *mut Node<V> = &raw mut buckets[index];
        // SAFETY: `link` is either a slot of the bucket array (borrowed mutably
        // through `self`) or the `next` field of a live node owned by `self`;
        // every non-null pointer read from a link is a live node.
        unsafe {
            while !(*link).is_null() {
                let node = *link;
                if Node::key(node) == key {
                    return Some(link);
                }
                link = &raw mut (*node).next;
            }
        }
        None
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.get_hashed(hash_key(key), key)
    }

    pub fn get_hashed(&self, hash: u64, key: &[u8]) -> Option<&V> {
        // SAFETY: the node is live for as long as `&self` is borrowed, and only
        // mutated through `&mut self`.
        self.find(hash, key)
            .map(|node| unsafe { &(*node.as_ptr()).value })
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.get_mut_hashed(hash_key(key), key)
    }

    pub fn get_mut_hashed(&mut self, hash: u64, key: &[u8]) -> Option<&mut V> {
        // SAFETY: the node is live while `self` is borrowed, and the exclusive
        // borrow of `self` makes this the only reference into it.
        self.find(hash, key)
            .map(|node| unsafe { &mut (*node.as_ptr()).value })
    }

    /// Access to an existing entry's key, value and meta word at once.
    pub fn entry_hashed(&mut self, hash: u64, key: &[u8]) -> Option<EntryMut<'_, V>> {
        self.find(hash, key).map(|node| EntryMut {
            node,
            _dict: PhantomData,
        })
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(hash_key(key), key).is_some()
    }

    /// Inserts or replaces. A replaced entry keeps its node and its meta word;
    /// the old value is returned.
    ///
    /// Panics if the key is longer than `u32::MAX` bytes (callers cap keys at
    /// 512 MB, as Redis does).
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        self.insert_hashed(hash_key(key), key, value)
    }

    pub fn insert_hashed(&mut self, hash: u64, key: &[u8], value: V) -> Option<V> {
        if let Some(old) = self.get_mut_hashed(hash, key) {
            return Some(mem::replace(old, value));
        }
        self.insert_new(hash, key, value);
        None
    }

    /// The value for `key`, inserting `f()` first if absent; the flag says
    /// whether it was inserted.
    pub fn get_or_insert_with_hashed(
        &mut self,
        hash: u64,
        key: &[u8],
        f: impl FnOnce() -> V,
    ) -> (&mut V, bool) {
        let (node, inserted) = match self.find(hash, key) {
            Some(node) => (node, false),
            None => (self.insert_new(hash, key, f()), true),
        };
        // SAFETY: the node is live while `self` is exclusively borrowed, and
        // that borrow makes this the only reference into it.
        (unsafe { &mut (*node.as_ptr()).value }, inserted)
    }

    /// Links a new node for a key known to be absent, growing first if the
    /// load factor would exceed 1.
    fn insert_new(&mut self, hash: u64, key: &[u8], value: V) -> NonNull<Node<V>> {
        let buckets = self.bucket_count();
        if self.len >= buckets {
            self.resize((buckets * 2).max(MIN_BUCKETS));
        }
        let node = Node::alloc(key, value);
        let table = self.table.as_deref_mut().expect("resized above");
        let slot = &mut table[hash as usize & (table.len() - 1)];
        // SAFETY: `node` is fresh and owned by nobody else yet.
        unsafe { (*node.as_ptr()).next = *slot };
        *slot = node.as_ptr();
        self.len += 1;
        self.node_bytes += Node::<V>::alloc_size(key.len());
        node
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.remove_hashed(hash_key(key), key)
    }

    pub fn remove_hashed(&mut self, hash: u64, key: &[u8]) -> Option<V> {
        let node = self.unlink(hash, key)?;
        // SAFETY: `unlink` made the node unreachable.
        let value = unsafe { Node::free(node) };
        self.shrink_if_sparse();
        Some(value)
    }

    /// Like `remove_hashed`, also handing back the key (one copy of it).
    pub fn remove_entry_hashed(&mut self, hash: u64, key: &[u8]) -> Option<(Box<[u8]>, V)> {
        let node = self.unlink(hash, key)?;
        // SAFETY: `unlink` made the node unreachable; the key is copied before
        // the node is freed.
        let entry = unsafe { (Box::from(Node::key(node)), Node::free(node)) };
        self.shrink_if_sparse();
        Some(entry)
    }

    /// Unlinks the node holding `key` and accounts for it, leaving the caller
    /// to free it.
    fn unlink(&mut self, hash: u64, key: &[u8]) -> Option<*mut Node<V>> {
        let link = self.find_link(hash, key)?;
        // SAFETY: `find_link` returned a valid link to a live node; nothing has
        // touched the table since.
        let node = unsafe {
            let node = *link;
            *link = (*node).next;
            node
        };
        self.len -= 1;
        self.node_bytes -= Node::<V>::alloc_size(key.len());
        Some(node)
    }

    pub fn meta_hashed(&self, hash: u64, key: &[u8]) -> Option<u32> {
        // SAFETY: the node is live while `self` is borrowed.
        self.find(hash, key)
            .map(|node| unsafe { (*node.as_ptr()).meta })
    }

    /// Sets an entry's meta word; false if the key is absent.
    pub fn set_meta_hashed(&mut self, hash: u64, key: &[u8], meta: u32) -> bool {
        self.entry_hashed(hash, key)
            .map(|mut entry| entry.set_meta(meta))
            .is_some()
    }

    /// Removes every entry and frees the bucket array.
    ///
    /// If a value's `Drop` panics, the entries not yet dropped are leaked
    /// (the dict is already empty by then, so it stays sound).
    pub fn clear(&mut self) {
        let Some(table) = self.table.take() else {
            return;
        };
        self.len = 0;
        self.node_bytes = 0;
        for &head in table.iter() {
            let mut node = head;
            while !node.is_null() {
                // SAFETY: the table was detached from `self` above, so each node
                // is reachable only from this walk; `next` is read before freeing.
                unsafe {
                    let next = (*node).next;
                    drop(Node::free(node));
                    node = next;
                }
            }
        }
    }

    pub fn iter(&self) -> Iter<'_, V> {
        Iter(self.nodes())
    }

    /// Like `iter`, also yielding each entry's meta word.
    pub fn iter_with_meta(&self) -> impl ExactSizeIterator<Item = (&[u8], &V, u32)> {
        self.nodes()
            // SAFETY: `Nodes` yields live nodes of `self`, borrowed meanwhile.
            .map(|node| unsafe { (Node::key(node), &(*node).value, (*node).meta) })
    }

    fn nodes(&self) -> Nodes<'_, V> {
        Nodes {
            buckets: self.buckets(),
            node: ptr::null(),
            remaining: self.len,
        }
    }

    /// Keeps the entries for which `f` returns true; shrinks afterwards if
    /// the table became sparse.
    ///
    /// If `f` or a value's `Drop` panics, the entries removed so far are gone
    /// and the rest are kept.
    pub fn retain(&mut self, mut f: impl FnMut(&[u8], &mut V) -> bool) {
        let Some(table) = self.table.as_deref_mut() else {
            return;
        };
        for slot in table.iter_mut() {
            let mut link: *mut *mut Node<V> = slot;
            // SAFETY: `link` is a bucket slot or the `next` field of a live
            // node, both reached through `&mut self`; a removed node is
            // unlinked and accounted for before it is freed and its value
            // dropped, so a panic leaves the table consistent.
            unsafe {
                while !(*link).is_null() {
                    let node = *link;
                    let key = Node::key(node);
                    if f(key, &mut (*node).value) {
                        link = &raw mut (*node).next;
                    } else {
                        *link = (*node).next;
                        self.len -= 1;
                        self.node_bytes -= Node::<V>::alloc_size(key.len());
                        drop(Node::free(node));
                    }
                }
            }
        }
        self.shrink_if_sparse();
    }

    /// One step of Redis's SCAN: calls `f` for every entry in the bucket the
    /// cursor addresses and returns the next cursor, 0 when the scan is done.
    ///
    /// The cursor counts up in bit-reversed order, so the buckets already
    /// visited are always a prefix of that order for any power-of-two table
    /// size. That is why an entry present during a whole scan is returned at
    /// least once even if the table grows or shrinks between calls.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &V)) -> u64 {
        let buckets = self.buckets();
        if self.len == 0 {
            return 0;
        }
        let mask = (buckets.len() - 1) as u64;
        let mut node = buckets[(cursor & mask) as usize];
        while !node.is_null() {
            // SAFETY: nodes reachable from the table are live while `self` is
            // borrowed, and `f` cannot mutate the dict through `&V`.
            unsafe {
                f(Node::key(node), &(*node).value);
                node = (*node).next;
            }
        }
        // Setting the bits above the mask makes the increment of the reversed
        // cursor carry straight into the bits that address buckets.
        (cursor | !mask)
            .reverse_bits()
            .wrapping_add(1)
            .reverse_bits()
    }

    /// A random entry, or None if empty: a random non-empty bucket, then a
    /// random node of its chain (as Redis's `dictGetRandomKey`). Entries in
    /// short chains are slightly favoured, which eviction sampling tolerates.
    pub fn random_entry<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&[u8], &V)> {
        self.random_node(rng)
            // SAFETY: the node is live while `self` is borrowed.
            .map(|node| unsafe { (Node::key(node), &(*node).value) })
    }

    /// Like `random_entry`, also returning the entry's meta word (for
    /// eviction sampling).
    pub fn random_entry_with_meta<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&[u8], &V, u32)> {
        self.random_node(rng)
            // SAFETY: the node is live while `self` is borrowed.
            .map(|node| unsafe { (Node::key(node), &(*node).value, (*node).meta) })
    }

    fn random_node<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<*const Node<V>> {
        if self.len == 0 {
            return None;
        }
        let buckets = self.buckets();
        // Terminates quickly: shrinking keeps a non-empty table at least 1/8
        // full (at least 1/4 at the minimum size).
        let head = loop {
            let head = buckets[rng.random_range(0..buckets.len())];
            if !head.is_null() {
                break head;
            }
        };
        let mut chain_len = 0;
        let mut node = head;
        while !node.is_null() {
            chain_len += 1;
            // SAFETY: nodes reachable from the table are live.
            node = unsafe { (*node).next };
        }
        let mut node = head;
        for _ in 0..rng.random_range(0..chain_len) {
            // SAFETY: as above; the chain has more than this many nodes.
            node = unsafe { (*node).next };
        }
        Some(node)
    }

    /// Shrinks to the smallest power of two that holds every entry at load
    /// factor 1 (at least `MIN_BUCKETS`) once the table is under 1/8 full.
    fn shrink_if_sparse(&mut self) {
        let buckets = self.bucket_count();
        if buckets > MIN_BUCKETS && self.len < buckets / SHRINK_RATIO {
            self.resize(self.len.next_power_of_two().max(MIN_BUCKETS));
        }
    }

    /// Moves every node into a new bucket array of `new_len` (a power of two).
    fn resize(&mut self, new_len: usize) {
        debug_assert!(new_len.is_power_of_two());
        let mut new_table = vec![ptr::null_mut::<Node<V>>(); new_len].into_boxed_slice();
        let mask = new_len - 1;
        if let Some(old_table) = self.table.take() {
            for &head in old_table.iter() {
                let mut node = head;
                while !node.is_null() {
                    // SAFETY: each node is live and, once its `next` has been
                    // read, relinked into exactly one chain of the new table.
                    unsafe {
                        let next = (*node).next;
                        let slot = &mut new_table[hash_key(Node::key(node)) as usize & mask];
                        (*node).next = *slot;
                        *slot = node;
                        node = next;
                    }
                }
            }
        }
        self.table = Some(new_table);
    }
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<V: Clone> Clone for Dict<V> {
    /// Copies entries and meta words; the copy has the same bucket count, so
    /// every node lands in the bucket index of its original without rehashing.
    fn clone(&self) -> Self {
        let mut copy = Dict::new();
        let Some(table) = self.table.as_deref() else {
            return copy;
        };
        copy.table = Some(vec![ptr::null_mut(); table.len()].into_boxed_slice());
        for (index, &head) in table.iter().enumerate() {
            let mut node = head;
            while !node.is_null() {
                // SAFETY: `node` is live in `self`; the new node is fresh and is
                // linked (and counted) before the next `clone` call can panic,
                // so a panic drops a consistent partial copy.
                unsafe {
                    let new = Node::alloc(Node::key(node), (*node).value.clone());
                    (*new.as_ptr()).meta = (*node).meta;
                    let slot = &mut copy.table.as_deref_mut().expect("allocated above")[index];
                    (*new.as_ptr()).next = *slot;
                    *slot = new.as_ptr();
                    copy.len += 1;
                    copy.node_bytes += Node::<V>::alloc_size((*node).key_len as usize);
                    node = (*node).next;
                }
            }
        }
        copy
    }
}

impl<V: fmt::Debug> fmt::Debug for Dict<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (k.escape_ascii().to_string(), v)))
            .finish()
    }
}

/// An existing entry, borrowed mutably from its dict.
pub struct EntryMut<'a, V> {
    node: NonNull<Node<V>>,
    _dict: PhantomData<&'a mut Dict<V>>,
}

impl<'a, V> EntryMut<'a, V> {
    pub fn key(&self) -> &[u8] {
        // SAFETY: the node is live while the dict is borrowed for 'a.
        unsafe { Node::key(self.node.as_ptr()) }
    }

    pub fn value(&self) -> &V {
        // SAFETY: the node is live while the dict is borrowed for 'a.
        unsafe { &(*self.node.as_ptr()).value }
    }

    pub fn value_mut(&mut self) -> &mut V {
        // SAFETY: the node is live, and the exclusive borrow of the dict,
        // reborrowed through `&mut self`, makes this reference unique.
        unsafe { &mut (*self.node.as_ptr()).value }
    }

    /// The value, borrowed for as long as the dict is.
    pub fn into_value_mut(self) -> &'a mut V {
        // SAFETY: as `value_mut`; consuming `self` hands over the dict borrow.
        unsafe { &mut (*self.node.as_ptr()).value }
    }

    pub fn meta(&self) -> u32 {
        // SAFETY: the node is live while the dict is borrowed for 'a.
        unsafe { (*self.node.as_ptr()).meta }
    }

    pub fn set_meta(&mut self, meta: u32) {
        // SAFETY: the node is live and the dict is exclusively borrowed.
        unsafe { (*self.node.as_ptr()).meta = meta }
    }
}

/// Iterator over `(key, value)` in bucket order; see [`Dict::iter`].
pub struct Iter<'a, V>(Nodes<'a, V>);

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a [u8], &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        let node = self.0.next()?;
        // SAFETY: `Nodes` yields live nodes of a dict borrowed for 'a.
        Some(unsafe { (Node::key(node), &(*node).value) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}

/// Walks every node of a table that stays borrowed (so unchanged) for 'a.
struct Nodes<'a, V> {
    /// Buckets not yet started (the current chain's bucket is already gone).
    buckets: &'a [*mut Node<V>],
    /// Next node of the current chain, or null to move to the next bucket.
    node: *const Node<V>,
    remaining: usize,
}

// SAFETY: `Nodes` is a shared borrow of the dict, which is Sync when V is.
unsafe impl<V: Sync> Send for Nodes<'_, V> {}
// SAFETY: as above; `Nodes` has no interior mutability.
unsafe impl<V: Sync> Sync for Nodes<'_, V> {}

impl<V> Iterator for Nodes<'_, V> {
    type Item = *const Node<V>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.node.is_null() {
            let (&head, rest) = self.buckets.split_first()?;
            self.node = head;
            self.buckets = rest;
        }
        let node = self.node;
        self.remaining -= 1;
        // SAFETY: the node is reachable from the borrowed table, so live.
        self.node = unsafe { (*node).next };
        Some(node)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}
impl<V> ExactSizeIterator for Nodes<'_, V> {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;
    use std::cell::Cell;
    use std::collections::{HashMap, HashSet};
    use std::rc::Rc;

    fn key(i: usize) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    /// Runs a full SCAN, calling `between` after every step.
    fn full_scan<V>(dict: &mut Dict<V>, mut between: impl FnMut(&mut Dict<V>)) -> Vec<Vec<u8>> {
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            cursor = dict.scan(cursor, |k, _| seen.push(k.to_vec()));
            if cursor == 0 {
                return seen;
            }
            between(dict);
        }
    }

    #[test]
    fn node_layout() {
        assert_eq!(mem::size_of::<Node<[u8; 24]>>(), 40);
        assert_eq!(mem::offset_of!(Node<[u8; 24]>, meta), 32);
        assert_eq!(mem::size_of::<Node<()>>(), 16);
    }

    #[test]
    fn empty_dict_allocates_nothing() {
        static EMPTY: Dict<u32> = Dict::new();
        assert!(EMPTY.is_empty());
        assert_eq!(EMPTY.bucket_count(), 0);
        assert_eq!(EMPTY.allocated_bytes(), 0);
        assert_eq!(EMPTY.get(b"x"), None);
        assert_eq!(EMPTY.scan(0, |_, _| panic!()), 0);
        assert!(
            EMPTY
                .random_entry(&mut SmallRng::seed_from_u64(1))
                .is_none()
        );
        assert_eq!(EMPTY.iter().count(), 0);
        let mut d: Dict<u32> = Dict::default();
        assert_eq!(d.remove(b"x"), None);
        d.retain(|_, _| true);
        d.clear();
        assert_eq!(d.allocated_bytes(), 0);
    }

    #[test]
    fn insert_get_replace_remove_clear() {
        let mut d = Dict::new();
        assert_eq!(d.insert(b"a", 1), None);
        assert_eq!(d.insert(b"b", 2), None);
        assert_eq!(d.len(), 2);
        assert_eq!(d.get(b"a"), Some(&1));
        assert_eq!(d.get(b"c"), None);
        assert!(d.contains_key(b"b"));
        assert_eq!(d.bucket_count(), MIN_BUCKETS);

        let h = hash_key(b"a");
        assert!(d.set_meta_hashed(h, b"a", 7));
        assert_eq!(d.insert(b"a", 10), Some(1), "replace returns the old value");
        assert_eq!(
            d.meta_hashed(h, b"a"),
            Some(7),
            "replace keeps the meta word"
        );
        assert_eq!(d.len(), 2);
        *d.get_mut(b"a").unwrap() += 1;
        assert_eq!(d.get_hashed(h, b"a"), Some(&11));

        let (v, inserted) = d.get_or_insert_with_hashed(h, b"a", || unreachable!());
        assert_eq!((*v, inserted), (11, false));
        let (v, inserted) = d.get_or_insert_with_hashed(hash_key(b"c"), b"c", || 3);
        assert_eq!((*v, inserted), (3, true));
        *v = 4;
        assert_eq!(d.get(b"c"), Some(&4));
        assert_eq!(d.meta_hashed(hash_key(b"c"), b"c"), Some(0));

        let mut e = d.entry_hashed(h, b"a").unwrap();
        assert_eq!((e.key(), *e.value(), e.meta()), (&b"a"[..], 11, 7));
        *e.value_mut() = 12;
        e.set_meta(8);
        *e.into_value_mut() += 1;
        assert_eq!(d.get(b"a"), Some(&13));
        assert_eq!(d.meta_hashed(h, b"a"), Some(8));
        assert!(d.entry_hashed(hash_key(b"zz"), b"zz").is_none());
        assert!(!d.set_meta_hashed(hash_key(b"zz"), b"zz", 1));
        assert_eq!(d.meta_hashed(hash_key(b"zz"), b"zz"), None);

        assert_eq!(d.remove(b"a"), Some(13));
        assert_eq!(d.remove(b"a"), None);
        assert_eq!(
            d.remove_entry_hashed(hash_key(b"b"), b"b"),
            Some((Box::from(&b"b"[..]), 2))
        );
        assert_eq!(d.len(), 1);
        d.clear();
        assert!(d.is_empty());
        assert_eq!(d.bucket_count(), 0);
        assert_eq!(d.get(b"c"), None);
        d.insert(b"again", 5);
        assert_eq!(d.get(b"again"), Some(&5));
    }

    #[test]
    fn binary_keys() {
        let big: Vec<u8> = (0..1 << 20).map(|i| (i * 7 + 3) as u8).collect();
        let mut d = Dict::new();
        d.insert(b"", 0);
        d.insert(b"\0", 1);
        d.insert(b"\0\0", 2);
        d.insert(b"\xff\xfe\r\n", 3);
        d.insert(&big, 4);
        assert_eq!(d.get(b""), Some(&0));
        assert_eq!(d.get(b"\0"), Some(&1));
        assert_eq!(d.get(b"\0\0"), Some(&2));
        assert_eq!(d.get(b"\xff\xfe\r\n"), Some(&3));
        assert_eq!(d.get(&big), Some(&4));
        assert_eq!(d.get(&big[1..]), None);
        assert!(d.allocated_bytes() > 1 << 20);
        let mut keys: Vec<&[u8]> = d.iter().map(|(k, _)| k).collect();
        keys.sort();
        assert_eq!(keys, [&b""[..], b"\0", b"\0\0", &big, b"\xff\xfe\r\n"]);
        assert_eq!(d.remove(&big), Some(4));
        assert!(d.allocated_bytes() < 1 << 20);
        assert_eq!(d.remove(b""), Some(0));
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn grows_at_load_factor_one_and_shrinks_when_sparse() {
        let mut d = Dict::new();
        for i in 0..1024 {
            d.insert(&key(i), i);
            assert!(d.len() <= d.bucket_count());
            assert!(d.bucket_count().is_power_of_two());
        }
        assert_eq!(d.bucket_count(), 1024);
        d.insert(&key(1024), 1024);
        assert_eq!(d.bucket_count(), 2048);
        for i in 0..1025 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        for i in (0..1025).rev() {
            assert_eq!(d.remove(&key(i)), Some(i));
            let buckets = d.bucket_count();
            assert!(buckets == MIN_BUCKETS || d.len() >= buckets / SHRINK_RATIO);
            assert!(d.len() <= buckets);
        }
        assert_eq!(d.bucket_count(), MIN_BUCKETS);
        for i in 0..4000 {
            d.insert(&key(i), i);
        }
        d.retain(|k, v| {
            assert_eq!(k, key(*v));
            *v % 100 == 0
        });
        assert_eq!(d.len(), 40);
        assert_eq!(d.bucket_count(), 64);
        for i in 0..4000 {
            assert_eq!(d.get(&key(i)).is_some(), i % 100 == 0);
        }
    }

    #[test]
    fn allocated_bytes_tracks_buckets_and_nodes() {
        let mut d: Dict<u64> = Dict::new();
        let node = mem::size_of::<Node<u64>>();
        d.insert(b"abc", 1);
        assert_eq!(d.allocated_bytes(), MIN_BUCKETS * 8 + node + 3);
        d.insert(b"abc", 2);
        assert_eq!(d.allocated_bytes(), MIN_BUCKETS * 8 + node + 3);
        let mut last = d.allocated_bytes();
        for i in 0..1000 {
            d.insert(&key(i), i as u64);
            assert!(d.allocated_bytes() > last);
            last = d.allocated_bytes();
        }
        let nodes: usize = d.iter().map(|(k, _)| node + k.len()).sum();
        assert_eq!(d.allocated_bytes(), d.bucket_count() * 8 + nodes);
        for i in 0..1000 {
            d.remove(&key(i));
            assert!(d.allocated_bytes() < last);
            last = d.allocated_bytes();
        }
        assert_eq!(d.allocated_bytes(), MIN_BUCKETS * 8 + node + 3);
        d.clear();
        assert_eq!(d.allocated_bytes(), 0);
    }

    #[test]
    fn model_test_against_hashmap() {
        let mut rng = SmallRng::seed_from_u64(0x5eed);
        let mut d: Dict<u64> = Dict::new();
        let mut model: HashMap<Vec<u8>, (u64, u32)> = HashMap::new();
        for step in 0..100_000u64 {
            // Vary the key space so the table repeatedly grows and shrinks.
            let space = if (step / 10_000) % 2 == 0 { 3000 } else { 40 };
            let k = {
                let n = rng.random_range(0..space);
                let mut k = key(n);
                k.truncate(rng.random_range(0..=k.len()).max(k.len() - n % 3));
                k
            };
            let h = hash_key(&k);
            match rng.random_range(0..100) {
                0..40 => {
                    let old = model.get(&k).map(|e| e.0);
                    assert_eq!(d.insert_hashed(h, &k, step), old);
                    model.entry(k).or_insert((0, 0)).0 = step;
                }
                40..65 => {
                    let removed = model.remove(&k).map(|e| e.0);
                    if step % 2 == 0 {
                        assert_eq!(d.remove_hashed(h, &k), removed);
                    } else {
                        let entry = d.remove_entry_hashed(h, &k);
                        assert_eq!(entry.as_ref().map(|e| &*e.0), removed.map(|_| &*k));
                        assert_eq!(entry.map(|e| e.1), removed);
                    }
                }
                65..80 => {
                    assert_eq!(d.get_hashed(h, &k), model.get(&k).map(|e| &e.0));
                    assert_eq!(d.meta_hashed(h, &k), model.get(&k).map(|e| e.1));
                }
                80..90 => {
                    let expect_new = !model.contains_key(&k);
                    let (v, inserted) = d.get_or_insert_with_hashed(h, &k, || step);
                    assert_eq!(inserted, expect_new);
                    *v += 1;
                    model.entry(k).or_insert((step, 0)).0 += 1;
                }
                90..98 => {
                    let meta = rng.random::<u32>();
                    assert_eq!(d.set_meta_hashed(h, &k, meta), model.contains_key(&k));
                    if let Some(e) = model.get_mut(&k) {
                        e.1 = meta;
                    }
                }
                98 => {
                    let m = rng.random_range(1..5u64);
                    d.retain(|_, v| {
                        *v += 1;
                        *v % m != 0
                    });
                    model.retain(|_, e| {
                        e.0 += 1;
                        e.0 % m != 0
                    });
                }
                _ if step % 97 == 0 => {
                    d.clear();
                    model.clear();
                }
                _ => {
                    let mut mine: Vec<_> = d
                        .iter_with_meta()
                        .map(|(k, v, m)| (k.to_vec(), (*v, m)))
                        .collect();
                    let mut theirs: Vec<_> = model.iter().map(|(k, e)| (k.clone(), *e)).collect();
                    mine.sort();
                    theirs.sort();
                    assert_eq!(mine, theirs);
                }
            }
            assert_eq!(d.len(), model.len());
            let buckets = d.bucket_count();
            assert!(d.len() <= buckets);
            assert!(buckets <= MIN_BUCKETS || d.len() >= buckets / SHRINK_RATIO);
        }
        let nodes: usize = model
            .keys()
            .map(|k| mem::size_of::<Node<u64>>() + k.len())
            .sum();
        assert_eq!(d.allocated_bytes(), d.bucket_count() * 8 + nodes);
    }

    #[test]
    fn scan_without_changes_returns_every_key_once() {
        let mut d = Dict::new();
        for i in 0..1000 {
            d.insert(&key(i), i);
        }
        let seen = full_scan(&mut d, |_| {});
        assert_eq!(seen.len(), 1000);
        let seen: HashSet<_> = seen.into_iter().collect();
        assert_eq!(seen, (0..1000).map(key).collect());
    }

    #[test]
    fn scan_survives_growth() {
        let mut d = Dict::new();
        for i in 0..100 {
            d.insert(&key(i), i);
        }
        let mut next = 100;
        let seen: HashSet<_> = full_scan(&mut d, |d| {
            // Growing on every step for ever would outrun the cursor, as in
            // Redis; stop once the table has grown a few times.
            for _ in 0..50 {
                if next < 20_000 {
                    d.insert(&key(next), next);
                    next += 1;
                }
            }
        })
        .into_iter()
        .collect();
        assert!(d.bucket_count() >= 4096, "the table grew several times");
        for i in 0..100 {
            assert!(seen.contains(&key(i)), "missed key {i}");
        }
    }

    #[test]
    fn scan_survives_shrink() {
        let mut d = Dict::new();
        for i in 0..10_000 {
            d.insert(&key(i), i);
        }
        // Keys 0..50 stay; the rest are removed a chunk per scan step.
        let mut next = 50;
        let seen: HashSet<_> = full_scan(&mut d, |d| {
            for _ in 0..500 {
                if next < 10_000 {
                    d.remove(&key(next));
                    next += 1;
                }
            }
        })
        .into_iter()
        .collect();
        assert_eq!((next, d.bucket_count()), (10_000, 256), "the table shrank");
        for i in 0..50 {
            assert!(seen.contains(&key(i)), "missed key {i}");
        }
    }

    #[test]
    fn scan_survives_random_resizes() {
        let mut rng = SmallRng::seed_from_u64(7);
        for round in 0..20 {
            let mut d = Dict::new();
            let stable: Vec<_> = (0..rng.random_range(1..300))
                .map(|i| format!("s{round}:{i}").into_bytes())
                .collect();
            for k in &stable {
                d.insert(k, 0);
            }
            let mut churn = Vec::new();
            let mut n = 0;
            let seen: HashSet<_> = full_scan(&mut d, |d| {
                if rng.random_bool(0.5) {
                    for _ in 0..rng.random_range(0..2000) {
                        let k = format!("c{n}").into_bytes();
                        n += 1;
                        d.insert(&k, 1);
                        churn.push(k);
                    }
                } else {
                    let drop_to = rng.random_range(0..=churn.len());
                    for k in churn.drain(drop_to..) {
                        d.remove(&k);
                    }
                }
            })
            .into_iter()
            .collect();
            for k in &stable {
                assert!(seen.contains(k), "round {round}: missed {k:?}");
            }
        }
    }

    #[test]
    fn random_entry_covers_a_small_dict() {
        let mut rng = SmallRng::seed_from_u64(42);
        let mut d = Dict::new();
        for i in 0..10 {
            d.insert(&key(i), i);
            d.set_meta_hashed(hash_key(&key(i)), &key(i), i as u32 * 2);
        }
        // Remove some to leave holes in the buckets.
        for i in 10..20 {
            d.insert(&key(i), i);
        }
        for i in 10..20 {
            d.remove(&key(i));
        }
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let (k, v) = d.random_entry(&mut rng).unwrap();
            assert_eq!(k, key(*v));
            seen.insert(*v);
            let (k, v, meta) = d.random_entry_with_meta(&mut rng).unwrap();
            assert_eq!((k, meta), (&key(*v)[..], *v as u32 * 2));
        }
        assert_eq!(seen, (0..10).collect());
    }

    /// Counts drops per test (tests run in parallel, so no global counter).
    struct Counted(Rc<Cell<usize>>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn every_value_is_dropped_exactly_once() {
        let drops = Rc::new(Cell::new(0));
        let new = || Counted(drops.clone());
        let mut d = Dict::new();
        for i in 0..100 {
            d.insert(&key(i), new());
        }
        assert_eq!(drops.get(), 0);
        drop(d.insert(&key(0), new()));
        assert_eq!(drops.get(), 1, "replace hands back the old value");
        drop(d.remove(&key(1)));
        assert_eq!(drops.get(), 2);
        drop(d.remove_entry_hashed(hash_key(&key(2)), &key(2)));
        assert_eq!(drops.get(), 3);
        d.retain(|k, _| k != key(3));
        assert_eq!(drops.get(), 4);
        let copy = d.clone_with(&new);
        d.clear();
        assert_eq!(drops.get(), 101);
        for i in 0..10 {
            d.get_or_insert_with_hashed(hash_key(&key(i)), &key(i), new);
        }
        drop(d);
        assert_eq!(drops.get(), 111);
        assert_eq!(copy.len(), 97);
        drop(copy);
        assert_eq!(drops.get(), 208);
    }

    impl Dict<Counted> {
        /// `Counted` is not `Clone`; this mirrors `Clone::clone` for the test.
        fn clone_with(&self, new: &impl Fn() -> Counted) -> Self {
            let mut copy = Dict::new();
            for (k, _) in self.iter() {
                copy.insert(k, new());
            }
            copy
        }
    }

    #[test]
    fn retain_that_panics_leaves_a_consistent_dict() {
        let drops = Rc::new(Cell::new(0));
        let mut d = Dict::new();
        for i in 0..200 {
            d.insert(&key(i), (i, Counted(drops.clone())));
        }
        let mut calls = 0;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            d.retain(|_, (i, _)| {
                calls += 1;
                assert!(calls < 100, "stop half way");
                *i % 2 == 0
            })
        }));
        assert!(result.is_err());
        assert_eq!(d.len() + drops.get(), 200);
        assert!(drops.get() > 0);
        assert_eq!(d.iter().count(), d.len());
        for (k, (i, _)) in d.iter() {
            assert_eq!(k, key(*i));
        }
        for i in 0..200 {
            if d.get(&key(i)).is_none() {
                assert_eq!(i % 2, 1, "only rejected entries are gone");
            }
        }
        drop(d);
        assert_eq!(drops.get(), 200);
    }

    #[test]
    fn clone_copies_entries_and_meta() {
        let mut d = Dict::new();
        for i in 0..500 {
            d.insert(&key(i), vec![i; 3]);
            d.set_meta_hashed(hash_key(&key(i)), &key(i), i as u32);
        }
        let copy = d.clone();
        d.clear();
        assert_eq!(copy.len(), 500);
        assert_eq!(copy.bucket_count(), 512);
        for i in 0..500 {
            let h = hash_key(&key(i));
            assert_eq!(copy.get_hashed(h, &key(i)), Some(&vec![i; 3]));
            assert_eq!(copy.meta_hashed(h, &key(i)), Some(i as u32));
        }
        let nodes: usize = copy
            .iter()
            .map(|(k, _)| mem::size_of::<Node<Vec<usize>>>() + k.len())
            .sum();
        assert_eq!(copy.allocated_bytes(), 512 * 8 + nodes);
        assert_eq!(Dict::<u8>::new().clone().bucket_count(), 0);
    }

    #[test]
    fn debug_escapes_keys() {
        let mut d = Dict::new();
        d.insert(b"a\xff", 1);
        assert_eq!(format!("{d:?}"), r#"{"a\\xff": 1}"#);
    }
}
