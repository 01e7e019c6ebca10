//! Replies as trees, so that comparison rules can sort, mask or measure
//! parts of a reply and still compare everything else byte for byte.

/// One RESP2/RESP3 value as it was on the wire.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Frame {
    /// The type byte: `+ - : $ * _ , # ! = ( % ~ > |`.
    pub kind: u8,
    /// The rest of the first line, without CRLF (a length, a number, a text).
    pub line: Vec<u8>,
    /// Payload of bulk-like types.
    pub data: Option<Vec<u8>>,
    /// Elements of aggregates; maps and attributes alternate key, value.
    pub items: Vec<Frame>,
}

impl Frame {
    /// Parses one complete reply (as `RawConn::read_reply` returns it).
    pub fn parse(bytes: &[u8]) -> Frame {
        let mut pos = 0;
        let frame = parse_at(bytes, &mut pos);
        assert_eq!(pos, bytes.len(), "trailing bytes after reply");
        frame
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(self.kind);
        out.extend_from_slice(&self.line);
        out.extend_from_slice(b"\r\n");
        if let Some(data) = &self.data {
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        for item in &self.items {
            item.encode_into(out);
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self.kind, b'-' | b'!')
    }

    pub fn is_null(&self) -> bool {
        self.kind == b'_' || (matches!(self.kind, b'$' | b'*') && self.line == b"-1")
    }

    pub fn is_aggregate(&self) -> bool {
        matches!(self.kind, b'*' | b'~' | b'%' | b'>')
    }

    pub fn int(&self) -> Option<i64> {
        if self.kind != b':' {
            return None;
        }
        std::str::from_utf8(&self.line).ok()?.parse().ok()
    }

    /// The text of a simple or bulk string.
    pub fn text(&self) -> Option<&[u8]> {
        match self.kind {
            b'+' => Some(&self.line),
            b'$' => self.data.as_deref(),
            _ => None,
        }
    }

    /// Maps always hold pairs; a RESP2 array holds pairs when the command's
    /// reply is a map.
    fn holds_pairs(&self, map_reply: bool) -> bool {
        self.kind == b'%' || (map_reply && self.kind == b'*' && self.items.len().is_multiple_of(2))
    }

    /// The same reply with its top-level elements (or field/value pairs)
    /// sorted, for replies whose order Redis leaves unspecified.
    pub fn sorted(&self, map_reply: bool) -> Frame {
        let mut out = self.clone();
        if self.holds_pairs(map_reply) {
            let mut pairs: Vec<Vec<Frame>> = self.items.chunks(2).map(<[Frame]>::to_vec).collect();
            pairs.sort();
            out.items = pairs.concat();
        } else if self.is_aggregate() {
            out.items.sort();
        }
        out
    }

    /// Replaces the values of the named fields of a map-shaped reply, for
    /// fields that differ by design (client ids, version strings).
    pub fn masked(&self, fields: &[&str]) -> Frame {
        let mut out = self.clone();
        if self.holds_pairs(true) {
            for pair in out.items.chunks_mut(2) {
                let named = pair[0]
                    .text()
                    .is_some_and(|k| fields.iter().any(|f| f.as_bytes() == k));
                if named {
                    pair[1] = Frame {
                        kind: b'+',
                        line: b"<masked>".to_vec(),
                        data: None,
                        items: Vec::new(),
                    };
                }
            }
        }
        out
    }
}

fn line_at<'a>(bytes: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let start = *pos;
    let end = start
        + bytes[start..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("CRLF");
    *pos = end + 2;
    &bytes[start..end]
}

fn parse_at(bytes: &[u8], pos: &mut usize) -> Frame {
    let line = line_at(bytes, pos);
    let (kind, line) = (line[0], line[1..].to_vec());
    let count = || -> i64 { std::str::from_utf8(&line).unwrap().parse().unwrap() };
    let mut frame = Frame {
        kind,
        line: line.clone(),
        data: None,
        items: Vec::new(),
    };
    match kind {
        b'$' | b'=' | b'!' if count() >= 0 => {
            let n = count() as usize;
            frame.data = Some(bytes[*pos..*pos + n].to_vec());
            *pos += n + 2;
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = count().max(0) as usize;
            let n = if matches!(kind, b'%' | b'|') {
                2 * n
            } else {
                n
            };
            frame.items = (0..n).map(|_| parse_at(bytes, pos)).collect();
            if kind == b'|' {
                // An attribute precedes the reply it describes; keep both.
                frame.items.push(parse_at(bytes, pos));
            }
        }
        _ => {}
    }
    frame
}

/// Bytes as a double-quoted string with escapes, like redis-cli prints them.
pub fn quote(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

/// A reply for display, cut after `max` bytes so huge replies stay readable.
pub fn show(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        quote(bytes)
    } else {
        format!("{}... ({} bytes)", quote(&bytes[..max]), bytes.len())
    }
}

/// A command line for display: each argument quoted.
pub fn show_command(args: &[Vec<u8>]) -> String {
    let parts: Vec<String> = args.iter().map(|a| show(a, 80)).collect();
    parts.join(" ")
}
