# A body within client_body_buffer_size keeps its JSON in memory, as
# nginx keeps such a body (issue 11: the raw upload need not sit beside
# its JSON).  The module reads it through a small input buffer instead of
# one of the body's length, lending that size to the core for the one
# call that allocates it, and holds the JSON until the body's end, since
# the core's save filter would write it to a temporary file each time the
# small buffer is full.  Checked here:
#
#  - uploads with 4m buffers over HTTP/1.1, HTTP/2, several files and an
#    upload session arrive byte for byte, and nothing goes through a
#    temporary file (nginx warns "buffered to a temporary file");
#  - the size lent is given back: a chunked body (not held, read into a
#    buffer of client_body_buffer_size) after held ones, and a body that
#    ends at once in the post handler, still stay in memory, and another
#    location's size is untouched;
#  - with 16k buffers the same upload still goes to a temporary file (the
#    16k behaviour is unchanged), and a refusal mid-body still answers.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use File::Path qw(make_path);
use Test::More;
use GraphAttach::Test;

my $KiB = 1024;
my $MiB = 1024 * 1024;

my $t = GraphAttach::Test->new;

my $sessions = "graph_attach_upload /_graph_upload;\n"
             . "            graph_attach_upload_hosts http://127.0.0.1:%%GRAPH_PORT%%;";

my $server = join '',
    GraphAttach::Test::graph_location('/mem/',
        "client_body_buffer_size 4m;\n"
      . "            graph_attach_max_size 8m;\n"
      . "            $sessions"),
    GraphAttach::Test::graph_location('/mem16k/',
        "client_body_buffer_size 16k;\n"
      . "            graph_attach_max_size 8m;"),
    GraphAttach::Test::graph_location('/memtypes/',
        "client_body_buffer_size 4m;\n"
      . "            graph_attach_allow_types image/png;"),
    <<'EOF';
        location /_graph_upload {
            internal;
            proxy_pass $graph_attach_upload_url;
        }

        # plain nginx, for the size lent and given back
        location /echo/ {
            client_body_buffer_size 4m;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%/_health;
        }
EOF

$t->start(server => $server);

my $token = 'eyJ0eXAi.memory-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $dir = $t->servroot . '/files';
make_path($dir);

sub write_file {
    my ($name, $data) = @_;
    open(my $fh, '>:raw', "$dir/$name") or die;
    print {$fh} $data;
    close $fh;
    return "$dir/$name";
}

my $TEMP = qr/a client request body is buffered to a temporary file/;

sub no_temp_file {
    my ($mark, $label) = @_;
    unlike($t->log_since($mark), $TEMP, "$label: no temporary file");
}

sub one_upload {
    my ($label, $data, $name) = @_;
    my ($rec, @more) = $t->graph_records;
    ok(!@more, "$label: one request upstream");
    $t->check_upstream($rec, label => $label, token => $token,
                       path => "/v1.0$msg", name => $name,
                       type => 'application/x-t', data => $data);
}

# 1.5 MiB: a simple POST whose body is many times the 64k input buffer
my $data = GraphAttach::Test::random_bytes(1536 * $KiB, 41)
           . "\r\n--XX\r\n--" . GraphAttach::Test::random_bytes(999, 42);
my $file = write_file('m.bin', $data);

# --- HTTP/1.1 with a length, HTTP/2 --------------------------------------

for my $c ([ 'HTTP/1.1', 'http://127.0.0.1:' . $t->port ],
           [ 'HTTP/2', 'http://127.0.0.1:' . $t->h2_port,
             '--http2-prior-knowledge' ])
{
    my ($label, $base, @args) = @$c;
    $t->graph_clear;
    my $mark = $t->log_mark;
    my $r = $t->curl(@args, '-F', "file=\@$file;type=application/x-t",
                     "$base/mem$msg");
    is($r->{status}, 201, "4m, $label: 201") or diag($r->{body});
    one_upload("4m, $label", $data, 'm.bin');
    no_temp_file($mark, "4m, $label");
}

# --- the size lent is given back --------------------------------------------

{
    # chunked: no length, not held, so read with client_body_buffer_size
    # (4m): a 1.5 MiB body and its JSON stay in memory only if the 4m is
    # back
    $t->graph_clear;
    my $mark = $t->log_mark;
    my $r = $t->curl('-H', 'Transfer-Encoding: chunked',
                     '-F', "file=\@$file;type=application/x-t",
                     $t->url("/mem$msg"));
    is($r->{status}, 201, '4m, chunked after held bodies: 201')
        or diag($r->{body});
    one_upload('4m, chunked', $data, 'm.bin');
    no_temp_file($mark, '4m, chunked after held bodies');

    # plain nginx in another location
    $mark = $t->log_mark;
    $r = $t->curl('-H', 'Transfer-Encoding: chunked',
                  '--data-binary', "\@$file", $t->url('/echo/'));
    no_temp_file($mark, 'plain proxy_pass, chunked');
    $t->graph_clear;

    # a body sent with its headers ends in the post handler within the
    # read: small enough for the 64k buffer, then a large one again
    my $small = GraphAttach::Test::random_bytes(2000, 43);
    $t->graph_clear;
    $r = $t->post(path => "/mem$msg", boundary => 'bou',
                  parts => [ { name => 'file', filename => 's.bin',
                               type => 'application/x-t',
                               data => $small } ]);
    is($r->{status}, 201, '4m, body with the headers: 201')
        or diag($r->{body});
    one_upload('4m, body with the headers', $small, 's.bin');

    $t->graph_clear;
    $mark = $t->log_mark;
    $r = $t->curl('-H', 'Transfer-Encoding: chunked',
                  '-F', "file=\@$file;type=application/x-t",
                  $t->url("/mem$msg"));
    is($r->{status}, 201, '4m, chunked after a body read at once: 201');
    no_temp_file($mark, '4m, chunked after a body read at once');
}

# --- several files, an upload session --------------------------------------

{
    my $second = GraphAttach::Test::random_bytes(700 * $KiB, 44);
    my $file2 = write_file('n.bin', $second);
    $t->graph_clear;
    my $mark = $t->log_mark;
    my $r = $t->curl('-F', "file=\@$file;type=application/x-t",
                     '-F', "file=\@$file2;type=application/x-t",
                     $t->url("/mem$msg"));
    is($r->{status}, 201, '4m, two files: 201') or diag($r->{body});
    my @recs = $t->graph_records;
    is(scalar @recs, 2, '4m, two files: two POSTs');
    is(sha256_hex($recs[0]{file} // ''), sha256_hex($data),
       '4m, two files: the first arrived exactly');
    is(sha256_hex($recs[1]{file} // ''), sha256_hex($second),
       '4m, two files: the second arrived exactly');
    no_temp_file($mark, '4m, two files');
}

{
    # over the session threshold (2 MiB), within 4m: the raw file in memory
    my $big = GraphAttach::Test::random_bytes(3 * $MiB + 5, 45);
    my $bigfile = write_file('big.bin', $big);
    $t->graph_clear;
    my $mark = $t->log_mark;
    my $r = $t->curl('-F', "file=\@$bigfile;type=application/x-t",
                     $t->url("/mem$msg"));
    is($r->{status}, 201, '4m, upload session: 201') or diag($r->{body});
    my @s = $t->graph_sessions;
    is(scalar @s, 1, '4m, upload session: one session');
    my $got = @s ? $t->graph_session_file($s[-1]{id}) : undef;
    is(sha256_hex($got // ''), sha256_hex($big),
       '4m, upload session: the file arrived exactly');
    no_temp_file($mark, '4m, upload session');
}

# --- 16k: unchanged, the JSON goes to a temporary file -----------------------

{
    $t->graph_clear;
    my $mark = $t->log_mark;
    my $r = $t->curl('-F', "file=\@$file;type=application/x-t",
                     $t->url("/mem16k$msg"));
    is($r->{status}, 201, '16k: 201') or diag($r->{body});
    one_upload('16k', $data, 'm.bin');
    like($t->log_since($mark), $TEMP, '16k: through a temporary file');
}

# --- a refusal in a held body ---------------------------------------------

{
    $t->graph_clear;
    my $r = $t->curl('-F', "file=\@$file;type=application/x-t",
                     $t->url("/memtypes$msg"));
    $t->check_error($r, status => 415, code => 'AttachmentTypeNotAllowed',
                    label => '4m, refused type');
    $t->nothing_upstream('4m, refused type');
}

$t->done_testing;
