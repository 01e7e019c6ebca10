//! Credential checks for AUTH and HELLO ... AUTH, and the rules that depend
//! on whether the default user has a password (NOAUTH, protected mode).

use crate::config::Config;

/// The only user until ACLs exist.
pub const DEFAULT_USER: &str = "default";

pub const NOAUTH: &str = "NOAUTH Authentication required.";

pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Whether the default user accepts connections without a password, as
/// Redis's `nopass` default user does when `requirepass` is unset.
pub fn default_user_nopass(config: &Config) -> bool {
    config.requirepass().is_none()
}

/// Whether a client that has not authenticated must do so before running
/// commands: Redis asks it only while the default user has a password.
pub fn required(config: &Config) -> bool {
    !default_user_nopass(config)
}

/// Whether `name` is a known user (CLIENT KILL USER).
pub fn user_exists(name: &[u8]) -> bool {
    name == DEFAULT_USER.as_bytes()
}

/// Checks `user`/`password`; Ok names the authenticated user.
pub fn check(config: &Config, user: &[u8], password: &[u8]) -> Result<&'static str, &'static str> {
    if !user_exists(user) {
        return Err(WRONGPASS);
    }
    match config.requirepass() {
        None => Ok(DEFAULT_USER),
        Some(expected) if constant_time_eq(&expected, password) => Ok(DEFAULT_USER),
        Some(_) => Err(WRONGPASS),
    }
}

/// Compares without an early exit, so timing does not reveal how much of a
/// guessed password was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, &x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(!x));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_matches_equality() {
        assert!(constant_time_eq(b"pw", b"pw"));
        assert!(!constant_time_eq(b"pw", b"pW"));
        assert!(!constant_time_eq(b"pw", b"pw2"));
        assert!(!constant_time_eq(b"pw", b""));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn without_requirepass_default_accepts_any_password_but_others_fail() {
        let config = Config::default();
        assert_eq!(check(&config, b"default", b"anything"), Ok(DEFAULT_USER));
        assert_eq!(check(&config, b"alice", b"x"), Err(WRONGPASS));
    }
}
