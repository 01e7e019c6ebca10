//! Fuzzes whole request streams through an in-process server; see `check_dispatch`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferrodis_fuzz::check_dispatch(data));
