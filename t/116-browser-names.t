# File names ending in a backslash, from every client (issue: "every
# browser's file names").  WHATWG encoders (Chromium, curl's default,
# Node's FormData, urllib3 2) never escape '\', so a file named
# "ends with\" arrives as filename="ends with\" and the end of the line;
# the quoted-pair clients (Go, LWP, httpx, urllib3 1.26, curl
# --form-escape) send "ends with\\", aiohttp "ends%20with%5C".  All of
# them must give Graph "ends with" (trailing separators dropped, then the
# last component), and the policy must judge that name.  Then a raw body
# captured from Chromium, and the attacks the literal-backslash reading
# invites: it must not change a part's field name, hide an extension,
# or add a filename.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use MIME::Base64 qw(decode_base64);
use URI::Escape qw(uri_escape);
use GraphAttach::Test;
use GraphAttach::Hostile;

my $t = GraphAttach::Test->new;
$t->start;

my $token = 'eyJ0eXAi.names-bs-token-' . int(rand(1e9));
$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $root = $t->root;
my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $url = $t->url("/graph$msg");

my $dir = $t->servroot . '/files';
make_path($dir);
my $data = random_bytes(3000, 11) . "\r\n------WebKitFormBoundary\r\n--";
my $file = "$dir/payload.bin";
open(my $fh, '>:raw', $file) or die;
print {$fh} $data;
close $fh;

# [ the name the user chose, what Graph must get (undef: 415) ]
my @names = (
    [ 'ends with\\', 'ends with' ],
    [ 'q"\\', 'q"' ],
    [ 'two\\\\', 'two' ],
    [ 'naïve résumé.txt\\', 'naïve résumé.txt' ],
    [ 'evil.exe\\', undef ],
);

sub expect {
    my ($label, $res, $st, $err, $want) = @_;
    subtest $label => sub {
        is($st, 0, 'client ran') or diag($err);
        my @rec = $t->graph_records;
        if (defined $want) {
            is($res->{status}, 201, 'status 201')
                or diag(($res->{body} // '') . $err);
            is(scalar @rec, 1, 'one request reached Graph');
            $t->check_upstream($rec[0], label => $label, token => $token,
                               name => $want, data => $data,
                               path => "/v1.0$msg");
        } else {
            is($res->{status}, 415, 'status 415')
                or diag(($res->{body} // '') . $err);
            my $j = eval { decode_json($res->{body}) } || {};
            is($j->{error}{code}, 'ExtensionNotAllowed',
               'ExtensionNotAllowed: the policy judged "evil.exe"');
            is(scalar @rec, 0, 'nothing reached Graph');
        }
    };
}

# --- curl: the ;filename= override, both escaping styles, and its own
# basename of a file so named -------------------------------------------

sub curl_quote {
    my ($s) = @_;
    $s =~ s/([\\"])/\\$1/g;
    return qq("$s");
}

for my $n (@names) {
    my ($name, $want) = @$n;
    for my $style ('default', '--form-escape') {
        $t->graph_clear;
        my $r = $t->curl(($style eq 'default' ? () : ('--form-escape')),
            '-F', 'file=@' . curl_quote($file) . ';filename='
                  . curl_quote($name) . ';type=application/octet-stream',
            $url);
        expect("curl $style ;filename= '$name'", $r, $r->{curl_exit},
               $r->{curl_stderr}, $want);
    }

    # the file's own name on disk (no two names alike in one directory)
    my $sub = "$dir/own-" . length($name) . '-' . int(rand(1e9));
    make_path($sub);
    my $own = "$sub/$name";
    open(my $o, '>:raw', $own) or die "$own: $!";
    print {$o} $data;
    close $o;
    $t->graph_clear;
    my $r = $t->curl('-F', 'file=@' . curl_quote($own)
                           . ';type=application/octet-stream', $url);
    expect("curl default, a file named '$name'", $r, $r->{curl_exit},
           $r->{curl_stderr}, $want);
}

# --- client libraries (t/clients/) --------------------------------------

my $py = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';

sub have_py {
    my ($bin, $code) = @_;
    return system($bin, '-c', $code) == 0;
}

my $go_bin;
if (system('sh', '-c', 'command -v go >/dev/null') == 0) {
    my $gohome = $t->servroot . '/go';
    make_path("$gohome/cache", "$gohome/path");
    my ($st, $out, $err) = $t->run(
        cmd => [ 'go', 'build', '-o', "$gohome/upload",
                 "$root/t/clients/upload.go" ],
        env => { GOCACHE => "$gohome/cache", GOPATH => "$gohome/path",
                 GOFLAGS => '', GO111MODULE => 'auto', GOPROXY => 'off',
                 HOME => $gohome },
        timeout => 240);
    if ($st == 0) {
        $go_bin = "$gohome/upload";
    } else {
        diag("go build failed: $err");
    }
}

# urllib3 2 is WHATWG ("ends with\"), 1.26 is not ("ends with\\"): use a
# python3 on PATH that has urllib3 2, if there is one
my ($py2) = grep {
    have_py($_, 'import sys, requests, urllib3; '
              . 'sys.exit(int(urllib3.__version__.split(".")[0]) < 2)')
} grep { -x } map { "$_/python3" } split /:/, $ENV{PATH};

my @clients = (
    [ 'python requests', have_py($py, 'import requests'),
      [ $py, "$root/t/clients/upload.py", 'requests' ] ],
    [ 'python requests, urllib3 2', defined $py2,
      [ $py2 // $py, "$root/t/clients/upload.py", 'requests' ] ],
    [ 'python httpx', have_py($py, 'import httpx'),
      [ $py, "$root/t/clients/upload.py", 'httpx' ] ],
    [ 'python aiohttp', have_py($py, 'import aiohttp'),
      [ $py, "$root/t/clients/upload.py", 'aiohttp' ] ],
    [ 'node fetch', system('sh', '-c', 'command -v node >/dev/null') == 0,
      [ 'node', "$root/t/clients/upload.mjs" ] ],
    [ 'go', defined $go_bin, [ $go_bin // 'go' ] ],
    [ 'perl LWP', eval { require LWP::UserAgent; 1 },
      [ $^X, "$root/t/clients/upload_lwp.pl" ] ],
);

for my $c (@clients) {
    my ($label, $available, $cmd) = @$c;
  SKIP: {
        skip "$label is not installed", scalar @names unless $available;

        for my $n (@names) {
            my ($name, $want) = @$n;
            $t->graph_clear;
            my ($st, $out, $err) = $t->run(
                cmd => [ @$cmd, $url, $file, $name,
                         'application/octet-stream' ],
                timeout => 60);
            my $res = eval { decode_json($out) } || {};
            expect("$label: '$name'", $res, $st, $err, $want);
        }
    }
}

# --- Chromium: a File in a FormData (t/clients/browser/upload.html) ------

my $chromium = GraphAttach::Test::chromium();

# the bytes upload.html builds
my $page_data = join '', map { chr(($_ * 7) % 256) } 0 .. 4095;
my $trap = "\r\n------WebKitFormBoundary\r\n--";
substr($page_data, 1000, length $trap) = $trap;

sub browse {
    my ($name) = @_;
    return $t->browse_page('/upload.html?target=' . uri_escape("/graph$msg")
                           . '&name=' . uri_escape($name));
}

SKIP: {
    skip 'chromium is not installed', 2 * @names unless $chromium;

    for my $n (@names) {
        my ($name, $want) = @$n;
        $t->graph_clear;
        my $res = browse($name);
        my @rec = grep { $_->{method} eq 'POST' } $t->graph_records;
        if (defined $want) {
            is($res->{status}, 201, "chromium FormData '$name': 201")
                or diag($res->{body});
            $t->check_upstream($rec[0], label => "chromium '$name'",
                               token => $token, name => $want,
                               type => 'image/png', inline => 1,
                               content_id => 'cid-browser',
                               data => $page_data, path => "/v1.0$msg");
        } else {
            is($res->{status}, 415, "chromium FormData '$name': 415")
                or diag($res->{body});
            is(scalar @rec, 0, "chromium '$name': nothing reached Graph");
        }
    }
}

# --- a raw body captured from Chromium 156 (fetch, FormData, a File named
# "ends with\" after a text field named "fi\eld\") -----------------------

my $cb = '----WebKitFormBoundaryFqpG2WDRwqXbCWNL';
my $captured = "--$cb\r\n"
    . qq{Content-Disposition: form-data; name="fi\\eld\\"\r\n}
    . "\r\n"
    . "v\r\n"
    . "--$cb\r\n"
    . qq{Content-Disposition: form-data; name="file"; }
    . qq{filename="ends with\\"\r\n}
    . "Content-Type: text/plain\r\n"
    . "\r\n"
    . "x\r\n"
    . "--$cb--\r\n";

for my $split (0, 1, 7) {
    try_accepted($t, "captured Chromium body, split $split",
                 body => $captured,
                 content_type => "multipart/form-data; boundary=$cb",
                 ($split ? (split => $split) : ()),
                 want => { name => 'ends with', type => 'text/plain',
                           data => 'x' });
}

# --- attacks on the literal reading ---------------------------------------

my $pdf = pdf_bytes();

sub file_head {
    my ($params, $type) = @_;
    return "Content-Disposition: form-data; $params\r\n"
         . 'Content-Type: ' . ($type // 'application/pdf');
}

# hiding an extension behind a parameter only the literal reading sees
try_refused($t, 415, 'ExtensionNotAllowed',
            'filename="evil.exe\\"; x=".pdf": judged as evil.exe',
            parts => [ { head => file_head(
                             'name="file"; filename="evil.exe\\"; x=".pdf"'),
                         data => $pdf } ]);

# a second filename, or a second name, after the literal close
try_refused($t, 400, 'InvalidPartHeader',
            'filename="a.pdf\\"; filename="evil.exe": a repeated filename',
            parts => [ { head => file_head(
                             'name="file"; filename="a.pdf\\"; '
                           . 'filename="evil.exe"'), data => $pdf } ]);
try_refused($t, 400, 'InvalidPartHeader',
            'filename="a.pdf\\"; name="contentType": a repeated name',
            parts => [ { head => file_head(
                             'name="file"; filename="a.pdf\\"; '
                           . 'name="contentType"'), data => $pdf } ]);

# filename* after the literal close wins, as always, and is judged
try_refused($t, 415, 'ExtensionNotAllowed',
            "filename=\"a.pdf\\\"; filename*=UTF-8''evil.exe: judged",
            parts => [ { head => file_head(
                             q{name="file"; filename="a.pdf\\"; }
                           . q{filename*=UTF-8''evil.exe}),
                         data => $pdf } ]);

# text fields whose names end in a backslash are other fields: they do
# not rename the file, retype it or make it inline
try_accepted($t, 'fields named name\\, contentType\\, isInline\\ are ignored',
             parts => [ { head => file_head(
                              'name="file"; filename="report.pdf"'),
                          data => $pdf },
                        { head => 'Content-Disposition: form-data; '
                                . 'name="name\\"', data => 'evil.exe' },
                        { head => 'Content-Disposition: form-data; '
                                . 'name="contentType\\"',
                          data => 'image/png' },
                        { head => 'Content-Disposition: form-data; '
                                . 'name="isInline\\"', data => 'true' } ],
             want => { name => 'report.pdf', type => 'application/pdf',
                       inline => 0, data => $pdf });

# a text part where the quoted-pair reading parses stays a text part,
# though the literal reading would see a filename in it
try_accepted($t, 'name="note\\"; filename=" stays a text field',
             parts => [ { head => 'Content-Disposition: form-data; '
                                . 'name="note\\"; filename="',
                          data => 'not a file' },
                        { head => file_head(
                              'name="file"; filename="report.pdf"'),
                          data => $pdf } ],
             want => { name => 'report.pdf', data => $pdf });

# a field named filename\ is not the refused field "filename", and names
# nothing
try_accepted($t, 'a text field named filename\\ names nothing',
             parts => [ { head => 'Content-Disposition: form-data; '
                                . 'name="filename\\"', data => 'evil.exe' },
                        { head => file_head(
                              'name="file"; filename="report.pdf"'),
                          data => $pdf } ],
             want => { name => 'report.pdf', data => $pdf });

# what only the literal reading parses is a file part like any other:
# beside another file it is a second file, alone its name is judged
{
    $t->graph_clear;
    my $r = $t->post(path => "/graph$msg",
                     parts => [ { head => file_head(
                                      'name="file"; filename="report.pdf"'),
                                  data => $pdf },
                                { head => file_head(
                                      'name="note\\"; filename="x.pdf\\"'),
                                  data => $pdf } ]);
    is($r->{status}, 201,
       'name="note\\"; filename="x.pdf\\" beside a file: two files');
    is_deeply([ map { ($_->{json} || {})->{name} // '' }
                grep { $_->{method} eq 'POST' } $t->graph_records ],
              [ 'report.pdf', 'x.pdf' ],
              'name="note\\"; filename="x.pdf\\" beside a file: both named');
}
try_refused($t, 415, 'ExtensionNotAllowed',
            'name="note\\"; filename="x.exe\\" alone: judged as x.exe',
            parts => [ { head => file_head(
                             'name="note\\"; filename="x.exe\\"'),
                         data => $pdf } ]);

# the name field is sanitised the same way, and judged
try_accepted($t, 'name field "ends with\\"',
             parts => [ { head => file_head(
                              'name="file"; filename="report.pdf"'),
                          data => $pdf },
                        { name => 'name', data => 'ends with\\' } ],
             want => { name => 'ends with', data => $pdf });
try_refused($t, 415, 'ExtensionNotAllowed', 'name field "evil.exe\\"',
            parts => [ { head => file_head(
                             'name="file"; filename="report.pdf"'),
                         data => $pdf },
                       { name => 'name', data => 'evil.exe\\' } ]);

# neither reading parses: refused as before
try_refused($t, 400, 'InvalidPartHeader',
            'filename="a\\"b: unterminated either way',
            parts => [ { head => file_head('name="file"; filename="a\\"b'),
                         data => $pdf } ]);
try_refused($t, 400, 'InvalidPartHeader',
            'filename="a\\"; x=\\": a backslash outside quotes',
            parts => [ { head => file_head(
                             'name="file"; filename="a\\"; x=\\"'),
                         data => $pdf } ]);

$t->done_testing;
