//! Loading the configuration: redis.conf syntax from a file, stdin and
//! `--name value` flags, in redis-server's order (file, stdin, flags; the
//! last wins), with redis-server's start-up errors.

use std::path::PathBuf;

use super::parse::{self, canonical, split_args};
use super::table::{self, DIRECTIVES, Kind, Special};
use super::{Config, ConfigError};

/// What the command line asks for, before any file is read.
struct Sources {
    file: Option<String>,
    stdin: bool,
    options: String,
}

/// `[file] [--name value ...] [-]`, as redis-server reads its arguments.
fn sources(args: &[String]) -> Sources {
    let mut rest = args;
    let file = match args.first() {
        Some(first) if !first.starts_with('-') => {
            rest = &args[1..];
            Some(first.clone())
        }
        _ => None,
    };
    let stdin = rest.iter().any(|a| a == "-");
    let rest: Vec<String> = rest.iter().filter(|a| *a != "-").cloned().collect();
    Sources {
        file,
        stdin,
        options: args_to_config_text(&rest),
    }
}

fn read_file(path: &str) -> Result<String, String> {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|e| {
            let e = e.to_string();
            let e = e.split(" (os error").next().unwrap_or_default();
            format!("Fatal error, can't open config file '{path}': {e}")
        })
}

impl Config {
    /// Builds the configuration from the command line (program name
    /// excluded): the file, then stdin, then the flags; the last wins.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let src = sources(args);
        let mut text = String::new();
        let mut config = Config::default();
        if let Some(path) = &src.file {
            text = read_file(path)?;
            // Absolute now, because `dir` may move the process while parsing.
            config.file = std::path::absolute(path).ok();
        }
        if src.stdin {
            crate::log::warning("Reading config from stdin");
            let mut input = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
                .map_err(|e| format!("Fatal error, can't read config from stdin: {e}"))?;
            text.push('\n');
            text.push_str(&input);
        }
        text.push('\n');
        text.push_str(&src.options);
        config.apply_text(&text)?;
        config.refresh();
        Ok(config)
    }

    /// Applies config-file text on top of the current values.
    fn apply_text(&mut self, text: &str) -> Result<(), String> {
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fail = |reason: String| {
                ConfigError {
                    line_no: i + 1,
                    line: trimmed.to_string(),
                    reason,
                }
                .to_string()
            };
            let words = split_args(trimmed)
                .ok_or_else(|| fail("Unbalanced quotes in configuration line".into()))?;
            let Some((name, args)) = words.split_first() else {
                continue;
            };
            if name.eq_ignore_ascii_case("include") {
                let [path] = args else {
                    return Err(fail("Bad directive or wrong number of arguments".into()));
                };
                for file in include_targets(path)? {
                    self.apply_text(&read_file(&file)?)?;
                }
                continue;
            }
            self.apply_line(name, args).map_err(fail)?;
        }
        Ok(())
    }

    fn apply_line(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let i = table::lookup(name).ok_or("Bad directive or wrong number of arguments")?;
        let d = &DIRECTIVES[i];
        // Like Redis, a multi-word directive given one argument
        // (`--save "900 1"`) is split on spaces.
        let split: Vec<String>;
        let args = match (d.kind, args) {
            (
                Kind::Special(
                    Special::Bind
                    | Special::Save
                    | Special::ClientOutputBufferLimit
                    | Special::OomScoreAdjValues
                    | Special::Percentiles
                    | Special::ShutdownFlags,
                ),
                [one],
            ) if one.contains(' ') => {
                split = one
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                &split[..]
            }
            _ => args,
        };
        let values = self.values.get_mut();
        let value = canonical(d, args, &values[i])?;
        if d.kind == Kind::Special(Special::Dir) {
            std::env::set_current_dir(&value).map_err(|e| e.to_string())?;
        }
        values[i] = value;
        self.refresh_shared();
        Ok(())
    }
}

/// The files an `include` names: the path itself, or, when its file name
/// has wildcards, the matching files of its directory in name order (no
/// match is not an error, as in Redis).
fn include_targets(path: &str) -> Result<Vec<String>, String> {
    let p = std::path::Path::new(path);
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
    let Some(pattern) = name.filter(|n| n.contains(['*', '?', '['])) else {
        return Ok(vec![path.to_string()]);
    };
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        format!(
            "Fatal error, can't open config directory '{}': {e}",
            dir.display()
        )
    })?;
    let mut files: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_file())
        .filter(|e| {
            let file = e.file_name();
            crate::util::glob::glob_match(pattern.as_bytes(), file.as_encoded_bytes(), false)
        })
        .map(|e| e.path().to_string_lossy().into_owned())
        .collect();
    files.sort();
    Ok(files)
}

/// `--port 7000 --save ""` → `port 7000\nsave ""\n`, as redis-server does.
fn args_to_config_text(args: &[String]) -> String {
    let mut text = String::new();
    for arg in args {
        if let Some(name) = arg.strip_prefix("--") {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(name);
        } else {
            text.push(' ');
            text.push_str(&parse::quote(arg));
        }
    }
    text.push('\n');
    text
}

// ----- CONFIG GET / SET -----

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClientClass, OutputLimit};

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_line_flags_override_defaults() {
        let c = Config::from_args(&args(&[
            "--port",
            "7000",
            "--bind",
            "127.0.0.1",
            "::1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--client-output-buffer-limit",
            "pubsub",
            "1mb",
            "0",
            "0",
        ]))
        .unwrap();
        assert_eq!(c.port(), 7000);
        assert_eq!(c.bind(), ["127.0.0.1", "::1"]);
        assert_eq!(
            c.client_output_buffer_limit(ClientClass::Pubsub),
            OutputLimit {
                hard: 1 << 20,
                soft: 0,
                soft_seconds: 0
            }
        );
    }

    #[test]
    fn unknown_directive_names_the_line() {
        let err = Config::from_args(&args(&["--port", "1", "--nonsense", "x"])).unwrap_err();
        assert!(err.contains("at line 3"), "{err}");
        assert!(err.contains("Bad directive"), "{err}");
    }

    #[test]
    fn defaults_match_redis() {
        let c = Config::default();
        assert_eq!(c.port(), 6379);
        assert_eq!(c.proto_max_bulk_len(), 512 << 20);
        assert_eq!(c.client_query_buffer_limit(), 1 << 30);
        assert_eq!(c.tcp_keepalive(), 300);
        assert_eq!(c.maxclients(), 10000);
        assert!(c.protected_mode());
        assert_eq!(c.slowlog_log_slower_than(), 10000);
        assert_eq!(
            c.client_output_buffer_limit(ClientClass::Replica),
            OutputLimit {
                hard: 256 << 20,
                soft: 64 << 20,
                soft_seconds: 60
            }
        );
    }
}
