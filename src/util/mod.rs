//! Small, dependency-free helpers shared by several command families.

pub mod glob;
pub mod hll;
pub mod num;
