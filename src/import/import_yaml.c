/*
 * import_yaml.c - YAML as JSON, for `esmsim import` (import_yaml.h, issue
 * 14 item 1): a template is read with libyaml and turned into the JSON it
 * would be, the short-form intrinsic tags as their long forms, aliases
 * expanded, merge keys applied.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "errmsg.h"
#include "fmt.h"
#include "import_yaml.h"
#include "scenario.h"

struct yconv {
    yaml_document_t *doc;
    const char *file;
    size_t nodes;           /* made so far, aliases expanded */
    char *err;
    size_t errlen;
    bool failed;
};

static cJSON *yfail(struct yconv *y, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static cJSON *yfail(struct yconv *y, const yaml_node_t *n, const char *fmt, ...)
{
    if (!y->failed) {
        char what[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        errmsg_set(y->err, y->errlen, "%s: invalid YAML at line %zu, column %zu: %s", y->file,
                   n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0, what);
        y->failed = true;
    }
    return NULL;
}

/* A plain scalar's value by YAML 1.2's core schema: null, a boolean, an
 * integer (decimal, 0o octal, 0x hex), a float; else the string. */
static cJSON *plain_scalar(const char *s)
{
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
    static const char *const trues[] = { "true", "True", "TRUE", NULL };
    static const char *const falses[] = { "false", "False", "FALSE", NULL };
    for (const char *const *p = nulls; *p; p++)
        if (!strcmp(s, *p))
            return cJSON_CreateNull();
    for (const char *const *p = trues; *p; p++)
        if (!strcmp(s, *p))
            return cJSON_CreateTrue();
    for (const char *const *p = falses; *p; p++)
        if (!strcmp(s, *p))
            return cJSON_CreateFalse();
    char *end;
    if (s[0] == '0' && (s[1] == 'o' || s[1] == 'x') && s[2]) {
        errno = 0;
        unsigned long long v = strtoull(s + 2, &end, s[1] == 'o' ? 8 : 16);
        if (!*end && !errno && isxdigit((unsigned char)s[2]))
            return cJSON_CreateNumber((double)v);
        return cJSON_CreateString(s);
    }
    /* [-+]? digits, with an optional fraction and exponent; not ".5." or "1_000" */
    const char *p = s + (*s == '-' || *s == '+');
    bool digits = false;
    while (isdigit((unsigned char)*p))
        p++, digits = true;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            digits = true;
    if (digits && (*p == 'e' || *p == 'E')) {
        p++;
        p += *p == '-' || *p == '+';
        if (!isdigit((unsigned char)*p))
            return cJSON_CreateString(s);
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (digits && !*p) {   /* a number, 1e400 too: infinite, refused as such (scn_json_check) */
        double v = strtod(s, &end);
        if (!*end)
            return cJSON_CreateNumber(v);
    }
    return cJSON_CreateString(s);
}

/* The long form of a short-form tag around v (taken): !Ref X as {"Ref": X},
 * !Condition X as {"Condition": X}, !GetAtt A.B as {"Fn::GetAtt": ["A","B"]},
 * !Name V as {"Fn::Name": V}. */
static cJSON *long_form(struct yconv *y, const yaml_node_t *n, const char *tag, cJSON *v)
{
    char key[96];
    const char *name = tag + 1;
    if (!strcmp(name, "Ref") || !strcmp(name, "Condition"))
        snprintf(key, sizeof key, "%s", name);
    else if (strlen(name) < 80 && isalpha((unsigned char)name[0]))
        snprintf(key, sizeof key, "Fn::%s", name);
    else {
        cJSON_Delete(v);
        char safe[FMT_TEXT_MAX];
        return yfail(y, n, "unknown tag %s", fmt_text(tag, safe, 80));
    }
    if (!strcmp(name, "GetAtt") && cJSON_IsString(v)) {   /* !GetAtt Resource.Attribute */
        const char *dot = strchr(v->valuestring, '.');
        if (!dot || dot == v->valuestring || !dot[1]) {
            cJSON_Delete(v);
            return yfail(y, n, "!GetAtt takes Resource.Attribute");
        }
        char *res = strndup(v->valuestring, (size_t)(dot - v->valuestring));
        cJSON *pair = res ? cJSON_CreateArray() : NULL;
        bool ok = pair && cJSON_AddItemToArray(pair, cJSON_CreateString(res)) &&
                  cJSON_AddItemToArray(pair, cJSON_CreateString(dot + 1));
        free(res);
        cJSON_Delete(v);
        if (!ok) {
            cJSON_Delete(pair);
            return yfail(y, n, "out of memory");
        }
        v = pair;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToObject(o, key, v)) {
        cJSON_Delete(o);
        cJSON_Delete(v);
        return yfail(y, n, "out of memory");
    }
    return o;
}

static cJSON *ynode(struct yconv *y, yaml_node_t *n, int depth);

/* No key of n twice (merge keys aside): checked sorted, since one key
 * looked up among those before it made a mapping of 40,000 keys take 5 s. */
static bool yunique(struct yconv *y, yaml_node_t *n)
{
    size_t np = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start), nk = 0, at;
    const char **keys = np ? malloc(np * sizeof *keys) : NULL;
    yaml_node_t **nodes = np ? malloc(np * sizeof *nodes) : NULL;
    bool nomem = np && (!keys || !nodes);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && !nomem; p++) {
        yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
        const char *key = k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : NULL;
        if (key && strlen(key) == k->data.scalar.length &&   /* ymapping refuses the others */
            (strcmp(key, "<<") || k->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)) {
            nodes[nk] = k;
            keys[nk++] = key;
        }
    }
    at = nomem ? 0 : scn_first_repeat(keys, nk, &nomem);
    if (nomem)
        yfail(y, n, "out of memory");
    else if (at < nk) {
        char safe[FMT_TEXT_MAX];
        yfail(y, nodes[at], "the key %s is given twice", fmt_text(keys[at], safe, 100));
    }
    free(keys);
    free(nodes);
    return !nomem && at >= nk;
}

/* A mapping's pairs into o, then its merge keys' ("<<") mappings, whose keys
 * come after the explicit ones and never replace them. */
static bool ymapping(struct yconv *y, yaml_node_t *n, cJSON *o, int depth)
{
    if (!yunique(y, n))
        return false;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            return yfail(y, k, "a mapping key must be a scalar"), false;
        const char *key = (const char *)k->data.scalar.value;
        if (strlen(key) != k->data.scalar.length)
            return yfail(y, k, "a key holds a NUL character"), false;
        if (!strcmp(key, "<<") && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            continue;
        cJSON *c = ynode(y, v, depth + 1);
        if (!c || !cJSON_AddItemToObject(o, key, c)) {
            cJSON_Delete(c);
            return false;
        }
    }
    /* Merge keys (<<: *base, or <<: [*a, *b]): the first mapping wins a key. */
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
        if (strcmp((const char *)k->data.scalar.value, "<<") ||
            k->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
            continue;
        yaml_node_t *single[1] = { v };
        yaml_node_t **list = single;
        size_t count = 1;
        yaml_node_t *items[64];
        if (v->type == YAML_SEQUENCE_NODE) {
            count = 0;
            for (yaml_node_item_t *i = v->data.sequence.items.start;
                 i < v->data.sequence.items.top && count < 64; i++)
                items[count++] = yaml_document_get_node(y->doc, *i);
            list = items;
        }
        for (size_t m = 0; m < count; m++) {
            if (!list[m] || list[m]->type != YAML_MAPPING_NODE)
                return yfail(y, v, "a merge key (<<) takes a mapping or a list of mappings"), false;
            cJSON *merged = ynode(y, list[m], depth + 1);
            if (!merged)
                return false;
            cJSON *c;
            while ((c = merged->child)) {
                cJSON_DetachItemViaPointer(merged, c);
                if (cJSON_GetObjectItemCaseSensitive(o, c->string)) {
                    cJSON_Delete(c);
                } else if (!cJSON_AddItemToObject(o, c->string, c)) {   /* copies the key first */
                    cJSON_Delete(c);
                    cJSON_Delete(merged);
                    return yfail(y, v, "out of memory"), false;
                }
            }
            cJSON_Delete(merged);
        }
    }
    return true;
}

static cJSON *ynode(struct yconv *y, yaml_node_t *n, int depth)
{
    if (y->failed)
        return NULL;
    if (depth > IMP_YAML_MAX_DEPTH)
        return yfail(y, n, "nested more than %d deep (a recursive alias?)", IMP_YAML_MAX_DEPTH);
    if (++y->nodes > IMP_YAML_MAX_NODES)
        return yfail(y, n, "more than %d nodes once aliases are expanded", IMP_YAML_MAX_NODES);
    const char *tag = (const char *)n->tag;
    bool local = tag && tag[0] == '!' && tag[1];   /* !Ref; "!!x" is resolved to tag:yaml.org,2002:x */
    cJSON *v = NULL;
    switch (n->type) {
    case YAML_SCALAR_NODE: {
        const char *s = (const char *)n->data.scalar.value;
        if (strlen(s) != n->data.scalar.length)
            return yfail(y, n, "a string holds a NUL character");
        if (local || (tag && strcmp(tag, YAML_STR_TAG) && strcmp(tag, YAML_INT_TAG) &&
                      strcmp(tag, YAML_FLOAT_TAG) && strcmp(tag, YAML_BOOL_TAG) &&
                      strcmp(tag, YAML_NULL_TAG)))
            v = cJSON_CreateString(s);
        else if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE || (tag && strcmp(tag, YAML_STR_TAG)))
            v = plain_scalar(s);   /* !!int "5" is a number too */
        else
            v = cJSON_CreateString(s);
        break;
    }
    case YAML_SEQUENCE_NODE:
        v = cJSON_CreateArray();
        for (yaml_node_item_t *i = n->data.sequence.items.start; v && i < n->data.sequence.items.top;
             i++) {
            yaml_node_t *c = yaml_document_get_node(y->doc, *i);
            cJSON *cv = c ? ynode(y, c, depth + 1) : NULL;
            if (!cv || !cJSON_AddItemToArray(v, cv)) {
                cJSON_Delete(cv);
                cJSON_Delete(v);
                return y->failed ? NULL : yfail(y, n, "out of memory");
            }
        }
        break;
    case YAML_MAPPING_NODE:
        v = cJSON_CreateObject();
        if (v && !ymapping(y, n, v, depth)) {
            cJSON_Delete(v);
            return y->failed ? NULL : yfail(y, n, "out of memory");
        }
        break;
    default:
        return yfail(y, n, "an empty node");
    }
    if (!v)
        return yfail(y, n, "out of memory");
    return local ? long_form(y, n, tag, v) : v;
}

static void yaml_error(const char *file, const yaml_parser_t *p, char *err, size_t errlen)
{
    errmsg_set(err, errlen, "%s: invalid YAML at line %zu, column %zu: %s%s%s", file,
               p->problem_mark.line + 1, p->problem_mark.column + 1,
               p->problem ? p->problem : "cannot parse", p->context ? " " : "",
               p->context ? p->context : "");
}

/*
 * What the load of the first document would not say, read as events before
 * libyaml loads it: collections nested deeper than ynode takes (libyaml's
 * scanner looks at every open flow level at each token, so 40,000 '[' took
 * 6 s to load and a file of them hours), and what follows the document (a
 * second one, or an error), which the load would leave unread.  The events
 * stop there, or at an error within the first document, which the load then
 * reports.  Returns 0, else -1 with the message in err.
 */
static int yaml_scan(const char *file, const char *text, size_t len, char *err, size_t errlen)
{
    yaml_parser_t p;
    yaml_event_t e;
    int depth = 0, rc = 0;
    bool ended = false, done = false;   /* ended: the first document's end was read */
    if (!yaml_parser_initialize(&p))
        return 0;   /* the load says it */
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&p, &e)) {
            if (ended) {
                yaml_error(file, &p, err, errlen);
                rc = -1;
            }
            break;
        }
        if ((e.type == YAML_SEQUENCE_START_EVENT || e.type == YAML_MAPPING_START_EVENT) &&
            ++depth > IMP_YAML_MAX_DEPTH + 1) {   /* the top node is ynode's depth 0 */
            errmsg_set(err, errlen, "%s: invalid YAML at line %zu, column %zu: nested more than "
                       "%d deep", file, e.start_mark.line + 1, e.start_mark.column + 1,
                       IMP_YAML_MAX_DEPTH);
            rc = -1;
        } else if (ended && e.type == YAML_DOCUMENT_START_EVENT) {
            /* CloudFormation's template is one document: the rest would be lost */
            errmsg_set(err, errlen, "%s: line %zu: a second YAML document: a template is one "
                       "document", file, e.start_mark.line + 1);
            rc = -1;
        }
        depth -= e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT;
        ended |= e.type == YAML_DOCUMENT_END_EVENT;
        done = e.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);
    return rc;
}

cJSON *imp_yaml_parse(const char *file, const char *text, size_t len, char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    cJSON *root = NULL;
    if (yaml_scan(file, text, len, err, errlen) < 0)
        return NULL;
    if (!yaml_parser_initialize(&parser)) {
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_error(file, &parser, err, errlen);
        yaml_parser_delete(&parser);
        return NULL;
    }
    yaml_node_t *top = yaml_document_get_root_node(&doc);
    if (!top) {
        errmsg_set(err, errlen, "%s: an empty YAML document", file);
    } else {
        struct yconv y = { .doc = &doc, .file = file, .err = err, .errlen = errlen };
        root = ynode(&y, top, 0);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return root;
}
