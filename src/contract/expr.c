/* expr.c — compiler and evaluator of the `where` expression language (contracts.md
 * "Expressions").
 *
 * A contract's `where` text is compiled once, when the contract is applied, into one
 * block of flat arrays: condition nodes (n-ary && and || linked through sibling indices,
 * with any chain of '!' folded into one negation flag), property paths split into
 * segments, literals with their numbers already parsed into struct raas_num, and the bytes
 * they name. Each event's properties object is then evaluated against that block without
 * allocating; the only recursion is through parenthesised sub-expressions, at most
 * RAAS_EXPR_MAX_DEPTH deep.
 */
#include "contract/expr.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/number.h"

#define NO_NODE UINT32_MAX
/* How much of a path or token a message quotes. */
#define QUOTE_MAX 120

/* ---- compiled form ---- */

enum node_kind {
	N_TRUE,
	N_FALSE,
	N_CMP,        /* lhs op rhs */
	N_IN,         /* lhs in lits[first .. first+count) */
	N_EXISTS,     /* exists(lhs) */
	N_STARTSWITH, /* startswith(lhs, rhs) with rhs a string literal */
	N_AND,        /* children first, first.next, ... (count of them) */
	N_OR,
};

enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

enum lit_type { L_NULL, L_FALSE, L_TRUE, L_NUMBER, L_STRING };

struct operand {
	uint8_t is_path; /* 1: paths[index]; 0: lits[index] */
	uint32_t index;
};

struct node {
	uint8_t kind;   /* enum node_kind */
	uint8_t negate; /* the parity of the '!' chain in front of the condition */
	uint8_t op;     /* enum cmp_op, for N_CMP */
	uint32_t next;  /* next sibling in the parent's && / || list, or NO_NODE */
	struct operand lhs;
	struct operand rhs;
	uint32_t first; /* N_AND/N_OR: first child node; N_IN: first literal */
	uint32_t count; /* N_AND/N_OR: children; N_IN: literals */
};

struct lit {
	uint8_t type; /* enum lit_type */
	uint32_t off; /* L_STRING: bytes in pool; L_NUMBER: index into nums */
	uint32_t len; /* L_STRING: byte count */
};

struct seg {
	uint32_t off; /* bytes in pool */
	uint32_t len;
};

struct path {
	uint32_t first; /* segs[first .. first+count) */
	uint32_t count;
};

struct raas_expr {
	uint32_t root;
	const struct node *nodes;
	const struct lit *lits;
	const struct raas_num *nums;
	const struct path *paths;
	const struct seg *segs;
	const char *pool;
};

/* ---- tokens ---- */

enum tok_kind {
	TOK_END,
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_LBRACKET,
	TOK_RBRACKET,
	TOK_COMMA,
	TOK_NOT,
	TOK_AND,
	TOK_OR,
	TOK_EQ,
	TOK_NE,
	TOK_LT,
	TOK_LE,
	TOK_GT,
	TOK_GE,
	TOK_IN,
	TOK_PATH,
	TOK_NUMBER,
	TOK_STRING,
	TOK_TRUE,
	TOK_FALSE,
	TOK_NULL,
};

struct tok {
	enum tok_kind kind;
	size_t start; /* offset of the first byte */
	size_t end;   /* offset one past the last byte */
};

/* ---- the parser: growable arrays that become the compiled block ---- */

struct parser {
	const char *s;
	size_t len;
	size_t pos; /* offset of the next unread byte */
	unsigned depth;
	struct raas_err *err;

	struct node *nodes;
	uint32_t nnodes, cap_nodes;
	struct lit *lits;
	uint32_t nlits, cap_lits;
	struct raas_num *nums;
	uint32_t nnums, cap_nums;
	struct path *paths;
	uint32_t npaths, cap_paths;
	struct seg *segs;
	uint32_t nsegs, cap_segs;
	char *pool;
	uint32_t npool, cap_pool;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_seg_char(char c)
{
	return is_letter(c) || is_digit(c);
}

static uint32_t column_of(size_t offset)
{
	return (uint32_t)offset + 1;
}

/* Fills p->err with a syntax error at byte offset `at` and returns RAAS_E_INPUT. */
static raas_rc syntax_error(struct parser *p, size_t at, const char *fmt, ...) RAAS_PRINTF(3, 4);

static raas_rc syntax_error(struct parser *p, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (!p->err)
		return RAAS_E_INPUT;
	raas_err_clear(p->err);
	p->err->code = RAAS_E_INPUT;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
	va_end(ap);
	raas_err_at(p->err, 1, column_of(at));
	return RAAS_E_INPUT;
}

static raas_rc no_memory(struct parser *p)
{
	return raas_err_set(p->err, RAAS_E_NOMEM, NULL, "out of memory compiling an expression");
}

/* Writes a short human description of the byte c ("'x'" or "byte 0x07") into buf. */
static const char *describe_byte(char c, char *buf, size_t cap)
{
	unsigned char u = (unsigned char)c;

	if (u > 0x20 && u < 0x7f)
		snprintf(buf, cap, "'%c'", c);
	else
		snprintf(buf, cap, "byte 0x%02x", u);
	return buf;
}

/* Lengths printed with %.*s: at most QUOTE_MAX bytes of a token. */
static int quote_len(size_t n)
{
	return (int)(n > QUOTE_MAX ? QUOTE_MAX : n);
}

/* Describes the token t for a message: "'&&'", "the end of the expression". */
static const char *describe_tok(const struct parser *p, const struct tok *t, char *buf, size_t cap)
{
	if (t->kind == TOK_END)
		return "the end of the expression";
	snprintf(buf, cap, "'%.*s'", quote_len(t->end - t->start), p->s + t->start);
	return buf;
}

static bool is_cmp_tok(enum tok_kind k)
{
	return k >= TOK_EQ && k <= TOK_GE;
}

static bool is_literal_tok(enum tok_kind k)
{
	return k == TOK_NUMBER || k == TOK_STRING || k == TOK_TRUE || k == TOK_FALSE ||
	       k == TOK_NULL;
}

/* Scans a quoted string whose opening quote is at offset i; on success t->end is one past
 * the closing quote. */
static raas_rc lex_string(struct parser *p, size_t i, struct tok *t)
{
	char quote = p->s[i];
	size_t j = i + 1;
	char what[16];

	for (;;) {
		if (j >= p->len)
			return syntax_error(p, i, "unterminated string (no closing %c)", quote);
		if (p->s[j] == quote)
			break;
		if (p->s[j] == '\\') {
			if (j + 1 >= p->len)
				return syntax_error(p, i, "unterminated string (no closing %c)",
				                    quote);
			if (p->s[j + 1] != '\\' && p->s[j + 1] != '\'' && p->s[j + 1] != '"')
				return syntax_error(p, j,
				                    "unknown escape: a backslash followed by %s "
				                    "(only \\\\, \\' and \\\" are allowed)",
				                    describe_byte(p->s[j + 1], what, sizeof what));
			j += 2;
			continue;
		}
		j++;
	}
	t->kind = TOK_STRING;
	t->end = j + 1;
	return RAAS_OK;
}

/* Scans -?[0-9]+(\.[0-9]+)? at offset i; the number may not run into a letter, digit,
 * '_' or '.'. */
static raas_rc lex_number(struct parser *p, size_t i, struct tok *t)
{
	size_t j = i;
	char what[16];

	if (p->s[j] == '-') {
		j++;
		if (j >= p->len || !is_digit(p->s[j]))
			return syntax_error(p, j, "expected a digit right after '-'");
	}
	while (j < p->len && is_digit(p->s[j]))
		j++;
	if (j < p->len && p->s[j] == '.') {
		j++;
		if (j >= p->len || !is_digit(p->s[j]))
			return syntax_error(p, j, "expected a digit after the '.' of a number");
		while (j < p->len && is_digit(p->s[j]))
			j++;
	}
	if (j < p->len && (is_seg_char(p->s[j]) || p->s[j] == '.')) {
		if (p->s[j] == 'e' || p->s[j] == 'E')
			return syntax_error(p, j,
			                    "numbers in expressions have no exponent (write 1000, "
			                    "not 1e3)");
		return syntax_error(p, j,
		                    "unexpected %s after the number %.*s (a property path "
		                    "starts with a letter or '_')",
		                    describe_byte(p->s[j], what, sizeof what), quote_len(j - i),
		                    p->s + i);
	}
	t->kind = TOK_NUMBER;
	t->end = j;
	return RAAS_OK;
}

static bool text_is(const struct parser *p, size_t start, size_t end, const char *word)
{
	size_t n = strlen(word);

	return end - start == n && memcmp(p->s + start, word, n) == 0;
}

/* Scans a path segment ('.' segment)* at offset i (a letter or '_'); single-segment words
 * true, false, null and in become their own tokens. */
static raas_rc lex_path(struct parser *p, size_t i, struct tok *t)
{
	size_t j = i;
	bool dotted = false;

	for (;;) {
		while (j < p->len && is_seg_char(p->s[j]))
			j++;
		if (j >= p->len || p->s[j] != '.')
			break;
		j++;
		dotted = true;
		if (j >= p->len || !is_seg_char(p->s[j]))
			return syntax_error(p, j, "expected a property path segment after '.'");
	}
	t->end = j;
	t->kind = TOK_PATH;
	if (!dotted) {
		if (text_is(p, i, j, "true"))
			t->kind = TOK_TRUE;
		else if (text_is(p, i, j, "false"))
			t->kind = TOK_FALSE;
		else if (text_is(p, i, j, "null"))
			t->kind = TOK_NULL;
		else if (text_is(p, i, j, "in"))
			t->kind = TOK_IN;
	}
	return RAAS_OK;
}

/* Reads the token starting at or after offset pos (after whitespace) into *t without
 * consuming it. */
static raas_rc lex_at(struct parser *p, size_t pos, struct tok *t)
{
	char c, n, what[16];

	while (pos < p->len && is_space(p->s[pos]))
		pos++;
	t->start = pos;
	t->end = pos + 1;
	if (pos >= p->len) {
		t->kind = TOK_END;
		t->end = pos;
		return RAAS_OK;
	}
	c = p->s[pos];
	n = pos + 1 < p->len ? p->s[pos + 1] : '\0';
	switch (c) {
	case '(':
		t->kind = TOK_LPAREN;
		return RAAS_OK;
	case ')':
		t->kind = TOK_RPAREN;
		return RAAS_OK;
	case '[':
		t->kind = TOK_LBRACKET;
		return RAAS_OK;
	case ']':
		t->kind = TOK_RBRACKET;
		return RAAS_OK;
	case ',':
		t->kind = TOK_COMMA;
		return RAAS_OK;
	case '!':
		t->kind = n == '=' && pos + 1 < p->len ? TOK_NE : TOK_NOT;
		t->end = t->kind == TOK_NE ? pos + 2 : pos + 1;
		return RAAS_OK;
	case '=':
		if (n != '=' || pos + 1 >= p->len)
			return syntax_error(p, pos, "unknown operator '=' (compare with ==)");
		t->kind = TOK_EQ;
		t->end = pos + 2;
		return RAAS_OK;
	case '<':
	case '>':
		if (n == '=' && pos + 1 < p->len) {
			t->kind = c == '<' ? TOK_LE : TOK_GE;
			t->end = pos + 2;
		} else {
			t->kind = c == '<' ? TOK_LT : TOK_GT;
		}
		return RAAS_OK;
	case '&':
	case '|':
		if (n != c || pos + 1 >= p->len)
			return syntax_error(p, pos, "unknown operator '%c' (write %s)", c,
			                    c == '&' ? "&& for 'and'" : "|| for 'or'");
		t->kind = c == '&' ? TOK_AND : TOK_OR;
		t->end = pos + 2;
		return RAAS_OK;
	case '\'':
	case '"':
		return lex_string(p, pos, t);
	case '-':
		return lex_number(p, pos, t);
	case '.':
		if (is_digit(n) && pos + 1 < p->len)
			return syntax_error(p, pos,
			                    "a number needs a digit before '.' (write 0.5)");
		break;
	default:
		if (is_digit(c))
			return lex_number(p, pos, t);
		if (is_letter(c))
			return lex_path(p, pos, t);
		break;
	}
	return syntax_error(p, pos, "unexpected %s", describe_byte(c, what, sizeof what));
}

/* Reads the next token and consumes it. */
static raas_rc lex_next(struct parser *p, struct tok *t)
{
	raas_rc rc = lex_at(p, p->pos, t);

	if (rc == RAAS_OK)
		p->pos = t->end;
	return rc;
}

/* Grows *arr (of *cap elements of size elem) so that one more element fits after n. */
static raas_rc grow(struct parser *p, void **arr, uint32_t *cap, uint32_t n, size_t elem)
{
	uint32_t ncap;
	void *q;

	if (n < *cap)
		return RAAS_OK;
	ncap = *cap ? *cap * 2 : 8;
	q = raas_realloc(*arr, (size_t)ncap * elem);
	if (!q)
		return no_memory(p);
	*arr = q;
	*cap = ncap;
	return RAAS_OK;
}

static raas_rc add_node(struct parser *p, enum node_kind kind, uint32_t *out)
{
	raas_rc rc = grow(p, (void **)&p->nodes, &p->cap_nodes, p->nnodes, sizeof *p->nodes);

	if (rc != RAAS_OK)
		return rc;
	memset(&p->nodes[p->nnodes], 0, sizeof p->nodes[p->nnodes]);
	p->nodes[p->nnodes].kind = (uint8_t)kind;
	p->nodes[p->nnodes].next = NO_NODE;
	*out = p->nnodes++;
	return RAAS_OK;
}

/* Appends n bytes to the pool; *off receives where they start. */
static raas_rc pool_add(struct parser *p, const char *bytes, size_t n, uint32_t *off)
{
	/* The pool never holds more bytes than the expression text (at most 4 KiB). */
	while ((size_t)p->npool + n > p->cap_pool) {
		uint32_t ncap = p->cap_pool ? p->cap_pool * 2 : 64;
		char *q = raas_realloc(p->pool, ncap);

		if (!q)
			return no_memory(p);
		p->pool = q;
		p->cap_pool = ncap;
	}
	if (n)
		memcpy(p->pool + p->npool, bytes, n);
	*off = p->npool;
	p->npool += (uint32_t)n;
	return RAAS_OK;
}

/* Adds the literal token t (a literal kind) and returns its index in *out. */
static raas_rc add_literal(struct parser *p, const struct tok *t, uint32_t *out)
{
	struct lit *l;
	raas_rc rc;

	rc = grow(p, (void **)&p->lits, &p->cap_lits, p->nlits, sizeof *p->lits);
	if (rc != RAAS_OK)
		return rc;
	l = &p->lits[p->nlits];
	memset(l, 0, sizeof *l);
	switch (t->kind) {
	case TOK_NULL:
		l->type = L_NULL;
		break;
	case TOK_FALSE:
		l->type = L_FALSE;
		break;
	case TOK_TRUE:
		l->type = L_TRUE;
		break;
	case TOK_NUMBER: {
		struct raas_err nerr;

		rc = grow(p, (void **)&p->nums, &p->cap_nums, p->nnums, sizeof *p->nums);
		if (rc != RAAS_OK)
			return rc;
		l = &p->lits[p->nlits];
		/* The lexer admits only -?[0-9]+(\.[0-9]+)?, which RAAS_NUM_TEXT accepts
		 * (leading zeros included); only the 128-character plain-form limit can
		 * fail here. */
		raas_err_clear(&nerr);
		rc = raas_num_parse(p->s + t->start, t->end - t->start, RAAS_NUM_TEXT,
		                    &p->nums[p->nnums], &nerr);
		if (rc == RAAS_E_NOMEM)
			return no_memory(p);
		if (rc != RAAS_OK)
			return syntax_error(
			        p, t->start, "number %.*s out of range (at most %d digits)",
			        quote_len(t->end - t->start), p->s + t->start, RAAS_NUM_MAX_PLAIN);
		l->type = L_NUMBER;
		l->off = p->nnums++;
		break;
	}
	case TOK_STRING: {
		/* Unescape in place into the pool: the lexer has validated the escapes. */
		size_t i = t->start + 1, end = t->end - 1;
		uint32_t off = p->npool, dummy;

		while (i < end) {
			size_t run = i;

			while (run < end && p->s[run] != '\\')
				run++;
			rc = pool_add(p, p->s + i, run - i, &dummy);
			if (rc != RAAS_OK)
				return rc;
			if (run < end) {
				rc = pool_add(p, p->s + run + 1, 1, &dummy);
				if (rc != RAAS_OK)
					return rc;
				run += 2;
			}
			i = run;
		}
		l = &p->lits[p->nlits];
		l->type = L_STRING;
		l->off = off;
		l->len = p->npool - off;
		break;
	}
	default:
		/* Not reached: callers pass literal tokens only. */
		break;
	}
	*out = p->nlits++;
	return RAAS_OK;
}

/* Adds the path token t, split into its segments, and returns its index in *out. */
static raas_rc add_path(struct parser *p, const struct tok *t, uint32_t *out)
{
	size_t i = t->start;
	uint32_t first = p->nsegs;
	raas_rc rc;

	rc = grow(p, (void **)&p->paths, &p->cap_paths, p->npaths, sizeof *p->paths);
	if (rc != RAAS_OK)
		return rc;
	while (i < t->end) {
		size_t j = i;
		uint32_t off;

		while (j < t->end && p->s[j] != '.')
			j++;
		rc = grow(p, (void **)&p->segs, &p->cap_segs, p->nsegs, sizeof *p->segs);
		if (rc != RAAS_OK)
			return rc;
		rc = pool_add(p, p->s + i, j - i, &off);
		if (rc != RAAS_OK)
			return rc;
		p->segs[p->nsegs].off = off;
		p->segs[p->nsegs].len = (uint32_t)(j - i);
		p->nsegs++;
		i = j + 1;
	}
	p->paths[p->npaths].first = first;
	p->paths[p->npaths].count = p->nsegs - first;
	*out = p->npaths++;
	return RAAS_OK;
}

static raas_rc bare_path_error(struct parser *p, const struct tok *t)
{
	int n = quote_len(t->end - t->start);
	const char *s = p->s + t->start;

	return syntax_error(p, t->start,
	                    "a bare property path is not a condition (write exists(%.*s) or "
	                    "%.*s == true)",
	                    n, s, n, s);
}

static raas_rc bare_literal_error(struct parser *p, const struct tok *t)
{
	return syntax_error(p, t->start,
	                    "a bare literal %.*s is not a condition (compare a property path "
	                    "with it, e.g. x == %.*s)",
	                    quote_len(t->end - t->start), p->s + t->start,
	                    quote_len(t->end - t->start), p->s + t->start);
}

static bool is_function_name(const struct parser *p, const struct tok *t)
{
	return t->kind == TOK_PATH && (text_is(p, t->start, t->end, "exists") ||
	                               text_is(p, t->start, t->end, "startswith"));
}

/* A path token followed by '(' is a call: a known function (caller handles it) or an
 * error. Sets *is_call. */
static raas_rc check_call(struct parser *p, const struct tok *t, bool *is_call)
{
	struct tok next;
	raas_rc rc;

	*is_call = false;
	if (t->kind != TOK_PATH)
		return RAAS_OK;
	rc = lex_at(p, t->end, &next);
	if (rc != RAAS_OK)
		return rc;
	if (next.kind != TOK_LPAREN)
		return RAAS_OK;
	if (!is_function_name(p, t))
		return syntax_error(p, t->start,
		                    "unknown function '%.*s' (the functions are exists and "
		                    "startswith)",
		                    quote_len(t->end - t->start), p->s + t->start);
	*is_call = true;
	return RAAS_OK;
}

/* Reads the operand after the comparison operator op. */
static raas_rc parse_rhs_operand(struct parser *p, const struct tok *op, struct operand *o,
                                 struct tok *t)
{
	bool is_call;
	char what[QUOTE_MAX + 40];
	raas_rc rc;

	rc = lex_next(p, t);
	if (rc != RAAS_OK)
		return rc;
	if (t->kind == TOK_LPAREN)
		return syntax_error(p, t->start,
		                    "a parenthesised expression cannot be an operand of a "
		                    "comparison (operands are property paths and literals)");
	rc = check_call(p, t, &is_call);
	if (rc != RAAS_OK)
		return rc;
	if (is_call)
		return syntax_error(p, t->start,
		                    "a function call cannot be an operand of a comparison "
		                    "(operands are property paths and literals)");
	if (t->kind == TOK_PATH) {
		o->is_path = 1;
		return add_path(p, t, &o->index);
	}
	if (is_literal_tok(t->kind)) {
		o->is_path = 0;
		return add_literal(p, t, &o->index);
	}
	return syntax_error(p, t->start,
	                    "expected a property path or a literal after '%.*s', found %s",
	                    (int)(op->end - op->start), p->s + op->start,
	                    describe_tok(p, t, what, sizeof what));
}

/* After a comparison or membership: one more comparison operator is a chain. */
static raas_rc check_not_chained(struct parser *p)
{
	struct tok t;
	raas_rc rc = lex_at(p, p->pos, &t);

	if (rc != RAAS_OK)
		return rc;
	if (is_cmp_tok(t.kind) || t.kind == TOK_IN)
		return syntax_error(p, t.start,
		                    "a comparison cannot be compared again; use && or "
		                    "parentheses");
	return RAAS_OK;
}

/* After a parenthesised expression or a function call that started at offset start:
 * a comparison operator would make it an operand. */
static raas_rc check_not_operand(struct parser *p, size_t start, const char *what)
{
	struct tok t;
	raas_rc rc = lex_at(p, p->pos, &t);

	if (rc != RAAS_OK)
		return rc;
	if (is_cmp_tok(t.kind) || t.kind == TOK_IN)
		return syntax_error(p, start,
		                    "%s cannot be an operand of a comparison (operands are "
		                    "property paths and literals)",
		                    what);
	return RAAS_OK;
}

static raas_rc expect(struct parser *p, enum tok_kind kind, const char *fmt, struct tok *t)
{
	char what[QUOTE_MAX + 40];
	raas_rc rc = lex_next(p, t);

	if (rc != RAAS_OK)
		return rc;
	if (t->kind != kind)
		return syntax_error(p, t->start, "%s, found %s", fmt,
		                    describe_tok(p, t, what, sizeof what));
	return RAAS_OK;
}

/* exists(path) or startswith(path, 'prefix'); name is the function's token. */
static raas_rc parse_call(struct parser *p, const struct tok *name, uint32_t *out)
{
	bool sw = text_is(p, name->start, name->end, "startswith");
	const char *fn = sw ? "startswith()" : "exists()";
	struct tok t;
	struct operand path = {1, 0}, prefix = {0, 0};
	char what[QUOTE_MAX + 40];
	uint32_t idx;
	raas_rc rc;

	p->pos = name->end;
	rc = expect(p, TOK_LPAREN, "expected '('", &t);
	if (rc != RAAS_OK)
		return rc;
	rc = lex_next(p, &t);
	if (rc != RAAS_OK)
		return rc;
	if (t.kind != TOK_PATH)
		return syntax_error(p, t.start, "%s takes a property path first, found %s", fn,
		                    describe_tok(p, &t, what, sizeof what));
	rc = add_path(p, &t, &path.index);
	if (rc != RAAS_OK)
		return rc;
	if (sw) {
		rc = expect(p, TOK_COMMA, "expected ',' and a string literal in startswith()", &t);
		if (rc != RAAS_OK)
			return rc;
		rc = lex_next(p, &t);
		if (rc != RAAS_OK)
			return rc;
		if (t.kind != TOK_STRING)
			return syntax_error(p, t.start,
			                    "startswith() takes a string literal as its second "
			                    "argument, found %s",
			                    describe_tok(p, &t, what, sizeof what));
		rc = add_literal(p, &t, &prefix.index);
		if (rc != RAAS_OK)
			return rc;
	}
	rc = expect(p, TOK_RPAREN,
	            sw ? "expected ')' after the two arguments of startswith()"
	               : "expected ')' after the one argument of exists()",
	            &t);
	if (rc != RAAS_OK)
		return rc;
	rc = check_not_operand(p, name->start, "a function call");
	if (rc != RAAS_OK)
		return rc;
	rc = add_node(p, sw ? N_STARTSWITH : N_EXISTS, &idx);
	if (rc != RAAS_OK)
		return rc;
	p->nodes[idx].lhs = path;
	p->nodes[idx].rhs = prefix;
	*out = idx;
	return RAAS_OK;
}

/* `lhs in [literal, ...]` after the `in` token. */
static raas_rc parse_list(struct parser *p, struct operand lhs, uint32_t *out)
{
	struct tok t;
	char what[QUOTE_MAX + 40];
	uint32_t first = p->nlits, count = 0, idx, lit;
	raas_rc rc;

	rc = expect(p, TOK_LBRACKET, "expected '[' after 'in'", &t);
	if (rc != RAAS_OK)
		return rc;
	rc = lex_at(p, p->pos, &t);
	if (rc != RAAS_OK)
		return rc;
	if (t.kind == TOK_RBRACKET) {
		p->pos = t.end;
	} else {
		for (;;) {
			rc = lex_next(p, &t);
			if (rc != RAAS_OK)
				return rc;
			if (t.kind == TOK_PATH)
				return syntax_error(p, t.start,
				                    "the list after 'in' holds only literals "
				                    "('text', numbers, true, false, null), found "
				                    "the property path %s",
				                    describe_tok(p, &t, what, sizeof what));
			if (!is_literal_tok(t.kind))
				return syntax_error(p, t.start,
				                    "expected a literal in the list after 'in', "
				                    "found %s",
				                    describe_tok(p, &t, what, sizeof what));
			rc = add_literal(p, &t, &lit);
			if (rc != RAAS_OK)
				return rc;
			count++;
			rc = lex_next(p, &t);
			if (rc != RAAS_OK)
				return rc;
			if (t.kind == TOK_RBRACKET)
				break;
			if (t.kind != TOK_COMMA)
				return syntax_error(p, t.start,
				                    "expected ',' or ']' in the list after 'in', "
				                    "found %s",
				                    describe_tok(p, &t, what, sizeof what));
		}
	}
	rc = check_not_chained(p);
	if (rc != RAAS_OK)
		return rc;
	rc = add_node(p, N_IN, &idx);
	if (rc != RAAS_OK)
		return rc;
	p->nodes[idx].lhs = lhs;
	p->nodes[idx].first = first;
	p->nodes[idx].count = count;
	*out = idx;
	return RAAS_OK;
}

static bool lit_is_bool_or_null(const struct parser *p, struct operand o)
{
	return !o.is_path && p->lits[o.index].type != L_NUMBER && p->lits[o.index].type != L_STRING;
}

static raas_rc parse_or(struct parser *p, uint32_t *out);

/* One condition: true, false, ( or ), a function call, a comparison or a membership.
 * negated: a '!' stands right in front, so the condition cannot start a comparison. */
static raas_rc parse_primary(struct parser *p, bool negated, uint32_t *out)
{
	struct tok t, op;
	struct operand lhs = {0, 0}, rhs;
	char what[QUOTE_MAX + 40];
	bool is_call;
	uint32_t idx;
	raas_rc rc;

	rc = lex_next(p, &t);
	if (rc != RAAS_OK)
		return rc;
	if (t.kind == TOK_LPAREN) {
		size_t open = t.start;

		if (p->depth >= RAAS_EXPR_MAX_DEPTH)
			return syntax_error(p, open, "nesting deeper than %d", RAAS_EXPR_MAX_DEPTH);
		p->depth++;
		rc = parse_or(p, &idx);
		if (rc != RAAS_OK)
			return rc;
		rc = lex_next(p, &t);
		if (rc != RAAS_OK)
			return rc;
		if (t.kind != TOK_RPAREN)
			return syntax_error(p, t.start,
			                    "expected '&&', '||' or the ')' that closes the '(' at "
			                    "column %u, found %s",
			                    column_of(open),
			                    describe_tok(p, &t, what, sizeof what));
		p->depth--;
		rc = check_not_operand(p, open, "a parenthesised expression");
		if (rc != RAAS_OK)
			return rc;
		*out = idx;
		return RAAS_OK;
	}
	if (t.kind != TOK_PATH && !is_literal_tok(t.kind))
		return syntax_error(p, t.start, "expected a condition, found %s",
		                    describe_tok(p, &t, what, sizeof what));
	rc = check_call(p, &t, &is_call);
	if (rc != RAAS_OK)
		return rc;
	if (is_call)
		return parse_call(p, &t, out);
	if (negated && t.kind == TOK_PATH)
		return bare_path_error(p, &t);
	if (negated && t.kind != TOK_TRUE && t.kind != TOK_FALSE)
		return bare_literal_error(p, &t);

	rc = lex_at(p, p->pos, &op);
	if (rc != RAAS_OK)
		return rc;
	if (!is_cmp_tok(op.kind) && op.kind != TOK_IN) {
		if (t.kind == TOK_PATH)
			return bare_path_error(p, &t);
		if (t.kind != TOK_TRUE && t.kind != TOK_FALSE)
			return bare_literal_error(p, &t);
		return add_node(p, t.kind == TOK_TRUE ? N_TRUE : N_FALSE, out);
	}
	if (negated)
		return syntax_error(p, op.start,
		                    "'!' binds tighter than comparisons, so a negation cannot be "
		                    "compared (write !(a %.*s b))",
		                    (int)(op.end - op.start), p->s + op.start);
	if (t.kind == TOK_PATH) {
		lhs.is_path = 1;
		rc = add_path(p, &t, &lhs.index);
	} else {
		rc = add_literal(p, &t, &lhs.index);
	}
	if (rc != RAAS_OK)
		return rc;
	p->pos = op.end;
	if (op.kind == TOK_IN)
		return parse_list(p, lhs, out);

	rc = parse_rhs_operand(p, &op, &rhs, &t);
	if (rc != RAAS_OK)
		return rc;
	if (op.kind != TOK_EQ && op.kind != TOK_NE &&
	    (lit_is_bool_or_null(p, lhs) || lit_is_bool_or_null(p, rhs)))
		return syntax_error(p, op.start,
		                    "booleans and null support only == and != (found '%.*s')",
		                    (int)(op.end - op.start), p->s + op.start);
	rc = check_not_chained(p);
	if (rc != RAAS_OK)
		return rc;
	rc = add_node(p, N_CMP, &idx);
	if (rc != RAAS_OK)
		return rc;
	p->nodes[idx].lhs = lhs;
	p->nodes[idx].rhs = rhs;
	p->nodes[idx].op = (uint8_t)(OP_EQ + (op.kind - TOK_EQ));
	*out = idx;
	return RAAS_OK;
}

/* '!'* condition: the chain is read iteratively and only its parity is kept. */
static raas_rc parse_unary(struct parser *p, uint32_t *out)
{
	struct tok t;
	bool negated = false, any = false;
	raas_rc rc;

	for (;;) {
		rc = lex_at(p, p->pos, &t);
		if (rc != RAAS_OK)
			return rc;
		if (t.kind != TOK_NOT)
			break;
		negated = !negated;
		any = true;
		p->pos = t.end;
	}
	rc = parse_primary(p, any, out);
	if (rc != RAAS_OK)
		return rc;
	if (negated)
		p->nodes[*out].negate ^= 1;
	return RAAS_OK;
}

/* operand (sep operand)*: one n-ary node when there are two or more. */
static raas_rc parse_chain(struct parser *p, enum tok_kind sep, enum node_kind kind,
                           raas_rc (*operand)(struct parser *, uint32_t *), uint32_t *out)
{
	struct tok t;
	uint32_t first, last, child, idx;
	raas_rc rc;

	rc = operand(p, &first);
	if (rc != RAAS_OK)
		return rc;
	rc = lex_at(p, p->pos, &t);
	if (rc != RAAS_OK)
		return rc;
	if (t.kind != sep) {
		*out = first;
		return RAAS_OK;
	}
	rc = add_node(p, kind, &idx);
	if (rc != RAAS_OK)
		return rc;
	p->nodes[idx].first = first;
	p->nodes[idx].count = 1;
	last = first;
	while (t.kind == sep) {
		p->pos = t.end;
		rc = operand(p, &child);
		if (rc != RAAS_OK)
			return rc;
		p->nodes[last].next = child;
		p->nodes[idx].count++;
		last = child;
		rc = lex_at(p, p->pos, &t);
		if (rc != RAAS_OK)
			return rc;
	}
	*out = idx;
	return RAAS_OK;
}

static raas_rc parse_and(struct parser *p, uint32_t *out)
{
	return parse_chain(p, TOK_AND, N_AND, parse_unary, out);
}

static raas_rc parse_or(struct parser *p, uint32_t *out)
{
	return parse_chain(p, TOK_OR, N_OR, parse_and, out);
}

static size_t align_up(size_t n)
{
	size_t a = _Alignof(max_align_t);

	return (n + a - 1) / a * a;
}

/* Copies the parser's arrays into one block: the compiled form. */
static raas_rc assemble(struct parser *p, uint32_t root, struct raas_expr **out)
{
	size_t o_nodes = align_up(sizeof(struct raas_expr));
	size_t o_lits = o_nodes + align_up((size_t)p->nnodes * sizeof(struct node));
	size_t o_nums = o_lits + align_up((size_t)p->nlits * sizeof(struct lit));
	size_t o_paths = o_nums + align_up((size_t)p->nnums * sizeof(struct raas_num));
	size_t o_segs = o_paths + align_up((size_t)p->npaths * sizeof(struct path));
	size_t o_pool = o_segs + align_up((size_t)p->nsegs * sizeof(struct seg));
	size_t total = o_pool + p->npool;
	char *block = raas_malloc(total);
	struct raas_expr *e;

	if (!block)
		return no_memory(p);
	e = (struct raas_expr *)(void *)block;
	e->root = root;
	e->nodes = (const struct node *)(void *)(block + o_nodes);
	e->lits = (const struct lit *)(void *)(block + o_lits);
	e->nums = (const struct raas_num *)(void *)(block + o_nums);
	e->paths = (const struct path *)(void *)(block + o_paths);
	e->segs = (const struct seg *)(void *)(block + o_segs);
	e->pool = block + o_pool;
	if (p->nnodes)
		memcpy(block + o_nodes, p->nodes, (size_t)p->nnodes * sizeof(struct node));
	if (p->nlits)
		memcpy(block + o_lits, p->lits, (size_t)p->nlits * sizeof(struct lit));
	if (p->nnums)
		memcpy(block + o_nums, p->nums, (size_t)p->nnums * sizeof(struct raas_num));
	if (p->npaths)
		memcpy(block + o_paths, p->paths, (size_t)p->npaths * sizeof(struct path));
	if (p->nsegs)
		memcpy(block + o_segs, p->segs, (size_t)p->nsegs * sizeof(struct seg));
	if (p->npool)
		memcpy(block + o_pool, p->pool, p->npool);
	*out = e;
	return RAAS_OK;
}

/* Compiles by recursive descent over the token stream: precedence (highest first) '!',
 * comparisons and `in`, &&, ||. Recursion happens only at '(' and is capped at
 * RAAS_EXPR_MAX_DEPTH; the temporary arrays are freed whatever the outcome. */
raas_rc raas_expr_compile(const char *text, size_t len, struct raas_expr **out,
                          struct raas_err *err)
{
	struct parser p;
	struct tok t;
	char what[QUOTE_MAX + 40];
	uint32_t root;
	size_t i;
	raas_rc rc;

	*out = NULL;
	memset(&p, 0, sizeof p);
	p.s = text;
	p.len = len;
	p.err = err;
	if (len > RAAS_EXPR_MAX_BYTES) {
		rc = syntax_error(&p, RAAS_EXPR_MAX_BYTES, "expression longer than %d bytes",
		                  RAAS_EXPR_MAX_BYTES);
		goto out;
	}
	for (i = 0; i < len && is_space(text[i]); i++)
		;
	if (i == len) {
		rc = syntax_error(&p, 0, "empty expression");
		goto out;
	}
	rc = parse_or(&p, &root);
	if (rc != RAAS_OK)
		goto out;
	rc = lex_at(&p, p.pos, &t);
	if (rc != RAAS_OK)
		goto out;
	if (t.kind == TOK_RPAREN) {
		rc = syntax_error(&p, t.start, "unbalanced ')': no '(' to close");
		goto out;
	}
	if (t.kind != TOK_END) {
		rc = syntax_error(&p, t.start,
		                  "expected '&&', '||' or the end of the expression, found %s",
		                  describe_tok(&p, &t, what, sizeof what));
		goto out;
	}
	rc = assemble(&p, root, out);
out:
	raas_free(p.nodes);
	raas_free(p.lits);
	raas_free(p.nums);
	raas_free(p.paths);
	raas_free(p.segs);
	raas_free(p.pool);
	return rc;
}

/* ---- evaluation ---- */

enum val_type { V_MISSING, V_NULL, V_BOOL, V_NUMBER, V_STRING, V_OTHER };

struct value {
	enum val_type type;
	bool b;
	const char *s;
	size_t len;
	const struct raas_num *num;
};

/* The property at path, or NULL when a segment is missing or crosses a non-object. */
static const struct raas_json *lookup(const struct raas_expr *e, const struct path *path,
                                      const struct raas_json *props)
{
	const struct raas_json *cur = props;
	uint32_t i;

	for (i = 0; i < path->count && cur; i++) {
		const struct seg *sg = &e->segs[path->first + i];

		if (cur->type != RAAS_JSON_OBJECT)
			return NULL;
		cur = raas_json_getn(cur, e->pool + sg->off, sg->len);
	}
	return cur;
}

/* The value of operand o; a property number is parsed into *scratch. */
static void resolve(const struct raas_expr *e, struct operand o, const struct raas_json *props,
                    struct value *v, struct raas_num *scratch)
{
	memset(v, 0, sizeof *v);
	if (!o.is_path) {
		const struct lit *l = &e->lits[o.index];

		switch ((enum lit_type)l->type) {
		case L_NULL:
			v->type = V_NULL;
			break;
		case L_FALSE:
		case L_TRUE:
			v->type = V_BOOL;
			v->b = l->type == L_TRUE;
			break;
		case L_NUMBER:
			v->type = V_NUMBER;
			v->num = &e->nums[l->off];
			break;
		case L_STRING:
			v->type = V_STRING;
			v->s = e->pool + l->off;
			v->len = l->len;
			break;
		}
		return;
	}
	{
		const struct raas_json *j = lookup(e, &e->paths[o.index], props);
		struct raas_err nerr;

		if (!j) {
			v->type = V_MISSING;
			return;
		}
		switch (j->type) {
		case RAAS_JSON_NULL:
			v->type = V_NULL;
			break;
		case RAAS_JSON_FALSE:
		case RAAS_JSON_TRUE:
			v->type = V_BOOL;
			v->b = j->type == RAAS_JSON_TRUE;
			break;
		case RAAS_JSON_NUMBER:
			/* Ingest validation makes this parse; if it did not, be total. */
			if (raas_num_parse(j->u.str, j->len, RAAS_NUM_JSON, scratch, &nerr) !=
			    RAAS_OK) {
				v->type = V_MISSING;
				break;
			}
			v->type = V_NUMBER;
			v->num = scratch;
			break;
		case RAAS_JSON_STRING:
			v->type = V_STRING;
			v->s = j->u.str;
			v->len = j->len;
			break;
		case RAAS_JSON_ARRAY:
		case RAAS_JSON_OBJECT:
		default:
			v->type = V_OTHER;
			break;
		}
	}
}

/* a op b; false whenever a side is missing, an object/array, or the types differ. */
static bool compare(enum cmp_op op, const struct value *a, const struct value *b)
{
	int c;

	if (a->type != b->type || a->type == V_MISSING || a->type == V_OTHER)
		return false;
	switch (a->type) {
	case V_NULL:
		c = 0;
		break;
	case V_BOOL:
		c = a->b == b->b ? 0 : 1;
		break;
	case V_NUMBER:
		c = raas_num_cmp(a->num, b->num);
		break;
	case V_STRING: {
		size_t n = a->len < b->len ? a->len : b->len;

		c = n ? memcmp(a->s, b->s, n) : 0;
		if (c == 0)
			c = a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
		break;
	}
	case V_MISSING:
	case V_OTHER:
	default:
		return false;
	}
	if (op == OP_EQ)
		return c == 0;
	if (op == OP_NE)
		return c != 0;
	if (a->type == V_NULL || a->type == V_BOOL)
		return false; /* no order */
	switch (op) {
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	case OP_GT:
		return c > 0;
	case OP_GE:
		return c >= 0;
	case OP_EQ:
	case OP_NE:
	default:
		return false;
	}
}

/* A condition without children: kept apart from eval_node so that the recursion through
 * && and || does not carry the number buffers on every level. */
__attribute__((noinline)) static bool eval_leaf(const struct raas_expr *e, const struct node *n,
                                                const struct raas_json *props)
{
	struct raas_num na, nb;
	struct value a, b;
	uint32_t k;

	switch ((enum node_kind)n->kind) {
	case N_TRUE:
		return true;
	case N_CMP:
		resolve(e, n->lhs, props, &a, &na);
		resolve(e, n->rhs, props, &b, &nb);
		return compare((enum cmp_op)n->op, &a, &b);
	case N_IN:
		resolve(e, n->lhs, props, &a, &na);
		if (a.type == V_MISSING || a.type == V_OTHER)
			return false;
		for (k = 0; k < n->count; k++) {
			struct operand lit = {0, n->first + k};

			resolve(e, lit, props, &b, &nb);
			if (compare(OP_EQ, &a, &b))
				return true;
		}
		return false;
	case N_EXISTS:
		return lookup(e, &e->paths[n->lhs.index], props) != NULL;
	case N_STARTSWITH: {
		const struct raas_json *j = lookup(e, &e->paths[n->lhs.index], props);
		const struct lit *pre = &e->lits[n->rhs.index];

		return j && j->type == RAAS_JSON_STRING && j->len >= pre->len &&
		       (pre->len == 0 || memcmp(j->u.str, e->pool + pre->off, pre->len) == 0);
	}
	case N_FALSE:
	case N_AND:
	case N_OR:
	default:
		return false;
	}
}

/* Recurses only into && / || children, i.e. once per parenthesis level. */
static bool eval_node(const struct raas_expr *e, uint32_t i, const struct raas_json *props)
{
	const struct node *n = &e->nodes[i];
	bool r;
	uint32_t k;

	if (n->kind == N_AND) {
		r = true;
		for (k = n->first; k != NO_NODE && r; k = e->nodes[k].next)
			r = eval_node(e, k, props);
	} else if (n->kind == N_OR) {
		r = false;
		for (k = n->first; k != NO_NODE && !r; k = e->nodes[k].next)
			r = eval_node(e, k, props);
	} else {
		r = eval_leaf(e, n, props);
	}
	return n->negate ? !r : r;
}

bool raas_expr_eval(const struct raas_expr *expr, const struct raas_json *props)
{
	if (props && props->type != RAAS_JSON_OBJECT)
		props = NULL;
	return eval_node(expr, expr->root, props);
}

void raas_expr_free(struct raas_expr *expr)
{
	raas_free(expr);
}
