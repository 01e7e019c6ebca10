//! The global allocator: mimalloc, counting the bytes allocated so INFO can
//! report `used_memory` as Redis does (its zmalloc counts every allocation).
//!
//! A shared atomic updated on every allocation would be written by every
//! core; instead each thread keeps its own running delta in a thread-local
//! and adds it to the shared total only when it passes [`FLUSH_AT`] bytes
//! either way. The total is thus exact to within that much per thread.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, Ordering};

use mimalloc::MiMalloc;

const FLUSH_AT: i64 = 64 * 1024;

static ALLOCATED: AtomicI64 = AtomicI64::new(0);

thread_local! {
    static PENDING: Cell<i64> = const { Cell::new(0) };
}

unsafe extern "C" {
    fn mi_version() -> std::ffi::c_int;
    fn mi_collect(force: bool);
}

/// mimalloc with byte counting; install it with `#[global_allocator]`.
pub struct CountingMiMalloc;

#[inline]
fn account(delta: i64) {
    PENDING.with(|p| {
        let v = p.get() + delta;
        if (-FLUSH_AT..=FLUSH_AT).contains(&v) {
            p.set(v);
        } else {
            p.set(0);
            ALLOCATED.fetch_add(v, Ordering::Relaxed);
        }
    });
}

// SAFETY: every call is forwarded to mimalloc unchanged; only counting is added.
unsafe impl GlobalAlloc for CountingMiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as i64);
        unsafe { MiMalloc.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as i64);
        unsafe { MiMalloc.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        account(-(layout.size() as i64));
        unsafe { MiMalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        account(new_size as i64 - layout.size() as i64);
        unsafe { MiMalloc.realloc(ptr, layout, new_size) }
    }
}

/// Bytes allocated through [`CountingMiMalloc`] and not yet freed; 0 where
/// it is not the global allocator (tests of the library).
pub fn allocated() -> u64 {
    ALLOCATED.load(Ordering::Relaxed).max(0) as u64
}

/// Returns the calling thread's freed memory to the system. mimalloc keeps
/// freed pages for reuse, which is right for small objects but leaves a
/// big buffer resident long after it is gone; call this after freeing one.
pub fn give_back_freed_memory() {
    // SAFETY: mi_collect only walks and purges the calling thread's heap.
    unsafe { mi_collect(true) }
}

/// The periodic tidy-up each worker runs: takes back what other threads
/// freed of this thread's memory, and returns pages unused for a while to
/// the system. An idle thread otherwise never runs allocator code, and a big
/// value freed by another thread would stay resident.
pub fn tidy_freed_memory() {
    // SAFETY: as above; without force, only pages already due are purged.
    unsafe { mi_collect(false) }
}

/// mimalloc's version as `major.minor.patch`.
pub fn mimalloc_version() -> String {
    // SAFETY: a plain getter of the linked mimalloc library.
    let v = unsafe { mi_version() }.max(0);
    // Encoded as major, two digits of minor, two of patch: 30302 is 3.3.2.
    format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100)
}
