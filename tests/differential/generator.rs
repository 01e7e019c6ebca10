//! Random command invocations, valid and invalid, generated from the spec's
//! argument trees with a seeded PRNG so that every sequence is reproducible
//! from its seed.
//!
//! Values are drawn from small pools chosen to hit edge cases and to make
//! commands collide on the same keys. Now and then the generator emits a
//! whole transaction instead of one call: WATCH of pool keys, calls that
//! may touch them, MULTI, queued calls (some refused, dooming it), and
//! EXEC or DISCARD, so that queuing, EXECABORT, runtime errors in EXEC's
//! slots and WATCH aborts by the client's own writes are all compared. Some argument names carry meaning the
//! type alone does not (a database index, a TTL, `numkeys`); those get their
//! own pools so that most invocations get past argument parsing.

use crate::spec::{Arg, CommandSpec, Kind};

/// splitmix64: tiny, fast and good enough for test input.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The key pool: few enough that commands keep hitting the same keys.
pub const KEYS: &[&[u8]] = &[
    b"k0",
    b"k1",
    b"k2",
    b"k3",
    b"k4",
    b"k5",
    b"k6",
    b"k7",
    b"bin\x00\xff\r\nkey",
];

const STRINGS: &[&[u8]] = &[
    b"",
    b"v",
    b"hello world",
    b"\x00\x01\xff\r\n\x7f",
    b"\xc3\xa9t\xc3\xa9",
    b"k1",
    b"*",
    b"0",
    b"-0",
    b"1",
    b"-1",
    b"10",
    b"007",
    b" 1",
    b"1 ",
    b"+1",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"1.5",
    b"-2.25",
    b"1e3",
    b"-1.5E-3",
    b"3.0",
    b"inf",
    b"-inf",
    b"+inf",
    b"nan",
    b"0x10",
    b"1,5",
];

/// Integers. Values between a few thousand and 2^32 are deliberately absent:
/// as offsets (SETRANGE, SETBIT) they make both servers allocate hundreds of
/// megabytes. Beyond 2^32 they are rejected as out of range.
const INTEGERS: &[&[u8]] = &[
    b"0",
    b"1",
    b"2",
    b"3",
    b"5",
    b"10",
    b"100",
    b"-1",
    b"-2",
    b"-100",
    b"007",
    b"-0",
    b"+1",
    b" 1",
    b"1 ",
    b"1.0",
    b"1e2",
    b"abc",
    b"",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"4294967296",
    b"18446744073709551615",
    b"99999999999999999999",
];

const DOUBLES: &[&[u8]] = &[
    b"0",
    b"-0",
    b"1",
    b"-1",
    b"1.5",
    b"-2.25",
    b"0.1",
    b"1e3",
    b"1E-3",
    b"1e308",
    b"1e309",
    b"-1e309",
    b"2.2250738585072014e-308",
    b"inf",
    b"-inf",
    b"+inf",
    b"Infinity",
    b"nan",
    b"NaN",
    b"0x1p3",
    b"1.",
    b".5",
    b"",
    b" 1",
    b"1 ",
    b"abc",
    b"1e",
    b"9223372036854775807",
];

const PATTERNS: &[&[u8]] = &[
    b"*", b"k*", b"k?", b"k[0-3]", b"k[^0]", b"*1*", b"\\*", b"[", b"k[", b"", b"bin*", b"?*",
];

/// Relative TTLs: either invalid or long enough (>= 100 s) that no key
/// expires while a sequence runs, because the two servers set and read
/// them microseconds apart.
const DURATIONS: &[&[u8]] = &[
    b"100000",
    b"999999",
    b"2000000000",
    b"0",
    b"-1",
    b"-100",
    b"abc",
    b"1.5",
    b"",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775806",
];

/// Absolute unix times (seconds or milliseconds alike): far in the past or
/// far in the future, never near now.
const UNIX_TIMES: &[&[u8]] = &[
    b"1",
    b"1000",
    b"1700000000",
    b"4102444800",
    b"4102444800000",
    b"0",
    b"-1",
    b"abc",
    b"9223372036854775807",
];

const DATABASES: &[&[u8]] = &[
    b"0",
    b"1",
    b"2",
    b"3",
    b"0",
    b"1",
    b"15",
    b"16",
    b"-1",
    b"abc",
    b"9223372036854775807",
];

const TYPE_NAMES: &[&[u8]] = &[
    b"string", b"list", b"set", b"zset", b"hash", b"stream", b"none", b"STRING", b"bogus",
];

/// Names no Redis version knows, for the unknown-command path.
const UNKNOWN_COMMANDS: &[&[u8]] = &[b"nosuchcmd", b"GETX", b"", b"s e t", b"\xff\x00"];

/// The pool an argument draws from: by meaningful name first, then by type.
fn pool(arg: &Arg) -> &'static [&'static [u8]] {
    let name = arg.name.as_str();
    match arg.kind {
        Kind::Key => KEYS,
        Kind::UnixTime => UNIX_TIMES,
        Kind::Integer
            if matches!(
                name,
                "index" | "index1" | "index2" | "db" | "destination-db"
            ) =>
        {
            DATABASES
        }
        Kind::Integer
            if matches!(
                name,
                "seconds" | "milliseconds" | "ms" | "ttl" | "timeout" | "min-idle-time"
            ) =>
        {
            DURATIONS
        }
        Kind::String if name == "type" => TYPE_NAMES,
        Kind::Integer => INTEGERS,
        Kind::Double => DOUBLES,
        Kind::Pattern => PATTERNS,
        Kind::String | Kind::PureToken | Kind::OneOf | Kind::Block => STRINGS,
    }
}

/// Values put where they do not belong: wrong types, stray tokens, edge
/// numbers. No small positive integers: a mutation could move one into a
/// TTL position (PX 5), and a key expiring mid-sequence would make the two
/// servers disagree by timing alone.
const JUNK: &[&[u8]] = &[
    b"",
    b"abc",
    b"k1",
    b"*",
    b"\x00\xff",
    b"-1",
    b"0",
    b"-0",
    b"1.5",
    b"-inf",
    b"nan",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"NX",
    b"XX",
    b"GET",
    b"COUNT",
    b"LIMIT",
    b"WITHSCORES",
];

pub type Invocation = Vec<Vec<u8>>;

pub struct Generator<'a> {
    pub rng: Rng,
    commands: &'a [&'a CommandSpec],
    /// The rest of a transaction being emitted, next call first.
    pending: std::collections::VecDeque<Invocation>,
}

impl<'a> Generator<'a> {
    pub fn new(seed: u64, commands: &'a [&'a CommandSpec]) -> Generator<'a> {
        assert!(!commands.is_empty(), "nothing to generate");
        Generator {
            rng: Rng::new(seed),
            commands,
            pending: std::collections::VecDeque::new(),
        }
    }

    /// One invocation: mostly valid ones of the given commands, some with
    /// wrong arity or junk arguments, a few of unknown commands, and now
    /// and then the first of a transaction's (the rest follow).
    pub fn invocation(&mut self) -> Invocation {
        if let Some(next) = self.pending.pop_front() {
            return next;
        }
        if self.rng.chance(3) {
            let mut block = self.transaction();
            let first = block.remove(0);
            self.pending.extend(block);
            return first;
        }
        self.single()
    }

    /// A transaction: optional WATCH, calls between it and MULTI (which
    /// may change the watched keys), the queued calls, EXEC or DISCARD.
    fn transaction(&mut self) -> Vec<Invocation> {
        let mut block = Vec::new();
        if self.rng.chance(60) {
            let mut watch = vec![self.casing("WATCH")];
            for _ in 0..1 + self.rng.below(3) {
                watch.push(self.rng.pick(KEYS).to_vec());
            }
            block.push(watch);
            for _ in 0..self.rng.below(3) {
                block.push(self.single());
            }
            if self.rng.chance(15) {
                block.push(vec![self.casing("UNWATCH")]);
            }
        }
        block.push(vec![self.casing("MULTI")]);
        for _ in 0..1 + self.rng.below(6) {
            // Out of place inside MULTI: answered with an error, not queued.
            let call = match self.rng.below(40) {
                0 => vec![self.casing("MULTI")],
                1 => vec![self.casing("WATCH"), self.rng.pick(KEYS).to_vec()],
                _ => self.single(),
            };
            block.push(call);
        }
        let end = match self.rng.below(20) {
            0 => vec![self.casing("DISCARD")],
            1 => vec![self.casing("EXEC"), self.junk()],
            _ => vec![self.casing("EXEC")],
        };
        block.push(end);
        block
    }

    /// One call that is not a transaction.
    fn single(&mut self) -> Invocation {
        match self.rng.below(100) {
            0..=2 => self.unknown_command(),
            3..=14 => {
                let cmd = self.pick_command();
                let valid = self.valid(cmd);
                self.mutate(valid)
            }
            _ => {
                let cmd = self.pick_command();
                self.valid(cmd)
            }
        }
    }

    /// Commands that touch keys are picked four times as often: they are
    /// most of the surface and they interact through the shared keys.
    /// SELECT is favoured too, so that keyed commands run in several dbs.
    fn pick_command(&mut self) -> &'a CommandSpec {
        let weight = |c: &CommandSpec| match () {
            _ if has_key(&c.args) => 4,
            _ if c.words == ["SELECT"] => 3,
            _ => 1,
        };
        let total: usize = self.commands.iter().map(|c| weight(c)).sum();
        let mut n = self.rng.below(total);
        for c in self.commands {
            if n < weight(c) {
                return c;
            }
            n -= weight(c);
        }
        unreachable!()
    }

    /// A call that follows the spec's grammar (its values may still be
    /// rejected: "abc" for an integer, say).
    pub fn valid(&mut self, cmd: &CommandSpec) -> Invocation {
        let mut out: Invocation = cmd.words.iter().map(|w| self.casing(w)).collect();
        self.args(&cmd.args, &mut out);
        out
    }

    fn args(&mut self, args: &[Arg], out: &mut Invocation) {
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            // numkeys-style counts describe the next (multiple) argument;
            // a random count would make nearly every call a syntax error.
            if arg.name.starts_with("num")
                && arg.kind == Kind::Integer
                && args.get(i + 1).is_some_and(|next| next.multiple)
            {
                let mut rest = Vec::new();
                self.arg(&args[i + 1], &mut rest);
                let count = if self.rng.chance(90) {
                    rest.len().to_string().into_bytes()
                } else {
                    self.rng.pick(INTEGERS).to_vec()
                };
                out.push(count);
                out.extend(rest);
                i += 2;
                continue;
            }
            self.arg(arg, out);
            i += 1;
        }
    }

    fn arg(&mut self, arg: &Arg, out: &mut Invocation) {
        if arg.optional && self.rng.chance(50) {
            return;
        }
        let times = if arg.multiple {
            1 + self.rng.below(3)
        } else {
            1
        };
        for n in 0..times {
            if let Some(token) = &arg.token
                && (n == 0 || arg.multiple_token)
            {
                out.push(self.casing(token));
            }
            self.value(arg, out);
        }
    }

    fn value(&mut self, arg: &Arg, out: &mut Invocation) {
        match arg.kind {
            Kind::PureToken => {}
            Kind::OneOf => {
                let child = self.rng.pick(&arg.args).clone();
                // The chosen alternative is mandatory once the oneof is present.
                let child = Arg {
                    optional: false,
                    ..child
                };
                self.arg(&child, out);
            }
            Kind::Block => self.args(&arg.args, out),
            _ => out.push(self.scalar(arg)),
        }
    }

    fn scalar(&mut self, arg: &Arg) -> Vec<u8> {
        let pool = pool(arg);
        if pool == DURATIONS || pool == UNIX_TIMES {
            return self.rng.pick(pool).to_vec();
        }
        match self.rng.below(100) {
            // Long values reach other encodings and size paths.
            0..=2 if arg.kind == Kind::String => {
                const UNITS: &[&[u8]] = &[b"x", b"ab", b"0123456789"];
                let unit = *self.rng.pick(UNITS);
                unit.repeat(1 + self.rng.below(600))
            }
            3..=6 => self.junk(),
            _ => self.rng.pick(pool).to_vec(),
        }
    }

    /// Command names and tokens are case-insensitive; keep checking that.
    fn casing(&mut self, word: &str) -> Vec<u8> {
        match self.rng.below(10) {
            0 => word.to_ascii_lowercase().into_bytes(),
            1 => word
                .bytes()
                .enumerate()
                .map(|(i, b)| {
                    if i % 2 == 0 {
                        b.to_ascii_lowercase()
                    } else {
                        b
                    }
                })
                .collect(),
            _ => word.as_bytes().to_vec(),
        }
    }

    /// Breaks a valid call: wrong arity, a dropped, duplicated or replaced
    /// argument, or trailing junk.
    fn mutate(&mut self, mut inv: Invocation) -> Invocation {
        match self.rng.below(5) {
            0 => inv.truncate(1),
            1 if inv.len() > 1 => {
                let at = 1 + self.rng.below(inv.len() - 1);
                inv.remove(at);
            }
            2 if inv.len() > 1 => {
                let at = 1 + self.rng.below(inv.len() - 1);
                inv.insert(at, inv[at].clone());
            }
            3 if inv.len() > 1 => {
                let at = 1 + self.rng.below(inv.len() - 1);
                inv[at] = self.junk();
            }
            _ => {
                for _ in 0..1 + self.rng.below(3) {
                    inv.push(self.junk());
                }
            }
        }
        inv
    }

    fn junk(&mut self) -> Vec<u8> {
        self.rng.pick(JUNK).to_vec()
    }

    fn unknown_command(&mut self) -> Invocation {
        let mut inv = vec![self.rng.pick(UNKNOWN_COMMANDS).to_vec()];
        for _ in 0..self.rng.below(4) {
            inv.push(self.rng.pick(STRINGS).to_vec());
        }
        inv
    }
}

fn has_key(args: &[Arg]) -> bool {
    args.iter().any(|a| a.kind == Kind::Key || has_key(&a.args))
}
