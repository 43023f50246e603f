/*
 * import_cfn_eval.c - a CloudFormation template evaluated for `esmsim
 * import` (import_cfn_eval.h, issue 14 item 1).
 *
 * Intrinsic functions are computed as CloudFormation would where the
 * template alone says: Ref (parameters with their Default or --parameter,
 * resources, pseudo parameters), Fn::GetAtt of the ARNs, Fn::Sub, Fn::Join,
 * Fn::Select, Fn::Split, Fn::If with the Conditions, Fn::FindInMap,
 * Fn::Base64.  What only a deployment knows (Fn::ImportValue, Fn::GetAZs, an
 * attribute such as a generated name) leaves the value unmapped, listed with
 * its path.  The Conditions also decide which resources are deployed.  The
 * functions and the conditions are one recursion (Fn::If asks a condition,
 * Fn::Equals computes its operands, Ref a resource's name property), hence
 * one file.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fmt.h"
#include "import_cfn_eval.h"

#define MAX_DEPTH 200     /* nesting of intrinsic functions and conditions */

cJSON *cfn_bad(struct cfn *c, const char *path, const char *fmt, ...)
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

const cJSON *cfn_get(const cJSON *o, const char *key)
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

/* The resource a value names: {"Ref": X}, {"Fn::GetAtt": [X, A]} or "X.A",
 * {"Fn::Sub": "${X.A}"} or "${X}"; NULL for anything else. */
const char *cfn_referenced(const struct cfn *c, const cJSON *v)
{
    const char *f = intrinsic(v);
    const cJSON *a = f ? v->child : NULL;
    const char *name = NULL;
    size_t n = 0;
    if (!f)
        return NULL;
    if (!strcmp(f, "Ref") && cJSON_IsString(a))
        n = strlen(name = a->valuestring);
    else if (!strcmp(f, "Fn::GetAtt") && cJSON_GetArraySize(a) == 2 && cJSON_IsString(a->child))
        n = strlen(name = a->child->valuestring);
    else if (!strcmp(f, "Fn::GetAtt") && cJSON_IsString(a))
        n = strcspn(name = a->valuestring, ".");
    else if (!strcmp(f, "Fn::Sub") && cJSON_IsString(a) && !strncmp(a->valuestring, "${", 2) &&
             a->valuestring[strlen(a->valuestring) - 1] == '}')
        n = strcspn(name = a->valuestring + 2, ".}");
    if (n == 0 || n > CFN_ID_MAX)   /* a longer name is no resource's: not cut to one's */
        return NULL;
    char id[CFN_ID_MAX + 1];
    snprintf(id, sizeof id, "%.*s", (int)n, name);
    const cJSON *r = cfn_get(c->resources, id);
    return r ? r->string : NULL;
}

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
        { "AWS::DynamoDB::GlobalTable", "TableName" },
        { "AWS::Lambda::Function", "FunctionName" }, { "AWS::Serverless::Function", "FunctionName" },
        { "AWS::SQS::Queue", "QueueName" }, { "AWS::SNS::Topic", "TopicName" },
        { "AWS::Kinesis::StreamConsumer", "ConsumerName" },
    };
    const cJSON *r = cfn_get(c->resources, id);
    const cJSON *type = cfn_get(r, "Type");
    for (size_t i = 0; cJSON_IsString(type) && i < sizeof NAMES / sizeof NAMES[0]; i++) {
        const cJSON *p = cfn_get(cfn_get(r, "Properties"), NAMES[i].prop);
        if (strcmp(type->valuestring, NAMES[i].type) || !p)
            continue;
        char path[PATH_LEN];
        imp_path(path, sizeof path, "$.Resources", id);
        imp_path(path, sizeof path, path, "Properties");
        imp_path(path, sizeof path, path, NAMES[i].prop);
        cJSON *v = cfn_ev(c, p, path);
        char *s = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
        cJSON_Delete(v);
        if (s || c->bad)
            return s;
    }
    c->novalue = false;
    return strdup(id);
}

const char *cfn_named(struct cfn *c, const char *type, const char *name)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, c->resources) {
        if (strcmp(cfn_type_of(r), type))
            continue;
        char *n = resource_name(c, r->string);
        bool same = n && !strcmp(n, name);
        free(n);
        if (c->bad || same)
            return c->bad ? NULL : r->string;
    }
    return NULL;
}

/* A resource's Type ("" when it has none). */
const char *cfn_type_of(const cJSON *r)
{
    const cJSON *t = cfn_get(r, "Type");
    return cJSON_IsString(t) ? t->valuestring : "";
}

static const char *resource_type(const struct cfn *c, const char *id)
{
    return cfn_type_of(cfn_get(c->resources, id));
}

bool cfn_is_type(const struct cfn *c, const char *id, const char *type)
{
    return id && !strcmp(resource_type(c, id), type);
}

bool cfn_is_table(const struct cfn *c, const char *id)
{
    return cfn_is_type(c, id, "AWS::DynamoDB::Table") || cfn_is_type(c, id, "AWS::DynamoDB::GlobalTable");
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

/* A resource of the template that CloudFormation would not create. */
bool cfn_not_deployed(const struct cfn *c, const char *id)
{
    return !cfn_get(c->resources, id) && cfn_get(c->all, id);
}

/* Is parameter p of Type Number, or a list (CommaDelimitedList, List<...>)? */
static bool param_type(const cJSON *p, const char *what)
{
    const cJSON *t = cfn_get(p, "Type");
    if (!cJSON_IsString(t))
        return false;
    if (!strcmp(what, "list"))
        return !strcmp(t->valuestring, "CommaDelimitedList") || !strncmp(t->valuestring, "List<", 5);
    return !strcmp(t->valuestring, what);
}

/* Text split at its commas, each member trimmed of spaces: a list
 * parameter's value as Ref gives it ("a, b" is ["a", "b"]). */
static cJSON *comma_list(const char *text)
{
    cJSON *out = cJSON_CreateArray();
    for (const char *p = text; out;) {
        size_t n = strcspn(p, ",");
        const char *start = p, *end = p + n;
        while (start < end && *start == ' ')
            start++;
        while (end > start && end[-1] == ' ')
            end--;
        char *piece = strndup(start, (size_t)(end - start));
        cJSON *item = piece ? cJSON_CreateString(piece) : NULL;
        free(piece);
        if (!item || !cJSON_AddItemToArray(out, item)) {
            cJSON_Delete(item);
            cJSON_Delete(out);
            return NULL;
        }
        if (!p[n])
            break;
        p += n + 1;
    }
    return out;
}

/* Parameter name's value (declared as p) as CloudFormation passes it:
 * --parameter, else its Default (neither: NULL, c->why); a Number as a
 * number, a list as the list of its members. */
static cJSON *parameter_value(struct cfn *c, const char *name, const cJSON *p)
{
    const char *given = imp_parameter(c->im, name);
    const cJSON *def = cfn_get(p, "Default");
    if (!given && !def)
        return unknown(c, "the parameter %s has no Default (--parameter %s=VALUE gives it)", name,
                       name);
    const char *text = given ? given : cJSON_IsString(def) ? def->valuestring : NULL;
    if (text && param_type(p, "list"))
        return comma_list(text);
    cJSON *v = given ? cJSON_CreateString(given) : cJSON_Duplicate(def, true);
    if (v && param_type(p, "Number")) {
        cJSON *n = imp_number(v);
        cJSON_Delete(v);
        v = n;
    }
    return v;
}

/* Every --parameter names a parameter of the template, or a pseudo parameter. */
static int check_given(struct cfn *c)
{
    char names[300] = "", at[PATH_LEN];
    const cJSON *p;
    cJSON_ArrayForEach(p, c->params) {
        size_t len = strlen(names);
        snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", p->string);
    }
    const char *given;
    for (size_t i = 0; (given = imp_parameter_given(c->im, i)); i++) {
        char *name = strndup(given, strcspn(given, "="));
        if (!name)
            return imp_nomem(c->im);
        bool known = !strncmp(name, "AWS::", 5) || cfn_get(c->params, name);
        snprintf(at, sizeof at, "--parameter %s", given);
        if (!known)
            cfn_bad(c, at, "the template has no parameter %s (its parameters: %s)", name,
                    names[0] ? names : "none");
        free(name);
        if (!known)
            return -1;
    }
    return 0;
}

/* Parameter p's value, text (--parameter's, or its Default's), at path at:
 * a number for a Number, one of its AllowedValues when it has them. */
static int check_value(struct cfn *c, const cJSON *p, const char *text, const char *at)
{
    char allowed[PATH_LEN], list[300] = "";
    if (param_type(p, "Number")) {
        char *end;
        strtod(text, &end);
        if (!text[0] || *end) {
            cfn_bad(c, at, "expected a number (the parameter's Type is Number)");
            return -1;
        }
    }
    const cJSON *av = cfn_get(p, "AllowedValues"), *x;
    if (!cJSON_IsArray(av) || param_type(p, "list"))
        return 0;
    bool ok = false;
    cJSON_ArrayForEach(x, av) {
        char *t = as_text(x);
        size_t len = strlen(list);
        ok |= t && !strcmp(t, text);
        snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", t ? t : "?");
        free(t);
    }
    if (ok)
        return 0;
    imp_path(allowed, sizeof allowed, "$.Parameters", p->string);
    imp_path(allowed, sizeof allowed, allowed, "AllowedValues");
    cfn_bad(c, at, "expected one of the parameter's AllowedValues (%s): %s", allowed, list);
    return -1;
}

int cfn_check_parameters(struct cfn *c)
{
    const cJSON *p;
    if (check_given(c) < 0)
        return -1;
    cJSON_ArrayForEach(p, c->params) {
        char at[PATH_LEN];
        const char *value = imp_parameter(c->im, p->string);
        const cJSON *def = cfn_get(p, "Default");
        char *text = value ? strdup(value) : def ? as_text(def) : NULL;
        if (value) {
            snprintf(at, sizeof at, "--parameter %s=%s", p->string, value);
        } else {
            imp_path(at, sizeof at, "$.Parameters", p->string);
            imp_path(at, sizeof at, at, "Default");
        }
        int rc = text ? check_value(c, p, text, at) : 0;
        free(text);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Ref of an alias: its ARN, of the function fn (its name or ARN, computed)
 * and the alias's name alias; what names the alias, for a message. */
static cJSON *alias_arn(struct cfn *c, const cJSON *fn, const cJSON *alias, const char *what,
                        const char *path)
{
    if (c->bad)
        return NULL;
    if (!cJSON_IsString(fn) || !cJSON_IsString(alias))
        return unknown(c, "Ref %s: the alias's function or name cannot be told from the template",
                       what);
    char *f = imp_function_name(fn->valuestring);
    cJSON *v = f ? arn_of(c, path, "lambda@function:%s:%s", f, alias->valuestring) : NULL;
    free(f);
    return v;
}

/* Ref of an AWS::Lambda::Alias id: FunctionName's function, Name. */
static cJSON *ref_alias(struct cfn *c, const char *id, const char *path)
{
    char at[PATH_LEN], fp[PATH_LEN], np[PATH_LEN];
    imp_path(at, sizeof at, "$.Resources", id);
    imp_path(at, sizeof at, at, "Properties");
    const cJSON *props = cfn_get(cfn_get(c->resources, id), "Properties");
    cJSON *fn = cfn_ev(c, cfn_get(props, "FunctionName"), imp_path(fp, sizeof fp, at, "FunctionName"));
    cJSON *name = fn ? cfn_ev(c, cfn_get(props, "Name"), imp_path(np, sizeof np, at, "Name")) : NULL;
    cJSON *v = alias_arn(c, fn, name, id, path);
    cJSON_Delete(fn), cJSON_Delete(name);
    return v;
}

/* SAM's "Function.Alias": the alias AutoPublishAlias makes, when name is
 * one; NULL otherwise (*sam false), or when it cannot be told. */
static cJSON *ref_sam_alias(struct cfn *c, const char *name, const char *path, bool *sam)
{
    const char *dot = strrchr(name, '.');
    char *id = dot && !strcmp(dot, ".Alias") ? strndup(name, (size_t)(dot - name)) : NULL;
    const cJSON *auto_alias = cfn_get(cfn_get(cfn_get(c->resources, id), "Properties"),
                                      "AutoPublishAlias");
    *sam = id && cfn_is_type(c, id, "AWS::Serverless::Function") && auto_alias;
    cJSON *v = NULL;
    if (*sam) {
        char at[PATH_LEN];
        imp_path(at, sizeof at, "$.Resources", id);
        imp_path(at, sizeof at, at, "Properties");
        char *fname = resource_name(c, id);
        cJSON *fn = fname ? cJSON_CreateString(fname) : NULL;
        cJSON *alias = fn ? cfn_ev(c, auto_alias, imp_path(at, sizeof at, at, "AutoPublishAlias")) : NULL;
        v = alias_arn(c, fn, alias, name, path);
        free(fname);
        cJSON_Delete(fn), cJSON_Delete(alias);
    }
    free(id);
    return v;
}

static cJSON *fn_ref(struct cfn *c, const cJSON *a, const char *path)
{
    if (!cJSON_IsString(a))
        return cfn_bad(c, path, "Ref takes a name, got %s", imp_kind(a));
    const char *name = a->valuestring;
    const cJSON *p = cfn_get(c->params, name);
    if (p)
        return parameter_value(c, name, p);
    if (!strncmp(name, "AWS::", 5))
        return pseudo(c, name, path);
    if (cfn_not_deployed(c, name))
        return cfn_bad(c, path, "Ref %s: %s", name, CFN_NOT_DEPLOYED);
    if (cfn_get(c->resources, name)) {
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
        else if (!strcmp(t, "AWS::Lambda::Alias"))
            v = ref_alias(c, name, path);
        else
            v = cJSON_CreateString(n);
        free(n);
        return v;
    }
    bool sam;
    cJSON *v = ref_sam_alias(c, name, path, &sam);
    if (sam)
        return v;
    return cfn_bad(c, path, "Ref %s: no such parameter or resource", name);
}

/* Attribute attr of resource res: Fn::GetAtt once its arguments are read. */
static cJSON *attribute(struct cfn *c, const char *res, const char *attr, const char *path)
{
    const cJSON *r = cfn_get(c->resources, res);
    if (!r)
        return cfn_bad(c, path, "Fn::GetAtt %s.%s: %s", res, attr,
                       cfn_not_deployed(c, res) ? CFN_NOT_DEPLOYED : "no such resource");
    const char *t = resource_type(c, res);
    char *n = resource_name(c, res);
    if (!n)
        return NULL;
    cJSON *v = NULL;
    if (!strcmp(t, "AWS::Kinesis::Stream") && !strcmp(attr, "Arn"))
        v = arn_of(c, path, "kinesis@stream/%s", n);
    else if (cfn_is_table(c, res) && !strcmp(attr, "Arn"))
        v = arn_of(c, path, "dynamodb@table/%s", n);
    else if (cfn_is_table(c, res) && !strcmp(attr, "StreamArn"))
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

static cJSON *fn_getatt(struct cfn *c, const cJSON *a, const char *path)
{
    char attr[128];
    if (cJSON_IsString(a) && strchr(a->valuestring, '.')) {   /* "Resource.Attribute" */
        /* the name whole, however long (in a buffer of 256 a longer one lost its '.') */
        const char *dot = strchr(a->valuestring, '.');
        char *res = strndup(a->valuestring, (size_t)(dot - a->valuestring));
        if (!res)
            return imp_nomem(c->im), c->bad = true, NULL;
        snprintf(attr, sizeof attr, "%s", dot + 1);
        cJSON *v = attribute(c, res, attr, path);
        free(res);
        return v;
    }
    if (cJSON_IsArray(a) && cJSON_GetArraySize(a) == 2 && cJSON_IsString(a->child)) {
        cJSON *at = cfn_ev(c, a->child->next, path);
        if (!cJSON_IsString(at)) {
            cJSON_Delete(at);
            return c->bad ? NULL : cfn_bad(c, path, "Fn::GetAtt takes [Resource, Attribute]");
        }
        snprintf(attr, sizeof attr, "%s", at->valuestring);
        cJSON_Delete(at);
        return attribute(c, a->child->valuestring, attr, path);
    }
    return cfn_bad(c, path, "Fn::GetAtt takes [Resource, Attribute] or Resource.Attribute");
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
            char *name = strndup(p + 2, (size_t)(end - p - 2));   /* whole: a cut one names another */
            if (!name) {
                free(out);
                return imp_nomem(c->im), c->bad = true, NULL;
            }
            if (name[0] == '!') {
                size_t n = strlen(name);
                piece = malloc(n + 3);
                if (piece)
                    snprintf(piece, n + 3, "${%s}", name + 1);
            } else {
                const cJSON *var = cfn_get(vars, name);
                cJSON *v;
                if (var) {
                    v = cfn_ev(c, var, path);
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
                    free(name);
                    free(out);
                    return NULL;
                }
            }
            free(name);
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
    const cJSON *def = cfn_get(c->conditions, name);
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
        cJSON *x = cfn_ev(c, a->child, path), *y = x ? cfn_ev(c, a->child->next, path) : NULL;
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

/*
 * The resources CloudFormation would create: those without a Condition, or
 * whose Condition is true (one the template alone cannot decide is taken as
 * true, and said).  References to the others' entries, not copies; NULL
 * when a Condition is malformed or names no condition, or a logical id is
 * longer than CloudFormation takes (c->bad).
 */
cJSON *cfn_deployed_resources(struct cfn *c)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *r;
    if (!out)
        return imp_nomem(c->im), c->bad = true, NULL;
    cJSON_ArrayForEach(r, c->all) {
        const cJSON *cond = cfn_get(r, "Condition");
        char at[PATH_LEN], path[PATH_LEN];
        int on = 1;
        imp_path(at, sizeof at, "$.Resources", r->string);
        imp_path(path, sizeof path, at, "Condition");
        if (strlen(r->string) > CFN_ID_MAX)
            cfn_bad(c, at, "expected a logical id of at most %d characters (CloudFormation's limit), "
                    "got one of %zu", CFN_ID_MAX, strlen(r->string));
        else if (cond && !cJSON_IsString(cond))
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

static cJSON *fn_if(struct cfn *c, const cJSON *a, const char *path)
{
    if (cJSON_GetArraySize(a) != 3 || !cJSON_IsString(a->child))
        return cfn_bad(c, path, "Fn::If takes [ConditionName, value if true, value if false]");
    int r = named_condition(c, a->child->valuestring, path);
    if (r < 0)
        return c->bad ? NULL : unknown(c, "the condition %s cannot be told from the template",
                                       a->child->valuestring);
    return cfn_ev(c, r ? a->child->next : a->child->next->next, path);
}

static cJSON *fn_join(struct cfn *c, const cJSON *a, const char *path)
{
    if (cJSON_GetArraySize(a) != 2 || !cJSON_IsString(a->child))
        return cfn_bad(c, path, "Fn::Join takes [delimiter, [values]]");
    cJSON *list = cfn_ev(c, a->child->next, path);
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
    cJSON *i = cfn_ev(c, a->child, path), *list = i ? cfn_ev(c, a->child->next, path) : NULL;
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
    cJSON *s = cfn_ev(c, a->child->next, path);
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
        cJSON *key = cfn_ev(c, k, path);
        if (!key)
            return NULL;
        char *t = as_text(key);
        cJSON_Delete(key);
        if (!t)
            return cfn_bad(c, path, "Fn::FindInMap: a key that is not text");
        node = cfn_get(node, t);
        free(t);
        if (!node)
            return cfn_bad(c, path, "Fn::FindInMap: no such key in Mappings");
    }
    return cfn_ev(c, node, path);
}

static cJSON *fn_base64(struct cfn *c, const cJSON *a, const char *path)
{
    return cfn_ev(c, a, path);   /* the text as it is: the function never sees the base64 */
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
cJSON *cfn_ev(struct cfn *c, const cJSON *v, const char *path)
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
            cJSON *x = cfn_ev(c, m, p);
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
            cJSON *x = cfn_ev(c, m, imp_path_index(p, sizeof p, path, i++));
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
int cfn_report_left(struct cfn *c, size_t mark)
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
