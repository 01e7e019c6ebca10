//! DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis's SHA1-based fingerprints of
//! a value and of the whole dataset, which test suites compare across
//! servers, restarts and replicas.
//!
//! Two primitives build everything: *xor* (`d ^= SHA1(data)`), which makes
//! unordered collections (sets, hashes, sorted sets, the keys of a
//! database) independent of iteration order, and *mix*
//! (`d = SHA1(d ^ SHA1(data))`), which makes sequences (list elements, a
//! key then its value) order-dependent. A value's digest mixes its type
//! tag, then its contents; a key with a TTL also xors in a fixed marker
//! (the expiry time itself is not part of the digest). Integer-encoded
//! strings, members and elements are digested as their decimal text, so
//! callers pass the bytes a client would read.
//!
//! Sorted-set scores are digested as text. Redis 7.2 spells them the way
//! its shortest-round-trip formatter (fpconv) does, which this module
//! follows; Redis 7.0 used `%.17g` (see [`add_zset`]).

/// A 20-byte SHA1-sized digest; all zeros for an empty dataset or a
/// missing key.
pub type Digest = [u8; 20];

/// Redis's type tags, mixed in (as 4 big-endian bytes) before a value.
const TYPE_STRING: u32 = 0;
const TYPE_LIST: u32 = 1;
const TYPE_SET: u32 = 2;
const TYPE_ZSET: u32 = 3;
const TYPE_HASH: u32 = 4;
/// Xored into a key's digest when it has a TTL.
const EXPIRE_MARKER: &[u8] = b"!!expire!!";

fn sha1(data: &[u8]) -> Digest {
    sha1_smol::Sha1::from(data).digest().bytes()
}

/// `digest ^= SHA1(data)`: order-independent accumulation.
pub fn xor_digest(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// `digest = SHA1(digest ^ SHA1(data))`: order-dependent accumulation.
pub fn mix_digest(digest: &mut Digest, data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(digest);
}

fn mix_type(digest: &mut Digest, tag: u32) {
    mix_digest(digest, &tag.to_be_bytes());
}

/// Adds a string value.
pub fn add_string(digest: &mut Digest, value: &[u8]) {
    mix_type(digest, TYPE_STRING);
    mix_digest(digest, value);
}

/// Adds a list value, elements head to tail.
pub fn add_list<'a>(digest: &mut Digest, elements: impl IntoIterator<Item = &'a [u8]>) {
    mix_type(digest, TYPE_LIST);
    for element in elements {
        mix_digest(digest, element);
    }
}

/// Adds a set value, members in any order.
pub fn add_set<'a>(digest: &mut Digest, members: impl IntoIterator<Item = &'a [u8]>) {
    mix_type(digest, TYPE_SET);
    for member in members {
        xor_digest(digest, member);
    }
}

/// Adds a hash value, field/value pairs in any order.
pub fn add_hash<'a>(digest: &mut Digest, pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) {
    mix_type(digest, TYPE_HASH);
    for (field, value) in pairs {
        xor_digest(digest, &pair_digest(field, value));
    }
}

/// Adds a sorted-set value, member/score pairs in any order, with scores
/// spelled as Redis 7.2 spells them ([`write_score`]). Redis 7.0 spelled
/// them with `%.17g` instead, so 7.0 and 7.2 disagree on any zset holding a
/// score whose shortest form has fewer than 17 digits (such as 2.5 or 0.1).
pub fn add_zset<'a>(digest: &mut Digest, entries: impl IntoIterator<Item = (&'a [u8], f64)>) {
    add_zset_with(digest, entries, write_score);
}

fn add_zset_with<'a>(
    digest: &mut Digest,
    entries: impl IntoIterator<Item = (&'a [u8], f64)>,
    spell: impl Fn(&mut Vec<u8>, f64),
) {
    mix_type(digest, TYPE_ZSET);
    let mut text = Vec::with_capacity(24);
    for (member, score) in entries {
        text.clear();
        spell(&mut text, score);
        xor_digest(digest, &pair_digest(member, &text));
    }
}

/// The digest of one pair: both mixed into zeros, in order.
fn pair_digest(first: &[u8], second: &[u8]) -> Digest {
    let mut pair = [0; 20];
    mix_digest(&mut pair, first);
    mix_digest(&mut pair, second);
    pair
}

/// Marks a key that has a TTL (after its value was added).
pub fn add_expire_marker(digest: &mut Digest) {
    xor_digest(digest, EXPIRE_MARKER);
}

/// The digest a key starts from in the dataset digest (its name mixed into
/// zeros); DEBUG DIGEST-VALUE instead starts from zeros.
pub fn key_start(key: &[u8]) -> Digest {
    let mut digest = [0; 20];
    mix_digest(&mut digest, key);
    digest
}

/// DEBUG DIGEST's accumulation over every database: call
/// [`DatasetDigest::start_db`] before the keys of each non-empty database
/// (in index order), then [`DatasetDigest::add_key`] with each key's digest
/// ([`key_start`], then the value, then any expire marker), in any order.
/// An empty dataset's digest is all zeros.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetDigest(Digest);

impl DatasetDigest {
    pub fn new() -> Self {
        Self::default()
    }

    /// Mixes in a database index, so the same keys in another database give
    /// another digest. Empty databases are skipped.
    pub fn start_db(&mut self, index: u32) {
        mix_digest(&mut self.0, &index.to_be_bytes());
    }

    /// Xors in the SHA1 of one key's digest.
    pub fn add_key(&mut self, key_digest: &Digest) {
        xor_digest(&mut self.0, key_digest);
    }

    pub fn digest(&self) -> Digest {
        self.0
    }
}

/// The 40 lowercase hex digits the commands reply with.
pub fn to_hex(digest: &Digest) -> [u8; 40] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0; 40];
    for (pair, byte) in text.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 15)];
    }
    text
}

/// Appends a score as Redis 7.2's fpconv formatter spells it: the shortest
/// digits that read back as the same double, as a plain integer when the
/// exponent is small enough (up to 6 trailing zeros past the digits), as a
/// plain decimal for magnitudes down to 1e-6 (or with few leading
/// digits), otherwise in scientific notation with an unpadded exponent
/// (`1e+21`, `1.5e-7`); `-0`, `inf`, `-inf` and `nan` literally.
///
/// fpconv finds its digits with Grisu2, which on rare inputs yields a
/// longer digit string than the shortest; those inputs would digest
/// differently here (not checkable locally, as only Redis 7.0 is installed).
pub fn write_score(buf: &mut Vec<u8>, score: f64) {
    if score.is_sign_negative() {
        buf.push(b'-');
    }
    let magnitude = score.abs();
    if magnitude == 0.0 {
        buf.push(b'0');
        return;
    }
    if magnitude.is_nan() {
        buf.extend_from_slice(b"nan");
        return;
    }
    if magnitude.is_infinite() {
        buf.extend_from_slice(b"inf");
        return;
    }
    let text = format!("{magnitude:e}");
    let (mantissa, exponent) = text.split_once('e').expect("`{:e}` writes an exponent");
    let digits: Vec<u8> = mantissa.bytes().filter(|&b| b != b'.').collect();
    let leading_exponent: i32 = exponent.parse().expect("`{:e}` writes a decimal exponent");
    // The value is digits * 10^k.
    let n = digits.len() as i32;
    let k = leading_exponent - (n - 1);
    let exp = leading_exponent.abs();
    if k >= 0 && exp < n + 7 {
        buf.extend_from_slice(&digits);
        buf.resize(buf.len() + k as usize, b'0');
    } else if k < 0 && (k > -7 || exp < 4) {
        let int_digits = n + k;
        if int_digits <= 0 {
            buf.extend_from_slice(b"0.");
            buf.resize(buf.len() + (-int_digits) as usize, b'0');
            buf.extend_from_slice(&digits);
        } else {
            let (int_part, fraction) = digits.split_at(int_digits as usize);
            buf.extend_from_slice(int_part);
            buf.push(b'.');
            buf.extend_from_slice(fraction);
        }
    } else {
        buf.push(digits[0]);
        if digits.len() > 1 {
            buf.push(b'.');
            buf.extend_from_slice(&digits[1..]);
        }
        buf.push(b'e');
        buf.push(if leading_exponent < 0 { b'-' } else { b'+' });
        buf.extend_from_slice(itoa::Buffer::new().format(exp).as_bytes());
    }
}

#[cfg(test)]
mod tests;
