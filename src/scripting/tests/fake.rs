//! A stand-in server: a string keyspace with GET/SET/INCR/DEL and a few
//! commands to exercise every reply type, answering as Redis would.

use std::collections::HashMap;

use crate::protocol::Reply;
use crate::scripting::{AbortReason, Bridge, LogLevel, ReplFlags};

#[derive(Default)]
pub(crate) struct FakeBridge {
    pub keys: HashMap<Vec<u8>, Vec<u8>>,
    pub calls: Vec<Vec<Vec<u8>>>,
    pub logs: Vec<(LogLevel, Vec<u8>)>,
    pub repl: Vec<ReplFlags>,
    /// Polls before `should_abort` says Killed (None: never).
    pub abort_after: Option<usize>,
    pub polls: usize,
}

fn wrong_args(r: &mut Reply) {
    r.error("ERR Wrong number of args calling Redis command from script");
}

impl Bridge for FakeBridge {
    fn call(&mut self, argv: &[&[u8]], resp3: bool, reply: &mut Vec<u8>) {
        self.calls.push(argv.iter().map(|a| a.to_vec()).collect());
        let mut r = Reply::new(reply, resp3);
        let name = argv[0].to_ascii_lowercase();
        match (&name[..], argv.len()) {
            (b"ping", 1) => r.simple("PONG"),
            (b"ping", 2) => r.bulk(argv[1]),
            (b"get", 2) => r.opt_bulk(self.keys.get(argv[1]).map(|v| &v[..])),
            (b"set", 3) => {
                self.keys.insert(argv[1].to_vec(), argv[2].to_vec());
                r.ok();
            }
            (b"set", n) if n > 3 => r.error("ERR syntax error"),
            (b"del", n) if n >= 2 => {
                let removed = argv[1..]
                    .iter()
                    .filter(|k| self.keys.remove(**k).is_some())
                    .count();
                r.int(removed as i64);
            }
            (b"incr", 2) => {
                let current = self.keys.get(argv[1]).map_or(Some(0), |v| {
                    std::str::from_utf8(v)
                        .ok()
                        .and_then(|s| s.parse::<i64>().ok())
                });
                match current.and_then(|n| n.checked_add(1)) {
                    Some(n) => {
                        self.keys
                            .insert(argv[1].to_vec(), n.to_string().into_bytes());
                        r.int(n);
                    }
                    None => r.error("ERR value is not an integer or out of range"),
                }
            }
            // Writes its argument as the reply, to exercise every RESP type.
            (b"raw", 2) => r.raw(argv[1]),
            (b"ping" | b"get" | b"set" | b"incr" | b"raw" | b"del", _) => wrong_args(&mut r),
            (b"subscribe" | b"eval" | b"multi", _) => {
                r.error("ERR This Redis command is not allowed from script")
            }
            _ => r.error("ERR Unknown Redis command called from script"),
        }
    }

    fn log(&mut self, level: LogLevel, msg: &[u8]) {
        self.logs.push((level, msg.to_vec()));
    }

    fn should_abort(&mut self) -> Option<AbortReason> {
        self.polls += 1;
        match self.abort_after {
            Some(n) if self.polls > n => Some(AbortReason::Killed),
            _ => None,
        }
    }

    fn acl_check_cmd(&mut self, argv: &[&[u8]]) -> Option<bool> {
        match &argv[0].to_ascii_lowercase()[..] {
            b"get" | b"set" | b"ping" | b"incr" | b"del" => Some(true),
            b"flushall" => Some(false),
            _ => None,
        }
    }

    fn set_repl(&mut self, flags: ReplFlags) {
        self.repl.push(flags);
    }
}
