#!/usr/bin/env python3
"""decimal_vs_python.py — differential test of the decimal module against Python's decimal.

Generates N random cases (fixed seed; default 20000) across magnitudes — tiny values,
12-digit fractions, values near 10^26, exact halves, long and exponent-heavy text — computes
the expected result of each with decimal.Context(prec=200, rounding=ROUND_HALF_UP) (half away
from zero), runs tests/tools/dec_driver once over all of them and compares line by line.

Usage: decimal_vs_python.py DRIVER [N] [SEED]
Exits 0 when every case agrees, 1 (printing the first mismatches) otherwise.
"""
import decimal
import random
import re
import subprocess
import sys
from decimal import Decimal

CTX = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_UP,
                      Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
decimal.setcontext(CTX)

LIMIT = Decimal(10) ** 26
Q = [Decimal(10) ** -p for p in range(13)]
RAW_MAX = 10 ** 38 - 1
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
TEXT_RE = re.compile(r'([+-]?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?')
AMOUNT_RE = re.compile(r'[0-9]+(\.[0-9]{1,12})?')
ERR_INPUT, ERR_OVERFLOW = 'ERR 2', 'ERR 6'


def fmt(d):
    """raas_dec_format: shortest exact form, "0" for zero."""
    if d == 0:
        return '0'
    s = format(d, 'f')
    if '.' in s:
        s = s.rstrip('0').rstrip('.')
    return s


def fin(d):
    """Result check shared by every operation: the magnitude must stay below 10^26."""
    return ERR_OVERFLOW if abs(d) >= LIMIT else fmt(d)


def dec_of_raw(raw):
    return Decimal(raw).scaleb(-12)


def text_of_raw(rng, raw):
    """A TEXT spelling of raw / 10^12: plain with 12 digits, shortest, or with an exponent."""
    d = dec_of_raw(raw)
    k = rng.random()
    if k < 0.6:
        return format(d, 'f')
    if k < 0.8:
        return fmt(d)
    return '%se%d' % (raw, -12)


def rand_raw(rng, cls=None):
    """A raw value (value × 10^12) from one of several magnitude classes."""
    cls = cls if cls is not None else rng.randrange(8)
    sign = -1 if rng.random() < 0.5 else 1
    if cls == 0:    # tiny: a few units of 10^-12
        v = rng.randrange(0, 2000)
    elif cls == 1:  # 12-digit fractions of moderate numbers
        v = rng.randrange(0, 10 ** rng.randrange(1, 12)) * 10 ** 12 + rng.randrange(10 ** 12)
    elif cls == 2:  # near 10^26
        v = RAW_MAX - rng.randrange(0, 10 ** rng.randrange(0, 30))
    elif cls == 3:  # integers
        v = rng.randrange(0, 10 ** rng.randrange(1, 27)) * 10 ** 12
    elif cls == 4:  # halves and short fractions
        v = rng.randrange(0, 10 ** rng.randrange(1, 20)) * 10 ** 12 // 2
        v += rng.choice([0, 5 * 10 ** 11, 5 * 10 ** rng.randrange(0, 12)])
    elif cls == 5:  # special values
        v = rng.choice([0, 1, 2, 5, 10 ** 12, 5 * 10 ** 11, 10 ** 24, 10 ** 37, RAW_MAX,
                        RAW_MAX - 1, 2 ** 64 - 1, 2 ** 64, 2 ** 88, 2 ** 100, 2 ** 126])
    else:           # any number of digits
        v = rng.randrange(0, 10 ** rng.randrange(1, 39))
    return sign * min(v, RAW_MAX)


def rand_raw_digits(rng, ndig):
    ndig = max(1, min(38, ndig))
    v = rng.randrange(10 ** (ndig - 1), 10 ** ndig)
    return v if rng.random() < 0.5 else -v


def expected_text(s, amount):
    m = TEXT_RE.fullmatch(s)
    if not m or (amount and not AMOUNT_RE.fullmatch(s)):
        return ERR_INPUT
    sign, ip, fp, ex = m.group(1), m.group(2), m.group(3) or '', m.group(4) or '0'
    mant = int(ip + fp)
    e = int(ex) - len(fp)
    if mant == 0:
        return '0'
    # Decimal cannot hold the huge exponents the text allows: decide those first.
    if e > 40:
        return ERR_OVERFLOW
    if e < -(len(ip + fp) + 40):
        return '0'
    d = Decimal((1 if sign == '-' else 0, tuple(int(c) for c in str(mant)), e))
    if d.adjusted() >= 26:  # at least 10^26 already (and too long to quantize)
        return ERR_OVERFLOW
    return fin(d.quantize(Q[12]))


def rand_digits(rng, n):
    return ''.join(rng.choice('0123456789') for _ in range(n))


def rand_text(rng):
    k = rng.random()
    if k < 0.08:  # garbage from the number alphabet (no spaces: the driver splits on them)
        return ''.join(rng.choice('0123456789.eE+-x') for _ in range(rng.randrange(1, 8)))
    if k < 0.2:   # exact halves and near-halves at the 13th fractional digit
        ip = rand_digits(rng, rng.randrange(1, 27))
        tail = rng.choice(['5', '4999999', '5000001', '50', '49', '51', '9999999'])
        s = '%s.%s%s' % (ip, rand_digits(rng, 12), tail)
        return rng.choice(['', '-', '+']) + s
    if k < 0.3:   # around 10^26
        s = '9' * 26 + '.' + '9' * 12 + rng.choice(['', '4', '5', '49999', '0', '9'])
        if rng.random() < 0.3:
            s = '1' + '0' * 26 + rng.choice(['', '.0', '.000000000001'])
        return rng.choice(['', '-']) + s
    if k < 0.38:  # hundreds of digits, leading zeros, compensating exponent
        n = rng.randrange(100, 400)
        s = '0' * rng.randrange(0, 50) + rand_digits(rng, n)
        e = rng.randrange(-n - 20, -n + 40)
        return '%s%se%d' % (rng.choice(['', '-']), s, e)
    if k < 0.44:  # huge exponents
        e = rng.choice(['999999999999', '-999999999999', '99999999999999999999999',
                        '-99999999999999999999999', '+27', '-13', '26', '25', '-12'])
        return '%s%se%s' % (rng.choice(['', '-']),
                            rng.choice(['1', '0', '0.000', '5', '9.99', '00012']), e)
    sign = rng.choice(['', '', '-', '+'])
    ip = '0' * rng.randrange(0, 3) + rand_digits(rng, rng.randrange(1, 30))
    s = sign + ip
    if rng.random() < 0.7:
        s += '.' + rand_digits(rng, rng.randrange(1, 20))
    if rng.random() < 0.3:
        s += rng.choice('eE') + rng.choice(['', '+', '-']) + str(rng.randrange(0, 40))
    return s


def rand_i64(rng):
    k = rng.random()
    if k < 0.4:
        v = rng.randrange(1, 32)
    elif k < 0.6:
        v = rng.randrange(1, 100000)
    elif k < 0.8:
        v = rng.randrange(1, 2 ** 63)
    elif k < 0.9:
        v = rng.choice([1, 2, 3, 7, 28, 30, 31, 365, 2 ** 62, INT64_MAX])
    else:
        return rng.choice([INT64_MIN, 0, INT64_MAX])
    return -v if rng.random() < 0.2 else v


def div_tie(rng):
    """(a_raw, b_raw) whose quotient, in units of 10^-12, is exactly half-way between two
    integers, or just above or below half-way (remainder (b ± 1) / 2)."""
    while True:
        z = rng.randrange(1, 10 ** rng.randrange(1, 30))
        if z % 2 and z % 5:
            break
    if rng.random() < 0.5:
        # a = z·w, b = 2^13·z: a·10^12 / b = w·5^12 / 2 with w·5^12 odd
        w = rng.randrange(1, 10 ** rng.randrange(1, 38)) | 1
        a, b = z * w, 8192 * z
    else:
        b = z
        h = (b + rng.choice([1, -1])) // 2
        # q ≡ -h / b (mod 10^12) makes q·b + h a multiple of 10^12
        q = (-h * pow(b, -1, 10 ** 12)) % 10 ** 12
        q += 10 ** 12 * rng.randrange(0, max(1, 10 ** 38 // (b * 10 ** 12) + 1))
        a = (q * b + h) // 10 ** 12
    a, b = min(a, RAW_MAX), min(b, RAW_MAX)
    return (a if rng.random() < 0.5 else -a), (b if rng.random() < 0.7 else -b)


def make_case(rng):
    """Returns (driver line, expected output line)."""
    op = rng.choice(['parse', 'parse', 'amount', 'add', 'sub', 'mul', 'mul', 'div', 'div',
                     'muldiv', 'muldiv', 'ceil_div', 'round', 'fixed', 'cmp'])
    if op in ('parse', 'amount'):
        s = rand_text(rng)
        if op == 'amount' and rng.random() < 0.5:  # mostly well-formed amounts
            s = s.lstrip('+-').split('e')[0].split('E')[0]
            if '.' in s and rng.random() < 0.7:
                a, b = s.split('.', 1)
                s = a + '.' + (b[:12] or '0')
        return '%s %s' % (op, s), expected_text(s, op == 'amount')

    ra = rand_raw(rng)
    a = dec_of_raw(ra)
    ta = text_of_raw(rng, ra)
    if op in ('add', 'sub', 'cmp'):
        rb = rand_raw(rng)
        if op != 'cmp' and rng.random() < 0.3:
            rb = (RAW_MAX - abs(ra) + rng.randrange(-3, 4)) * (1 if ra >= 0 else -1)
            rb = max(-RAW_MAX, min(RAW_MAX, rb))
            if op == 'sub':
                rb = -rb
        if op == 'cmp' and rng.random() < 0.3:
            rb = ra + rng.randrange(-1, 2)
            rb = max(-RAW_MAX, min(RAW_MAX, rb))
        b = dec_of_raw(rb)
        line = '%s %s %s' % (op, ta, text_of_raw(rng, rb))
        if op == 'add':
            return line, fin(a + b)
        if op == 'sub':
            return line, fin(a - b)
        return line, str((a > b) - (a < b))
    if op == 'mul':
        k = rng.random()
        if k < 0.4:  # the product lands near the 10^26 boundary
            na = rng.randrange(1, 39)
            ra = rand_raw_digits(rng, na)
            rb = rand_raw_digits(rng, 50 - na + rng.randrange(-2, 3))
        elif k < 0.55:  # exact halves: odd raw × 0.5
            ra = rand_raw(rng) | 1
            rb = rng.choice([5 * 10 ** 11, -5 * 10 ** 11, 5, 25, 125])
        else:
            rb = rand_raw(rng)
        a = dec_of_raw(ra)
        b = dec_of_raw(rb)
        line = 'mul %s %s' % (text_of_raw(rng, ra), text_of_raw(rng, rb))
        return line, fin((a * b).quantize(Q[12]))
    if op == 'div':
        k = rng.random()
        if k < 0.2:  # halves: divide by a small power of two
            rb = rng.choice([2, 4, 8, 16, 2 * 10 ** 12, 8 * 10 ** 12, -4 * 10 ** 12])
        elif k < 0.3:  # exact ties and near-ties with divisors of any size
            ra, rb = div_tie(rng)
        elif k < 0.5:  # quotient near the 10^26 boundary
            na = rng.randrange(1, 39)
            ra = rand_raw_digits(rng, na)
            rb = rand_raw_digits(rng, na - 26 + rng.randrange(-2, 2))
        elif k < 0.55:
            rb = 0
        else:
            rb = rand_raw(rng)
        a = dec_of_raw(ra)
        b = dec_of_raw(rb)
        line = 'div %s %s' % (text_of_raw(rng, ra), text_of_raw(rng, rb))
        if rb == 0:
            return line, ERR_INPUT
        return line, fin((a / b).quantize(Q[12]))
    if op == 'muldiv':
        num, den = rand_i64(rng), rand_i64(rng)
        places = rng.choice([0, 2, 2, 2, 3, 6, 12, rng.randrange(0, 13), -1, 13])
        k = rng.random()
        if k < 0.15:  # num/den near 1 with 63-bit terms: wide quotients near the limit
            places = rng.choice([11, 11, 11, 10, 9, rng.randrange(0, 13)])
            num = rng.randrange(2 ** 62, 2 ** 63)
            den = num + rng.randrange(-num // 32, num // 8)  # mostly ratios just below 1
            den = min(den, INT64_MAX)
            ra = rand_raw(rng, rng.choice([2, 2, 6]))
        elif k < 0.35:  # halves at the minor unit
            num, den, places = 1, 2 * rng.choice([1, 5, 50]), 2
            ra = (rand_raw(rng, 4) // 10 ** 12) * 10 ** 12 + rng.choice([1, 3, 7]) * 10 ** 10
        a = dec_of_raw(ra)
        line = 'muldiv %s %d %d %d' % (text_of_raw(rng, ra), num, den, places)
        if den == 0 or not 0 <= places <= 12:
            return line, ERR_INPUT
        return line, fin((a * num / den).quantize(Q[places]))
    if op == 'ceil_div':
        k = rng.random()
        if k < 0.3:  # tiny divisors: huge quotients
            rb = rng.randrange(-2, 50)
        elif k < 0.5:  # exact multiples
            rb = rand_raw(rng)
            if rb:
                ra = rb * rng.randrange(-1000, 1000)
                ra = max(-RAW_MAX, min(RAW_MAX, ra))
        else:
            rb = rand_raw(rng)
        a = dec_of_raw(ra)
        b = dec_of_raw(rb)
        line = 'ceil_div %s %s' % (text_of_raw(rng, ra), text_of_raw(rng, rb))
        if rb <= 0:
            return line, ERR_INPUT
        q = a // b
        if a % b != 0 and a > 0:
            q += 1
        return line, fin(q)
    places = rng.randrange(0, 13)
    if op == 'round':
        if rng.random() < 0.1:
            places = rng.choice([-1, 13, 99])
            return 'round %s %d' % (ta, places), ERR_INPUT
        return 'round %s %d' % (ta, places), fin(a.quantize(Q[places]))
    r = a.quantize(Q[places])
    s = format(r, 'f')
    if r == 0:
        s = s.lstrip('-')
    return 'fixed %s %d' % (ta, places), s


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    driver = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20240601
    rng = random.Random(seed)
    cases = [make_case(rng) for _ in range(n)]
    proc = subprocess.run([driver], input=''.join(c[0] + '\n' for c in cases),
                          capture_output=True, text=True, check=False)
    got = proc.stdout.split('\n')
    if proc.returncode != 0:
        print('driver exited %d: %s' % (proc.returncode, proc.stderr.strip()))
    failed = 0
    for i, (line, want) in enumerate(cases):
        have = got[i] if i < len(got) else '<missing>'
        if have != want:
            failed += 1
            if failed <= 20:
                print('MISMATCH case %d: %s\n  expected %s\n  got      %s' % (i, line, want, have))
    print('decimal_vs_python: %d passed, %d failed' % (n - failed, failed))
    return 1 if failed or proc.returncode != 0 else 0


if __name__ == '__main__':
    sys.exit(main())
