//! The slow log: the last `slowlog-max-len` commands that ran for at least
//! `slowlog-log-slower-than` microseconds, newest first.
//!
//! Only slow commands reach the lock here, so it costs fast commands
//! nothing. Arguments are trimmed as Redis trims them, so one huge command
//! cannot make the log huge.

use std::collections::VecDeque;

use parking_lot::Mutex;

/// Arguments kept per entry; the last slot then says how many were left out.
const MAX_ARGS: usize = 32;
/// Bytes kept per argument.
const MAX_ARG_BYTES: usize = 128;

pub struct Entry {
    pub id: u64,
    /// Unix time in seconds.
    pub time: i64,
    pub micros: u64,
    pub argv: Vec<Vec<u8>>,
    pub addr: String,
    pub name: Vec<u8>,
}

#[derive(Default)]
struct Log {
    entries: VecDeque<Entry>,
    next_id: u64,
}

#[derive(Default)]
pub struct SlowLog {
    log: Mutex<Log>,
}

impl SlowLog {
    /// Adds an entry, dropping the oldest beyond `max_len`.
    pub fn push<'a>(
        &self,
        args: impl ExactSizeIterator<Item = &'a [u8]>,
        micros: u64,
        addr: &str,
        name: &[u8],
        max_len: usize,
    ) {
        let argv = trim_args(args);
        let mut log = self.log.lock();
        let id = log.next_id;
        log.next_id += 1;
        log.entries.push_front(Entry {
            id,
            time: crate::util::time::now_ms() / 1000,
            micros,
            argv,
            addr: addr.to_string(),
            name: name.to_vec(),
        });
        log.entries.truncate(max_len);
    }

    pub fn len(&self) -> usize {
        self.log.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn reset(&self) {
        self.log.lock().entries.clear();
    }

    /// Runs `f` on the newest `count` entries.
    pub fn newest(&self, count: usize, f: impl FnOnce(&mut dyn ExactSizeIterator<Item = &Entry>)) {
        let log = self.log.lock();
        let n = count.min(log.entries.len());
        f(&mut log.entries.iter().take(n));
    }
}

/// Keeps at most [`MAX_ARGS`] arguments of at most [`MAX_ARG_BYTES`] bytes,
/// saying what was cut in Redis's words.
fn trim_args<'a>(args: impl ExactSizeIterator<Item = &'a [u8]>) -> Vec<Vec<u8>> {
    let argc = args.len();
    let kept = if argc > MAX_ARGS { MAX_ARGS - 1 } else { argc };
    let mut argv: Vec<Vec<u8>> = args
        .take(kept)
        .map(|a| {
            if a.len() <= MAX_ARG_BYTES {
                return a.to_vec();
            }
            let mut cut = a[..MAX_ARG_BYTES].to_vec();
            cut.extend_from_slice(
                format!("... ({} more bytes)", a.len() - MAX_ARG_BYTES).as_bytes(),
            );
            cut
        })
        .collect();
    if kept < argc {
        argv.push(format!("... ({} more arguments)", argc - kept).into_bytes());
    }
    argv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_commands_are_trimmed_as_redis_trims_them() {
        let many: Vec<Vec<u8>> = (0..40).map(|i| i.to_string().into_bytes()).collect();
        let argv = trim_args(many.iter().map(|a| a.as_slice()));
        assert_eq!(argv.len(), 32);
        assert_eq!(argv[31], b"... (9 more arguments)");
        let long = vec![b'x'; 200];
        let argv = trim_args([long.as_slice()].into_iter());
        assert_eq!(argv[0], [&[b'x'; 128][..], b"... (72 more bytes)"].concat());
    }

    #[test]
    fn keeps_the_newest_entries_up_to_max_len() {
        let log = SlowLog::default();
        for i in 0..5u64 {
            log.push([b"get".as_slice()].into_iter(), i, "a:1", b"", 3);
        }
        assert_eq!(log.len(), 3);
        log.newest(10, |it| {
            let ids: Vec<u64> = it.map(|e| e.id).collect();
            assert_eq!(ids, [4, 3, 2]);
        });
    }
}
