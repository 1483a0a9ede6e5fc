# Uploads from curl -F, and multipart shapes that real clients send:
# non-ASCII and quote-containing names (curl's percent escaping and its
# --form-escape backslash escaping), RFC 5987 filename*, binary files
# that contain the delimiter prefix, big files, graph_attach_max_size.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use GraphAttach::Test;

my $t = GraphAttach::Test->new;
$t->start(max_size => '10k', server => <<'EOF');
        location /big/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            client_max_body_size 8m;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }
        location /defaults/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }
EOF

my $token = 'eyJ0eXAi.curl-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $files = $t->servroot . '/files';
make_path($files);

sub write_file {
    my ($name, $data) = @_;
    my $p = "$files/$name";
    open(my $fh, '>:raw', $p) or die "$p: $!";
    print {$fh} $data;
    close $fh;
    return $p;
}

# curl's -F value syntax: a quoted path, with \ and " escaped.
sub curl_quote {
    my ($s) = @_;
    $s =~ s/([\\"])/\\$1/g;
    return qq("$s");
}

# --- names, with both of curl's escaping styles ------------------------

my @names = (
    'naïve résumé.pdf',
    '日本語.txt',
    'say "hi".txt',
    'a;b=c.txt',
    'back\slash.txt',
    'Ünïcødé "quoted"; semi=colon.bin',
);

my $n = 0;
for my $name (@names) {
    my $data = random_bytes(777 + $n, $n) . "\r\n--" . $name;
    $n++;
    my $path = write_file("f$n-$name", $data);
    for my $style ('default', '--form-escape') {
        $t->graph_clear;
        my @esc = $style eq 'default' ? () : ('--form-escape');
        my $r = $t->curl(@esc,
            '-F', 'file=@' . curl_quote($path)
                  . ';filename=' . curl_quote($name)
                  . ';type=application/vnd.test',
            $t->url("/graph$msg"));
        is($r->{status}, 201, "curl $style '$name': 201")
            or diag($r->{body});
        my ($rec) = $t->graph_records;
        $t->check_upstream($rec, label => "curl $style '$name'",
                           token => $token, name => graph_name($name),
                           type => 'application/vnd.test', data => $data);
    }
}

# --- curl with extra fields, and the part's own content type ------------

{
    $t->graph_clear;
    my $data = "GIF89a" . random_bytes(300, 7);
    my $path = write_file('logo.gif', $data);
    my $r = $t->curl('-F', 'isInline=true', '-F', 'contentId=logo@cid',
                     '-F', "image=\@$path;type=image/gif",
                     $t->url("/graph$msg"));
    is($r->{status}, 201, 'curl with isInline and contentId: 201');
    my ($rec) = $t->graph_records;
    $t->check_upstream($rec, label => 'curl inline image', token => $token,
                       name => 'logo.gif', type => 'image/gif', inline => 1,
                       content_id => 'logo@cid', data => $data);
}

# --- raw encodings of filename that clients send -----------------------

my @raw = (
    # [label, Content-Disposition params, expected name]
    [ 'RFC 5987 filename* only',
      q{name="file"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf},
      'naïve résumé.pdf' ],
    [ 'filename* wins over filename',
      q{name="file"; filename="fallback.pdf"; filename*=utf-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf},
      '日本語.pdf' ],
    [ 'filename* with a language tag',
      q{name="file"; filename*=UTF-8'en'%22quoted%22.txt},
      '"quoted".txt' ],
    [ 'browser-style %22 escaping',
      q{name="file"; filename="say %22hi%22.txt"},
      'say "hi".txt' ],
    [ 'aiohttp-style percent-encoded filename',
      q{name="file"; filename="na%C3%AFve%20%22r%22%3B%20x.pdf"},
      'naïve "r"; x.pdf' ],
    [ 'backslash-escaped quoted string',
      q{name="file"; filename="say \"hi\" there.txt"},
      'say "hi" there.txt' ],
    [ 'token (unquoted) filename',
      q{name="file"; filename=plain.txt},
      'plain.txt' ],
    [ 'quoted value with ; and = inside',
      q{name="file"; filename="a; name=b.txt"},
      'a; name=b.txt' ],
    [ 'parameter names in other case, extra spaces',
      q{name="file" ;  FILENAME = "case.txt"},
      'case.txt' ],
    [ 'name="filename" field is not the file name',
      q{name="filename"; filename="real.txt"},
      'real.txt' ],
);

for my $c (@raw) {
    my ($label, $params, $want) = @$c;
    $t->graph_clear;
    my $data = "raw $label";
    my $r = $t->post(path => "/graph$msg", parts => [
        { head => "Content-Disposition: form-data; $params\r\n"
                . "Content-Type: text/plain", data => $data } ]);
    is($r->{status}, 201, "$label: 201") or diag($r->{body});
    my ($rec) = $t->graph_records;
    $t->check_upstream($rec, label => $label, token => $token,
                       name => $want, type => 'text/plain', data => $data);
}

# --- multipart framing variants ----------------------------------------

my %framing = (
    'quoted boundary parameter' => sub {
        my ($ct, $body) = multipart(boundary => 'q-b', parts => [
            { name => 'file', filename => 'q.txt', type => 'text/plain',
              data => 'quoted' } ]);
        return ('multipart/form-data; boundary="q-b"', $body, 'quoted');
    },
    'charset after the boundary' => sub {
        my ($ct, $body) = multipart(boundary => 'cs', parts => [
            { name => 'file', filename => 'q.txt', type => 'text/plain',
              data => 'charset' } ]);
        return ("$ct; charset=utf-8", $body, 'charset');
    },
    'preamble and epilogue' => sub {
        my ($ct, $body) = multipart(boundary => 'pe', parts => [
            { name => 'file', filename => 'q.txt', type => 'text/plain',
              data => 'pre' } ]);
        return ($ct, "This is a preamble.\r\n$body" . "epilogue\r\n", 'pre');
    },
    'no CRLF after the closing delimiter (undici)' => sub {
        my ($ct, $body) = multipart(boundary => 'nc', parts => [
            { name => 'file', filename => 'q.txt', type => 'text/plain',
              data => 'nocrlf' } ]);
        $body =~ s/\r\n\z//;
        return ($ct, $body, 'nocrlf');
    },
    'Content-Type in upper case, boundary of 70 chars' => sub {
        my $b = 'B' x 70;
        my ($ct, $body) = multipart(boundary => $b, parts => [
            { name => 'file', filename => 'q.txt', type => 'text/plain',
              data => 'long' } ]);
        return ("Multipart/Form-Data; BOUNDARY=$b", $body, 'long');
    },
    'boundary prefix and CRLF-- inside the file' => sub {
        my $b = 'XyZ';
        my $data = "a\r\n--Xy\r\n--X-\r\n-\r\nb--XyZ\r\n--";
        my ($ct, $body) = multipart(boundary => $b, parts => [
            { name => 'file', filename => 'q.txt', type => 'text/plain',
              data => $data } ]);
        return ($ct, $body, $data);
    },
);

for my $label (sort keys %framing) {
    my ($ct, $body, $data) = $framing{$label}->();
    $t->graph_clear;
    my $r = $t->post(path => "/graph$msg", body => $body, content_type => $ct);
    is($r->{status}, 201, "$label: 201") or diag($r->{body});
    my ($rec) = $t->graph_records;
    $t->check_upstream($rec, label => $label, token => $token,
                       name => 'q.txt', type => 'text/plain', data => $data);
}

# --- graph_attach_max_size 10k: at the limit and one byte over ---------

{
    $t->graph_clear;
    my $at = random_bytes(10240, 11);
    my $r = $t->curl('-F', 'file=@' . write_file('at.bin', $at),
                     $t->url("/graph$msg"));
    is($r->{status}, 201, 'file of exactly graph_attach_max_size: 201');
    my ($rec) = $t->graph_records;
    $t->check_upstream($rec, label => 'at max size', token => $token,
                       name => 'at.bin', data => $at);

    $t->graph_clear;
    $r = $t->curl('-F', 'file=@' . write_file('over.bin', $at . 'x'),
                  $t->url("/graph$msg"));
    $t->check_error($r, status => 413, label => 'one byte over max size');
    $t->nothing_upstream('one byte over max size');
}

# --- a file just under 2 MiB (temp files on the way) -------------------
# (from 2 MiB on a file needs an upload session: t/150-upload-sessions.t)

{
    my $big = random_bytes(2 * 1024 * 1024 - 65536, 12) . "\r\n--trap";
    my $path = write_file('big.bin', $big);

    $t->graph_clear;
    my $r = $t->curl('-F', "file=\@$path;type=application/zip",
                     $t->url("/big$msg"));
    is($r->{status}, 201, '2 MiB file: 201') or diag($r->{body});
    my ($rec) = $t->graph_records;
    $t->check_upstream($rec, label => '2 MiB', token => $token,
                       name => 'big.bin', type => 'application/zip',
                       data => $big, path => "/v1.0$msg");

    # The configuration from the documentation, with no
    # client_max_body_size: a file under the upload threshold must be
    # accepted.
    $t->graph_clear;
    $r = $t->curl('-F', "file=\@$path;type=application/zip",
                  $t->url("/defaults$msg"));
    is($r->{status}, 201,
       '2 MiB file with the documented config (no client_max_body_size): 201')
        or diag("$r->{status} $r->{body}");
    ($rec) = $t->graph_records;
    ok($rec && $rec->{file} && $rec->{file} eq $big,
       '2 MiB file arrived exactly (documented config)');

    # A file of exactly 3 MiB, the default graph_attach_max_size: its
    # JSON is over 4 MiB, which Graph refuses.  Whoever refuses it, the
    # client must get a 413 with a JSON error, not a 5xx or a hang.
    my $three = random_bytes(3 * 1024 * 1024, 13);
    $path = write_file('three.bin', $three);
    $t->graph_clear;
    $r = $t->curl('-F', "file=\@$path", $t->url("/defaults$msg"));
    is($r->{status}, 413, '3 MiB file with the default max size: 413')
        or diag("$r->{status} " . substr($r->{body}, 0, 300));
    ok(ref $r->{json} eq 'HASH' && $r->{json}{error}{code},
       '3 MiB: the 413 carries a JSON error');
}

$t->done_testing;
