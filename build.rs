//! Compiles the small C shim behind `util::num::incr_by_float`: INCRBYFLOAT
//! must compute with the platform's C `long double`, which Rust lacks.

fn main() {
    println!("cargo::rerun-if-changed=src/util/ldouble.c");
    cc::Build::new()
        .file("src/util/ldouble.c")
        .warnings(true)
        .extra_warnings(true)
        .compile("ferrodis_ldouble");
}
