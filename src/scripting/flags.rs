//! Script and function flags (`#!lua flags=...`, `register_function{flags=...}`).

/// The flags a script or function declares; the server enforces them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptFlags(u8);

/// Redis's flag names, in the order FUNCTION LIST shows them.
const NAMES: [(&str, ScriptFlags); 5] = [
    ("no-writes", ScriptFlags::NO_WRITES),
    ("allow-oom", ScriptFlags::ALLOW_OOM),
    ("allow-stale", ScriptFlags::ALLOW_STALE),
    ("no-cluster", ScriptFlags::NO_CLUSTER),
    ("allow-cross-slot-keys", ScriptFlags::ALLOW_CROSS_SLOT_KEYS),
];

impl ScriptFlags {
    pub const NO_WRITES: ScriptFlags = ScriptFlags(1);
    pub const ALLOW_OOM: ScriptFlags = ScriptFlags(2);
    pub const ALLOW_STALE: ScriptFlags = ScriptFlags(4);
    pub const NO_CLUSTER: ScriptFlags = ScriptFlags(8);
    pub const ALLOW_CROSS_SLOT_KEYS: ScriptFlags = ScriptFlags(16);
    /// An EVAL script without a shebang line: Redis keeps the pre-7 rules
    /// for it (it may write unless the server refuses, OOM is checked per
    /// command rather than up front).
    pub const EVAL_COMPAT_MODE: ScriptFlags = ScriptFlags(32);

    pub fn contains(self, other: ScriptFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub(crate) fn insert(&mut self, other: ScriptFlags) {
        self.0 |= other.0;
    }

    /// The declared flags' names (compat mode is not one).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        NAMES
            .into_iter()
            .filter(move |(_, f)| self.contains(*f))
            .map(|(name, _)| name)
    }

    /// A shebang flag: names are case-sensitive there.
    pub(crate) fn from_name(name: &[u8]) -> Option<ScriptFlags> {
        NAMES
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .map(|&(_, f)| f)
    }

    /// A `register_function` flag: names are case-insensitive there.
    pub(crate) fn from_name_ignore_case(name: &[u8]) -> Option<ScriptFlags> {
        NAMES
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|&(_, f)| f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_redis_order() {
        let mut all = ScriptFlags::default();
        for (name, _) in NAMES {
            all.insert(ScriptFlags::from_name(name.as_bytes()).expect("known"));
        }
        assert_eq!(all.names().collect::<Vec<_>>(), NAMES.map(|(n, _)| n));
        assert_eq!(ScriptFlags::from_name(b"NO-WRITES"), None);
        assert_eq!(
            ScriptFlags::from_name_ignore_case(b"NO-WRITES"),
            Some(ScriptFlags::NO_WRITES)
        );
        assert!(!ScriptFlags::EVAL_COMPAT_MODE.contains(ScriptFlags::NO_WRITES));
        assert_eq!(ScriptFlags::EVAL_COMPAT_MODE.names().count(), 0);
    }
}
