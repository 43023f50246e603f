/*
 * jsonexact.c - JSON printed with its big integers exact: see jsonexact.h.
 */
#include "jsonexact.h"

#include <math.h>
#include <stdio.h>

#include <cjson/cJSON.h>

static bool big_integer(const cJSON *x)
{
    return cJSON_IsNumber(x) && fabs(x->valuedouble) >= 1e15 && fabs(x->valuedouble) < 1e19 &&
           x->valuedouble == floor(x->valuedouble);
}

static bool has_big_integer(const cJSON *o)
{
    for (const cJSON *x = o; x; x = x->next)
        if (big_integer(x) || has_big_integer(x->child))
            return true;
    return false;
}

/* The big integers of o's tree as raw digits; false when out of memory. */
static bool make_exact(cJSON *o)
{
    cJSON *next;
    for (cJSON *x = o ? o->child : NULL; x; x = next) {
        next = x->next;
        if (!big_integer(x)) {
            if (!make_exact(x))
                return false;
            continue;
        }
        char digits[24];
        snprintf(digits, sizeof digits, "%.0f", x->valuedouble);
        cJSON *raw = cJSON_CreateRaw(digits);
        if (!raw)
            return false;
        raw->string = x->string;   /* its key moves over (NULL in an array) */
        x->string = NULL;
        cJSON_ReplaceItemViaPointer(o, x, raw);   /* cannot fail: x is o's */
    }
    return true;
}

static char *print(const cJSON *root, bool formatted)
{
    return formatted ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
}

char *jsonx_print(const cJSON *root, bool formatted)
{
    if (!root || !has_big_integer(root->child))
        return print(root, formatted);   /* mostly: no copy */
    cJSON *copy = cJSON_Duplicate(root, true);
    char *text = copy && make_exact(copy) ? print(copy, formatted) : NULL;
    cJSON_Delete(copy);
    return text;
}
