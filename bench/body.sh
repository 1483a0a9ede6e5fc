# Sourced by bench/run.sh and bench/instructions.sh.
#
# write_body SIZE BOUNDARY: a multipart body on stdout with one file of
# SIZE random bytes (application/octet-stream, passes the default policy
# and sniffing) and one text field.
write_body() {
    printf -- '--%s\r\n' "$2"
    printf 'Content-Disposition: form-data; name="file"; filename="bench.bin"\r\n'
    printf 'Content-Type: application/octet-stream\r\n\r\n'
    head -c "$1" /dev/urandom
    printf '\r\n--%s\r\n' "$2"
    printf 'Content-Disposition: form-data; name="isInline"\r\n\r\nfalse\r\n'
    printf -- '--%s--\r\n' "$2"
}
