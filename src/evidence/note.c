/* note.c — signed checkpoints of a customer's log (evidence.md "Checkpoints") in the C2SP
 * signed-note and tlog-checkpoint formats, so that any note verifier can check them: key ids,
 * the verifier key string a vendor publishes and its parser, writing a checkpoint signed with
 * the tenant's Ed25519 key, and verifying one against a verifier key.
 *
 * Verification follows the signed-note rules: the note is UTF-8 without control characters
 * other than newline; the text ends at the last empty line; every signature line is well formed
 * (a malformed one rejects the note); lines of other keys are ignored; the first line of the
 * given key (name and key id) must verify, repeats of it are ignored. Only then is the body read
 * as a checkpoint: origin, size, root and optional non-empty extension lines, which are ignored.
 */
#include "evidence/note.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NOTE_MAX_BYTES ((size_t)1 << 20) /* longest note accepted */
#define NOTE_MAX_SIGNATURES 100          /* signature lines accepted (the spec asks for 16) */
#define SIG_BLOB_BYTES (4 + RAAS_ED25519_SIGNATURE_BYTES)
#define VKEY_KEY_BYTES (1 + RAAS_ED25519_PUBLIC_BYTES) /* type 0x01 and the public key */
#define ALG_ED25519 0x01

static const char em_dash_space[] = "\xe2\x80\x94 "; /* U+2014 EM DASH, space */

/* ---- text rules ---- */

/* The length of the UTF-8 character at s (n > 0 bytes available) and its code point, or 0
 * when the bytes there are not a well-formed character (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	uint32_t v, min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1fu;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0fu;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Unicode White_Space (what Go's unicode.IsSpace, used by the reference note verifier, tests). */
static bool is_unicode_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
	       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* What is wrong with the n bytes at s as a line of note text (UTF-8 without control
 * characters), or NULL when nothing is; *at is the offset of the offending byte. */
static const char *text_problem(const char *s, size_t n, size_t *at)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t k;

	for (size_t i = 0; i < n; i += k) {
		*at = i;
		k = utf8_char(p + i, n - i, &cp);
		if (!k)
			return "invalid UTF-8";
		if (cp == '\n')
			return "a newline is not allowed";
		if (cp < 0x20)
			return "a control character is not allowed";
	}
	return NULL;
}

/* What is wrong with the n bytes at s as a key name (signed-note: non-empty UTF-8 without
 * Unicode spaces or '+'; and no control characters, which no note may hold), or NULL. */
static const char *name_problem(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *why;
	size_t at, k;
	uint32_t cp;

	if (n == 0)
		return "is empty";
	why = text_problem(s, n, &at);
	if (why)
		return (p[at] == '\n')  ? "contains a newline"
		       : (p[at] < 0x20) ? "contains a control character"
		                        : "is not valid UTF-8";
	for (size_t i = 0; i < n; i += k) {
		k = utf8_char(p + i, n - i, &cp);
		if (is_unicode_space(cp))
			return "contains a space";
		if (cp == '+')
			return "contains '+'";
	}
	return NULL;
}

/* ---- keys ---- */

void raas_note_key_id(const char *name, const unsigned char pub[RAAS_ED25519_PUBLIC_BYTES],
                      unsigned char id[4])
{
	unsigned char tail[2 + RAAS_ED25519_PUBLIC_BYTES];
	struct raas_hash h;

	tail[0] = 0x0a;
	tail[1] = ALG_ED25519;
	memcpy(tail + 2, pub, RAAS_ED25519_PUBLIC_BYTES);
	raas_sha256_2(name, strlen(name), tail, sizeof tail, &h);
	memcpy(id, h.b, 4);
}

/* "<name>+<8 hex digits>" of a key, for messages (out holds RAAS_NOTE_NAME_MAX + 10). */
static void key_label(char *out, size_t cap, const char *name, const unsigned char id[4])
{
	char hex[9];

	raas_hex_encode(id, 4, hex);
	snprintf(out, cap, "%s+%s", name, hex);
}

raas_rc raas_note_verifier_key(struct raas_buf *b, const char *name,
                               const unsigned char pub[RAAS_ED25519_PUBLIC_BYTES])
{
	unsigned char key[VKEY_KEY_BYTES], id[4];
	char hex[9], key64[4 * ((VKEY_KEY_BYTES + 2) / 3) + 1];
	size_t start = b->len, n = strlen(name);
	raas_rc rc;

	if (n > RAAS_NOTE_NAME_MAX || name_problem(name, n))
		return RAAS_E_INPUT;
	raas_note_key_id(name, pub, id);
	raas_hex_encode(id, 4, hex);
	key[0] = ALG_ED25519;
	memcpy(key + 1, pub, RAAS_ED25519_PUBLIC_BYTES);
	raas_base64_encode(key, sizeof key, key64);
	rc = raas_buf_append(b, name, n);
	if (rc == RAAS_OK)
		rc = raas_buf_putc(b, '+');
	if (rc == RAAS_OK)
		rc = raas_buf_puts(b, hex);
	if (rc == RAAS_OK)
		rc = raas_buf_putc(b, '+');
	if (rc == RAAS_OK)
		rc = raas_buf_puts(b, key64);
	if (rc != RAAS_OK && b->data) {
		b->len = start;
		b->data[start] = '\0';
	}
	return rc;
}

raas_rc raas_note_parse_verifier_key(const char *vkey, size_t len,
                                     char name[RAAS_NOTE_NAME_MAX + 1],
                                     unsigned char pub[RAAS_ED25519_PUBLIC_BYTES],
                                     struct raas_err *err)
{
	static const char *const path = "verifier key";
	const char *plus1, *plus2, *why, *key64;
	unsigned char key[3 * VKEY_KEY_BYTES], id[4], want[4];
	size_t name_len, key64_len, key_len;
	char hex_given[9], hex_want[9];

	name[0] = '\0';
	plus1 = memchr(vkey, '+', len);
	if (!plus1)
		return raas_err_set(err, RAAS_E_INPUT, path,
		                    "expected <key name>+<key id>+<public key>: there is no '+'");
	name_len = (size_t)(plus1 - vkey);
	why = name_problem(vkey, name_len);
	if (why)
		return raas_err_set(err, RAAS_E_INPUT, path, "the key name %s", why);
	if (name_len > RAAS_NOTE_NAME_MAX)
		return raas_err_set(err, RAAS_E_INPUT, path, "the key name is longer than %d bytes",
		                    RAAS_NOTE_NAME_MAX);
	plus2 = memchr(plus1 + 1, '+', len - name_len - 1);
	if (!plus2)
		return raas_err_set(err, RAAS_E_INPUT, path,
		                    "expected <key name>+<key id>+<public key>: the second '+' is "
		                    "missing");
	if (raas_hex_decode(plus1 + 1, (size_t)(plus2 - plus1 - 1), id, 4) != RAAS_OK)
		return raas_err_set(err, RAAS_E_INPUT, path,
		                    "the key id (after the first '+') must be 8 hex digits");
	key64 = plus2 + 1;
	key64_len = len - (size_t)(key64 - vkey);
	if (key64_len > 4 * (sizeof key / 3))
		return raas_err_set(err, RAAS_E_INPUT, path,
		                    "the public key (after the second '+') is too long for an "
		                    "Ed25519 key");
	if (raas_base64_decode(key64, key64_len, key, sizeof key, &key_len) != RAAS_OK)
		return raas_err_set(err, RAAS_E_INPUT, path,
		                    "the public key (after the second '+') is not valid base64");
	if (key_len == 0 || key[0] != ALG_ED25519)
		return raas_err_set(
		        err, RAAS_E_INPUT, path, "the key type is %s, not 0x01 (Ed25519)",
		        key_len ? (key[0] == 0x02 ? "0x02 (ECDSA)" : "not supported") : "missing");
	if (key_len != VKEY_KEY_BYTES)
		return raas_err_set(err, RAAS_E_INPUT, path,
		                    "an Ed25519 public key is 32 bytes, this one has %zu",
		                    key_len - 1);
	memcpy(name, vkey, name_len);
	name[name_len] = '\0';
	raas_note_key_id(name, key + 1, want);
	if (memcmp(id, want, 4) != 0) {
		raas_hex_encode(id, 4, hex_given);
		raas_hex_encode(want, 4, hex_want);
		name[0] = '\0';
		return raas_err_set(err, RAAS_E_INPUT, path,
		                    "the key id %s does not match the name and key (which give %s)",
		                    hex_given, hex_want);
	}
	memcpy(pub, key + 1, RAAS_ED25519_PUBLIC_BYTES);
	return RAAS_OK;
}

/* ---- writing ---- */

raas_rc raas_checkpoint_write(struct raas_buf *b, const char *origin, uint64_t size,
                              const struct raas_hash *root, const char *key_name,
                              const unsigned char seed[RAAS_ED25519_SEED_BYTES],
                              struct raas_err *err)
{
	/* origin, size (at most 20 digits), root (44 base64 digits), three newlines */
	char body[RAAS_NOTE_NAME_MAX + 20 + 44 + 3 + 1];
	char root64[45], sig64[4 * ((SIG_BLOB_BYTES + 2) / 3) + 1];
	unsigned char pub[RAAS_ED25519_PUBLIC_BYTES], blob[SIG_BLOB_BYTES];
	size_t origin_len = strlen(origin), name_len = strlen(key_name), start = b->len, at;
	const char *why;
	int body_len;
	raas_rc rc;

	if (origin_len == 0)
		return raas_err_set(err, RAAS_E_INPUT, "origin", "is empty");
	if (origin_len > RAAS_NOTE_NAME_MAX)
		return raas_err_set(err, RAAS_E_INPUT, "origin", "is longer than %d bytes",
		                    RAAS_NOTE_NAME_MAX);
	why = text_problem(origin, origin_len, &at);
	if (why)
		return raas_err_set(err, RAAS_E_INPUT, "origin", "byte %zu: %s", at + 1, why);
	why = name_problem(key_name, name_len);
	if (why)
		return raas_err_set(err, RAAS_E_INPUT, "key name", "%s", why);
	if (name_len > RAAS_NOTE_NAME_MAX)
		return raas_err_set(err, RAAS_E_INPUT, "key name", "is longer than %d bytes",
		                    RAAS_NOTE_NAME_MAX);

	raas_base64_encode(root->b, RAAS_HASH_BYTES, root64);
	body_len = snprintf(body, sizeof body, "%s\n%llu\n%s\n", origin, (unsigned long long)size,
	                    root64);
	if (body_len < 0 || (size_t)body_len >= sizeof body)
		return raas_err_set(err, RAAS_E_STORAGE, NULL, "checkpoint body does not fit");
	rc = raas_ed25519_public(seed, pub, err);
	if (rc != RAAS_OK)
		return rc;
	raas_note_key_id(key_name, pub, blob);
	rc = raas_ed25519_sign(seed, body, (size_t)body_len, blob + 4, err);
	if (rc != RAAS_OK)
		return rc;
	raas_base64_encode(blob, sizeof blob, sig64);

	rc = raas_buf_append(b, body, (size_t)body_len);
	if (rc == RAAS_OK)
		rc = raas_buf_putc(b, '\n');
	if (rc == RAAS_OK)
		rc = raas_buf_puts(b, em_dash_space);
	if (rc == RAAS_OK)
		rc = raas_buf_append(b, key_name, name_len);
	if (rc == RAAS_OK)
		rc = raas_buf_putc(b, ' ');
	if (rc == RAAS_OK)
		rc = raas_buf_puts(b, sig64);
	if (rc == RAAS_OK)
		rc = raas_buf_putc(b, '\n');
	if (rc != RAAS_OK) {
		if (b->data) {
			b->len = start;
			b->data[start] = '\0';
		}
		return raas_err_set(err, rc, NULL,
		                    rc == RAAS_E_NOMEM
		                            ? "out of memory"
		                            : "the checkpoint does not fit in the buffer");
	}
	return RAAS_OK;
}

/* ---- verifying ---- */

/* Decodes the signature of a signature line: strict base64 (what raas_base64_decode accepts
 * for the whole string) of any length, keeping its first SIG_BLOB_BYTES bytes in head and its
 * length in *total, so that other keys' long signatures need no big buffer. */
static raas_rc signature_decode(const char *s, size_t n, unsigned char head[SIG_BLOB_BYTES],
                                size_t *total)
{
	size_t got = 0;

	if (n == 0 || n % 4 != 0)
		return RAAS_E_INPUT;
	for (size_t i = 0; i < n; i += 4) {
		unsigned char group[3];
		size_t k;
		/* groups are independent; only the last one may hold padding */
		if (i + 4 < n && memchr(s + i, '=', 4))
			return RAAS_E_INPUT;
		if (raas_base64_decode(s + i, 4, group, sizeof group, &k) != RAAS_OK)
			return RAAS_E_INPUT;
		for (size_t j = 0; j < k; j++, got++)
			if (got < SIG_BLOB_BYTES)
				head[got] = group[j];
	}
	*total = got;
	return RAAS_OK;
}

static raas_rc note_error(struct raas_err *err, size_t line, size_t column, const char *fmt, ...)
        RAAS_PRINTF(4, 5);

/* Fills err for a malformed note at line/column (1-based; 0 when the problem is the whole
 * note's) and returns RAAS_E_INPUT. */
static raas_rc note_error(struct raas_err *err, size_t line, size_t column, const char *fmt, ...)
{
	char what[RAAS_ERR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	raas_err_set(err, RAAS_E_INPUT, "checkpoint", "%s", what);
	raas_err_at(err, line > UINT32_MAX ? UINT32_MAX : (uint32_t)line,
	            column > UINT32_MAX ? UINT32_MAX : (uint32_t)column);
	return RAAS_E_INPUT;
}

/* Checks the whole note for UTF-8 and control characters; RAAS_E_INPUT saying where. */
static raas_rc check_note_text(const char *note, size_t len, struct raas_err *err)
{
	const unsigned char *p = (const unsigned char *)note;
	size_t line = 1, line_start = 0, k;
	uint32_t cp;

	for (size_t i = 0; i < len; i += k) {
		k = utf8_char(p + i, len - i, &cp);
		if (!k)
			return note_error(err, line, i - line_start + 1, "invalid UTF-8");
		if (cp == '\n') {
			line++;
			line_start = i + 1;
		} else if (cp < 0x20) {
			return note_error(err, line, i - line_start + 1,
			                  "a control character is not allowed");
		}
	}
	return RAAS_OK;
}

/* Reads the body (text) of a verified note as a checkpoint into *out. */
static raas_rc parse_body(const char *text, size_t len, struct raas_checkpoint *out,
                          struct raas_err *err)
{
	size_t pos = 0, line = 0;

	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = (size_t)(nl - s); /* the text ends in '\n', so nl is not NULL */

		line++;
		pos += n + 1;
		if (n == 0)
			return note_error(err, line, 1, "%s",
			                  line == 1   ? "the origin line is empty"
			                  : line == 2 ? "the tree size line is empty"
			                  : line == 3 ? "the root hash line is empty"
			                              : "an extension line must not be empty");
		if (line == 1) {
			if (n > RAAS_NOTE_NAME_MAX)
				return note_error(err, 1, RAAS_NOTE_NAME_MAX + 1,
				                  "the origin is longer than %d bytes",
				                  RAAS_NOTE_NAME_MAX);
			memcpy(out->origin, s, n);
			out->origin[n] = '\0';
		} else if (line == 2) {
			uint64_t v = 0;
			for (size_t i = 0; i < n; i++) {
				unsigned d = (unsigned)(unsigned char)s[i] - '0';
				if (d > 9)
					return note_error(err, 2, i + 1,
					                  "the tree size must be a decimal number");
				if (i == 1 && s[0] == '0')
					return note_error(err, 2, 1,
					                  "the tree size has a leading zero");
				if (v > (UINT64_MAX - d) / 10)
					return note_error(err, 2, i + 1,
					                  "the tree size is larger than 2^64 - 1");
				v = v * 10 + d;
			}
			out->size = v;
		} else if (line == 3) {
			size_t got = 0;
			if (raas_base64_decode(s, n, out->root.b, RAAS_HASH_BYTES, &got) !=
			            RAAS_OK ||
			    got != RAAS_HASH_BYTES)
				return note_error(err, 3, 1,
				                  "the root hash must be the base64 of 32 bytes");
		}
		/* further lines are extension lines: opaque, ignored */
	}
	if (line < 3)
		return note_error(
		        err, line + 1, 1,
		        "a checkpoint needs three lines: origin, tree size and root hash");
	return RAAS_OK;
}

raas_rc raas_checkpoint_verify(const char *note, size_t len, const char *vkey, size_t vkey_len,
                               struct raas_checkpoint *out, struct raas_err *err)
{
	char name[RAAS_NOTE_NAME_MAX + 1], label[RAAS_NOTE_NAME_MAX + 10];
	unsigned char pub[RAAS_ED25519_PUBLIC_BYTES], id[4];
	size_t name_len, text_len, pos, line, nsig = 0, bad_line = 0;
	const char *split = NULL;
	bool seen = false;
	raas_rc rc;

	memset(out, 0, sizeof *out);
	rc = raas_note_parse_verifier_key(vkey, vkey_len, name, pub, err);
	if (rc != RAAS_OK)
		return rc;
	name_len = strlen(name);
	raas_note_key_id(name, pub, id);
	key_label(label, sizeof label, name, id);

	if (len > NOTE_MAX_BYTES)
		return note_error(err, 0, 0, "the note is longer than %zu bytes", NOTE_MAX_BYTES);
	rc = check_note_text(note, len, err);
	if (rc != RAAS_OK)
		return rc;
	/* the text ends at the last empty line */
	for (size_t i = len; i >= 2; i--)
		if (note[i - 1] == '\n' && note[i - 2] == '\n') {
			split = note + i - 2;
			break;
		}
	if (!split)
		return note_error(err, 0, 0, "no empty line before the signature lines");
	text_len = (size_t)(split - note) + 1;
	line = 1;
	for (size_t i = 0; i < text_len; i++)
		line += note[i] == '\n';
	/* line is now the empty line's number */
	pos = text_len + 1;
	if (pos == len)
		return note_error(err, line + 1, 1, "no signature lines after the empty line");
	if (note[len - 1] != '\n')
		return note_error(err, 0, 0, "the last signature line does not end in a newline");

	while (pos < len) {
		const char *start = note + pos, *s = start, *space, *sig64;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = (size_t)(nl - s), sig_len, total = 0, this_name_len;
		unsigned char blob[SIG_BLOB_BYTES];
		const char *why;

		line++;
		pos += n + 1;
		if (++nsig > NOTE_MAX_SIGNATURES)
			return note_error(err, line, 1, "more than %d signature lines",
			                  NOTE_MAX_SIGNATURES);
		if (n < sizeof em_dash_space - 1 ||
		    memcmp(s, em_dash_space, sizeof em_dash_space - 1) != 0)
			return note_error(err, line, 1,
			                  "a signature line must start with U+2014 EM DASH and a "
			                  "space");
		s += sizeof em_dash_space - 1;
		n -= sizeof em_dash_space - 1;
		space = memchr(s, ' ', n);
		if (!space)
			return note_error(err, line, (size_t)(s + n - start) + 1,
			                  "expected a key name, a space and a signature");
		this_name_len = (size_t)(space - s);
		why = name_problem(s, this_name_len);
		if (why)
			return note_error(err, line, (size_t)(s - start) + 1, "the key name %s",
			                  why);
		sig64 = space + 1;
		sig_len = n - this_name_len - 1;
		if (signature_decode(sig64, sig_len, blob, &total) != RAAS_OK)
			return note_error(err, line, (size_t)(sig64 - start) + 1,
			                  "the signature is not valid base64");
		if (total < 5)
			return note_error(err, line, (size_t)(sig64 - start) + 1,
			                  "the signature is shorter than 5 bytes");
		if (this_name_len != name_len || memcmp(s, name, name_len) != 0 ||
		    memcmp(blob, id, 4) != 0)
			continue; /* another key's signature: ignored */
		if (seen)
			continue; /* a repeat of the first one decides nothing */
		seen = true;
		if (total != SIG_BLOB_BYTES || !raas_ed25519_verify(pub, note, text_len, blob + 4))
			bad_line = line;
	}
	if (!seen)
		return raas_err_set(err, RAAS_E_VERIFY, "checkpoint", "no signature by %s", label);
	if (bad_line) {
		raas_err_set(err, RAAS_E_VERIFY, "checkpoint",
		             "the signature by %s does not verify", label);
		raas_err_at(err, (uint32_t)bad_line, 1);
		return RAAS_E_VERIFY;
	}
	rc = parse_body(note, text_len, out, err);
	if (rc != RAAS_OK)
		memset(out, 0, sizeof *out);
	return rc;
}
