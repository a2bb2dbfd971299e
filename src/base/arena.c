/* arena.c — chunked bump allocator; big requests get a chunk of their own. */
#include "base/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"

#define CHUNK_SIZE ((size_t)64 * 1024)
#define MAX_SPARE 64 /* chunks kept by reset: 4 MiB */

struct raas_arena_chunk {
	struct raas_arena_chunk *next;
	size_t size; /* usable bytes after the header */
	size_t off;  /* bytes used */
	alignas(max_align_t) unsigned char data[];
};

void raas_arena_init(struct raas_arena *arena, size_t limit)
{
	arena->head = NULL;
	arena->spare = NULL;
	arena->nspare = 0;
	arena->used = 0;
	arena->limit = limit;
}

void *raas_arena_alloc(struct raas_arena *arena, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct raas_arena_chunk *c = arena->head;
	size_t need;

	if (size > SIZE_MAX / 2)
		return NULL;
	need = (size + align - 1) & ~(align - 1);
	if (need == 0)
		need = align;
	if (arena->limit && (need > arena->limit || arena->used > arena->limit - need))
		return NULL;
	if (!c || c->size - c->off < need) {
		size_t chunk = need > CHUNK_SIZE / 4 ? need : CHUNK_SIZE;
		struct raas_arena_chunk *n;
		if (chunk == CHUNK_SIZE && arena->spare) {
			n = arena->spare;
			arena->spare = n->next;
			arena->nspare--;
		} else if (!(n = raas_malloc(sizeof *n + chunk))) {
			return NULL;
		}
		n->size = chunk;
		n->off = 0;
		if (c && chunk == need) {
			/* A big block: put it behind the current chunk so its free space stays
			 * usable. */
			n->next = c->next;
			c->next = n;
		} else {
			n->next = c;
			arena->head = n;
		}
		c = n;
	}
	c->off += need;
	arena->used += need;
	return c->data + c->off - need;
}

char *raas_arena_strndup(struct raas_arena *arena, const char *s, size_t n)
{
	char *copy = raas_arena_alloc(arena, n + 1);

	if (!copy)
		return NULL;
	if (n)
		memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

void raas_arena_reset(struct raas_arena *arena)
{
	struct raas_arena_chunk *c = arena->head;

	while (c) {
		struct raas_arena_chunk *next = c->next;
		if (c->size == CHUNK_SIZE && arena->nspare < MAX_SPARE) {
			c->next = arena->spare;
			arena->spare = c;
			arena->nspare++;
		} else {
			raas_free(c);
		}
		c = next;
	}
	arena->head = NULL;
	arena->used = 0;
}

void raas_arena_free(struct raas_arena *arena)
{
	struct raas_arena_chunk *c;

	raas_arena_reset(arena);
	while ((c = arena->spare)) {
		arena->spare = c->next;
		raas_free(c);
	}
	arena->nspare = 0;
}
