/* test_expr.c — the `where` expression language (contracts.md "Expressions"): evaluation of
 * every operator over every type combination against real parsed properties, the exact
 * column and message of every class of syntax error, the 4 KiB / depth-64 limits, deep
 * chains that must not overflow the stack, and allocation failures during compilation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "contract/expr.h"
#include "raas/error.h"

struct eval_case {
	const char *expr;
	const char *props; /* JSON text; NULL: no properties at all */
	bool want;
};

static const struct eval_case eval_cases[] = {
        /* numbers: exact decimals */
        {"score >= 60", "{\"score\":72}", true},
        {"score >= 60", "{\"score\":60}", true},
        {"score >= 60", "{\"score\":59.9999999999999}", false},
        {"score >= 60", "{\"score\":60.0}", true},
        {"score == 60", "{\"score\":60.0}", true},
        {"score == 60.000", "{\"score\":60}", true},
        {"score == 60", "{\"score\":6e1}", true},
        {"score == 60", "{\"score\":0.6E2}", true},
        {"score > 5", "{\"score\":1e30}", true},
        {"score < 5", "{\"score\":1e-30}", true},
        {"score > 0", "{\"score\":1e-30}", true},
        {"score == 0", "{\"score\":-0}", true},
        {"score == -0", "{\"score\":0}", true},
        {"score < 0", "{\"score\":-0.0}", false},
        {"score == 12345678901234567890.5", "{\"score\":12345678901234567890.5}", true},
        {"score == 12345678901234567890.5", "{\"score\":12345678901234567890.4}", false},
        {"score > 12345678901234567890.4", "{\"score\":12345678901234567890.5}", true},
        {"score > 0.1", "{\"score\":0.10000000000000001}", true},
        {"score == 0.1", "{\"score\":0.1}", true},
        {"score == 0.3", "{\"score\":0.30000000000000004}", false},
        {"score != 60", "{\"score\":61}", true},
        {"score != 60", "{\"score\":60}", false},
        {"score < 60", "{\"score\":60}", false},
        {"score <= 60", "{\"score\":60}", true},
        {"score > 60", "{\"score\":60}", false},
        {"score < 60", "{\"score\":-100}", true},
        {"score <= -2.5", "{\"score\":-2.5}", true},
        {"score <= -2.5", "{\"score\":-2.6}", true},
        {"score <= -2.5", "{\"score\":-2.4}", false},
        {"score > -1", "{\"score\":-0.5}", true},
        {"60 <= score", "{\"score\":60}", true},
        {"60 < score", "{\"score\":60}", false},
        {"007 == score", "{\"score\":7}", true},
        {"a == b", "{\"a\":1e3,\"b\":1000}", true},
        {"a < b", "{\"a\":999.999,\"b\":1e3}", true},
        /* a number beyond number.h's 128-character plain form cannot be compared: missing */
        {"score > 5", "{\"score\":1e200}", false},
        {"!(score > 5)", "{\"score\":1e200}", true},
        {"exists(score)", "{\"score\":1e200}", true},
        /* numbers against other types and missing */
        {"score < 60", "{\"score\":\"50\"}", false},
        {"score == 60", "{\"score\":\"60\"}", false},
        {"score != 60", "{\"score\":\"60\"}", false},
        {"score != 60", "{\"score\":true}", false},
        {"score != 60", "{\"score\":null}", false},
        {"score != 60", "{}", false},
        {"score < 60", "{}", false},
        {"!(score == 60)", "{}", true},
        {"!(score >= 60)", "{\"score\":\"72\"}", true},
        /* strings: byte-wise */
        {"source == 'vendor'", "{\"source\":\"vendor\"}", true},
        {"source == \"vendor\"", "{\"source\":\"vendor\"}", true},
        {"source == 'vendor'", "{\"source\":\"Vendor\"}", false},
        {"source != 'vendor'", "{\"source\":\"partner\"}", true},
        {"source != 'vendor'", "{\"source\":\"vendor\"}", false},
        {"source != 'vendor'", "{}", false},
        {"!(source == 'vendor')", "{}", true},
        {"!(source == 'vendor')", "{\"source\":\"vendor\"}", false},
        {"source < 'b'", "{\"source\":\"a\"}", true},
        {"source < 'ab'", "{\"source\":\"a\"}", true},
        {"source > 'a'", "{\"source\":\"ab\"}", true},
        {"source >= 'a'", "{\"source\":\"a\"}", true},
        {"source <= 'a'", "{\"source\":\"a\"}", true},
        {"source > 'a'", "{\"source\":\"a\"}", false},
        {"source > 'Z'", "{\"source\":\"a\"}", true},
        {"source > 'z'", "{\"source\":\"\\u00e9\"}", true},
        {"source == '\xc3\xa9t\xc3\xa9'", "{\"source\":\"\\u00e9t\\u00e9\"}", true},
        {"source == 'a'", "{\"source\":\"a\\u0000\"}", false},
        {"source > 'a'", "{\"source\":\"a\\u0000\"}", true},
        {"source == 'it\\'s'", "{\"source\":\"it's\"}", true},
        {"source == \"say \\\"hi\\\"\"", "{\"source\":\"say \\\"hi\\\"\"}", true},
        {"source == 'a\\\\b'", "{\"source\":\"a\\\\b\"}", true},
        {"source == \"it's\"", "{\"source\":\"it's\"}", true},
        {"source == ''", "{\"source\":\"\"}", true},
        {"source == ''", "{}", false},
        {"source == '60'", "{\"source\":60}", false},
        {"source != '60'", "{\"source\":60}", false},
        {"source == 'true'", "{\"source\":true}", false},
        {"a == b", "{\"a\":\"x\",\"b\":\"x\"}", true},
        {"a != b", "{\"a\":\"x\",\"b\":\"y\"}", true},
        /* booleans */
        {"flag == true", "{\"flag\":true}", true},
        {"flag == true", "{\"flag\":false}", false},
        {"flag == false", "{\"flag\":false}", true},
        {"flag != true", "{\"flag\":false}", true},
        {"flag != true", "{\"flag\":true}", false},
        {"flag != true", "{}", false},
        {"flag == true", "{\"flag\":\"true\"}", false},
        {"flag == true", "{\"flag\":1}", false},
        {"flag != false", "{\"flag\":0}", false},
        {"true == flag", "{\"flag\":true}", true},
        {"flag < other", "{\"flag\":false,\"other\":true}", false},
        {"flag >= other", "{\"flag\":true,\"other\":true}", false},
        {"flag != other", "{\"flag\":true,\"other\":false}", true},
        {"flag == other", "{\"flag\":true,\"other\":true}", true},
        {"flag < n", "{\"flag\":true,\"n\":1}", false},
        /* null */
        {"x == null", "{\"x\":null}", true},
        {"x == null", "{}", false},
        {"x == null", "{\"x\":0}", false},
        {"x == null", "{\"x\":\"\"}", false},
        {"x == null", "{\"x\":false}", false},
        {"x == null", "{\"x\":{}}", false},
        {"x != null", "{\"x\":1}", false},
        {"x != null", "{\"x\":null}", false},
        {"x != null", "{}", false},
        {"!(x == null)", "{}", true},
        {"null == x", "{\"x\":null}", true},
        {"x == y", "{\"x\":null,\"y\":null}", true},
        {"x <= y", "{\"x\":null,\"y\":null}", false},
        /* objects and arrays never compare true */
        {"utm == 'spring'", "{\"utm\":{\"campaign\":\"spring\"}}", false},
        {"utm != 'spring'", "{\"utm\":{\"campaign\":\"spring\"}}", false},
        {"a == b", "{\"a\":{},\"b\":{}}", false},
        {"a != b", "{\"a\":[1],\"b\":[2]}", false},
        {"a == b", "{\"a\":[],\"b\":[]}", false},
        {"a != 1", "{\"a\":[1]}", false},
        {"a == null", "{\"a\":[]}", false},
        /* nested paths */
        {"utm.campaign == 'spring'", "{\"utm\":{\"campaign\":\"spring\"}}", true},
        {"utm.campaign == 'spring'", "{\"utm\":\"spring\"}", false},
        {"utm.campaign == 'spring'", "{\"utm\":{\"campaign\":{\"x\":1}}}", false},
        {"utm.campaign == 'spring'", "{\"utm.campaign\":\"spring\"}", false},
        {"utm.campaign != 'spring'", "{\"utm\":null}", false},
        {"!(utm.campaign == 'spring')", "{\"utm\":[\"spring\"]}", true},
        {"a.b.c == 1", "{\"a\":{\"b\":{\"c\":1}}}", true},
        {"a.b.c == 1", "{\"a\":{\"b\":[1]}}", false},
        {"a.b.c == 1", "{\"a\":{\"b\":{\"d\":1}}}", false},
        {"a.0 == 1", "{\"a\":{\"0\":1}}", true},
        {"_x.Y_2 == 'v'", "{\"_x\":{\"Y_2\":\"v\"}}", true},
        {"true.x == 1", "{\"true\":{\"x\":1}}", true},
        {"exists.x == 1", "{\"exists\":{\"x\":1}}", true},
        {"exists == 1", "{\"exists\":1}", true},
        {"startswith != 1", "{\"startswith\":2}", true},
        {"in_x == 1", "{\"in_x\":1}", true},
        /* membership */
        {"source in ['vendor', 'partner']", "{\"source\":\"partner\"}", true},
        {"source in ['vendor', 'partner']", "{\"source\":\"vendor\"}", true},
        {"source in ['vendor', 'partner']", "{\"source\":\"other\"}", false},
        {"source in ['vendor', 'partner']", "{}", false},
        {"source in ['vendor']", "{\"source\":[\"vendor\"]}", false},
        {"!(source in ['vendor'])", "{}", true},
        {"score in [1, 2, 60.0]", "{\"score\":60}", true},
        {"score in [1, 2, 60.0]", "{\"score\":\"60\"}", false},
        {"score in [1]", "{\"score\":1e0}", true},
        {"x in [null]", "{\"x\":null}", true},
        {"x in [null]", "{}", false},
        {"x in [true, 1, 'a']", "{\"x\":1}", true},
        {"x in [true, 1, 'a']", "{\"x\":\"1\"}", false},
        {"x in [true, 1, 'a']", "{\"x\":true}", true},
        {"x in [true, 1, 'a']", "{\"x\":false}", false},
        {"x in [true, 1, 'a']", "{\"x\":\"a\"}", true},
        {"x in []", "{\"x\":1}", false},
        {"x in [ ]", "{}", false},
        {"'a' in ['b', 'a']", "{}", true},
        {"a.b in [\"x\"]", "{\"a\":{\"b\":\"x\"}}", true},
        /* functions */
        {"exists(x)", "{\"x\":null}", true},
        {"exists(x)", "{\"x\":false}", true},
        {"exists(x)", "{\"x\":{}}", true},
        {"exists(x)", "{}", false},
        {"exists(x)", NULL, false},
        {"!exists(x)", "{}", true},
        {"exists ( x )", "{\"x\":1}", true},
        {"exists(a.b)", "{\"a\":{\"b\":null}}", true},
        {"exists(a.b)", "{\"a\":null}", false},
        {"exists(a.b)", "{\"a\":{\"c\":1}}", false},
        {"startswith(url, 'https://')", "{\"url\":\"https://x\"}", true},
        {"startswith(url, 'https://')", "{\"url\":\"https://\"}", true},
        {"startswith(url, 'https://')", "{\"url\":\"http://x\"}", false},
        {"startswith(url, 'https://')", "{\"url\":5}", false},
        {"startswith(url, 'https://')", "{}", false},
        {"startswith(url, '')", "{\"url\":\"\"}", true},
        {"startswith(url, '')", "{\"url\":1}", false},
        {"startswith(url, '')", "{\"url\":null}", false},
        {"startswith(url, 'abc')", "{\"url\":\"ab\"}", false},
        {"startswith(url, \"a\\'\")", "{\"url\":\"a'b\"}", true},
        {"startswith(u.v,'x')", "{\"u\":{\"v\":\"xy\"}}", true},
        {"!startswith(url, 'a')", "{\"url\":\"b\"}", true},
        /* literals only, and no properties */
        {"true", "{}", true},
        {"false", "{}", false},
        {"!true", "{}", false},
        {"!!true", "{}", true},
        {"!!!false", "{}", true},
        {"! ! true", "{}", true},
        {"1 == 1.0", "{}", true},
        {"-1 < 1", "{}", true},
        {"'a' < 'b'", "{}", true},
        {"true == true", "{}", true},
        {"true != false", "{}", true},
        {"null == null", "{}", true},
        {"1 == '1'", "{}", false},
        {"true", NULL, true},
        {"!(a == 1)", NULL, true},
        {"a != 1", NULL, false},
        {"exists(a)", "[{\"a\":1}]", false},
        {"!(a == 1)", "\"a\"", true},
        /* precedence: ! > comparisons/in > && > || */
        {"a == 1 || b == 2 && c == 3", "{\"a\":1}", true},
        {"a == 1 || b == 2 && c == 3", "{\"b\":2}", false},
        {"a == 1 || b == 2 && c == 3", "{\"b\":2,\"c\":3}", true},
        {"a == 1 || b == 2 && c == 3", "{\"c\":3}", false},
        {"b == 2 && c == 3 || a == 1", "{\"a\":1}", true},
        {"(a == 1 || b == 2) && c == 3", "{\"a\":1}", false},
        {"(a == 1 || b == 2) && c == 3", "{\"a\":1,\"c\":3}", true},
        {"!(a == 1) && b == 2", "{\"b\":2}", true},
        {"!(a == 1) && b == 2", "{\"a\":1,\"b\":2}", false},
        {"!(a == 1 || b == 2)", "{}", true},
        {"!(a == 1 || b == 2)", "{\"b\":2}", false},
        {"!(a == 1 && b == 2)", "{\"a\":1}", true},
        {"!!(a == 1)", "{\"a\":1}", true},
        {"!!!(a == 1)", "{\"a\":1}", false},
        {"!(!(a == 1))", "{\"a\":1}", true},
        {"true || x == 1", "{}", true},
        {"false && x == 1", "{}", false},
        {"false || false || true", "{}", true},
        {"true && true && false", "{}", false},
        {"true && true && true && true", "{}", true},
        {"((((a == 1))))", "{\"a\":1}", true},
        {"(a == 1) && (b == 2 || (c == 3 && !(d == 4)))", "{\"a\":1,\"c\":3}", true},
        {"(a == 1) && (b == 2 || (c == 3 && !(d == 4)))", "{\"a\":1,\"c\":3,\"d\":4}", false},
        {"\tscore\r\n>=\n60 ", "{\"score\":60}", true},
        {"a==1&&b!=2||c<3", "{\"a\":1,\"b\":3}", true},
        {"x in['a']&&!exists(y)", "{\"x\":\"a\"}", true},
};

/* Parses props (NULL: none) and evaluates expr; fails the test on a compile error. */
static bool run(const char *expr, size_t len, const char *props)
{
	struct raas_arena arena;
	struct raas_json *json = NULL;
	struct raas_expr *e = NULL;
	struct raas_err err;
	bool r;

	raas_err_clear(&err);
	raas_arena_init(&arena, 0);
	if (props && raas_json_parse(&arena, props, strlen(props), NULL, &json, &err) != RAAS_OK)
		fail_msg("bad test JSON %s: %s", props, err.message);
	if (raas_expr_compile(expr, len, &e, &err) != RAAS_OK)
		fail_msg("%s: column %u: %s", expr, err.column, err.message);
	r = raas_expr_eval(e, json);
	assert_true(r == raas_expr_eval(e, json));
	raas_expr_free(e);
	raas_arena_free(&arena);
	return r;
}

static void eval_table(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof eval_cases / sizeof eval_cases[0]; i++) {
		const struct eval_case *c = &eval_cases[i];
		bool got = run(c->expr, strlen(c->expr), c->props);

		if (got != c->want) {
			print_error("%s with %s: got %s, want %s\n", c->expr,
			            c->props ? c->props : "(none)", got ? "true" : "false",
			            c->want ? "true" : "false");
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* A string literal and a property may carry NUL bytes: lengths, not strlen. */
static void nul_bytes(void **state)
{
	static const char expr[] = "a == 'x\0y'";
	static const char prefix[] = "startswith(a, 'x\0')";

	(void)state;
	assert_true(run(expr, sizeof expr - 1, "{\"a\":\"x\\u0000y\"}"));
	assert_false(run(expr, sizeof expr - 1, "{\"a\":\"x\"}"));
	assert_false(run(expr, sizeof expr - 1, "{\"a\":\"x\\u0000z\"}"));
	assert_true(run(prefix, sizeof prefix - 1, "{\"a\":\"x\\u0000y\"}"));
	assert_false(run(prefix, sizeof prefix - 1, "{\"a\":\"xy\"}"));
}

struct error_case {
	const char *expr;
	uint32_t column;
	const char *word; /* a part of the expected message */
};

static const struct error_case error_cases[] = {
        /* bare paths and literals as conditions */
        {"is_test", 1, "a bare property path is not a condition"},
        {"!is_test", 2, "bare property path"},
        {"!!is_test", 3, "bare property path"},
        {"a && b", 1, "exists(a)"},
        {"a == 1 && b", 11, "exists(b) or b == true"},
        {"x == 1 || utm.campaign", 11, "exists(utm.campaign)"},
        {"!score >= 60", 2, "exists(score) or score == true"},
        {"!a.b == 1", 2, "exists(a.b)"},
        {"(is_test)", 2, "bare property path"},
        {"5", 1, "bare literal 5"},
        {"'x'", 1, "bare literal"},
        {"null", 1, "bare literal null"},
        {"-2.5 && true", 1, "bare literal"},
        {"a == 1 && 5", 11, "bare literal"},
        {"!5", 2, "bare literal"},
        {"!null == x", 2, "bare literal"},
        {"!true == x", 7, "binds tighter"},
        {"!false in [true]", 8, "binds tighter"},
        /* comparisons that are operands */
        {"a == b == c", 8, "a comparison cannot be compared again; use && or parentheses"},
        {"a < 1 < 2", 7, "compared again"},
        {"a == 1 in [1]", 8, "compared again"},
        {"x in [1] == true", 10, "compared again"},
        {"x in [1] in [true]", 10, "compared again"},
        {"(a == 1) == true", 1, "a parenthesised expression cannot be an operand"},
        {"(a == 1) in [true]", 1, "parenthesised"},
        {"true == (a == 1)", 9, "parenthesised"},
        {"a == (b)", 6, "parenthesised"},
        {"exists(a) == true", 1, "a function call cannot be an operand"},
        {"startswith(a, 'x') in [true]", 1, "function call"},
        {"a == exists(b)", 6, "function call"},
        {"a != startswith (b, 'x')", 6, "function call"},
        /* booleans and null have no order */
        {"a < true", 3, "booleans and null support only == and !="},
        {"null >= a", 6, "booleans and null"},
        {"false > true", 7, "booleans and null"},
        {"a <= null", 3, "booleans and null"},
        {"1 > false", 3, "booleans and null"},
        /* strings */
        {"a == 'abc", 6, "unterminated string"},
        {"a == \"abc", 6, "unterminated string"},
        {"a == \"abc'", 6, "unterminated string"},
        {"a == \"abc\\\"", 6, "unterminated string"},
        {"a == 'ab\\", 6, "unterminated string"},
        {"a == 'a\\nb'", 8, "unknown escape"},
        {"a == 'a\\tb'", 8, "a backslash followed by 't'"},
        {"a == '\\u0041'", 7, "unknown escape"},
        {"startswith(a, '\\x')", 16, "unknown escape"},
        /* empty, trailing input, parentheses */
        {"", 1, "empty expression"},
        {"   \t\r\n", 1, "empty expression"},
        {"a == 1 b == 2", 8, "expected '&&', '||' or the end of the expression, found 'b'"},
        {"true false", 6, "expected '&&', '||'"},
        {"a == 1 )", 8, "unbalanced ')'"},
        {"(a == 1))", 9, "unbalanced ')'"},
        {"(a == 1", 8, "the ')' that closes the '(' at column 1"},
        {"((a == 1)", 10, "closes the '(' at column 1"},
        {"(true && (a == 1)", 18, "closes the '(' at column 1"},
        {"(a == 1 b == 2)", 9, "found 'b'"},
        {")", 1, "expected a condition, found ')'"},
        {"()", 2, "expected a condition, found ')'"},
        {"a == 1 &&", 10, "expected a condition, found the end of the expression"},
        {"a == 1 && || b == 2", 11, "expected a condition"},
        {"|| a == 1", 1, "expected a condition"},
        {"!", 2, "expected a condition"},
        {"in == 1", 1, "expected a condition, found 'in'"},
        {"[1] == a", 1, "expected a condition"},
        /* operators */
        {"a = 1", 3, "unknown operator '='"},
        {"a & b == 1", 3, "unknown operator '&'"},
        {"a == 1 | b == 2", 8, "unknown operator '|'"},
        {"a =", 3, "unknown operator '='"},
        {"a ==", 5, "expected a property path or a literal after '=='"},
        {"a == )", 6, "expected a property path or a literal"},
        {"a == !b", 6, "expected a property path or a literal"},
        {"a >= in", 6, "expected a property path or a literal"},
        {"a == @", 6, "unexpected '@'"},
        {"a == 1 \x01", 8, "unexpected byte 0x01"},
        {"a\xc3\xa9 == 1", 2, "unexpected byte 0xc3"},
        {"a == 1\f", 7, "unexpected byte 0x0c"},
        /* numbers */
        {"a == 1e3", 7, "exponent"},
        {"a == 1E3", 7, "exponent"},
        {"a == .5", 6, "digit before '.'"},
        {"a == 1.", 8, "digit after the '.'"},
        {"a == 1.x", 8, "digit after the '.'"},
        {"a == - 1", 7, "digit right after '-'"},
        {"a == -", 7, "digit right after '-'"},
        {"a == 12abc", 8, "unexpected 'a' after the number 12"},
        {"a == 1.2.3", 9, "after the number 1.2"},
        {"a == +1", 6, "unexpected '+'"},
        {"1a == 1", 2, "a property path starts with a letter or '_'"},
        /* paths */
        {"a. == 1", 3, "expected a property path segment after '.'"},
        {"a..b == 1", 3, "segment"},
        {"a.b. == 1", 5, "segment"},
        {"a.-b == 1", 3, "segment"},
        {"a .b == 1", 3, "unexpected '.'"},
        /* functions */
        {"foo(a)", 1, "unknown function 'foo'"},
        {"a.exists(b)", 1, "unknown function 'a.exists'"},
        {"a == foo(b)", 6, "unknown function"},
        {"exists('a')", 8, "exists() takes a property path first"},
        {"exists()", 8, "property path"},
        {"exists(true)", 8, "property path"},
        {"exists(a, b)", 9, "expected ')' after the one argument of exists()"},
        {"exists(a", 9, "expected ')'"},
        {"startswith(a)", 13, "expected ',' and a string literal"},
        {"startswith(a, b)", 15, "string literal as its second argument"},
        {"startswith(a, 5)", 15, "string literal"},
        {"startswith('a', 'b')", 12, "property path first"},
        {"startswith(a, 'b', 'c')", 18, "expected ')' after the two arguments"},
        {"startswith(a, 'b'", 18, "expected ')'"},
        /* membership lists */
        {"x in 'a'", 6, "expected '[' after 'in'"},
        {"x in", 5, "expected '['"},
        {"x in [a]", 7, "holds only literals"},
        {"x in [1,]", 9, "expected a literal"},
        {"x in [,1]", 7, "expected a literal"},
        {"x in [1 2]", 9, "expected ',' or ']'"},
        {"x in [1", 8, "expected ',' or ']'"},
        {"x in [(1)]", 7, "expected a literal"},
};

static void check_error(const char *expr, size_t len, uint32_t column, const char *word)
{
	struct raas_expr *e = (struct raas_expr *)&e; /* must be reset to NULL */
	struct raas_err err;

	raas_err_clear(&err);
	if (raas_expr_compile(expr, len, &e, &err) != RAAS_E_INPUT)
		fail_msg("%s: compiled, expected an error at column %u", expr, column);
	assert_null(e);
	assert_int_equal(err.code, RAAS_E_INPUT);
	assert_string_equal(err.path, "");
	assert_int_equal(err.line, 1);
	if (err.column != column || !strstr(err.message, word))
		fail_msg("%s: got column %u \"%s\", want column %u and \"%s\"", expr, err.column,
		         err.message, column, word);
}

static void error_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++)
		check_error(error_cases[i].expr, strlen(error_cases[i].expr), error_cases[i].column,
		            error_cases[i].word);
}

/* The complete text of the messages people see most. */
static void error_messages(void **state)
{
	struct raas_expr *e = NULL;
	struct raas_err err;
	char buf[600];

	(void)state;
	assert_int_equal(raas_expr_compile("is_test", 7, &e, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "a bare property path is not a condition (write "
	                                 "exists(is_test) or is_test == true)");
	raas_err_format(&err, buf, sizeof buf);
	assert_string_equal(buf, "line 1, column 1: a bare property path is not a condition "
	                         "(write exists(is_test) or is_test == true)");
	assert_int_equal(raas_expr_compile("a == b == c", 11, &e, &err), RAAS_E_INPUT);
	assert_string_equal(err.message,
	                    "a comparison cannot be compared again; use && or parentheses");
	assert_int_equal(raas_expr_compile("a < null", 8, &e, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "booleans and null support only == and != (found '<')");
	assert_int_equal(raas_expr_compile("a == 'x", 7, &e, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "unterminated string (no closing ')");
	assert_int_equal(raas_expr_compile("a == 'x\\y'", 10, &e, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "unknown escape: a backslash followed by 'y' (only "
	                                 "\\\\, \\' and \\\" are allowed)");
	assert_null(e);
}

/* Fills buf with `a == 1` padded by spaces to n bytes. */
static void padded(char *buf, size_t n)
{
	memset(buf, ' ', n);
	memcpy(buf, "a == 1", 6);
}

static void length_limit(void **state)
{
	static char buf[RAAS_EXPR_MAX_BYTES + 2];
	static char lit[300];
	size_t n;

	(void)state;
	padded(buf, RAAS_EXPR_MAX_BYTES);
	assert_true(run(buf, RAAS_EXPR_MAX_BYTES, "{\"a\":1}"));
	padded(buf, RAAS_EXPR_MAX_BYTES + 1);
	check_error(buf, RAAS_EXPR_MAX_BYTES + 1, 4097, "expression longer than 4096 bytes");
	/* a string literal that fills the whole 4096 bytes */
	n = RAAS_EXPR_MAX_BYTES;
	memcpy(buf, "a == '", 6);
	memset(buf + 6, 'x', n - 7);
	buf[n - 1] = '\'';
	assert_false(run(buf, n, "{\"a\":\"x\"}"));
	/* number literals are bounded by the plain-form limit of number.h */
	memcpy(lit, "a == ", 5);
	memset(lit + 5, '7', 128);
	assert_false(run(lit, 5 + 128, "{\"a\":7}"));
	memset(lit + 5, '7', 129);
	check_error(lit, 5 + 129, 6, "out of range");
}

/* n nested parentheses around `a == 1`, each optionally preceded by '!'. */
static size_t nested(char *buf, unsigned n, bool bang)
{
	size_t len = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (bang)
			buf[len++] = '!';
		buf[len++] = '(';
	}
	memcpy(buf + len, "a == 1", 6);
	len += 6;
	for (i = 0; i < n; i++)
		buf[len++] = ')';
	return len;
}

static void depth_limit(void **state)
{
	char buf[1024];
	size_t len;

	(void)state;
	len = nested(buf, RAAS_EXPR_MAX_DEPTH, false);
	assert_true(run(buf, len, "{\"a\":1}"));
	len = nested(buf, RAAS_EXPR_MAX_DEPTH + 1, false);
	check_error(buf, len, 65, "nesting deeper than 64");
	len = nested(buf, RAAS_EXPR_MAX_DEPTH, true); /* 64 '!': even */
	assert_true(run(buf, len, "{\"a\":1}"));
	assert_false(run(buf, len, "{}"));
	len = nested(buf, RAAS_EXPR_MAX_DEPTH + 1, true);
	check_error(buf, len, 130, "nesting deeper than 64");
	/* depth counts open parentheses, not all parentheses */
	len = 0;
	for (unsigned i = 0; i < 100; i++) {
		memcpy(buf + len, "(true)&&", 8);
		len += 8;
	}
	memcpy(buf + len, "true", 4);
	len += 4;
	assert_true(run(buf, len, NULL));
}

/* Chains as long as the length limit allows compile and evaluate without deep recursion. */
static void long_chains(void **state)
{
	static char buf[RAAS_EXPR_MAX_BYTES];
	size_t len = 0;

	(void)state;
	memset(buf, '!', RAAS_EXPR_MAX_BYTES - 4);
	memcpy(buf + RAAS_EXPR_MAX_BYTES - 4, "true", 4); /* 4092 '!': even */
	assert_true(run(buf, RAAS_EXPR_MAX_BYTES, NULL));
	buf[0] = ' ';
	assert_false(run(buf, RAAS_EXPR_MAX_BYTES, NULL));

	while (len + 20 <= RAAS_EXPR_MAX_BYTES) {
		memcpy(buf + len, "a == 1 && ", 10);
		len += 10;
	}
	memcpy(buf + len, "true", 4);
	len += 4;
	assert_true(run(buf, len, "{\"a\":1}"));
	assert_false(run(buf, len, "{\"a\":2}"));

	len = 0;
	while (len + 20 <= RAAS_EXPR_MAX_BYTES) {
		memcpy(buf + len, "a == 1 || ", 10);
		len += 10;
	}
	memcpy(buf + len, "b in [1]", 8);
	len += 8;
	assert_true(run(buf, len, "{\"b\":1}"));
	assert_false(run(buf, len, "{\"b\":2}"));

	len = 0;
	memcpy(buf, "x in [", 6);
	len = 6;
	while (len + 4 <= RAAS_EXPR_MAX_BYTES) {
		memcpy(buf + len, "1,", 2);
		len += 2;
	}
	memcpy(buf + len, "2]", 2);
	len += 2;
	assert_true(run(buf, len, "{\"x\":2}"));
	assert_false(run(buf, len, "{\"x\":3}"));
}

/* Every allocation compile makes may fail: RAAS_E_NOMEM, *out NULL, nothing leaked (ASan). */
static void alloc_failures(void **state)
{
	static const char *const exprs[] = {
	        ("a == 1 || b.c in ['x', 'y', 3, null] && !(startswith(d, 'p') || exists(e.f)) "
	         "&& g != 2.5 && 'lit' < h && i == \"q\\\"\""),
	        "true",
	        "x in [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]",
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof exprs / sizeof exprs[0]; k++) {
		long n;
		bool done = false;

		for (n = 1; !done; n++) {
			struct raas_expr *e = (struct raas_expr *)&e;
			struct raas_err err;
			raas_rc rc;

			raas_err_clear(&err);
			raas_alloc_fail_at(n);
			rc = raas_expr_compile(exprs[k], strlen(exprs[k]), &e, &err);
			if (rc == RAAS_OK) {
				assert_true(raas_alloc_count() < n);
				raas_alloc_fail_at(0);
				assert_non_null(e);
				raas_expr_free(e);
				done = true;
			} else {
				raas_alloc_fail_at(0);
				assert_int_equal(rc, RAAS_E_NOMEM);
				assert_int_equal(err.code, RAAS_E_NOMEM);
				assert_null(e);
			}
			assert_true(n < 1000);
		}
		assert_true(n > 2); /* at least one failure was injected */
	}
	raas_expr_free(NULL);
}

/* Evaluation allocates nothing. */
static void eval_does_not_allocate(void **state)
{
	struct raas_arena arena;
	struct raas_json *json;
	struct raas_expr *e;
	struct raas_err err;
	const char *props = "{\"a\":1,\"b\":{\"c\":\"x\"}}";
	const char *expr = "a == 1.0 && b.c in ['x'] && startswith(b.c, 'x') && exists(a)";

	(void)state;
	raas_arena_init(&arena, 0);
	assert_int_equal(raas_json_parse(&arena, props, strlen(props), NULL, &json, &err), RAAS_OK);
	assert_int_equal(raas_expr_compile(expr, strlen(expr), &e, &err), RAAS_OK);
	raas_alloc_fail_at(1);
	assert_true(raas_expr_eval(e, json));
	assert_int_equal(raas_alloc_count(), 0);
	raas_alloc_fail_at(0);
	raas_expr_free(e);
	raas_arena_free(&arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(eval_table),
	        cmocka_unit_test(nul_bytes),
	        cmocka_unit_test(error_table),
	        cmocka_unit_test(error_messages),
	        cmocka_unit_test(length_limit),
	        cmocka_unit_test(depth_limit),
	        cmocka_unit_test(long_chains),
	        cmocka_unit_test(alloc_failures),
	        cmocka_unit_test(eval_does_not_allocate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
