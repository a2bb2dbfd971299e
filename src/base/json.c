/* json.c — the project's own RFC 8259 parser and compact writer.
 *
 * Everything raas reads as JSON (events on the ingest path, contracts, prices, HTTP bodies)
 * is parsed here into a tree in the caller's arena, with numbers kept as their original text
 * (number.c gives them exact values) and strings unescaped and UTF-8 validated. The parser
 * makes one pass over the input with an explicit stack (no recursion): the children of each
 * open array or object collect on a scratch stack and are copied once into the arena when
 * the container closes. Errors say what went wrong, where (line and byte column) and in
 * which value (a JSON path such as "results[0].price.tiers[2].up_to").
 */
#include "base/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/number.h"

const struct raas_json_limits raas_json_default_limits = {
        (size_t)16 * 1024 * 1024,
        64,
        0,
};

/* Objects with more members than this detect repeated keys with a hash table. */
#define SMALL_OBJECT 16

struct slot {
	uint32_t idx; /* member index within the object + 1; 0: empty */
	uint32_t hash;
};

/* One open array or object. */
struct frame {
	int is_object;
	uint32_t line, column; /* of the '[' or '{' */
	size_t base;           /* its first child on the vals (array) or mems (object) stack */
	uint32_t count;        /* array: completed items; object: members begun */
	struct slot *slots;    /* large objects: key hash table (owned), else NULL */
	size_t nslots;         /* power of two */
};

/* A growable scratch stack that starts in a fixed buffer inside the parser. */
struct stack {
	void *data;
	size_t len, cap; /* in elements */
	void *inline_data;
};

struct parser {
	struct raas_arena *arena;
	const char *p, *end;
	const struct raas_json_limits *lim;
	struct raas_err *err;
	uint32_t line;          /* line of p */
	const char *line_start; /* first byte of that line */
	uint64_t seed;          /* key hash seed */
	struct stack frames, vals, mems;
	struct frame frames0[16];
	struct raas_json vals0[64];
	struct raas_json_member mems0[32];
};

/* Byte classes inside a string: 0 for bytes that are copied as they are (printable ASCII
 * other than '"' and '\\'), 1 for everything that needs a closer look. */
static const unsigned char str_class[256] = {
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
        0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20 '"' */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50 '\\' */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x60 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x70 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x80 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x90 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xA0 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xB0 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xC0 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xD0 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xE0 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xF0 */
};

/* ---- errors ---- */

static uint32_t column_of(const struct parser *ps, const char *at)
{
	size_t col = (size_t)(at - ps->line_start) + 1;

	return col > UINT32_MAX ? UINT32_MAX : (uint32_t)col;
}

/* Appends the JSON path of the value being read to buf (NUL-terminated, truncated to cap).
 * in_value: the error is inside a child of the innermost container (its path includes
 * that child's index or key); otherwise it is in the container's own syntax. */
static void build_path(const struct parser *ps, int in_value, char *buf, size_t cap)
{
	const struct frame *frames = ps->frames.data;
	const struct raas_json_member *mems = ps->mems.data;
	size_t pos = 0, n = ps->frames.len;

	buf[0] = '\0';
	if (!in_value && n > 0)
		n--;
	for (size_t i = 0; i < n && pos + 1 < cap; i++) {
		const struct frame *f = &frames[i];

		if (!f->is_object) {
			int w = snprintf(buf + pos, cap - pos, "[%u]", f->count);
			if (w < 0 || (size_t)w >= cap - pos) {
				buf[pos] = '\0';
				return;
			}
			pos += (size_t)w;
		} else if (f->count > 0) {
			const struct raas_json_member *m = &mems[f->base + f->count - 1];

			if (pos > 0 && pos + 1 < cap)
				buf[pos++] = '.';
			for (uint32_t k = 0; k < m->key_len && pos + 1 < cap; k++) {
				unsigned char c = (unsigned char)m->key[k];
				buf[pos++] = c < 0x20 ? '?' : (char)c;
			}
			buf[pos] = '\0';
		}
	}
}

/* Fills ps->err with RAAS_E_INPUT at the byte at, and returns RAAS_E_INPUT. */
static raas_rc fail(struct parser *ps, const char *at, int in_value, const char *fmt, ...)
        RAAS_PRINTF(4, 5);

static raas_rc fail(struct parser *ps, const char *at, int in_value, const char *fmt, ...)
{
	char path[RAAS_ERR_PATH_MAX];
	char msg[RAAS_ERR_MESSAGE_MAX];
	va_list ap;

	if (!ps->err)
		return RAAS_E_INPUT;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	build_path(ps, in_value, path, sizeof path);
	raas_err_set(ps->err, RAAS_E_INPUT, path, "%s", msg);
	raas_err_at(ps->err, ps->line, column_of(ps, at));
	return RAAS_E_INPUT;
}

static raas_rc nomem(struct parser *ps)
{
	return raas_err_set(ps->err, RAAS_E_NOMEM, NULL, "out of memory");
}

/* ---- scratch stacks ---- */

static void stack_init(struct stack *s, void *inline_data, size_t cap)
{
	s->data = inline_data;
	s->inline_data = inline_data;
	s->len = 0;
	s->cap = cap;
}

static void stack_free(struct stack *s)
{
	if (s->data != s->inline_data)
		raas_free(s->data);
	s->data = s->inline_data;
}

/* Makes room for one more element of size elem; 0 on success, -1 when out of memory. */
static int stack_reserve(struct stack *s, size_t elem)
{
	size_t cap;
	void *data;

	if (s->len < s->cap)
		return 0;
	if (s->cap > SIZE_MAX / 2 / elem)
		return -1;
	cap = s->cap * 2;
	if (s->data == s->inline_data) {
		data = raas_malloc(cap * elem);
		if (!data)
			return -1;
		memcpy(data, s->data, s->len * elem);
	} else {
		data = raas_realloc(s->data, cap * elem);
		if (!data)
			return -1;
	}
	s->data = data;
	s->cap = cap;
	return 0;
}

/* ---- lexical pieces ---- */

static void skip_ws(struct parser *ps)
{
	const char *p = ps->p, *end = ps->end;

	while (p < end) {
		char c = *p;
		if (c == ' ' || c == '\t' || c == '\r') {
			p++;
		} else if (c == '\n') {
			p++;
			if (ps->line < UINT32_MAX)
				ps->line++;
			ps->line_start = p;
		} else {
			break;
		}
	}
	ps->p = p;
}

int raas_hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The four hex digits at q (which has at least 4 bytes), or -1. */
static long hex4(const unsigned char *q)
{
	long v = 0;

	for (int k = 0; k < 4; k++) {
		int h = raas_hex_digit(q[k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

size_t raas_utf8_sequence(const unsigned char *q, const unsigned char *end)
{
	unsigned c = q[0], lo = 0x80, hi = 0xBF;
	size_t n;

	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if ((size_t)(end - q) < n || q[1] < lo || q[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if ((q[k] & 0xC0) != 0x80)
			return 0;
	return n;
}

/* Checks the escape at q (q[0] is '\\') and returns its length in bytes (2, 6 or 12 for a
 * surrogate pair), or 0 after filling the error. open is the string's opening quote. */
static size_t check_escape(struct parser *ps, const unsigned char *q, const unsigned char *end,
                           const char *open, int in_value, raas_rc *rc)
{
	long cp, lo;

	if (end - q < 2) {
		*rc = fail(ps, open, in_value, "unterminated string");
		return 0;
	}
	switch (q[1]) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		return 2;
	case 'u':
		break;
	default:
		if (q[1] > 0x20 && q[1] < 0x7F)
			*rc = fail(ps, (const char *)q, in_value, "invalid escape \\%c", q[1]);
		else
			*rc = fail(ps, (const char *)q, in_value, "invalid escape");
		return 0;
	}
	for (int k = 2; k < 6; k++) {
		if (q + k >= end) {
			*rc = fail(ps, open, in_value, "unterminated string");
			return 0;
		}
		if (raas_hex_digit(q[k]) < 0) {
			*rc = fail(ps, (const char *)q, in_value, "invalid \\u escape");
			return 0;
		}
	}
	cp = hex4(q + 2);
	if (cp < 0xD800 || cp > 0xDFFF)
		return 6;
	if (cp <= 0xDBFF && end - q >= 8 && q[6] == '\\' && q[7] == 'u') {
		for (int k = 8; k < 12; k++) {
			if (q + k >= end) {
				*rc = fail(ps, open, in_value, "unterminated string");
				return 0;
			}
			if (raas_hex_digit(q[k]) < 0) {
				*rc = fail(ps, (const char *)q + 6, in_value, "invalid \\u escape");
				return 0;
			}
		}
		lo = hex4(q + 8);
		if (lo >= 0xDC00 && lo <= 0xDFFF)
			return 12;
	}
	*rc = fail(ps, (const char *)q, in_value, "lone surrogate \\%.5s", (const char *)q + 1);
	return 0;
}

/* Writes code point cp as UTF-8 at d; returns the number of bytes. */
static size_t put_utf8(unsigned char *d, unsigned long cp)
{
	if (cp < 0x80) {
		d[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (unsigned char)(0xC0 | (cp >> 6));
		d[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (unsigned char)(0xE0 | (cp >> 12));
		d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		d[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	d[0] = (unsigned char)(0xF0 | (cp >> 18));
	d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	d[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decodes the already validated string body [q, end) with escapes into d; returns the
 * number of bytes written. */
static size_t unescape(unsigned char *d, const unsigned char *q, const unsigned char *end)
{
	unsigned char *start = d;

	while (q < end) {
		const unsigned char *run = q;
		unsigned long cp;

		while (q < end && *q != '\\')
			q++;
		memcpy(d, run, (size_t)(q - run));
		d += q - run;
		if (q == end)
			break;
		switch (q[1]) {
		case 'b':
			*d++ = '\b';
			break;
		case 'f':
			*d++ = '\f';
			break;
		case 'n':
			*d++ = '\n';
			break;
		case 'r':
			*d++ = '\r';
			break;
		case 't':
			*d++ = '\t';
			break;
		case 'u':
			cp = (unsigned long)hex4(q + 2);
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     ((unsigned long)hex4(q + 8) - 0xDC00);
				q += 6;
			}
			d += put_utf8(d, cp);
			q += 4;
			break;
		default: /* '"', '\\', '/' */
			*d++ = q[1];
			break;
		}
		q += 2;
	}
	return (size_t)(d - start);
}

/* Reads the string whose opening quote is at ps->p into the arena: *out (NUL-terminated)
 * and *len. Leaves ps->p after the closing quote. */
static raas_rc parse_string(struct parser *ps, int in_value, const char **out, uint32_t *len)
{
	const char *open = ps->p;
	const unsigned char *q = (const unsigned char *)open + 1;
	const unsigned char *end = (const unsigned char *)ps->end;
	const unsigned char *body = q;
	int escaped = 0;
	raas_rc rc = RAAS_OK;
	unsigned char *copy;
	size_t n;

	/* Pass 1: find the closing quote, validating everything on the way. */
	for (;;) {
		while (q < end && str_class[*q] == 0)
			q++;
		if (q == end)
			return fail(ps, open, in_value, "unterminated string");
		if (*q == '"')
			break;
		if (*q == '\\') {
			n = check_escape(ps, q, end, open, in_value, &rc);
			if (n == 0)
				return rc;
			escaped = 1;
		} else if (*q < 0x20) {
			return fail(ps, (const char *)q, in_value, "control character in string");
		} else {
			n = raas_utf8_sequence(q, end);
			if (n == 0)
				return fail(ps, (const char *)q, in_value, "invalid UTF-8");
		}
		q += n;
	}
	n = (size_t)(q - body);
	if (n >= UINT32_MAX)
		return fail(ps, open, in_value, "string too long");
	/* Pass 2: copy (escapes only ever shrink the text). */
	copy = raas_arena_alloc(ps->arena, n + 1);
	if (!copy)
		return nomem(ps);
	if (escaped)
		n = unescape(copy, body, q);
	else
		memcpy(copy, body, n);
	copy[n] = '\0';
	*out = (const char *)copy;
	*len = (uint32_t)n;
	ps->p = (const char *)q + 1;
	return RAAS_OK;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads the number at ps->p (a '-' or a digit) into v. */
static raas_rc parse_number(struct parser *ps, struct raas_json *v)
{
	const char *s = ps->p, *q = s, *end = ps->end;
	char *text;
	size_t n;

	if (*q == '-')
		q++;
	if (q < end && *q == '0') {
		q++;
	} else if (q < end && *q >= '1' && *q <= '9') {
		while (q < end && is_digit(*q))
			q++;
	} else {
		goto bad;
	}
	if (q < end && *q == '.') {
		q++;
		if (q == end || !is_digit(*q))
			goto bad;
		while (q < end && is_digit(*q))
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q == end || !is_digit(*q))
			goto bad;
		while (q < end && is_digit(*q))
			q++;
	}
	/* "01", "1.2.3", "1e5e": the number goes on in a way the grammar does not allow */
	if (q < end &&
	    (is_digit(*q) || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-'))
		goto bad;
	n = (size_t)(q - s);
	if (n >= UINT32_MAX)
		return fail(ps, s, 1, "number too long");
	if (ps->lim->max_number_plain &&
	    raas_num_plain_length(s, n, RAAS_NUM_JSON) > ps->lim->max_number_plain)
		return fail(ps, s, 1, "number out of range");
	text = raas_arena_strndup(ps->arena, s, n);
	if (!text)
		return nomem(ps);
	v->type = RAAS_JSON_NUMBER;
	v->len = (uint32_t)n;
	v->u.str = text;
	ps->p = q;
	return RAAS_OK;
bad:
	return fail(ps, s, 1, "invalid number");
}

/* ---- repeated keys ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

/* Seeded hash of a key; the seed varies between runs so that colliding keys cannot be
 * prepared in advance. */
static uint32_t key_hash(const char *k, size_t n, uint64_t seed)
{
	uint64_t h = seed ^ ((uint64_t)n * UINT64_C(0x9E3779B97F4A7C15));
	uint64_t w;

	while (n >= 8) {
		memcpy(&w, k, 8);
		h = mix64(h ^ w);
		k += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, k, n);
	h = mix64(h ^ w ^ ((uint64_t)n << 59));
	return (uint32_t)(h >> 32);
}

static int same_key(const struct raas_json_member *m, const char *key, uint32_t len)
{
	return m->key_len == len && memcmp(m->key, key, len) == 0;
}

/* Puts member idx (0-based within the object) into f's table, which has a free slot. */
static void slot_insert(struct frame *f, uint32_t idx, uint32_t hash)
{
	size_t mask = f->nslots - 1, i = hash & mask;

	while (f->slots[i].idx)
		i = (i + 1) & mask;
	f->slots[i].idx = idx + 1;
	f->slots[i].hash = hash;
}

/* Grows (or creates) the key table of a large object so that it can take one more key
 * while staying at most half full. -1 when out of memory. */
static int slots_grow(struct parser *ps, struct frame *f)
{
	const struct raas_json_member *mems = ps->mems.data;
	size_t n = f->count, cap = f->nslots ? f->nslots : 64;
	struct slot *old = f->slots;
	size_t old_n = f->nslots;

	while ((n + 1) * 2 > cap)
		cap *= 2;
	if (cap == f->nslots)
		return 0;
	f->slots = raas_calloc(cap, sizeof *f->slots);
	if (!f->slots) {
		f->slots = old;
		return -1;
	}
	f->nslots = cap;
	if (old) {
		for (size_t i = 0; i < old_n; i++)
			if (old[i].idx)
				slot_insert(f, old[i].idx - 1, old[i].hash);
		raas_free(old);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			const struct raas_json_member *m = &mems[f->base + i];
			slot_insert(f, i, key_hash(m->key, m->key_len, ps->seed));
		}
	}
	return 0;
}

/* 1 when key already names a member of the object f (which has f->count members), after
 * recording it for large objects; 0 when new; -1 when out of memory. */
static int key_seen(struct parser *ps, struct frame *f, const char *key, uint32_t len)
{
	const struct raas_json_member *mems = ps->mems.data;
	uint32_t hash;
	size_t mask, i;

	if (f->count < SMALL_OBJECT) {
		for (uint32_t k = 0; k < f->count; k++)
			if (same_key(&mems[f->base + k], key, len))
				return 1;
		return 0;
	}
	if (slots_grow(ps, f))
		return -1;
	hash = key_hash(key, len, ps->seed);
	mask = f->nslots - 1;
	for (i = hash & mask; f->slots[i].idx; i = (i + 1) & mask)
		if (f->slots[i].hash == hash &&
		    same_key(&mems[f->base + f->slots[i].idx - 1], key, len))
			return 1;
	f->slots[i].idx = f->count + 1;
	f->slots[i].hash = hash;
	return 0;
}

/* Writes key into buf (cap bytes, at least 8) as a quoted, escaped string, shortened with
 * "..." when it does not fit. It is cut only between characters: a UTF-8 sequence (keys are
 * valid UTF-8) or an escape is written whole or not at all. */
static void quote_key(char *buf, size_t cap, const char *key, uint32_t len)
{
	const size_t tail = 5; /* room always kept for `..."` and the NUL */
	size_t pos = 0;

	buf[pos++] = '"';
	for (uint32_t k = 0; k < len;) {
		unsigned char c = (unsigned char)key[k];
		char piece[8];
		size_t w, take = 1;
		if (c == '"' || c == '\\') {
			piece[0] = '\\';
			piece[1] = (char)c;
			w = 2;
		} else if (c < 0x20) {
			w = (size_t)snprintf(piece, sizeof piece, "\\u%04x", c);
		} else {
			take = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			if (take > len - k)
				take = len - k;
			memcpy(piece, key + k, take);
			w = take;
		}
		if (pos + w + tail > cap) {
			memcpy(buf + pos, "...", 3);
			pos += 3;
			break;
		}
		memcpy(buf + pos, piece, w);
		pos += w;
		k += (uint32_t)take;
	}
	buf[pos++] = '"';
	buf[pos] = '\0';
}

/* Reads `"key" :` at ps->p for the innermost (object) frame and begins its member.
 * expected: the message when no key is there. */
static raas_rc parse_key(struct parser *ps, const char *expected)
{
	struct frame *f = (struct frame *)ps->frames.data + ps->frames.len - 1;
	struct raas_json_member *m;
	const char *at = ps->p, *key;
	uint32_t len;
	raas_rc rc;
	int seen;

	if (at == ps->end || *at != '"')
		return fail(ps, at, 0, "%s", expected);
	rc = parse_string(ps, 0, &key, &len);
	if (rc)
		return rc;
	seen = key_seen(ps, f, key, len);
	if (seen < 0)
		return nomem(ps);
	if (seen) {
		char quoted[200];
		quote_key(quoted, sizeof quoted, key, len);
		return fail(ps, at, 0, "repeated key %s", quoted);
	}
	if (f->count == UINT32_MAX)
		return fail(ps, at, 0, "too many members");
	if (stack_reserve(&ps->mems, sizeof *m))
		return nomem(ps);
	m = (struct raas_json_member *)ps->mems.data + ps->mems.len++;
	m->key = key;
	m->key_len = len;
	memset(&m->value, 0, sizeof m->value);
	f->count++;
	skip_ws(ps);
	if (ps->p == ps->end || *ps->p != ':')
		return fail(ps, ps->p, 0, "expected ':'");
	ps->p++;
	return RAAS_OK;
}

/* ---- containers ---- */

static raas_rc open_container(struct parser *ps, int is_object)
{
	struct frame *f;

	if (ps->frames.len >= ps->lim->max_depth)
		return fail(ps, ps->p, 1, "nesting deeper than %u", ps->lim->max_depth);
	if (stack_reserve(&ps->frames, sizeof *f))
		return nomem(ps);
	f = (struct frame *)ps->frames.data + ps->frames.len++;
	f->is_object = is_object;
	f->line = ps->line;
	f->column = column_of(ps, ps->p);
	f->base = is_object ? ps->mems.len : ps->vals.len;
	f->count = 0;
	f->slots = NULL;
	f->nslots = 0;
	ps->p++;
	return RAAS_OK;
}

/* Closes the innermost container into v: its children move from the scratch stack into
 * the arena. */
static raas_rc close_container(struct parser *ps, struct raas_json *v)
{
	struct frame *f = (struct frame *)ps->frames.data + ps->frames.len - 1;
	struct stack *s = f->is_object ? &ps->mems : &ps->vals;
	size_t elem = f->is_object ? sizeof(struct raas_json_member) : sizeof(struct raas_json);
	void *children = NULL;

	if (f->count) {
		if (f->count > SIZE_MAX / elem)
			return nomem(ps);
		children = raas_arena_alloc(ps->arena, f->count * elem);
		if (!children)
			return nomem(ps);
		memcpy(children, (char *)s->data + f->base * elem, f->count * elem);
	}
	s->len = f->base;
	v->type = f->is_object ? RAAS_JSON_OBJECT : RAAS_JSON_ARRAY;
	v->len = f->count;
	v->line = f->line;
	v->column = f->column;
	if (f->is_object)
		v->u.members = children;
	else
		v->u.items = children;
	raas_free(f->slots);
	ps->frames.len--;
	ps->p++;
	return RAAS_OK;
}

/* Reads one value at ps->p (whitespace skipped) into v, or opens a container (*opened). */
static raas_rc parse_value(struct parser *ps, struct raas_json *v, int *opened)
{
	const char *p = ps->p;
	size_t left = (size_t)(ps->end - p);

	*opened = 0;
	memset(v, 0, sizeof *v);
	v->line = ps->line;
	v->column = column_of(ps, p);
	if (left == 0)
		return fail(ps, p, 1, "expected a value");
	switch (*p) {
	case '{':
	case '[':
		*opened = 1;
		return open_container(ps, *p == '{');
	case '"':
		v->type = RAAS_JSON_STRING;
		return parse_string(ps, 1, &v->u.str, &v->len);
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		return parse_number(ps, v);
	case 't':
		if (left >= 4 && memcmp(p, "true", 4) == 0) {
			v->type = RAAS_JSON_TRUE;
			ps->p += 4;
			return RAAS_OK;
		}
		break;
	case 'f':
		if (left >= 5 && memcmp(p, "false", 5) == 0) {
			v->type = RAAS_JSON_FALSE;
			ps->p += 5;
			return RAAS_OK;
		}
		break;
	case 'n':
		if (left >= 4 && memcmp(p, "null", 4) == 0) {
			v->type = RAAS_JSON_NULL;
			ps->p += 4;
			return RAAS_OK;
		}
		break;
	default:
		break;
	}
	return fail(ps, p, 1, "expected a value");
}

/* The parse loop: read a value; then, innermost container by innermost container, place
 * it and read what follows it (',' and the next value, or the closing bracket, which
 * completes another value). */
static raas_rc parse_document(struct parser *ps, struct raas_json *root)
{
	struct raas_json v;
	raas_rc rc;
	int opened;

	for (;;) {
		skip_ws(ps);
		rc = parse_value(ps, &v, &opened);
		if (rc)
			return rc;
		if (opened) {
			struct frame *f = (struct frame *)ps->frames.data + ps->frames.len - 1;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == (f->is_object ? '}' : ']')) {
				rc = close_container(ps, &v);
				if (rc)
					return rc;
			} else if (f->is_object) {
				rc = parse_key(ps, "expected a string key or '}'");
				if (rc)
					return rc;
				continue;
			} else {
				continue;
			}
		}
		/* v is complete: place it and go up as long as containers close. */
		for (;;) {
			struct frame *f;

			if (ps->frames.len == 0) {
				*root = v;
				return RAAS_OK;
			}
			f = (struct frame *)ps->frames.data + ps->frames.len - 1;
			if (f->is_object) {
				((struct raas_json_member *)ps->mems.data)[ps->mems.len - 1].value =
				        v;
			} else {
				if (f->count == UINT32_MAX)
					return fail(ps, ps->p, 1, "too many items");
				if (stack_reserve(&ps->vals, sizeof v))
					return nomem(ps);
				((struct raas_json *)ps->vals.data)[ps->vals.len++] = v;
				f->count++;
			}
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == ',') {
				ps->p++;
				if (f->is_object) {
					skip_ws(ps);
					rc = parse_key(ps, "expected a string key");
					if (rc)
						return rc;
				}
				break; /* read the next value */
			}
			if (ps->p < ps->end && *ps->p == (f->is_object ? '}' : ']')) {
				rc = close_container(ps, &v);
				if (rc)
					return rc;
				continue;
			}
			return fail(ps, ps->p, 0,
			            f->is_object ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
}

raas_rc raas_json_parse(struct raas_arena *arena, const char *text, size_t len,
                        const struct raas_json_limits *limits, struct raas_json **out,
                        struct raas_err *err)
{
	struct parser ps;
	struct raas_json root;
	raas_rc rc;

	*out = NULL;
	if (!text)
		text = ""; /* len is 0 then; keeps pointer arithmetic defined */
	if (!limits)
		limits = &raas_json_default_limits;
	if (limits->max_bytes && len > limits->max_bytes) {
		raas_err_set(err, RAAS_E_INPUT, NULL, "document larger than %zu bytes",
		             limits->max_bytes);
		raas_err_at(err, 1, 1);
		return RAAS_E_INPUT;
	}
	ps.arena = arena;
	ps.p = text;
	ps.end = text + len;
	ps.lim = limits;
	ps.err = err;
	ps.line = 1;
	ps.line_start = text;
	ps.seed = mix64((uint64_t)(uintptr_t)&ps ^ (uint64_t)(uintptr_t)arena ^ (uint64_t)len);
	stack_init(&ps.frames, ps.frames0, sizeof ps.frames0 / sizeof ps.frames0[0]);
	stack_init(&ps.vals, ps.vals0, sizeof ps.vals0 / sizeof ps.vals0[0]);
	stack_init(&ps.mems, ps.mems0, sizeof ps.mems0 / sizeof ps.mems0[0]);

	rc = parse_document(&ps, &root);
	if (rc)
		goto out;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		rc = fail(&ps, ps.p, 0, "trailing characters after the JSON value");
		goto out;
	}
	*out = raas_arena_alloc(arena, sizeof **out);
	if (!*out) {
		rc = nomem(&ps);
		goto out;
	}
	**out = root;
out:
	for (size_t i = 0; i < ps.frames.len; i++)
		raas_free(((struct frame *)ps.frames.data)[i].slots);
	stack_free(&ps.frames);
	stack_free(&ps.vals);
	stack_free(&ps.mems);
	return rc;
}

/* ---- reading the tree ---- */

const struct raas_json *raas_json_getn(const struct raas_json *obj, const char *key, size_t len)
{
	if (!obj || obj->type != RAAS_JSON_OBJECT)
		return NULL;
	for (uint32_t i = 0; i < obj->len; i++) {
		const struct raas_json_member *m = &obj->u.members[i];
		if (m->key_len == len && memcmp(m->key, key, len) == 0)
			return &m->value;
	}
	return NULL;
}

const struct raas_json *raas_json_get(const struct raas_json *obj, const char *key)
{
	return raas_json_getn(obj, key, strlen(key));
}

static bool numbers_equal(const struct raas_json *a, const struct raas_json *b)
{
	struct raas_num na, nb;

	if (raas_num_parse(a->u.str, a->len, RAAS_NUM_JSON, &na, NULL) == RAAS_OK &&
	    raas_num_parse(b->u.str, b->len, RAAS_NUM_JSON, &nb, NULL) == RAAS_OK)
		return raas_num_cmp(&na, &nb) == 0;
	return a->len == b->len && memcmp(a->u.str, b->u.str, a->len) == 0;
}

static int member_order(const void *x, const void *y)
{
	const struct raas_json_member *a = *(const struct raas_json_member *const *)x;
	const struct raas_json_member *b = *(const struct raas_json_member *const *)y;
	uint32_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, n);

	if (c)
		return c;
	return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

/* Large objects of the same size: sort both member lists by key and compare in step.
 * Returns 1 equal, 0 different, -1 when out of memory (the caller compares linearly). */
static int objects_equal_sorted(const struct raas_json *a, const struct raas_json *b)
{
	const struct raas_json_member **sa, **sb;
	size_t n = a->len;
	int result = 1;

	sa = raas_calloc(2 * n, sizeof *sa);
	if (!sa)
		return -1;
	sb = sa + n;
	for (size_t i = 0; i < n; i++) {
		sa[i] = &a->u.members[i];
		sb[i] = &b->u.members[i];
	}
	qsort(sa, n, sizeof *sa, member_order);
	qsort(sb, n, sizeof *sb, member_order);
	for (size_t i = 0; i < n && result; i++)
		if (member_order(&sa[i], &sb[i]) != 0 ||
		    !raas_json_equal(&sa[i]->value, &sb[i]->value))
			result = 0;
	raas_free(sa);
	return result;
}

bool raas_json_equal(const struct raas_json *a, const struct raas_json *b)
{
	if (!a || !b)
		return a == b;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case RAAS_JSON_NULL:
	case RAAS_JSON_FALSE:
	case RAAS_JSON_TRUE:
		return true;
	case RAAS_JSON_NUMBER:
		return numbers_equal(a, b);
	case RAAS_JSON_STRING:
		return a->len == b->len && memcmp(a->u.str, b->u.str, a->len) == 0;
	case RAAS_JSON_ARRAY:
		if (a->len != b->len)
			return false;
		for (uint32_t i = 0; i < a->len; i++)
			if (!raas_json_equal(&a->u.items[i], &b->u.items[i]))
				return false;
		return true;
	case RAAS_JSON_OBJECT:
		if (a->len != b->len)
			return false;
		if (a->len > SMALL_OBJECT) {
			int r = objects_equal_sorted(a, b);
			if (r >= 0)
				return r == 1;
		}
		/* Keys are unique within an object, so equal sizes and every member of a found
		 * equal in b mean equal objects. */
		for (uint32_t i = 0; i < a->len; i++) {
			const struct raas_json_member *m = &a->u.members[i];
			const struct raas_json *o = raas_json_getn(b, m->key, m->key_len);
			if (!o || !raas_json_equal(&m->value, o))
				return false;
		}
		return true;
	}
	return false;
}

/* ---- writing ---- */

size_t raas_json_escape(unsigned char c, char esc[6])
{
	static const char hex[] = "0123456789abcdef";

	esc[0] = '\\';
	switch (c) {
	case '"':
	case '\\':
		esc[1] = (char)c;
		return 2;
	case '\n':
		esc[1] = 'n';
		return 2;
	case '\r':
		esc[1] = 'r';
		return 2;
	case '\t':
		esc[1] = 't';
		return 2;
	case '\b':
		esc[1] = 'b';
		return 2;
	case '\f':
		esc[1] = 'f';
		return 2;
	default:
		if (c >= 0x20)
			return 0;
		esc[1] = 'u';
		esc[2] = '0';
		esc[3] = '0';
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		return 6;
	}
}

raas_rc raas_json_write_string(struct raas_buf *b, const char *s, size_t len)
{
	size_t run = 0;
	raas_rc rc;

	rc = raas_buf_putc(b, '"');
	for (size_t i = 0; i < len && rc == RAAS_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t n;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		n = raas_json_escape(c, esc);
		rc = raas_buf_append(b, s + run, i - run);
		if (rc == RAAS_OK)
			rc = raas_buf_append(b, esc, n);
		run = i + 1;
	}
	if (rc == RAAS_OK)
		rc = raas_buf_append(b, s + run, len - run);
	if (rc == RAAS_OK)
		rc = raas_buf_putc(b, '"');
	return rc;
}

raas_rc raas_json_write_text(struct raas_buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t start = b->len;
	raas_rc rc = raas_buf_putc(b, '"');

	while (p < end && rc == RAAS_OK) {
		size_t n = *p < 0x80 ? 1 : raas_utf8_sequence(p, end);
		char esc[6];
		if (n == 0) {
			rc = raas_buf_append(b, "\xef\xbf\xbd", 3); /* U+FFFD for a bad byte */
			p++;
		} else if (*p < 0x20 || *p == '"' || *p == '\\') {
			n = raas_json_escape(*p, esc);
			rc = raas_buf_append(b, esc, n);
			p++;
		} else {
			rc = raas_buf_append(b, p, n);
			p += n;
		}
	}
	if (rc == RAAS_OK)
		rc = raas_buf_putc(b, '"');
	if (rc)
		b->len = start;
	return rc;
}

raas_rc raas_json_write(struct raas_buf *b, const struct raas_json *v)
{
	raas_rc rc = RAAS_OK;

	switch (v->type) {
	case RAAS_JSON_NULL:
		return raas_buf_append(b, "null", 4);
	case RAAS_JSON_FALSE:
		return raas_buf_append(b, "false", 5);
	case RAAS_JSON_TRUE:
		return raas_buf_append(b, "true", 4);
	case RAAS_JSON_NUMBER:
		return raas_buf_append(b, v->u.str, v->len);
	case RAAS_JSON_STRING:
		return raas_json_write_string(b, v->u.str, v->len);
	case RAAS_JSON_ARRAY:
		rc = raas_buf_putc(b, '[');
		for (uint32_t i = 0; i < v->len && rc == RAAS_OK; i++) {
			if (i)
				rc = raas_buf_putc(b, ',');
			if (rc == RAAS_OK)
				rc = raas_json_write(b, &v->u.items[i]);
		}
		return rc ? rc : raas_buf_putc(b, ']');
	case RAAS_JSON_OBJECT:
		rc = raas_buf_putc(b, '{');
		for (uint32_t i = 0; i < v->len && rc == RAAS_OK; i++) {
			const struct raas_json_member *m = &v->u.members[i];
			if (i)
				rc = raas_buf_putc(b, ',');
			if (rc == RAAS_OK)
				rc = raas_json_write_string(b, m->key, m->key_len);
			if (rc == RAAS_OK)
				rc = raas_buf_putc(b, ':');
			if (rc == RAAS_OK)
				rc = raas_json_write(b, &m->value);
		}
		return rc ? rc : raas_buf_putc(b, '}');
	}
	return RAAS_E_INPUT;
}
