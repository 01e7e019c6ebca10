//! The keyspace: databases, shards and the values they hold.

pub mod dict;
