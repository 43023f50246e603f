/*
 * jsonexact.h - JSON printed with its big integers exact.  cJSON (1.7.15)
 * prints a number with 15 significant digits whenever they read back within
 * a double's epsilon of it, which 2^53 - 1 does (9.00719925474099e+15): a
 * seed printed so comes back as another seed.  Every integer from 10^15 up
 * is printed as its digits instead; other numbers as cJSON prints them.
 */
#ifndef ESMSIM_JSONEXACT_H
#define ESMSIM_JSONEXACT_H

#include <stdbool.h>

struct cJSON;

/* root, an object or array, as cJSON_Print (formatted) or
 * cJSON_PrintUnformatted would print it, its big integers exact; root is not
 * changed (a copy is made when it holds one).  The text is the caller's to free;
 * NULL when out of memory. */
char *jsonx_print(const struct cJSON *root, bool formatted);

#endif
