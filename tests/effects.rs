//! The ordered effect stream: what AOF and replicas will replay.

use ferrodis::config::Config;
use ferrodis::keyspace::effects::Effect;
use ferrodis::server::connection::run_requests;
use ferrodis::server::{Client, Server};

fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n{}\r\n", a.len(), a).as_bytes());
    }
    out
}

fn words(effect: &Effect) -> Vec<String> {
    effect
        .argv
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

#[test]
fn relative_expiry_is_recorded_as_absolute_pxat() {
    let server = Server::new(Config::default());
    let effects = server.keyspace.effects.subscribe();
    let mut client = Client::new(1, String::new(), String::new());
    let before = ferrodis::keyspace::now_ms();
    let out = run_requests(&server, &mut client, &resp(&["SET", "k", "v", "EX", "10"]));
    assert_eq!(out, b"+OK\r\n");
    let effect = effects.try_recv().expect("SET emitted an effect");
    let argv = words(&effect);
    assert_eq!(argv[..4], ["SET", "k", "v", "PXAT"]);
    let at: i64 = argv[4].parse().unwrap();
    assert!((before + 10_000..before + 11_000).contains(&at), "{at}");
    assert!(effects.try_recv().is_err(), "exactly one record");
}

#[test]
fn plain_writes_replay_verbatim_and_reads_emit_nothing() {
    let server = Server::new(Config::default());
    let effects = server.keyspace.effects.subscribe();
    let mut client = Client::new(1, String::new(), String::new());
    let mut stream = resp(&["SELECT", "3"]);
    stream.extend(resp(&["SET", "a", "1"]));
    stream.extend(resp(&["GET", "a"]));
    stream.extend(resp(&["SET", "a", "2", "NX"]));
    run_requests(&server, &mut client, &stream);
    let effect = effects.try_recv().unwrap();
    assert_eq!(effect.db, 3);
    assert_eq!(words(&effect), ["SET", "a", "1"]);
    assert!(
        effects.try_recv().is_err(),
        "GET and a failed NX change nothing"
    );
}

#[test]
fn expired_keys_are_recorded_as_del() {
    let server = Server::new(Config::default());
    let effects = server.keyspace.effects.subscribe();
    let mut client = Client::new(1, String::new(), String::new());
    run_requests(
        &server,
        &mut client,
        &resp(&["SET", "gone", "v", "PX", "1"]),
    );
    std::thread::sleep(std::time::Duration::from_millis(5));
    let out = run_requests(&server, &mut client, &resp(&["GET", "gone"]));
    assert_eq!(out, b"$-1\r\n");
    let recorded: Vec<Vec<String>> = effects.try_iter().map(|e| words(&e)).collect();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[1], ["DEL", "gone"]);
}
