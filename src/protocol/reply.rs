//! Reply encoding for RESP2 and RESP3.
//!
//! Commands describe their reply in RESP3 terms (maps, sets, doubles,
//! booleans, nulls, verbatim strings, pushes); the writer downgrades each
//! type to its RESP2 spelling when the client has not sent `HELLO 3`, so no
//! command branches on the protocol version. Everything is appended to the
//! connection's output buffer, which leaves in one write per batch.

/// A client argument as Redis's error messages quote it: Redis formats it
/// as a C string, so the raw bytes up to the first NUL, at most `max` of them.
pub fn c_string(arg: &[u8], max: usize) -> &[u8] {
    let end = memchr::memchr(0, arg).unwrap_or(arg.len()).min(max);
    &arg[..end]
}

/// Appends encoded replies to an output buffer.
pub struct Reply<'a> {
    buf: &'a mut Vec<u8>,
    resp3: bool,
    /// Error replies written, so the dispatcher can count them (INFO errorstats).
    pub errors: u32,
}

impl<'a> Reply<'a> {
    pub fn new(buf: &'a mut Vec<u8>, resp3: bool) -> Self {
        Reply {
            buf,
            resp3,
            errors: 0,
        }
    }

    /// A writer appending to the same buffer, with its own error count
    /// (a nested command's reply inside its runner's).
    pub fn reborrow(&mut self) -> Reply<'_> {
        Reply {
            buf: &mut *self.buf,
            resp3: self.resp3,
            errors: 0,
        }
    }

    pub fn is_resp3(&self) -> bool {
        self.resp3
    }

    /// Switches protocol mid-reply (HELLO answers in the version it selects).
    pub fn set_resp3(&mut self, resp3: bool) {
        self.resp3 = resp3;
    }

    /// Output length so far; used to roll back a reply or to splice a header.
    pub fn mark(&self) -> usize {
        self.buf.len()
    }

    /// Drops everything written after `mark`.
    pub fn truncate(&mut self, mark: usize) {
        self.buf.truncate(mark);
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    pub fn simple(&mut self, s: &str) {
        self.line(b'+', s.as_bytes());
    }

    /// An error reply; `msg` starts with its code (`ERR ...`, `WRONGTYPE ...`).
    /// CR and LF would break the protocol, so they become spaces as in Redis.
    pub fn error(&mut self, msg: &str) {
        self.error_bytes(msg.as_bytes());
    }

    /// An error reply whose text quotes client bytes (see [`c_string`]).
    pub fn error_bytes(&mut self, msg: &[u8]) {
        self.errors += 1;
        self.buf.push(b'-');
        let start = self.buf.len();
        self.buf.extend_from_slice(msg);
        for b in &mut self.buf[start..] {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn int(&mut self, v: i64) {
        self.header(b':', v);
    }

    pub fn bulk(&mut self, s: &[u8]) {
        self.header(b'$', s.len() as i64);
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding an integer's decimal text.
    pub fn bulk_int(&mut self, v: i64) {
        let mut b = itoa::Buffer::new();
        self.bulk(b.format(v).as_bytes());
    }

    /// A bulk reply, or a null one for `None`.
    pub fn opt_bulk(&mut self, s: Option<&[u8]>) {
        match s {
            Some(s) => self.bulk(s),
            None => self.null(),
        }
    }

    /// The null bulk string (`$-1` in RESP2).
    pub fn null(&mut self) {
        self.buf
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// The null array (`*-1` in RESP2).
    pub fn null_array(&mut self) {
        self.buf
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    pub fn array(&mut self, len: usize) {
        self.header(b'*', len as i64);
    }

    /// A map of `len` pairs; a flat array of 2·len items in RESP2.
    pub fn map(&mut self, len: usize) {
        if self.resp3 {
            self.header(b'%', len as i64);
        } else {
            self.header(b'*', 2 * len as i64);
        }
    }

    pub fn set(&mut self, len: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, len as i64);
    }

    pub fn push(&mut self, len: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, len as i64);
    }

    /// A double; RESP2 sends its text as a bulk string.
    pub fn double(&mut self, v: f64) {
        let mut text = Vec::with_capacity(24);
        crate::util::num::write_f64(&mut text, v);
        if self.resp3 {
            self.line(b',', &text);
        } else {
            self.bulk(&text);
        }
    }

    /// A boolean; RESP2 sends 1 or 0.
    pub fn boolean(&mut self, v: bool) {
        if self.resp3 {
            self.buf
                .extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(v as i64);
        }
    }

    /// A verbatim string with a three-letter format (`txt`, `mkd`); RESP2 sends the text alone.
    pub fn verbatim(&mut self, format: &str, text: &[u8]) {
        if self.resp3 {
            self.header(b'=', (text.len() + 4) as i64);
            self.buf.extend_from_slice(format.as_bytes());
            self.buf.push(b':');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A big number given as decimal text; RESP2 sends it as a bulk string.
    pub fn big_number(&mut self, digits: &str) {
        if self.resp3 {
            self.line(b'(', digits.as_bytes());
        } else {
            self.bulk(digits.as_bytes());
        }
    }

    /// An attribute map preceding the next reply; RESP2 has no such thing, so
    /// the caller must not send attribute content then.
    pub fn attribute(&mut self, len: usize) {
        self.header(b'|', len as i64);
    }

    /// Appends already-encoded protocol bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Writes an aggregate header before the items written since `mark`,
    /// for replies whose length is known only after producing them.
    pub fn array_before(&mut self, mark: usize, len: usize) {
        self.splice_header(mark, b'*', len);
    }

    pub fn set_before(&mut self, mark: usize, len: usize) {
        self.splice_header(mark, if self.resp3 { b'~' } else { b'*' }, len);
    }

    pub fn map_before(&mut self, mark: usize, len: usize) {
        if self.resp3 {
            self.splice_header(mark, b'%', len);
        } else {
            self.splice_header(mark, b'*', 2 * len);
        }
    }

    fn splice_header(&mut self, mark: usize, kind: u8, len: usize) {
        let mut head = [0u8; 24];
        head[0] = kind;
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(len).as_bytes();
        head[1..1 + digits.len()].copy_from_slice(digits);
        head[1 + digits.len()..3 + digits.len()].copy_from_slice(b"\r\n");
        let head = &head[..3 + digits.len()];
        self.buf.splice(mark..mark, head.iter().copied());
    }

    fn header(&mut self, kind: u8, n: i64) {
        let mut digits = itoa::Buffer::new();
        self.line(kind, digits.format(n).as_bytes());
    }

    fn line(&mut self, kind: u8, body: &[u8]) {
        self.buf.push(kind);
        self.buf.extend_from_slice(body);
        self.buf.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(resp3: bool, f: impl FnOnce(&mut Reply)) -> String {
        let mut buf = Vec::new();
        f(&mut Reply::new(&mut buf, resp3));
        String::from_utf8_lossy(&buf).into_owned()
    }

    #[test]
    fn resp3_types_downgrade_to_resp2_spellings() {
        type Case = (fn(&mut Reply), &'static str, &'static str);
        let cases: Vec<Case> = vec![
            (|r| r.null(), "$-1\r\n", "_\r\n"),
            (|r| r.null_array(), "*-1\r\n", "_\r\n"),
            (|r| r.map(2), "*4\r\n", "%2\r\n"),
            (|r| r.set(3), "*3\r\n", "~3\r\n"),
            (|r| r.push(1), "*1\r\n", ">1\r\n"),
            (|r| r.boolean(true), ":1\r\n", "#t\r\n"),
            (
                |r| r.verbatim("txt", b"hi"),
                "$2\r\nhi\r\n",
                "=6\r\ntxt:hi\r\n",
            ),
            (|r| r.big_number("123"), "$3\r\n123\r\n", "(123\r\n"),
        ];
        for (f, resp2, resp3) in cases {
            assert_eq!(encode(false, f), resp2);
            assert_eq!(encode(true, f), resp3);
        }
    }

    #[test]
    fn errors_never_carry_newlines() {
        assert_eq!(encode(false, |r| r.error("ERR a\r\nb")), "-ERR a  b\r\n");
    }

    #[test]
    fn deferred_headers_land_before_their_items() {
        let got = encode(false, |r| {
            r.int(7);
            let mark = r.mark();
            r.bulk(b"a");
            r.bulk(b"b");
            r.array_before(mark, 2);
        });
        assert_eq!(got, ":7\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    }
}
