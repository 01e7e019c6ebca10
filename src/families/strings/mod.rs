//! The string family: commands that read or rewrite string values (GET, SET
//! and its variants, counters, ranges, LCS).
//!
//! This module registers them; `set` holds the writes that store a whole
//! value (SET and its variants, GETEX, GETDEL, MSET), `ops` the reads and
//! in-place edits (GET, ranges, APPEND, SETRANGE, counters), `lcs` the
//! longest common subsequence. Writes whose argv would not replay to the
//! same state (relative TTLs, float arithmetic) emit an absolute form to the
//! effect stream themselves.

mod lcs;
mod ops;
mod set;

use crate::command::{Command, Handler, KeySpec, acl, flag, key};
use lcs::lcs;
use ops::{append, decr, decrby, get, getrange, incr, incrby, incrbyfloat, mget, setrange, strlen};
use set::{getdel, getex, getset, mset, msetnx, psetex, set, setex, setnx};

pub fn register(t: &mut Vec<Command>) {
    register_reads(t);
    register_sets(t);
    register_edits(t);
    register_counters(t);
}

/// A string command whose one key is argument 1: the shape of most of this family.
fn one_key(name: &'static str, arity: i32, handler: Handler, flags: u32, keys: u32) -> Command {
    Command::new(name, arity, handler)
        .flags(flags)
        .acl(acl::STRING)
        .key(KeySpec::at(1, keys))
}

const RANGE_COMPLEXITY: &str = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.";

fn register_reads(t: &mut Vec<Command>) {
    let read = flag::READONLY;
    let ro_access = key::RO | key::ACCESS;
    t.push(
        one_key("get", 2, get, read | flag::FAST, ro_access)
            .doc(
                "string",
                "1.0.0",
                "O(1)",
                "Returns the string value of a key.",
            )
            .args("key"),
    );
    t.push(
        Command::new("mget", -2, mget)
            .flags(read | flag::FAST)
            .acl(acl::STRING)
            .key(KeySpec::range(1, -1, 1, ro_access))
            .tips(&["request_policy:multi_shard"])
            .doc(
                "string",
                "1.0.0",
                "O(N) where N is the number of keys to retrieve.",
                "Returns the string values of one or more keys.",
            )
            .args("key [key ...]"),
    );
    t.push(
        one_key("strlen", 2, strlen, read | flag::FAST, key::RO)
            .doc(
                "string",
                "2.2.0",
                "O(1)",
                "Returns the length of a string value.",
            )
            .args("key"),
    );
    t.push(
        one_key("getrange", 4, getrange, read, ro_access)
            .doc(
                "string",
                "2.4.0",
                RANGE_COMPLEXITY,
                "Returns a substring of the string stored at a key.",
            )
            .args("key start end"),
    );
    t.push(
        one_key("substr", 4, getrange, read, ro_access)
            .doc(
                "string",
                "1.0.0",
                RANGE_COMPLEXITY,
                "Returns a substring from a string value (an older name of GETRANGE).",
            )
            .args("key start end"),
    );
    t.push(
        Command::new("lcs", -3, lcs)
            .flags(read)
            .acl(acl::STRING)
            .key(KeySpec::range(1, 1, 1, ro_access))
            .doc(
                "string",
                "7.0.0",
                "O(N*M) where N and M are the lengths of s1 and s2, respectively",
                "Finds the longest common subsequence of two string values.",
            )
            .args("key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]"),
    );
}

fn register_sets(t: &mut Vec<Command>) {
    let write = flag::WRITE | flag::DENYOOM;
    t.push(
        one_key("set", -3, set, write, key::RW | key::ACCESS | key::UPDATE | key::VARIABLE_FLAGS)
            .doc(
                "string",
                "1.0.0",
                "O(1)",
                "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
            )
            .args("key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"),
    );
    t.push(
        one_key("setnx", 3, setnx, write | flag::FAST, key::OW | key::INSERT)
            .doc(
                "string",
                "1.0.0",
                "O(1)",
                "Sets a key's string value only when the key is missing.",
            )
            .args("key value"),
    );
    t.push(
        one_key("setex", 4, setex, write, key::OW | key::UPDATE)
            .doc(
                "string",
                "2.0.0",
                "O(1)",
                "Sets a key's string value with a time to live in seconds.",
            )
            .args("key seconds value"),
    );
    t.push(
        one_key("psetex", 4, psetex, write, key::OW | key::UPDATE)
            .doc(
                "string",
                "2.6.0",
                "O(1)",
                "Sets a key's string value with a time to live in milliseconds.",
            )
            .args("key milliseconds value"),
    );
    t.push(
        one_key(
            "getset",
            3,
            getset,
            write | flag::FAST,
            key::RW | key::ACCESS | key::UPDATE,
        )
        .doc(
            "string",
            "1.0.0",
            "O(1)",
            "Replaces a key's string value and returns the previous one.",
        )
        .args("key value"),
    );
    t.push(
        one_key("getex", -2, getex, flag::WRITE | flag::FAST, key::RW | key::ACCESS | key::UPDATE)
            .doc("string", "6.2.0", "O(1)", "Returns a key's string value after changing or removing its expiration.")
            .args("key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]"),
    );
    t.push(
        one_key(
            "getdel",
            2,
            getdel,
            flag::WRITE | flag::FAST,
            key::RW | key::ACCESS | key::DELETE,
        )
        .doc(
            "string",
            "6.2.0",
            "O(1)",
            "Returns a key's string value and deletes the key.",
        )
        .args("key"),
    );
    let pairs = |name, handler: Handler, keys| {
        Command::new(name, -3, handler)
            .flags(write)
            .acl(acl::STRING)
            .key(KeySpec::range(1, -1, 2, keys))
            .args("key value [key value ...]")
    };
    t.push(
        pairs("mset", mset, key::OW | key::UPDATE)
            .tips(&[
                "request_policy:multi_shard",
                "response_policy:all_succeeded",
            ])
            .doc(
                "string",
                "1.0.1",
                "O(N) where N is the number of keys to set.",
                "Sets the string values of several keys at once.",
            ),
    );
    t.push(pairs("msetnx", msetnx, key::OW | key::INSERT).doc(
        "string",
        "1.0.1",
        "O(N) where N is the number of keys to set.",
        "Sets several keys' string values, only if none of the keys exists.",
    ));
}

fn register_edits(t: &mut Vec<Command>) {
    let write = flag::WRITE | flag::DENYOOM;
    t.push(
        one_key("append", 3, append, write | flag::FAST, key::RW | key::INSERT)
            .doc(
                "string",
                "2.0.0",
                "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
                "Appends to a key's string value, creating the key if needed.",
            )
            .args("key value"),
    );
    t.push(
        one_key("setrange", 4, setrange, write, key::RW | key::UPDATE)
            .doc(
                "string",
                "2.2.0",
                "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
                "Overwrites part of a string value from an offset, padding with zero bytes.",
            )
            .args("key offset value"),
    );
}

fn register_counters(t: &mut Vec<Command>) {
    let counter = |name, arity, handler: Handler, since, summary, grammar| {
        one_key(
            name,
            arity,
            handler,
            flag::WRITE | flag::DENYOOM | flag::FAST,
            key::RW | key::ACCESS | key::UPDATE,
        )
        .doc("string", since, "O(1)", summary)
        .args(grammar)
    };
    t.push(counter(
        "incr",
        2,
        incr,
        "1.0.0",
        "Adds one to a key's integer value.",
        "key",
    ));
    t.push(counter(
        "decr",
        2,
        decr,
        "1.0.0",
        "Subtracts one from a key's integer value.",
        "key",
    ));
    t.push(counter(
        "incrby",
        3,
        incrby,
        "1.0.0",
        "Adds a number to a key's integer value.",
        "key increment",
    ));
    t.push(counter(
        "decrby",
        3,
        decrby,
        "1.0.0",
        "Subtracts a number from a key's integer value.",
        "key decrement",
    ));
    t.push(counter(
        "incrbyfloat",
        3,
        incrbyfloat,
        "2.6.0",
        "Adds a floating point number to a key's numeric value.",
        "key increment",
    ));
}
