/*
 * import_cfn.c - CloudFormation and SAM templates, JSON or YAML, for
 * `esmsim import` (import_cfn.h, issue 14 item 1).
 *
 * A YAML template is first turned into the JSON it would be (import_yaml.c).
 * Then the template is
 * evaluated where it matters: the mapping (an AWS::Lambda::EventSourceMapping,
 * or a Kinesis or DynamoDB event of an AWS::Serverless::Function), the
 * stream it reads (AWS::Kinesis::Stream, its AWS::Kinesis::StreamConsumer,
 * or an AWS::DynamoDB::Table's stream) and the function it invokes, with
 * SAM's Globals.  Intrinsic functions are computed as CloudFormation would
 * where the template alone says: Ref (parameters with their Default or
 * --parameter, resources, pseudo parameters), Fn::GetAtt of the ARNs, Fn::Sub,
 * Fn::Join, Fn::Select, Fn::Split, Fn::If with the Conditions, Fn::FindInMap,
 * Fn::Base64.  What only a deployment knows (Fn::ImportValue, Fn::GetAZs, an
 * attribute such as a generated name) leaves the value unmapped, listed with
 * its path.  A template says what should be deployed: IMP_TEMPLATE.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fmt.h"
#include "import_cfn.h"

#define MAX_DEPTH 200     /* nesting of intrinsic functions and conditions */

/* ---- evaluating a template ------------------------------------------------------- */

struct cfn {
    struct imp *im;
    const char *file;
    const cJSON *resources, *params, *conditions, *mappings, *globals;
    const cJSON *all;       /* every resource, those whose Condition is false too */
    bool bad;               /* a malformed template: imp_fail was called */
    bool novalue;           /* the value was AWS::NoValue: the property is left out */
    char why[400];          /* why a value cannot be computed from the template */
    bool noted[4];          /* a pseudo parameter's stand-in was said */
    const char *ref;        /* the resource the last Ref or Fn::GetAtt named */
    int depth;
    /* values left out of an object, for the not-mapped list */
    struct { char path[PATH_LEN]; char why[400]; } *left;
    size_t n_left, cap_left;
};

static cJSON *cfn_bad(struct cfn *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static cJSON *cfn_bad(struct cfn *c, const char *path, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    imp_fail(c->im, "%s: %s: %s", c->file, path, what);
    c->bad = true;
    return NULL;
}

static cJSON *unknown(struct cfn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cJSON *unknown(struct cfn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof c->why, fmt, ap);
    va_end(ap);
    return NULL;
}

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* {"Ref": ...} or {"Fn::X": ...}: the function's name, else NULL. */
static const char *intrinsic(const cJSON *v)
{
    if (!cJSON_IsObject(v) || !v->child || v->child->next)
        return NULL;
    const char *k = v->child->string;
    return !strcmp(k, "Ref") || !strncmp(k, "Fn::", 4) ? k : NULL;
}

static cJSON *ev(struct cfn *c, const cJSON *v, const char *path);

/* A value as text, for Fn::Join and Fn::Sub: a string, or a number as JSON writes it. */
static char *as_text(const cJSON *v)
{
    if (cJSON_IsString(v))
        return strdup(v->valuestring);
    if (cJSON_IsNumber(v) || cJSON_IsBool(v))
        return cJSON_PrintUnformatted(v);
    return NULL;
}

/* Pseudo parameters: what --parameter gives, else a stand-in (said once). */
static cJSON *pseudo(struct cfn *c, const char *name, const char *path)
{
    static const struct { const char *name, *stand_in; } P[] = {
        { "AWS::Region", "us-east-1" }, { "AWS::AccountId", "123456789012" },
        { "AWS::StackName", "stack" }, { "AWS::Partition", "aws" },
    };
    const char *given = imp_parameter(c->im, name);
    if (given)
        return cJSON_CreateString(given);
    if (!strcmp(name, "AWS::URLSuffix"))
        return cJSON_CreateString("amazonaws.com");
    if (!strcmp(name, "AWS::NoValue")) {
        c->novalue = true;
        return NULL;
    }
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
        if (strcmp(name, P[i].name))
            continue;
        if (!c->noted[i] && i < 3)
            imp_note(c->im, "%s: %s: %s is known once deployed: \"%s\" stands for it (--parameter "
                     "%s=VALUE gives it)", c->file, path, name, P[i].stand_in, name);
        c->noted[i] = true;
        return cJSON_CreateString(P[i].stand_in);
    }
    return unknown(c, "%s is known only once deployed", name);
}

/* The name CloudFormation gives resource id: its name property, or (when
 * it has none and CloudFormation makes one up) the logical id. */
static char *resource_name(struct cfn *c, const char *id)
{
    static const struct { const char *type, *prop; } NAMES[] = {
        { "AWS::Kinesis::Stream", "Name" }, { "AWS::DynamoDB::Table", "TableName" },
        { "AWS::Lambda::Function", "FunctionName" }, { "AWS::Serverless::Function", "FunctionName" },
        { "AWS::SQS::Queue", "QueueName" }, { "AWS::SNS::Topic", "TopicName" },
        { "AWS::Kinesis::StreamConsumer", "ConsumerName" },
    };
    const cJSON *r = get(c->resources, id);
    const cJSON *type = get(r, "Type");
    for (size_t i = 0; cJSON_IsString(type) && i < sizeof NAMES / sizeof NAMES[0]; i++) {
        const cJSON *p = get(get(r, "Properties"), NAMES[i].prop);
        if (strcmp(type->valuestring, NAMES[i].type) || !p)
            continue;
        char path[PATH_LEN];
        snprintf(path, sizeof path, "$.Resources.%s.Properties.%s", id, NAMES[i].prop);
        const char *saved = c->ref;
        cJSON *v = ev(c, p, path);
        c->ref = saved;
        char *s = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
        cJSON_Delete(v);
        if (s || c->bad)
            return s;
    }
    c->novalue = false;
    return strdup(id);
}

/* A resource's Type ("" when it has none). */
static const char *type_of(const cJSON *r)
{
    const cJSON *t = get(r, "Type");
    return cJSON_IsString(t) ? t->valuestring : "";
}

static const char *resource_type(const struct cfn *c, const char *id)
{
    return type_of(get(c->resources, id));
}

static cJSON *arn_of(struct cfn *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static cJSON *arn_of(struct cfn *c, const char *path, const char *fmt, ...)
{
    cJSON *region = pseudo(c, "AWS::Region", path), *account = pseudo(c, "AWS::AccountId", path);
    char rest[600], arn[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    char *at = strchr(rest, '@');   /* "kinesis@stream/x": service @ resource */
    cJSON *out = NULL;
    if (at && region && account) {
        *at = '\0';
        snprintf(arn, sizeof arn, "arn:aws:%s:%s:%s:%s", rest, region->valuestring,
                 account->valuestring, at + 1);
        out = cJSON_CreateString(arn);
    }
    cJSON_Delete(region);
    cJSON_Delete(account);
    return out;
}

#define NOT_DEPLOYED "the resource is not deployed (its Condition is false)"

/* A resource of the template that CloudFormation would not create. */
static bool not_deployed(const struct cfn *c, const char *id)
{
    return !get(c->resources, id) && get(c->all, id);
}

static cJSON *fn_ref(struct cfn *c, const cJSON *a, const char *path)
{
    if (!cJSON_IsString(a))
        return cfn_bad(c, path, "Ref takes a name, got %s", imp_kind(a));
    const char *name = a->valuestring;
    const cJSON *p = get(c->params, name);
    if (p) {
        const char *given = imp_parameter(c->im, name);
        const cJSON *def = get(p, "Default"), *type = get(p, "Type");
        if (!given && !def)
            return unknown(c, "the parameter %s has no Default (--parameter %s=VALUE gives it)",
                           name, name);
        cJSON *v = given ? cJSON_CreateString(given) : cJSON_Duplicate(def, true);
        if (v && cJSON_IsString(type) && !strcmp(type->valuestring, "Number")) {
            cJSON *n = imp_number(v);
            cJSON_Delete(v);
            v = n;
        }
        return v;
    }
    if (!strncmp(name, "AWS::", 5))
        return pseudo(c, name, path);
    if (not_deployed(c, name))
        return cfn_bad(c, path, "Ref %s: %s", name, NOT_DEPLOYED);
    if (get(c->resources, name)) {
        c->ref = get(c->resources, name)->string;
        const char *t = resource_type(c, name);
        char *n = resource_name(c, name);
        cJSON *v = NULL;
        if (!n)
            return NULL;
        if (!strcmp(t, "AWS::SNS::Topic"))
            v = arn_of(c, path, "sns@%s", n);
        else if (!strcmp(t, "AWS::Kinesis::StreamConsumer"))
            v = unknown(c, "Ref %s: a consumer's ARN holds its creation time", name);
        else if (!strcmp(t, "AWS::SQS::Queue"))
            v = unknown(c, "Ref %s: a queue's URL", name);
        else
            v = cJSON_CreateString(n);
        free(n);
        return v;
    }
    return cfn_bad(c, path, "Ref %s: no such parameter or resource", name);
}

static cJSON *fn_getatt(struct cfn *c, const cJSON *a, const char *path)
{
    const char *res = NULL;
    char attr[128], buf[256];
    if (cJSON_IsString(a) && strchr(a->valuestring, '.')) {   /* "Resource.Attribute" */
        snprintf(buf, sizeof buf, "%s", a->valuestring);
        char *dot = strchr(buf, '.');
        *dot = '\0';
        res = buf;
        snprintf(attr, sizeof attr, "%s", dot + 1);
    } else if (cJSON_IsArray(a) && cJSON_GetArraySize(a) == 2 && cJSON_IsString(a->child)) {
        res = a->child->valuestring;
        cJSON *at = ev(c, a->child->next, path);
        if (!cJSON_IsString(at)) {
            cJSON_Delete(at);
            return c->bad ? NULL : cfn_bad(c, path, "Fn::GetAtt takes [Resource, Attribute]");
        }
        snprintf(attr, sizeof attr, "%s", at->valuestring);
        cJSON_Delete(at);
    } else {
        return cfn_bad(c, path, "Fn::GetAtt takes [Resource, Attribute] or Resource.Attribute");
    }
    const cJSON *r = get(c->resources, res);
    if (!r)
        return cfn_bad(c, path, "Fn::GetAtt %s.%s: %s", res, attr,
                       not_deployed(c, res) ? NOT_DEPLOYED : "no such resource");
    c->ref = r->string;
    const char *t = resource_type(c, res);
    char *n = resource_name(c, res);
    if (!n)
        return NULL;
    cJSON *v = NULL;
    if (!strcmp(t, "AWS::Kinesis::Stream") && !strcmp(attr, "Arn"))
        v = arn_of(c, path, "kinesis@stream/%s", n);
    else if (!strcmp(t, "AWS::DynamoDB::Table") && !strcmp(attr, "Arn"))
        v = arn_of(c, path, "dynamodb@table/%s", n);
    else if (!strcmp(t, "AWS::DynamoDB::Table") && !strcmp(attr, "StreamArn"))
        v = arn_of(c, path, "dynamodb@table/%s/stream/LABEL", n);   /* the label: its creation time */
    else if ((!strcmp(t, "AWS::Lambda::Function") || !strcmp(t, "AWS::Serverless::Function")) &&
             !strcmp(attr, "Arn"))
        v = arn_of(c, path, "lambda@function:%s", n);
    else if (!strcmp(t, "AWS::SQS::Queue") && !strcmp(attr, "Arn"))
        v = arn_of(c, path, "sqs@%s", n);
    else if (!strcmp(t, "AWS::SQS::Queue") && !strcmp(attr, "QueueName"))
        v = cJSON_CreateString(n);
    else if (!strcmp(t, "AWS::SNS::Topic") && !strcmp(attr, "TopicArn"))
        v = arn_of(c, path, "sns@%s", n);
    else
        v = unknown(c, "Fn::GetAtt %s.%s is known only once deployed", res, attr);
    free(n);
    return v;
}

/* Fn::Sub "text ${Name} ${Res.Attr} ${!Literal}", or [text, {Name: value}]. */
static cJSON *fn_sub(struct cfn *c, const cJSON *a, const char *path)
{
    const cJSON *text = a, *vars = NULL;
    if (cJSON_IsArray(a)) {
        text = a->child;
        vars = text ? text->next : NULL;
        if (!cJSON_IsObject(vars) || vars->next)
            return cfn_bad(c, path, "Fn::Sub takes a string, or [string, {variables}]");
    }
    if (!cJSON_IsString(text))
        return cfn_bad(c, path, "Fn::Sub takes a string, or [string, {variables}]");
    size_t cap = strlen(text->valuestring) + 64, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = text->valuestring; *p;) {
        char *piece = NULL;
        size_t plen = 0;
        if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p, '}');
            if (!end) {
                free(out);
                return cfn_bad(c, path, "Fn::Sub: a ${ without its }");
            }
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(end - p - 2), p + 2);
            if (name[0] == '!') {
                size_t n = strlen(name);
                piece = malloc(n + 3);
                if (piece)
                    snprintf(piece, n + 3, "${%s}", name + 1);
            } else {
                const cJSON *var = get(vars, name);
                cJSON *v;
                if (var) {
                    v = ev(c, var, path);
                } else if (strchr(name, '.')) {
                    cJSON *arg = cJSON_CreateString(name);
                    v = arg ? fn_getatt(c, arg, path) : NULL;
                    cJSON_Delete(arg);
                } else {
                    cJSON *arg = cJSON_CreateString(name);
                    v = arg ? fn_ref(c, arg, path) : NULL;
                    cJSON_Delete(arg);
                }
                piece = v ? as_text(v) : NULL;
                cJSON_Delete(v);
                if (!piece) {
                    free(out);
                    return NULL;
                }
            }
            p = end + 1;
        } else {
            const char *next = strstr(p + 1, "${");
            plen = next ? (size_t)(next - p) : strlen(p);
            piece = strndup(p, plen);
            p += plen;
        }
        if (!piece) {
            free(out);
            return NULL;
        }
        plen = strlen(piece);
        if (len + plen + 1 > cap) {
            cap = 2 * (len + plen + 1);
            char *g = realloc(out, cap);
            if (!g) {
                free(piece);
                free(out);
                return NULL;
            }
            out = g;
        }
        memcpy(out + len, piece, plen);
        len += plen;
        free(piece);
    }
    out[len] = '\0';
    cJSON *v = cJSON_CreateString(out);
    free(out);
    return v;
}

static int condition(struct cfn *c, const cJSON *v, const char *path);

/* A condition by name, from the Conditions section: 1, 0, or -1 (unknown
 * or bad: c->bad says which). */
static int named_condition(struct cfn *c, const char *name, const char *path)
{
    const cJSON *def = get(c->conditions, name);
    if (!def) {
        cfn_bad(c, path, "no condition %s in Conditions", name);
        return -1;
    }
    char p[PATH_LEN];
    imp_path(p, sizeof p, "$.Conditions", name);
    return condition(c, def, p);
}

static int condition(struct cfn *c, const cJSON *v, const char *path)
{
    if (++c->depth > MAX_DEPTH) {
        c->depth--;
        cfn_bad(c, path, "conditions nested more than %d deep (one refers to itself?)", MAX_DEPTH);
        return -1;
    }
    int rc = -1;
    const cJSON *a = cJSON_IsObject(v) && v->child ? v->child : NULL;
    const char *f = a ? a->string : "";
    if (cJSON_IsBool(v)) {
        rc = cJSON_IsTrue(v);
    } else if (!strcmp(f, "Condition") && cJSON_IsString(a)) {
        rc = named_condition(c, a->valuestring, path);
    } else if (!strcmp(f, "Fn::Equals") && cJSON_GetArraySize(a) == 2) {
        cJSON *x = ev(c, a->child, path), *y = x ? ev(c, a->child->next, path) : NULL;
        char *tx = x ? as_text(x) : NULL, *ty = y ? as_text(y) : NULL;
        if (tx && ty)
            rc = !strcmp(tx, ty);
        else if (x && y)
            rc = cJSON_Compare(x, y, true);
        free(tx), free(ty);
        cJSON_Delete(x), cJSON_Delete(y);
    } else if (!strcmp(f, "Fn::Not") && cJSON_GetArraySize(a) == 1) {
        rc = condition(c, a->child, path);
        rc = rc < 0 ? rc : !rc;
    } else if ((!strcmp(f, "Fn::And") || !strcmp(f, "Fn::Or")) && cJSON_IsArray(a)) {
        bool and = !strcmp(f, "Fn::And");
        rc = and;
        const cJSON *x;
        cJSON_ArrayForEach(x, a) {
            int r = condition(c, x, path);
            if (r < 0) {
                rc = -1;
                break;
            }
            rc = and ? rc && r : rc || r;
        }
    } else {
        cfn_bad(c, path, "expected a condition: Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition");
    }
    c->depth--;
    return rc;
}

static cJSON *fn_if(struct cfn *c, const cJSON *a, const char *path)
{
    if (cJSON_GetArraySize(a) != 3 || !cJSON_IsString(a->child))
        return cfn_bad(c, path, "Fn::If takes [ConditionName, value if true, value if false]");
    int r = named_condition(c, a->child->valuestring, path);
    if (r < 0)
        return c->bad ? NULL : unknown(c, "the condition %s cannot be told from the template",
                                       a->child->valuestring);
    return ev(c, r ? a->child->next : a->child->next->next, path);
}

static cJSON *fn_join(struct cfn *c, const cJSON *a, const char *path)
{
    if (cJSON_GetArraySize(a) != 2 || !cJSON_IsString(a->child))
        return cfn_bad(c, path, "Fn::Join takes [delimiter, [values]]");
    cJSON *list = ev(c, a->child->next, path);
    if (!list)
        return NULL;
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(list);
        return cfn_bad(c, path, "Fn::Join takes [delimiter, [values]]");
    }
    size_t len = 1, dl = strlen(a->child->valuestring);
    const cJSON *x;
    cJSON_ArrayForEach(x, list) {
        char *t = as_text(x);
        len += (t ? strlen(t) : 0) + dl;
        free(t);
    }
    char *out = malloc(len);
    cJSON *v = NULL;
    if (out) {
        out[0] = '\0';
        bool ok = true;
        cJSON_ArrayForEach(x, list) {
            char *t = as_text(x);
            ok = ok && t;
            if (t) {
                if (x != list->child)
                    strcat(out, a->child->valuestring);
                strcat(out, t);
            }
            free(t);
        }
        v = ok ? cJSON_CreateString(out) : cfn_bad(c, path, "Fn::Join: a value that is not text");
        free(out);
    }
    cJSON_Delete(list);
    return v;
}

static cJSON *fn_select(struct cfn *c, const cJSON *a, const char *path)
{
    if (cJSON_GetArraySize(a) != 2)
        return cfn_bad(c, path, "Fn::Select takes [index, [values]]");
    cJSON *i = ev(c, a->child, path), *list = i ? ev(c, a->child->next, path) : NULL;
    cJSON *n = i ? imp_number(i) : NULL, *v = NULL;
    /* CloudFormation's index is a whole number from zero ("1.5" is no index, not 1) */
    char num[32];
    if (list && cJSON_IsNumber(n) && n->valuedouble != floor(n->valuedouble))
        v = cfn_bad(c, path, "Fn::Select: expected a whole number as the index, got %s",
                    fmt_number(n->valuedouble, num));
    else if (list && cJSON_IsNumber(n) && cJSON_IsArray(list) && n->valuedouble >= 0 &&
             n->valuedouble < cJSON_GetArraySize(list))
        v = cJSON_Duplicate(cJSON_GetArrayItem(list, (int)n->valuedouble), true);
    else if (list)
        v = cfn_bad(c, path, "Fn::Select: no such index");
    cJSON_Delete(i), cJSON_Delete(n), cJSON_Delete(list);
    return v;
}

static cJSON *fn_split(struct cfn *c, const cJSON *a, const char *path)
{
    if (cJSON_GetArraySize(a) != 2 || !cJSON_IsString(a->child) || !a->child->valuestring[0])
        return cfn_bad(c, path, "Fn::Split takes [delimiter, string]");
    cJSON *s = ev(c, a->child->next, path);
    if (!s)
        return NULL;
    if (!cJSON_IsString(s)) {
        cJSON_Delete(s);
        return cfn_bad(c, path, "Fn::Split takes [delimiter, string]");
    }
    cJSON *out = cJSON_CreateArray();
    const char *d = a->child->valuestring, *p = s->valuestring;
    for (;;) {
        const char *q = strstr(p, d);
        char *piece = strndup(p, q ? (size_t)(q - p) : strlen(p));
        cJSON_AddItemToArray(out, piece ? cJSON_CreateString(piece) : NULL);
        free(piece);
        if (!q)
            break;
        p = q + strlen(d);
    }
    cJSON_Delete(s);
    return out;
}

static cJSON *fn_findinmap(struct cfn *c, const cJSON *a, const char *path)
{
    if (cJSON_GetArraySize(a) < 3)
        return cfn_bad(c, path, "Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]");
    const cJSON *node = c->mappings;
    const cJSON *k = a->child;
    for (int i = 0; i < 3; i++, k = k->next) {
        cJSON *key = ev(c, k, path);
        if (!key)
            return NULL;
        char *t = as_text(key);
        cJSON_Delete(key);
        if (!t)
            return cfn_bad(c, path, "Fn::FindInMap: a key that is not text");
        node = get(node, t);
        free(t);
        if (!node)
            return cfn_bad(c, path, "Fn::FindInMap: no such key in Mappings");
    }
    return ev(c, node, path);
}

static cJSON *fn_base64(struct cfn *c, const cJSON *a, const char *path)
{
    return ev(c, a, path);   /* the text as it is: the function never sees the base64 */
}

/* The intrinsic functions computed from the template alone. */
static const struct {
    const char *name;
    cJSON *(*fn)(struct cfn *c, const cJSON *a, const char *path);
} FUNCTIONS[] = {
    { "Ref", fn_ref }, { "Fn::GetAtt", fn_getatt }, { "Fn::Sub", fn_sub }, { "Fn::If", fn_if },
    { "Fn::Join", fn_join }, { "Fn::Select", fn_select }, { "Fn::Split", fn_split },
    { "Fn::FindInMap", fn_findinmap }, { "Fn::Base64", fn_base64 },
};

static cJSON *call(struct cfn *c, const char *f, const cJSON *a, const char *path)
{
    for (size_t i = 0; i < sizeof FUNCTIONS / sizeof FUNCTIONS[0]; i++)
        if (!strcmp(f, FUNCTIONS[i].name))
            return FUNCTIONS[i].fn(c, a, path);
    return unknown(c, "%s is known only once deployed", f);
}

/* v with its intrinsic functions computed (a new value), or NULL: c->bad
 * (an error), c->novalue (AWS::NoValue: leave it out), else c->why.  An
 * object's member that cannot be computed is left out and recorded. */
static cJSON *ev(struct cfn *c, const cJSON *v, const char *path)
{
    if (c->bad)
        return NULL;
    if (++c->depth > MAX_DEPTH) {
        c->depth--;
        return cfn_bad(c, path, "nested more than %d deep", MAX_DEPTH);
    }
    cJSON *out = NULL;
    const char *f = intrinsic(v);
    c->novalue = false;
    if (f) {
        out = call(c, f, v->child, path);
    } else if (cJSON_IsObject(v)) {
        out = cJSON_CreateObject();
        const cJSON *m;
        cJSON_ArrayForEach(m, v) {
            char p[PATH_LEN];
            imp_path(p, sizeof p, path, m->string);
            cJSON *x = ev(c, m, p);
            if (c->bad)
                break;
            if (x) {
                cJSON_AddItemToObject(out, m->string, x);
            } else if (!c->novalue && c->n_left < 64) {
                if (c->n_left == c->cap_left) {
                    size_t cap = c->cap_left ? 2 * c->cap_left : 8;
                    void *g = realloc(c->left, cap * sizeof *c->left);
                    if (!g) {
                        imp_nomem(c->im);
                        c->bad = true;
                        break;
                    }
                    c->left = g;
                    c->cap_left = cap;
                }
                snprintf(c->left[c->n_left].path, PATH_LEN, "%s", p);
                snprintf(c->left[c->n_left].why, sizeof c->left[0].why, "%s", c->why);
                c->n_left++;
            }
        }
        c->novalue = false;
    } else if (cJSON_IsArray(v)) {
        out = cJSON_CreateArray();
        const cJSON *m;
        size_t i = 0;
        cJSON_ArrayForEach(m, v) {
            char p[PATH_LEN];
            cJSON *x = ev(c, m, imp_path_index(p, sizeof p, path, i++));
            if (!x && (c->bad || !c->novalue)) {
                cJSON_Delete(out);
                out = NULL;
                break;
            }
            if (x)
                cJSON_AddItemToArray(out, x);
        }
    } else {
        out = cJSON_Duplicate(v, true);
    }
    c->depth--;
    if (c->bad) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

/* The values left out since mark: listed as not mapped. */
static int report_left(struct cfn *c, size_t mark)
{
    for (size_t i = mark; i < c->n_left; i++) {
        char why[500];
        snprintf(why, sizeof why, "cannot be computed from the template (%s)", c->left[i].why);
        if (imp_unmapped(c->im, c->file, why, c->left[i].path) < 0)
            return -1;
    }
    c->n_left = mark;
    return 0;
}

/* ---- the template's mapping, stream and function ---------------------------------- */

/* The resource a value names: {"Ref": X}, {"Fn::GetAtt": [X, A]} or "X.A",
 * {"Fn::Sub": "${X.A}"} or "${X}"; NULL for anything else. */
static const char *referenced(const struct cfn *c, const cJSON *v)
{
    const char *f = intrinsic(v);
    const cJSON *a = f ? v->child : NULL;
    char id[256] = "";
    if (!f)
        return NULL;
    if (!strcmp(f, "Ref") && cJSON_IsString(a))
        snprintf(id, sizeof id, "%s", a->valuestring);
    else if (!strcmp(f, "Fn::GetAtt") && cJSON_GetArraySize(a) == 2 && cJSON_IsString(a->child))
        snprintf(id, sizeof id, "%s", a->child->valuestring);
    else if (!strcmp(f, "Fn::GetAtt") && cJSON_IsString(a))
        snprintf(id, sizeof id, "%.*s", (int)strcspn(a->valuestring, "."), a->valuestring);
    else if (!strcmp(f, "Fn::Sub") && cJSON_IsString(a) && !strncmp(a->valuestring, "${", 2) &&
             a->valuestring[strlen(a->valuestring) - 1] == '}')
        snprintf(id, sizeof id, "%.*s", (int)strcspn(a->valuestring + 2, ".}"), a->valuestring + 2);
    const cJSON *r = id[0] ? get(c->resources, id) : NULL;
    return r ? r->string : NULL;
}

static bool is_type(const struct cfn *c, const char *id, const char *type)
{
    return id && !strcmp(resource_type(c, id), type);
}

struct used {
    const char *ids[16];
    size_t n;
};

static void use(struct used *u, const char *id)
{
    if (u->n < 16)
        u->ids[u->n++] = id;
}

static bool was_used(const struct used *u, const char *id)
{
    for (size_t i = 0; i < u->n; i++)
        if (!strcmp(u->ids[i], id))
            return true;
    return false;
}

/* The Properties of resource id that are in used, evaluated (an empty
 * object when it has none); the others are not evaluated, so what only a
 * deployment knows about them says nothing. */
static cJSON *properties(struct cfn *c, const char *id, char path[PATH_LEN], const char *const *used)
{
    char base[PATH_LEN];
    imp_path(base, sizeof base, "$.Resources", id);
    imp_path(path, PATH_LEN, base, "Properties");
    const cJSON *p = get(get(c->resources, id), "Properties");
    if (p && !cJSON_IsObject(p))
        return cfn_bad(c, path, "expected an object, got %s", imp_kind(p));
    cJSON *some = cJSON_CreateObject();
    for (const char *const *k = used; some && *k; k++) {
        const cJSON *v = get(p, *k);
        if (v && !cJSON_AddItemToObject(some, *k, cJSON_Duplicate(v, true))) {
            cJSON_Delete(some);
            some = NULL;
        }
    }
    if (!some)
        return imp_nomem(c->im), c->bad = true, NULL;
    cJSON *out = ev(c, some, path);
    cJSON_Delete(some);
    return out;
}

/* The resource's own Properties, as written. */
static const cJSON *raw_properties(const struct cfn *c, const char *id)
{
    return get(get(c->resources, id), "Properties");
}

/* A name property, or the logical id when CloudFormation makes the name up. */
static int set_name(struct cfn *c, const char *spath, const cJSON *props, const char *key,
                    const char *id, const char *base)
{
    char path[PATH_LEN];
    const cJSON *v = get(props, key);
    if (v)
        return imp_set(c->im, spath, cJSON_Duplicate(v, true), IMP_TEMPLATE, c->file,
                       imp_path(path, sizeof path, base, key));
    imp_path(path, sizeof path, "$.Resources", id);
    if (imp_note(c->im, "%s: %s: no %s: CloudFormation makes the name up when it deploys; the logical "
                 "id %s stands for it", c->file, path, key, id) < 0)
        return -1;
    return imp_set(c->im, spath, cJSON_CreateString(id), IMP_TEMPLATE, c->file, path);
}

static int map_stream(struct cfn *c, const char *id)
{
    static const char *const used[] = { "Name", "ShardCount", "RetentionPeriodHours",
                                        "StreamModeDetails", NULL };
    char base[PATH_LEN], path[PATH_LEN];
    size_t mark = c->n_left;
    cJSON *p = properties(c, id, base, used);
    int rc = -1;
    const cJSON *v;
    if (!p)
        return -1;
    if (imp_set(c->im, "stream.type", cJSON_CreateString("kinesis"), IMP_TEMPLATE, c->file, base) < 0 ||
        set_name(c, "stream.name", p, "Name", id, base) < 0)
        goto out;
    if ((v = get(p, "ShardCount")) &&
        imp_set(c->im, "stream.shards", imp_number(v), IMP_TEMPLATE, c->file,
                imp_path(path, sizeof path, base, "ShardCount")) < 0)
        goto out;
    if ((v = get(p, "RetentionPeriodHours")) &&
        imp_stream_retention(c->im, c->file, imp_path(path, sizeof path, base, "RetentionPeriodHours"),
                             v, IMP_TEMPLATE) < 0)
        goto out;
    if ((v = get(p, "StreamModeDetails"))) {
        imp_path(path, sizeof path, base, "StreamModeDetails");
        if (imp_stream_mode(c->im, c->file, imp_path(path, sizeof path, path, "StreamMode"),
                            get(v, "StreamMode"), IMP_TEMPLATE) < 0)
            goto out;
    }
    rc = imp_rest_unmapped(c->im, c->file, base, raw_properties(c, id), used) || report_left(c, mark) ? -1 : 0;
out:
    cJSON_Delete(p);
    return rc;
}

static int map_table(struct cfn *c, const char *id)
{
    static const char *const used[] = { "TableName", "StreamSpecification", NULL };
    char base[PATH_LEN], path[PATH_LEN];
    size_t mark = c->n_left;
    cJSON *p = properties(c, id, base, used);
    int rc = -1;
    if (!p)
        return -1;
    const cJSON *view = get(get(p, "StreamSpecification"), "StreamViewType");
    imp_path(path, sizeof path, base, "StreamSpecification");
    if (imp_set(c->im, "stream.type", cJSON_CreateString("dynamodb"), IMP_TEMPLATE, c->file, base) < 0 ||
        set_name(c, "stream.table", p, "TableName", id, base) < 0 ||
        (view && imp_set(c->im, "stream.view_type", cJSON_Duplicate(view, true), IMP_TEMPLATE,
                         c->file, imp_path(path, sizeof path, path, "StreamViewType")) < 0))
        goto out;
    if (!view && imp_note(c->im, "%s: %s: no StreamViewType: the table has no stream", c->file,
                          path) < 0)
        goto out;
    rc = imp_rest_unmapped(c->im, c->file, base, raw_properties(c, id), used) || report_left(c, mark) ? -1 : 0;
out:
    cJSON_Delete(p);
    return rc;
}

/* An enhanced fan-out consumer and the stream it reads. */
static int map_consumer(struct cfn *c, const char *id, struct used *u)
{
    static const char *const used[] = { "StreamARN", "ConsumerName", NULL };
    static const char *const evaluated[] = { "StreamARN", NULL };
    static const char *const none[] = { NULL };
    char base[PATH_LEN], path[PATH_LEN];
    size_t mark = c->n_left;
    const cJSON *raw = get(raw_properties(c, id), "StreamARN");
    const char *sid = raw ? referenced(c, raw) : NULL;
    bool by_ref = is_type(c, sid, "AWS::Kinesis::Stream");
    cJSON *p = properties(c, id, base, by_ref ? none : evaluated);
    if (!p)
        return -1;
    imp_path(path, sizeof path, base, "StreamARN");
    const cJSON *arn = get(p, "StreamARN");
    char name[256];
    bool ddb, consumer;
    int rc = imp_set(c->im, "stream.consumer", cJSON_CreateString("efo"), IMP_TEMPLATE, c->file, base);
    if (!rc && by_ref) {
        use(u, sid);
        rc = map_stream(c, sid);
    } else if (!rc && cJSON_IsString(arn) &&
               imp_arn_stream(arn->valuestring, name, sizeof name, &ddb, &consumer) && !ddb) {
        rc = imp_set(c->im, "stream.type", cJSON_CreateString("kinesis"), IMP_TEMPLATE, c->file, path) ||
             imp_set(c->im, "stream.name", cJSON_CreateString(name), IMP_TEMPLATE, c->file, path);
    }
    rc = rc || imp_rest_unmapped(c->im, c->file, base, raw_properties(c, id), used) || report_left(c, mark) ? -1 : 0;
    cJSON_Delete(p);
    return rc;
}

/* The function; event: the SAM event that is the mapping (its other events are listed). */
static int map_function(struct cfn *c, const char *id, const char *event)
{
    static const char *const used[] = { "FunctionName", "Timeout", "MemorySize",
                                        "ReservedConcurrentExecutions", "Events", NULL };
    static const char *const evaluated[] = { "FunctionName", "Timeout", "MemorySize",
                                             "ReservedConcurrentExecutions", NULL };
    static const struct { const char *key, *spath; } SETTINGS[] = {
        { "Timeout", "function.timeout" }, { "MemorySize", "function.memory_mb" },
        { "ReservedConcurrentExecutions", "function.reserved_concurrency" },
    };
    char base[PATH_LEN], path[PATH_LEN];
    size_t mark = c->n_left;
    bool sam = is_type(c, id, "AWS::Serverless::Function");
    cJSON *p = properties(c, id, base, evaluated), *globals = NULL;
    int rc = -1;
    if (!p)
        return -1;
    if (sam && get(c->globals, "Function") &&
        !(globals = ev(c, get(c->globals, "Function"), "$.Globals.Function")))
        goto out;
    if (set_name(c, "function.name", p, "FunctionName", id, base) < 0)
        goto out;
    for (size_t i = 0; i < sizeof SETTINGS / sizeof SETTINGS[0]; i++) {
        const cJSON *v = get(p, SETTINGS[i].key);
        if (v)
            imp_path(path, sizeof path, base, SETTINGS[i].key);
        else if ((v = get(globals, SETTINGS[i].key)))   /* SAM: the function's own value wins */
            imp_path(path, sizeof path, "$.Globals.Function", SETTINGS[i].key);
        if (v && imp_set(c->im, SETTINGS[i].spath, imp_number(v), IMP_TEMPLATE, c->file, path) < 0)
            goto out;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, globals) {
        bool setting = false;
        for (size_t i = 0; i < sizeof SETTINGS / sizeof SETTINGS[0]; i++)
            setting |= !strcmp(e->string, SETTINGS[i].key);
        if (!setting && imp_unmapped(c->im, c->file, "not modelled",
                                     imp_path(path, sizeof path, "$.Globals.Function", e->string)) < 0)
            goto out;
    }
    imp_path(path, sizeof path, base, "Events");
    cJSON_ArrayForEach(e, get(raw_properties(c, id), "Events")) {
        char ep[PATH_LEN];
        if ((!event || strcmp(e->string, event)) &&
            imp_unmapped(c->im, c->file, "not the mapping imported", imp_path(ep, sizeof ep, path,
                                                                             e->string)) < 0)
            goto out;
    }
    rc = imp_rest_unmapped(c->im, c->file, base, raw_properties(c, id), used) || report_left(c, mark) ? -1 : 0;
out:
    cJSON_Delete(p);
    cJSON_Delete(globals);
    return rc;
}

/* A candidate mapping: an AWS::Lambda::EventSourceMapping, or a SAM event. */
struct cand {
    const char *id;             /* the mapping's logical id; the function's for a SAM event */
    const char *event;          /* the SAM event's name, or NULL */
    const cJSON *props;         /* the mapping's properties, as written */
    char path[PATH_LEN];        /* of props */
    const char *source_key;     /* "EventSourceArn", or SAM's "Stream" */
};

/* Is this mapping's source a stream (not a queue or a Kafka topic)? */
static bool reads_stream(struct cfn *c, const cJSON *props, const char *key)
{
    const cJSON *src = get(props, key);
    const char *id = src ? referenced(c, src) : NULL;
    if (id)
        return is_type(c, id, "AWS::Kinesis::Stream") || is_type(c, id, "AWS::DynamoDB::Table") ||
               is_type(c, id, "AWS::Kinesis::StreamConsumer");
    if (cJSON_IsString(src)) {
        char name[256];
        bool ddb, consumer;
        return imp_arn_stream(src->valuestring, name, sizeof name, &ddb, &consumer) != NULL;
    }
    return get(props, "StartingPosition") && !get(props, "Topics") && !get(props, "Queues");
}

static bool matches(const struct imp *im, const struct cand *k)
{
    const char *want = imp_selected_mapping(im);
    char both[520];
    snprintf(both, sizeof both, "%s.%s", k->id, k->event ? k->event : "");
    return !want || !strcmp(want, k->id) || (k->event && (!strcmp(want, k->event) ||
                                                          !strcmp(want, both)));
}

static int collect(struct cfn *c, struct cand *cands, size_t max, size_t *n)
{
    const cJSON *r;
    *n = 0;
    cJSON_ArrayForEach(r, c->resources) {
        char base[PATH_LEN];
        imp_path(base, sizeof base, "$.Resources", r->string);
        const cJSON *type = get(r, "Type");
        if (!cJSON_IsObject(r) || !cJSON_IsString(type)) {
            cfn_bad(c, base, "expected a resource: an object with a Type");
            return -1;
        }
        if (!strcmp(type->valuestring, "AWS::Lambda::EventSourceMapping")) {
            const cJSON *p = get(r, "Properties");
            if (reads_stream(c, p, "EventSourceArn") && *n < max) {
                struct cand *k = &cands[(*n)++];
                *k = (struct cand){ r->string, NULL, p, "", "EventSourceArn" };
                imp_path(k->path, sizeof k->path, base, "Properties");
            }
        } else if (!strcmp(type->valuestring, "AWS::Serverless::Function")) {
            const cJSON *e;
            char ep[PATH_LEN];
            imp_path(ep, sizeof ep, base, "Properties");
            imp_path(ep, sizeof ep, ep, "Events");
            cJSON_ArrayForEach(e, get(get(r, "Properties"), "Events")) {
                const cJSON *et = get(e, "Type");
                if (!cJSON_IsString(et) || (strcmp(et->valuestring, "Kinesis") &&
                                            strcmp(et->valuestring, "DynamoDB")) || *n >= max)
                    continue;
                struct cand *k = &cands[(*n)++];
                *k = (struct cand){ r->string, e->string, get(e, "Properties"), "", "Stream" };
                char p2[PATH_LEN];
                imp_path(p2, sizeof p2, ep, e->string);
                imp_path(k->path, sizeof k->path, p2, "Properties");
            }
        }
    }
    return 0;
}

/* The mapping k: its settings, the stream it reads, the function it invokes. */
static int map_mapping(struct cfn *c, const struct cand *k, struct used *u)
{
    static const char *const skip_esm[] = { "EventSourceArn", "FunctionName", NULL };
    static const char *const skip_sam[] = { "Stream", NULL };
    char path[PATH_LEN];
    size_t mark = c->n_left;
    if (!cJSON_IsObject(k->props)) {
        cfn_bad(c, k->path, "expected the mapping's properties (an object), got %s", imp_kind(k->props));
        return -1;
    }
    /* The stream: the resource the source names, or an ARN; the function:
     * the resource FunctionName names, or a name.  Those named by reference
     * are read from their resources, not from the ARNs made of them. */
    const cJSON *raw = get(k->props, k->source_key);
    const char *sid = raw ? referenced(c, raw) : NULL;
    const cJSON *fraw = k->event ? NULL : get(k->props, "FunctionName");
    const char *fid = k->event ? k->id : fraw ? referenced(c, fraw) : NULL;
    cJSON *props = cJSON_Duplicate(k->props, true);
    if (!props)
        return imp_nomem(c->im);
    if (sid)
        cJSON_DeleteItemFromObjectCaseSensitive(props, k->source_key);
    if (fid && fraw)
        cJSON_DeleteItemFromObjectCaseSensitive(props, "FunctionName");
    cJSON *p = ev(c, props, k->path);
    cJSON_Delete(props);
    if (!p)
        return -1;
    int rc = imp_mapping(c->im, c->file, k->path, p, false, IMP_TEMPLATE,
                         k->event ? skip_sam : skip_esm);
    imp_path(path, sizeof path, k->path, k->source_key);
    if (rc) {
    } else if (is_type(c, sid, "AWS::Kinesis::Stream")) {
        use(u, sid);
        rc = imp_set(c->im, "stream.consumer", cJSON_CreateString("shared"), IMP_TEMPLATE, c->file,
                     path) || map_stream(c, sid);
    } else if (is_type(c, sid, "AWS::DynamoDB::Table")) {
        use(u, sid);
        rc = map_table(c, sid);
    } else if (is_type(c, sid, "AWS::Kinesis::StreamConsumer")) {
        use(u, sid);
        rc = map_consumer(c, sid, u);
    } else if (cJSON_IsString(get(p, k->source_key))) {
        const cJSON *arn = get(p, k->source_key);
        rc = imp_set(c->im, "event_source_mapping.EventSourceArn", cJSON_Duplicate(arn, true),
                     IMP_TEMPLATE, c->file, path) ||
             imp_source_arn(c->im, arn->valuestring, IMP_TEMPLATE, c->file, path);
    } else if (raw) {
        rc = imp_unmapped(c->im, c->file, "the stream cannot be told from the template", path);
    }
    if (fid && !is_type(c, fid, "AWS::Lambda::Function") && !is_type(c, fid, "AWS::Serverless::Function"))
        fid = NULL;
    if (!rc && fid) {
        use(u, fid);
        rc = map_function(c, fid, k->event);
    } else if (!rc && cJSON_IsString(get(p, "FunctionName"))) {
        const cJSON *fn = get(p, "FunctionName");
        imp_path(path, sizeof path, k->path, "FunctionName");
        rc = (!strncmp(fn->valuestring, "arn:", 4) &&
              imp_set(c->im, "event_source_mapping.FunctionArn", cJSON_Duplicate(fn, true),
                      IMP_TEMPLATE, c->file, path)) ||
             imp_function_ref(c->im, fn->valuestring, IMP_TEMPLATE, c->file, path);
    }
    rc = rc || report_left(c, mark) ? -1 : 0;
    cJSON_Delete(p);
    return rc;
}

bool imp_cfn_detect(const cJSON *root)
{
    return cJSON_IsObject(root) && (get(root, "Resources") || get(root, "AWSTemplateFormatVersion"));
}

/* Without a mapping in the template: its only stream and only function, if any. */
static int map_alone(struct cfn *c, struct used *u)
{
    const char *stream = NULL, *function = NULL;
    size_t ns = 0, nf = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, c->resources) {   /* each one's type from r: by id it is a search */
        const char *type = type_of(r);
        if (!strcmp(type, "AWS::Kinesis::Stream") ||
            (!strcmp(type, "AWS::DynamoDB::Table") && get(get(r, "Properties"), "StreamSpecification")))
            stream = r->string, ns++;
        if (!strcmp(type, "AWS::Lambda::Function") || !strcmp(type, "AWS::Serverless::Function"))
            function = r->string, nf++;
    }
    imp_note(c->im, "%s: no event source mapping of a stream in the template%s", c->file,
             ns == 1 || nf == 1 ? ": its only stream and function are taken" : "");
    if (ns == 1) {
        use(u, stream);
        if ((is_type(c, stream, "AWS::Kinesis::Stream") ? map_stream(c, stream) : map_table(c, stream)) < 0)
            return -1;
    }
    if (nf == 1) {
        use(u, function);
        if (map_function(c, function, NULL) < 0)
            return -1;
    }
    return 0;
}

/*
 * The resources CloudFormation would create: those without a Condition, or
 * whose Condition is true (one the template alone cannot decide is taken as
 * true, and said).  References to the others' entries, not copies; NULL
 * when a Condition is malformed or names no condition (c->bad).
 */
static cJSON *deployed_resources(struct cfn *c)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *r;
    if (!out)
        return imp_nomem(c->im), c->bad = true, NULL;
    cJSON_ArrayForEach(r, c->all) {
        const cJSON *cond = get(r, "Condition");
        char path[PATH_LEN];
        int on = 1;
        imp_path(path, sizeof path, "$.Resources", r->string);
        imp_path(path, sizeof path, path, "Condition");
        if (cond && !cJSON_IsString(cond))
            cfn_bad(c, path, "expected the name of a condition, got %s", imp_kind(cond));
        else if (cond && (on = named_condition(c, cond->valuestring, path)) < 0 && !c->bad &&
                 imp_note(c->im, "%s: %s: the condition %s cannot be told from the template (%s): the "
                          "resource is taken as deployed", c->file, path, cond->valuestring, c->why) < 0)
            c->bad = true;
        if (c->bad || (on && !cJSON_AddItemReferenceToObject(out, r->string, (cJSON *)r))) {
            if (!c->bad)
                imp_nomem(c->im), c->bad = true;
            cJSON_Delete(out);
            return NULL;
        }
    }
    return out;
}

int imp_cfn_read(struct imp *im, const struct imp_file *f)
{
    struct cfn c = { .im = im, .file = f->path };
    const cJSON *root = f->root;
    cJSON *deployed = NULL;
    c.all = get(root, "Resources");
    c.params = get(root, "Parameters");
    c.conditions = get(root, "Conditions");
    c.mappings = get(root, "Mappings");
    c.globals = get(root, "Globals");
    struct cand cands[32];
    struct used u = { 0 };
    size_t n = 0, chosen = 0, matched = 0;
    int rc = -1;
    if (!cJSON_IsObject(c.all)) {
        cfn_bad(&c, "$.Resources", "expected an object of resources, got %s", imp_kind(c.all));
        goto out;
    }
    if (!(c.resources = deployed = deployed_resources(&c)) ||
        collect(&c, cands, sizeof cands / sizeof cands[0], &n) < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (matches(im, &cands[i]))
            chosen = matched++ ? chosen : i;
    const char *want = imp_selected_mapping(im);
    if (want && !matched) {   /* a mapping, or a SAM function "Function.Event", not created */
        char id[256];
        snprintf(id, sizeof id, "%.*s", (int)strcspn(want, "."), want);
        if (not_deployed(&c, id)) {
            imp_fail(im, "%s: --mapping %s: %s", f->path, want, NOT_DEPLOYED);
            goto out;
        }
    }
    if (matched > 1 || (want && n && !matched)) {
        char list[1024] = "";
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s%s%s", i ? ", " : "", cands[i].id,
                     cands[i].event ? "." : "", cands[i].event ? cands[i].event : "");
        }
        imp_fail(im, "%s: %s: name one with --mapping (the mappings of a stream: %s)", f->path,
                 matched ? "several mappings of a stream" : "no mapping matches --mapping", list);
        goto out;
    }
    if (matched) {
        if (!cands[chosen].event)
            use(&u, cands[chosen].id);
        if (map_mapping(&c, &cands[chosen], &u) < 0)
            goto out;
    } else if (map_alone(&c, &u) < 0) {
        goto out;
    }
    const cJSON *r, *next = c.resources->child;   /* the deployed are in c.all's order */
    cJSON_ArrayForEach(r, c.all) {
        char path[PATH_LEN], why[300], safe[FMT_TEXT_MAX];
        bool on = next && !strcmp(next->string, r->string);
        next = on ? next->next : next;
        if (was_used(&u, r->string))
            continue;
        snprintf(why, sizeof why, "%s (%s)", !on
                 ? "not deployed: its Condition is false" : "not part of the mapping",
                 fmt_text(type_of(r), safe, 100));
        if (imp_unmapped(im, f->path, why, imp_path(path, sizeof path, "$.Resources", r->string)) < 0)
            goto out;
    }
    rc = 0;
out:
    free(c.left);
    cJSON_Delete(deployed);
    return rc;
}
