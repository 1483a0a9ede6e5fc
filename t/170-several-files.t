#!/usr/bin/perl
# graph-attach: several files in one form, all or nothing.
#
# Each file part becomes one attachment, in form order, through the
# simple POST or an upload session as its size says; the client gets 201
# {"value":[...]} only when every file was attached.  A refused file
# refuses the form before anything is sent; a failure at Graph deletes
# what the request attached before it; a client that leaves gets nothing
# attached.  The n-th name, contentType, isInline and contentId field is
# the n-th file's.  Every check is on what the Graph stand-in received.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use JSON::PP ();
use MIME::Base64 qw(decode_base64);
use Test::More;
use Time::HiRes qw(time sleep);
use GraphAttach::Test;

my $KiB = 1024;
my $MiB = 1024 * 1024;

my $t = GraphAttach::Test->new;

my $hosts = 'graph_attach_upload_hosts http://127.0.0.1:%%GRAPH_PORT%%;';

my $main_loc = "graph_attach on;\n"
             . "            graph_attach_token_key graph:token:t1;\n"
             . "            graph_attach_max_size 60m;\n"
             . "            graph_attach_upload /_graph_upload;\n"
             . "            $hosts\n"
             . "            graph_attach_deny_extensions exe;\n"
             . "            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%"
             . "\$graph_attach_uri;\n";

my $server = join '',
    graph_location('/two/', "graph_attach_max_files 2;\n"
                          . "            graph_attach_max_size 60m;"),
    graph_location('/one/', 'graph_attach_max_files 1;'),
    <<'EOF';
        location /_graph_upload {
            internal;
            proxy_pass $graph_attach_upload_url;
        }
EOF

$t->start(location => $main_loc, server => $server);

my $token = 'eyJ0eXAi.several-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $MSG = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

sub path_for { my ($prefix) = @_; return "/$prefix$MSG" }

sub data_of {
    my ($size, $seed) = @_;
    my $d = '';
    $d .= sha256_hex("$seed-" . length $d) while length $d < $size;
    return substr($d, 0, $size);
}

sub file_part {
    my ($name, $data, $type) = @_;
    return { name => 'file', filename => $name, data => $data,
             type => $type // 'application/octet-stream' };
}

sub field { my ($n, $v) = @_; return { name => $n, data => $v } }

sub attaches { grep { ($_->{kind} // '') eq 'attach' && $_->{method} eq 'POST' }
               $t->graph_records }

sub undos { grep { $_->{method} eq 'DELETE'
                   && $_->{path} =~ m{/attachments/[^/]+$} } $t->graph_records }

# what Graph got for a simple POST: name, contentType, bytes, ...
sub sent {
    my ($rec) = @_;
    my $j = $rec->{json} || {};
    return { %$j, bytes => decode_base64($j->{contentBytes} // '') };
}

sub post_form {
    my ($prefix, @parts) = @_;
    $t->graph_clear;
    return $t->post(path => path_for($prefix), parts => \@parts,
                    timeout => 60);
}


# --- two small files ------------------------------------------------------

{
    my @d = (data_of(10 * $KiB, 1), data_of(300 * $KiB, 2));
    my $r = post_form('graph', file_part('a.pdf', $d[0], 'application/pdf'),
                      file_part('b.txt', $d[1], 'text/plain'));
    is($r->{status}, 201, 'two files: 201') or diag(substr $r->{body}, 0, 400);
    my $v = ref $r->{json} eq 'HASH' ? $r->{json}{value} : undef;
    is(ref $v, 'ARRAY', 'two files: {"value":[...]}');
    is(scalar @{ $v || [] }, 2, 'two files: two attachments');
    is_deeply([ map { $_->{name} } @{ $v || [] } ], [ 'a.pdf', 'b.txt' ],
              'two files: in form order');
    ok(!grep({ exists $_->{contentBytes} } @{ $v || [] }),
       'two files: no contentBytes in the answer');
    ok(!grep({ !defined $_->{id} || $_->{id} eq '' } @{ $v || [] }),
       'two files: each with its id');
    ok(!exists $r->{headers}{location}, 'two files: no Location');

    my @a = attaches();
    is(scalar @a, 2, 'two files: two simple POSTs');
    my @s = map { sent($_) } @a;
    is_deeply([ map { $_->{name} } @s ], [ 'a.pdf', 'b.txt' ],
              'two files: Graph got them in order');
    ok($s[0]{bytes} eq $d[0] && $s[1]{bytes} eq $d[1],
       'two files: each byte-exact');
    is_deeply([ map { $_->{contentType} } @s ],
              [ 'application/pdf', 'text/plain' ],
              'two files: each its own contentType');
    is_deeply([ map { $_->{'@odata.type'} } @s ],
              [ ('#microsoft.graph.fileAttachment') x 2 ],
              'two files: fileAttachment JSON');
    ok(!grep({ ($_->{headers}{authorization} // '') ne "Bearer $token" } @a),
       'two files: each POST with the token');
    ok(!grep({ ($_->{headers}{'content-type'} // '') !~ m{^application/json} } @a),
       'two files: each POST application/json');
    is(scalar(undos()), 0, 'two files: nothing deleted');
    is_deeply([ map { $_->{name} } $t->graph_message_attachments("/v1.0$MSG") ],
              [ 'a.pdf', 'b.txt' ], 'two files: the message holds both, once');
}


# --- the n-th field is the n-th file's ---------------------------------------

{
    my @d = (data_of(2 * $KiB, 3), data_of(3 * $KiB, 4), data_of(1 * $KiB, 5));
    my $r = post_form('graph',
                      field('isInline', 'true'), field('contentId', 'logo'),
                      file_part('logo.png', $d[0], 'image/png'),
                      field('isInline', 'true'), field('contentId', 'chart'),
                      file_part('chart.png', $d[1], 'image/png'),
                      field('name', ''), field('name', ''),
                      field('name', 'Notes.txt'),
                      file_part('n.txt', $d[2], 'text/plain'));
    is($r->{status}, 201, 'inline images: 201') or diag(substr $r->{body}, 0, 400);
    my @s = map { sent($_) } attaches();
    is_deeply([ map { $_->{name} } @s ], [ 'logo.png', 'chart.png', 'Notes.txt' ],
              'fields: an empty name is the default, the third is the third file\'s');
    is_deeply([ map { $_->{isInline} ? 1 : 0 } @s ], [ 1, 1, 0 ],
              'fields: isInline per file');
    is_deeply([ map { $_->{contentId} } @s ], [ 'logo', 'chart', undef ],
              'fields: contentId per file');
}

# more fields of a kind than files: the repeated field it is with one
{
    my $r = post_form('graph', file_part('a.txt', 'a'), file_part('b.txt', 'b'),
                      field('name', 'x'), field('name', 'y'), field('name', 'z'));
    $t->check_error($r, status => 400, code => 'InvalidField',
                    label => 'three names for two files');
    $t->nothing_upstream('three names for two files');
}


# --- a session among simple POSTs -------------------------------------------

{
    my @d = (data_of(100 * $KiB, 6), data_of(3_000_000, 7), data_of(5 * $KiB, 8));
    my $r = post_form('graph', file_part('one.bin', $d[0]),
                      file_part('big.zip', $d[1], 'application/zip'),
                      file_part('three.txt', $d[2], 'text/plain'));
    is($r->{status}, 201, 'mixed sizes: 201') or diag(substr $r->{body}, 0, 400);
    my $v = ref $r->{json} eq 'HASH' ? $r->{json}{value} : [];
    is_deeply([ map { $_->{name} } @$v ], [ 'one.bin', 'big.zip', 'three.txt' ],
              'mixed sizes: in form order');
    my @rec = $t->graph_records;
    is_deeply([ map { $_->{kind} } grep { $_->{kind} ne 'upload' } @rec ],
              [ 'attach', 'create', 'attach' ],
              'mixed sizes: simple POST, session, simple POST, in order');
    my @s = map { sent($_) } attaches();
    ok(@s == 2 && $s[0]{bytes} eq $d[0] && $s[1]{bytes} eq $d[2],
       'mixed sizes: the small files byte-exact');
    my ($sess) = $t->graph_sessions;
    ok($sess && $sess->{complete} && $sess->{sha256} eq sha256_hex($d[1]),
       'mixed sizes: the large one byte-exact through the session');
    is($v->[1]{size}, 3_000_000, 'mixed sizes: the session\'s size');
    is(scalar(undos()), 0, 'mixed sizes: nothing deleted');
}


# --- one file refused: nothing sent --------------------------------------

{
    my $r = post_form('graph', file_part('a.txt', 'a' x 100),
                      file_part('b.txt', 'b' x 100),
                      file_part('setup.exe', 'MZ' . ("\0" x 100)));
    $t->check_error($r, status => 415, label => 'file 3 refused');
    is($r->{json}{error}{innerError}{index}, 3, 'file 3 refused: index 3');
    is($r->{json}{error}{innerError}{name}, 'setup.exe',
       'file 3 refused: its name');
    $t->nothing_upstream('file 3 refused');
}

{
    my $r = post_form('graph', file_part('a.txt', 'a'), file_part('b.txt', ''));
    $t->check_error($r, status => 400, code => 'EmptyFile',
                    label => 'file 2 empty');
    is($r->{json}{error}{innerError}{index}, 2, 'file 2 empty: index 2');
    $t->nothing_upstream('file 2 empty');
}

# one file keeps its answer: no innerError
{
    my $r = post_form('graph', file_part('setup.exe', 'MZ' . ("\0" x 100)));
    $t->check_error($r, status => 415, label => 'one file refused');
    ok(!exists $r->{json}{error}{innerError}, 'one file refused: no innerError');
}


# --- graph_attach_max_files -------------------------------------------------

{
    my $r = post_form('graph', map { file_part("f$_.txt", "x$_") } 1 .. 11);
    $t->check_error($r, status => 400, code => 'TooManyFiles',
                    label => 'eleven files, the default 10');
    $t->nothing_upstream('eleven files');

    $r = post_form('graph', map { file_part("f$_.txt", "x$_") } 1 .. 10);
    is($r->{status}, 201, 'ten files: 201');
    is(scalar(attaches()), 10, 'ten files: ten POSTs');

    $r = post_form('two', map { file_part("f$_.txt", "x$_") } 1 .. 3);
    $t->check_error($r, status => 400, code => 'TooManyFiles',
                    label => 'three files under graph_attach_max_files 2');

    $r = post_form('one', file_part('a.txt', 'a'), file_part('b.txt', 'b'));
    $t->check_error($r, status => 400, code => 'TooManyFiles',
                    label => 'two files under graph_attach_max_files 1');
    $t->nothing_upstream('graph_attach_max_files 1');
}


# --- Graph fails a file: what was attached is deleted --------------------

# file 2 is a session whose createUploadSession Graph refuses
{
    $t->graph_clear;
    $t->graph_upload_faults({ create => JSON::PP::true, status => 403,
                              code => 'ErrorAccessDenied' });
    my $r = $t->post(path => path_for('graph'),
                     parts => [ file_part('ok.txt', 'fine'),
                                file_part('big.bin', data_of(2_500_000, 9)) ],
                     timeout => 60);
    is($r->{status}, 403, 'file 2 refused by Graph: Graph\'s 403');
    is($r->{json}{error}{code}, 'ErrorAccessDenied',
       'file 2 refused by Graph: Graph\'s code');
    is($r->{json}{error}{innerError}{index}, 2,
       'file 2 refused by Graph: innerError index 2');
    is($r->{json}{error}{innerError}{name}, 'big.bin',
       'file 2 refused by Graph: innerError name');
    my @a = attaches();
    my @u = undos();
    is(scalar @u, 1, 'file 2 refused by Graph: one DELETE');
    like($u[0]{path} // '', qr{^/v1\.0\Q$MSG\E/[^/]+$},
         'file 2 refused by Graph: the DELETE is of an attachment of the message');
    is($u[0]{headers}{authorization}, "Bearer $token",
       'file 2 refused by Graph: the DELETE carries the token');
    is(scalar($t->graph_message_attachments("/v1.0$MSG")), 0,
       'file 2 refused by Graph: the message holds none of them');
}

# Graph fails file 3 for good: files 1 and 2 are deleted again
{
    $t->graph_clear;
    $t->graph_attachment_faults({ attachment => 3, status => 500 });
    my $r = $t->post(path => path_for('graph'),
                     parts => [ map { file_part("f$_.txt", "file $_") } 1 .. 4 ],
                     timeout => 60);
    $t->check_error($r, status => 502, code => 'AttachFailed',
                    label => '500 on file 3');
    is($r->{json}{error}{innerError}{index}, 3, '500 on file 3: index 3');
    is($r->{json}{error}{innerError}{name}, 'f3.txt', '500 on file 3: its name');
    is(scalar(undos()), 2, '500 on file 3: two DELETEs');
    is(scalar(attaches()), 3, '500 on file 3: file 4 never sent');
    is(scalar($t->graph_message_attachments("/v1.0$MSG")), 0,
       '500 on file 3: the message holds none of them');
}

# Graph's 4xx on file 2: relayed, with innerError naming the file
{
    $t->graph_clear;
    $t->graph_attachment_faults({ attachment => 2, status => 400,
                                  code => 'ErrorInvalidRequest' });
    my $r = $t->post(path => path_for('graph'),
                     parts => [ file_part('a.txt', 'aa'), file_part('b.txt', 'bb') ],
                     timeout => 60);
    is($r->{status}, 400, '400 on file 2: Graph\'s status');
    is($r->{json}{error}{code}, 'ErrorInvalidRequest', '400 on file 2: Graph\'s code');
    is($r->{json}{error}{innerError}{index}, 2, '400 on file 2: index');
    ok(exists $r->{json}{error}{innerError}{'request-id'}
       || exists $r->{json}{error}{innerError}{date},
       '400 on file 2: Graph\'s innerError kept');
    is(scalar($t->graph_message_attachments("/v1.0$MSG")), 0,
       '400 on file 2: the message holds none of them');
}

# 503 on file 2 with Retry-After: sent again, all attached once
{
    $t->graph_clear;
    $t->graph_attachment_faults({ attachment => 2, status => 503,
                                  retry_after => '1' });
    my $r = $t->post(path => path_for('graph'),
                     parts => [ map { file_part("g$_.txt", "g $_") } 1 .. 3 ],
                     timeout => 60);
    is($r->{status}, 201, '503 on file 2: 201 after the retry');
    is_deeply([ map { $_->{name} } $t->graph_message_attachments("/v1.0$MSG") ],
              [ 'g1.txt', 'g2.txt', 'g3.txt' ],
              '503 on file 2: the message holds each once, in order');
}

# 429 on file 1, Retry-After 1: sent again, then all attached
{
    $t->graph_clear;
    $t->graph_queue(status => 429, headers => { 'Retry-After' => '1' },
                    json => { error => { code => 'ApplicationThrottled',
                                         message => 'slow down' } });
    my $t0 = time;
    my $r = $t->post(path => path_for('graph'),
                     parts => [ file_part('a.txt', 'aa'), file_part('b.txt', 'bb') ],
                     timeout => 60);
    is($r->{status}, 201, '429 on file 1: 201 after the retry')
        or diag(substr $r->{body}, 0, 300);
    is(scalar(attaches()), 3, '429 on file 1: three POSTs (one again)');
    ok(time - $t0 >= 0.9, '429 on file 1: after Retry-After');
}

# 500 on file 1: not sent again (it may have attached), AttachFailed
{
    $t->graph_clear;
    $t->graph_queue(status => 500, json => { error => {
                        code => 'InternalServerError', message => 'x' } });
    my $r = $t->post(path => path_for('graph'),
                     parts => [ file_part('a.txt', 'aa'), file_part('b.txt', 'bb') ],
                     timeout => 60);
    $t->check_error($r, status => 502, code => 'AttachFailed',
                    label => '500 on file 1');
    is($r->{json}{error}{innerError}{index}, 1, '500 on file 1: index 1');
    is(scalar(attaches()), 1, '500 on file 1: not sent again, nor file 2');
}


# --- the client leaves midway ----------------------------------------------

{
    $t->graph_clear;
    $t->graph_upload_faults({ range => 1, stall => 3 });
    my $raw = $t->build_request(path => path_for('graph'),
                                parts => [ file_part('a.txt', 'first'),
                                           file_part('big.bin',
                                                     data_of(6_000_000, 10)),
                                           file_part('c.txt', 'third') ]);
    my $c = $t->connect(timeout => 30);
    $c->send($raw);
    ok($t->wait_for(sub { grep { ($_->{kind} // '') eq 'upload' }
                          $t->graph_records }, 20),
       'client leaves: during file 2');
    $c->close;
    ok($t->wait_for(sub { scalar undos() }, 15),
       'client leaves: file 1 is deleted');
    sleep 4;
    my ($s) = $t->graph_sessions;
    ok($s && $s->{cancelled} && !$s->{complete},
       'client leaves: the session of file 2 is cancelled')
        or diag(explain([ map { "$_->{method} $_->{path} " . ($_->{status} // '') }
                          $t->graph_records ]), explain($s));
    is(scalar(attaches()), 1, 'client leaves: file 3 never sent');
    is(scalar($t->graph_message_attachments("/v1.0$MSG")), 0,
       'client leaves: the message holds none of them');
    unlike($t->slurp('logs/error.log'), qr/signal \d+|exited on/,
           'client leaves: no worker crashed');
}

# --- real clients: curl -F (several), Python requests (a list), Chromium
# FormData (the same field name once a file, as <input multiple> sends)

{
    my $dir = $t->servroot . '/files';
    mkdir $dir;
    my @d = (data_of(20 * $KiB, 11), data_of(2_200_000, 12), data_of(3 * $KiB, 13));
    my @f = map { my $p = "$dir/c$_.bin"; open my $fh, '>:raw', $p or die;
                  print $fh $d[$_]; close $fh; $p } 0 .. 2;

    $t->graph_clear;
    my $r = $t->curl('-F', "file=\@$f[0];filename=a.pdf;type=application/pdf",
                     '-F', "file=\@$f[1];filename=b.zip;type=application/zip",
                     '-F', "file=\@$f[2];filename=c.txt;type=text/plain",
                     $t->url(path_for('graph')));
    is($r->{status}, 201, 'curl, three -F: 201') or diag(substr $r->{body}, 0, 300);
    is_deeply([ map { $_->{name} } $t->graph_message_attachments("/v1.0$MSG") ],
              [ 'a.pdf', 'b.zip', 'c.txt' ],
              'curl, three -F: the message holds each once, in order');
    my ($sess) = $t->graph_sessions;
    ok($sess && $sess->{sha256} eq sha256_hex($d[1]),
       'curl, three -F: the large one through a session, byte-exact');

    $t->graph_clear;
    my $py = <<'PY';
import sys, requests
url, *paths = sys.argv[1:]
files = [("file", (p.rsplit("/", 1)[1], open(p, "rb"))) for p in paths]
r = requests.post(url, files=files, timeout=60)
print(r.status_code)
PY
    my ($st, $out, $err) = $t->run(cmd => [ $GraphAttach::Test::PYTHON, '-c', $py,
                                            $t->url(path_for('graph')), @f ],
                                   timeout => 90);
    is(($out =~ /(\d{3})/)[0], 201, 'python requests, a list of files: 201')
        or diag($err);
    is_deeply([ map { $_->{name} } $t->graph_message_attachments("/v1.0$MSG") ],
              [ 'c0.bin', 'c1.bin', 'c2.bin' ],
              'python requests: each once, in order');
    my @a = map { sent($_) } attaches();
    ok(@a == 2 && $a[0]{bytes} eq $d[0] && $a[1]{bytes} eq $d[2],
       'python requests: the small ones byte-exact');
}

SKIP: {
    skip 'chromium is not installed', 4 unless GraphAttach::Test::chromium();

    $t->graph_clear;
    my $res = $t->browse_page('/multiple.html?target=' . path_for('graph'),
                              budget => 20000, timeout => 120);
    is($res->{status}, 201, 'chromium FormData, three files: 201')
        or diag($res->{body});
    is_deeply([ map { $_->{name} } $t->graph_message_attachments("/v1.0$MSG") ],
              [ 'one.bin', "deux \x{e9}.bin", 'three.txt' ],
              'chromium FormData: each once, in order');
    my $gen = sub { my ($k, $n) = @_;
                    join '', map { chr(($_ * $k + $k) % 256) } 0 .. $n - 1 };
    my @a = map { sent($_) } attaches();
    ok(@a == 2 && $a[0]{bytes} eq $gen->(1, 10240) && $a[1]{bytes} eq $gen->(3, 1024),
       'chromium FormData: the small ones byte-exact');
    my ($sess) = $t->graph_sessions;
    ok($sess && $sess->{sha256} eq sha256_hex($gen->(2, 3_000_000)),
       'chromium FormData: the large one byte-exact through a session');
}

$t->done_testing();
