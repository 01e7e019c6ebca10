//! The Redis wire protocol: requests in (RESP and inline), replies out (RESP2/RESP3).

pub mod parse;
pub mod reply;
pub mod resp_value;

pub use parse::{Parsed, Parser, ProtocolError, Source};
pub use reply::Reply;
