//! Redis 7.2's command specs (the `redis-commands/*.json` files), reduced to
//! what the generator needs: names, arity, flags, tips and argument trees.
//! Read at test time so that a command added to Ferrodis later is fuzzed
//! without anyone writing a generator for it.

use serde_json::Value;
use std::path::PathBuf;

/// The argument types of the spec format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Key,
    String,
    Integer,
    Double,
    Pattern,
    UnixTime,
    PureToken,
    OneOf,
    Block,
}

#[derive(Clone, Debug)]
pub struct Arg {
    pub name: String,
    pub kind: Kind,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    /// With `multiple`: the token precedes every repetition, not just the first.
    pub multiple_token: bool,
    /// Children of `oneof` and `block`.
    pub args: Vec<Arg>,
}

#[derive(Clone, Debug)]
pub struct CommandSpec {
    /// Upper-case words as sent: `["GET"]` or `["CONFIG", "GET"]`.
    pub words: Vec<String>,
    pub arity: i64,
    pub flags: Vec<String>,
    pub tips: Vec<String>,
    pub args: Vec<Arg>,
    /// The reply schema's top level is an object (a map in RESP3, a flat
    /// field/value array in RESP2), so unordered comparison sorts pairs.
    pub reply_is_map: bool,
}

impl CommandSpec {
    /// "GET" or "CONFIG GET", the name used in the allow-list and in output.
    pub fn name(&self) -> String {
        self.words.join(" ")
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }

    pub fn has_tip(&self, tip: &str) -> bool {
        self.tips.iter().any(|t| t.eq_ignore_ascii_case(tip))
    }
}

/// Where the specs live: `$FERRODIS_COMMAND_SPECS`, else the shared
/// directory next to the repository. None when neither exists.
pub fn spec_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("FERRODIS_COMMAND_SPECS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/redis-commands"),
    };
    dir.is_dir().then_some(dir)
}

/// Every command and subcommand described in `dir`, sorted by name.
pub fn load(dir: &std::path::Path) -> Vec<CommandSpec> {
    let mut specs = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read spec dir") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let json: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (name, body) in json.as_object().expect("spec is an object") {
            specs.push(command(name, body));
        }
    }
    specs.sort_by_key(|s| s.name());
    specs
}

fn strings(v: &Value, field: &str) -> Vec<String> {
    v[field]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn command(name: &str, v: &Value) -> CommandSpec {
    let mut words = Vec::new();
    if let Some(container) = v["container"].as_str() {
        words.push(container.to_ascii_uppercase());
    }
    words.push(name.to_ascii_uppercase());
    CommandSpec {
        words,
        arity: v["arity"].as_i64().expect("arity"),
        flags: strings(v, "command_flags"),
        tips: strings(v, "command_tips"),
        args: args(&v["arguments"]),
        reply_is_map: v["reply_schema"]["type"] == "object",
    }
}

fn args(v: &Value) -> Vec<Arg> {
    v.as_array()
        .map(|a| a.iter().map(arg).collect())
        .unwrap_or_default()
}

fn arg(v: &Value) -> Arg {
    let kind = match v["type"].as_str().expect("argument type") {
        "key" => Kind::Key,
        "string" => Kind::String,
        "integer" => Kind::Integer,
        "double" => Kind::Double,
        "pattern" => Kind::Pattern,
        "unix-time" => Kind::UnixTime,
        "pure-token" => Kind::PureToken,
        "oneof" => Kind::OneOf,
        "block" => Kind::Block,
        other => panic!("unknown argument type {other}"),
    };
    let flag = |f: &str| v[f].as_bool().unwrap_or(false);
    let name = v["name"].as_str().unwrap_or_default().to_string();
    // A few specs leave a pure token's text implicit: it is its name.
    let token = match v["token"].as_str() {
        Some(t) => Some(t.to_string()),
        None if kind == Kind::PureToken => Some(name.to_ascii_uppercase()),
        None => None,
    };
    Arg {
        name,
        kind,
        token,
        optional: flag("optional"),
        multiple: flag("multiple"),
        multiple_token: flag("multiple_token"),
        args: args(&v["arguments"]),
    }
}
