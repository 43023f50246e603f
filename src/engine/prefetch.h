/*
 * prefetch.h - cache hints for the per-record loops: fetch a slot that a
 * loop will touch a few iterations later (its key's state, its message's
 * entry) while the current one is worked on, and keep rare paths out of
 * their hot callers.  No-ops for a compiler without the builtins.
 */
#ifndef ESMSIM_PREFETCH_H
#define ESMSIM_PREFETCH_H

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(addr) __builtin_prefetch(addr)
#define PREFETCH_W(addr) __builtin_prefetch(addr, 1)     /* to be written */
#define COLD __attribute__((cold, noinline))
#else
#define PREFETCH(addr) ((void)(addr))
#define PREFETCH_W(addr) ((void)(addr))
#define COLD
#endif

#endif
