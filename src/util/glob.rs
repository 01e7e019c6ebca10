//! Temporary stand-in for Redis's glob matching (KEYS, SCAN MATCH), until the real module lands.

/// Whether `string` matches the glob `pattern` (`*`, `?`, `[...]`, `\` escapes).
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let (mut p, mut s) = (0, 0);
    // Where to resume after the last `*`: every other token matches exactly one byte,
    // so backtracking to the latest star alone is enough.
    let mut star: Option<(usize, usize)> = None;
    while s < string.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p + 1, s));
            p += 1;
            continue;
        }
        if p < pattern.len()
            && let Some(next) = match_token(pattern, p, string[s], nocase)
        {
            p = next;
            s += 1;
            continue;
        }
        match star {
            Some((after_star, from)) => {
                p = after_star;
                s = from + 1;
                star = Some((after_star, from + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

fn same(a: u8, b: u8, nocase: bool) -> bool {
    a == b || (nocase && a.eq_ignore_ascii_case(&b))
}

/// If the token at `p` matches `c`, the index after the token.
fn match_token(pattern: &[u8], p: usize, c: u8, nocase: bool) -> Option<usize> {
    match pattern[p] {
        b'?' => Some(p + 1),
        b'[' => match_class(pattern, p + 1, c, nocase),
        b'\\' if p + 1 < pattern.len() => same(pattern[p + 1], c, nocase).then_some(p + 2),
        lit => same(lit, c, nocase).then_some(p + 1),
    }
}

fn match_class(pattern: &[u8], mut i: usize, c: u8, nocase: bool) -> Option<usize> {
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let mut hit = false;
    while i < pattern.len() && pattern[i] != b']' {
        if pattern[i] == b'\\' && i + 1 < pattern.len() {
            hit |= same(pattern[i + 1], c, nocase);
            i += 2;
        } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
            let (lo, hi) = (
                pattern[i].min(pattern[i + 2]),
                pattern[i].max(pattern[i + 2]),
            );
            let lower = c.to_ascii_lowercase();
            hit |= (lo..=hi).contains(&c)
                || (nocase && (lo.to_ascii_lowercase()..=hi.to_ascii_lowercase()).contains(&lower));
            i += 3;
        } else {
            hit |= same(pattern[i], c, nocase);
            i += 1;
        }
    }
    (hit != negate).then_some((i + 1).min(pattern.len()))
}
