/* alloc.c — malloc wrappers with a failure-injection hook for out-of-memory tests. */
#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

/* Atomic: the ingest path allocates from two threads. */
static _Atomic long fail_at; /* 0: never fail; else fail when attempts reaches it */
static _Atomic long attempts;

static int should_fail(void)
{
	long n = ++attempts;
	long f = fail_at;

	return f > 0 && n == f;
}

void raas_alloc_fail_at(long n)
{
	fail_at = n;
	attempts = 0;
}

long raas_alloc_count(void)
{
	return attempts;
}

void *raas_malloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *raas_calloc(size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		return NULL;
	if (should_fail())
		return NULL;
	return calloc(n ? n : 1, size ? size : 1);
}

void *raas_realloc(void *p, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(p, size ? size : 1);
}

void raas_free(void *p)
{
	free(p);
}

char *raas_strndup(const char *s, size_t n)
{
	char *copy = raas_malloc(n + 1);

	if (!copy)
		return NULL;
	memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

char *raas_strdup(const char *s)
{
	return raas_strndup(s, strlen(s));
}
