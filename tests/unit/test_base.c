/* test_base.c — the base helpers: errors and problem lists, the allocation hook, arenas
 * and bounded buffers. */
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
#include "base/buf.h"
#include "raas/error.h"

static void err_format(void **state)
{
	struct raas_err err;
	char buf[1024];

	(void)state;
	raas_err_clear(&err);
	assert_int_equal(raas_err_set(&err, RAAS_E_INPUT, "tiers[2].up_to", "must be %d", 5),
	                 RAAS_E_INPUT);
	raas_err_format(&err, buf, sizeof buf);
	assert_string_equal(buf, "tiers[2].up_to: must be 5");
	raas_err_at(&err, 3, 17);
	raas_err_format(&err, buf, sizeof buf);
	assert_string_equal(buf, "tiers[2].up_to: line 3, column 17: must be 5");
	raas_err_set(&err, RAAS_E_INPUT, NULL, "bad");
	raas_err_at(&err, 1, 2);
	raas_err_format(&err, buf, sizeof buf);
	assert_string_equal(buf, "line 1, column 2: bad");
	raas_err_set(&err, RAAS_E_INPUT, "", "plain");
	raas_err_format(&err, buf, sizeof buf);
	assert_string_equal(buf, "plain");
	assert_int_equal(raas_err_set(NULL, RAAS_E_STORAGE, "x", "y"), RAAS_E_STORAGE);
}

static void exit_codes(void **state)
{
	(void)state;
	assert_int_equal(raas_rc_exit_code(RAAS_OK), 0);
	assert_int_equal(raas_rc_exit_code(RAAS_E_USAGE), 1);
	assert_int_equal(raas_rc_exit_code(RAAS_E_INPUT), 2);
	assert_int_equal(raas_rc_exit_code(RAAS_E_OVERFLOW), 2);
	assert_int_equal(raas_rc_exit_code(RAAS_E_STORAGE), 3);
	assert_int_equal(raas_rc_exit_code(RAAS_E_NOMEM), 3);
	assert_int_equal(raas_rc_exit_code(RAAS_E_VERIFY), 4);
}

static void problems(void **state)
{
	struct raas_problems p = {0};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	for (int i = 0; i < 20; i++)
		raas_problems_add(&p, i % 2 ? "a.b" : NULL, "problem %d", i);
	assert_int_equal(p.count, 20);
	assert_string_equal(p.items[19].path, "a.b");
	assert_string_equal(p.items[18].path, "");
	assert_string_equal(p.items[7].message, "problem 7");
	raas_problems_print(f, &p);
	fclose(f);
	assert_memory_equal(text, "problem 0\na.b: problem 1\nproblem 2\n", 35);
	free(text);
	raas_problems_free(&p);
	assert_int_equal(p.count, 0);
	assert_null(p.items);

	/* An allocation failure is remembered, not lost. */
	raas_alloc_fail_at(1);
	raas_problems_add(&p, "x", "y");
	raas_alloc_fail_at(0);
	assert_int_equal(p.out_of_memory, 1);
	assert_int_equal(p.count, 0);
	raas_problems_free(&p);
}

static void alloc_hook(void **state)
{
	void *a, *b;

	(void)state;
	raas_alloc_fail_at(2);
	a = raas_malloc(8);
	b = raas_malloc(8);
	assert_non_null(a);
	assert_null(b);
	assert_int_equal(raas_alloc_count(), 2);
	b = raas_malloc(8); /* only the 2nd fails */
	assert_non_null(b);
	raas_alloc_fail_at(0);
	raas_free(a);
	raas_free(b);
	assert_null(raas_calloc((size_t)-1, 16));
}

static void arena(void **state)
{
	struct raas_arena a;
	char *big, *s;

	(void)state;
	raas_arena_init(&a, 0);
	for (int i = 0; i < 10000; i++) {
		long *p = raas_arena_alloc(&a, sizeof(long) * 3);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
		p[0] = i;
	}
	big = raas_arena_alloc(&a, 1 << 20);
	assert_non_null(big);
	memset(big, 1, 1 << 20);
	s = raas_arena_strndup(&a, "hello world", 5);
	assert_string_equal(s, "hello");
	raas_arena_reset(&a);
	assert_int_equal(a.used, 0);
	assert_true(a.nspare > 0); /* standard chunks are kept for reuse */
	s = raas_arena_strndup(&a, "again", 5);
	assert_string_equal(s, "again");
	raas_arena_free(&a);
	assert_int_equal(a.nspare, 0);

	raas_arena_init(&a, 1000);
	assert_non_null(raas_arena_alloc(&a, 500));
	assert_null(raas_arena_alloc(&a, 600)); /* over the limit */
	assert_non_null(raas_arena_alloc(&a, 100));
	raas_arena_free(&a);
}

static void buf(void **state)
{
	struct raas_buf b;

	(void)state;
	raas_buf_init(&b, 10);
	assert_int_equal(raas_buf_puts(&b, "abc"), RAAS_OK);
	assert_int_equal(raas_buf_printf(&b, "%d-%s", 42, "x"), RAAS_OK);
	assert_string_equal(b.data, "abc42-x");
	assert_int_equal(raas_buf_puts(&b, "1234"), RAAS_E_INPUT); /* 11 > 10 */
	assert_string_equal(b.data, "abc42-x");
	assert_int_equal(raas_buf_putc(&b, 'z'), RAAS_OK);
	assert_int_equal(b.len, 8);
	raas_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	raas_alloc_fail_at(1);
	raas_buf_free(&b);
	assert_int_equal(raas_buf_puts(&b, "a"), RAAS_E_NOMEM);
	raas_alloc_fail_at(0);
	raas_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(err_format), cmocka_unit_test(exit_codes),
	        cmocka_unit_test(problems),   cmocka_unit_test(alloc_hook),
	        cmocka_unit_test(arena),      cmocka_unit_test(buf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
