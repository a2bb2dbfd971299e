/* alloc.h — the one allocation wrapper of raas.
 *
 * Every heap allocation goes through these functions so that tests can make the Nth
 * allocation fail (raas_alloc_fail_at) and prove that nothing leaks or crashes on the
 * way out (SQLite's OOM tests, curl's torture mode).
 */
#ifndef RAAS_BASE_ALLOC_H
#define RAAS_BASE_ALLOC_H

#include <stddef.h>

/* Returns new memory (free with raas_free) or NULL. */
void *raas_malloc(size_t size);
/* Returns new zeroed memory for n × size bytes (free with raas_free) or NULL, also on
 * multiplication overflow. */
void *raas_calloc(size_t n, size_t size);
/* Takes p, returns it resized (or NULL, leaving p untouched and still owned by the caller). */
void *raas_realloc(void *p, size_t size);
/* Takes p (NULL is fine). */
void raas_free(void *p);
/* Returns a new copy of s (free with raas_free) or NULL. */
char *raas_strdup(const char *s);
/* Returns a new NUL-terminated copy of the n bytes at s (free with raas_free) or NULL. */
char *raas_strndup(const char *s, size_t n);

/* Test hooks: make the nth allocation from now fail (1 = the next one); 0 turns it off.
 * raas_alloc_count() is the number of allocations attempted since the last call to
 * raas_alloc_fail_at. */
void raas_alloc_fail_at(long n);
long raas_alloc_count(void);

#endif
