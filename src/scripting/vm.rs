//! One sandboxed Lua state and the machinery to run code in it: compiling
//! chunks, calling a script or function with its keys and arguments under
//! Redis's error handler, the instruction hook that lets the server stop a
//! busy script, and turning the outcome into a reply.
//!
//! Every entry from Rust into Lua goes through `lua_cpcall`, so no Lua
//! error (a memory error included) can escape unprotected. State that C
//! functions need lives in [`Shared`], boxed so its address is stable; it
//! is the first upvalue of every engine function and is also stored in
//! the registry for the hook.

use std::ffi::{CStr, c_int, c_void};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use super::bridge::Bridge;
use super::convert;
use super::flags::ScriptFlags;
use super::lua::{self, L, Memory, ffi, lua_functions};
use super::{libs, redis_api, sandbox};

/// Lua instructions between two `Bridge::should_abort` polls (Redis's figure).
pub const HOOK_INSTRUCTIONS: c_int = 100_000;
/// How long a library's top-level code may run at FUNCTION LOAD.
const LOAD_TIMEOUT: Duration = Duration::from_millis(500);
/// Scripts between two incremental GC steps, as Redis does.
const GC_PERIOD: u32 = 50;

static SHARED_KEY: u8 = 0;

/// Which API the state offers: EVAL scripts, or function libraries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Eval,
    Functions,
}

/// State the engine's C functions reach through their first upvalue.
pub(crate) struct Shared {
    pub mem: Memory,
    /// The lrand48 state behind `math.random`, shared by an engine's states.
    pub rng: Arc<AtomicU64>,
    /// Present while code runs.
    pub run: Option<Run>,
    /// The reply of the last `redis.call`.
    pub reply: Vec<u8>,
    /// Output being built by a library function (cjson, cmsgpack, struct).
    pub scratch: Vec<u8>,
    /// Numeric `redis.call` arguments formatted as text.
    pub numbers: Vec<u8>,
    /// The argument vector handed to the bridge; valid during the call only.
    pub argv: Vec<&'static [u8]>,
}

/// The script or library load in progress.
pub(crate) struct Run {
    bridge: *mut (dyn Bridge + 'static),
    /// Set by `redis.setresp(3)`: replies to Lua and booleans from Lua use RESP3.
    pub resp3: bool,
    /// Once the server stopped the script, the message it keeps failing with.
    pub aborted: Option<&'static [u8]>,
    /// Present during FUNCTION LOAD.
    pub load: Option<Load>,
}

impl Run {
    /// # Safety
    /// Only while the run the bridge was given for is in progress.
    pub(crate) unsafe fn bridge(&mut self) -> &mut dyn Bridge {
        unsafe { &mut *self.bridge }
    }
}

/// Functions a library registered while its code runs at FUNCTION LOAD.
pub(crate) struct Load {
    started: Instant,
    pub functions: Vec<Registered>,
}

/// One `redis.register_function` call.
#[derive(Debug)]
pub(crate) struct Registered {
    pub name: Vec<u8>,
    /// Registry reference of the callback.
    pub callback: c_int,
    pub flags: ScriptFlags,
    pub description: Option<Vec<u8>>,
}

/// What a run produced besides its reply bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStatus {
    /// The reply is an error (not merely one nested in an array).
    pub error: bool,
    /// The error came from a command the script called, which the server
    /// already counted in its error statistics.
    pub error_already_counted: bool,
    /// The server stopped the script (`Bridge::should_abort`).
    pub aborted: bool,
}

/// A call of compiled code with a script's keys and arguments.
pub(crate) struct Job<'a> {
    pub function: c_int,
    pub keys: &'a [&'a [u8]],
    pub args: &'a [&'a [u8]],
    /// EVAL: KEYS and ARGV are globals; FCALL: they are the two arguments.
    pub keys_as_globals: bool,
    /// The script's SHA1 or the function's name, for error messages.
    pub name: &'a [u8],
    pub client_resp3: bool,
    pub out: *mut Vec<u8>,
    pub status: RunStatus,
}

pub(crate) struct Vm {
    l: L,
    shared: Box<Shared>,
    runs: u32,
}

// SAFETY: the state is only ever touched through `&mut self`, by one
// thread at a time; nothing in it refers to thread-local data.
unsafe impl Send for Vm {}

impl Drop for Vm {
    fn drop(&mut self) {
        // SAFETY: the state was created by `new` and is closed once.
        unsafe { ffi::lua_close(self.l) }
    }
}

struct Setup {
    shared: *mut Shared,
    flavor: Flavor,
}

struct Compile<'a> {
    code: &'a [u8],
    chunkname: &'a CStr,
    result: Result<c_int, Vec<u8>>,
}

impl Vm {
    pub(crate) fn new(flavor: Flavor, rng: Arc<AtomicU64>, memory_limit: usize) -> Vm {
        let mut shared = Box::new(Shared {
            mem: Memory::default(),
            rng,
            run: None,
            reply: Vec::new(),
            scratch: Vec::new(),
            numbers: Vec::new(),
            argv: Vec::new(),
        });
        let l = lua::new_state(&shared.mem);
        let mut setup = Setup {
            shared: &mut *shared,
            flavor,
        };
        // SAFETY: `setup_entry` reads the `Setup` it is given.
        let status = unsafe { ffi::lua_cpcall(l, setup_entry, (&mut setup as *mut Setup).cast()) };
        assert_eq!(
            status, 0,
            "setting up a Lua state cannot fail without a memory limit"
        );
        shared.mem.limit.set(memory_limit);
        Vm { l, shared, runs: 0 }
    }

    /// Bytes the Lua heap uses.
    pub(crate) fn used_memory(&self) -> usize {
        self.shared.mem.used.get()
    }

    /// Compiles `code` into a function kept in the registry; the error is
    /// Lua's message (`user_script:1: ...`).
    pub(crate) fn compile(&mut self, code: &[u8], chunkname: &CStr) -> Result<c_int, Vec<u8>> {
        let mut job = Compile {
            code,
            chunkname,
            result: Err(Vec::new()),
        };
        let status = self.cpcall(compile_entry, (&mut job as *mut Compile).cast());
        if status != 0 {
            return Err(b"not enough memory".to_vec());
        }
        job.result
    }

    /// Forgets a compiled function.
    pub(crate) fn release(&mut self, function: c_int) {
        // SAFETY: unref writes registry slots; with no limit that cannot fail.
        self.unlimited(|l| unsafe { ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, function) });
    }

    /// Runs `f` with the memory limit lifted. Only for calls made outside a
    /// protected call that free memory but may allocate on the way (a GC
    /// cycle shrinks the string table into a new one).
    fn unlimited(&mut self, f: impl FnOnce(L)) {
        let limit = self.shared.mem.limit.replace(0);
        f(self.l);
        self.shared.mem.limit.set(limit);
    }

    /// Runs a compiled script or function and appends its reply to `out`.
    pub(crate) fn run(&mut self, job: &mut Job, bridge: &mut dyn Bridge) -> RunStatus {
        let mark = job_out(job).len();
        self.begin(bridge, None);
        let status = self.cpcall(run_entry, (job as *mut Job).cast());
        if status != 0 {
            // A memory error (or one in the error handler) skipped Redis's
            // handler; Redis words that case like this.
            let text = self.error_text();
            let out = job_out(job);
            out.truncate(mark);
            let mut reply = crate::protocol::Reply::new(out, job.client_resp3);
            convert::write_run_failure(&mut reply, job.name, &text);
            job.status.error = true;
        }
        job.status.aborted = self.finish().is_some_and(|r| r.aborted.is_some());
        self.collect_garbage();
        job.status
    }

    /// Runs a library's top-level code with the loading API, returning the
    /// functions it registered or the FUNCTION LOAD error text.
    pub(crate) fn load_library(
        &mut self,
        chunk: c_int,
        bridge: &mut dyn Bridge,
    ) -> Result<Vec<Registered>, Vec<u8>> {
        let load = Load {
            started: Instant::now(),
            functions: Vec::new(),
        };
        self.begin(bridge, Some(load));
        let mut job = LoadJob { chunk, error: None };
        let status = self.cpcall(load_entry, (&mut job as *mut LoadJob).cast());
        let run = self.finish();
        let functions = run
            .and_then(|r| r.load)
            .map(|load| load.functions)
            .unwrap_or_default();
        let error = match (status, job.error) {
            (0, None) => return Ok(functions),
            (0, Some(e)) => e,
            _ => [&b"ERR "[..], &self.error_text()].concat(),
        };
        for f in &functions {
            self.release(f.callback);
        }
        let mut msg = b"Error registering functions: ".to_vec();
        msg.extend_from_slice(&error);
        Err(msg)
    }

    fn begin(&mut self, bridge: &mut dyn Bridge, load: Option<Load>) {
        // SAFETY: the bridge outlives the run; `finish` clears the pointer
        // before `run`/`load_library` return.
        let bridge: *mut (dyn Bridge + 'static) =
            unsafe { std::mem::transmute(bridge as *mut dyn Bridge) };
        self.shared.run = Some(Run {
            bridge,
            resp3: false,
            aborted: None,
            load,
        });
        // SAFETY: valid state; the hook reads `Shared` from the registry.
        unsafe {
            ffi::lua_sethook(
                self.l,
                Some(count_hook),
                ffi::LUA_MASKCOUNT,
                HOOK_INSTRUCTIONS,
            )
        };
    }

    fn finish(&mut self) -> Option<Run> {
        // SAFETY: valid state.
        unsafe { ffi::lua_sethook(self.l, None, 0, 0) };
        self.shared.argv.clear();
        self.shared.run.take()
    }

    /// The text of the error a failed `cpcall` left on the stack; pops it.
    fn error_text(&mut self) -> Vec<u8> {
        // SAFETY: the error value is on top; reading a string does not raise.
        unsafe {
            let text = lua::bytes_at(self.l, -1)
                .unwrap_or(b"execution failure")
                .to_vec();
            ffi::lua_settop(self.l, 0);
            text
        }
    }

    fn collect_garbage(&mut self) {
        let limit = self.shared.mem.limit.get();
        self.runs += 1;
        // Lua 5.1 never collects when an allocation fails, so a script that
        // ran out of memory would leave the next one none.
        let (what, data) = if limit != 0 && self.used_memory() > limit / 2 {
            (ffi::LUA_GCCOLLECT, 0)
        } else if self.runs >= GC_PERIOD {
            (ffi::LUA_GCSTEP, GC_PERIOD as c_int)
        } else {
            return;
        };
        self.runs = 0;
        // SAFETY: without a limit, collecting can only fail if the process
        // itself is out of memory.
        self.unlimited(|l| unsafe {
            ffi::lua_gc(l, what, data);
        });
    }

    fn cpcall(&mut self, f: ffi::lua_CFunction, ud: *mut c_void) -> c_int {
        // SAFETY: `f` is one of this module's entries and reads `ud` as its type.
        unsafe {
            let status = ffi::lua_cpcall(self.l, f, ud);
            if status == 0 {
                ffi::lua_settop(self.l, 0);
            }
            status
        }
    }
}

fn job_out<'a>(job: &Job) -> &'a mut Vec<u8> {
    // SAFETY: `out` is the caller's buffer, borrowed for the whole run.
    unsafe { &mut *job.out }
}

struct LoadJob {
    chunk: c_int,
    error: Option<Vec<u8>>,
}

/// The VM's shared state, from the registry (for the hook, which has no upvalues).
unsafe fn registry_shared(l: L) -> *mut Shared {
    unsafe {
        ffi::lua_pushlightuserdata(l, &SHARED_KEY as *const u8 as *mut c_void);
        ffi::lua_rawget_(l, ffi::LUA_REGISTRYINDEX);
        let p = ffi::lua_touserdata(l, -1).cast::<Shared>();
        ffi::lua_pop(l, 1);
        p
    }
}

lua_functions! {
    setup_entry => setup_impl;
    compile_entry => compile_impl;
    run_entry => run_impl;
    load_entry => load_impl;
    error_handler => error_handler_impl;
}

unsafe fn setup_impl(l: L) -> c_int {
    unsafe {
        let setup = &*ffi::lua_touserdata(l, 1).cast::<Setup>();
        ffi::lua_pushlightuserdata(l, &SHARED_KEY as *const u8 as *mut c_void);
        ffi::lua_pushlightuserdata(l, setup.shared.cast());
        ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
        let up = setup.shared.cast::<c_void>();
        sandbox::open_standard_libraries(l, setup.shared);
        libs::open(l, up);
        redis_api::open(l, up, setup.flavor);
        sandbox::protect_globals(l);
        0
    }
}

unsafe fn compile_impl(l: L) -> c_int {
    unsafe {
        let job = &mut *ffi::lua_touserdata(l, 1).cast::<Compile>();
        if lua::load_text(l, job.code, job.chunkname.as_ptr()) != 0 {
            job.result = Err(lua::bytes_at(l, -1).unwrap_or_default().to_vec());
            return 0;
        }
        job.result = Ok(ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX));
        0
    }
}

/// Pushes a Lua array of byte strings.
unsafe fn push_strings(l: L, items: &[&[u8]]) {
    unsafe {
        ffi::lua_createtable(l, items.len().min(i32::MAX as usize) as c_int, 0);
        for (i, item) in items.iter().enumerate() {
            lua::push_bytes(l, item);
            ffi::lua_rawseti_(l, -2, i as c_int + 1);
        }
    }
}

unsafe fn run_impl(l: L) -> c_int {
    unsafe {
        let job = &mut *ffi::lua_touserdata(l, 1).cast::<Job>();
        ffi::lua_settop(l, 0);
        ffi::lua_pushcfunction(l, error_handler);
        ffi::lua_rawgeti_(l, ffi::LUA_REGISTRYINDEX, job.function);
        if job.keys_as_globals {
            set_keys_and_argv(l, Some((job.keys, job.args)));
        } else {
            push_strings(l, job.keys);
            push_strings(l, job.args);
        }
        let nargs = if job.keys_as_globals { 0 } else { 2 };
        let failed = ffi::lua_pcall(l, nargs, 1, 1) != 0;
        if job.keys_as_globals {
            set_keys_and_argv(l, None);
        }
        let shared = registry_shared(l);
        let script_resp3 = (*shared).run.as_ref().is_some_and(|r| r.resp3);
        let out = &mut *job.out;
        let start = out.len();
        let mut reply = crate::protocol::Reply::new(out, job.client_resp3);
        let counted = if failed {
            convert::write_script_error(l, &mut reply, job.name)
        } else {
            convert::write_lua_value(l, &mut reply, script_resp3)
        };
        // An error nested in an array does not make the reply an error.
        job.status.error = out.get(start) == Some(&b'-');
        job.status.error_already_counted = counted && job.status.error;
        0
    }
}

/// A script's KEYS and ARGV.
type KeysAndArgs<'a> = (&'a [&'a [u8]], &'a [&'a [u8]]);

/// Sets (or clears, with `None`) the KEYS and ARGV globals of an EVAL.
unsafe fn set_keys_and_argv(l: L, values: Option<KeysAndArgs>) {
    unsafe {
        sandbox::push_globals_backing(l);
        for (name, items) in [
            (c"KEYS", values.map(|v| v.0)),
            (c"ARGV", values.map(|v| v.1)),
        ] {
            match items {
                Some(items) => push_strings(l, items),
                None => ffi::lua_pushnil(l),
            }
            lua::set_top(l, -2, name);
        }
        ffi::lua_pop(l, 1);
    }
}

unsafe fn load_impl(l: L) -> c_int {
    unsafe {
        let job = &mut *ffi::lua_touserdata(l, 1).cast::<LoadJob>();
        sandbox::use_load_globals(l, true);
        ffi::lua_rawgeti_(l, ffi::LUA_REGISTRYINDEX, job.chunk);
        let failed = ffi::lua_pcall(l, 0, 0, 0) != 0;
        sandbox::use_load_globals(l, false);
        if failed {
            // Without a handler: strings get the ERR code, tables keep theirs.
            let msg = if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
                lua::get_field(l, -1, c"err");
                lua::tolstring(l, -1).map(|m| lua::c_str_prefix(m).to_vec())
            } else {
                lua::tolstring(l, -1).map(|m| [&b"ERR "[..], lua::c_str_prefix(m)].concat())
            };
            job.error = Some(msg.unwrap_or_else(|| b"ERR unknown error".to_vec()));
        }
        0
    }
}

/// Redis's error handler: every error becomes a table with an `err`
/// message (`ERR` prepended to plain errors), plus the `source` and `line`
/// of the Lua code that raised it, skipping a C function it came from.
unsafe fn error_handler_impl(l: L) -> c_int {
    unsafe {
        if ffi::lua_type(l, 1) != ffi::LUA_TTABLE {
            let mut len = 0;
            let text = match ffi::lua_type(l, 1) {
                ffi::LUA_TNIL => c"nil".as_ptr(),
                ffi::LUA_TBOOLEAN if ffi::lua_toboolean(l, 1) != 0 => c"true".as_ptr(),
                ffi::LUA_TBOOLEAN => c"false".as_ptr(),
                ffi::LUA_TSTRING | ffi::LUA_TNUMBER => ffi::lua_tolstring(l, 1, &mut len),
                _ => {
                    let name = ffi::lua_typename(l, ffi::lua_type(l, 1));
                    ffi::lua_pushfstring(l, c"%s: %p".as_ptr(), name, ffi::lua_topointer(l, 1))
                }
            };
            ffi::lua_createtable(l, 0, 3);
            lua::push_bytes(l, b"ERR ");
            ffi::lua_pushstring_(l, text);
            ffi::lua_concat(l, 2);
            lua::set_top(l, -2, c"err");
            ffi::lua_replace(l, 1);
            ffi::lua_settop(l, 1);
        }
        let mut ar: ffi::lua_Debug = std::mem::zeroed();
        let mut found = ffi::lua_getstack(l, 1, &mut ar) != 0
            && ffi::lua_getinfo(l, c"Sl".as_ptr(), &mut ar) != 0;
        if found && CStr::from_ptr(ar.what) == c"C" {
            found = ffi::lua_getstack(l, 2, &mut ar) != 0
                && ffi::lua_getinfo(l, c"Sl".as_ptr(), &mut ar) != 0;
        }
        if found {
            ffi::lua_pushstring_(l, ar.source);
            lua::set_top(l, 1, c"source");
            ffi::lua_pushinteger(l, ar.currentline as ffi::lua_Integer);
            lua::set_top(l, 1, c"line");
        }
        1
    }
}

/// The count hook: asks the server whether to stop (or enforces the load
/// timeout). Once stopped, it fires on every line and raises again, so
/// `pcall` cannot swallow the kill.
unsafe extern "C-unwind" fn count_hook(l: L, _ar: *mut ffi::lua_Debug) {
    unsafe {
        let shared = registry_shared(l);
        let Some(run) = (*shared).run.as_mut() else {
            return;
        };
        if run.aborted.is_none() {
            run.aborted = match &run.load {
                Some(load) if load.started.elapsed() > LOAD_TIMEOUT => {
                    Some(&b"FUNCTION LOAD timeout"[..])
                }
                Some(_) => None,
                None => run.bridge().should_abort().map(|r| r.message()),
            };
        }
        if let Some(msg) = run.aborted {
            ffi::lua_sethook(l, Some(count_hook), ffi::LUA_MASKLINE, 0);
            redis_api::push_error_table(l, msg);
            ffi::lua_error(l);
        }
    }
}
