//! The writes that store a whole string value: SET and its variants (SETNX,
//! SETEX, PSETEX, GETSET), GETEX, GETDEL, MSET and MSETNX.
//!
//! SET, SETNX, SETEX, PSETEX and GETSET are one write with different option
//! sets and replies, so they share [`set_generic`]; SET and GETEX share one
//! option parser.

use super::ops::reply_string;
use crate::command::{Args, CmdError, CmdResult, Ctx, SYNTAX};
use crate::families::expiry::ExpireForm;
use crate::keyspace::{Ttl, Value};

/// What the options ask of the key's time to live.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TtlOption {
    Unset,
    /// The form and the position of its argument.
    Expire(ExpireForm, usize),
    KeepTtl,
    Persist,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Condition {
    Always,
    Nx,
    Xx,
}

#[derive(Debug, PartialEq, Eq)]
struct StringOptions {
    condition: Condition,
    get: bool,
    ttl: TtlOption,
}

/// Which command's options are parsed: SET takes NX, XX, GET and KEEPTTL;
/// GETEX takes PERSIST; both take the expiry forms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OptionSet {
    Set,
    Getex,
}

/// Parses options from argument `from` on; `None` is a syntax error.
/// Repeating an option is allowed (the last expiry value wins); options that
/// contradict each other are not.
fn parse_options(args: Args<'_>, from: usize, set: OptionSet) -> Option<StringOptions> {
    let mut o = StringOptions {
        condition: Condition::Always,
        get: false,
        ttl: TtlOption::Unset,
    };
    let for_set = set == OptionSet::Set;
    let mut cursor = args.cursor(from);
    while let Some(token) = cursor.next_arg() {
        let is = |name: &str| token.eq_ignore_ascii_case(name.as_bytes());
        if for_set && is("NX") && o.condition != Condition::Xx {
            o.condition = Condition::Nx;
        } else if for_set && is("XX") && o.condition != Condition::Nx {
            o.condition = Condition::Xx;
        } else if for_set && is("GET") {
            o.get = true;
        } else if for_set && is("KEEPTTL") && matches!(o.ttl, TtlOption::Unset | TtlOption::KeepTtl)
        {
            o.ttl = TtlOption::KeepTtl;
        } else if !for_set
            && is("PERSIST")
            && matches!(o.ttl, TtlOption::Unset | TtlOption::Persist)
        {
            o.ttl = TtlOption::Persist;
        } else if let Some(form) = ExpireForm::from_token(token)
            && !cursor.is_done()
            && match o.ttl {
                TtlOption::Unset => true,
                TtlOption::Expire(previous, _) => previous == form,
                _ => false,
            }
        {
            o.ttl = TtlOption::Expire(form, cursor.position());
            cursor.next_arg();
        } else {
            return None;
        }
    }
    Some(o)
}

/// The write shared by SET, SETNX, SETEX, PSETEX and GETSET. With `get` it
/// replies the old value first. Returns whether the value was stored.
fn set_generic(
    ctx: &mut Ctx<'_, '_>,
    (key, value): (&[u8], &[u8]),
    condition: Condition,
    get: bool,
    ttl: Ttl,
) -> Result<bool, CmdError> {
    let (mut db, out) = ctx.db_out();
    if get {
        reply_string(&mut db, out, key)?;
    }
    let found = db.exists(key);
    if (condition == Condition::Nx && found) || (condition == Condition::Xx && !found) {
        return Ok(false);
    }
    db.set(key, Value::from_bytes(value), ttl);
    if let Ttl::At(at) = ttl {
        let mut digits = itoa::Buffer::new();
        db.emit(&[b"SET", key, value, b"PXAT", digits.format(at).as_bytes()]);
    }
    Ok(true)
}

pub(super) fn set(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let opts = parse_options(ctx.args, 3, OptionSet::Set).ok_or(SYNTAX)?;
    let ttl = match opts.ttl {
        TtlOption::Expire(form, arg) => Ttl::At(form.resolve(ctx.arg(arg), ctx.now())?),
        TtlOption::KeepTtl => Ttl::Keep,
        TtlOption::Unset | TtlOption::Persist => Ttl::Clear,
    };
    let pair = (ctx.arg(1), ctx.arg(2));
    let stored = set_generic(ctx, pair, opts.condition, opts.get, ttl)?;
    match (opts.get, stored) {
        (true, _) => {}
        (false, true) => ctx.out.ok(),
        (false, false) => ctx.out.null(),
    }
    Ok(())
}

pub(super) fn setnx(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let pair = (ctx.arg(1), ctx.arg(2));
    let stored = set_generic(ctx, pair, Condition::Nx, false, Ttl::Clear)?;
    ctx.out.int(stored as i64);
    Ok(())
}

/// SETEX and PSETEX: `key time value` with a relative expiry.
fn set_with_expiry(ctx: &mut Ctx<'_, '_>, form: ExpireForm) -> CmdResult {
    let at = form.resolve(ctx.arg(2), ctx.now())?;
    let pair = (ctx.arg(1), ctx.arg(3));
    set_generic(ctx, pair, Condition::Always, false, Ttl::At(at))?;
    ctx.out.ok();
    Ok(())
}

pub(super) fn setex(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    set_with_expiry(ctx, ExpireForm::Ex)
}

pub(super) fn psetex(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    set_with_expiry(ctx, ExpireForm::Px)
}

pub(super) fn getset(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let pair = (ctx.arg(1), ctx.arg(2));
    set_generic(ctx, pair, Condition::Always, true, Ttl::Clear).map(|_| ())
}

pub(super) fn getex(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let opts = parse_options(ctx.args, 2, OptionSet::Getex).ok_or(SYNTAX)?;
    let key = ctx.arg(1);
    let now = ctx.now();
    // Computed now, reported only once the key is known to be a string.
    let expire = match opts.ttl {
        TtlOption::Expire(form, arg) => Some(form.resolve(ctx.arg(arg), now)),
        _ => None,
    };
    let (mut db, out) = ctx.db_out();
    if !reply_string(&mut db, out, key)? {
        return Ok(());
    }
    // Reported only for a string value; the error replaces the reply.
    let expire = expire.transpose()?;
    match expire {
        Some(at) if at <= now => {
            db.remove(key);
            db.emit(&[b"DEL", key]);
        }
        Some(at) => {
            db.set_expire(key, Some(at));
            let mut digits = itoa::Buffer::new();
            db.emit(&[b"PEXPIREAT", key, digits.format(at).as_bytes()]);
        }
        _ if opts.ttl == TtlOption::Persist && db.expire_at(key).is_some() => {
            db.set_expire(key, None);
            db.emit(&[b"PERSIST", key]);
        }
        _ => {}
    }
    Ok(())
}

pub(super) fn getdel(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let key = ctx.arg(1);
    let (mut db, out) = ctx.db_out();
    if !reply_string(&mut db, out, key)? {
        return Ok(());
    }
    db.remove(key);
    db.emit(&[b"DEL", key]);
    Ok(())
}

/// MSET and MSETNX need key-value pairs, which arity alone cannot say.
fn check_pairs(ctx: &Ctx<'_, '_>) -> CmdResult {
    if ctx.args.len() % 2 == 1 {
        Ok(())
    } else {
        Err(CmdError::WrongArity)
    }
}

fn set_pairs(ctx: &mut Ctx<'_, '_>) {
    let args = ctx.args;
    let mut db = ctx.db();
    for i in (1..args.len()).step_by(2) {
        db.set(args.get(i), Value::from_bytes(args.get(i + 1)), Ttl::Clear);
    }
}

pub(super) fn mset(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    check_pairs(ctx)?;
    set_pairs(ctx);
    ctx.out.ok();
    Ok(())
}

pub(super) fn msetnx(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    check_pairs(ctx)?;
    let args = ctx.args;
    let mut db = ctx.db();
    // Every key's shard is locked for the whole command, so the check and
    // the writes are one atomic step.
    let any_exists = (1..args.len()).step_by(2).any(|i| db.exists(args.get(i)));
    if !any_exists {
        set_pairs(ctx);
    }
    ctx.out.int(!any_exists as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Arguments laid out as the parser leaves them: one buffer and spans into it.
    fn parse(argv: &[&str], set: OptionSet) -> Option<StringOptions> {
        let mut base = Vec::new();
        let mut spans = Vec::new();
        for a in argv {
            let start = base.len();
            base.extend_from_slice(a.as_bytes());
            spans.push((start, base.len()));
        }
        let from = if set == OptionSet::Set { 3 } else { 2 };
        parse_options(Args::new(&base, &spans), from, set)
    }

    #[test]
    fn options_may_repeat_but_not_contradict() {
        let set = |a: &[&str]| parse(a, OptionSet::Set);
        let ok = set(&["SET", "k", "v", "ex", "1", "EX", "2", "nx", "NX", "get"]).unwrap();
        assert_eq!(ok.ttl, TtlOption::Expire(ExpireForm::Ex, 6));
        assert_eq!((ok.condition, ok.get), (Condition::Nx, true));
        for bad in [
            &["SET", "k", "v", "NX", "XX"][..],
            &["SET", "k", "v", "EX", "1", "PX", "1"],
            &["SET", "k", "v", "KEEPTTL", "EX", "1"],
            &["SET", "k", "v", "EX"],
            &["SET", "k", "v", "PERSIST"],
        ] {
            assert_eq!(set(bad), None, "{bad:?}");
        }
        let getex = |a: &[&str]| parse(a, OptionSet::Getex);
        assert_eq!(
            getex(&["GETEX", "k", "persist", "PERSIST"]).unwrap().ttl,
            TtlOption::Persist
        );
        for bad in [
            &["GETEX", "k", "KEEPTTL"][..],
            &["GETEX", "k", "NX"],
            &["GETEX", "k", "GET"],
            &["GETEX", "k", "PERSIST", "EX", "1"],
        ] {
            assert_eq!(getex(bad), None, "{bad:?}");
        }
    }
}
