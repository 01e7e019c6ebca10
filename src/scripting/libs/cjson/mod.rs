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
use crate::scripting::vm::Shared;

/// Nesting past this ends encoding or decoding whatever the configured
/// depth, before the Rust stack could run out.
pub(super) const HARD_DEPTH_LIMIT: i32 = 2000;

static ARRAY_MT: u8 = 0;

/// The registry key of the metatable marking decoded arrays.
fn array_mt_key() -> *mut c_void {
    &ARRAY_MT as *const u8 as *mut c_void
}

#[derive(Clone, Copy)]
pub(super) struct Config {
    pub(super) sparse_convert: bool,
    pub(super) sparse_ratio: i32,
    pub(super) sparse_safe: i32,
    pub(super) encode_max_depth: i32,
    pub(super) decode_max_depth: i32,
    pub(super) precision: i32,
    pub(super) keep_buffer: bool,
    /// 0 off, 1 on, 2 as null.
    pub(super) encode_invalid_numbers: u8,
    pub(super) decode_invalid_numbers: bool,
    pub(super) decode_array_with_array_mt: bool,
    pub(super) empty_table_as_object: bool,
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

pub(super) unsafe fn config<'a>(l: L) -> &'a mut Config {
    unsafe { &mut *ffi::lua_touserdata(l, ffi::lua_upvalueindex(2)).cast::<Config>() }
}

pub(super) unsafe fn shared<'a>(l: L) -> &'a mut Shared {
    unsafe { &mut *lua::upvalue::<Shared>(l) }
}

mod decode;
mod encode;

lua_functions! {
    encode_fn => encode::encode_impl;
    decode_fn => decode::decode_impl;
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
        ffi::lua_pushlightuserdata(l, array_mt_key());
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
