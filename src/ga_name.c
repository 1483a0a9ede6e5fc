
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <string.h>

#include "ga_name.h"
#include "ga_utf8.h"


static size_t ga_name_trim_end(const u_char *p, size_t len);
static size_t ga_name_boundary(const u_char *p, size_t len, size_t max);


/*
 * Outlook's Level 1 list: the attachment types Outlook blocks by default
 * ("Blocked attachments in Outlook", Microsoft Support, Microsoft 365
 * version), so whatever Graph would deliver as unopenable is refused at
 * the gateway instead.  Added to it: dll and ocx (libraries, loaded by
 * the program next to them), psm1 (a PowerShell module; the list has psd1
 * but not psm1), img, appx, appxbundle, msix and msixbundle (disk images
 * and app packages that run code, used like iso and vhd to get past
 * Mark-of-the-Web).  Added for what current phishing uses instead
 * (Microsoft Defender and CISA advisories, 2023-2026): web pages and
 * scripted images that open in a browser with the mailbox's trust (html,
 * htm, xhtml, xht, shtml, mht, mhtml, svg, svgz), OneNote notebooks that
 * carry embedded files (one, onepkg), remote desktop files that connect
 * the reader's drives to a hostile host (rdp), App Installer files (
 * appinstaller), Excel add-ins and data queries that run or fetch code
 * (xlam, iqy, slk).
 */

const char  *ga_name_default_deny[] = {
    "ade", "adp", "app", "appcontent-ms", "application", "appref-ms",
    "appinstaller", "appx", "appxbundle", "asp", "aspx", "asx",
    "bas", "bat", "bgi",
    "cab", "cdxml", "cer", "chm", "cmd", "cnt", "com", "cpl", "crt", "csh",
    "der", "diagcab", "dll",
    "exe",
    "fxp",
    "gadget", "grp",
    "hlp", "hpj", "hta", "htc", "htm", "html",
    "img", "inf", "ins", "iqy", "iso", "isp", "its",
    "jar", "jnlp", "js", "jse",
    "ksh",
    "library-ms", "lnk",
    "mad", "maf", "mag", "mam", "maq", "mar", "mas", "mat", "mau", "mav",
    "maw", "mcf", "mda", "mdb", "mde", "mdt", "mdw", "mdz", "msc", "msh",
    "msh1", "msh1xml", "msh2", "msh2xml", "mshxml", "msi", "msix",
    "msixbundle", "msp", "mst", "msu", "mht", "mhtml",
    "ocx", "one", "onepkg", "ops", "osd",
    "pcd", "pif", "pl", "plg", "prf", "prg", "printerexport", "ps1",
    "ps1xml", "ps2", "ps2xml", "psc1", "psc2", "psd1", "psdm1", "psm1",
    "pssc", "pst", "py", "pyc", "pyo", "pyw", "pyz", "pyzw",
    "rdp", "reg",
    "scf", "scr", "sct", "search-ms", "searchconnector-ms",
    "settingcontent-ms", "shb", "shs", "shtml", "slk", "svg", "svgz",
    "theme", "tmp",
    "udl", "url",
    "vb", "vbe", "vbp", "vbs", "vhd", "vhdx", "vsmacros", "vsw",
    "webpnp", "website", "ws", "wsb", "wsc", "wsf", "wsh",
    "xbap", "xht", "xhtml", "xlam", "xll", "xnk",
    NULL
};


size_t
ga_name_sanitize(const u_char *in, size_t len, u_char *out)
{
    size_t         i, n, k, dot, ext, cut;
    uint32_t       cp;
    const u_char  *p, *last;

    /*
     * 1. the directory part, whatever the client's OS; separators at the
     * end go first: a browser sends a Unix file named "ends with\" as it
     * is, and the user expects "ends with", not "attachment.bin"
     */

    while (len && (in[len - 1] == '/' || in[len - 1] == '\\')) {
        len--;
    }

    p = in;
    last = in + len;

    for (i = 0; i < len; i++) {
        if (in[i] == '/' || in[i] == '\\') {
            p = in + i + 1;
        }
    }

    /*
     * 2. characters that hide or reorder what a user sees; an invalid
     * byte is dropped too, so the result is always valid UTF-8.  Output
     * never gets ahead of input, so out may be in.
     */

    n = 0;

    while (p < last) {
        k = ga_utf8_decode(p, last - p, &cp);

        if (k == 0) {
            p++;
            continue;
        }

        if (!ga_utf8_invisible(cp)) {
            memmove(out + n, p, k);
            n += k;
        }

        p += k;
    }

    /* 3. Windows ignores trailing dots and spaces: "a.exe. " is a.exe */

    for (i = 0; i < n && out[i] == ' '; i++) { /* void */ }

    if (i) {
        n -= i;
        memmove(out, out + i, n);
    }

    n = ga_name_trim_end(out, n);

    /* 4. the extension matters more than the end of the stem */

    if (n > GA_NAME_MAX) {

        dot = n;

        for (i = n; i > 0; i--) {
            if (out[i - 1] == '.') {
                dot = i - 1;
                break;
            }
        }

        ext = n - dot;

        if (dot < n && ext - 1 <= GA_NAME_EXT_MAX) {
            cut = ga_name_boundary(out, dot, GA_NAME_MAX - ext);
            memmove(out + cut, out + dot, ext);
            n = cut + ext;

        } else {
            n = ga_name_boundary(out, n, GA_NAME_MAX);
            n = ga_name_trim_end(out, n);
        }
    }

    /* 5. step 3 already empties these; kept in case it ever changes */

    if ((n == 1 && out[0] == '.')
        || (n == 2 && out[0] == '.' && out[1] == '.'))
    {
        n = 0;
    }

    return n;
}


const u_char *
ga_name_extension(const u_char *name, size_t len, size_t *ext_len)
{
    size_t  i, n;

    n = ga_name_trim_end(name, len);

    for (i = n; i > 0; i--) {
        if (name[i - 1] == '.') {
            *ext_len = n - i;
            return name + i;
        }
    }

    return NULL;
}


static size_t
ga_name_trim_end(const u_char *p, size_t len)
{
    while (len && (p[len - 1] == '.' || p[len - 1] == ' ')) {
        len--;
    }

    return len;
}


/* the largest n <= max, n <= len, that does not split a UTF-8 character */

static size_t
ga_name_boundary(const u_char *p, size_t len, size_t max)
{
    size_t  n;

    if (len <= max) {
        return len;
    }

    n = max;

    while (n && (p[n] & 0xc0) == 0x80) {
        n--;
    }

    return n;
}
