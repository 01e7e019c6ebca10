//! EVAL scripts: the `#!lua flags=...` shebang and the compile cache.
//!
//! A script is named by the SHA1 of its body. The cache keeps the body
//! (SCRIPT LOAD, replication) and the compiled function, so a script is
//! parsed and compiled once however often it runs; a script costs its
//! body plus its compiled form (typically a few hundred bytes).

use std::collections::HashMap;
use std::ffi::c_int;

use crate::protocol::parse::split_words;

use super::flags::ScriptFlags;
use super::redis_api::sha1_hex;
use super::vm::Vm;

/// A compiled EVAL script: what a command needs to check and run it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalScript {
    /// Lowercase hex SHA1 of the body, as EVALSHA takes it.
    pub sha: [u8; 40],
    /// Shebang flags, or `EVAL_COMPAT_MODE` for a script without one.
    pub flags: ScriptFlags,
    pub(crate) function: c_int,
}

struct Cached {
    body: Box<[u8]>,
    script: EvalScript,
}

/// SHA1 → compiled script.
#[derive(Default)]
pub(crate) struct ScriptCache {
    scripts: HashMap<[u8; 40], Cached>,
    body_bytes: usize,
}

impl ScriptCache {
    /// The cached script for `body`, compiling it on first sight. The
    /// error is the reply text (`ERR Error compiling script ...`).
    pub(crate) fn load(&mut self, vm: &mut Vm, body: &[u8]) -> Result<EvalScript, Vec<u8>> {
        let sha = sha1_hex(body);
        if let Some(cached) = self.scripts.get(&sha) {
            return Ok(cached.script);
        }
        let (flags, code_start) = parse_shebang(body)?;
        let function = vm
            .compile(&body[code_start..], c"@user_script")
            .map_err(|msg| {
                let mut e = b"ERR Error compiling script (new function): ".to_vec();
                e.extend_from_slice(&msg);
                e
            })?;
        let script = EvalScript {
            sha,
            flags,
            function,
        };
        self.body_bytes += body.len();
        self.scripts.insert(
            sha,
            Cached {
                body: body.into(),
                script,
            },
        );
        Ok(script)
    }

    /// The script with this SHA1 (any letter case), as EVALSHA finds it.
    pub(crate) fn find(&self, sha: &[u8]) -> Option<EvalScript> {
        let key: [u8; 40] = sha.try_into().ok()?;
        self.scripts
            .get(&key.map(|b| b.to_ascii_lowercase()))
            .map(|c| c.script)
    }

    pub(crate) fn body(&self, sha: &[u8; 40]) -> Option<&[u8]> {
        self.scripts.get(sha).map(|c| &*c.body)
    }

    pub(crate) fn len(&self) -> usize {
        self.scripts.len()
    }

    /// Bytes of script bodies held (INFO's `used_memory_scripts_eval` part).
    pub(crate) fn body_bytes(&self) -> usize {
        self.body_bytes
    }
}

/// The flags of a `#!lua ...` first line and where the code starts. The
/// code keeps the line's newline so line numbers stay those of the body.
pub(crate) fn parse_shebang(body: &[u8]) -> Result<(ScriptFlags, usize), Vec<u8>> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags::EVAL_COMPAT_MODE, 0));
    }
    let Some(line_end) = memchr::memchr(b'\n', body) else {
        return Err(b"ERR Invalid script shebang".to_vec());
    };
    let (mut words, mut spans) = (Vec::new(), Vec::new());
    if split_words(&body[..line_end], &mut words, &mut spans).is_err() || spans.is_empty() {
        return Err(b"ERR Invalid engine in script shebang".to_vec());
    }
    let word = |&(start, end): &(usize, usize)| &words[start..end];
    let engine = word(&spans[0]);
    if engine != b"#!lua" {
        return Err([&b"ERR Unexpected engine in script shebang: "[..], engine].concat());
    }
    let mut flags = ScriptFlags::default();
    for span in &spans[1..] {
        let option = word(span);
        let Some(list) = option.strip_prefix(b"flags=") else {
            return Err([&b"ERR Unknown lua shebang option: "[..], option].concat());
        };
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            match ScriptFlags::from_name(name) {
                Some(f) => flags.insert(f),
                None => {
                    return Err([&b"ERR Unexpected flag in script shebang: "[..], name].concat());
                }
            }
        }
    }
    Ok((flags, line_end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags_of(body: &str) -> Result<Vec<&'static str>, String> {
        parse_shebang(body.as_bytes())
            .map(|(f, _)| f.names().collect())
            .map_err(|e| String::from_utf8(e).expect("ascii"))
    }

    /// Replies of EVAL on Redis 7.0.15.
    #[test]
    fn shebang_flags_and_errors_match_redis() {
        assert_eq!(flags_of("return 1"), Ok(vec![]));
        assert_eq!(flags_of("#!lua\nreturn 1"), Ok(vec![]));
        assert_eq!(
            flags_of("#!lua flags=no-writes,allow-stale\n"),
            Ok(vec!["no-writes", "allow-stale"])
        );
        assert_eq!(flags_of("#!lua  flags=no-writes \n"), Ok(vec!["no-writes"]));
        assert_eq!(
            flags_of("#!lua flags=no-writes flags=allow-oom\n"),
            Ok(vec!["no-writes", "allow-oom"])
        );
        assert_eq!(flags_of("#!lua flags=\nreturn 3"), Ok(vec![]));
        assert_eq!(flags_of("#!lua\r\nreturn 10"), Ok(vec![]));
        let errors = [
            (
                "#!lua flags=bad\n",
                "ERR Unexpected flag in script shebang: bad",
            ),
            (
                "#!lua flags=NO-WRITES\n",
                "ERR Unexpected flag in script shebang: NO-WRITES",
            ),
            (
                "#!lua flags=no-writes,,allow-oom\n",
                "ERR Unexpected flag in script shebang: ",
            ),
            ("#!lua name=x\n", "ERR Unknown lua shebang option: name=x"),
            (
                "#!lua\treturn 1\n",
                "ERR Unknown lua shebang option: return",
            ),
            (
                "#!luax\n",
                "ERR Unexpected engine in script shebang: #!luax",
            ),
            ("#!\n", "ERR Unexpected engine in script shebang: #!"),
            ("#! lua\n", "ERR Unexpected engine in script shebang: #!"),
            ("#!lua", "ERR Invalid script shebang"),
            ("#!lua flags=", "ERR Invalid script shebang"),
        ];
        for (body, want) in errors {
            assert_eq!(flags_of(body), Err(want.to_string()), "{body:?}");
        }
        assert!(
            !parse_shebang(b"return 1")
                .expect("plain")
                .0
                .names()
                .any(|_| true)
        );
        assert!(
            parse_shebang(b"return 1")
                .expect("plain")
                .0
                .contains(ScriptFlags::EVAL_COMPAT_MODE)
        );
    }
}
