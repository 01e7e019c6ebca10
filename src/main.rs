//! `ferrodis [redis.conf] [--option value ...]`: starts the server.

/// mimalloc: its size classes step by 8 bytes for small objects (jemalloc's
/// by 16), which is what a store of many small keys pays for in memory.
/// Wrapped to count allocated bytes for INFO's `used_memory`.
#[global_allocator]
static GLOBAL: ferrodis::alloc::CountingMiMalloc = ferrodis::alloc::CountingMiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match ferrodis::config::Config::from_args(&args) {
        Ok(config) => config,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(1);
        }
    };
    ferrodis::log::notice(&format!(
        "Ferrodis {} (Redis {} compatible) starting, pid={}, port={}",
        ferrodis::VERSION,
        ferrodis::REDIS_VERSION,
        std::process::id(),
        config.port()
    ));
    if let Err(e) = ferrodis::server::run(config) {
        ferrodis::log::warning(&e.to_string());
        std::process::exit(1);
    }
}
