# Uploads from real client libraries, each with its own multipart
# encoding of names: Python requests, urllib3, httpx, aiohttp, Node's
# fetch + FormData, Go's mime/multipart, Perl LWP.  Programs live in
# t/clients/; each prints {"status":N,"body":"..."}.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use GraphAttach::Test;

my $t = GraphAttach::Test->new;
$t->start;

my $token = 'eyJ0eXAi.clients-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $root = $t->root;
my $py = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';
my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $url = $t->url("/graph$msg");

my $dir = $t->servroot . '/files';
make_path($dir);
my $data = random_bytes(20000, 5) . "\r\n------WebKitFormBoundary\r\n--"
         . random_bytes(3000, 6);
my $file = "$dir/payload.bin";
open(my $fh, '>:raw', $file) or die;
print {$fh} $data;
close $fh;

# Build the Go client once (GOCACHE and GOPATH in the servroot; stdlib
# only, so no network).
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

sub have_py {
    my ($mod) = @_;
    return system($py, '-c', "import $mod") == 0;
}

my @clients = (
    [ 'python requests', have_py('requests'),
      [ $py, "$root/t/clients/upload.py", 'requests' ] ],
    [ 'python urllib3', have_py('urllib3'),
      [ $py, "$root/t/clients/upload.py", 'urllib3' ] ],
    [ 'python httpx', have_py('httpx'),
      [ $py, "$root/t/clients/upload.py", 'httpx' ] ],
    [ 'python aiohttp', have_py('aiohttp'),
      [ $py, "$root/t/clients/upload.py", 'aiohttp' ] ],
    [ 'node fetch', system('sh', '-c', 'command -v node >/dev/null') == 0,
      [ 'node', "$root/t/clients/upload.mjs" ] ],
    [ 'go', defined $go_bin, [ $go_bin // 'go' ] ],
    [ 'perl LWP', eval { require LWP::UserAgent; 1 },
      [ $^X, "$root/t/clients/upload_lwp.pl" ] ],
);

my @uploads = (
    # [filename, content type, fields, inline, content id]
    [ 'naïve "résumé"; v2.pdf', 'application/pdf', [], 0, undef ],
    [ '日本語 ümlaut; x=1.txt', 'text/plain; charset=utf-8',
      [ 'isInline=true', 'contentId=cid-42' ], 1, 'cid-42' ],
);

for my $c (@clients) {
    my ($label, $available, $cmd) = @$c;
  SKIP: {
        skip "$label is not installed", scalar @uploads unless $available;

        for my $u (@uploads) {
            my ($name, $type, $fields, $inline, $cid) = @$u;
            $t->graph_clear;
            my ($st, $out, $err) = $t->run(
                cmd => [ @$cmd, $url, $file, $name, $type, @$fields ],
                timeout => 60);
            my $res = eval { decode_json($out) } || {};
            subtest "$label: '$name'" => sub {
                is($st, 0, 'client ran') or diag($err);
                is($res->{status}, 201, 'status 201') or diag($out . $err);
                my ($rec) = $t->graph_records;
                $t->check_upstream($rec, label => "$label '$name'",
                                   token => $token, name => $name,
                                   type => $type, data => $data,
                                   inline => $inline, content_id => $cid,
                                   path => "/v1.0$msg");
            };
        }
    }
}

$t->done_testing;
