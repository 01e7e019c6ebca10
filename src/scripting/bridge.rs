//! The one way a running script reaches the server: the [`Bridge`] the
//! caller passes in. The engine knows nothing of commands, clients or the
//! keyspace; whatever runs commands (the EVAL/FCALL implementation) is the
//! bridge, so it also decides what a script may do (ACLs, `no-writes`, OOM,
//! cluster rules) and answers with the reply or error the command produced.

/// What a script asks of the server while it runs.
pub trait Bridge {
    /// Runs one command for `redis.call`/`redis.pcall` and appends its reply
    /// to `reply` (which is empty), encoded in RESP3 when `resp3` (the
    /// script chose it with `redis.setresp(3)`), else RESP2. Refusals are
    /// error replies too, with Redis's texts: `-ERR Unknown Redis command
    /// called from script`, `-ERR Wrong number of args calling Redis command
    /// from script`, `-ERR This Redis command is not allowed from script`,
    /// `-ERR Write commands are not allowed from read-only scripts`, ...
    fn call(&mut self, argv: &[&[u8]], resp3: bool, reply: &mut Vec<u8>);

    /// `redis.log`: the message at `level`; the server filters by verbosity.
    fn log(&mut self, level: LogLevel, msg: &[u8]);

    /// Polled every [`HOOK_INSTRUCTIONS`](super::HOOK_INSTRUCTIONS) Lua
    /// instructions while a script runs: the place to serve other clients
    /// (BUSY replies) and to stop the script for SCRIPT KILL/FUNCTION KILL.
    /// Once it answers `Some`, the script ends with that error and cannot
    /// catch it.
    fn should_abort(&mut self) -> Option<AbortReason>;

    /// `redis.acl_check_cmd`: whether the calling user may run `argv`, or
    /// `None` when no such command exists.
    fn acl_check_cmd(&mut self, argv: &[&[u8]]) -> Option<bool>;

    /// `redis.set_repl`: where the script's next writes propagate.
    fn set_repl(&mut self, flags: ReplFlags);
}

/// `redis.LOG_*`; the numbers are Redis's verbosity levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
}

impl LogLevel {
    pub(crate) fn from_number(n: i32) -> Option<LogLevel> {
        Some(match n {
            0 => LogLevel::Debug,
            1 => LogLevel::Verbose,
            2 => LogLevel::Notice,
            3 => LogLevel::Warning,
            _ => return None,
        })
    }
}

/// Why the server stops a running script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortReason {
    /// SCRIPT KILL or FUNCTION KILL.
    Killed,
}

impl AbortReason {
    /// The error text the script fails with (Redis uses the SCRIPT KILL
    /// wording for FUNCTION KILL too).
    pub(crate) fn message(self) -> &'static [u8] {
        match self {
            AbortReason::Killed => b"Script killed by user with SCRIPT KILL...",
        }
    }
}

/// `redis.REPL_*` bits: propagate to the AOF, to replicas, both or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplFlags(pub u8);

impl ReplFlags {
    pub const NONE: ReplFlags = ReplFlags(0);
    pub const AOF: ReplFlags = ReplFlags(1);
    pub const REPLICA: ReplFlags = ReplFlags(2);
    pub const ALL: ReplFlags = ReplFlags(3);

    pub fn aof(self) -> bool {
        self.0 & 1 != 0
    }

    pub fn replica(self) -> bool {
        self.0 & 2 != 0
    }
}
