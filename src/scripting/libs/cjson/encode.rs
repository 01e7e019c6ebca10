//! cjson.encode: Lua values to JSON text.

use std::ffi::{CStr, c_int};

use super::{Config, HARD_DEPTH_LIMIT, config, shared};
use crate::scripting::lua::{self, L, ffi};
use crate::scripting::number;

pub(super) unsafe fn encode_impl(l: L) -> c_int {
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
