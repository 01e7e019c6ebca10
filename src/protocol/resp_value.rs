//! Reply parsing: the RESP2/RESP3 bytes a command wrote, read back as values.
//!
//! The scripting engine runs commands for `redis.call` and must turn their
//! replies into Lua values. The parser borrows everything: strings are
//! slices of the reply, and an aggregate keeps its encoded body and decodes
//! its children as they are walked. The whole reply is validated once up
//! front, so walking it never fails and allocates nothing; a reply costs no
//! memory beyond its own bytes however many elements it has.

use memchr::memchr;

/// Deeper nesting than this is refused; real replies nest a few levels.
const MAX_DEPTH: usize = 512;

/// One reply, borrowing the buffer it was parsed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RespValue<'a> {
    Simple(&'a [u8]),
    /// The error text after `-`, code included (`ERR no such key`).
    Error(&'a [u8]),
    Integer(i64),
    Bulk(&'a [u8]),
    /// RESP2 `$-1`.
    NullBulk,
    /// RESP2 `*-1`.
    NullArray,
    /// RESP3 `_`.
    Null,
    Boolean(bool),
    Double(f64),
    BigNumber(&'a [u8]),
    Verbatim {
        format: &'a [u8],
        text: &'a [u8],
    },
    Array(Items<'a>),
    Set(Items<'a>),
    Push(Items<'a>),
    /// Its items alternate key, value.
    Map(Items<'a>),
}

/// The children of an aggregate, decoded as they are iterated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Items<'a> {
    /// Values still to yield (twice the pair count for a map).
    values: usize,
    body: &'a [u8],
}

impl<'a> Items<'a> {
    /// Number of values the iterator yields (keys and values both, for a map).
    pub fn values(&self) -> usize {
        self.values
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = RespValue<'a>;

    fn next(&mut self) -> Option<RespValue<'a>> {
        if self.values == 0 {
            return None;
        }
        // The body was validated when the aggregate was parsed.
        let (value, used) = scan(self.body, 0).ok()?;
        self.values -= 1;
        self.body = &self.body[used..];
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.values, Some(self.values))
    }
}

/// Why bytes are not one complete reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespError {
    /// The reply is cut short.
    Incomplete,
    /// The bytes are not RESP; the text says where it went wrong.
    Invalid(&'static str),
    /// Aggregates nest deeper than the parser follows.
    TooDeep,
}

/// Parses the reply at the start of `buf`, returning it and the bytes it used.
pub fn parse(buf: &[u8]) -> Result<(RespValue<'_>, usize), RespError> {
    scan(buf, 0)
}

fn scan(buf: &[u8], depth: usize) -> Result<(RespValue<'_>, usize), RespError> {
    if depth > MAX_DEPTH {
        return Err(RespError::TooDeep);
    }
    let (line, mut used) = line(buf)?;
    let (&kind, body) = line.split_first().ok_or(RespError::Invalid("empty line"))?;
    let value = match kind {
        b'+' => RespValue::Simple(body),
        b'-' => RespValue::Error(body),
        b':' => RespValue::Integer(integer(body)?),
        b'_' if body.is_empty() => RespValue::Null,
        b'#' => match body {
            b"t" => RespValue::Boolean(true),
            b"f" => RespValue::Boolean(false),
            _ => return Err(RespError::Invalid("bad boolean")),
        },
        b',' => RespValue::Double(double(body)?),
        b'(' => RespValue::BigNumber(body),
        b'$' | b'=' | b'!' => {
            let len = integer(body)?;
            if len < 0 {
                if kind != b'$' || len != -1 {
                    return Err(RespError::Invalid("bad length"));
                }
                RespValue::NullBulk
            } else {
                let (data, n) = blob(&buf[used..], len as u64)?;
                used += n;
                match kind {
                    b'$' => RespValue::Bulk(data),
                    b'!' => RespValue::Error(data),
                    _ => verbatim(data)?,
                }
            }
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let len = integer(body)?;
            if len < 0 {
                if kind != b'*' || len != -1 {
                    return Err(RespError::Invalid("bad length"));
                }
                RespValue::NullArray
            } else {
                let per_item = if matches!(kind, b'%' | b'|') { 2 } else { 1 };
                let values = (len as u64)
                    .checked_mul(per_item)
                    .and_then(|v| usize::try_from(v).ok())
                    .ok_or(RespError::Invalid("bad length"))?;
                let start = used;
                for _ in 0..values {
                    used += scan(&buf[used..], depth + 1)?.1;
                }
                let items = Items {
                    values,
                    body: &buf[start..used],
                };
                match kind {
                    b'*' => RespValue::Array(items),
                    b'~' => RespValue::Set(items),
                    b'>' => RespValue::Push(items),
                    b'%' => RespValue::Map(items),
                    _ => {
                        // An attribute annotates the reply that follows it;
                        // nothing here needs it, so it is skipped.
                        let (value, n) = scan(&buf[used..], depth + 1)?;
                        return Ok((value, used + n));
                    }
                }
            }
        }
        _ => return Err(RespError::Invalid("unknown type byte")),
    };
    Ok((value, used))
}

/// The line at the start of `buf` without its CRLF, and the bytes it used.
fn line(buf: &[u8]) -> Result<(&[u8], usize), RespError> {
    let lf = memchr(b'\n', buf).ok_or(RespError::Incomplete)?;
    if lf == 0 || buf[lf - 1] != b'\r' {
        return Err(RespError::Invalid("line not ended by CRLF"));
    }
    Ok((&buf[..lf - 1], lf + 1))
}

/// `len` bytes followed by CRLF; the length is checked against what is there.
fn blob(buf: &[u8], len: u64) -> Result<(&[u8], usize), RespError> {
    let len = usize::try_from(len).map_err(|_| RespError::Incomplete)?;
    let end = len.checked_add(2).ok_or(RespError::Incomplete)?;
    if buf.len() < end {
        return Err(RespError::Incomplete);
    }
    if &buf[len..end] != b"\r\n" {
        return Err(RespError::Invalid("blob not ended by CRLF"));
    }
    Ok((&buf[..len], end))
}

fn verbatim(data: &[u8]) -> Result<RespValue<'_>, RespError> {
    if data.len() < 4 || data[3] != b':' {
        return Err(RespError::Invalid("bad verbatim string"));
    }
    Ok(RespValue::Verbatim {
        format: &data[..3],
        text: &data[4..],
    })
}

fn integer(text: &[u8]) -> Result<i64, RespError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(RespError::Invalid("bad integer"))
}

fn double(text: &[u8]) -> Result<f64, RespError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(RespError::Invalid("bad double"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Reply;

    fn one(bytes: &[u8]) -> RespValue<'_> {
        let (value, used) = parse(bytes).expect("valid reply");
        assert_eq!(used, bytes.len(), "whole input consumed");
        value
    }

    fn items(value: RespValue<'_>) -> Vec<RespValue<'_>> {
        match value {
            RespValue::Array(i) | RespValue::Set(i) | RespValue::Push(i) | RespValue::Map(i) => {
                i.collect()
            }
            other => panic!("not an aggregate: {other:?}"),
        }
    }

    #[test]
    fn scalar_replies_of_both_protocols() {
        assert_eq!(one(b"+OK\r\n"), RespValue::Simple(b"OK"));
        assert_eq!(one(b"-ERR bad\r\n"), RespValue::Error(b"ERR bad"));
        assert_eq!(one(b":-42\r\n"), RespValue::Integer(-42));
        assert_eq!(one(b"$3\r\na\r\n\r\n"), RespValue::Bulk(b"a\r\n"));
        assert_eq!(one(b"$0\r\n\r\n"), RespValue::Bulk(b""));
        assert_eq!(one(b"$-1\r\n"), RespValue::NullBulk);
        assert_eq!(one(b"*-1\r\n"), RespValue::NullArray);
        assert_eq!(one(b"_\r\n"), RespValue::Null);
        assert_eq!(one(b"#t\r\n"), RespValue::Boolean(true));
        assert_eq!(one(b"#f\r\n"), RespValue::Boolean(false));
        assert_eq!(one(b",1.5\r\n"), RespValue::Double(1.5));
        assert_eq!(one(b",-inf\r\n"), RespValue::Double(f64::NEG_INFINITY));
        assert!(matches!(one(b",nan\r\n"), RespValue::Double(d) if d.is_nan()));
        assert_eq!(
            one(b"(12345678901234567890\r\n"),
            RespValue::BigNumber(b"12345678901234567890")
        );
        assert_eq!(
            one(b"=8\r\ntxt:hi\r\n\r\n"),
            RespValue::Verbatim {
                format: b"txt",
                text: b"hi\r\n"
            }
        );
        assert_eq!(one(b"!5\r\nERR x\r\n"), RespValue::Error(b"ERR x"));
    }

    #[test]
    fn aggregates_decode_their_children_in_order() {
        let v = one(b"*3\r\n:1\r\n*2\r\n+a\r\n$-1\r\n$1\r\nz\r\n");
        let outer = items(v);
        assert_eq!(outer.len(), 3);
        assert_eq!(outer[0], RespValue::Integer(1));
        assert_eq!(
            items(outer[1]),
            vec![RespValue::Simple(b"a"), RespValue::NullBulk]
        );
        assert_eq!(outer[2], RespValue::Bulk(b"z"));

        let map = one(b"%2\r\n+k1\r\n:1\r\n+k2\r\n~1\r\n:2\r\n");
        let RespValue::Map(pairs) = map else {
            panic!("map expected")
        };
        assert_eq!(pairs.values(), 4);
        let flat: Vec<_> = pairs.collect();
        assert_eq!(flat[0], RespValue::Simple(b"k1"));
        assert_eq!(items(flat[3]), vec![RespValue::Integer(2)]);
        assert!(matches!(one(b">1\r\n+m\r\n"), RespValue::Push(_)));
    }

    #[test]
    fn attributes_are_skipped_before_the_reply_they_annotate() {
        let v = one(b"|1\r\n+ttl\r\n:3\r\n*1\r\n|1\r\n+a\r\n+b\r\n:7\r\n");
        assert_eq!(items(v), vec![RespValue::Integer(7)]);
    }

    #[test]
    fn cut_short_replies_are_incomplete() {
        for cut in [
            &b"$5\r\nab"[..],
            b"*2\r\n:1\r\n",
            b":12",
            b"%1\r\n+k\r\n",
            b"",
        ] {
            assert_eq!(parse(cut), Err(RespError::Incomplete), "{cut:?}");
        }
    }

    #[test]
    fn malformed_replies_are_refused_without_panicking() {
        for bad in [
            &b"?x\r\n"[..],
            b":1x\r\n",
            b"$-2\r\n",
            b"*-5\r\n",
            b"~-1\r\n",
            b"$2\r\nabc\r\n",
            b"#x\r\n",
            b",one\r\n",
            b"=2\r\nab\r\n",
            b"+OK\n",
            b"\r\n",
        ] {
            assert!(matches!(parse(bad), Err(RespError::Invalid(_))), "{bad:?}");
        }
    }

    #[test]
    fn huge_declared_lengths_cost_nothing() {
        assert_eq!(
            parse(b"$9223372036854775807\r\nab\r\n"),
            Err(RespError::Incomplete)
        );
        assert_eq!(
            parse(b"*9223372036854775807\r\n:1\r\n"),
            Err(RespError::Incomplete)
        );
        assert!(parse(b"%9223372036854775807\r\n").is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let mut deep = b"*1\r\n".repeat(MAX_DEPTH + 2);
        deep.extend_from_slice(b":1\r\n");
        assert_eq!(parse(&deep), Err(RespError::TooDeep));
        let mut fine = b"*1\r\n".repeat(MAX_DEPTH);
        fine.extend_from_slice(b":1\r\n");
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn reads_back_what_the_reply_encoder_writes() {
        for resp3 in [false, true] {
            let mut buf = Vec::new();
            let mut r = Reply::new(&mut buf, resp3);
            r.map(1);
            r.bulk(b"k");
            r.double(2.5);
            let (v, used) = parse(&buf).expect("valid");
            assert_eq!(used, buf.len());
            let flat = items(v);
            assert_eq!(flat[0], RespValue::Bulk(b"k"));
            let expected = if resp3 {
                RespValue::Double(2.5)
            } else {
                RespValue::Bulk(b"2.5")
            };
            assert_eq!(flat[1], expected);
        }
    }
}
