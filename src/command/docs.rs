//! From a command's argument grammar string to COMMAND DOCS's argument tree.
//!
//! Commands state their arguments once, as the usage line Redis's docs show
//! (`key [NX | XX] [EX seconds | PX milliseconds]`); this module turns that
//! line into the tree COMMAND DOCS replies with (name, type, token, flags,
//! key_spec_index, nested arguments), so the table carries no second copy.
//!
//! The rules, in the order they apply:
//! - `[ ... ]` is optional; `<a | b>` is a required group; `|` separates the
//!   alternatives of a `oneof`.
//! - `x [x ...]` makes `x` `multiple`; `T x [T x ...]` makes it
//!   `multiple_token` too; `a b [a b ...]` is a `multiple` block.
//! - An UPPER-CASE word is a token. Followed by one argument or group, it is
//!   that argument's `token`; alone it is a `pure-token` named in lower case.
//!   A group of a token and several arguments (`[LIMIT offset count]`) is a
//!   block carrying the token.
//! - A group is named after its token in lower case, else after its
//!   members' names joined by `-`. Redis names many groups by meaning
//!   (`condition` for `NX | XX`), which no grammar shows, so a group may open
//!   with a label: `[condition: NX | XX]`.
//! - A word's type comes from its name (`key`, `destination` → key;
//!   `count`, `seconds` → integer; `longitude` → double; `pattern`;
//!   `unix-time-*`), else string. Where a name means different types in
//!   different commands (`increment`, `timeout`, `min`), the common one is
//!   assumed and `name:type` overrides it: `increment:double`.
//! - Key arguments get `key_spec_index` 0, 1, ... in order of appearance,
//!   the last spec repeating when there are more key arguments than specs.
//!
//! Not expressible here, so never reported: per-argument `since`,
//! `display_text`, `summary` and `deprecated_since`.

/// COMMAND DOCS's argument types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    Key,
    String,
    Integer,
    Double,
    Pattern,
    UnixTime,
    PureToken,
    Oneof,
    Block,
}

impl ArgType {
    pub fn name(self) -> &'static str {
        match self {
            ArgType::Key => "key",
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::Oneof => "oneof",
            ArgType::Block => "block",
        }
    }

    fn from_name(name: &str) -> Option<ArgType> {
        [
            ArgType::Key,
            ArgType::String,
            ArgType::Integer,
            ArgType::Double,
            ArgType::Pattern,
            ArgType::UnixTime,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }
}

/// One node of the argument tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: String,
    pub kind: ArgType,
    pub token: Option<String>,
    pub key_spec_index: Option<usize>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
    pub arguments: Vec<Arg>,
}

impl Arg {
    fn new(name: String, kind: ArgType) -> Arg {
        Arg {
            name,
            kind,
            token: None,
            key_spec_index: None,
            optional: false,
            multiple: false,
            multiple_token: false,
            arguments: Vec::new(),
        }
    }

    /// The flags COMMAND DOCS lists, in Redis's order.
    pub fn flags(&self) -> Vec<&'static str> {
        [
            (self.optional, "optional"),
            (self.multiple, "multiple"),
            (self.multiple_token, "multiple_token"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// Parses `grammar` into COMMAND DOCS's argument list; `key_specs` is how
/// many key specs the command has (for `key_spec_index`).
pub fn parse(grammar: &str, key_specs: usize) -> Vec<Arg> {
    let tokens = lex(grammar);
    let mut pos = 0;
    let alternatives = parse_alternatives(&tokens, &mut pos);
    // A stray `|` at top level has no group to belong to; keep the first side.
    let seq = alternatives.into_iter().next().unwrap_or_default();
    let mut args = lower_sequence(&seq, false);
    let mut next_key = 0;
    number_keys(&mut args, key_specs, &mut next_key);
    args
}

#[derive(Debug, Clone, PartialEq)]
enum Lex {
    Open(bool), // true for `[`, false for `<`
    Close,
    Bar,
    Ellipsis,
    Word(String),
}

fn lex(s: &str) -> Vec<Lex> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Lex>| {
        if !word.is_empty() {
            out.push(Lex::Word(std::mem::take(word)));
        }
    };
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let symbol = match c {
            '[' => Some(Lex::Open(true)),
            '<' => Some(Lex::Open(false)),
            ']' | '>' => Some(Lex::Close),
            '|' => Some(Lex::Bar),
            '.' if word.is_empty() && chars.peek() == Some(&'.') => {
                while chars.peek() == Some(&'.') {
                    chars.next();
                }
                Some(Lex::Ellipsis)
            }
            c if c.is_whitespace() => None,
            c => {
                word.push(c);
                continue;
            }
        };
        flush(&mut word, &mut out);
        out.extend(symbol);
    }
    flush(&mut word, &mut out);
    out
}

/// The grammar before typing: words, groups and repetition marks.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Word(String),
    Group {
        optional: bool,
        label: Option<String>,
        alternatives: Vec<Vec<Node>>,
    },
    Ellipsis,
}

fn parse_alternatives(tokens: &[Lex], pos: &mut usize) -> Vec<Vec<Node>> {
    let mut alternatives = vec![Vec::new()];
    while let Some(t) = tokens.get(*pos) {
        *pos += 1;
        let current = alternatives.last_mut().expect("never empty");
        match t {
            Lex::Close => break,
            Lex::Bar => alternatives.push(Vec::new()),
            Lex::Ellipsis => current.push(Node::Ellipsis),
            Lex::Word(w) => current.push(Node::Word(w.clone())),
            Lex::Open(optional) => {
                let label = match tokens.get(*pos) {
                    Some(Lex::Word(w)) if w.len() > 1 && w.ends_with(':') => {
                        *pos += 1;
                        Some(w[..w.len() - 1].to_string())
                    }
                    _ => None,
                };
                let inner = parse_alternatives(tokens, pos);
                current.push(Node::Group {
                    optional: *optional,
                    label,
                    alternatives: inner,
                });
            }
        }
    }
    alternatives
}

/// Turns a sequence of nodes into arguments. `grouped` says the sequence is
/// the whole content of a group, whose leading token heads a block when
/// more than one argument follows it.
fn lower_sequence(seq: &[Node], grouped: bool) -> Vec<Arg> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < seq.len() {
        let bare_word = matches!(seq[i], Node::Word(_));
        let (mut arg, used) = lower_repeatable(seq, i);
        i += used;
        let heads_block = grouped && i == 1 && seq.len() > 2;
        let binds = bare_word
            && arg.kind == ArgType::PureToken
            && !arg.multiple
            && !heads_block
            && i < seq.len()
            && seq[i] != Node::Ellipsis;
        if binds {
            let (mut next, used) = lower_repeatable(seq, i);
            if matches!(next.kind, ArgType::Oneof | ArgType::Block) && !has_label(&seq[i]) {
                next.name = arg.name;
            }
            next.token = arg.token;
            arg = next;
            i += used;
        }
        out.push(arg);
    }
    out
}

/// The argument starting at `seq[i]`, taking in a following `[... ...]`
/// repetition of it; returns it and how many nodes it used.
fn lower_repeatable(seq: &[Node], i: usize) -> (Arg, usize) {
    let Some(n) = repetition_at(seq, i) else {
        return (lower_node(&seq[i]), 1);
    };
    let repeated = &seq[i..i + n];
    let mut arg = match <[Arg; 1]>::try_from(lower_sequence(repeated, false)) {
        Ok([single]) => single,
        Err(args) => block(args),
    };
    arg.multiple = true;
    arg.multiple_token = n > 1 && arg.token.is_some();
    (arg, n + 1)
}

fn has_label(node: &Node) -> bool {
    matches!(node, Node::Group { label: Some(_), .. })
}

/// If `seq[i..i+n]` is followed by `[<the same n nodes> ...]`, returns `n`.
fn repetition_at(seq: &[Node], i: usize) -> Option<usize> {
    (1..seq.len() - i).find(|&n| {
        let Some(Node::Group {
            optional: true,
            alternatives,
            ..
        }) = seq.get(i + n)
        else {
            return false;
        };
        let [body] = alternatives.as_slice() else {
            return false;
        };
        body.len() == n + 1 && body[n] == Node::Ellipsis && body[..n] == seq[i..i + n]
    })
}

fn lower_node(node: &Node) -> Arg {
    match node {
        Node::Word(w) => word(w),
        Node::Ellipsis => Arg::new("...".to_string(), ArgType::String),
        Node::Group {
            optional,
            label,
            alternatives,
        } => {
            let mut arg = match alternatives.as_slice() {
                [seq] => group_content(seq),
                _ => {
                    let mut arg = Arg::new(String::new(), ArgType::Oneof);
                    arg.arguments = alternatives.iter().map(|alt| group_content(alt)).collect();
                    arg.name = joined_names(&arg.arguments);
                    arg
                }
            };
            if let Some(label) = label {
                arg.name = label.clone();
            }
            arg.optional |= optional;
            arg
        }
    }
}

/// The content of a group or of one alternative: one argument, or a block.
fn group_content(seq: &[Node]) -> Arg {
    match <[Arg; 1]>::try_from(lower_sequence(seq, true)) {
        Ok([single]) => single,
        Err(args) => block(args),
    }
}

/// A block of several arguments; a leading pure token becomes the block's token.
fn block(mut arguments: Vec<Arg>) -> Arg {
    let mut arg = Arg::new(String::new(), ArgType::Block);
    if arguments.len() > 1 && arguments[0].kind == ArgType::PureToken && !arguments[0].multiple {
        arg.token = arguments.remove(0).token;
    }
    arg.name = match &arg.token {
        Some(t) => t.to_ascii_lowercase(),
        None => joined_names(&arguments),
    };
    arg.arguments = arguments;
    arg
}

fn joined_names(args: &[Arg]) -> String {
    args.iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join("-")
}

fn is_token(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_uppercase())
        && w.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A single word: a pure token, or a named argument typed by name or annotation.
fn word(w: &str) -> Arg {
    if is_token(w) {
        let mut arg = Arg::new(w.to_ascii_lowercase(), ArgType::PureToken);
        arg.token = Some(w.to_string());
        return arg;
    }
    let (name, kind) = match w.split_once(':') {
        Some((name, ty)) => match ArgType::from_name(ty) {
            Some(kind) => (name, kind),
            None => (w, infer_type(w)),
        },
        None => (w, infer_type(w)),
    };
    Arg::new(name.to_string(), kind)
}

/// The type Redis's specs most often give an argument of this name.
fn infer_type(name: &str) -> ArgType {
    const KEYS: &[&str] = &[
        "key",
        "keys",
        "destination",
        "destkey",
        "dst",
        "newkey",
        "source",
        "sourcekey",
        "src",
        "storekey",
        "storedistkey",
    ];
    const INTEGERS: &[&str] = &[
        "count",
        "cursor",
        "db",
        "decrement",
        "destination-db",
        "end",
        "increment",
        "index",
        "len",
        "limit",
        "milliseconds",
        "ms",
        "numkeys",
        "numreplicas",
        "offset",
        "port",
        "protover",
        "rank",
        "seconds",
        "start",
        "stop",
        "timeout",
        "ttl",
        "bit",
        "slot",
        "weight",
        "min-idle-time",
        "min-match-len",
        "client-id",
        "version",
    ];
    const DOUBLES: &[&str] = &[
        "score",
        "longitude",
        "latitude",
        "radius",
        "width",
        "height",
    ];
    if KEYS.contains(&name)
        || (name.starts_with("key") && name[3..].chars().all(|c| c.is_ascii_digit()))
    {
        ArgType::Key
    } else if INTEGERS.contains(&name) {
        ArgType::Integer
    } else if DOUBLES.contains(&name) {
        ArgType::Double
    } else if name == "pattern" || name.ends_with("-pattern") {
        ArgType::Pattern
    } else if name.starts_with("unix-time") {
        ArgType::UnixTime
    } else {
        ArgType::String
    }
}

fn number_keys(args: &mut [Arg], key_specs: usize, next: &mut usize) {
    for arg in args {
        if arg.kind == ArgType::Key && key_specs > 0 {
            arg.key_spec_index = Some((*next).min(key_specs - 1));
            *next += 1;
        }
        number_keys(&mut arg.arguments, key_specs, next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact rendering of a tree: `name:type[token]{flags}(children)`.
    fn show(args: &[Arg]) -> String {
        args.iter()
            .map(|a| {
                let mut s = format!("{}:{}", a.name, a.kind.name());
                if let Some(t) = &a.token {
                    s += &format!("[{t}]");
                }
                if let Some(i) = a.key_spec_index {
                    s += &format!("#{i}");
                }
                let flags = a.flags();
                if !flags.is_empty() {
                    s += &format!("{{{}}}", flags.join(","));
                }
                if !a.arguments.is_empty() {
                    s += &format!("({})", show(&a.arguments));
                }
                s
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn set_grammar_gives_redis_tree_shape() {
        let args = parse(
            "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
            1,
        );
        assert_eq!(
            show(&args),
            "key:key#0 value:string nx-xx:oneof{optional}(nx:pure-token[NX] xx:pure-token[XX]) \
             get:pure-token[GET]{optional} \
             seconds-milliseconds-unix-time-seconds-unix-time-milliseconds-keepttl:oneof{optional}(\
             seconds:integer[EX] milliseconds:integer[PX] unix-time-seconds:unix-time[EXAT] \
             unix-time-milliseconds:unix-time[PXAT] keepttl:pure-token[KEEPTTL])"
        );
    }

    #[test]
    fn labels_name_groups_and_annotations_type_words() {
        let args = parse("key [condition: NX | XX] increment:double", 1);
        assert_eq!(
            show(&args),
            "key:key#0 condition:oneof{optional}(nx:pure-token[NX] xx:pure-token[XX]) increment:double"
        );
    }

    #[test]
    fn token_before_a_group_names_and_tokens_it() {
        let args = parse(
            "[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]",
            0,
        );
        assert_eq!(
            show(&args),
            "filterby:oneof[FILTERBY]{optional}(module-name:string[MODULE] \
             category:string[ACLCAT] pattern:pattern[PATTERN])"
        );
    }

    #[test]
    fn repetitions_become_multiple() {
        assert_eq!(show(&parse("key [key ...]", 1)), "key:key#0{multiple}");
        assert_eq!(
            show(&parse("[command-name [command-name ...]]", 0)),
            "command-name:string{optional,multiple}"
        );
        assert_eq!(
            show(&parse("key [GET pattern [GET pattern ...]]", 1)),
            "key:key#0 pattern:pattern[GET]{optional,multiple,multiple_token}"
        );
        assert_eq!(
            show(&parse(
                "key longitude latitude member [longitude latitude member ...]",
                1
            )),
            "key:key#0 longitude-latitude-member:block{multiple}(\
             longitude:double latitude:double member:string)"
        );
    }

    #[test]
    fn token_heading_several_arguments_makes_a_block() {
        assert_eq!(
            show(&parse("key [LIMIT offset count]", 1)),
            "key:key#0 limit:block[LIMIT]{optional}(offset:integer count:integer)"
        );
        assert_eq!(
            show(&parse(
                "[protover [AUTH username password] [SETNAME clientname]]",
                0
            )),
            "protover-auth-clientname:block{optional}(protover:integer \
             auth:block[AUTH]{optional}(username:string password:string) \
             clientname:string[SETNAME]{optional})"
        );
    }

    #[test]
    fn key_arguments_number_their_specs_in_order() {
        assert_eq!(
            show(&parse("source destination key", 2)),
            "source:key#0 destination:key#1 key:key#1"
        );
        assert_eq!(show(&parse("key", 0)), "key:key");
    }

    #[test]
    fn malformed_grammar_never_panics() {
        for g in [
            "", "]", "[", "| a", "a |", "[[[", "...", "[ ... ]", "a [b ...", "<>", "[x:]",
        ] {
            let _ = parse(g, 1);
        }
    }
}
