//! A client's transaction between MULTI and EXEC: the commands queued so
//! far and whether EXEC must refuse them.
//!
//! Queued arguments are copied out of the read buffer (which the next read
//! reuses) into one byte buffer per transaction, with one span per
//! argument, so queuing a command costs two vector appends and no
//! allocation per argument. Commands are kept by their id in the command
//! table; the dispatcher turns each back into its entry and arguments.

use std::ops::Range;

/// The commands queued between MULTI and EXEC.
#[derive(Default)]
pub struct Queue {
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// Each command's id in the command table and its range of `spans`.
    commands: Vec<(u32, Range<usize>)>,
    /// Some queued command writes (CLIENT PAUSE WRITE holds EXEC then).
    writes: bool,
    /// What CLIENT LIST shows as `multi-mem`: Redis counts the argument
    /// bytes plus a pointer per argument.
    mem: usize,
}

impl Queue {
    /// Appends one command; `writes` if it may write or replicate.
    pub fn push<'a>(&mut self, id: u32, argv: impl Iterator<Item = &'a [u8]>, writes: bool) {
        let first = self.spans.len();
        for arg in argv {
            let start = self.bytes.len();
            self.bytes.extend_from_slice(arg);
            self.spans.push((start, self.bytes.len()));
            self.mem += arg.len() + std::mem::size_of::<usize>();
        }
        self.commands.push((id, first..self.spans.len()));
        self.writes |= writes;
    }

    pub fn len(&self) -> usize {
        self.commands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    pub fn writes(&self) -> bool {
        self.writes
    }

    pub fn mem(&self) -> usize {
        self.mem
    }

    /// Each command's id, the argument bytes and its spans into them.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &[u8], &[(usize, usize)])> {
        self.commands
            .iter()
            .map(|(id, range)| (*id, &self.bytes[..], &self.spans[range.clone()]))
    }
}

/// The state MULTI opens and EXEC, DISCARD or RESET closes.
#[derive(Default)]
pub struct Transaction {
    pub queue: Queue,
    /// A command was refused while queuing (unknown, arity, not allowed):
    /// EXEC answers EXECABORT.
    pub aborted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_commands_come_back_with_their_arguments_and_memory() {
        let mut q = Queue::default();
        q.push(7, [&b"SET"[..], b"k", b"v"].into_iter(), true);
        q.push(3, [&b"GET"[..], b"k"].into_iter(), false);
        let back: Vec<(u32, Vec<&[u8]>)> = q
            .iter()
            .map(|(id, bytes, spans)| (id, spans.iter().map(|&(s, e)| &bytes[s..e]).collect()))
            .collect();
        assert_eq!(
            back,
            [
                (7, vec![&b"SET"[..], b"k", b"v"]),
                (3, vec![&b"GET"[..], b"k"])
            ]
        );
        assert!(q.writes());
        assert_eq!(q.mem(), 5 + 3 * 8 + 4 + 2 * 8);
    }
}
