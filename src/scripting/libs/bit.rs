//! `bit`: LuaBitOp's 32-bit operations. Arguments become 32-bit integers
//! the way LuaBitOp does it: add 2^52+2^51 to the double and keep the low
//! 32 bits of its mantissa, which rounds to nearest-even and wraps modulo
//! 2^32 (infinities and NaN give 0). Results are signed 32-bit numbers.

use std::ffi::{CStr, c_int, c_void};

use crate::scripting::lua::{self, L, ffi, lua_functions};

/// The argument at `idx` as LuaBitOp's 32-bit value.
unsafe fn arg(l: L, idx: c_int) -> u32 {
    unsafe {
        let n = ffi::lua_tonumber(l, idx);
        let bits = tobit(n);
        if bits == 0 && ffi::lua_isnumber(l, idx) == 0 {
            ffi::luaL_typerror(l, idx, c"number".as_ptr());
        }
        bits
    }
}

fn tobit(n: f64) -> u32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32
}

unsafe fn push(l: L, b: u32) -> c_int {
    unsafe {
        ffi::lua_pushnumber(l, b as i32 as f64);
        1
    }
}

lua_functions! {
    tobit_fn => tobit_impl;
    bnot_fn => bnot_impl;
    band_fn => band_impl;
    bor_fn => bor_impl;
    bxor_fn => bxor_impl;
    lshift_fn => lshift_impl;
    rshift_fn => rshift_impl;
    arshift_fn => arshift_impl;
    rol_fn => rol_impl;
    ror_fn => ror_impl;
    bswap_fn => bswap_impl;
    tohex_fn => tohex_impl;
}

unsafe fn tobit_impl(l: L) -> c_int {
    unsafe { push(l, arg(l, 1)) }
}

unsafe fn bnot_impl(l: L) -> c_int {
    unsafe { push(l, !arg(l, 1)) }
}

unsafe fn fold(l: L, op: fn(u32, u32) -> u32) -> c_int {
    unsafe {
        let mut acc = arg(l, 1);
        for i in 2..=ffi::lua_gettop(l) {
            acc = op(acc, arg(l, i));
        }
        push(l, acc)
    }
}

unsafe fn band_impl(l: L) -> c_int {
    unsafe { fold(l, |a, b| a & b) }
}

unsafe fn bor_impl(l: L) -> c_int {
    unsafe { fold(l, |a, b| a | b) }
}

unsafe fn bxor_impl(l: L) -> c_int {
    unsafe { fold(l, |a, b| a ^ b) }
}

/// `op(x, n & 31)`.
unsafe fn shift(l: L, op: fn(u32, u32) -> u32) -> c_int {
    unsafe {
        let x = arg(l, 1);
        let n = arg(l, 2) & 31;
        push(l, op(x, n))
    }
}

unsafe fn lshift_impl(l: L) -> c_int {
    unsafe { shift(l, |x, n| x << n) }
}

unsafe fn rshift_impl(l: L) -> c_int {
    unsafe { shift(l, |x, n| x >> n) }
}

unsafe fn arshift_impl(l: L) -> c_int {
    unsafe { shift(l, |x, n| ((x as i32) >> n) as u32) }
}

unsafe fn rol_impl(l: L) -> c_int {
    unsafe { shift(l, u32::rotate_left) }
}

unsafe fn ror_impl(l: L) -> c_int {
    unsafe { shift(l, u32::rotate_right) }
}

unsafe fn bswap_impl(l: L) -> c_int {
    unsafe { push(l, arg(l, 1).swap_bytes()) }
}

/// `tohex(x [, n])`: n hex digits (default 8, at most 8), uppercase when negative.
unsafe fn tohex_impl(l: L) -> c_int {
    unsafe {
        let mut b = arg(l, 1);
        let n = if ffi::lua_type(l, 2) == ffi::LUA_TNONE {
            8
        } else {
            arg(l, 2) as i32
        };
        let (digits, n): (&[u8; 16], i32) = if n < 0 {
            (b"0123456789ABCDEF", n.wrapping_neg())
        } else {
            (b"0123456789abcdef", n)
        };
        let n = n.clamp(0, 8) as usize;
        let mut buf = [0u8; 8];
        for slot in buf[..n].iter_mut().rev() {
            *slot = digits[(b & 15) as usize];
            b >>= 4;
        }
        lua::push_bytes(l, &buf[..n]);
        1
    }
}

/// Sets the global `bit` table.
pub(crate) unsafe fn open(l: L, up: *mut c_void) {
    unsafe {
        let functions: [(&CStr, ffi::lua_CFunction); 12] = [
            (c"tobit", tobit_fn),
            (c"bnot", bnot_fn),
            (c"band", band_fn),
            (c"bor", bor_fn),
            (c"bxor", bxor_fn),
            (c"lshift", lshift_fn),
            (c"rshift", rshift_fn),
            (c"arshift", arshift_fn),
            (c"rol", rol_fn),
            (c"ror", ror_fn),
            (c"bswap", bswap_fn),
            (c"tohex", tohex_fn),
        ];
        lua::push_library(l, &functions, up);
        lua::set_top(l, ffi::LUA_GLOBALSINDEX, c"bit");
    }
}

#[cfg(test)]
mod tests {
    use super::tobit;

    /// `bit.tobit` on Redis 7.0.15.
    #[test]
    fn tobit_rounds_to_even_and_wraps() {
        let cases: &[(f64, i32)] = &[
            (1.0, 1),
            (4294967296.0, 0),
            (2147483648.0, -2147483648),
            (-1.0, -1),
            (4294967295.0, -1),
            (1.5, 2),
            (2.5, 2),
            (-2.5, -2),
            (4503599627370497.0, 0),
            (f64::INFINITY, 0),
            (f64::NAN, 0),
            (-2147483649.0, 2147483647),
            (9223372036854775808.0, 0),
            (1180591620717411303424.0 + 1099511627776.0, 4194304),
        ];
        for &(n, want) in cases {
            assert_eq!(tobit(n) as i32, want, "tobit({n})");
        }
    }
}
