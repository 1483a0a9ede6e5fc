#!/bin/sh
# Configure an nginx source tree for building this module as a dynamic
# module.  Usage: configure-nginx.sh NGINX_SRC BUILD_DIR MODULE_DIR
#
# NGINX_SRC is Debian's nginx-dev tree (/usr/share/nginx/src) or any nginx
# source tree (release tarball or git checkout).  The tree is copied to
# BUILD_DIR so that the system copy stays untouched.  With Debian's tree the
# configure flags of Debian's nginx binary (conf_flags) are used, so the
# module loads into that binary.

set -eu

src=$1
dst=$2
mod=$3

if [ ! -d "$src" ]; then
    echo "configure-nginx: no nginx source tree at $src" >&2
    echo "configure-nginx: install nginx-dev or pass NGINX_SRC=/path" >&2
    exit 1
fi

rm -rf "$dst"
mkdir -p "$dst"
cp -a "$src"/. "$dst"/

cd "$dst"

if [ -x ./configure ]; then
    configure=./configure
elif [ -x ./auto/configure ]; then
    configure=./auto/configure
else
    echo "configure-nginx: $src has neither configure nor auto/configure" >&2
    exit 1
fi

if [ -f conf_flags ]; then
    # Debian's nginx-dev: the flags of the packaged binary, as a bash array.
    exec bash -c '. ./conf_flags; exec '"$configure"' "${NGX_CONF_FLAGS[@]}" \
        --add-dynamic-module="$0"' "$mod"
fi

exec "$configure" --with-compat --with-http_ssl_module --with-http_v2_module \
    --add-dynamic-module="$mod"
