//! Which arguments logs may show: MONITOR and the slow log hide
//! credentials the same way, as Redis's redaction does.

use std::ops::Range;

use crate::command::{Args, Command};

/// Argument positions holding credentials, shown as `(redacted)`.
pub fn redacted(cmd: &Command, args: &Args<'_>) -> Range<usize> {
    match cmd.fullname.as_str() {
        "auth" => 1..args.len(),
        "hello" => {
            let at = (2..args.len()).find(|&i| args.get(i).eq_ignore_ascii_case(b"AUTH"));
            match at {
                Some(i) => i + 1..(i + 3).min(args.len()),
                None => 0..0,
            }
        }
        _ => 0..0,
    }
}

/// The arguments with credentials replaced.
pub fn shown_args<'a>(cmd: &Command, args: &Args<'a>) -> Vec<&'a [u8]> {
    let hidden = redacted(cmd, args);
    args.iter()
        .enumerate()
        .map(|(i, arg)| {
            if hidden.contains(&i) {
                b"(redacted)".as_slice()
            } else {
                arg
            }
        })
        .collect()
}
