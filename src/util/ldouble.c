/* INCRBYFLOAT / HINCRBYFLOAT arithmetic in C `long double` (x87 80-bit on
 * x86-64), because Redis computes and prints these results at that precision
 * and Rust has no equivalent type. Called only through util::num. */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis refuses to parse or print a long double needing this many bytes or
 * more (its MAX_LONG_DOUBLE_CHARS); the Rust caller's output buffer has the
 * same size, which every finite long double printed with %.17Lf fits. */
#define LD_MAX_CHARS 5120

/* Return codes shared with util/num.rs. An infinite increment is reported
 * separately, with whether the current value parsed, because HINCRBYFLOAT
 * rejects it before looking at the current value and INCRBYFLOAT after. */
#define LD_BAD_INCREMENT -1
#define LD_INF_INCREMENT_CURRENT_OK -2
#define LD_INF_INCREMENT_CURRENT_BAD -3
#define LD_BAD_CURRENT -4
#define LD_NAN_OR_INF -5
#define LD_OUT_TOO_SMALL -6

/* strtold over the whole of s[0..len): no leading space, nothing left over,
 * no NaN, and no overflow or underflow to zero (denormals are fine). */
static int parse_ld(const char *s, size_t len, long double *out) {
    char buf[LD_MAX_CHARS];
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0])) return 0;
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v)) return 0;
    if (errno == ERANGE && (isinf(v) || v == 0)) return 0;
    *out = v;
    return 1;
}

int ferrodis_ld_incr(const char *cur, size_t cur_len, const char *incr,
                     size_t incr_len, char *out, size_t out_cap) {
    long double a = 0, b = 0;
    if (!parse_ld(incr, incr_len, &b)) return LD_BAD_INCREMENT;
    int cur_ok = parse_ld(cur, cur_len, &a);
    if (isinf(b))
        return cur_ok ? LD_INF_INCREMENT_CURRENT_OK : LD_INF_INCREMENT_CURRENT_BAD;
    if (!cur_ok) return LD_BAD_CURRENT;
    long double sum = a + b;
    if (isnan(sum) || isinf(sum)) return LD_NAN_OR_INF;

    /* Fixed notation so balances read 0.3 rather than 2.9999...e-1; the
     * trailing zeros and dot are trimmed below. */
    int n = snprintf(out, out_cap, "%.17Lf", sum);
    if (n < 0 || (size_t)n >= out_cap) return LD_OUT_TOO_SMALL;
    while (out[n - 1] == '0') n--;
    if (out[n - 1] == '.') n--;
    /* Tiny negative results print as "-0.000..."; Redis replies "0". */
    if (n == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        n = 1;
    }
    return n;
}
