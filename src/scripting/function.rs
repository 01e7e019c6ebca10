//! Function libraries (FUNCTION LOAD/DELETE/FLUSH/LIST, FCALL): the
//! `#!lua name=<lib>` header, and the registry of libraries and the
//! functions they registered, with Redis's rules and error texts.
//!
//! A library costs its code plus, per function, its name, description and
//! a registry slot for the compiled callback.

use std::collections::{BTreeMap, HashMap};
use std::ffi::c_int;

use crate::protocol::parse::split_words;

use super::bridge::Bridge;
use super::flags::ScriptFlags;
use super::vm::Vm;

/// A loaded library, as FUNCTION LIST and FUNCTION DUMP describe it.
#[derive(Debug)]
pub struct Library {
    pub name: Vec<u8>,
    pub code: Vec<u8>,
    /// In registration order.
    pub functions: Vec<Function>,
}

/// A function a library registered.
#[derive(Debug)]
pub struct Function {
    pub name: Vec<u8>,
    pub description: Option<Vec<u8>>,
    pub flags: ScriptFlags,
    pub(crate) callback: c_int,
}

/// Library and function names: letters, digits and underscores.
pub(crate) fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

fn err(msg: &str) -> Vec<u8> {
    [b"ERR ", msg.as_bytes()].concat()
}

/// The library name from the `#!<engine> name=<name>` first line, and
/// where the code after that line starts (at its newline, so line numbers
/// stay those of the whole text).
pub(crate) fn parse_header(code: &[u8]) -> Result<(Vec<u8>, usize), Vec<u8>> {
    if !code.starts_with(b"#!") {
        return Err(err("Missing library metadata"));
    }
    let Some(line_end) = memchr::memchr(b'\n', code) else {
        return Err(err("Invalid library metadata"));
    };
    // The engine runs up to the first space; the options after it are
    // split like a command line.
    let line = &code[2..line_end];
    let (engine, options) = match memchr::memchr(b' ', line) {
        Some(sp) => (&line[..sp], &line[sp + 1..]),
        None => (line, &b""[..]),
    };
    let (mut words, mut spans) = (Vec::new(), Vec::new());
    if split_words(options, &mut words, &mut spans).is_err() {
        return Err(err("Invalid library metadata"));
    }
    let word = |&(start, end): &(usize, usize)| &words[start..end];
    let mut name: Option<&[u8]> = None;
    for span in &spans {
        let part = word(span);
        match part.strip_prefix(b"name=") {
            Some(_) if name.is_some() => {
                return Err(err(
                    "Invalid metadata value, name argument was given multiple times",
                ));
            }
            Some(value) => name = Some(value),
            None => return Err([&err("Invalid metadata value given: ")[..], part].concat()),
        }
    }
    let Some(name) = name else {
        return Err(err("Library name was not given"));
    };
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err([&err("Engine '")[..], engine, b"' not found"].concat());
    }
    if !valid_name(name) {
        return Err(err(
            "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ));
    }
    Ok((name.to_vec(), line_end))
}

/// The loaded libraries and an index of their functions.
#[derive(Default)]
pub(crate) struct Libraries {
    libraries: BTreeMap<Vec<u8>, Library>,
    /// Function name → library name.
    functions: HashMap<Vec<u8>, Vec<u8>>,
}

impl Libraries {
    /// FUNCTION LOAD: compiles and runs `code`'s top level, then registers
    /// its functions (replacing a library of the same name if `replace`).
    /// The error is the reply text.
    pub(crate) fn load(
        &mut self,
        vm: &mut Vm,
        code: &[u8],
        replace: bool,
        bridge: &mut dyn Bridge,
    ) -> Result<Vec<u8>, Vec<u8>> {
        let (name, body_start) = parse_header(code)?;
        if !replace && self.libraries.contains_key(&name) {
            return Err([&err("Library '")[..], &name, b"' already exists"].concat());
        }
        let chunk = vm
            .compile(&code[body_start..], c"@user_function")
            .map_err(|msg| {
                let mut e = err("Error compiling function: ");
                e.extend_from_slice(&msg);
                e
            })?;
        let loaded = vm.load_library(chunk, bridge);
        vm.release(chunk);
        let registered = loaded.map_err(|msg| [b"ERR ", &msg[..]].concat())?;
        let taken = registered.iter().find(|f| {
            self.functions
                .get(&f.name)
                .is_some_and(|owner| *owner != name)
        });
        let failure = match (registered.is_empty(), taken) {
            (true, _) => Some(err("No functions registered")),
            (false, Some(f)) => Some([&err("Function ")[..], &f.name, b" already exists"].concat()),
            (false, None) => None,
        };
        if let Some(failure) = failure {
            for f in &registered {
                vm.release(f.callback);
            }
            return Err(failure);
        }
        self.delete(vm, &name);
        let functions: Vec<Function> = registered
            .into_iter()
            .map(|r| Function {
                name: r.name,
                description: r.description,
                flags: r.flags,
                callback: r.callback,
            })
            .collect();
        for f in &functions {
            self.functions.insert(f.name.clone(), name.clone());
        }
        self.libraries.insert(
            name.clone(),
            Library {
                name: name.clone(),
                code: code.to_vec(),
                functions,
            },
        );
        Ok(name)
    }

    /// FUNCTION DELETE; false when there is no such library.
    pub(crate) fn delete(&mut self, vm: &mut Vm, name: &[u8]) -> bool {
        let Some(library) = self.libraries.remove(name) else {
            return false;
        };
        for f in &library.functions {
            self.functions.remove(&f.name);
            vm.release(f.callback);
        }
        true
    }

    pub(crate) fn clear(&mut self) {
        self.libraries.clear();
        self.functions.clear();
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Library> {
        self.libraries.values()
    }

    pub(crate) fn get(&self, name: &[u8]) -> Option<&Library> {
        self.libraries.get(name)
    }

    pub(crate) fn function(&self, name: &[u8]) -> Option<(&Library, &Function)> {
        let library = self.libraries.get(self.functions.get(name)?)?;
        let function = library.functions.iter().find(|f| f.name == name)?;
        Some((library, function))
    }

    pub(crate) fn function_count(&self) -> usize {
        self.functions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FUNCTION LOAD replies of Redis 7.0.15.
    #[test]
    fn header_errors_match_redis() {
        type Case<'a> = (&'a [u8], Result<&'a [u8], &'a str>);
        let cases: &[Case] = &[
            (b"#!lua name=mylib\ncode", Ok(b"mylib")),
            (b"#!LUA name=up\n", Ok(b"up")),
            (b"#!lua  name=lib33\n", Ok(b"lib33")),
            (b"#!lua name=lib23 \n", Ok(b"lib23")),
            (b"lua name=x\n", Err("ERR Missing library metadata")),
            (b"#!lua name=x", Err("ERR Invalid library metadata")),
            (
                b"#!lua name=x junk\n",
                Err("ERR Invalid metadata value given: junk"),
            ),
            (
                b"#!lua name=a name=b\n",
                Err("ERR Invalid metadata value, name argument was given multiple times"),
            ),
            (
                b"#!lua flags=x\n",
                Err("ERR Invalid metadata value given: flags=x"),
            ),
            (b"#!lua\n", Err("ERR Library name was not given")),
            (b"#!\n", Err("ERR Library name was not given")),
            (b"#! name=x\n", Err("ERR Engine '' not found")),
            (b"#!lu name=x\n", Err("ERR Engine 'lu' not found")),
            (
                b"#!lua name=lib-28\n",
                Err(
                    "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
                ),
            ),
            (
                b"#!lua name=\n",
                Err(
                    "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
                ),
            ),
        ];
        for (code, want) in cases {
            let got = parse_header(code).map(|(name, _)| name);
            match want {
                Ok(name) => assert_eq!(got.as_deref(), Ok(*name), "{}", code.escape_ascii()),
                Err(msg) => {
                    assert_eq!(got, Err(msg.as_bytes().to_vec()), "{}", code.escape_ascii())
                }
            }
        }
    }
}
