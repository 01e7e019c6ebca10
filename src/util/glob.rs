//! Redis-style glob matching, shared by KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH,
//! PSUBSCRIBE and CONFIG GET so that every command agrees on what a pattern
//! means, quirks included.
//!
//! Every pattern element other than `*` consumes exactly one byte of the
//! subject, which is what lets [`glob_match`] backtrack only to the most
//! recent `*`: the match runs in O(pattern × string) time and constant space,
//! so hostile patterns such as `*a*a*a*a*a*b` cannot stall the server.

/// Reports whether `string` matches the Redis glob `pattern`; with `nocase`
/// ASCII letters compare case-insensitively (CONFIG GET uses that).
///
/// Besides the usual `*`, `?`, `[...]`, `[^...]`, `[a-z]` and `\x`, this
/// reproduces Redis's edge cases: an empty subject only matches an empty
/// pattern (even `*` does not match it), an unterminated `[` treats the rest
/// of the pattern as the class, `[]` matches nothing, a reversed range is
/// swapped, a trailing `\` is a literal backslash, and a `\x` escape inside a
/// class stays case-sensitive even with `nocase`.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    if string.is_empty() {
        return pattern.is_empty();
    }
    let (mut p, mut s) = (0, 0);
    // Where to resume after the latest `*`: the pattern position behind it
    // and the string position its run currently ends at.
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if pattern.get(p) == Some(&b'*') {
            while pattern.get(p) == Some(&b'*') {
                p += 1;
            }
            if p == pattern.len() {
                return true;
            }
            resume = Some((p, s));
            continue;
        }
        if s == string.len() {
            return pattern[p..].iter().all(|&b| b == b'*');
        }
        if let Some(next) = match_one(pattern, p, string[s], nocase) {
            p = next;
            s += 1;
            continue;
        }
        // Mismatch: let the latest `*` swallow one more byte and retry.
        match resume {
            Some((star_p, star_s)) => {
                p = star_p;
                s = star_s + 1;
                resume = Some((star_p, s));
            }
            None => return false,
        }
    }
}

/// Matches the single-byte element starting at `pattern[p]` (never `*`)
/// against `c`, returning the position of the next element on success.
fn match_one(pattern: &[u8], p: usize, c: u8, nocase: bool) -> Option<usize> {
    let (matched, next) = match *pattern.get(p)? {
        b'?' => (true, p + 1),
        b'\\' if p + 1 < pattern.len() => (eq(pattern[p + 1], c, nocase), p + 2),
        b'[' => match_class(pattern, p + 1, c, nocase),
        literal => (eq(literal, c, nocase), p + 1),
    };
    matched.then_some(next)
}

/// Evaluates the class whose body starts at `pattern[i]` (just past `[`),
/// returning whether `c` is in it and where the class ends.
fn match_class(pattern: &[u8], mut i: usize, c: u8, nocase: bool) -> (bool, usize) {
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    while i < pattern.len() {
        match pattern[i] {
            // Redis compares escaped class members exactly, ignoring nocase.
            b'\\' if i + 1 < pattern.len() => {
                matched |= pattern[i + 1] == c;
                i += 2;
            }
            b']' => {
                i += 1;
                break;
            }
            start if i + 2 < pattern.len() && pattern[i + 1] == b'-' => {
                // Redis orders the bounds before folding case, so `[Z-a]`
                // with nocase becomes the empty range z..a.
                let end = pattern[i + 2];
                let (lo, hi) = if start <= end {
                    (start, end)
                } else {
                    (end, start)
                };
                let (lo, hi, c) = if nocase {
                    (
                        lo.to_ascii_lowercase(),
                        hi.to_ascii_lowercase(),
                        c.to_ascii_lowercase(),
                    )
                } else {
                    (lo, hi, c)
                };
                matched |= (lo..=hi).contains(&c);
                i += 3;
            }
            member => {
                matched |= eq(member, c, nocase);
                i += 1;
            }
        }
    }
    (matched != negate, i)
}

fn eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(pattern: &str, string: &str) -> bool {
        glob_match(pattern.as_bytes(), string.as_bytes(), false)
    }

    fn mi(pattern: &str, string: &str) -> bool {
        glob_match(pattern.as_bytes(), string.as_bytes(), true)
    }

    /// `KEYS pattern` results observed on Redis 7.0.15 with the keys
    /// "", "-", "]", "^", "_", "`", "a", "b", "z", "A", "Z", "\", "a[",
    /// "ab", "a]", "a-", "a^", "a\", "abc", "c".
    #[test]
    fn oracle_keys_table() {
        let keys = [
            "", "-", "]", "^", "_", "`", "a", "b", "z", "A", "Z", "\\", "a[", "ab", "a]", "a-",
            "a^", "a\\", "abc", "c",
        ];
        let table: &[(&str, &[&str])] = &[
            ("a[b", &["ab"]),
            ("a[", &[]),
            ("a[b]", &["ab"]),
            ("a\\", &["a\\"]),
            ("a\\\\", &["a\\"]),
            ("[z-a]", &["a", "b", "z", "c"]),
            ("a[\\]]", &["a]"]),
            ("a[^b]", &["a[", "a]", "a-", "a^", "a\\"]),
            ("a[]", &[]),
            ("a[]]", &[]),
            ("a[^", &["a[", "ab", "a]", "a-", "a^", "a\\"]),
            ("a\\b", &["ab"]),
            ("a[\\\\]", &["a\\"]),
            ("[]", &[]),
            ("[", &[]),
            ("*[", &[]),
            ("[a-]", &["]", "^", "_", "`", "a"]),
            ("[a-", &["-", "a"]),
            ("[-]", &["-"]),
            ("[\\a-z]", &["-", "a", "z"]),
            ("[a-\\z]", &["]", "^", "_", "`", "a", "z", "\\"]),
            ("[\\", &["\\"]),
            ("\\", &["\\"]),
            ("[]-a]", &[]),
            (
                "[A-z]",
                &["]", "^", "_", "`", "a", "b", "z", "A", "Z", "\\", "c"],
            ),
        ];
        for (pattern, expected) in table {
            let got: Vec<&str> = keys.iter().copied().filter(|k| m(pattern, k)).collect();
            let mut want = expected.to_vec();
            want.sort_unstable();
            let mut got_sorted = got.clone();
            got_sorted.sort_unstable();
            assert_eq!(got_sorted, want, "pattern {pattern:?}");
        }
        // Every key except the empty one, for each "match anything" spelling.
        for pattern in ["*", "**", "?", "[^", "[^]"] {
            let one_or_more = pattern != "*" && pattern != "**";
            for key in keys {
                let want = !key.is_empty() && (!one_or_more || key.len() == 1);
                assert_eq!(m(pattern, key), want, "pattern {pattern:?} key {key:?}");
            }
        }
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(m("*", "anything"));
        assert!(m("a*", "a"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(m("*c", "abc"));
        assert!(!m("*c", "abd"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h**llo", "heeello"));
        assert!(!m("*", ""));
        assert!(m("", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn classes_ranges_and_negation() {
        assert!(m("h[ae]llo", "hello"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(m("[0-9][0-9]", "42"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("\\?\\[", "?["));
        assert!(m("[\\^]", "^"));
        assert!(m("a\\", "a\\"));
    }

    /// CONFIG GET (the nocase user) results observed on Redis 7.0.15.
    #[test]
    fn nocase_rules_from_config_get() {
        assert!(mi("MAXMEMOR?", "maxmemory"));
        assert!(mi("maxmemor[Y]", "maxmemory"));
        assert!(mi("MAXMEMOR[Y-Y]", "maxmemory"));
        assert!(mi("maxmemor[X-Z]", "maxmemory"));
        assert!(mi("maxmemor[z-A]", "maxmemory"));
        assert!(!mi("maxmemor[Z-a]", "maxmemory"));
        assert!(mi("maxmemo?\\Y", "maxmemory"));
        assert!(!mi("maxmemor[\\Y]", "maxmemory"));
        assert!(mi("maxmem?r[\\y]", "maxmemory"));
        assert!(!m("MAXMEMOR?", "maxmemory"));
    }

    #[test]
    fn binary_safe() {
        assert!(glob_match(b"a\0*\xff", b"a\0xyz\xff", false));
        assert!(glob_match(b"[\x00-\x05]", b"\x03", false));
        assert!(!glob_match(b"\xc3", b"\xe3", true));
    }

    #[test]
    fn pathological_pattern_stays_fast() {
        let pattern = b"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let string = vec![b'a'; 100_000];
        let start = std::time::Instant::now();
        assert!(!glob_match(pattern, &string, false));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    /// A deliberately naive reference: tokenise first, then try every split
    /// recursively. Exponential, so only fed short inputs.
    mod reference {
        enum Token {
            Star,
            Any,
            Literal(u8),
            /// Members are (lo, hi, exact): `exact` members ignore nocase.
            Class(bool, Vec<(u8, u8, bool)>),
        }

        fn tokenize(p: &[u8]) -> Vec<Token> {
            let mut out = Vec::new();
            let mut i = 0;
            while i < p.len() {
                match p[i] {
                    b'*' => out.push(Token::Star),
                    b'?' => out.push(Token::Any),
                    b'\\' if i + 1 < p.len() => {
                        i += 1;
                        out.push(Token::Literal(p[i]));
                    }
                    b'[' => {
                        i += 1;
                        let negate = p.get(i) == Some(&b'^');
                        if negate {
                            i += 1;
                        }
                        let mut members = Vec::new();
                        loop {
                            if i >= p.len() {
                                break;
                            } else if p[i] == b'\\' && i + 1 < p.len() {
                                members.push((p[i + 1], p[i + 1], true));
                                i += 2;
                            } else if p[i] == b']' {
                                break;
                            } else if i + 2 < p.len() && p[i + 1] == b'-' {
                                let (a, b) = (p[i], p[i + 2]);
                                members.push((a.min(b), a.max(b), false));
                                i += 3;
                            } else {
                                members.push((p[i], p[i], false));
                                i += 1;
                            }
                        }
                        out.push(Token::Class(negate, members));
                    }
                    c => out.push(Token::Literal(c)),
                }
                i += 1;
            }
            out
        }

        fn one(t: &Token, c: u8, nocase: bool) -> bool {
            let fold = |x: u8| if nocase { x.to_ascii_lowercase() } else { x };
            match t {
                Token::Star => unreachable!(),
                Token::Any => true,
                Token::Literal(l) => fold(*l) == fold(c),
                Token::Class(negate, members) => {
                    let hit = members.iter().any(|&(lo, hi, exact)| {
                        if exact {
                            lo == c
                        } else {
                            (fold(lo)..=fold(hi)).contains(&fold(c))
                        }
                    });
                    hit != *negate
                }
            }
        }

        fn rec(t: &[Token], s: &[u8], nocase: bool) -> bool {
            match t.split_first() {
                None => s.is_empty(),
                Some((Token::Star, rest)) => (0..=s.len()).any(|k| rec(rest, &s[k..], nocase)),
                Some((tok, rest)) => {
                    !s.is_empty() && one(tok, s[0], nocase) && rec(rest, &s[1..], nocase)
                }
            }
        }

        pub fn matches(p: &[u8], s: &[u8], nocase: bool) -> bool {
            if s.is_empty() {
                return p.is_empty();
            }
            rec(&tokenize(p), s, nocase)
        }
    }

    #[test]
    fn randomized_against_reference() {
        use rand::{RngExt, SeedableRng, rngs::StdRng};
        const PATTERN_BYTES: &[u8] = b"aAbZ*?[]^-\\z";
        const STRING_BYTES: &[u8] = b"aAbBzZ-]^\\[";
        let mut rng = StdRng::seed_from_u64(0x5eed);
        for _ in 0..300_000 {
            let plen = rng.random_range(0..9);
            let slen = rng.random_range(0..8);
            let p: Vec<u8> = (0..plen)
                .map(|_| PATTERN_BYTES[rng.random_range(0..PATTERN_BYTES.len())])
                .collect();
            let s: Vec<u8> = (0..slen)
                .map(|_| STRING_BYTES[rng.random_range(0..STRING_BYTES.len())])
                .collect();
            let nocase = rng.random_bool(0.5);
            assert_eq!(
                glob_match(&p, &s, nocase),
                reference::matches(&p, &s, nocase),
                "pattern {:?} string {:?} nocase {nocase}",
                String::from_utf8_lossy(&p),
                String::from_utf8_lossy(&s),
            );
        }
    }
}
