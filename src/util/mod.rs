//! Small, dependency-free helpers shared by several command families.

pub mod geohash;
pub mod glob;
pub mod hll;
pub mod num;
