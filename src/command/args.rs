//! A command's arguments, borrowed from the read buffer, and a cursor for
//! parsing their options.

use super::ctx::CmdError;
use crate::util::num::parse_i64;

/// `ERR syntax error`, the reply to an option Redis does not know.
pub const SYNTAX: CmdError = CmdError::text("ERR syntax error");
/// `ERR value is not an integer or out of range`.
pub const NOT_INTEGER: CmdError = CmdError::text("ERR value is not an integer or out of range");

/// The arguments of one command, borrowed from the read buffer without copying.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    base: &'a [u8],
    spans: &'a [(usize, usize)],
}

impl<'a> Args<'a> {
    pub fn new(base: &'a [u8], spans: &'a [(usize, usize)]) -> Self {
        Args { base, spans }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Argument `i` (0 is the command name). Panics if out of range: arity
    /// checks guarantee the positions a command's handler reads.
    pub fn get(&self, i: usize) -> &'a [u8] {
        let (start, end) = self.spans[i];
        &self.base[start..end]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let base = self.base;
        self.spans.iter().map(move |&(s, e)| &base[s..e])
    }

    /// Arguments from `from` on.
    pub fn tail(&self, from: usize) -> Args<'a> {
        Args {
            base: self.base,
            spans: &self.spans[from.min(self.spans.len())..],
        }
    }

    /// A cursor over the arguments from `from` on, for parsing options.
    pub fn cursor(&self, from: usize) -> ArgCursor<'a> {
        ArgCursor {
            args: *self,
            pos: from,
        }
    }
}

/// Walks a command's options left to right. Keywords match in any letter
/// case; a missing or malformed value is Redis's syntax or integer error.
#[derive(Clone, Copy)]
pub struct ArgCursor<'a> {
    args: Args<'a>,
    pos: usize,
}

impl<'a> ArgCursor<'a> {
    /// Position of the next argument.
    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.args.len().saturating_sub(self.pos)
    }

    pub fn is_done(&self) -> bool {
        self.remaining() == 0
    }

    /// The next argument without consuming it.
    pub fn peek(&self) -> Option<&'a [u8]> {
        (self.pos < self.args.len()).then(|| self.args.get(self.pos))
    }

    /// Consumes and returns the next argument.
    pub fn next_arg(&mut self) -> Option<&'a [u8]> {
        let arg = self.peek()?;
        self.pos += 1;
        Some(arg)
    }

    /// Consumes the next argument if it is `keyword` (any case).
    pub fn eat(&mut self, keyword: &str) -> bool {
        let found = self
            .peek()
            .is_some_and(|a| a.eq_ignore_ascii_case(keyword.as_bytes()));
        if found {
            self.pos += 1;
        }
        found
    }

    /// The value that must follow an option: a syntax error when missing.
    pub fn value(&mut self) -> Result<&'a [u8], CmdError> {
        self.next_arg().ok_or(SYNTAX)
    }

    /// An integer value that must follow an option.
    pub fn int(&mut self) -> Result<i64, CmdError> {
        parse_i64(self.value()?).ok_or(NOT_INTEGER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_eats_keywords_in_any_case_and_reports_missing_values() {
        let base = b"SETkvexPX10get";
        let spans = [(0, 3), (3, 4), (4, 5), (5, 7), (7, 9), (9, 11), (11, 14)];
        let args = Args::new(base, &spans);
        let mut c = args.cursor(3);
        assert!(!c.eat("px"));
        assert!(c.eat("EX"));
        assert!(c.eat("px"));
        assert_eq!(c.int().ok(), Some(10));
        assert!(c.eat("GET"));
        assert!(c.is_done());
        assert_eq!(c.value().unwrap_err(), SYNTAX);
    }
}
