//! Fuzzes the request parser fed in arbitrary chunks; see `check_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferrodis_fuzz::check_parse(data));
