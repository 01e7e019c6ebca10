//! MONITOR: every command other clients run, as one line each.
//!
//! The dispatcher calls `feed` after each command; with no monitor
//! connected that costs one relaxed atomic load. A line is formatted once
//! and the same bytes are pushed to every monitor's channel.

use bytes::Bytes;

use super::redact::shown_args;
use crate::command::{Args, Command, flag};
use crate::state::Session;
use crate::state::registry::ClientRegistry;

/// Sends `args` to the monitors, unless the command is one Redis keeps out
/// of MONITOR (skip_monitor, and every admin command).
pub fn feed(clients: &ClientRegistry, client: &Session, cmd: &Command, args: &Args<'_>) {
    if !clients.monitoring() || cmd.has(flag::SKIP_MONITOR | flag::ADMIN) {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let line = format_line(now.as_secs(), now.subsec_micros(), client, cmd, args);
    clients.feed_monitors(Bytes::from(line));
}

/// `+1700000000.123456 [0 127.0.0.1:12345] "SET" "k" "v"\r\n`.
fn format_line(
    secs: u64,
    micros: u32,
    client: &Session,
    cmd: &Command,
    args: &Args<'_>,
) -> Vec<u8> {
    let mut line = format!("+{secs}.{micros:06} [{} ", client.db).into_bytes();
    if client.handle.is_unix() {
        line.extend_from_slice(b"unix:");
        line.extend_from_slice(
            client
                .addr
                .strip_suffix(":0")
                .unwrap_or(&client.addr)
                .as_bytes(),
        );
    } else {
        line.extend_from_slice(client.addr.as_bytes());
    }
    line.push(b']');
    for arg in shown_args(cmd, args) {
        line.push(b' ');
        repr(&mut line, arg);
    }
    line.extend_from_slice(b"\r\n");
    line
}

/// Quotes bytes as Redis's sdscatrepr does.
pub fn repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', c]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            b' '..=b'~' => out.push(c),
            _ => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_escapes_like_sdscatrepr() {
        let mut out = Vec::new();
        repr(&mut out, b"a\"b\\\n\r\t\x07\x08\xff\x00 ~");
        assert_eq!(out, b"\"a\\\"b\\\\\\n\\r\\t\\a\\b\\xff\\x00 ~\"");
    }

    #[test]
    fn lines_redact_credentials_and_name_unix_clients() {
        let client = Session::new(1, "127.0.0.1:5000".into(), String::new());
        let auth = Command::new("auth", -2, |_| Ok(()));
        let base = b"AUTHuserpass";
        let spans = [(0, 4), (4, 8), (8, 12)];
        let line = format_line(1700000000, 42, &client, &auth, &Args::new(base, &spans));
        assert_eq!(
            line,
            b"+1700000000.000042 [0 127.0.0.1:5000] \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n"
        );
        let hello = Command::new("hello", -1, |_| Ok(()));
        let base = b"HELLO3AUTHupSETNAMEx";
        let spans = [
            (0, 5),
            (5, 6),
            (6, 10),
            (10, 11),
            (11, 12),
            (12, 19),
            (19, 20),
        ];
        let line = format_line(1, 0, &client, &hello, &Args::new(base, &spans));
        assert_eq!(
            line,
            b"+1.000000 [0 127.0.0.1:5000] \"HELLO\" \"3\" \"AUTH\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"x\"\r\n"
        );
    }
}
