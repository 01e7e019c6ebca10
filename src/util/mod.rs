//! Small, dependency-free helpers shared by several layers: the bottom of
//! the crate, importing nothing from it.

pub mod glob;
pub mod num;
pub mod striped;
pub mod time;
