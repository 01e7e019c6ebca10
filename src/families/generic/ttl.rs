//! A key's time to live: the EXPIRE family (EXPIRE, PEXPIRE, EXPIREAT,
//! PEXPIREAT with NX/XX/GT/LT), PERSIST, and the TTL family (TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME). The reads never refresh the key's access time.

use crate::command::{CmdError, CmdResult, Ctx, NOT_INTEGER};
use crate::families::expiry::ExpireForm;
use crate::protocol::reply::c_string;
use crate::util::num::parse_i64;

/// The NX / XX / GT / LT conditions of the EXPIRE family.
#[derive(Default, Clone, Copy)]
struct ExpireCondition {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl ExpireCondition {
    /// Parses the options after the time, with Redis's error if invalid.
    fn parse(ctx: &Ctx<'_, '_>) -> Result<ExpireCondition, CmdError> {
        let mut c = ExpireCondition::default();
        for opt in ctx.args.tail(3).iter() {
            let flag = match opt.to_ascii_lowercase().as_slice() {
                b"nx" => &mut c.nx,
                b"xx" => &mut c.xx,
                b"gt" => &mut c.gt,
                b"lt" => &mut c.lt,
                _ => {
                    let msg = [b"ERR Unsupported option ", c_string(opt, usize::MAX)].concat();
                    return Err(CmdError::Bytes(msg));
                }
            };
            *flag = true;
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(
                "ERR NX and XX, GT or LT options at the same time are not compatible".into(),
            );
        }
        if c.gt && c.lt {
            return Err("ERR GT and LT options at the same time are not compatible".into());
        }
        Ok(c)
    }

    /// Whether the new expiry `when` may replace `current` (None: no expiry,
    /// which counts as infinitely far away for GT and LT).
    fn allows(self, current: Option<i64>, when: i64) -> bool {
        match current {
            None => !self.xx && !self.gt,
            Some(at) => !(self.nx || (self.gt && when <= at) || (self.lt && when >= at)),
        }
    }
}

pub(super) fn expire(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    expire_generic(ctx, ExpireForm::Ex)
}

pub(super) fn pexpire(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    expire_generic(ctx, ExpireForm::Px)
}

pub(super) fn expireat(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    expire_generic(ctx, ExpireForm::ExAt)
}

pub(super) fn pexpireat(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    expire_generic(ctx, ExpireForm::PxAt)
}

/// Sets the expiry; a time already past deletes the key, which replays as DEL.
fn expire_generic(ctx: &mut Ctx<'_, '_>, form: ExpireForm) -> CmdResult {
    let condition = ExpireCondition::parse(ctx)?;
    let n = parse_i64(ctx.arg(2)).ok_or(NOT_INTEGER)?;
    let when = form
        .absolute_ms(n, ctx.now())
        .ok_or(CmdError::InvalidExpireTime)?;
    let key = ctx.arg(1);
    let options = ctx.args.tail(3);
    let (mut db, out) = ctx.db_out();
    if !db.exists(key) || !condition.allows(db.expire_at(key), when) {
        out.int(0);
        return Ok(());
    }
    if when <= db.now() {
        db.remove(key);
        db.emit(&[b"DEL", key]);
    } else {
        db.set_expire(key, Some(when));
        let mut digits = itoa::Buffer::new();
        let mut argv: Vec<&[u8]> = vec![b"PEXPIREAT", key, digits.format(when).as_bytes()];
        argv.extend(options.iter());
        db.emit(&argv);
    }
    out.int(1);
    Ok(())
}

pub(super) fn persist(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let key = ctx.arg(1);
    let mut db = ctx.db();
    let had_ttl = db.expire_at(key).is_some();
    if had_ttl {
        db.set_expire(key, None);
    }
    ctx.out.int(had_ttl as i64);
    Ok(())
}

pub(super) fn ttl(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ttl_generic(ctx, false, false)
}

pub(super) fn pttl(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ttl_generic(ctx, true, false)
}

pub(super) fn expiretime(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ttl_generic(ctx, false, true)
}

pub(super) fn pexpiretime(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ttl_generic(ctx, true, true)
}

/// -2 for a missing key, -1 for one without expiry, else the remaining time
/// or the absolute expiry, in ms or in seconds rounded to nearest.
fn ttl_generic(ctx: &mut Ctx<'_, '_>, in_ms: bool, absolute: bool) -> CmdResult {
    let key = ctx.arg(1);
    let (mut db, out) = ctx.db_out();
    if db.peek_read(key).is_none() {
        out.int(-2);
        return Ok(());
    }
    let Some(at) = db.expire_at(key) else {
        out.int(-1);
        return Ok(());
    };
    let ms = if absolute {
        at
    } else {
        at.saturating_sub(db.now()).max(0)
    };
    out.int(if in_ms {
        ms
    } else {
        ((i128::from(ms) + 500) / 1000) as i64
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expire_conditions_treat_no_ttl_as_infinite() {
        let gt = ExpireCondition {
            gt: true,
            ..Default::default()
        };
        let lt = ExpireCondition {
            lt: true,
            ..Default::default()
        };
        assert!(!gt.allows(None, 5));
        assert!(lt.allows(None, 5));
        assert!(gt.allows(Some(4), 5) && !gt.allows(Some(5), 5));
        assert!(lt.allows(Some(6), 5) && !lt.allows(Some(5), 5));
    }
}
