//! Reaching a key's value as the type a command expects: `WRONGTYPE` for a
//! key of another type, `None` for a missing one, and for writes the guard
//! that announces the change (see `keyspace::ValueMut`).
//!
//! ```ignore
//! let list = read_as(db.lookup_read(key), Value::as_list)?;       // Option<&List>
//! let mut v = create_as(&mut db, key, Kind::List, Value::new_list)?; // ValueMut
//! let list = v.as_list_mut().expect("checked above");
//! ```

use super::WRONGTYPE;
use crate::command::CmdError;
use crate::keyspace::{DbView, Kind, Value, ValueMut};

/// A read of `value` as the type `pick` accepts.
pub fn read_as<'a, T: ?Sized>(
    value: Option<&'a Value>,
    pick: impl FnOnce(&'a Value) -> Option<&'a T>,
) -> Result<Option<&'a T>, CmdError> {
    match value {
        None => Ok(None),
        Some(v) => pick(v).map(Some).ok_or(WRONGTYPE),
    }
}

/// The key's value for writing, if it exists and is of `kind`.
pub fn write_as<'g>(
    db: &'g mut DbView<'_, '_>,
    key: &'g [u8],
    kind: Kind,
) -> Result<Option<ValueMut<'g>>, CmdError> {
    match db.get_mut(key) {
        None => Ok(None),
        Some(v) if v.kind() == kind => Ok(Some(v)),
        Some(_) => Err(WRONGTYPE),
    }
}

/// The key's value for writing, created by `make` (an empty value of
/// `kind`) when missing; `WRONGTYPE` if it holds another type.
pub fn create_as<'g>(
    db: &'g mut DbView<'_, '_>,
    key: &'g [u8],
    kind: Kind,
    make: impl FnOnce() -> Value,
) -> Result<ValueMut<'g>, CmdError> {
    let v = db.get_or_insert_with(key, make);
    if v.kind() == kind {
        Ok(v)
    } else {
        Err(WRONGTYPE)
    }
}
