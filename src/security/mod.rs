//! Who may connect and run commands: users and their passwords.
//!
//! Today there is one user, `default`, whose password is `requirepass`.
//! Everything that checks credentials goes through `auth`, so ACL users
//! plug in there without touching the commands that authenticate.

pub mod auth;
