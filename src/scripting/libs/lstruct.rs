//! `struct`: pack/unpack/size of binary records, with Roberto Ierusalimschy's
//! format language as Redis ships it. Options: `>`/`<` big/little endian,
//! `!n` maximum alignment (power of 2, default 8), `b`/`B` char, `h`/`H`
//! short, `l`/`L` long, `T` size_t, `i`/`I` int (`in` for an n-byte int,
//! n ≤ 32), `f` float, `d` double, `s` zero-terminated string, `cn` n
//! chars (`c0`: the whole string, or when unpacking the length given by
//! the previous number), `x` a padding byte, spaces ignored. Integers wider
//! than 64 bits keep only their low 64 bits, shifts behaving as on x86-64.

use std::ffi::{CStr, c_int, c_void};

use crate::scripting::lua::{self, L, ffi, lua_functions};
use crate::scripting::number;
use crate::scripting::vm::Shared;

const MAX_INT_SIZE: usize = 32;
/// The alignment of a double on x86-64, `!`'s default.
const MAX_ALIGN: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endian {
    Big,
    Little,
}

struct Header {
    endian: Endian,
    align: usize,
}

impl Header {
    fn new() -> Header {
        Header {
            endian: Endian::Little,
            align: 1,
        }
    }
}

/// A format string being read.
struct Format<'a> {
    fmt: &'a [u8],
    pos: usize,
}

impl Format<'_> {
    fn next(&mut self) -> Option<u8> {
        let c = self.fmt.get(self.pos).copied().filter(|&c| c != 0)?;
        self.pos += 1;
        Some(c)
    }

    /// The decimal number that follows, or `default` when none does.
    unsafe fn number(&mut self, l: L, default: usize) -> usize {
        if !self.fmt.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return default;
        }
        let mut a: usize = 0;
        while let Some(&d) = self.fmt.get(self.pos).filter(|d| d.is_ascii_digit()) {
            let d = (d - b'0') as usize;
            if a > (i32::MAX as usize) / 10 || a * 10 > i32::MAX as usize - d {
                unsafe { lua::raise(l, b"integral size overflow") };
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        a
    }
}

/// The size of option `opt` (reading its count), 0 for control options.
unsafe fn option_size(l: L, opt: u8, fmt: &mut Format) -> usize {
    unsafe {
        match opt {
            b'B' | b'b' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'x' => 1,
            b'c' => fmt.number(l, 1),
            b'i' | b'I' => {
                let size = fmt.number(l, 4);
                if size > MAX_INT_SIZE {
                    lua::raise_fmt(
                        l,
                        format_args!("integral size {size} is larger than limit of {MAX_INT_SIZE}"),
                    );
                }
                size
            }
            _ => 0,
        }
    }
}

/// Padding needed before an item of `size` at offset `len`.
fn padding(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size - (len & (size - 1))) & (size - 1)
}

/// Applies a control option (endianness, alignment, space) or raises.
unsafe fn control(l: L, opt: u8, fmt: &mut Format, h: &mut Header) {
    unsafe {
        match opt {
            b' ' => {}
            b'>' => h.endian = Endian::Big,
            b'<' => h.endian = Endian::Little,
            b'!' => {
                let a = fmt.number(l, MAX_ALIGN);
                if !a.is_power_of_two() {
                    lua::raise_fmt(l, format_args!("alignment {a} is not a power of 2"));
                }
                h.align = a;
            }
            _ => {
                let mut msg = *b"invalid format option '?'";
                msg[23] = opt;
                lua::arg_error(l, 1, &msg);
            }
        }
    }
}

unsafe fn format_arg<'a>(l: L) -> Format<'a> {
    unsafe {
        let mut len = 0;
        let p = ffi::luaL_checklstring(l, 1, &mut len);
        Format {
            fmt: std::slice::from_raw_parts(p.cast(), len),
            pos: 0,
        }
    }
}

lua_functions! {
    pack_fn => pack_impl;
    unpack_fn => unpack_impl;
    size_fn => size_impl;
}

/// Little-endian bytes put in `endian` order (or back).
fn ordered<const N: usize>(mut bytes: [u8; N], endian: Endian) -> [u8; N] {
    if endian == Endian::Big {
        bytes.reverse();
    }
    bytes
}

/// The first N bytes of `data`, which has at least that many.
fn read<const N: usize>(data: &[u8]) -> [u8; N] {
    let mut bytes = [0u8; N];
    bytes.copy_from_slice(&data[..N]);
    bytes
}

/// Appends the `size` low-order bytes of `value` in `endian` order; bytes
/// past the 8th are what C's repeated `value >>= 8` leaves: zeros.
fn put_integer(out: &mut Vec<u8>, value: u64, endian: Endian, size: usize) {
    let start = out.len();
    let mut v = value;
    for _ in 0..size {
        out.push((v & 0xff) as u8);
        v >>= 8;
    }
    if endian == Endian::Big {
        out[start..].reverse();
    }
}

unsafe fn pack_impl(l: L) -> c_int {
    unsafe {
        let mut fmt = format_arg(l);
        let shared = &mut *lua::upvalue::<Shared>(l);
        // Marks the end of the arguments, as Redis's struct does: a missing
        // argument is reported as "got nil".
        ffi::lua_pushnil(l);
        let out = &mut shared.scratch;
        out.clear();
        let mut h = Header::new();
        let mut arg = 2;
        while let Some(opt) = fmt.next() {
            let mut size = option_size(l, opt, &mut fmt);
            let pad = padding(out.len(), &h, opt, size);
            out.resize(out.len() + pad, 0);
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let n = ffi::luaL_checknumber(l, arg);
                    arg += 1;
                    let value = if n < 0.0 {
                        number::c_i64(n) as u64
                    } else {
                        number::c_u64(n)
                    };
                    put_integer(out, value, h.endian, size);
                }
                b'x' => out.push(0),
                b'f' => {
                    let f = ffi::luaL_checknumber(l, arg) as f32;
                    arg += 1;
                    out.extend_from_slice(&ordered(f.to_le_bytes(), h.endian));
                }
                b'd' => {
                    let d = ffi::luaL_checknumber(l, arg);
                    arg += 1;
                    out.extend_from_slice(&ordered(d.to_le_bytes(), h.endian));
                }
                b'c' | b's' => {
                    let mut len = 0;
                    let p = ffi::luaL_checklstring(l, arg, &mut len);
                    arg += 1;
                    if size == 0 {
                        size = len;
                    }
                    if len < size {
                        ffi::luaL_argerror(l, arg, c"string too short".as_ptr());
                    }
                    out.extend_from_slice(std::slice::from_raw_parts(p.cast(), size));
                    if opt == b's' {
                        out.push(0);
                    }
                }
                _ => control(l, opt, &mut fmt, &mut h),
            }
        }
        lua::push_bytes(l, &shared.scratch);
        1
    }
}

/// `getinteger`: `size` bytes read into a 64-bit value (wider ones keep
/// their low bytes), sign-extended for signed options.
fn get_integer(data: &[u8], endian: Endian, signed: bool) -> f64 {
    let mut v: u64 = 0;
    let mut take = |b: u8| v = (v << 8) | b as u64;
    match endian {
        Endian::Big => data.iter().for_each(|&b| take(b)),
        Endian::Little => data.iter().rev().for_each(|&b| take(b)),
    }
    if !signed {
        return v as f64;
    }
    // C shifts by the count modulo 64 on x86-64.
    let shift = ((data.len() * 8).wrapping_sub(1) & 63) as u32;
    let mask = u64::MAX << shift;
    if v & mask != 0 {
        v |= mask;
    }
    v as i64 as f64
}

unsafe fn unpack_impl(l: L) -> c_int {
    unsafe {
        let mut fmt = format_arg(l);
        let mut len = 0;
        let p = ffi::luaL_checklstring(l, 2, &mut len);
        let data: &[u8] = std::slice::from_raw_parts(p.cast(), len);
        let mut pos = ffi::luaL_optinteger(l, 3, 1) as usize;
        if pos == 0 {
            ffi::luaL_argerror(l, 3, c"offset must be 1 or greater".as_ptr());
        }
        pos -= 1;
        let mut results = 0;
        let mut h = Header::new();
        while let Some(opt) = fmt.next() {
            let mut size = option_size(l, opt, &mut fmt);
            pos = pos.wrapping_add(padding(pos, &h, opt, size));
            let fits = |pos: usize, size: usize| size <= len && pos <= len - size;
            if !fits(pos, size) {
                ffi::luaL_argerror(l, 2, c"data string too short".as_ptr());
            }
            ffi::luaL_checkstack_(l, 2, c"too many results".as_ptr());
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let signed = opt.is_ascii_lowercase();
                    ffi::lua_pushnumber(l, get_integer(&data[pos..pos + size], h.endian, signed));
                    results += 1;
                }
                b'x' => {}
                b'f' => {
                    let f = f32::from_le_bytes(ordered(read(&data[pos..]), h.endian));
                    ffi::lua_pushnumber(l, f as f64);
                    results += 1;
                }
                b'd' => {
                    let d = f64::from_le_bytes(ordered(read(&data[pos..]), h.endian));
                    ffi::lua_pushnumber(l, d);
                    results += 1;
                }
                b'c' => {
                    if size == 0 {
                        if results == 0 || ffi::lua_isnumber(l, -1) == 0 {
                            lua::raise(l, b"format 'c0' needs a previous size");
                        }
                        size = ffi::lua_tonumber(l, -1) as usize;
                        ffi::lua_pop(l, 1);
                        results -= 1;
                        if !fits(pos, size) {
                            ffi::luaL_argerror(l, 2, c"data string too short".as_ptr());
                        }
                    }
                    lua::push_bytes(l, &data[pos..pos + size]);
                    results += 1;
                }
                b's' => {
                    let Some(nul) = memchr::memchr(0, &data[pos..]) else {
                        lua::raise(l, b"unfinished string in data");
                    };
                    lua::push_bytes(l, &data[pos..pos + nul]);
                    size = nul + 1;
                    results += 1;
                }
                _ => control(l, opt, &mut fmt, &mut h),
            }
            pos = pos.wrapping_add(size);
        }
        ffi::lua_pushinteger(l, pos.wrapping_add(1) as ffi::lua_Integer);
        results + 1
    }
}

unsafe fn size_impl(l: L) -> c_int {
    unsafe {
        let mut fmt = format_arg(l);
        let mut pos = 0usize;
        let mut h = Header::new();
        while let Some(opt) = fmt.next() {
            let size = option_size(l, opt, &mut fmt);
            pos = pos.wrapping_add(padding(pos, &h, opt, size));
            if opt == b's' {
                ffi::luaL_argerror(l, 1, c"option 's' has no fixed size".as_ptr());
            } else if opt == b'c' && size == 0 {
                ffi::luaL_argerror(l, 1, c"option 'c0' has no fixed size".as_ptr());
            }
            if !opt.is_ascii_alphanumeric() {
                control(l, opt, &mut fmt, &mut h);
            }
            pos = pos.wrapping_add(size);
        }
        ffi::lua_pushinteger(l, pos as ffi::lua_Integer);
        1
    }
}

/// Sets the global `struct` table.
pub(crate) unsafe fn open(l: L, up: *mut c_void) {
    unsafe {
        let functions: [(&CStr, ffi::lua_CFunction); 3] = [
            (c"pack", pack_fn),
            (c"unpack", unpack_fn),
            (c"size", size_fn),
        ];
        lua::push_library(l, &functions, up);
        lua::set_top(l, ffi::LUA_GLOBALSINDEX, c"struct");
    }
}
