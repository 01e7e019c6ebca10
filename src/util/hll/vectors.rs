//! Tables recorded from a real redis-server 7.0.15 for the HLL tests (how
//! each was obtained is said above it). Kept out of rustfmt so a case stays
//! one line.

use super::Encoding::{self, Dense, Sparse};

/// `PFADD k e0 .. e<n-1>` on a fresh key, then `GET k` (length, SHA1),
/// `PFDEBUG ENCODING k` and `PFCOUNT k`: (n, estimate, encoding, length, SHA1).
#[rustfmt::skip]
pub(super) const NUMBERED: &[(usize, i64, Encoding, usize, &str)] = &[
    (1, 1, Sparse, 21, "3eb3234681303a26e57d597ed228af6a15d63ac1"),
    (10, 10, Sparse, 48, "771d194bc0a419552a28bb34101cac65f9c44a11"),
    (100, 100, Sparse, 285, "47f6cb6c3c5a16056e3bb450f9572a1524d44455"),
    (1000, 1008, Sparse, 1906, "26dc3c41142e0317d54eb6adc1e29ccff5ca6941"),
    (10000, 9973, Dense, 12304, "815121cd20d56c18b25dc3df04d13b8fe679a663"),
    (100000, 100853, Dense, 12304, "ec6400bb60029296060157289491545488e0cdd1"),
];

/// `CONFIG SET hll-sparse-max-bytes <max>`, then `PFADD k c<case>:0 ..
/// c<case>:<n-1>` on a fresh key, `GET k` (SHA1), `PFCOUNT k`, `PFDEBUG
/// ENCODING k`: (case, n, max, estimate, encoding, SHA1).
#[rustfmt::skip]
pub(super) const SPARSE_LIMITS: &[(usize, usize, usize, i64, Encoding, &str)] = &[
    (0, 150, 200, 150, Dense, "faf9323c1739b9dee923139cc1f85ea6fae3fca9"),
    (1, 400, 3000, 395, Sparse, "8d02fd8acbc1e66e895649fcddb5584a876e5f0e"),
    (2, 2, 3000, 2, Sparse, "67540c8812944a101453fdf8af2fad83e7a90fd0"),
    (3, 150, 3000, 150, Sparse, "c24bc27ee8ebf081f991c06ff2fd43f2c7edab60"),
    (4, 1500, 500, 1509, Dense, "065ecb20adaa450f514a0b8acd0884731bb7e2b0"),
    (5, 1, 3000, 1, Sparse, "4f747995df542bb2634f372f6d2f6a0a0b0a5224"),
    (6, 400, 1000, 401, Sparse, "aa9959b101dbdedf2403ae0ddcead4f992d273f0"),
    (7, 2, 500, 2, Sparse, "2f8515daaf3c7a5b6ed7bc70a381f7ef7b48c8c7"),
    (8, 2, 1000, 2, Sparse, "a5433d8dd79c6feab5b73244ee63cab61fe786bd"),
    (9, 1, 3000, 1, Sparse, "53123562cd3ca60a911fa410d04b07befbe0980b"),
    (10, 20, 3000, 20, Sparse, "da29adb713b931f9091b88d3bfd54c0c804b55aa"),
    (11, 2500, 1000, 2502, Dense, "5ab771201e3bd1ead319f3f00896e8dfb30c8c7c"),
    (12, 1, 500, 1, Sparse, "0d699e25d669e9edeb02dcde98dfbf2710ecb691"),
    (13, 1, 200, 1, Sparse, "29985f6354c371e4a15649c6ed1ebc0d13d84e87"),
    (14, 50, 1000, 50, Sparse, "5d89ac5a099131f34b2f5eba36fa2be1ac766b79"),
    (15, 5, 3000, 5, Sparse, "5f424ae616623fd9231ae29f5ef0552d46d00354"),
    (16, 2500, 64, 2515, Dense, "adcba95586527cffa9fcf645fc41233df7d2de4c"),
    (17, 1500, 200, 1501, Dense, "af0fe03fa8311f5b51d352f6eb67dc9d32296503"),
    (18, 2, 500, 2, Sparse, "371a586453303cb4b2c78deb5107b61f6dee65b3"),
    (19, 150, 3000, 151, Sparse, "98724b09615babae85267e524e70727687e71e68"),
    (20, 1500, 3000, 1500, Sparse, "e6857aae6affadb42cee02adfacfaaf3f0b70487"),
    (21, 2500, 3000, 2508, Dense, "7fa6b4cf8c5f407a118bb4737616bd2047f053f5"),
    (22, 2500, 500, 2516, Dense, "935389936314d66b7979660f3d9f5cb545b63900"),
    (23, 900, 1000, 903, Dense, "1b1ec047f95d627edaebbecd842aa4ed8fad6688"),
    (24, 150, 16, 151, Dense, "38a4fe9732d98e3e7ec81dc55eb092c0eee86a57"),
    (25, 2500, 16, 2500, Dense, "4de2f5adba17127f5a98a389b93141b1669faa40"),
    (26, 150, 64, 150, Dense, "70c572ceb130e6df1db09f653a8f0b6be4a2f180"),
    (27, 20, 200, 20, Sparse, "1a64e0b4eb05039375c94cd0c03cee953ab2c063"),
    (28, 20, 3000, 20, Sparse, "31b669279b92814460839a1150f0ebb2239207db"),
    (29, 2500, 64, 2491, Dense, "42735cdff19fea8127880577ac5a5bbd675c0aa7"),
    (30, 1500, 16, 1488, Dense, "781e021e3499562ed3704cb0a0888738b0c34368"),
    (31, 150, 16, 150, Dense, "8f64541aff1e2ca7cc0894c36d460d16cd43bb11"),
    (32, 50, 3000, 50, Sparse, "c482fb0987df40f23435479c14745ca85b8248a8"),
    (33, 2, 1000, 2, Sparse, "0f9feee4114256d40bdab847a815a05f9c5da112"),
    (34, 5, 20, 5, Dense, "a7003c4a63cc9b21be4cd1357000375a3ae607bf"),
    (35, 5, 16, 5, Dense, "1e6248e88cb4c39966b36bb94c377140281025b7"),
    (36, 400, 3000, 400, Sparse, "7feeb202c5df8bf4b7f1d087d61276eaa94e082c"),
    (37, 4000, 3000, 3952, Dense, "ff6886725fd91f18cd3c7dd5061a9dbde4d7255d"),
    (38, 1500, 20, 1511, Dense, "a10680b9ef7a8c95937e362317699ec2e031bc3e"),
    (39, 150, 20, 151, Dense, "09f835f903cd75d5b6218e62a3003530af606089"),
];

/// `PFADD k <prefix><i><suffix>` for i in 0..n, then `GET k` (SHA1),
/// `PFCOUNT k`, `PFDEBUG ENCODING k`: (prefix, suffix, n, estimate,
/// encoding, SHA1).
#[rustfmt::skip]
pub(super) const FAMILIES: &[(&str, &str, usize, i64, Encoding, &str)] = &[
    ("user:", "", 5000, 5025, Dense, "ce8052dff4bbdffaec2be3c04d301586b7c169ee"),
    ("x", "y", 300, 302, Sparse, "83bc7ffd7345344723239cad34fa59b657e0bf93"),
    ("", "", 50000, 50354, Dense, "dce0e4d807c47a2c8d5fd45813fd4cc1c793fe4e"),
];

/// Register value by index, for building foreign dense strings.
pub(super) type RegisterPattern = fn(usize) -> u8;

/// `SET k <dense bytes whose register i holds value(i), cache stale>`, then
/// `PFCOUNT k`; again `SET`, `PFADD k x y z`, `GET k` (SHA1); again `SET`,
/// `PFCOUNT k s` with `s` = `PFADD s e0 .. e99`:
/// (name, value(i), estimate, SHA1 after PFADD, union estimate).
#[rustfmt::skip]
pub(super) const FOREIGN_DENSE: &[(&str, RegisterPattern, i64, &str, i64)] = &[
    ("all 63", |_| 63, i64::MIN, "b97b57f4b9eff9b8e7415dad634a6c020550aa66", i64::MIN),
    ("i % 64", |i| (i % 64) as u8, 375261, "32829c0fa72e805c5c03a1fd91edf187697ee4ff", 376195),
    ("every third", |i| if i % 3 == 0 { ((i * 37 + 11) % 52) as u8 } else { 0 }, 6850, "7153275b27679f1993ee9206debc1edabcbc5f1c", 6966),
    ("one 51", |i| if i == 100 { 51 } else { 0 }, 1, "cab4fb560b805867744f5e64ddbbd0858b6a38bf", 101),
    ("all 1", |_| 1, 23637, "8efeef2fc8fe3928c9914536cf5b3117839ac0df", 23690),
    ("all 0", |_| 0, 0, "d991b2925deee5be6d0ded8c32c089bd7ac059ef", 100),
    ("half 1", |i| u8::from(i < 8192), 10360, "b01948a66377da0df088bad34f462ca882e6f9d2", 10458),
];
