//! Expiry arguments as SET, GETEX and the EXPIRE family read them: the
//! EX/PX/EXAT/PXAT forms and the conversion to an absolute unix time in
//! milliseconds, with Redis's overflow rules.

use crate::command::{CmdError, NOT_INTEGER};
use crate::util::num::parse_i64;

/// The four ways an expiry can be given.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExpireForm {
    Ex,
    Px,
    ExAt,
    PxAt,
}

impl ExpireForm {
    pub fn from_token(token: &[u8]) -> Option<ExpireForm> {
        [
            (ExpireForm::Ex, "EX"),
            (ExpireForm::Px, "PX"),
            (ExpireForm::ExAt, "EXAT"),
            (ExpireForm::PxAt, "PXAT"),
        ]
        .into_iter()
        .find(|(_, name)| token.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(form, _)| form)
    }

    pub fn unit_ms(self) -> i64 {
        match self {
            ExpireForm::Ex | ExpireForm::ExAt => 1000,
            ExpireForm::Px | ExpireForm::PxAt => 1,
        }
    }

    pub fn is_absolute(self) -> bool {
        matches!(self, ExpireForm::ExAt | ExpireForm::PxAt)
    }

    /// The absolute expiry (unix ms) `n` stands for in this form at `now`;
    /// `None` where the arithmetic overflows (Redis's invalid expire time).
    pub fn absolute_ms(self, n: i64, now: i64) -> Option<i64> {
        let ms = n.checked_mul(self.unit_ms())?;
        if self.is_absolute() {
            Some(ms)
        } else {
            ms.checked_add(now)
        }
    }

    /// SET's and GETEX's reading of the argument: zero, negative and
    /// overflowing times are invalid; an absolute time in the past is
    /// valid (the key is simply already expired).
    pub fn resolve(self, arg: &[u8], now: i64) -> Result<i64, CmdError> {
        let n = parse_i64(arg).ok_or(NOT_INTEGER)?;
        if n <= 0 {
            return Err(CmdError::InvalidExpireTime);
        }
        self.absolute_ms(n, now).ok_or(CmdError::InvalidExpireTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_arguments_reject_non_positive_and_overflowing_times() {
        let now = 1_700_000_000_000;
        let r = |form: ExpireForm, arg: &str| form.resolve(arg.as_bytes(), now);
        assert_eq!(r(ExpireForm::Ex, "10"), Ok(now + 10_000));
        assert_eq!(r(ExpireForm::PxAt, "1"), Ok(1));
        assert_eq!(
            r(ExpireForm::ExAt, "9223372036854775"),
            Ok(9223372036854775000)
        );
        assert_eq!(r(ExpireForm::Ex, "1.5"), Err(NOT_INTEGER));
        for (form, arg) in [
            (ExpireForm::Ex, "0"),
            (ExpireForm::Px, "-1"),
            (ExpireForm::Ex, "9223372036854775807"),
            (ExpireForm::Ex, "9223372036854775"),
            (ExpireForm::Px, "9223372036854775807"),
            (ExpireForm::ExAt, "9223372036854776"),
        ] {
            assert_eq!(
                r(form, arg),
                Err(CmdError::InvalidExpireTime),
                "{form:?} {arg}"
            );
        }
    }

    #[test]
    fn relative_forms_add_now_and_absolute_forms_do_not() {
        assert_eq!(ExpireForm::Px.absolute_ms(5, 100), Some(105));
        assert_eq!(ExpireForm::PxAt.absolute_ms(5, 100), Some(5));
        assert_eq!(ExpireForm::Ex.absolute_ms(i64::MAX, 0), None);
    }
}
