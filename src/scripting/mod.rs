//! The Lua scripting engine behind EVAL/EVALSHA/SCRIPT and FCALL/FUNCTION:
//! Redis 7.2's Lua environment, run unchanged.
//!
//! The engine owns two sandboxed Lua 5.1 states, as Redis does: one for
//! EVAL scripts (with their SHA1 compile cache) and one for function
//! libraries (with the library registry). It knows nothing of commands,
//! clients or the keyspace: a running script reaches the server only
//! through the [`Bridge`] the caller passes in, and its reply comes back
//! as RESP bytes in the calling client's protocol.
//!
//! How a command uses it:
//! - EVAL: [`Engine::load_script`] (compiles once, then cached by SHA1;
//!   the error is the reply), check [`EvalScript::flags`] as the server
//!   must (`no-writes`, `allow-oom`, ...), then [`Engine::run_script`].
//! - EVALSHA: [`Engine::find_script`] (`None`: NOSCRIPT), then `run_script`.
//! - SCRIPT LOAD/EXISTS/FLUSH: `load_script`, `find_script`, [`Engine::flush_scripts`].
//! - FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP: [`Engine::load_library`],
//!   [`Engine::delete_library`], [`Engine::flush_functions`], [`Engine::libraries`].
//! - FCALL: [`Engine::find_function`] for its flags, then [`Engine::run_function`].
//! - SCRIPT KILL/FUNCTION KILL: the bridge's `should_abort` answers
//!   [`AbortReason::Killed`]; whether the script already wrote (and so is
//!   unkillable) is for the bridge to know, since it ran the commands.
//!
//! Memory: each state's heap is bounded by [`EngineConfig::memory_limit`];
//! a script that exceeds it fails with a Lua "not enough memory" error.

mod bridge;
mod convert;
mod eval;
mod flags;
mod function;
mod libs;
mod lua;
mod number;
mod redis_api;
mod sandbox;
mod vm;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

pub use bridge::{AbortReason, Bridge, LogLevel, ReplFlags};
pub use eval::EvalScript;
pub use flags::ScriptFlags;
pub use function::{Function, Library};
pub use vm::{HOOK_INSTRUCTIONS, RunStatus};

use eval::ScriptCache;
use function::Libraries;
use vm::{Flavor, Job, Vm};

/// Engine settings.
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    /// Bytes each Lua state may use; 0 for no limit.
    pub memory_limit: usize,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            memory_limit: 1 << 30,
        }
    }
}

/// A function found by name, with what FCALL must check before running it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionInfo {
    pub flags: ScriptFlags,
}

/// The scripting state of a server.
pub struct Engine {
    config: EngineConfig,
    /// `math.random`'s generator, one sequence for both states.
    rng: Arc<AtomicU64>,
    eval: Vm,
    scripts: ScriptCache,
    functions: Vm,
    libraries: Libraries,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Engine {
        let rng = Arc::new(AtomicU64::new(sandbox::RNG_INITIAL));
        Engine {
            eval: Vm::new(Flavor::Eval, rng.clone(), config.memory_limit),
            functions: Vm::new(Flavor::Functions, rng.clone(), config.memory_limit),
            config,
            rng,
            scripts: ScriptCache::default(),
            libraries: Libraries::default(),
        }
    }

    /// The compiled script for `body` (EVAL, SCRIPT LOAD), compiling it the
    /// first time. The error is the reply text: `ERR Error compiling
    /// script (new function): user_script:1: ...` or a shebang error.
    pub fn load_script(&mut self, body: &[u8]) -> Result<EvalScript, Vec<u8>> {
        self.scripts.load(&mut self.eval, body)
    }

    /// The cached script with this SHA1, any letter case (EVALSHA,
    /// SCRIPT EXISTS); `None` means NOSCRIPT.
    pub fn find_script(&self, sha: &[u8]) -> Option<EvalScript> {
        self.scripts.find(sha)
    }

    /// The body of a cached script (to replicate EVALSHA as EVAL).
    pub fn script_body(&self, script: &EvalScript) -> Option<&[u8]> {
        self.scripts.body(&script.sha)
    }

    /// Runs a script with KEYS and ARGV, appending its reply to `out` in
    /// RESP3 when `client_resp3`, else RESP2.
    pub fn run_script(
        &mut self,
        script: &EvalScript,
        keys: &[&[u8]],
        args: &[&[u8]],
        client_resp3: bool,
        bridge: &mut dyn Bridge,
        out: &mut Vec<u8>,
    ) -> RunStatus {
        let mut job = Job {
            function: script.function,
            keys,
            args,
            keys_as_globals: true,
            name: &script.sha,
            client_resp3,
            out,
            status: RunStatus::default(),
        };
        self.eval.run(&mut job, bridge)
    }

    /// SCRIPT FLUSH: forgets every script and starts a fresh Lua state.
    pub fn flush_scripts(&mut self) {
        self.scripts = ScriptCache::default();
        self.eval = Vm::new(Flavor::Eval, self.rng.clone(), self.config.memory_limit);
    }

    /// Number of cached scripts.
    pub fn script_count(&self) -> usize {
        self.scripts.len()
    }

    /// Bytes of the EVAL state's heap (INFO `used_memory_lua`).
    pub fn eval_memory(&self) -> usize {
        self.eval.used_memory()
    }

    /// Bytes of cached script bodies.
    pub fn script_bodies_memory(&self) -> usize {
        self.scripts.body_bytes()
    }

    /// FUNCTION LOAD [REPLACE]: the library's name, or the reply text of
    /// the error (`ERR Library 'x' already exists`, `ERR Error compiling
    /// function: ...`, `ERR Error registering functions: ...`, ...).
    pub fn load_library(
        &mut self,
        code: &[u8],
        replace: bool,
        bridge: &mut dyn Bridge,
    ) -> Result<Vec<u8>, Vec<u8>> {
        self.libraries
            .load(&mut self.functions, code, replace, bridge)
    }

    /// FUNCTION DELETE; false means `ERR Library not found`.
    pub fn delete_library(&mut self, name: &[u8]) -> bool {
        self.libraries.delete(&mut self.functions, name)
    }

    /// FUNCTION FLUSH.
    pub fn flush_functions(&mut self) {
        self.libraries.clear();
        self.functions = Vm::new(
            Flavor::Functions,
            self.rng.clone(),
            self.config.memory_limit,
        );
    }

    /// The loaded libraries, by name (FUNCTION LIST, FUNCTION DUMP).
    pub fn libraries(&self) -> impl Iterator<Item = &Library> {
        self.libraries.iter()
    }

    pub fn library(&self, name: &[u8]) -> Option<&Library> {
        self.libraries.get(name)
    }

    /// Number of registered functions (FUNCTION STATS).
    pub fn function_count(&self) -> usize {
        self.libraries.function_count()
    }

    /// Bytes of the functions state's heap.
    pub fn functions_memory(&self) -> usize {
        self.functions.used_memory()
    }

    /// A registered function; `None` means `ERR Function not found`.
    pub fn find_function(&self, name: &[u8]) -> Option<FunctionInfo> {
        self.libraries
            .function(name)
            .map(|(_, f)| FunctionInfo { flags: f.flags })
    }

    /// FCALL: runs a function with its keys and arguments, appending the
    /// reply to `out`; `None` when no function has that name.
    pub fn run_function(
        &mut self,
        name: &[u8],
        keys: &[&[u8]],
        args: &[&[u8]],
        client_resp3: bool,
        bridge: &mut dyn Bridge,
        out: &mut Vec<u8>,
    ) -> Option<RunStatus> {
        let (_, function) = self.libraries.function(name)?;
        let mut job = Job {
            function: function.callback,
            keys,
            args,
            keys_as_globals: false,
            name,
            client_resp3,
            out,
            status: RunStatus::default(),
        };
        Some(self.functions.run(&mut job, bridge))
    }
}
