//! cjson.decode: JSON text to Lua values.

use std::ffi::c_int;

use super::{Config, HARD_DEPTH_LIMIT, array_mt_key, config, shared};
use crate::scripting::lua::{self, L, ffi};

#[derive(Clone, Copy, PartialEq)]
enum Token {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    /// The unescaped text is in the shared scratch buffer.
    Str,
    Number(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Token {
    fn name(self) -> &'static str {
        match self {
            Token::ObjBegin => "T_OBJ_BEGIN",
            Token::ObjEnd => "T_OBJ_END",
            Token::ArrBegin => "T_ARR_BEGIN",
            Token::ArrEnd => "T_ARR_END",
            Token::Str => "T_STRING",
            Token::Number(_) => "T_NUMBER",
            Token::Bool(_) => "T_BOOLEAN",
            Token::Null => "T_NULL",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Error(msg) => msg,
        }
    }
}

struct Parser<'a> {
    /// The JSON text; like the C library, it ends at its first NUL.
    data: &'a [u8],
    pos: usize,
    depth: i32,
    cfg: Config,
    text: &'a mut Vec<u8>,
}

impl Parser<'_> {
    fn byte(&self, at: usize) -> u8 {
        self.data.get(at).copied().unwrap_or(0)
    }

    /// The next token and the offset it starts at.
    fn next_token(&mut self) -> (Token, usize) {
        while matches!(self.byte(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let single = match self.byte(start) {
            b'{' => Some(Token::ObjBegin),
            b'}' => Some(Token::ObjEnd),
            b'[' => Some(Token::ArrBegin),
            b']' => Some(Token::ArrEnd),
            b':' => Some(Token::Colon),
            b',' => Some(Token::Comma),
            0 => return (Token::End, start),
            _ => None,
        };
        if let Some(token) = single {
            self.pos += 1;
            return (token, start);
        }
        match self.byte(start) {
            b'"' => match self.string_token() {
                Ok(()) => (Token::Str, start),
                Err((msg, at)) => (Token::Error(msg), at),
            },
            b'-' | b'0'..=b'9' => {
                if !self.cfg.decode_invalid_numbers && self.is_invalid_number() {
                    return (Token::Error("invalid number"), start);
                }
                (self.number_token(), start)
            }
            b't' if self.data[start..].starts_with(b"true") => {
                self.pos += 4;
                (Token::Bool(true), start)
            }
            b'f' if self.data[start..].starts_with(b"false") => {
                self.pos += 5;
                (Token::Bool(false), start)
            }
            b'n' if self.data[start..].starts_with(b"null") => {
                self.pos += 4;
                (Token::Null, start)
            }
            b'i' | b'I' | b'n' | b'N' | b'+'
                if self.cfg.decode_invalid_numbers && self.is_invalid_number() =>
            {
                (self.number_token(), start)
            }
            _ => (Token::Error("invalid token"), start),
        }
    }

    /// Numbers strict JSON refuses but strtod reads: a leading `+`, hex,
    /// leading zeros, inf and nan.
    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        match self.byte(p) {
            b'+' => return true,
            b'-' => p += 1,
            _ => {}
        }
        let c = self.byte(p);
        if c == b'0' {
            let c2 = self.byte(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        }
        if c <= b'9' {
            return false;
        }
        let rest = &self.data[p.min(self.data.len())..];
        let starts = |word: &[u8]| rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(word);
        starts(b"inf") || starts(b"nan")
    }

    fn number_token(&mut self) -> Token {
        let end = self.data[self.pos..]
            .iter()
            .position(|&b| b == 0)
            .map_or(self.data.len(), |i| self.pos + i);
        match strtod_prefix(&self.data[self.pos..end]) {
            Some((value, used)) => {
                self.pos += used;
                Token::Number(value)
            }
            None => Token::Error("invalid number"),
        }
    }

    /// Reads a string into `text`; the error and its offset on failure.
    fn string_token(&mut self) -> Result<(), (&'static str, usize)> {
        self.pos += 1;
        self.text.clear();
        loop {
            match self.byte(self.pos) {
                b'"' => break,
                0 => return Err(("unexpected end of string", self.pos)),
                b'\\' => {
                    let escaped = match self.byte(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' if self.unicode_escape() => continue,
                        b'u' => return Err(("invalid unicode escape code", self.pos)),
                        _ => return Err(("invalid escape code", self.pos)),
                    };
                    self.text.push(escaped);
                    self.pos += 2;
                }
                c => {
                    self.text.push(c);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        Ok(())
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let mut v = 0;
        for i in 0..4 {
            v = v * 16 + (self.byte(at + i) as char).to_digit(16)?;
        }
        Some(v)
    }

    /// Appends the UTF-8 of `\uXXXX` (or a surrogate pair) at `pos`.
    fn unicode_escape(&mut self) -> bool {
        let Some(mut code) = self.hex4(self.pos + 2) else {
            return false;
        };
        let mut len = 6;
        if code & 0xF800 == 0xD800 {
            if code & 0x400 != 0
                || self.byte(self.pos + 6) != b'\\'
                || self.byte(self.pos + 7) != b'u'
            {
                return false;
            }
            let Some(low) = self.hex4(self.pos + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            code = (((code & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        let Some(c) = char::from_u32(code) else {
            return false;
        };
        let mut utf8 = [0u8; 4];
        self.text
            .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        self.pos += len;
        true
    }
}

/// The longest prefix of `s` that C's strtod reads, and its value.
fn strtod_prefix(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let negative = match s.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let sign = if negative { -1.0 } else { 1.0 };
    let rest = &s[i..];
    let word = |w: &[u8]| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
    if word(b"infinity") {
        return Some((sign * f64::INFINITY, i + 8));
    }
    if word(b"inf") {
        return Some((sign * f64::INFINITY, i + 3));
    }
    if word(b"nan") {
        let mut end = i + 3;
        if s.get(end) == Some(&b'(')
            && let Some(close) = s[end..].iter().position(|&b| b == b')')
            && s[end + 1..end + close]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            end += close + 1;
        }
        return Some((f64::NAN.copysign(sign), end));
    }
    if rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' && rest[2].is_ascii_hexdigit()
    {
        let (value, used) = hex_float(&rest[2..]);
        return Some((sign * value, i + 2 + used));
    }
    let mut j = i;
    let digits = |s: &[u8], mut j: usize| {
        while s.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let int_end = digits(s, j);
    let mut mantissa_digits = int_end - j;
    j = int_end;
    if s.get(j) == Some(&b'.') {
        let frac_end = digits(s, j + 1);
        mantissa_digits += frac_end - j - 1;
        j = frac_end;
    }
    if mantissa_digits == 0 {
        return None;
    }
    if matches!(s.get(j), Some(b'e' | b'E')) {
        let mut k = j + 1;
        if matches!(s.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        let exp_end = digits(s, k);
        if exp_end > k {
            j = exp_end;
        }
    }
    let text = std::str::from_utf8(&s[i..j]).ok()?;
    let text = text.strip_suffix('.').unwrap_or(text);
    let value: f64 = text.parse().ok()?;
    Some((sign * value, j))
}

/// A hex mantissa with an optional binary exponent (`1.8p3`), after `0x`.
fn hex_float(s: &[u8]) -> (f64, usize) {
    let mut value = 0.0f64;
    let mut j = 0;
    let mut scale = 0i32;
    let mut seen_dot = false;
    while let Some(&b) = s.get(j) {
        if let Some(d) = (b as char).to_digit(16) {
            value = value * 16.0 + d as f64;
            if seen_dot {
                scale -= 4;
            }
        } else if b == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            break;
        }
        j += 1;
    }
    if matches!(s.get(j), Some(b'p' | b'P')) {
        let mut k = j + 1;
        let neg = s.get(k) == Some(&b'-');
        if matches!(s.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        let start = k;
        let mut exp = 0i32;
        while let Some(d) = s.get(k).filter(|d| d.is_ascii_digit()) {
            exp = exp.saturating_mul(10).saturating_add((d - b'0') as i32);
            k += 1;
        }
        if k > start {
            scale = scale.saturating_add(if neg { -exp } else { exp });
            j = k;
        }
    }
    (value * 2f64.powi(scale), j)
}

pub(super) unsafe fn decode_impl(l: L) -> c_int {
    unsafe {
        if ffi::lua_gettop(l) != 1 {
            ffi::luaL_argerror(l, 1, c"expected 1 argument".as_ptr());
        }
        let cfg = *config(l);
        let mut len = 0;
        let p = ffi::luaL_checklstring(l, 1, &mut len);
        let data: &[u8] = std::slice::from_raw_parts(p.cast(), len);
        if len >= 2 && (data[0] == 0 || data[1] == 0) {
            lua::raise(l, b"JSON parser does not support UTF-16 or UTF-32");
        }
        let mut parser = Parser {
            data,
            pos: 0,
            depth: 0,
            cfg,
            text: &mut shared(l).scratch,
        };
        let (token, at) = parser.next_token();
        process_value(l, &mut parser, token, at);
        let (token, at) = parser.next_token();
        if token != Token::End {
            parse_error(l, "the end", token, at);
        }
        1
    }
}

unsafe fn parse_error(l: L, expected: &str, found: Token, at: usize) -> ! {
    unsafe {
        lua::raise_fmt(
            l,
            format_args!(
                "Expected {expected} but found {} at character {}",
                found.name(),
                at + 1
            ),
        )
    }
}

/// Pushes the value that starts with `token`.
unsafe fn process_value(l: L, p: &mut Parser, token: Token, at: usize) {
    unsafe {
        match token {
            Token::Str => lua::push_bytes(l, p.text),
            Token::Number(n) => ffi::lua_pushnumber(l, n),
            Token::Bool(b) => ffi::lua_pushboolean(l, b as c_int),
            Token::Null => ffi::lua_pushlightuserdata(l, std::ptr::null_mut()),
            Token::ObjBegin => parse_object(l, p),
            Token::ArrBegin => parse_array(l, p),
            other => parse_error(l, "value", other, at),
        }
    }
}

unsafe fn descend(l: L, p: &mut Parser) {
    unsafe {
        p.depth += 1;
        if p.depth > p.cfg.decode_max_depth
            || p.depth > HARD_DEPTH_LIMIT
            || ffi::lua_checkstack(l, ffi::LUA_MINSTACK) == 0
        {
            lua::raise_fmt(
                l,
                format_args!(
                    "Found too many nested data structures ({}) at character {}",
                    p.depth, p.pos
                ),
            );
        }
    }
}

unsafe fn parse_object(l: L, p: &mut Parser) {
    unsafe {
        descend(l, p);
        ffi::lua_createtable(l, 0, 0);
        let (mut token, mut at) = p.next_token();
        if token == Token::ObjEnd {
            p.depth -= 1;
            return;
        }
        loop {
            if token != Token::Str {
                parse_error(l, "object key string", token, at);
            }
            lua::push_bytes(l, p.text);
            let (colon, colon_at) = p.next_token();
            if colon != Token::Colon {
                parse_error(l, "colon", colon, colon_at);
            }
            let (value, value_at) = p.next_token();
            process_value(l, p, value, value_at);
            ffi::lua_rawset(l, -3);
            (token, at) = p.next_token();
            if token == Token::ObjEnd {
                break;
            }
            if token != Token::Comma {
                parse_error(l, "comma or object end", token, at);
            }
            (token, at) = p.next_token();
        }
        p.depth -= 1;
    }
}

unsafe fn parse_array(l: L, p: &mut Parser) {
    unsafe {
        descend(l, p);
        ffi::lua_createtable(l, 0, 0);
        if p.cfg.decode_array_with_array_mt {
            ffi::lua_pushlightuserdata(l, array_mt_key());
            ffi::lua_rawget_(l, ffi::LUA_REGISTRYINDEX);
            ffi::lua_setmetatable(l, -2);
        }
        let (mut token, mut at) = p.next_token();
        if token == Token::ArrEnd {
            p.depth -= 1;
            return;
        }
        let mut i = 1;
        loop {
            process_value(l, p, token, at);
            ffi::lua_rawseti_(l, -2, i);
            i += 1;
            (token, at) = p.next_token();
            if token == Token::ArrEnd {
                break;
            }
            if token != Token::Comma {
                parse_error(l, "comma or array end", token, at);
            }
            (token, at) = p.next_token();
        }
        p.depth -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::strtod_prefix;

    #[test]
    fn strtod_prefix_reads_what_c_reads() {
        type Case<'a> = (&'a [u8], Option<(f64, usize)>);
        let cases: &[Case] = &[
            (b"1", Some((1.0, 1))),
            (b"-0", Some((-0.0, 2))),
            (b"1.", Some((1.0, 2))),
            (b"1e", Some((1.0, 1))),
            (b"1e5x", Some((100000.0, 3))),
            (b"1.5e-3,", Some((0.0015, 6))),
            (b"+1", Some((1.0, 2))),
            (b"0x10", Some((16.0, 4))),
            (b"0x", Some((0.0, 1))),
            (b"Infinity", Some((f64::INFINITY, 8))),
            (b"-inf]", Some((f64::NEG_INFINITY, 4))),
            (b"-", None),
            (b"-x", None),
            (b".", None),
            (b"1e400", Some((f64::INFINITY, 5))),
        ];
        for &(text, want) in cases {
            let got = strtod_prefix(text);
            match (got, want) {
                (Some((g, gu)), Some((w, wu))) => {
                    assert_eq!(
                        (g.to_bits(), gu),
                        (w.to_bits(), wu),
                        "{}",
                        text.escape_ascii()
                    )
                }
                (g, w) => assert_eq!(g.is_none(), w.is_none(), "{}", text.escape_ascii()),
            }
        }
        let (nan, used) = strtod_prefix(b"nan").expect("nan");
        assert!(nan.is_nan() && used == 3);
    }
}
