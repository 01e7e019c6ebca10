//! `cmsgpack`: MessagePack as lua-cmsgpack 0.4.0 (the version Redis ships)
//! writes and reads it.
//!
//! Packing: integral numbers use the smallest integer encoding, other
//! numbers a float32 when that is exact and a float64 otherwise; strings
//! use fixstr/str8/16/32; a table whose keys are exactly 1..n is an array,
//! any other table a map (in `next` order); nesting past 16 tables and
//! values with no MessagePack form (functions, userdata, threads) are nil.
//! Unpacking understands that subset (bin and ext types are bad data) and
//! returns every value of a stream; `unpack_one`/`unpack_limit` also
//! return the offset to resume from (-1 once the input is used up).

use std::ffi::{CStr, c_int, c_void};

use crate::scripting::lua::{self, L, ffi, lua_functions};
use crate::scripting::number;
use crate::scripting::vm::Shared;

/// Tables nested deeper than this are packed as nil.
const MAX_NESTING: usize = 16;

lua_functions! {
    pack_fn => pack_impl;
    unpack_fn => unpack_impl;
    unpack_one_fn => unpack_one_impl;
    unpack_limit_fn => unpack_limit_impl;
}

unsafe fn pack_impl(l: L) -> c_int {
    unsafe {
        let argc = ffi::lua_gettop(l);
        if argc == 0 {
            ffi::luaL_argerror(l, 0, c"MessagePack pack needs input.".as_ptr());
        }
        let shared = &mut *lua::upvalue::<Shared>(l);
        let out = &mut shared.scratch;
        out.clear();
        for i in 1..=argc {
            ffi::lua_pushvalue(l, i);
            encode(l, out, 0);
        }
        lua::push_bytes(l, out);
        1
    }
}

/// Encodes the value on top of the stack and pops it.
unsafe fn encode(l: L, out: &mut Vec<u8>, level: usize) {
    unsafe {
        let mut t = ffi::lua_type(l, -1);
        if t == ffi::LUA_TTABLE && level == MAX_NESTING {
            t = ffi::LUA_TNIL;
        }
        match t {
            ffi::LUA_TBOOLEAN => out.push(if ffi::lua_toboolean(l, -1) != 0 {
                0xc3
            } else {
                0xc2
            }),
            ffi::LUA_TNUMBER => encode_number(out, ffi::lua_tonumber(l, -1)),
            ffi::LUA_TSTRING => encode_bytes(out, lua::bytes_at(l, -1).unwrap_or_default()),
            ffi::LUA_TTABLE => encode_table(l, out, level),
            _ => out.push(0xc0),
        }
        ffi::lua_pop(l, 1);
    }
}

fn encode_number(out: &mut Vec<u8>, n: f64) {
    let as_int = number::c_i64(n);
    if !n.is_infinite() && as_int as f64 == n {
        encode_integer(out, as_int);
    } else if (n as f32) as f64 == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_integer(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        match n {
            0..=127 => out.push(n as u8),
            128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
            0x100..=0xffff => {
                out.push(0xcd);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0xce);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                out.push(0xcf);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
    } else {
        match n {
            -32..=-1 => out.push(n as i8 as u8),
            -128..=-33 => out.extend_from_slice(&[0xd0, n as i8 as u8]),
            -32768..=-129 => {
                out.push(0xd1);
                out.extend_from_slice(&(n as i16).to_be_bytes());
            }
            -2_147_483_648..=-32769 => {
                out.push(0xd2);
                out.extend_from_slice(&(n as i32).to_be_bytes());
            }
            _ => {
                out.push(0xd3);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
    }
}

fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// An aggregate header: fix form below 16 items, then 16- and 32-bit counts.
fn encode_header(out: &mut Vec<u8>, len: usize, fix: u8, wide: u8) {
    if len < 16 {
        out.push(fix | len as u8);
    } else if len <= 0xffff {
        out.push(wide);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(wide + 1);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// Whether the table on top has exactly the keys 1..n.
unsafe fn is_array(l: L) -> bool {
    unsafe {
        let (mut count, mut max) = (0i64, 0i64);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            ffi::lua_pop(l, 1);
            let n = ffi::lua_tonumber(l, -1);
            let integral = !n.is_infinite() && number::c_i32(n) as f64 == n;
            if ffi::lua_type(l, -1) != ffi::LUA_TNUMBER || n <= 0.0 || !integral {
                ffi::lua_pop(l, 1);
                return false;
            }
            max = max.max(n as i64);
            count += 1;
        }
        max == count
    }
}

unsafe fn encode_table(l: L, out: &mut Vec<u8>, level: usize) {
    unsafe {
        ffi::luaL_checkstack_(l, 3, c"in function mp_encode_lua_table".as_ptr());
        if is_array(l) {
            let len = ffi::lua_objlen(l, -1);
            encode_header(out, len, 0x90, 0xdc);
            for i in 1..=len {
                ffi::lua_rawgeti_(l, -1, i as c_int);
                encode(l, out, level + 1);
            }
        } else {
            let mut len = 0;
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, -2) != 0 {
                ffi::lua_pop(l, 1);
                len += 1;
            }
            encode_header(out, len, 0x80, 0xde);
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, -2) != 0 {
                ffi::lua_pushvalue(l, -2);
                encode(l, out, level + 1);
                encode(l, out, level + 1);
            }
        }
    }
}

/// Why decoding stopped.
enum DecodeError {
    /// "Missing bytes in input."
    Eof,
    /// "Bad data format in input."
    BadFormat,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.left() < n {
            return Err(DecodeError::Eof);
        }
        let bytes = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn uint(&mut self, width: usize) -> Result<usize, DecodeError> {
        Ok(match width {
            1 => self.array::<1>()?[0] as usize,
            2 => u16::from_be_bytes(self.array()?) as usize,
            _ => u32::from_be_bytes(self.array()?) as usize,
        })
    }
}

/// Decodes one value and pushes it.
unsafe fn decode(l: L, c: &mut Cursor) -> Result<(), DecodeError> {
    unsafe {
        let tag = c.array::<1>()?[0];
        match tag {
            0x00..=0x7f => ffi::lua_pushnumber(l, tag as f64),
            0xe0..=0xff => ffi::lua_pushnumber(l, tag as i8 as f64),
            0xa0..=0xbf => decode_string(l, c, (tag & 0x1f) as usize)?,
            0x90..=0x9f => decode_array(l, c, (tag & 0x0f) as usize)?,
            0x80..=0x8f => decode_map(l, c, (tag & 0x0f) as usize)?,
            0xc0 => ffi::lua_pushnil(l),
            0xc2 => ffi::lua_pushboolean(l, 0),
            0xc3 => ffi::lua_pushboolean(l, 1),
            0xcc => ffi::lua_pushnumber(l, c.array::<1>()?[0] as f64),
            0xcd => ffi::lua_pushnumber(l, u16::from_be_bytes(c.array()?) as f64),
            0xce => ffi::lua_pushnumber(l, u32::from_be_bytes(c.array()?) as f64),
            // lua-cmsgpack reads uint64 into a signed integer.
            0xcf => ffi::lua_pushnumber(l, u64::from_be_bytes(c.array()?) as i64 as f64),
            0xd0 => ffi::lua_pushnumber(l, c.array::<1>()?[0] as i8 as f64),
            0xd1 => ffi::lua_pushnumber(l, i16::from_be_bytes(c.array()?) as f64),
            0xd2 => ffi::lua_pushnumber(l, i32::from_be_bytes(c.array()?) as f64),
            0xd3 => ffi::lua_pushnumber(l, i64::from_be_bytes(c.array()?) as f64),
            0xca => ffi::lua_pushnumber(l, f32::from_be_bytes(c.array()?) as f64),
            0xcb => ffi::lua_pushnumber(l, f64::from_be_bytes(c.array()?)),
            0xd9..=0xdb => {
                let len = c.uint(1 << (tag - 0xd9))?;
                decode_string(l, c, len)?
            }
            0xdc | 0xdd => {
                let len = c.uint(2 << (tag - 0xdc))?;
                decode_array(l, c, len)?
            }
            0xde | 0xdf => {
                let len = c.uint(2 << (tag - 0xde))?;
                decode_map(l, c, len)?
            }
            _ => return Err(DecodeError::BadFormat),
        }
        Ok(())
    }
}

unsafe fn decode_string(l: L, c: &mut Cursor, len: usize) -> Result<(), DecodeError> {
    unsafe {
        let bytes = c.take(len)?;
        lua::push_bytes(l, bytes);
        Ok(())
    }
}

unsafe fn decode_array(l: L, c: &mut Cursor, len: usize) -> Result<(), DecodeError> {
    unsafe {
        ffi::luaL_checkstack_(l, 3, c"in function mp_decode_to_lua_array".as_ptr());
        ffi::lua_createtable(l, 0, 0);
        for i in 1..=len {
            ffi::lua_pushnumber(l, i as f64);
            decode(l, c)?;
            ffi::lua_settable(l, -3);
        }
        Ok(())
    }
}

unsafe fn decode_map(l: L, c: &mut Cursor, len: usize) -> Result<(), DecodeError> {
    unsafe {
        ffi::luaL_checkstack_(l, 3, c"in function mp_decode_to_lua_hash".as_ptr());
        ffi::lua_createtable(l, 0, 0);
        for _ in 0..len {
            decode(l, c)?;
            decode(l, c)?;
            match ffi::lua_type(l, -2) {
                ffi::LUA_TNIL => lua::raise_plain(l, b"table index is nil"),
                ffi::LUA_TNUMBER if ffi::lua_tonumber(l, -2).is_nan() => {
                    lua::raise_plain(l, b"table index is NaN")
                }
                _ => ffi::lua_settable(l, -3),
            }
        }
        Ok(())
    }
}

/// Decodes up to `limit` values (all of them when limit and offset are 0)
/// of the string argument from `offset`; without "all", also returns the
/// offset to continue from, first.
unsafe fn unpack_full(l: L, limit: i32, offset: i32) -> c_int {
    unsafe {
        let mut len = 0;
        let p = ffi::luaL_checklstring(l, 1, &mut len);
        let data: &[u8] = std::slice::from_raw_parts(p.cast(), len);
        let decode_all = limit == 0 && offset == 0;
        if offset < 0 || limit < 0 {
            lua::raise_fmt(
                l,
                format_args!(
                    "Invalid request to unpack with offset of {offset} and limit of {}.",
                    len as i32
                ),
            );
        }
        if offset as usize > len {
            lua::raise_fmt(
                l,
                format_args!(
                    "Start offset {offset} greater than input length {}.",
                    len as i32
                ),
            );
        }
        let limit = if decode_all { i32::MAX } else { limit };
        let mut cursor = Cursor {
            data,
            pos: offset as usize,
        };
        let mut count = 0;
        while cursor.left() > 0 && count < limit {
            ffi::luaL_checkstack_(l, 1, c"in function mp_unpack_full".as_ptr());
            match decode(l, &mut cursor) {
                Ok(()) => count += 1,
                Err(DecodeError::Eof) => lua::raise(l, b"Missing bytes in input."),
                Err(DecodeError::BadFormat) => lua::raise(l, b"Bad data format in input."),
            }
        }
        if decode_all {
            return count;
        }
        let next = if cursor.left() == 0 {
            -1
        } else {
            cursor.pos as i64
        };
        ffi::lua_pushinteger(l, next as ffi::lua_Integer);
        ffi::lua_insert(l, -(count + 1));
        count + 1
    }
}

unsafe fn unpack_impl(l: L) -> c_int {
    unsafe { unpack_full(l, 0, 0) }
}

unsafe fn unpack_one_impl(l: L) -> c_int {
    unsafe {
        let offset = ffi::luaL_optinteger(l, 2, 0) as i32;
        ffi::lua_settop(l, 1);
        unpack_full(l, 1, offset)
    }
}

unsafe fn unpack_limit_impl(l: L) -> c_int {
    unsafe {
        let limit = ffi::luaL_checkinteger(l, 2) as i32;
        let offset = ffi::luaL_optinteger(l, 3, 0) as i32;
        ffi::lua_settop(l, 1);
        unpack_full(l, limit, offset)
    }
}

/// Sets the global `cmsgpack` table.
pub(crate) unsafe fn open(l: L, up: *mut c_void) {
    unsafe {
        let functions: [(&CStr, ffi::lua_CFunction); 4] = [
            (c"pack", pack_fn),
            (c"unpack", unpack_fn),
            (c"unpack_one", unpack_one_fn),
            (c"unpack_limit", unpack_limit_fn),
        ];
        lua::push_library(l, &functions, up);
        lua::set_string(l, -1, c"_NAME", b"cmsgpack");
        lua::set_string(l, -1, c"_VERSION", b"lua-cmsgpack 0.4.0");
        lua::set_string(
            l,
            -1,
            c"_COPYRIGHT",
            b"Copyright (C) 2012, Salvatore Sanfilippo",
        );
        lua::set_string(
            l,
            -1,
            c"_DESCRIPTION",
            b"MessagePack C implementation for Lua",
        );
        lua::set_top(l, ffi::LUA_GLOBALSINDEX, c"cmsgpack");
    }
}
