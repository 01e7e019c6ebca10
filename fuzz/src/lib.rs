//! What the fuzz targets check, shared with `tests/fuzz_regressions.rs`.
//!
//! The targets are one line each; everything they do lives here so that the
//! regression test replays saved crash inputs through exactly the same
//! decoding and invariants on stable Rust, without libFuzzer. Nothing here
//! depends on the fuzzer: a violated invariant is a panic.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Buf, BytesMut};
use ferrodis::command::flag;
use ferrodis::config::Config;
use ferrodis::dispatch::Dispatcher;
use ferrodis::protocol::parse::INLINE_MAX;
use ferrodis::protocol::{Parser, ProtocolError, Source};
use ferrodis::server::conn::run_requests;
use ferrodis::state::Session;

// ---------------------------------------------------------------- parse ---

/// `proto-max-bulk-len` values the first input byte picks from: tiny limits
/// reach the "invalid bulk length" path, the default reaches the rest.
const MAX_BULKS: [usize; 5] = [0, 1, 5, 1 << 20, 512 << 20];

/// Everything one pass of the parser over a stream produced.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    /// Every command, empty ones (`*0`, blank lines) included.
    commands: Vec<Vec<Vec<u8>>>,
    error: Option<ProtocolError>,
    /// Input bytes the commands consumed in total.
    consumed: usize,
}

/// Input byte 0 picks the bulk limit, byte 1 two alternating chunk sizes;
/// the rest is the stream. It is parsed as the connection parses its read
/// buffer, once in those chunks and once whole, and both must agree: a
/// request must not mean something else because it arrived in pieces.
pub fn check_parse(data: &[u8]) {
    let [limit, pattern, stream @ ..] = data else {
        return;
    };
    let max_bulk = MAX_BULKS[usize::from(*limit) % MAX_BULKS.len()];
    let chunks = [
        usize::from(pattern & 0x0f) + 1,
        usize::from(pattern >> 4) * 17 + 1,
    ];
    let split = parse_in_chunks(stream, max_bulk, &chunks);
    // Past INLINE_MAX an unfinished line is refused as soon as it is seen,
    // so there a split stream may legitimately fail where the whole succeeds.
    if stream.len() <= INLINE_MAX {
        let whole = parse_in_chunks(stream, max_bulk, &[stream.len().max(1)]);
        assert_eq!(split, whole, "chunks {chunks:?} changed the parse");
    }
}

/// Feeds `stream` to a parser in chunks of the given sizes (cycled),
/// consuming each command as the connection does, and checks the parser's
/// promises about offsets on the way.
fn parse_in_chunks(stream: &[u8], max_bulk: usize, chunks: &[usize]) -> Parsed {
    let mut parser = Parser::new(max_bulk);
    let mut input = BytesMut::new();
    let mut out = Parsed {
        commands: Vec::new(),
        error: None,
        consumed: 0,
    };
    let mut fed = 0;
    for &size in chunks.iter().cycle() {
        if fed == stream.len() {
            break;
        }
        let n = size.min(stream.len() - fed);
        input.extend_from_slice(&stream[fed..fed + n]);
        fed += n;
        loop {
            match parser.parse(&input) {
                Ok(Some(parsed)) => {
                    // Zero would make the connection loop forever.
                    assert!(parsed.consumed > 0, "a command consumed nothing");
                    assert!(parsed.consumed <= input.len(), "consumed past the input");
                    let base: &[u8] = match parsed.source {
                        // Arguments of a RESP command lie inside what it consumed.
                        Source::Input => &input[..parsed.consumed],
                        Source::Scratch => &parser.scratch,
                    };
                    let args = parser
                        .spans
                        .iter()
                        .map(|&(s, e)| {
                            assert!(
                                s <= e && e <= base.len(),
                                "span {s}..{e} outside the buffer"
                            );
                            base[s..e].to_vec()
                        })
                        .collect();
                    out.commands.push(args);
                    out.consumed += parsed.consumed;
                    input.advance(parsed.consumed);
                }
                Ok(None) => {
                    assert!(parser.pending() <= input.len(), "pending past the input");
                    if let Some(bulk) = parser.awaited_bulk() {
                        assert!(bulk <= max_bulk, "awaits a bulk over the limit");
                    }
                    break;
                }
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            }
        }
    }
    out
}

// ------------------------------------------------------------- dispatch ---

/// One server for the whole fuzzing process: building the command table per
/// run would dominate the time. Each run starts with FLUSHALL instead.
fn server() -> &'static Dispatcher {
    static SERVER: OnceLock<Dispatcher> = OnceLock::new();
    SERVER.get_or_init(|| ferrodis::dispatcher(Config::default()))
}

fn new_client(server: &Dispatcher) -> Session {
    static ADDR_PORT: AtomicU64 = AtomicU64::new(1);
    let port = ADDR_PORT.fetch_add(1, Ordering::Relaxed) % 65536;
    Session::new(
        server.shared.new_client_id(),
        format!("127.0.0.1:{port}"),
        "127.0.0.1:6379".to_string(),
    )
}

/// Input byte 0 picks the mode: even turns the rest into commands from the
/// real table with arguments from a dictionary (`structured`), odd sends
/// the rest as raw bytes. The stream runs through `run_requests` on a fresh
/// client; every reply must be well-formed RESP, RESP3 types may only
/// appear after HELLO, and no handler may panic (the dispatcher turns a
/// panic into an error reply, which would otherwise hide it).
pub fn check_dispatch(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let server = server();
    let stream = if mode & 1 == 0 {
        structured(server, rest)
    } else {
        rest.to_vec()
    };
    let scan = scan(server, &stream);
    if scan.denied {
        return;
    }
    run_requests(server, &mut new_client(server), b"*1\r\n$8\r\nFLUSHALL\r\n");
    let replies = run_requests(server, &mut new_client(server), &stream);
    let summary = validate_replies(&replies, scan.hello).unwrap_or_else(|e| {
        panic!(
            "malformed reply ({e}): {:?}",
            String::from_utf8_lossy(&replies)
        )
    });
    for error in &summary.errors {
        assert!(
            !error.starts_with(b"ERR internal error while running"),
            "a command handler panicked: {}",
            String::from_utf8_lossy(error)
        );
    }
    if mode & 1 == 0 && !scan.uneven {
        assert_eq!(summary.count, scan.commands, "one reply per command");
    }
}

/// Commands a fuzzer must not run: they sleep, block, stop the process,
/// touch files, or change server-wide state that FLUSHALL does not reset.
#[rustfmt::skip]
const DENIED: &[&str] = &[
    "shutdown", "monitor", "sync", "psync", "wait", "waitaof", "failover", "replicaof",
    "slaveof", "save", "bgsave", "bgrewriteaof",
];
/// Denied only with these first arguments.
const DENIED_WITH: &[(&str, &str)] = &[
    ("debug", "sleep"),
    ("debug", "segfault"),
    ("debug", "panic"),
    ("debug", "restart"),
    ("debug", "crash-and-recover"),
    ("debug", "oom"),
    ("debug", "assert"),
    ("client", "pause"),
    ("config", "set"),
    ("config", "rewrite"),
];
/// Commands that may answer with other than exactly one reply.
#[rustfmt::skip]
const UNEVEN: &[&str] = &[
    "quit", "client", "subscribe", "psubscribe", "ssubscribe", "unsubscribe",
    "punsubscribe", "sunsubscribe",
];

/// What the stream asks for, found by parsing it up front.
struct Scan {
    denied: bool,
    /// HELLO may switch to RESP3.
    hello: bool,
    /// A command that may answer other than once (or closes the connection).
    uneven: bool,
    /// Non-empty commands before the first protocol error.
    commands: usize,
}

fn scan(server: &Dispatcher, stream: &[u8]) -> Scan {
    let mut scan = Scan {
        denied: false,
        hello: false,
        uneven: false,
        commands: 0,
    };
    let mut parser = Parser::new(server.shared.config.proto_max_bulk_len());
    let mut rest = stream;
    while let Ok(Some(parsed)) = parser.parse(rest) {
        let base = match parsed.source {
            Source::Input => rest,
            Source::Scratch => &parser.scratch[..],
        };
        let word = |i: usize| {
            parser
                .spans
                .get(i)
                .map(|&(s, e)| String::from_utf8_lossy(&base[s..e]).to_ascii_lowercase())
                .unwrap_or_default()
        };
        if !parser.spans.is_empty() {
            let (name, first) = (word(0), word(1));
            scan.commands += 1;
            scan.hello |= name == "hello";
            scan.uneven |= UNEVEN.contains(&name.as_str());
            scan.denied |= DENIED.contains(&name.as_str())
                || DENIED_WITH.contains(&(name.as_str(), first.as_str()))
                || server
                    .table
                    .lookup(name.as_bytes())
                    .is_some_and(|c| c.has(flag::BLOCKING));
        }
        rest = &rest[parsed.consumed..];
    }
    scan
}

/// Arguments the structured mode draws from: keys that collide, numbers at
/// the edges of every integer type, and the option words commands take.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "k0", "k1", "k2", "k3", "k0", "k1", "k2", "k3", "v", "", "0", "1", "-1", "2", "3", "10", "100",
    "-100", "1000", "1.5", "-0.5", "1e3", "inf", "-inf", "nan", "+1", "01", " 1",
    "9223372036854775807", "-9223372036854775808", "9223372036854775808",
    "18446744073709551615", "4294967295", "4294967296", "2147483648", "536870911",
    "536870912", "-536870912", "99999999999999999999", "1.7976931348623157e308", "0x10",
    "EX", "PX", "EXAT", "PXAT", "NX", "XX", "GT", "LT", "GET", "KEEPTTL", "PERSIST", "IDX",
    "LEN", "MINMATCHLEN", "WITHMATCHLEN", "MATCH", "COUNT", "TYPE", "REPLACE", "DB", "ASYNC",
    "SYNC", "string", "none", "*", "k*", "k[0-1]", "[", "\\", "?", "ENCODING", "FREQ",
    "IDLETIME", "REFCOUNT", "HELP", "2", "3", "AUTH", "default", "SETNAME", "abc",
    "hello world", "\u{0}\u{ff}",
];

/// Byte values from here on are literal arguments (their low bits give the
/// length, taken from the following bytes) rather than dictionary words.
const LITERAL: u8 = 0xf0;
/// Commands per structured stream: runs stay short and diverse.
const MAX_COMMANDS: usize = 48;

/// Turns fuzz bytes into RESP commands: a byte picks a command (or
/// command + subcommand) from the table, the next its argument count, and
/// one byte per argument a word or a literal.
fn structured(server: &Dispatcher, bytes: &[u8]) -> Vec<u8> {
    let names = command_names(server);
    let mut bytes = bytes.iter().copied();
    let mut out = Vec::new();
    for _ in 0..MAX_COMMANDS {
        let (Some(pick), Some(argc)) = (bytes.next(), bytes.next()) else {
            break;
        };
        let mut argv: Vec<Vec<u8>> = names[usize::from(pick) % names.len()]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        for _ in 0..argc % 8 {
            let Some(b) = bytes.next() else { break };
            if b >= LITERAL {
                argv.push(bytes.by_ref().take(usize::from(b - LITERAL)).collect());
            } else {
                argv.push(WORDS[usize::from(b) % WORDS.len()].as_bytes().to_vec());
            }
        }
        out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
        for arg in argv {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(&arg);
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// Every command name in the table, containers expanded to `name sub`.
fn command_names(server: &Dispatcher) -> &'static [Vec<&'static str>] {
    static NAMES: OnceLock<Vec<Vec<&'static str>>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = Vec::new();
        for cmd in server.table.iter() {
            names.push(vec![cmd.name]);
            for sub in &cmd.subcommands {
                names.push(vec![cmd.name, sub.name]);
            }
        }
        names.sort();
        names
    })
}

// ---------------------------------------------------------------- RESP ---

/// What a well-formed reply stream held.
struct Replies {
    /// Top-level replies.
    count: usize,
    /// The text of every error, at any depth.
    errors: Vec<Vec<u8>>,
}

/// Checks that `buf` is a sequence of complete RESP values and nothing else.
fn validate_replies(buf: &[u8], resp3: bool) -> Result<Replies, String> {
    let mut reader = RespReader {
        buf,
        pos: 0,
        resp3,
        errors: Vec::new(),
    };
    let mut count = 0;
    while reader.pos < buf.len() {
        reader.value(0)?;
        count += 1;
    }
    Ok(Replies {
        count,
        errors: reader.errors,
    })
}

struct RespReader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Whether RESP3-only types may appear.
    resp3: bool,
    errors: Vec<Vec<u8>>,
}

impl<'a> RespReader<'a> {
    fn value(&mut self, depth: usize) -> Result<(), String> {
        if depth > 128 {
            return Err("nested too deep".into());
        }
        let at = self.pos;
        let kind = *self.buf.get(at).ok_or("truncated")?;
        self.pos += 1;
        if !self.resp3 && !b"+-:$*".contains(&kind) {
            return Err(format!(
                "RESP3 type {:?} at {at} sent to a RESP2 client",
                kind as char
            ));
        }
        match kind {
            b'+' => self.line().map(drop),
            b'-' => {
                let text = self.line()?.to_vec();
                self.errors.push(text);
                Ok(())
            }
            b':' => self.integer(true).map(drop),
            b'$' | b'!' | b'=' => self.blob(kind),
            b'*' | b'~' | b'>' => self.aggregate(kind, 1, depth),
            b'%' => self.aggregate(kind, 2, depth),
            b'|' => {
                self.aggregate(kind, 2, depth)?;
                self.value(depth + 1)
            }
            b'_' => self.exact_line(b""),
            b'#' => match self.line()? {
                b"t" | b"f" => Ok(()),
                other => Err(format!("boolean {other:?}")),
            },
            b',' => {
                let text = self.line()?;
                let ok = matches!(text, b"inf" | b"-inf" | b"nan")
                    || std::str::from_utf8(text).is_ok_and(|t| t.parse::<f64>().is_ok());
                ok.then_some(()).ok_or_else(|| format!("double {text:?}"))
            }
            b'(' => {
                let text = self.line()?;
                let digits = text.strip_prefix(b"-").unwrap_or(text);
                let ok = !digits.is_empty() && digits.iter().all(u8::is_ascii_digit);
                ok.then_some(())
                    .ok_or_else(|| format!("big number {text:?}"))
            }
            other => Err(format!("unknown type byte {:?} at {at}", other as char)),
        }
    }

    /// A line up to CRLF that contains neither CR nor LF itself.
    fn line(&mut self) -> Result<&'a [u8], String> {
        let rest = &self.buf[self.pos..];
        let end = rest
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .ok_or("line without CRLF")?;
        if rest.get(end..end + 2) != Some(b"\r\n") {
            return Err(format!("bare CR or LF at {}", self.pos + end));
        }
        self.pos += end + 2;
        Ok(&rest[..end])
    }

    fn exact_line(&mut self, want: &[u8]) -> Result<(), String> {
        let got = self.line()?;
        (got == want)
            .then_some(())
            .ok_or_else(|| format!("{got:?} for {want:?}"))
    }

    /// A decimal i64 line; `-1` only where the caller allows a null.
    fn integer(&mut self, allow_negative: bool) -> Result<i64, String> {
        let text = self.line()?;
        let n: i64 = std::str::from_utf8(text)
            .ok()
            .filter(|t| !t.starts_with('+') && (t.len() < 2 || !t.starts_with('0')))
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| format!("integer {text:?}"))?;
        if n < 0 && !allow_negative {
            return Err(format!("negative length {n}"));
        }
        Ok(n)
    }

    fn blob(&mut self, kind: u8) -> Result<(), String> {
        let len = self.integer(kind == b'$')?;
        if len == -1 {
            return Ok(());
        }
        let len = usize::try_from(len).map_err(|_| format!("blob length {len}"))?;
        let data = self
            .buf
            .get(self.pos..self.pos + len)
            .ok_or("blob truncated")?;
        if kind == b'=' && (len < 4 || data[3] != b':') {
            return Err("verbatim string without its format".into());
        }
        if kind == b'!' {
            self.errors.push(data.to_vec());
        }
        self.pos += len;
        self.exact_line(b"")
    }

    fn aggregate(&mut self, kind: u8, per_entry: usize, depth: usize) -> Result<(), String> {
        let n = self.integer(kind == b'*')?;
        if n == -1 {
            return Ok(());
        }
        let n = usize::try_from(n).map_err(|_| format!("aggregate length {n}"))?;
        for _ in 0..n * per_entry {
            self.value(depth + 1)?;
        }
        Ok(())
    }
}
