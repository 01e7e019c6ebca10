//! The configuration at run time: CONFIG GET's pattern matching and
//! CONFIG SET's all-or-nothing changes, validated with the same grammar as
//! the file.

use std::fmt;

use super::parse::canonical;
use super::table::{self, DIRECTIVES, Kind};
use super::{BIND, Config, DIR, PORT, PROTECTED_CONFIGS, split_bind};

/// A CONFIG SET failure, worded as Redis words it.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError {
    Unknown(String),
    Failed { arg: String, reason: String },
}

impl fmt::Display for SetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::Unknown(name) => write!(
                f,
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            ),
            SetError::Failed { arg, reason } => write!(
                f,
                "ERR CONFIG SET failed (possibly related to argument '{arg}') - {reason}"
            ),
        }
    }
}

impl Config {
    /// CONFIG GET: (name, value) for every parameter matching one of the
    /// patterns, each once, in table order. A pattern without wildcards is
    /// a lookup and answers under the name as given, as Redis does.
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let values = self.values.read();
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |name: String, i: usize| {
            if !out.iter().any(|(n, _)| *n == name) {
                let value = if i == DIR {
                    self.dir()
                } else {
                    values[i].clone()
                };
                out.push((name, value));
            }
        };
        for pattern in patterns {
            let is_glob = pattern.iter().any(|c| b"*?[\\".contains(c));
            if !is_glob {
                let name = String::from_utf8_lossy(pattern);
                if let Some(i) = table::lookup(&name).filter(|&i| DIRECTIVES[i].is_parameter()) {
                    push(name.into_owned(), i);
                }
                continue;
            }
            for (i, d) in DIRECTIVES
                .iter()
                .enumerate()
                .filter(|(_, d)| d.is_parameter())
            {
                for name in std::iter::once(d.name).chain(d.alias) {
                    if crate::util::glob::glob_match(pattern, name.as_bytes(), true) {
                        push(name.to_string(), i);
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET: validates every pair, then applies them all. A change of
    /// `bind` or `port` is first handed to `rebind` (new addresses, new
    /// port), which moves the listeners or explains why it cannot.
    pub fn set(
        &self,
        pairs: &[(&[u8], &[u8])],
        rebind: impl FnOnce(&[String], u16) -> Result<(), &'static str>,
    ) -> Result<(), SetError> {
        let mut planned: Vec<(usize, String)> = Vec::new();
        for (raw_name, raw_value) in pairs {
            let name = String::from_utf8_lossy(raw_name).into_owned();
            let value = String::from_utf8_lossy(raw_value).into_owned();
            let i = table::lookup(&name)
                .filter(|&i| DIRECTIVES[i].is_parameter())
                .ok_or_else(|| SetError::Unknown(name.clone()))?;
            let fail = |reason: &str| SetError::Failed {
                arg: name.clone(),
                reason: reason.to_string(),
            };
            if planned.iter().any(|(j, _)| *j == i) {
                return Err(fail("duplicate parameter"));
            }
            let canonical = self.validate_set(i, &value).map_err(|r| fail(&r))?;
            planned.push((i, canonical));
        }
        let current = self.values.read().clone();
        let new_value = |index: usize| {
            planned
                .iter()
                .find(|(i, v)| *i == index && *v != current[index])
                .map(|(_, v)| v)
        };
        if new_value(BIND).is_some() || new_value(PORT).is_some() {
            let bind = new_value(BIND).map_or_else(|| self.bind(), |v| split_bind(v));
            let port = new_value(PORT).map_or(self.port(), |v| v.parse().unwrap_or(0));
            let arg = if new_value(PORT).is_some() {
                "port"
            } else {
                "bind"
            };
            rebind(&bind, port).map_err(|reason| SetError::Failed {
                arg: arg.to_string(),
                reason: reason.to_string(),
            })?;
        }
        for (i, value) in &planned {
            if *i == DIR {
                // Checked to be a directory while validating.
                let _ = std::env::set_current_dir(value);
            }
        }
        let mut values = self.values.write();
        for (i, value) in planned {
            values[i] = value;
        }
        drop(values);
        self.refresh_shared();
        Ok(())
    }

    fn validate_set(&self, i: usize, value: &str) -> Result<String, String> {
        let d = &DIRECTIVES[i];
        if d.immutable {
            return Err("can't set immutable config".into());
        }
        if d.protected && self.text(PROTECTED_CONFIGS) == "no" {
            return Err("can't set protected config".into());
        }
        // Multi-word values arrive as one argument, split on spaces.
        let words: Vec<String> = match d.kind {
            Kind::Special(_) => value
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect(),
            _ => vec![value.to_string()],
        };
        let current = self.values.read()[i].clone();
        let value = canonical(d, &words, &current)?;
        Ok(value)
    }

    /// The canonical value of every directive, for CONFIG REWRITE.
    pub fn snapshot(&self) -> Vec<String> {
        let mut values = self.values.read().clone();
        values[DIR] = self.dir();
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_is_all_or_nothing() {
        let c = Config::default();
        let err = c
            .set(&[(b"timeout", b"5"), (b"maxclients", b"abc")], no_rebind)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"
        );
        assert_eq!(c.timeout(), 0);
        c.set(
            &[(b"timeout", b"5"), (b"proto-max-bulk-len", b"2mb")],
            no_rebind,
        )
        .unwrap();
        assert_eq!(c.timeout(), 5);
        assert_eq!(c.proto_max_bulk_len(), 2 << 20);
    }

    fn no_rebind(_: &[String], _: u16) -> Result<(), &'static str> {
        panic!("nothing here changes bind or port")
    }

    #[test]
    fn a_failed_rebind_changes_nothing() {
        let c = Config::default();
        let refuse =
            |_: &[String], _: u16| Err("Unable to listen on this port. Check server logs.");
        let err = c
            .set(&[(b"timeout", b"7"), (b"port", b"7001")], refuse)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs."
        );
        assert_eq!((c.timeout(), c.port()), (0, 6379));
        c.set(&[(b"bind", b"127.0.0.1 -::1")], |bind, port| {
            assert_eq!(
                (bind, port),
                (&["127.0.0.1".to_string(), "-::1".to_string()][..], 6379)
            );
            Ok(())
        })
        .unwrap();
    }
}
