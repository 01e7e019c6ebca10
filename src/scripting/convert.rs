//! Conversions between command replies and Lua values, both ways, in RESP2
//! and RESP3, as Redis documents (and its 7.x implementation does them).
//!
//! Reply → Lua: integer → number, bulk → string, null bulk/array → false
//! (RESP3 null → nil), status → `{ok=...}`, error → `{err=...}`, array →
//! table; RESP3 map → `{map={...}}`, set → `{set={[v]=true}}`, double →
//! `{double=n}`, big number → `{big_number=s}`, verbatim →
//! `{verbatim_string={format=f, string=s}}`, boolean → boolean.
//!
//! Lua → reply: number → integer (truncated), string → bulk, table → the
//! first of `err`, `ok`, `double`, `big_number`, `verbatim_string`, `map`,
//! `set` fields that has the right type, else an array up to the first
//! nil; `true` → 1 and `false` → null, or RESP3 booleans once the script
//! called `redis.setresp(3)`; anything else → null.

use std::ffi::{CStr, c_int};

use crate::protocol::Reply;
use crate::protocol::resp_value::{self, Items, RespValue};

use super::lua::{self, L, ffi};
use super::number;
use super::redis_api::push_error_table;

/// Pushes the Lua value for a command's reply; true if it is an error
/// (then the value is the error table `redis.call` raises).
pub(crate) unsafe fn push_reply(l: L, reply: &[u8]) -> bool {
    unsafe {
        match resp_value::parse(reply) {
            Ok((value, _)) => {
                push_value(l, value);
                matches!(value, RespValue::Error(_))
            }
            Err(_) => {
                push_error_table(l, b"ERR the command wrote an invalid reply");
                true
            }
        }
    }
}

unsafe fn push_value(l: L, value: RespValue) {
    unsafe {
        if ffi::lua_checkstack(l, 4) == 0 {
            lua::raise(l, b"reached lua stack limit");
        }
        match value {
            RespValue::Integer(n) => ffi::lua_pushnumber(l, n as f64),
            RespValue::Bulk(s) => lua::push_bytes(l, s),
            RespValue::NullBulk | RespValue::NullArray => ffi::lua_pushboolean(l, 0),
            RespValue::Null => ffi::lua_pushnil(l),
            RespValue::Boolean(b) => ffi::lua_pushboolean(l, b as c_int),
            RespValue::Simple(s) => wrapped(l, c"ok", |l| lua::push_bytes(l, s)),
            RespValue::Error(s) => {
                // Redis reads the reply as "-" + text.
                ffi::lua_pushlstring_(l, c"-".as_ptr(), 1);
                lua::push_bytes(l, s);
                ffi::lua_concat(l, 2);
                let msg = lua::bytes_at(l, -1).unwrap_or_default();
                push_error_table(l, msg);
                ffi::lua_remove(l, -2);
                // The command's error was already counted in the stats.
                ffi::lua_pushboolean(l, 1);
                lua::set_top(l, -2, c"ignore_error_stats_update");
            }
            RespValue::Double(d) => wrapped(l, c"double", |l| ffi::lua_pushnumber(l, d)),
            RespValue::BigNumber(s) => wrapped(l, c"big_number", |l| lua::push_bytes(l, s)),
            RespValue::Verbatim { format, text } => wrapped(l, c"verbatim_string", |l| {
                ffi::lua_createtable(l, 0, 2);
                lua::set_string(l, -1, c"string", text);
                lua::set_string(l, -1, c"format", format);
            }),
            RespValue::Array(items) | RespValue::Push(items) => push_array(l, items),
            RespValue::Map(items) => wrapped(l, c"map", |l| push_map(l, items)),
            RespValue::Set(items) => wrapped(l, c"set", |l| push_set(l, items)),
        }
    }
}

/// Pushes `{field = <what push_inner pushes>}`.
unsafe fn wrapped(l: L, field: &CStr, push_inner: impl FnOnce(L)) {
    unsafe {
        ffi::lua_createtable(l, 0, 1);
        push_inner(l);
        lua::set_top(l, -2, field);
    }
}

fn narr(items: &Items) -> c_int {
    items.values().min(1 << 24) as c_int
}

unsafe fn push_array(l: L, items: Items) {
    unsafe {
        ffi::lua_createtable(l, narr(&items), 0);
        for (i, item) in items.enumerate() {
            ffi::lua_pushnumber(l, (i + 1) as f64);
            push_value(l, item);
            ffi::lua_settable(l, -3);
        }
    }
}

unsafe fn push_map(l: L, mut items: Items) {
    unsafe {
        ffi::lua_createtable(l, 0, narr(&items) / 2);
        while let (Some(key), Some(value)) = (items.next(), items.next()) {
            push_value(l, key);
            push_value(l, value);
            set_unless_bad_key(l);
        }
    }
}

unsafe fn push_set(l: L, items: Items) {
    unsafe {
        ffi::lua_createtable(l, 0, narr(&items));
        for item in items {
            push_value(l, item);
            ffi::lua_pushboolean(l, 1);
            set_unless_bad_key(l);
        }
    }
}

/// `t[k] = v` for the key and value on top, dropping a nil or NaN key
/// (no real reply has one; Lua would raise).
unsafe fn set_unless_bad_key(l: L) {
    unsafe {
        let bad = match ffi::lua_type(l, -2) {
            ffi::LUA_TNIL => true,
            ffi::LUA_TNUMBER => ffi::lua_tonumber(l, -2).is_nan(),
            _ => false,
        };
        if bad {
            ffi::lua_pop(l, 2);
        } else {
            ffi::lua_settable(l, -3);
        }
    }
}

/// Writes the Lua value on top of the stack (popped) as the script's
/// reply. Returns true when it is an error that came from a command, so
/// the server does not count it again.
pub(crate) unsafe fn write_lua_value(l: L, reply: &mut Reply, script_resp3: bool) -> bool {
    unsafe {
        let mut out = Out {
            reply,
            script_resp3,
            counted: false,
            depth: 0,
        };
        write_value(l, &mut out);
        out.counted
    }
}

/// Nesting deeper than this (a table containing itself, say) ends in the
/// error Redis gives when the Lua stack runs out, before the Rust stack could.
const MAX_DEPTH: usize = 2000;

/// Where a Lua value is being written.
struct Out<'r, 'b> {
    reply: &'r mut Reply<'b>,
    script_resp3: bool,
    /// An error reply came from a command (already counted in the stats).
    counted: bool,
    depth: usize,
}

unsafe fn write_value(l: L, out: &mut Out) {
    unsafe {
        out.depth += 1;
        write_value_at_depth(l, out);
        out.depth -= 1;
    }
}

unsafe fn write_value_at_depth(l: L, out: &mut Out) {
    unsafe {
        let (reply, script_resp3) = (&mut *out.reply, out.script_resp3);
        if out.depth > MAX_DEPTH || ffi::lua_checkstack(l, 4) == 0 {
            reply.error("ERR reached lua stack limit");
            ffi::lua_pop(l, 1);
            return;
        }
        match ffi::lua_type(l, -1) {
            ffi::LUA_TSTRING => reply.bulk(lua::bytes_at(l, -1).unwrap_or_default()),
            ffi::LUA_TBOOLEAN => {
                let b = ffi::lua_toboolean(l, -1) != 0;
                match (script_resp3, b) {
                    (true, _) => reply.boolean(b),
                    (false, true) => reply.int(1),
                    (false, false) => reply.null(),
                }
            }
            ffi::LUA_TNUMBER => reply.int(number::c_i64(ffi::lua_tonumber(l, -1))),
            ffi::LUA_TTABLE => write_table(l, out),
            _ => reply.null(),
        }
        ffi::lua_pop(l, 1);
    }
}

/// Pushes `t[name]` (raw) for the table on top; true if it has type `ty`,
/// else pops it again.
unsafe fn field_of_type(l: L, name: &CStr, ty: c_int) -> bool {
    unsafe {
        if lua::get_field(l, -1, name) == ty {
            return true;
        }
        ffi::lua_pop(l, 1);
        false
    }
}

unsafe fn write_table(l: L, out: &mut Out) {
    unsafe {
        let reply = &mut *out.reply;
        if field_of_type(l, c"err", ffi::LUA_TSTRING) {
            ffi::lua_pop(l, 1);
            let (msg, ignore_stats) = error_fields(l);
            out.counted |= ignore_stats;
            reply.error_bytes(msg);
            ffi::lua_pop(l, 1);
        } else if field_of_type(l, c"ok", ffi::LUA_TSTRING) {
            let text = lua::c_str_prefix(lua::bytes_at(l, -1).unwrap_or_default());
            reply.raw(b"+");
            write_without_newlines(reply, text);
            reply.raw(b"\r\n");
            ffi::lua_pop(l, 1);
        } else if field_of_type(l, c"double", ffi::LUA_TNUMBER) {
            reply.double(ffi::lua_tonumber(l, -1));
            ffi::lua_pop(l, 1);
        } else if field_of_type(l, c"big_number", ffi::LUA_TSTRING) {
            write_big_number(reply, lua::bytes_at(l, -1).unwrap_or_default());
            ffi::lua_pop(l, 1);
        } else if field_of_type(l, c"verbatim_string", ffi::LUA_TTABLE) {
            let written = write_verbatim(l, reply);
            ffi::lua_pop(l, 1);
            if !written {
                write_rest(l, out);
            }
        } else {
            write_rest(l, out);
        }
    }
}

/// The map, set and array cases, after the scalar wrappers did not apply.
unsafe fn write_rest(l: L, out: &mut Out) {
    unsafe {
        if field_of_type(l, c"map", ffi::LUA_TTABLE) {
            let mark = out.reply.mark();
            let mut pairs = 0;
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, -2) != 0 {
                ffi::lua_pushvalue(l, -2);
                ffi::lua_insert(l, -2);
                ffi::lua_pushvalue(l, -2);
                write_value(l, out);
                write_value(l, out);
                ffi::lua_pop(l, 1);
                pairs += 1;
            }
            out.reply.map_before(mark, pairs);
            ffi::lua_pop(l, 1);
        } else if field_of_type(l, c"set", ffi::LUA_TTABLE) {
            let mark = out.reply.mark();
            let mut members = 0;
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, -2) != 0 {
                ffi::lua_pop(l, 1);
                ffi::lua_pushvalue(l, -1);
                write_value(l, out);
                members += 1;
            }
            out.reply.set_before(mark, members);
            ffi::lua_pop(l, 1);
        } else {
            let mark = out.reply.mark();
            let mut len = 0;
            loop {
                ffi::lua_rawgeti_(l, -1, len + 1);
                if ffi::lua_type(l, -1) == ffi::LUA_TNIL {
                    ffi::lua_pop(l, 1);
                    break;
                }
                write_value(l, out);
                len += 1;
            }
            out.reply.array_before(mark, len as usize);
        }
    }
}

/// `{verbatim_string={format=..., string=...}}` with the table on top;
/// false (nothing written) when a field is missing.
unsafe fn write_verbatim(l: L, reply: &mut Reply) -> bool {
    unsafe {
        let table = lua::absolute(l, -1);
        if lua::get_field(l, table, c"format") != ffi::LUA_TSTRING {
            ffi::lua_pop(l, 1);
            return false;
        }
        if lua::get_field(l, table, c"string") != ffi::LUA_TSTRING {
            ffi::lua_pop(l, 2);
            return false;
        }
        let text = lua::bytes_at(l, -1).unwrap_or_default();
        let format = lua::c_str_prefix(lua::bytes_at(l, -2).unwrap_or_default());
        if reply.is_resp3() {
            let mut head = [b' '; 3];
            for (slot, b) in head.iter_mut().zip(format) {
                *slot = *b;
            }
            let mut len = itoa::Buffer::new();
            reply.raw(b"=");
            reply.raw(len.format(text.len() + 4).as_bytes());
            reply.raw(b"\r\n");
            reply.raw(&head);
            reply.raw(b":");
            reply.raw(text);
            reply.raw(b"\r\n");
        } else {
            reply.bulk(text);
        }
        ffi::lua_pop(l, 2);
        true
    }
}

fn write_big_number(reply: &mut Reply, digits: &[u8]) {
    if reply.is_resp3() {
        reply.raw(b"(");
    } else {
        let mut len = itoa::Buffer::new();
        reply.raw(b"$");
        reply.raw(len.format(digits.len()).as_bytes());
        reply.raw(b"\r\n");
    }
    write_without_newlines(reply, digits);
    reply.raw(b"\r\n");
}

/// Writes `text` with CR and LF turned into spaces, as Redis does for
/// status and big-number replies.
fn write_without_newlines(reply: &mut Reply, text: &[u8]) {
    for (i, part) in text.split(|&b| b == b'\r' || b == b'\n').enumerate() {
        if i > 0 {
            reply.raw(b" ");
        }
        reply.raw(part);
    }
}

/// The message and stats flag of the error table on top: its `err` (up to
/// a NUL, as Redis reads it) and `ignore_error_stats_update`. Leaves one
/// value pushed, which keeps the message alive; the caller pops it.
unsafe fn error_fields<'a>(l: L) -> (&'a [u8], bool) {
    unsafe {
        let ignore = lua::get_field(l, -1, c"ignore_error_stats_update") == ffi::LUA_TBOOLEAN
            && ffi::lua_toboolean(l, -1) != 0;
        ffi::lua_pop(l, 1);
        lua::get_field(l, -1, c"err");
        let msg = if ffi::lua_isstring(l, -1) != 0 {
            lua::c_str_prefix(lua::tolstring(l, -1).unwrap_or_default())
        } else {
            // Redis 7.2 crashes here; later versions report an unknown error.
            b"ERR unknown error"
        };
        (msg, ignore)
    }
}

/// Writes the error a script failed with (on top of the stack): Redis's
/// `<message> script: <name>, on <source>:<line>.` Returns the stats flag.
pub(crate) unsafe fn write_script_error(l: L, reply: &mut Reply, name: &[u8]) -> bool {
    unsafe {
        if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
            let text = lua::tolstring(l, -1).unwrap_or(b"execution failure");
            write_run_failure(reply, name, text);
            return false;
        }
        let table = lua::absolute(l, -1);
        let (msg, ignore) = error_fields(l);
        let source = text_field(l, table, c"source");
        let line = text_field(l, table, c"line");
        let mut msg_buf = Vec::with_capacity(msg.len() + name.len() + 32);
        msg_buf.extend_from_slice(msg);
        if let (Some(source), Some(line)) = (source, line) {
            msg_buf.extend_from_slice(b" script: ");
            msg_buf.extend_from_slice(name);
            msg_buf.extend_from_slice(b", on ");
            msg_buf.extend_from_slice(lua::c_str_prefix(source));
            msg_buf.push(b':');
            msg_buf.extend_from_slice(line);
            msg_buf.push(b'.');
        }
        reply.error_bytes(&msg_buf);
        ffi::lua_settop(l, table);
        ignore
    }
}

/// A string-or-number field of the table at `table`, as text; the value
/// stays pushed (keeping the text alive).
unsafe fn text_field<'a>(l: L, table: c_int, name: &CStr) -> Option<&'a [u8]> {
    unsafe {
        let t = lua::get_field(l, table, name);
        if t == ffi::LUA_TSTRING || t == ffi::LUA_TNUMBER {
            lua::tolstring(l, -1)
        } else {
            None
        }
    }
}

/// The reply for a script that failed outside Redis's error handler (out
/// of memory, an error while handling an error).
pub(crate) fn write_run_failure(reply: &mut Reply, name: &[u8], text: &[u8]) {
    let mut msg = b"ERR Error running script ".to_vec();
    msg.extend_from_slice(name);
    msg.extend_from_slice(b", ");
    msg.extend_from_slice(&text[..text.len().min(100)]);
    reply.error_bytes(&msg);
}
