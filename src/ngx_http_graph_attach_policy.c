
/*
 * Copyright (C) graph-attach authors
 *
 * Attachment policy: which mailboxes, which content types, which
 * extensions, and whether the bytes agree with what the upload declares.
 * The directives' setters live here with the checks that read them.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_writer.h"
#include "ga_encoded_word.h"
#include "ga_ext.h"
#include "ga_mailbox.h"
#include "ga_name.h"
#include "ga_sniff.h"
#include "ga_type.h"


typedef struct {
    ngx_str_t        name;       /* exact, compared case-insensitively */
#if (NGX_PCRE)
    ngx_regex_t     *regex;
#endif
} ngx_http_graph_attach_mailbox_t;


static ngx_int_t ngx_http_graph_attach_denied_extension(
    ngx_http_graph_attach_loc_conf_t *alcf, ga_ext_t *ext, int n);
static ngx_int_t ngx_http_graph_attach_type_allowed(
    ngx_http_graph_attach_loc_conf_t *alcf, ngx_str_t *type, ga_ext_t *ext,
    int n);
static ngx_int_t ngx_http_graph_attach_extension_allowed(
    ngx_http_graph_attach_loc_conf_t *alcf, ga_ext_t *ext, int n);
static ngx_int_t ngx_http_graph_attach_content_agrees(
    ngx_http_graph_attach_attachment_t *a, ga_ext_t *ext, int n,
    ngx_log_t *log);


char *
ngx_http_graph_attach_mailboxes(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_graph_attach_loc_conf_t *alcf = conf;

    ngx_str_t                        *value;
    ngx_uint_t                        i;
    ngx_http_graph_attach_mailbox_t  *mb;
#if (NGX_PCRE)
    ngx_regex_compile_t               rc;
    u_char                            errstr[NGX_MAX_CONF_ERRSTR];
#endif

    if (alcf->mailboxes != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    alcf->mailboxes = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                       sizeof(ngx_http_graph_attach_mailbox_t));
    if (alcf->mailboxes == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2
        && value[1].len == 3
        && ngx_strncmp(value[1].data, "off", 3) == 0)
    {
        /* an empty list: any mailbox, as if never set */
        return NGX_CONF_OK;
    }

    for (i = 1; i < cf->args->nelts; i++) {

        mb = ngx_array_push(alcf->mailboxes);
        if (mb == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(mb, sizeof(ngx_http_graph_attach_mailbox_t));

        if (value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty mailbox pattern in \"%V\"",
                               &cmd->name);
            return NGX_CONF_ERROR;
        }

        if (value[i].data[0] != '~') {
            mb->name = value[i];
            continue;
        }

#if (NGX_PCRE)
        ngx_memzero(&rc, sizeof(ngx_regex_compile_t));

        rc.pattern.data = value[i].data + 1;
        rc.pattern.len = value[i].len - 1;

        /* "~*" is case-insensitive, as in map and location */

        if (rc.pattern.len && rc.pattern.data[0] == '*') {
            rc.pattern.data++;
            rc.pattern.len--;
            rc.options = NGX_REGEX_CASELESS;
        }

        rc.pool = cf->pool;
        rc.err.len = NGX_MAX_CONF_ERRSTR;
        rc.err.data = errstr;

        if (ngx_regex_compile(&rc) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V", &rc.err);
            return NGX_CONF_ERROR;
        }

        mb->regex = rc.regex;
#else
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "using regex \"%V\" requires PCRE library",
                           &value[i]);
        return NGX_CONF_ERROR;
#endif
    }

    return NGX_CONF_OK;
}


/*
 * graph_attach_user: what /me stands for, evaluated for each request, or
 * "off" (no UPN or object id reads "off") to serve no /me below a level
 * that does
 */

char *
ngx_http_graph_attach_user(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_graph_attach_loc_conf_t *alcf = conf;

    ngx_str_t                         *value;
    ngx_http_compile_complex_value_t   ccv;

    if (alcf->user != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        alcf->user = NULL;
        return NGX_CONF_OK;
    }

    /* every request would be a 403: say so now */

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "empty value in \"%V\"", &cmd->name);
        return NGX_CONF_ERROR;
    }

    alcf->user = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (alcf->user == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = alcf->user;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* a fixed mailbox (a service location) is judged once, here */

    if (alcf->user->lengths == NULL
        && ga_mailbox_check(value[1].data, value[1].len) != GA_MAILBOX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not a mailbox (a user principal "
                           "name or an object id) in \"%V\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * graph_attach_allow_types, graph_attach_allow_extensions and
 * graph_attach_deny_extensions: a list, or
 * "off" for an empty one, which turns the rule off; either replaces what
 * is inherited
 */

char *
ngx_http_graph_attach_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *s;
    ngx_uint_t     i;
    ngx_array_t  **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *a = ngx_array_create(cf->pool, cf->args->nelts, sizeof(ngx_str_t));
    if (*a == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2
        && value[1].len == 3
        && ngx_strncmp(value[1].data, "off", 3) == 0)
    {
        return NGX_CONF_OK;
    }

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty value in \"%V\"", &cmd->name);
            return NGX_CONF_ERROR;
        }

        /* ".exe" and "exe" mean the same extension */

        if (value[i].data[0] == '.' && value[i].len > 1) {
            value[i].data++;
            value[i].len--;
        }

        s = ngx_array_push(*a);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


/* the mailbox of the path, before any byte of the body is read */

ngx_int_t
ngx_http_graph_attach_mailbox_allowed(ngx_http_graph_attach_loc_conf_t *alcf,
    ngx_str_t *mailbox)
{
    ngx_uint_t                        i;
    ngx_http_graph_attach_mailbox_t  *mb;

    if (alcf->mailboxes == NULL || alcf->mailboxes->nelts == 0) {
        return NGX_OK;
    }

    mb = alcf->mailboxes->elts;

    for (i = 0; i < alcf->mailboxes->nelts; i++) {

#if (NGX_PCRE)
        if (mb[i].regex) {
            if (ngx_regex_exec(mb[i].regex, mailbox, NULL, 0) >= 0) {
                return NGX_OK;
            }

            continue;
        }
#endif

        if (mb[i].name.len == mailbox->len
            && ngx_strncasecmp(mb[i].name.data, mailbox->data, mailbox->len)
               == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * The final attachment, once the whole form is known: the name (after any
 * "name" field) is sanitised, then the extension, type and bytes judged.
 * The first rule that fails answers.
 */

ga_err_e
ngx_http_graph_attach_judge(ngx_http_graph_attach_loc_conf_t *alcf,
    ngx_http_graph_attach_attachment_t *a, ngx_pool_t *pool, ngx_log_t *log)
{
    int           n;
    u_char       *p;
    ga_ext_t      ext[2];
    ngx_str_t    *name, *type;
    const char   *def;

    name = &a->name;
    type = &a->content_type;

    /* sanitising never grows the name */

    p = ngx_pnalloc(pool, name->len + sizeof("attachment.") + 16);
    if (p == NULL) {
        return GA_ERR_OUT_OF_MEMORY;
    }

    name->len = ga_name_sanitize(name->data, name->len, p);
    name->data = p;

    /*
     * sanitising drops characters: "=?UTF-8?B?...?\u200B=" becomes an
     * encoded word only now, so the raw name's check is not enough
     */

    if (ga_encoded_word_find(name->data, name->len)) {
        return GA_ERR_NAME_ENCODED_WORD;
    }

    if (name->len == 0) {
        def = ga_type_extension(type->data, type->len);
        name->len = ngx_sprintf(p, "attachment.%s", def) - p;
    }

    /* the one place extensions are computed: folded, streams known */

    n = ga_ext_get(name->data, name->len, ext);

    if (ngx_http_graph_attach_denied_extension(alcf, ext, n) != NGX_OK) {
        return GA_ERR_EXTENSION_NOT_ALLOWED;
    }

    if (ngx_http_graph_attach_type_allowed(alcf, type, ext, n) != NGX_OK) {
        return GA_ERR_TYPE_NOT_ALLOWED;
    }

    if (ngx_http_graph_attach_extension_allowed(alcf, ext, n) != NGX_OK) {
        return GA_ERR_EXTENSION_NOT_ALLOWED;
    }

    if (alcf->sniff
        && ngx_http_graph_attach_content_agrees(a, ext, n, log) != NGX_OK)
    {
        return GA_ERR_CONTENT_MISMATCH;
    }

    return GA_ERR_NONE;
}


/*
 * An item attachment's name: only the deny list judges it.  An item has
 * no bytes to run, and an allow list of file types would refuse every
 * message named "Minutes"; a name ending in .exe is still what the deny
 * list is for, whatever opens it.
 */

ngx_int_t
ngx_http_graph_attach_denied_name(ngx_http_graph_attach_loc_conf_t *alcf,
    ngx_str_t *name)
{
    int       n;
    ga_ext_t  ext[2];

    n = ga_ext_get(name->data, name->len, ext);

    return ngx_http_graph_attach_denied_extension(alcf, ext, n);
}


static ngx_int_t
ngx_http_graph_attach_denied_extension(ngx_http_graph_attach_loc_conf_t *alcf,
    ga_ext_t *ext, int n)
{
    int           k;
    ngx_str_t    *e;
    ngx_uint_t    i;
    const char  **d;

    for (k = 0; k < n; k++) {

        if (alcf->deny_extensions == NULL) {

            /* no extension of the list is empty or longer than that */

            if (ext[k].len == 0 || ext[k].len > GA_EXT_MAX) {
                continue;
            }

            for (d = ga_name_default_deny; *d; d++) {

                /* the list is in lower case ASCII, as ext is folded */

                if ((u_char) (*d)[0] == ext[k].data[0]
                    && ga_ext_eq(&ext[k], (u_char *) *d, ngx_strlen(*d)))
                {
                    return NGX_DECLINED;
                }
            }

            continue;
        }

        e = alcf->deny_extensions->elts;

        for (i = 0; i < alcf->deny_extensions->nelts; i++) {
            if (ga_ext_eq(&ext[k], e[i].data, e[i].len)) {
                return NGX_DECLINED;
            }
        }
    }

    return NGX_OK;
}


/* graph_attach_allow_types: the type, and the name it binds */

static ngx_int_t
ngx_http_graph_attach_type_allowed(ngx_http_graph_attach_loc_conf_t *alcf,
    ngx_str_t *type, ga_ext_t *ext, int n)
{
    int          k;
    ngx_str_t   *t;
    ngx_uint_t   i;

    /* "off", an empty list, lifts the rule as "any type" would */

    if (alcf->allow_types == NULL || alcf->allow_types->nelts == 0) {
        return NGX_OK;
    }

    t = alcf->allow_types->elts;

    for (i = 0; i < alcf->allow_types->nelts; i++) {
        if (ga_type_match(type->data, type->len, t[i].data, t[i].len)) {
            break;
        }
    }

    if (i == alcf->allow_types->nelts) {
        return NGX_DECLINED;
    }

    if (t[i].len == 3 && ngx_strncmp(t[i].data, "*/*", 3) == 0) {
        return NGX_OK;
    }

    /*
     * the type binds the name: every extension the name has must be one
     * the type maps to, unless the list let any type in
     */

    for (k = 0; k < n; k++) {
        if (!ga_ext_type_maps(type->data, type->len, &ext[k])) {
            return NGX_DECLINED;
        }
    }

    return n ? NGX_OK : NGX_DECLINED;
}


/* graph_attach_allow_extensions: every extension the name has */

static ngx_int_t
ngx_http_graph_attach_extension_allowed(
    ngx_http_graph_attach_loc_conf_t *alcf, ga_ext_t *ext, int n)
{
    int          k;
    ngx_str_t   *t;
    ngx_uint_t   i;

    if (alcf->allow_extensions == NULL || alcf->allow_extensions->nelts == 0)
    {
        return NGX_OK;
    }

    t = alcf->allow_extensions->elts;

    for (k = 0; k < n; k++) {
        for (i = 0; i < alcf->allow_extensions->nelts; i++) {
            if (ga_ext_eq(&ext[k], t[i].data, t[i].len)) {
                break;
            }
        }

        if (i == alcf->allow_extensions->nelts) {
            return NGX_DECLINED;
        }
    }

    return n ? NGX_OK : NGX_DECLINED;
}


/* graph_attach_sniff: the first bytes against the type and extensions */

static ngx_int_t
ngx_http_graph_attach_content_agrees(ngx_http_graph_attach_attachment_t *a,
    ga_ext_t *ext, int n, ngx_log_t *log)
{
    int  kind, k;

    kind = ga_sniff(a->head, a->head_len);

    for (k = 0; k < (n ? n : 1); k++) {
        if (ga_sniff_mismatch(kind, a->content_type.data,
                              a->content_type.len,
                              n ? ext[k].data : NULL,
                              n && ext[k].len <= GA_EXT_MAX ? ext[k].len : 0))
        {
            ngx_log_error(NGX_LOG_INFO, log, 0,
                          "graph_attach: content is %s, declared \"%V\"",
                          ga_sniff_name(kind), &a->content_type);
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}
