/*
 * import.c - `esmsim import FILE... -o SCENARIO.json`: see import.h (SPEC
 * section 5, issue 14 item 1).
 *
 * Each file is read (JSON, or YAML when it does not start like JSON), its
 * format recognised from its content, and its reader sets values of the
 * scenario with where they came from.  The metric data comes last: it
 * fills what the others leave (traffic, durations, failures).  Then the
 * defaults import chooses, the description (every value's origin), and the
 * scenario loader itself checks the result: a value it refuses is reported
 * at the input file and path it came from, so the loader stays the one
 * place that knows what a scenario may hold.  Nothing is written unless all
 * of it passes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "errmsg.h"
#include "fileout.h"
#include "fmt.h"
#include "import.h"
#include "import_aws.h"
#include "import_cfn.h"
#include "import_set_impl.h"
#include "import_metrics.h"
#include "import_yaml.h"
#include "metricdata.h"
#include "scenario.h"


/* ---- reading the files ------------------------------------------------------ */

/* Does text start like JSON (after spaces; scn_read_text dropped a byte order mark)? */
static bool looks_like_json(const char *text)
{
    while (isspace((unsigned char)*text))
        text++;
    return *text == '{' || *text == '[';
}

/*
 * The first key given twice in an object within v, its object's path in
 * path (from v's, of size PATH_LEN): cJSON keeps both and finds the first,
 * so the second would be read by nobody (YAML's are refused as they are
 * read).  NULL when none.
 */
static const char *key_twice(const cJSON *v, char *path, bool *nomem)
{
    const cJSON *c;
    size_t i = 0, mark = strlen(path);
    const char *twice = scn_key_twice(v, nomem);
    if (twice || *nomem)
        return twice;
    cJSON_ArrayForEach(c, v) {
        if (cJSON_IsObject(v))
            imp_path(path, PATH_LEN, path, c->string);
        else
            imp_path_index(path, PATH_LEN, path, i++);
        if ((twice = key_twice(c, path, nomem)) || *nomem)
            return twice;
        path[mark] = '\0';
    }
    return NULL;
}

static int read_file(struct imp *im, struct imp_file *f)
{
    size_t len;
    char err[1024];
    char *text = scn_read_text(f->path, &len, err, sizeof err);
    if (!text)
        return imp_fail(im, "%s", err);
    if (looks_like_json(text)) {
        f->root = scn_json_parse(f->path, text, len, err, sizeof err);
        char path[PATH_LEN] = "$", safe[FMT_TEXT_MAX];
        bool nomem = false;
        const char *twice = f->root ? key_twice(f->root, path, &nomem) : NULL;
        if (twice || nomem) {
            snprintf(err, sizeof err, nomem ? "%s: out of memory" : "%s: %s: the key %s is given twice",
                     f->path, path, fmt_text(twice, safe, 200));
            cJSON_Delete(f->root);
            f->root = NULL;
        }
    } else {
        f->yaml = true;
        f->root = imp_yaml_parse(f->path, text, len, err, sizeof err);
        if (f->root && scn_json_check(f->path, f->root, err, sizeof err)) {   /* YAML's 1e400 */
            cJSON_Delete(f->root);
            f->root = NULL;
        }
    }
    free(text);
    return f->root ? 0 : imp_fail(im, "%s", err);
}

/* ---- what import chooses when no input says -------------------------------- */

/* A value import sets whatever an input said (a choice its note explains). */
static int replace_derived(struct imp *im, const char *spath, cJSON *value, const char *origin, ...)
    __attribute__((format(printf, 4, 5)));
static int replace_derived(struct imp *im, const char *spath, cJSON *value, const char *origin, ...)
{
    va_list ap;
    va_start(ap, origin);
    char *text = impi_vformat(origin, ap);
    va_end(ap);
    if (!text || !value) {
        free(text);
        cJSON_Delete(value);
        return imp_nomem(im);
    }
    return impi_put(im, spath, value, (struct impi_origin){ .text = text, .rank = IMP_DERIVED });
}

static bool is_true_string(const cJSON *v, const char *s)
{
    return cJSON_IsString(v) && !strcmp(v->valuestring, s);
}

static int finish_mapping(struct imp *im)
{
    const cJSON *start = imp_get(im, "event_source_mapping.StartingPosition");
    if (!imp_get(im, "event_source_mapping") &&
        imp_note(im, "no event source mapping among the inputs: the scenario has AWS's default "
                 "settings (give the output of aws lambda get-event-source-mapping, or a template)") < 0)
        return -1;
    const cJSON *enabled = imp_get(im, "event_source_mapping.Enabled");
    if (cJSON_IsFalse(enabled)) {   /* a run that processes nothing: said, whatever said it */
        char from[1024];
        impi_origin_words(impi_origin_of(im, "event_source_mapping.Enabled"), from, sizeof from);
        if (imp_note(im, "event_source_mapping.Enabled: false (%s): the mapping is disabled and never "
                     "polls; --set event_source_mapping.Enabled=true replays it enabled", from) < 0)
            return -1;
    }
    /* A replay starts with an empty stream, the mapping already reading it:
     * that is TRIM_HORIZON, whatever position the mapping was created with
     * (LATEST would miss the first minute, a past AT_TIMESTAMP means nothing). */
    if (start && !is_true_string(start, "TRIM_HORIZON")) {
        char was[64];
        impi_value_text(start, was, sizeof was);
        struct impi_origin *o = impi_origin_of(im, "event_source_mapping.StartingPosition");
        char from[1024];
        impi_origin_words(o, from, sizeof from);
        cJSON *esm = (cJSON *)imp_get(im, "event_source_mapping");
        cJSON_DeleteItemFromObjectCaseSensitive(esm, "StartingPositionTimestamp");
        if (imp_note(im, "event_source_mapping.StartingPosition: TRIM_HORIZON rather than %s (%s): "
                     "the scenario replays a mapping that is already reading, on a stream that starts "
                     "empty", was, from) < 0 ||
            replace_derived(im, "event_source_mapping.StartingPosition",
                            cJSON_CreateString("TRIM_HORIZON"), "TRIM_HORIZON rather than %s (%s): "
                            "a replay of a mapping already reading", was, from) < 0)
            return -1;
    } else if (!start && imp_set_derived(im, "event_source_mapping.StartingPosition",
                                         cJSON_CreateString("TRIM_HORIZON"),
                                         "no input gives it: a mapping already reading") < 0) {
        return -1;
    }
    return 0;
}

/* model.region and model.account from the function's ARN, else the stream's. */
static int finish_identity(struct imp *im)
{
    const struct impi_arn *a = im->function_arn.arn ? &im->function_arn : &im->stream_arn;
    char service[128], region[128], account[128];
    const char *res;
    if (!a->arn || !impi_arn_parts(a->arn, service, region, account, &res))
        return 0;
    return imp_set_derived_at(im, "model.region", cJSON_CreateString(region), a->file, a->ipath,
                              "the ARN at %s %s", a->file, a->ipath) ||
           imp_set_derived_at(im, "model.account", cJSON_CreateString(account), a->file, a->ipath,
                              "the ARN at %s %s", a->file, a->ipath)
           ? -1 : 0;
}

static int finish_defaults(struct imp *im)
{
    if (finish_mapping(im) < 0 || finish_identity(im) < 0)
        return -1;
    const cJSON *types = imp_get(im, "event_source_mapping.FunctionResponseTypes");
    bool rbif = false;
    const cJSON *t;
    cJSON_ArrayForEach(t, types)
        rbif |= is_true_string(t, "ReportBatchItemFailures");
    if (rbif && imp_get(im, "function.failures") &&
        imp_set_derived(im, "function.report", cJSON_CreateString("all-failures"),
                        "a choice: the mapping takes ReportBatchItemFailures, and the common way to "
                        "answer it is a batch processor that reports every failed record "
                        "(Powertools)") < 0)
        return -1;
    if (!imp_get(im, "duration") &&
        imp_set_derived(im, "duration", cJSON_CreateString("1h"),
                        "a choice: no metric data gives the time span") < 0)
        return -1;
    static const char *const names[] = { "function.name", "stream.name", "stream.table" };
    const cJSON *name = NULL;
    const struct impi_origin *from = NULL;
    for (size_t i = 0; i < 3 && !cJSON_IsString(name); i++) {
        name = imp_get(im, names[i]);
        from = impi_origin_of(im, names[i]);
    }
    bool named = cJSON_IsString(name);
    char buf[300];
    snprintf(buf, sizeof buf, "%s%simported", named ? name->valuestring : "", named ? "-" : "");
    /* a name the loader refuses (control characters, not UTF-8) is said where it was read */
    return imp_set_derived_at(im, "name", cJSON_CreateString(buf), named && from ? from->file : NULL,
                              named && from ? from->ipath : NULL, "the function's or the stream's name");
}

/* ---- the description ---------------------------------------------------------- */

/* Where a path's section comes in the scenario, for the description's order. */
static int section_order(const char *spath)
{
    static const char *const order[] = { "name", "duration", "model", "stream", "producers",
                                         "event_source_mapping", "function" };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        size_t n = strlen(order[i]);
        if (!strncmp(spath, order[i], n) && (spath[n] == '\0' || spath[n] == '.' || spath[n] == '['))
            return (int)i;
    }
    return 99;
}

struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (n >= 0 && b->len + (size_t)n + 1 > cap)
            cap *= 2;
        char *g = n >= 0 ? realloc(b->s, cap) : NULL;
        if (!g) {
            b->oom = true;
            va_end(ap);
            return;
        }
        b->s = g;
        b->cap = cap;
    }
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    va_end(ap);
}

static int describe(struct imp *im, const struct imp_file *files, size_t n_files)
{
    struct sbuf b = { 0 };
    char safe[FMT_TEXT_MAX];
    sb_add(&b, "Made by esmsim import from");
    for (size_t i = 0; i < n_files; i++)
        sb_add(&b, "%s %s", i ? "," : "", fmt_text(files[i].path, safe, 256));
    sb_add(&b, ". Where each value comes from:");
    size_t k = 0;
    for (int sec = 0; sec <= 99; sec++)
        for (size_t i = 0; i < im->n_o; i++) {
            const struct impi_origin *o = &im->o[i];
            if (section_order(o->spath) != sec || !strcmp(o->spath, "name"))
                continue;
            char words[FMT_TEXT_MAX];
            impi_origin_words(o, words, sizeof words);
            sb_add(&b, "%s %s: %s", k++ ? ";" : "", o->spath, fmt_text(words, safe, sizeof safe));
        }
    sb_add(&b, ". Everything else is esmsim's default (docs/scenario.md).");
    if (b.oom) {
        free(b.s);
        return imp_nomem(im);
    }
    cJSON *d = cJSON_CreateString(b.s);
    free(b.s);
    if (!d)
        return imp_nomem(im);
    cJSON_DeleteItemFromObjectCaseSensitive(im->scn, "description");
    cJSON_AddItemToObject(im->scn, "description", d);
    return 0;
}

/* ---- the scenario as a file ---------------------------------------------------- */

/* Keys of o in the order given, then the others as they came. */
static void reorder(cJSON *o, const char *const *keys)
{
    cJSON *items[64];
    size_t n = 0;
    if (!cJSON_IsObject(o))
        return;
    for (const char *const *k = keys; *k && n < 64; k++) {
        cJSON *item = cJSON_DetachItemFromObjectCaseSensitive(o, *k);
        if (item)
            items[n++] = item;
    }
    while (o->child && n < 64)   /* the others after them, as they came */
        items[n++] = cJSON_DetachItemViaPointer(o, o->child);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(o, items[i]);   /* an item keeps its key */
}

static void arrange(cJSON *scn)
{
    static const char *const top[] = { "name", "description", "seed", "duration", "stream",
                                       "producers", "event_source_mapping", "function", "model", NULL };
    static const char *const stream[] = { "type", "name", "table", "view_type", "capacity_mode",
                                          "shards", "retention", "consumer", "other_consumers", NULL };
    static const char *const function[] = { "name", "timeout", "memory_mb", "reserved_concurrency",
                                             "duration", "failures", "report", NULL };
    static const char *const model[] = { "start_time", "region", "account", NULL };
    reorder(scn, top);
    reorder(cJSON_GetObjectItemCaseSensitive(scn, "stream"), stream);
    reorder(cJSON_GetObjectItemCaseSensitive(scn, "function"), function);
    reorder(cJSON_GetObjectItemCaseSensitive(scn, "model"), model);
}

static void print_key(struct sbuf *b, const char *key)
{
    cJSON *k = cJSON_CreateString(key);
    char *t = k ? cJSON_PrintUnformatted(k) : NULL;
    if (t)
        sb_add(b, "%s: ", t);
    else
        b->oom = true;
    cJSON_free(t);
    cJSON_Delete(k);
}

/* JSON text for people: a value that fits on its line is written on it
 * (a rate series one point a line), the others indented by two. */
static void print_json(struct sbuf *b, const cJSON *v, int indent, bool flat)
{
    bool container = cJSON_IsArray(v) || cJSON_IsObject(v);
    char *t = !container || !flat ? cJSON_PrintUnformatted(v) : NULL;
    if (!container) {
        if (t)
            sb_add(b, "%s", t);
        b->oom |= !t;
        cJSON_free(t);
        return;
    }
    if (!flat) {
        b->oom |= !t;
        flat = !v->child || (t && strlen(t) + (size_t)indent <= 90);
        cJSON_free(t);
    }
    bool array = cJSON_IsArray(v);
    sb_add(b, "%c%s", array ? '[' : '{', flat ? "" : "\n");
    for (const cJSON *c = v->child; c; c = c->next) {
        if (!flat)
            sb_add(b, "%*s", indent + 2, "");
        if (!array)
            print_key(b, c->string);
        print_json(b, c, indent + 2, flat);
        sb_add(b, "%s", c->next ? (flat ? ", " : ",\n") : flat ? "" : "\n");
    }
    if (!flat)
        sb_add(b, "%*s", indent, "");
    sb_add(b, "%c", array ? ']' : '}');
}

/* The loader refused the scenario (msg, "OUT: $.path: what"): said at the
 * input file and path the value came from. */
static int refused(struct imp *im, const char *out, const char *msg)
{
    const char *p = msg;
    size_t n = strlen(out);
    if (!strncmp(p, out, n) && !strncmp(p + n, ": ", 2))
        p += n + 2;
    const char *colon = strstr(p, ": ");
    if (strncmp(p, "$.", 2) != 0 || !colon)
        return imp_fail(im, "%s: the scenario made from the inputs is refused: %s", out, p);
    char spath[512];
    snprintf(spath, sizeof spath, "%.*s", (int)(colon - p - 2), p + 2);
    const struct impi_origin *best = NULL;
    for (size_t i = 0; i < im->n_o; i++) {
        size_t k = strlen(im->o[i].spath);
        char next = spath[k];
        if (!strncmp(spath, im->o[i].spath, k) && (next == '\0' || next == '.' || next == '[') &&
            (!best || k > strlen(best->spath)))
            best = &im->o[i];
    }
    if (best && best->file && best->text)
        return imp_fail(im, "%s: %s: %s (the scenario's %s, made from it)", best->file, best->ipath,
                        colon + 2, spath);
    if (best && best->file)
        return imp_fail(im, "%s: %s%s: %s", best->file, best->ipath, spath + strlen(best->spath),
                        colon + 2);
    if (best)
        return imp_fail(im, "%s: $.%s: %s (import made the value from %s)", out, spath, colon + 2,
                        best->text);
    return imp_fail(im, "%s: the scenario made from the inputs is refused: %s", out, p);
}

static int validate(struct imp *im, const char *out)
{
    char *text = cJSON_PrintUnformatted(im->scn);
    if (!text)
        return imp_nomem(im);
    char err[2048];
    struct scenario *s = scn_parse(out, text, NULL, 0, err, sizeof err);
    cJSON_free(text);
    if (!s)
        return refused(im, out, err);
    scn_free(s);
    return 0;
}

/* ---- the command ---------------------------------------------------------------- */

/* The output must not be one of the inputs, nor what is not a regular file:
 * the temporary file would be renamed over it (as root, over /dev/null). */
static int output_not_input(struct imp *im, const char *output, const char *const *files,
                            size_t n_files)
{
    if (!strcmp(output, "-"))
        return 0;
    const char *kind = fileout_unfit(output);
    if (kind)
        return imp_fail(im, "-o %s: not a regular file (%s): -o - writes the scenario to standard "
                        "output", output, kind);
    for (size_t i = 0; i < n_files; i++)
        if (fileout_same(output, files[i]))
            return imp_fail(im, "-o %s: is the input %s: write the scenario to another file",
                            output, files[i]);
    return 0;
}

/* Read every file and give it to its reader; the metric data last. */
static int import_files(struct imp *im, struct imp_file *files, size_t n)
{
    struct mdata_set metrics = { 0 };
    char err[2048];
    size_t n_metrics = 0;
    int rc = -1;
    bool template = false;
    for (size_t i = 0; i < n; i++)
        if (read_file(im, &files[i]) < 0)
            goto out;
    for (size_t i = 0; i < n; i++) {
        const struct imp_file *f = &files[i];
        if (mdata_is(f->root)) {
            n_metrics++;
            if (mdata_add(&metrics, f->path, f->root, err, sizeof err) < 0) {
                imp_fail(im, "%s", err);
                goto out;
            }
        } else if (!f->yaml && imp_aws_detect(f->root)) {
            if (imp_aws_read(im, f) < 0)
                goto out;
        } else if (!f->yaml && imp_tf_detect(f->root)) {
            if (imp_tf_read(im, f) < 0)
                goto out;
        } else if (imp_cfn_detect(f->root)) {
            template = true;
            if (imp_cfn_read(im, f) < 0)
                goto out;
        } else if (cJSON_GetObjectItemCaseSensitive(f->root, "Datapoints")) {
            imp_fail(im, "%s: the output of aws cloudwatch get-metric-statistics (Label, Datapoints): "
                     "esmsim import reads aws cloudwatch get-metric-data (MetricDataResults; "
                     "examples/production/queries.json is a ready-made --metric-data-queries file)",
                     f->path);
            goto out;
        } else {
            imp_fail(im, "%s: not a format esmsim import knows: expected the JSON of an AWS CLI "
                     "command (lambda get-event-source-mapping, get-function-configuration, "
                     "get-function-concurrency, kinesis describe-stream-summary, dynamodbstreams "
                     "describe-stream, dynamodb describe-table, cloudwatch get-metric-data), a "
                     "CloudFormation or SAM template (JSON or YAML, with Resources), or terraform "
                     "show -json", f->path);
            goto out;
        }
    }
    if (!template && im->n_params) {   /* a --parameter nothing reads is a mistake said, not ignored */
        imp_fail(im, "--parameter %s: no template among the inputs (parameters are a template's)",
                 im->params[0]);
        goto out;
    }
    if (n_metrics) {
        if (mdata_finish(&metrics, err, sizeof err) < 0) {
            imp_fail(im, "%s", err);
            goto out;
        }
        if (imp_metrics_read(im, &metrics) < 0)
            goto out;
    }
    rc = 0;
out:
    mdata_free(&metrics);
    return rc;
}

/* A line on stderr: "esmsim import: " and the parts, which hold what the
 * inputs said (names, keys, values), so a control character is shown as
 * \xNN, never sent to the terminal. */
static void say(const char *a, const char *b, const char *c, const char *d, const char *e,
                const char *f)
{
    size_t len = strlen(a) + strlen(b) + strlen(c) + strlen(d) + strlen(e) + strlen(f) + 1;
    char *line = malloc(len), *safe = malloc(4 * len + 4);
    if (line && safe) {
        snprintf(line, len, "%s%s%s%s%s%s", a, b, c, d, e, f);
        fprintf(stderr, "esmsim import: %s\n", fmt_text(line, safe, 4 * len + 4));
    } else {
        fprintf(stderr, "esmsim import: out of memory\n");
    }
    free(line);
    free(safe);
}

int import_scenario(const char *const *paths, size_t n_files, const char *output,
                    const char *mapping, const char *const *params, size_t n_params)
{
    struct imp im = { .mapping = mapping, .params = params, .n_params = n_params };
    struct imp_file *files = NULL;
    struct sbuf text = { 0 };
    for (size_t i = 0; i < n_params; i++) {
        const char *eq = strchr(params[i], '=');
        if (!eq || eq == params[i]) {
            fprintf(stderr, "esmsim import: --parameter: expected NAME=VALUE, got \"%s\"\n",
                    params[i]);
            return ERRMSG_BAD_INPUT;
        }
    }
    int rc = ERRMSG_BAD_INPUT;
    if (!(im.scn = cJSON_CreateObject()) || !(files = calloc(n_files, sizeof *files))) {
        imp_nomem(&im);
        goto fail;
    }
    for (size_t i = 0; i < n_files; i++)
        files[i].path = paths[i];
    if (output_not_input(&im, output, paths, n_files) < 0 || import_files(&im, files, n_files) < 0 ||
        finish_defaults(&im) < 0 || describe(&im, files, n_files) < 0)
        goto fail;
    arrange(im.scn);
    const char *out_name = strcmp(output, "-") ? output : "SCENARIO";
    if (validate(&im, out_name) < 0)
        goto fail;
    print_json(&text, im.scn, 0, false);
    sb_add(&text, "\n");
    if (text.oom) {
        imp_nomem(&im);
        goto fail;
    }
    for (size_t i = 0; i < im.n_notes; i++)
        say("note: ", im.notes[i], "", "", "", "");
    for (size_t i = 0; i < im.n_u; i++)
        say("not mapped: ", im.u[i].file, ": ", im.u[i].why, ": ", im.u[i].paths);
    char err[1024];
    if (fileout_write(output, text.s, err, sizeof err) < 0) {
        fprintf(stderr, "esmsim import: %s\n", err);
        rc = ERRMSG_FAILED;
        goto out;
    }
    if (strcmp(output, "-"))
        printf("wrote %s\n", output);
    rc = 0;
    goto out;
fail:
    say("", im.err, "", "", "", "");
out:
    for (size_t i = 0; files && i < n_files; i++)
        cJSON_Delete(files[i].root);
    free(files);
    free(text.s);
    impi_free(&im);
    return rc;
}
