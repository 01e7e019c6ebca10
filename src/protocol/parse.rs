//! Request parsing: RESP multibulk and inline commands, incrementally.
//!
//! The parser never copies a RESP argument: it records `(start, end)` spans
//! into the connection's read buffer, so a pipelined batch becomes commands
//! without allocation. Inline commands need unescaping, so their arguments
//! are copied once into a scratch buffer and the spans point there instead.
//! State survives partial reads (a 500 MB bulk is not re-scanned per read),
//! and declared lengths are checked against the limits before anything is
//! reserved, so a client announcing a huge bulk costs nothing.

use memchr::memchr;

/// The longest header or inline line Redis accepts before a newline.
pub const INLINE_MAX: usize = 64 * 1024;
/// Redis refuses more arguments than this in one multibulk.
const MAX_MULTIBULK: i64 = 1024 * 1024 * 1024;
/// Before authentication, Redis accepts at most this many arguments...
const UNAUTHENTICATED_MAX_ARGS: i64 = 10;
/// ... and bulks of at most this many bytes, so a client without the
/// password cannot make the server hold much memory.
const UNAUTHENTICATED_MAX_BULK: i64 = 16 * 1024;

/// Why a request stream is unusable; the text is Redis's, after `Protocol error: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

/// Where the arguments of a parsed command live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Spans index the read buffer.
    Input,
    /// Spans index the parser's scratch buffer (inline commands).
    Scratch,
}

/// A complete command: how many input bytes it used and where its arguments are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    pub consumed: usize,
    pub source: Source,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Start,
    /// Inside a multibulk: arguments still expected, and the bulk length
    /// already read for the next one, if any.
    Multibulk {
        remaining: usize,
        bulk: Option<usize>,
    },
}

/// Incremental request parser; one per connection.
#[derive(Debug)]
pub struct Parser {
    state: State,
    /// Offset in the input where parsing resumes.
    pos: usize,
    /// Argument spans of the command being parsed.
    pub spans: Vec<(usize, usize)>,
    /// Unescaped inline arguments.
    pub scratch: Vec<u8>,
    max_bulk: usize,
    /// The client must authenticate before running commands: Redis's
    /// pre-authentication limits apply.
    unauthenticated: bool,
}

impl Parser {
    pub fn new(max_bulk: usize) -> Self {
        Parser {
            state: State::Start,
            pos: 0,
            spans: Vec::with_capacity(8),
            scratch: Vec::new(),
            max_bulk,
            unauthenticated: false,
        }
    }

    pub fn set_max_bulk(&mut self, max_bulk: usize) {
        self.max_bulk = max_bulk;
    }

    /// Whether the client has yet to authenticate (with a password set).
    pub fn set_unauthenticated(&mut self, unauthenticated: bool) {
        self.unauthenticated = unauthenticated;
    }

    /// Bytes of input the parser has accepted into the current, unfinished command.
    pub fn pending(&self) -> usize {
        self.pos
    }

    /// The bulk length the parser is waiting for, so the caller can reserve it.
    pub fn awaited_bulk(&self) -> Option<usize> {
        match self.state {
            State::Multibulk { bulk, .. } => bulk,
            State::Start => None,
        }
    }

    /// Parses the next command from `input` (the unconsumed read buffer).
    ///
    /// `Ok(None)` means more bytes are needed. After `Ok(Some(p))` the caller
    /// runs the command, then drops `p.consumed` bytes from the front of the
    /// input before calling again. Empty commands (`*0`, blank lines) are
    /// consumed silently, as Redis does.
    pub fn parse(&mut self, input: &[u8]) -> Result<Option<Parsed>, ProtocolError> {
        loop {
            if let State::Start = self.state {
                self.spans.clear();
                self.pos = 0;
                match input.first() {
                    None => return Ok(None),
                    Some(b'*') => {
                        let Some((count, next)) = header_number(input, 1, "mbulk")? else {
                            return Ok(None);
                        };
                        if count > MAX_MULTIBULK {
                            return Err(err("invalid multibulk length"));
                        }
                        if self.unauthenticated && count > UNAUTHENTICATED_MAX_ARGS {
                            return Err(err("unauthenticated multibulk length"));
                        }
                        self.pos = next;
                        if count <= 0 {
                            return Ok(Some(self.finish(Source::Input)));
                        }
                        self.state = State::Multibulk {
                            remaining: count as usize,
                            bulk: None,
                        };
                    }
                    Some(_) => return self.parse_inline(input),
                }
            }
            let State::Multibulk { remaining, bulk } = &mut self.state else {
                unreachable!("state was set to Multibulk above");
            };
            while *remaining > 0 {
                let len = match *bulk {
                    Some(len) => len,
                    None => {
                        let Some(&first) = input.get(self.pos) else {
                            return Ok(None);
                        };
                        if first != b'$' {
                            return self.not_a_bulk_header(input, first);
                        }
                        let Some((len, next)) = header_number(input, self.pos + 1, "bulk")? else {
                            return Ok(None);
                        };
                        if len < 0 || len as u64 > self.max_bulk as u64 {
                            return Err(err("invalid bulk length"));
                        }
                        if self.unauthenticated && len > UNAUTHENTICATED_MAX_BULK {
                            return Err(err("unauthenticated bulk length"));
                        }
                        self.pos = next;
                        *bulk = Some(len as usize);
                        len as usize
                    }
                };
                let end = self.pos + len;
                if input.len() < end + 2 {
                    return Ok(None);
                }
                self.spans.push((self.pos, end));
                self.pos = end + 2;
                *bulk = None;
                *remaining -= 1;
            }
            let parsed = self.finish(Source::Input);
            if parsed.consumed > 0 && self.spans.is_empty() {
                continue;
            }
            return Ok(Some(parsed));
        }
    }

    /// A multibulk argument that does not start with '$'. Like Redis, the
    /// header is judged only once its line has ended.
    fn not_a_bulk_header(&self, input: &[u8], first: u8) -> Result<Option<Parsed>, ProtocolError> {
        if input[self.pos..].contains(&b'\r') {
            return Err(err(&format!("expected '$', got '{}'", first as char)));
        }
        if input.len() - self.pos > INLINE_MAX {
            return Err(err("too big bulk count string"));
        }
        Ok(None)
    }

    fn finish(&mut self, source: Source) -> Parsed {
        let consumed = self.pos;
        self.state = State::Start;
        self.pos = 0;
        Parsed { consumed, source }
    }

    fn parse_inline(&mut self, input: &[u8]) -> Result<Option<Parsed>, ProtocolError> {
        let Some(nl) = memchr(b'\n', input) else {
            if input.len() > INLINE_MAX {
                return Err(err("too big inline request"));
            }
            return Ok(None);
        };
        let mut line = &input[..nl];
        if let [head @ .., b'\r'] = line {
            line = head;
        }
        self.scratch.clear();
        split_words(line, &mut self.scratch, &mut self.spans)
            .map_err(|Unbalanced| err("unbalanced quotes in request"))?;
        self.pos = nl + 1;
        Ok(Some(self.finish(Source::Scratch)))
    }
}

fn err(text: &str) -> ProtocolError {
    ProtocolError(text.to_string())
}

/// Reads the number after a `*` or `$` up to CRLF: `Some((n, offset after CRLF))`.
fn header_number(
    input: &[u8],
    from: usize,
    what: &str,
) -> Result<Option<(i64, usize)>, ProtocolError> {
    let rest = &input[from..];
    if let Some(fast) = plain_header(rest) {
        return Ok(fast.map(|(n, used)| (n, from + used)));
    }
    // Headers are a few digits: a plain scan beats memchr's setup cost here.
    let Some(cr) = rest.iter().position(|&b| b == b'\r') else {
        // Counted from the '*' or '$', as Redis counts from its read position.
        if rest.len() + 1 > INLINE_MAX {
            return Err(err(&format!("too big {what} count string")));
        }
        return Ok(None);
    };
    if rest.len() < cr + 2 {
        return Ok(None);
    }
    let invalid = || {
        if what == "mbulk" {
            err("invalid multibulk length")
        } else {
            err("invalid bulk length")
        }
    };
    let n = parse_header_int(&rest[..cr]).ok_or_else(invalid)?;
    Ok(Some((n, from + cr + 2)))
}

/// The shape every client sends, `123\r\n`, decoded in one pass:
/// `Some(Some((n, bytes used)))`, `Some(None)` when the CRLF has not fully
/// arrived, `None` for anything unusual (left to the general path).
#[inline]
fn plain_header(rest: &[u8]) -> Option<Option<(i64, usize)>> {
    let mut n: i64 = 0;
    for (i, &c) in rest.iter().enumerate().take(18) {
        match c {
            b'0'..=b'9' if !(i == 1 && rest[0] == b'0') => n = n * 10 + i64::from(c - b'0'),
            b'\r' if i > 0 => return Some((rest.len() >= i + 2).then_some((n, i + 2))),
            _ => return None,
        }
    }
    None
}

/// Header lengths use Redis's strict integer syntax.
fn parse_header_int(digits: &[u8]) -> Option<i64> {
    let (neg, body) = match digits {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, digits),
    };
    if body.is_empty() || body.len() > 19 || (body[0] == b'0' && body.len() > 1) {
        return None;
    }
    let mut v: i64 = 0;
    for &c in body {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as i64)?;
    }
    if neg && v == 0 {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// A quote that is not closed, or closed in the middle of a word.
#[derive(Debug, PartialEq, Eq)]
pub struct Unbalanced;

/// Splits an inline command line (or a redis.conf line: Redis reads both
/// alike) the way redis-cli users type it: words
/// separated by blanks, "double quotes" with C-like escapes, 'single quotes'
/// with only \' escaped; a closing quote must end the word.
pub fn split_words(
    line: &[u8],
    out: &mut Vec<u8>,
    spans: &mut Vec<(usize, usize)>,
) -> Result<(), Unbalanced> {
    let unbalanced = || Unbalanced;
    let mut i = 0;
    loop {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == line.len() {
            return Ok(());
        }
        let start = out.len();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            let c = line.get(i).copied();
            if in_dq {
                match c {
                    None => return Err(unbalanced()),
                    Some(b'\\')
                        if line.get(i + 1) == Some(&b'x') && hex_pair(line, i + 2).is_some() =>
                    {
                        out.push(hex_pair(line, i + 2).unwrap_or_default());
                        i += 3;
                    }
                    Some(b'\\') if i + 1 < line.len() => {
                        i += 1;
                        out.push(match line[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                            return Err(unbalanced());
                        }
                        i += 1;
                        break;
                    }
                    Some(c) => out.push(c),
                }
            } else if in_sq {
                match c {
                    None => return Err(unbalanced()),
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        i += 1;
                        out.push(b'\'');
                    }
                    Some(b'\'') => {
                        if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                            return Err(unbalanced());
                        }
                        i += 1;
                        break;
                    }
                    Some(c) => out.push(c),
                }
            } else {
                match c {
                    None => break,
                    Some(c) if c.is_ascii_whitespace() => break,
                    Some(b'"') => in_dq = true,
                    Some(b'\'') => in_sq = true,
                    Some(c) => out.push(c),
                }
            }
            i += 1;
        }
        spans.push((start, out.len()));
    }
}

fn hex_pair(line: &[u8], at: usize) -> Option<u8> {
    let digit = |i: usize| line.get(i).and_then(|&c| (c as char).to_digit(16));
    Some((digit(at)? * 16 + digit(at + 1)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut p = Parser::new(512 << 20);
        let mut out = Vec::new();
        let mut rest = input;
        while let Some(parsed) = p.parse(rest)? {
            let base = match parsed.source {
                Source::Input => rest,
                Source::Scratch => &p.scratch[..],
            };
            if !p.spans.is_empty() {
                out.push(p.spans.iter().map(|&(s, e)| base[s..e].to_vec()).collect());
            }
            rest = &rest[parsed.consumed..];
        }
        Ok(out)
    }

    fn words(cmd: &[&str]) -> Vec<Vec<u8>> {
        cmd.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn multibulk_pipeline_yields_each_command() {
        let got = parse_all(b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n").unwrap();
        assert_eq!(got, vec![words(&["PING"]), words(&["GET", "k"])]);
    }

    #[test]
    fn bulk_may_contain_crlf_and_binary() {
        let got = parse_all(b"*2\r\n$3\r\nSET\r\n$4\r\n\r\n\0\xff\r\n").unwrap();
        assert_eq!(got, vec![vec![b"SET".to_vec(), b"\r\n\0\xff".to_vec()]]);
    }

    #[test]
    fn every_split_point_parses_the_same() {
        let whole = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        for split in 0..whole.len() {
            let mut p = Parser::new(1 << 20);
            assert_eq!(p.parse(&whole[..split]).unwrap(), None, "split at {split}");
            let parsed = p.parse(whole).unwrap().unwrap();
            assert_eq!(parsed.consumed, whole.len());
            let args: Vec<&[u8]> = p.spans.iter().map(|&(s, e)| &whole[s..e]).collect();
            assert_eq!(args, [&b"SET"[..], b"key", b"value"]);
        }
    }

    #[test]
    fn inline_commands_split_on_blanks_and_quotes() {
        let got = parse_all(b"set k \"a b\\x41\\n\" 'it\\'s'\r\n\r\nPING\n").unwrap();
        assert_eq!(
            got,
            vec![
                vec![
                    b"set".to_vec(),
                    b"k".to_vec(),
                    b"a bA\n".to_vec(),
                    b"it's".to_vec()
                ],
                words(&["PING"])
            ]
        );
    }

    #[test]
    fn protocol_errors_use_redis_texts() {
        let cases: &[(&[u8], &str)] = &[
            (b"*x\r\n", "invalid multibulk length"),
            (b"*1\r\n$-2\r\n", "invalid bulk length"),
            (b"*1\r\n$4294967296\r\n", "invalid bulk length"),
            (b"*1\r\nx3\r\n", "expected '$', got 'x'"),
            (b"*1\r\n\n\r", "expected '$', got '\n'"),
            (b"set k \"abc\r\n", "unbalanced quotes in request"),
            (b"set k \"abc\"x\r\n", "unbalanced quotes in request"),
            (b"*3000000000\r\n", "invalid multibulk length"),
        ];
        for (input, text) in cases {
            assert_eq!(parse_all(input).unwrap_err().0, *text, "{input:?}");
        }
    }

    #[test]
    fn unauthenticated_clients_get_redis_pre_auth_limits_before_any_bytes_arrive() {
        let mut p = Parser::new(512 << 20);
        p.set_unauthenticated(true);
        assert_eq!(
            p.parse(b"*11\r\n").unwrap_err().0,
            "unauthenticated multibulk length"
        );
        let mut p = Parser::new(512 << 20);
        p.set_unauthenticated(true);
        assert_eq!(
            p.parse(b"*2\r\n$4\r\nAUTH\r\n$536870912\r\n")
                .unwrap_err()
                .0,
            "unauthenticated bulk length"
        );
        let mut p = Parser::new(512 << 20);
        p.set_unauthenticated(true);
        let ok = b"*10\r\n$16384\r\n";
        assert_eq!(
            p.parse(ok).unwrap(),
            None,
            "within the limits: waits for more"
        );
        // Past the limits is fine once authenticated.
        let mut p = Parser::new(512 << 20);
        assert_eq!(p.parse(b"*11\r\n$16385\r\n").unwrap(), None);
    }

    #[test]
    fn a_bad_bulk_header_waits_for_its_line_to_end() {
        let mut p = Parser::new(1 << 20);
        assert_eq!(p.parse(b"*1\r\n\n"), Ok(None));
        assert_eq!(p.parse(b"*1\r\nxy"), Ok(None));
    }

    #[test]
    fn overlong_lines_without_newline_are_refused() {
        let mut inline = vec![b'a'; INLINE_MAX + 1];
        assert_eq!(parse_all(&inline).unwrap_err().0, "too big inline request");
        inline[0] = b'*';
        assert_eq!(
            parse_all(&inline).unwrap_err().0,
            "too big mbulk count string"
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Parses everything in `input` fed in the given chunk sizes; returns the
    /// commands and the error, if any.
    fn parse_chunked(input: &[u8], chunks: &[usize]) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>) {
        let mut parser = Parser::new(1 << 20);
        let mut buf: Vec<u8> = Vec::new();
        let mut out = Vec::new();
        let mut fed = 0;
        let mut sizes = chunks.iter().cycle();
        while fed < input.len() {
            let n = (*sizes.next().unwrap_or(&1)).max(1).min(input.len() - fed);
            buf.extend_from_slice(&input[fed..fed + n]);
            fed += n;
            loop {
                match parser.parse(&buf) {
                    Ok(Some(parsed)) => {
                        let base = match parsed.source {
                            Source::Input => &buf[..],
                            Source::Scratch => &parser.scratch[..],
                        };
                        if !parser.spans.is_empty() {
                            out.push(
                                parser
                                    .spans
                                    .iter()
                                    .map(|&(s, e)| base[s..e].to_vec())
                                    .collect(),
                            );
                        }
                        buf.drain(..parsed.consumed);
                    }
                    Ok(None) => break,
                    Err(e) => return (out, Some(e)),
                }
            }
        }
        (out, None)
    }

    fn encode(cmds: &[Vec<Vec<u8>>]) -> Vec<u8> {
        let mut out = Vec::new();
        for cmd in cmds {
            out.extend_from_slice(format!("*{}\r\n", cmd.len()).as_bytes());
            for arg in cmd {
                out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
                out.extend_from_slice(arg);
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..512),
                                       chunks in proptest::collection::vec(1usize..64, 1..8)) {
            let _ = parse_chunked(&input, &chunks);
        }

        #[test]
        fn splitting_a_stream_never_changes_its_commands(
            cmds in proptest::collection::vec(
                proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..6), 1..6),
            chunks in proptest::collection::vec(1usize..32, 1..8)) {
            let wire = encode(&cmds);
            let (whole, err) = parse_chunked(&wire, &[wire.len()]);
            prop_assert!(err.is_none());
            prop_assert_eq!(&whole, &cmds);
            let (split, err) = parse_chunked(&wire, &chunks);
            prop_assert!(err.is_none());
            prop_assert_eq!(split, cmds);
        }

        #[test]
        fn declared_lengths_beyond_the_limit_are_refused(len in (1u64 << 20) + 1..u64::MAX / 2) {
            let mut parser = Parser::new(1 << 20);
            let input = format!("*1\r\n${len}\r\n");
            let got = parser.parse(input.as_bytes());
            prop_assert_eq!(got, Err(ProtocolError("invalid bulk length".into())));
        }
    }
}
