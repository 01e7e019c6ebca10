//! `cjson`: JSON as lua-cjson 2.1.0 (the version Redis ships) encodes and
//! decodes it, messages included.
//!
//! Encoding: numbers with `%.14g` (`encode_number_precision`), NaN and
//! infinities refused unless `encode_invalid_numbers` allows them; a
//! table is an array when all its keys are positive integers, unless that
//! array would be "excessively sparse" (`encode_sparse_array`: more than
//! `ratio` times as many slots as items and more than `safe` slots), which
//! is an error or an object; other tables are objects whose number keys
//! become strings. `cjson.null` and nil are `null`. Decoding follows
//! strtod for numbers (so `+1`, `0x10`, `Infinity` pass while
//! `decode_invalid_numbers` is on), returns `cjson.null` for null, and
//! reports errors as `Expected <what> but found <token> at character <n>`.
//! Each module (and each `cjson.new()`) has its own configuration, kept
//! for the life of the VM as in Redis. Besides 2.1.0's options there are
//! `decode_array_with_array_mt` (later Redis releases) and
//! `encode_empty_table_as_object` (OpenResty's), both off by default.

use std::ffi::{CStr, c_char, c_int, c_void};

use crate::scripting::lua::{self, L, ffi, lua_functions};
use crate::scripting::number;
use crate::scripting::vm::Shared;

/// Nesting past this ends encoding or decoding whatever the configured
/// depth, before the Rust stack could run out.
const HARD_DEPTH_LIMIT: i32 = 2000;

static ARRAY_MT: u8 = 0;

#[derive(Clone, Copy)]
struct Config {
    sparse_convert: bool,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    precision: i32,
    keep_buffer: bool,
    /// 0 off, 1 on, 2 as null.
    encode_invalid_numbers: u8,
    decode_invalid_numbers: bool,
    decode_array_with_array_mt: bool,
    empty_table_as_object: bool,
}

const DEFAULT_CONFIG: Config = Config {
    sparse_convert: false,
    sparse_ratio: 2,
    sparse_safe: 10,
    encode_max_depth: 1000,
    decode_max_depth: 1000,
    precision: 14,
    keep_buffer: true,
    encode_invalid_numbers: 0,
    decode_invalid_numbers: true,
    decode_array_with_array_mt: false,
    empty_table_as_object: true,
};

unsafe fn config<'a>(l: L) -> &'a mut Config {
    unsafe { &mut *ffi::lua_touserdata(l, ffi::lua_upvalueindex(2)).cast::<Config>() }
}

unsafe fn shared<'a>(l: L) -> &'a mut Shared {
    unsafe { &mut *lua::upvalue::<Shared>(l) }
}

lua_functions! {
    encode_fn => encode_impl;
    decode_fn => decode_impl;
    new_fn => new_impl;
    sparse_fn => sparse_impl;
    encode_depth_fn => encode_depth_impl;
    decode_depth_fn => decode_depth_impl;
    precision_fn => precision_impl;
    keep_buffer_fn => keep_buffer_impl;
    encode_invalid_fn => encode_invalid_impl;
    decode_invalid_fn => decode_invalid_impl;
    array_mt_fn => array_mt_impl;
    empty_object_fn => empty_object_impl;
}

/// Pushes a new cjson module table with its own configuration.
unsafe fn push_module(l: L, up: *mut c_void) {
    unsafe {
        let functions: [(&CStr, ffi::lua_CFunction); 12] = [
            (c"encode", encode_fn),
            (c"decode", decode_fn),
            (c"new", new_fn),
            (c"encode_sparse_array", sparse_fn),
            (c"encode_max_depth", encode_depth_fn),
            (c"decode_max_depth", decode_depth_fn),
            (c"encode_number_precision", precision_fn),
            (c"encode_keep_buffer", keep_buffer_fn),
            (c"encode_invalid_numbers", encode_invalid_fn),
            (c"decode_invalid_numbers", decode_invalid_fn),
            (c"decode_array_with_array_mt", array_mt_fn),
            (c"encode_empty_table_as_object", empty_object_fn),
        ];
        ffi::lua_createtable(l, 0, functions.len() as c_int + 3);
        let cfg = ffi::lua_newuserdata(l, std::mem::size_of::<Config>()).cast::<Config>();
        cfg.write(DEFAULT_CONFIG);
        let cfg_idx = ffi::lua_gettop(l);
        for (name, f) in functions {
            ffi::lua_pushstring_(l, name.as_ptr());
            ffi::lua_pushlightuserdata(l, up);
            ffi::lua_pushvalue(l, cfg_idx);
            ffi::lua_pushcclosure(l, f, 2);
            ffi::lua_rawset(l, cfg_idx - 1);
        }
        ffi::lua_pop(l, 1);
        ffi::lua_pushlightuserdata(l, std::ptr::null_mut());
        lua::set_top(l, -2, c"null");
        lua::set_string(l, -1, c"_NAME", b"cjson");
        lua::set_string(l, -1, c"_VERSION", b"2.1.0");
    }
}

/// Sets the global `cjson` table.
pub(crate) unsafe fn open(l: L, up: *mut c_void) {
    unsafe {
        ffi::lua_pushlightuserdata(l, &ARRAY_MT as *const u8 as *mut c_void);
        ffi::lua_createtable(l, 0, 1);
        ffi::lua_pushboolean(l, 1);
        lua::set_top(l, -2, c"__is_cjson_array");
        ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
        push_module(l, up);
        lua::set_top(l, ffi::LUA_GLOBALSINDEX, c"cjson");
    }
}

unsafe fn new_impl(l: L) -> c_int {
    unsafe {
        push_module(l, ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)));
        1
    }
}

/// Raises when a configuration function got more than `max` arguments;
/// pads the arguments to `max`, so results land after them.
unsafe fn check_arg_count(l: L, max: c_int) {
    unsafe {
        if ffi::lua_gettop(l) > max {
            ffi::luaL_argerror(l, max + 1, c"found too many arguments".as_ptr());
        }
        ffi::lua_settop(l, max);
    }
}

/// An on/off option (booleans or "on"/"off"); pushes the setting.
unsafe fn bool_option(l: L, idx: c_int, setting: &mut bool) {
    unsafe {
        if ffi::lua_type(l, idx) > ffi::LUA_TNIL {
            if ffi::lua_type(l, idx) == ffi::LUA_TBOOLEAN {
                *setting = ffi::lua_toboolean(l, idx) != 0;
            } else {
                let options: [*const c_char; 3] =
                    [c"off".as_ptr(), c"on".as_ptr(), std::ptr::null()];
                *setting = ffi::luaL_checkoption(l, idx, std::ptr::null(), options.as_ptr()) == 1;
            }
        }
        ffi::lua_pushboolean(l, *setting as c_int);
    }
}

/// An integer option within `min..=max`; pushes the setting.
unsafe fn int_option(l: L, idx: c_int, setting: &mut i32, min: i32, max: i32) {
    unsafe {
        if ffi::lua_type(l, idx) > ffi::LUA_TNIL {
            let value = ffi::luaL_checkinteger(l, idx);
            if value < min as i64 || value > max as i64 {
                let msg =
                    lua::StackText::new(format_args!("expected integer between {min} and {max}"));
                lua::arg_error(l, 1, msg.as_bytes());
            }
            *setting = value as i32;
        }
        ffi::lua_pushinteger(l, *setting as ffi::lua_Integer);
    }
}

unsafe fn sparse_impl(l: L) -> c_int {
    unsafe {
        check_arg_count(l, 3);
        let cfg = config(l);
        bool_option(l, 1, &mut cfg.sparse_convert);
        int_option(l, 2, &mut cfg.sparse_ratio, 0, i32::MAX);
        int_option(l, 3, &mut cfg.sparse_safe, 0, i32::MAX);
        3
    }
}

unsafe fn encode_depth_impl(l: L) -> c_int {
    unsafe {
        check_arg_count(l, 1);
        int_option(l, 1, &mut config(l).encode_max_depth, 1, i32::MAX);
        1
    }
}

unsafe fn decode_depth_impl(l: L) -> c_int {
    unsafe {
        check_arg_count(l, 1);
        int_option(l, 1, &mut config(l).decode_max_depth, 1, i32::MAX);
        1
    }
}

unsafe fn precision_impl(l: L) -> c_int {
    unsafe {
        check_arg_count(l, 1);
        int_option(l, 1, &mut config(l).precision, 1, 14);
        1
    }
}

unsafe fn keep_buffer_impl(l: L) -> c_int {
    unsafe {
        check_arg_count(l, 1);
        bool_option(l, 1, &mut config(l).keep_buffer);
        1
    }
}

unsafe fn encode_invalid_impl(l: L) -> c_int {
    unsafe {
        check_arg_count(l, 1);
        let cfg = config(l);
        if ffi::lua_type(l, 1) == ffi::LUA_TBOOLEAN {
            cfg.encode_invalid_numbers = ffi::lua_toboolean(l, 1) as u8;
        } else if ffi::lua_type(l, 1) > ffi::LUA_TNIL {
            let options: [*const c_char; 4] = [
                c"off".as_ptr(),
                c"on".as_ptr(),
                c"null".as_ptr(),
                std::ptr::null(),
            ];
            cfg.encode_invalid_numbers =
                ffi::luaL_checkoption(l, 1, std::ptr::null(), options.as_ptr()) as u8;
        }
        match cfg.encode_invalid_numbers {
            2 => lua::push_bytes(l, b"null"),
            n => ffi::lua_pushboolean(l, n as c_int),
        }
        1
    }
}

unsafe fn decode_invalid_impl(l: L) -> c_int {
    unsafe {
        check_arg_count(l, 1);
        bool_option(l, 1, &mut config(l).decode_invalid_numbers);
        1
    }
}

unsafe fn array_mt_impl(l: L) -> c_int {
    unsafe {
        check_arg_count(l, 1);
        bool_option(l, 1, &mut config(l).decode_array_with_array_mt);
        1
    }
}

unsafe fn empty_object_impl(l: L) -> c_int {
    unsafe {
        check_arg_count(l, 1);
        bool_option(l, 1, &mut config(l).empty_table_as_object);
        1
    }
}

// ---------------------------------------------------------------- encoding

unsafe fn encode_impl(l: L) -> c_int {
    unsafe {
        if ffi::lua_gettop(l) != 1 {
            ffi::luaL_argerror(l, 1, c"expected 1 argument".as_ptr());
        }
        let cfg = *config(l);
        let out = &mut shared(l).scratch;
        out.clear();
        append_value(l, &cfg, out, 0);
        lua::push_bytes(l, out);
        1
    }
}

/// `Cannot serialise <type of value at idx>: <reason>`.
unsafe fn encode_error(l: L, idx: c_int, reason: &str) -> ! {
    unsafe {
        let ty = CStr::from_ptr(ffi::lua_typename(l, ffi::lua_type(l, idx)));
        lua::raise_fmt(
            l,
            format_args!("Cannot serialise {}: {reason}", ty.to_string_lossy()),
        )
    }
}

unsafe fn append_number(l: L, cfg: &Config, out: &mut Vec<u8>, idx: c_int) {
    unsafe {
        let n = ffi::lua_tonumber(l, idx);
        if n.is_finite() {
            number::write_g(out, n, cfg.precision as usize);
            return;
        }
        match cfg.encode_invalid_numbers {
            0 => encode_error(l, idx, "must not be NaN or Inf"),
            1 if n.is_nan() => out.extend_from_slice(b"nan"),
            1 => number::write_g(out, n, cfg.precision as usize),
            _ => out.extend_from_slice(b"null"),
        }
    }
}

fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f | 0x7f => {
                out.extend_from_slice(b"\\u00");
                out.push(b"0123456789abcdef"[(b >> 4) as usize]);
                out.push(b"0123456789abcdef"[(b & 15) as usize]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// Encodes the value on top of the stack (left there).
unsafe fn append_value(l: L, cfg: &Config, out: &mut Vec<u8>, depth: i32) {
    unsafe {
        match ffi::lua_type(l, -1) {
            ffi::LUA_TSTRING => append_string(out, lua::bytes_at(l, -1).unwrap_or_default()),
            ffi::LUA_TNUMBER => append_number(l, cfg, out, -1),
            ffi::LUA_TBOOLEAN => out.extend_from_slice(if ffi::lua_toboolean(l, -1) != 0 {
                b"true"
            } else {
                b"false"
            }),
            ffi::LUA_TTABLE => append_table(l, cfg, out, depth + 1),
            ffi::LUA_TNIL => out.extend_from_slice(b"null"),
            ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(l, -1).is_null() => {
                out.extend_from_slice(b"null")
            }
            _ => encode_error(l, -1, "type not supported"),
        }
    }
}

/// The array length of the table on top: its largest key when every key
/// is a positive integer, `None` when it must be an object. Raises on an
/// excessively sparse array unless those convert to objects.
unsafe fn array_length(l: L, cfg: &Config) -> Option<i32> {
    unsafe {
        let (mut max, mut items) = (0i32, 0i64);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            let k = ffi::lua_tonumber(l, -2);
            if ffi::lua_type(l, -2) != ffi::LUA_TNUMBER || k == 0.0 || k.floor() != k || k < 1.0 {
                ffi::lua_pop(l, 2);
                return None;
            }
            if k > max as f64 {
                max = number::c_i32(k);
            }
            items += 1;
            ffi::lua_pop(l, 1);
        }
        let max64 = max as i64;
        if cfg.sparse_ratio > 0
            && max64 > items * cfg.sparse_ratio as i64
            && max64 > cfg.sparse_safe as i64
        {
            if !cfg.sparse_convert {
                encode_error(l, -1, "excessively sparse array");
            }
            return None;
        }
        Some(max)
    }
}

/// Whether the table on top carries the array metatable of decoded arrays.
unsafe fn has_array_mt(l: L) -> bool {
    unsafe {
        if ffi::lua_getmetatable(l, -1) == 0 {
            return false;
        }
        let marked = lua::get_field(l, -1, c"__is_cjson_array") == ffi::LUA_TBOOLEAN
            && ffi::lua_toboolean(l, -1) != 0;
        ffi::lua_pop(l, 2);
        marked
    }
}

unsafe fn append_table(l: L, cfg: &Config, out: &mut Vec<u8>, depth: i32) {
    unsafe {
        if depth > cfg.encode_max_depth
            || depth > HARD_DEPTH_LIMIT
            || ffi::lua_checkstack(l, 3) == 0
        {
            lua::raise_fmt(
                l,
                format_args!("Cannot serialise, excessive nesting ({depth})"),
            );
        }
        let marked = has_array_mt(l);
        let len = if marked {
            Some(ffi::lua_objlen(l, -1).min(i32::MAX as usize) as i32)
        } else {
            array_length(l, cfg)
        };
        match len {
            Some(len) if marked || len > 0 || (len == 0 && !cfg.empty_table_as_object) => {
                out.push(b'[');
                for i in 1..=len {
                    if i > 1 {
                        out.push(b',');
                    }
                    ffi::lua_rawgeti_(l, -1, i);
                    append_value(l, cfg, out, depth);
                    ffi::lua_pop(l, 1);
                }
                out.push(b']');
            }
            _ => append_object(l, cfg, out, depth),
        }
    }
}

unsafe fn append_object(l: L, cfg: &Config, out: &mut Vec<u8>, depth: i32) {
    unsafe {
        out.push(b'{');
        let mut first = true;
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            if !first {
                out.push(b',');
            }
            first = false;
            match ffi::lua_type(l, -2) {
                ffi::LUA_TNUMBER => {
                    out.push(b'"');
                    append_number(l, cfg, out, -2);
                    out.extend_from_slice(b"\":");
                }
                ffi::LUA_TSTRING => {
                    append_string(out, lua::bytes_at(l, -2).unwrap_or_default());
                    out.push(b':');
                }
                _ => encode_error(l, -2, "table key must be a number or string"),
            }
            append_value(l, cfg, out, depth);
            ffi::lua_pop(l, 1);
        }
        out.push(b'}');
    }
}

// ---------------------------------------------------------------- decoding

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

unsafe fn decode_impl(l: L) -> c_int {
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
            ffi::lua_pushlightuserdata(l, &ARRAY_MT as *const u8 as *mut c_void);
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
