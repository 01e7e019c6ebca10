//! The libraries Redis adds to Lua, reimplemented in Rust from their
//! documented and observed behaviour: `cjson`, `cmsgpack`, `bit`, `struct`.

mod bit;
mod cjson;
mod cmsgpack;
mod lstruct;

use std::ffi::c_void;

use super::lua::L;

/// Sets the library globals; `up` is the VM's shared state.
pub(crate) unsafe fn open(l: L, up: *mut c_void) {
    unsafe {
        cjson::open(l, up);
        lstruct::open(l, up);
        cmsgpack::open(l, up);
        bit::open(l, up);
    }
}
