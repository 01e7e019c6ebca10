//! Temporary stand-in: Redis's glob matching (`*`, `?`, `[...]`, `\` escapes).

/// Whether `string` matches the glob `pattern`.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    match pattern.split_first() {
        None => string.is_empty(),
        Some((b'*', rest)) => (0..=string.len()).any(|i| glob_match(rest, &string[i..], nocase)),
        Some((b'?', rest)) => !string.is_empty() && glob_match(rest, &string[1..], nocase),
        Some((b'[', rest)) => {
            let Some((&c, tail)) = string.split_first() else {
                return false;
            };
            let end = rest.iter().position(|&b| b == b']').unwrap_or(rest.len());
            let (class, after) = (&rest[..end], rest.get(end + 1..).unwrap_or(&[]));
            let (negate, class) = match class.split_first() {
                Some((b'^', c)) => (true, c),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    let (lo, hi) = (class[i].min(class[i + 2]), class[i].max(class[i + 2]));
                    hit |= (lo..=hi).contains(&c)
                        || (nocase && (lo..=hi).contains(&c.to_ascii_lowercase()));
                    i += 3;
                } else {
                    hit |= eq(class[i], c);
                    i += 1;
                }
            }
            hit != negate && glob_match(after, tail, nocase)
        }
        Some((b'\\', rest)) if !rest.is_empty() => {
            !string.is_empty()
                && eq(rest[0], string[0])
                && glob_match(&rest[1..], &string[1..], nocase)
        }
        Some((&p, rest)) => {
            !string.is_empty() && eq(p, string[0]) && glob_match(rest, &string[1..], nocase)
        }
    }
}
