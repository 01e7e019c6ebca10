//! The values keys hold, in representations chosen for memory per key.
//!
//! A `Value` is 24 bytes: strings of up to 22 bytes live inside it (no heap
//! allocation), integers are stored as integers (Redis's `int` encoding),
//! longer strings take one exact-size allocation, and strings that have been
//! modified in place (APPEND, SETRANGE) switch to a growable buffer, as
//! Redis switches them to `raw`. Collections are variants holding one
//! pointer each (their encodings live in `types/`), so the enum stays 24
//! bytes.

use super::types::hash::Hash;
use super::types::list::List;
use super::types::set::Set;
use super::types::zset::ZSet;

const INLINE_CAP: usize = 22;
/// Redis keeps strings up to this length in the `embstr` encoding.
const EMBSTR_MAX: usize = 44;
/// Redis shares/encodes as `int` only strings this short.
const INT_TEXT_MAX: usize = 20;

#[derive(Clone)]
pub enum Value {
    Int(i64),
    Inline { len: u8, buf: [u8; INLINE_CAP] },
    Heap(Box<[u8]>),
    Raw(Box<Vec<u8>>),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
}

/// The Redis type name of a value, as TYPE reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    List,
    Hash,
    Set,
    ZSet,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::List => "list",
            Kind::Hash => "hash",
            Kind::Set => "set",
            Kind::ZSet => "zset",
        }
    }
}

/// Bytes of a string value: borrowed, or an integer rendered on the stack.
pub enum StrBytes<'a> {
    Borrowed(&'a [u8]),
    Int(itoa::Buffer, i64),
}

impl StrBytes<'_> {
    pub fn as_slice(&mut self) -> &[u8] {
        match self {
            StrBytes::Borrowed(b) => b,
            StrBytes::Int(buf, v) => buf.format(*v).as_bytes(),
        }
    }
}

impl Value {
    /// A string value from bytes, picking the encoding Redis would.
    pub fn from_bytes(bytes: &[u8]) -> Value {
        if bytes.len() <= INT_TEXT_MAX
            && let Some(v) = crate::util::num::parse_i64(bytes)
        {
            return Value::Int(v);
        }
        Value::from_bytes_no_int(bytes)
    }

    /// A string value kept as text even if it looks numeric.
    pub fn from_bytes_no_int(bytes: &[u8]) -> Value {
        if bytes.len() <= INLINE_CAP {
            let mut buf = [0u8; INLINE_CAP];
            buf[..bytes.len()].copy_from_slice(bytes);
            Value::Inline {
                len: bytes.len() as u8,
                buf,
            }
        } else {
            Value::Heap(bytes.into())
        }
    }

    /// A string value that will be modified in place (APPEND, SETRANGE).
    pub fn raw(bytes: Vec<u8>) -> Value {
        Value::Raw(Box::new(bytes))
    }

    pub fn kind(&self) -> Kind {
        match self {
            Value::Int(_) | Value::Inline { .. } | Value::Heap(_) | Value::Raw(_) => Kind::String,
            Value::List(_) => Kind::List,
            Value::Hash(_) => Kind::Hash,
            Value::Set(_) => Kind::Set,
            Value::ZSet(_) => Kind::ZSet,
        }
    }

    /// A collection with no elements left: the keyspace removes such keys.
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            _ => false,
        }
    }

    pub fn new_list() -> Value {
        Value::List(Box::default())
    }

    pub fn new_hash() -> Value {
        Value::Hash(Box::default())
    }

    pub fn from_set(set: Set) -> Value {
        Value::Set(Box::new(set))
    }

    pub fn from_zset(zset: ZSet) -> Value {
        Value::ZSet(Box::new(zset))
    }

    pub fn as_set(&self) -> Option<&Set> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_set_mut(&mut self) -> Option<&mut Set> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_zset(&self) -> Option<&ZSet> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    pub fn as_zset_mut(&mut self) -> Option<&mut ZSet> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_list_mut(&mut self) -> Option<&mut List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_hash(&self) -> Option<&Hash> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    pub fn as_hash_mut(&mut self) -> Option<&mut Hash> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    pub fn is_string(&self) -> bool {
        self.kind() == Kind::String
    }

    /// The string's bytes, or `None` if this is not a string.
    pub fn str_bytes(&self) -> Option<StrBytes<'_>> {
        Some(match self {
            Value::Int(v) => StrBytes::Int(itoa::Buffer::new(), *v),
            Value::Inline { len, buf } => StrBytes::Borrowed(&buf[..*len as usize]),
            Value::Heap(b) => StrBytes::Borrowed(b),
            Value::Raw(v) => StrBytes::Borrowed(v),
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) => return None,
        })
    }

    /// Length of the string value in bytes (STRLEN); 0 for other types.
    pub fn str_len(&self) -> usize {
        match self {
            Value::Int(v) => itoa::Buffer::new().format(*v).len(),
            Value::Inline { len, .. } => *len as usize,
            Value::Heap(b) => b.len(),
            Value::Raw(v) => v.len(),
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) => 0,
        }
    }

    /// The string as a growable buffer, converting to the `raw` encoding.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Value::Raw(_)) {
            let bytes = self.str_bytes().map(|mut b| b.as_slice().to_vec());
            *self = Value::raw(bytes.unwrap_or_default());
        }
        match self {
            Value::Raw(v) => v,
            _ => unreachable!("converted to Raw above"),
        }
    }

    /// OBJECT ENCODING's name for this value.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Inline { .. } => "embstr",
            Value::Heap(b) if b.len() <= EMBSTR_MAX => "embstr",
            Value::Heap(_) | Value::Raw(_) => "raw",
            Value::List(l) => l.encoding_name(),
            Value::Hash(h) => h.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
        }
    }

    /// Heap bytes owned beyond the 24 bytes of the value itself.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Int(_) | Value::Inline { .. } => 0,
            Value::Heap(b) => b.len(),
            Value::Raw(v) => v.capacity() + std::mem::size_of::<Vec<u8>>(),
            Value::List(l) => l.heap_bytes(),
            Value::Hash(h) => h.heap_bytes(),
            Value::Set(s) => s.heap_bytes(),
            Value::ZSet(z) => z.heap_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &Value) -> Vec<u8> {
        v.str_bytes().unwrap().as_slice().to_vec()
    }

    #[test]
    fn value_is_three_words() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(Value::from_bytes(b"12345").encoding(), "int");
        assert_eq!(Value::from_bytes(b"012").encoding(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut v = Value::from_bytes(b"ab");
        v.make_raw().push(b'c');
        assert_eq!(v.encoding(), "raw");
        assert_eq!(text(&v), b"abc");
    }

    #[test]
    fn every_representation_round_trips_bytes() {
        for s in [
            &b""[..],
            b"-42",
            b"short",
            &[7u8; 22],
            &[9u8; 23],
            &[1u8; 100],
        ] {
            let v = Value::from_bytes(s);
            assert_eq!(text(&v), s);
            assert_eq!(v.str_len(), s.len());
        }
    }
}
