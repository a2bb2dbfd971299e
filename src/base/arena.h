/* arena.h — bump allocator for parse trees and per-batch temporaries (h2o's request pool).
 *
 * Everything allocated from an arena is freed at once by raas_arena_reset/free. An arena
 * has a byte limit so that untrusted input cannot make it grow without bound.
 */
#ifndef RAAS_BASE_ARENA_H
#define RAAS_BASE_ARENA_H

#include <stddef.h>

struct raas_arena_chunk;

struct raas_arena {
	struct raas_arena_chunk *head;  /* newest chunk first */
	struct raas_arena_chunk *spare; /* emptied standard chunks kept for reuse by reset */
	size_t nspare;
	size_t used;  /* bytes handed out, for the limit */
	size_t limit; /* 0: no limit */
};

/* Prepares an empty arena that hands out at most limit bytes (0: unlimited). */
void raas_arena_init(struct raas_arena *arena, size_t limit);
/* Returns size bytes aligned for any type, owned by the arena, or NULL when out of
 * memory or over the limit. */
void *raas_arena_alloc(struct raas_arena *arena, size_t size);
/* Returns a NUL-terminated copy of n bytes owned by the arena, or NULL. */
char *raas_arena_strndup(struct raas_arena *arena, const char *s, size_t n);
/* Releases everything the arena handed out; it can be used again. Standard-size chunks are
 * kept (up to a few MiB) so that a per-batch arena does not go back to malloc every batch. */
void raas_arena_reset(struct raas_arena *arena);
/* Frees everything, kept chunks included. */
void raas_arena_free(struct raas_arena *arena);

#endif
