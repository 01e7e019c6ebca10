//! `ferrodis [/path/to/redis.conf] [--option value ...] [-]`: starts the
//! server the way redis-server starts: configuration, then the log, then
//! (if asked) the fork into the background, the pid file, and serving.

use ferrodis::config::Config;
use ferrodis::server::process;
use ferrodis::{REDIS_VERSION, VERSION, log};

/// mimalloc: its size classes step by 8 bytes for small objects (jemalloc's
/// by 16), which is what a store of many small keys pays for in memory.
/// Wrapped to count allocated bytes for INFO's `used_memory`.
#[global_allocator]
static GLOBAL: ferrodis::alloc::CountingMiMalloc = ferrodis::alloc::CountingMiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("-v" | "--version") => {
            println!("{}", version_line());
            return;
        }
        Some("-h" | "--help") => {
            print!("{}", usage());
            return;
        }
        _ => {}
    }
    let config = match Config::from_args(&args) {
        Ok(config) => config,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(1);
        }
    };
    if let Some(path) = config.logfile()
        && let Err(e) = log::open_file(&path)
    {
        println!("Can't open the log file: {e}");
        std::process::exit(1);
    }
    log::warning("oO0OoO0OoO0Oo Ferrodis is starting oO0OoO0OoO0Oo");
    if config.daemonize() {
        // SAFETY: no thread has been started yet (the log writes inline).
        unsafe { process::daemonize() };
    }
    log::warning(&format!(
        "Ferrodis version={VERSION} (Redis {REDIS_VERSION} compatible), bits={}, malloc=mimalloc, pid={}, just started",
        usize::BITS,
        std::process::id()
    ));
    match config.file() {
        Some(path) => log::warning(&format!("Configuration loaded from {}", path.display())),
        None => log::warning(
            "Warning: no config file specified, using the default config. In order to specify a config file use ferrodis /path/to/redis.conf",
        ),
    }
    log::set_role_master();
    show_banner(&config);
    process::write_pidfile(&config);
    log::warning("Server initialized");
    let pid_config = config.pidfile();
    if let Err(e) = ferrodis::server::run(ferrodis::dispatcher(config)) {
        log::warning(&e.to_string());
        if let Some(path) = pid_config {
            let _ = std::fs::remove_file(path);
        }
        std::process::exit(1);
    }
}

/// Ferrodis's own start-up banner where Redis shows its logo (logging to a
/// terminal, or `always-show-logo yes`); a one-line summary otherwise.
/// Harnesses written for Redis wait for its `PID: <pid>` line.
fn show_banner(config: &Config) {
    use std::io::IsTerminal;
    let to_terminal = config.logfile().is_none() && std::io::stdout().is_terminal();
    if !(config.always_show_logo() || to_terminal) {
        log::notice(&format!("Running mode=standalone, port={}.", config.port()));
        return;
    }
    log::raw_notice(&format!(
        "\n  Ferrodis {VERSION}, Redis {REDIS_VERSION} compatible, {} bit\n  \
         Running in standalone mode\n  Port: {}\n  PID: {}\n\n",
        usize::BITS,
        config.port(),
        std::process::id()
    ));
}

/// `Ferrodis server v=0.1.0 sha=... malloc=mimalloc bits=64 build=... redis=7.2.4`.
fn version_line() -> String {
    format!(
        "Ferrodis server v={VERSION} sha={}:0 malloc=mimalloc bits={} build={} (compatible with Redis server v={REDIS_VERSION})",
        option_env!("FERRODIS_GIT_SHA").unwrap_or("00000000"),
        usize::BITS,
        option_env!("FERRODIS_BUILD_ID").unwrap_or("0"),
    )
}

fn usage() -> String {
    "Usage: ./ferrodis [/path/to/redis.conf] [options] [-]
       ./ferrodis - (read config from stdin)
       ./ferrodis -v or --version
       ./ferrodis -h or --help

Examples:
       ./ferrodis (run the server with default conf)
       echo 'maxclients 100' | ./ferrodis -
       ./ferrodis /etc/redis/6379.conf
       ./ferrodis --port 7777
       ./ferrodis /etc/myredis.conf --loglevel verbose -
       ./ferrodis /etc/myredis.conf --loglevel verbose
"
    .to_string()
}
