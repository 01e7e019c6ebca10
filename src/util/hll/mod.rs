//! HyperLogLog in Redis's own byte layout, so a PFADD key's `GET` bytes load
//! into a real Redis and bytes a real Redis wrote count the same here.
//!
//! An HLL is a plain string: a 16-byte header (`HYLL`, encoding byte, three
//! unused bytes, an 8-byte little-endian cached cardinality whose top bit
//! marks it stale) followed by 16384 six-bit registers, either *dense*
//! (12288 bytes packed LSB-first, 12304 bytes in all) or *sparse* (run-length
//! opcodes, see [`sparse`]). A new key is sparse: 18 bytes, growing by about
//! one byte per distinct non-zero register run, and is promoted to dense
//! once it would pass `hll-sparse-max-bytes` (3000 by default, so at most
//! ~3 KB per small set) or a register needs a value above 32.
//!
//! Errors follow Redis's split: a string whose header is wrong is
//! [`HllError::NotHll`] (`WRONGTYPE`); a well-headed sparse string whose
//! opcodes do not cover exactly 16384 registers is [`HllError::Corrupt`]
//! (`INVALIDOBJ`), found only by the operations that walk the opcodes. No
//! input makes these functions panic or read out of bounds.

mod dense;
mod estimate;
mod sparse;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;

pub use estimate::self_test;

/// Number of registers (2^14).
pub const REGISTERS: usize = 1 << INDEX_BITS;
/// Length of a dense HLL string, header included.
pub const DENSE_LEN: usize = HEADER_LEN + dense::BODY_LEN;
/// Redis's default `hll-sparse-max-bytes`.
pub const DEFAULT_SPARSE_MAX_BYTES: usize = 3000;

const HEADER_LEN: usize = 16;
const INDEX_BITS: u32 = 14;
const MAGIC: &[u8; 4] = b"HYLL";
const ENCODING_AT: usize = 4;
const CARD_AT: usize = 8;
/// Set in the last cardinality byte when the cached value is stale.
const CACHE_STALE: u8 = 0x80;
const HASH_SEED: u64 = 0xadc8_3b19;

/// How an HLL string stores its registers (PFDEBUG ENCODING's answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

impl Encoding {
    /// The word PFDEBUG ENCODING replies with.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dense => "dense",
            Self::Sparse => "sparse",
        }
    }
}

/// Why an HLL operation refused a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HllError {
    /// The header is not an HLL header (magic, encoding byte, dense length).
    NotHll,
    /// Sparse opcodes that do not describe exactly 16384 registers.
    Corrupt,
}

impl HllError {
    /// The error reply Redis sends (without the leading `-`).
    pub fn reply(self) -> &'static str {
        match self {
            Self::NotHll => "WRONGTYPE Key is not a valid HyperLogLog string value.",
            Self::Corrupt => "INVALIDOBJ Corrupted HLL object detected",
        }
    }
}

/// Checks the header as every HLL command does before touching a string
/// value, returning its encoding.
pub fn encoding(hll: &[u8]) -> Result<Encoding, HllError> {
    if hll.len() < HEADER_LEN || &hll[..MAGIC.len()] != MAGIC {
        return Err(HllError::NotHll);
    }
    match hll[ENCODING_AT] {
        0 if hll.len() == DENSE_LEN => Ok(Encoding::Dense),
        1 => Ok(Encoding::Sparse),
        _ => Err(HllError::NotHll),
    }
}

/// A new, empty HLL as PFADD creates it: sparse, one opcode covering every
/// register, cached cardinality 0 and valid.
pub fn new_sparse() -> Vec<u8> {
    let mut hll = Vec::with_capacity(HEADER_LEN + 2);
    hll.extend_from_slice(MAGIC);
    hll.push(1);
    hll.resize(HEADER_LEN, 0);
    sparse::push_zero_run(&mut hll, REGISTERS);
    hll
}

/// Marks the cached cardinality stale; PFADD does this when it created the
/// key or changed a register, PFMERGE always.
pub fn invalidate_cache(hll: &mut [u8]) {
    if let Some(last) = hll.get_mut(CARD_AT + 7) {
        *last |= CACHE_STALE;
    }
}

/// The cached cardinality if it is valid; PFCOUNT on one key answers this
/// without looking at the registers (even when they are corrupt).
pub fn cached_cardinality(hll: &[u8]) -> Option<i64> {
    let card: [u8; 8] = hll.get(CARD_AT..HEADER_LEN)?.try_into().ok()?;
    // A valid cache has the top bit clear, so the value fits an i64.
    (card[7] & CACHE_STALE == 0).then(|| i64::from_le_bytes(card))
}

/// PFCOUNT on one key: the cached cardinality, or a fresh estimate that is
/// then cached in the header (so the caller must treat the key as written
/// when [`cached_cardinality`] was `None`). An estimate of `i64::MIN` (see
/// [`Registers::estimate`]) is cached as an invalid value, as in Redis.
pub fn count(hll: &mut [u8]) -> Result<i64, HllError> {
    let encoding = encoding(hll)?;
    if let Some(card) = cached_cardinality(hll) {
        return Ok(card);
    }
    let body = &hll[HEADER_LEN..];
    let histogram = match encoding {
        Encoding::Dense => dense::histogram(body),
        Encoding::Sparse => sparse::histogram(body).ok_or(HllError::Corrupt)?,
    };
    let card = estimate::estimate(&histogram);
    hll[CARD_AT..HEADER_LEN].copy_from_slice(&card.to_le_bytes());
    Ok(card)
}

/// PFADD of one element; `Ok(true)` when a register grew (the cache is then
/// marked stale). A sparse HLL may be promoted to dense on the way.
pub fn add(hll: &mut Vec<u8>, element: &[u8], sparse_max_bytes: usize) -> Result<bool, HllError> {
    encoding(hll)?;
    let (index, rank) = hash_element(element);
    let changed = set_register(hll, index, rank, sparse_max_bytes)?;
    if changed {
        invalidate_cache(hll);
    }
    Ok(changed)
}

/// Raises register `index` to `value` if it is lower, in whichever encoding
/// `hll` (already header-checked) has.
fn set_register(
    hll: &mut Vec<u8>,
    index: usize,
    value: u8,
    sparse_max_bytes: usize,
) -> Result<bool, HllError> {
    match hll[ENCODING_AT] {
        1 => sparse::raise(hll, index, value, sparse_max_bytes),
        _ => Ok(dense::raise(&mut hll[HEADER_LEN..], index, value)),
    }
}

/// PFDEBUG TODENSE (and the promotion inside PFADD): rewrites a sparse HLL
/// as dense, keeping its header; `Ok(false)` if it already was dense.
/// PFDEBUG GETREG also converts the key (a write) before replying the
/// values [`Registers::merge`] reads from it.
pub fn to_dense(hll: &mut Vec<u8>) -> Result<bool, HllError> {
    if encoding(hll)? == Encoding::Dense {
        return Ok(false);
    }
    let mut dense = Vec::with_capacity(DENSE_LEN);
    dense.extend_from_slice(&hll[..HEADER_LEN]);
    dense[ENCODING_AT] = 0;
    dense.resize(DENSE_LEN, 0);
    let body = &mut dense[HEADER_LEN..];
    sparse::for_each_register(&hll[HEADER_LEN..], |index, value| {
        dense::raise(body, index, value);
    })
    .ok_or(HllError::Corrupt)?;
    *hll = dense;
    Ok(true)
}

/// PFDEBUG DECODE: the sparse opcodes as text, `z:<run>` for a short zero
/// run, `Z:<run>` for a long one and `v:<value>,<run>`, space separated.
/// Opcodes are listed as they are, even when they do not add up.
pub fn sparse_dump(hll: &[u8]) -> Result<Vec<u8>, DumpError> {
    match encoding(hll) {
        Err(e) => Err(DumpError::Hll(e)),
        Ok(Encoding::Dense) => Err(DumpError::NotSparse),
        Ok(Encoding::Sparse) => Ok(sparse::dump(&hll[HEADER_LEN..])),
    }
}

/// Why [`sparse_dump`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpError {
    Hll(HllError),
    /// The HLL is dense.
    NotSparse,
}

impl DumpError {
    /// The error reply Redis sends (without the leading `-`).
    pub fn reply(self) -> &'static str {
        match self {
            Self::Hll(e) => e.reply(),
            Self::NotSparse => "ERR HLL encoding is not sparse",
        }
    }
}

/// A full set of register values, for PFCOUNT over several keys and PFMERGE
/// (which take the register-wise maximum) and PFDEBUG GETREG.
#[derive(Clone, PartialEq, Eq)]
pub struct Registers(Box<[u8; REGISTERS]>);

impl Default for Registers {
    fn default() -> Self {
        Self::new()
    }
}

impl Registers {
    /// All registers zero.
    pub fn new() -> Self {
        Self(Box::new([0; REGISTERS]))
    }

    /// Raises each register to `hll`'s value for it, after the header check
    /// every command does per key; returns `hll`'s encoding, because PFMERGE
    /// writes a dense result when any source was dense.
    pub fn merge(&mut self, hll: &[u8]) -> Result<Encoding, HllError> {
        let encoding = encoding(hll)?;
        let body = &hll[HEADER_LEN..];
        let raise = |index: usize, value: u8| {
            let register = &mut self.0[index];
            *register = (*register).max(value);
        };
        match encoding {
            Encoding::Dense => dense::for_each_register(body, raise),
            Encoding::Sparse => sparse::for_each_register(body, raise).ok_or(HllError::Corrupt)?,
        }
        Ok(encoding)
    }

    /// Register `index`'s value (0..=63; values above 51 only come from
    /// foreign dense strings).
    pub fn get(&self, index: usize) -> u8 {
        self.0[index]
    }

    /// The register values in index order (PFDEBUG GETREG's reply).
    pub fn values(&self) -> &[u8; REGISTERS] {
        &self.0
    }

    /// The cardinality estimate of this register set (PFCOUNT k1 k2 ...);
    /// `i64::MIN` when every register holds a value above 51, which only
    /// foreign dense strings can do (Redis replies the same).
    pub fn estimate(&self) -> i64 {
        let mut histogram = [0u32; 64];
        for &value in self.0.iter() {
            histogram[usize::from(value)] += 1;
        }
        estimate::estimate(&histogram)
    }
}

/// PFMERGE's write: raises `dest` (an HLL already merged into `registers`,
/// or [`new_sparse`] when the key did not exist) to `registers`, first
/// converting it to dense when `dense` (some source was dense), and marks
/// its cache stale.
pub fn store_merged(
    dest: &mut Vec<u8>,
    registers: &Registers,
    dense: bool,
    sparse_max_bytes: usize,
) -> Result<(), HllError> {
    if dense {
        to_dense(dest)?;
    } else {
        encoding(dest)?;
    }
    for (index, &value) in registers.0.iter().enumerate() {
        if value != 0 {
            set_register(dest, index, value, sparse_max_bytes)?;
        }
    }
    invalidate_cache(dest);
    Ok(())
}

/// The register an element lands in and the value it offers that register:
/// one more than the number of trailing zeros in the hash bits above the
/// index (at most 51, as a sentinel bit caps the count).
fn hash_element(element: &[u8]) -> (usize, u8) {
    let hash = murmur_hash64a(element, HASH_SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> INDEX_BITS) | (1 << (64 - INDEX_BITS));
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Austin Appleby's MurmurHash64A over `data` read as little-endian words.
fn murmur_hash64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut words = data.chunks_exact(8);
    for word in &mut words {
        let mut k = u64::from_le_bytes(word.try_into().expect("chunks of 8"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut padded = [0u8; 8];
        padded[..tail.len()].copy_from_slice(tail);
        h ^= u64::from_le_bytes(padded);
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^ (h >> R)
}
