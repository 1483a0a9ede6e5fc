#!/usr/bin/perl
# graph-attach: attacks on the plan of several files (all or nothing),
# item attachments and /me.
#
# Each block is an attack a hostile client, or a Graph answer the module
# must not trust, tried against the plan: an attachment made twice or left
# behind, an undo DELETE sent elsewhere, a header written from Graph's
# answer, a field or a refusal slipping from one file to another.  Every
# check is on what the Graph stand-in received and holds.

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

my $main_loc = "graph_attach on;\n"
             . "            graph_attach_token_key graph:token:t1;\n"
             . "            graph_attach_max_size 30m;\n"
             . "            client_max_body_size 40m;\n"
             . "            graph_attach_deny_extensions exe;\n"
             . "            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%"
             . "\$graph_attach_uri;\n";

my $server = <<'EOF';
        # UNSAFE without an authenticating proxy: only to vary the user
        location /hdr/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_user $http_x_user;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }

        location /sess/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_max_size 30m;
            client_max_body_size 40m;
            graph_attach_upload /_graph_upload;
            graph_attach_upload_hosts http://127.0.0.1:%%GRAPH_PORT%%;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }

        location /_graph_upload {
            internal;
            proxy_pass $graph_attach_upload_url;
        }

        location /inmem/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            client_body_buffer_size 8m;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }
EOF

$t->start(location => $main_loc, server => $server);

my $token = 'eyJ0eXAi.attacks-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $MSG = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $PATH = "/graph$MSG";

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

sub item_part {
    my ($json) = @_;
    return { head => 'Content-Disposition: form-data; name="item"'
                   . "\r\nContent-Type: application/json",
             data => $json };
}

sub field { my ($n, $v) = @_; return { name => $n, data => $v } }

sub attaches { grep { ($_->{kind} // '') eq 'attach' && $_->{method} eq 'POST' }
               $t->graph_records }

sub deletes { grep { $_->{method} eq 'DELETE' } $t->graph_records }

sub held { $t->graph_message_attachments("/v1.0$MSG") }

sub post_form {
    my (@parts) = @_;
    $t->graph_clear;
    return $t->post(path => $PATH, parts => \@parts, timeout => 60);
}

sub no_crash {
    my ($label) = @_;
    unlike($t->slurp('logs/error.log'), qr/signal \d+|exited on/,
           "$label: no worker crashed");
}


# --- the client leaves while an undo DELETE waits for Retry-After -----------
#
# File 2 is refused by Graph; the DELETE of file 1 is throttled (503,
# Retry-After: 2).  The client closes meanwhile: the DELETE must still be
# sent again, or file 1 stays attached although nobody was told.

{
    $t->graph_clear;
    $t->graph_attachment_faults({ attachment => 2, stall => 1.5, status => 400,
                                  code => 'ErrorInvalidRequest' });
    my $raw = $t->build_request(path => $PATH,
                                parts => [ file_part('one.txt', 'first'),
                                           file_part('two.txt', 'second') ]);
    my $c = $t->connect(timeout => 30);
    $c->send($raw);
    ok($t->wait_for(sub { scalar(attaches()) >= 2 }, 10),
       'leave during undo retry: file 2 sent');
    $t->graph_queue(status => 503, headers => { 'Retry-After' => '2' },
                    json => { error => { code => 'ServiceUnavailable',
                                         message => 'busy' } });
    ok($t->wait_for(sub { scalar(deletes()) >= 1 }, 10),
       'leave during undo retry: the DELETE of file 1 was throttled');
    sleep 0.3;
    $c->close;
    $t->wait_for(sub { scalar(deletes()) >= 2 }, 8);
    is(scalar(held()), 0,
       'leave during undo retry: file 1 is deleted after all')
        or diag(explain([ map { "$_->{method} $_->{path} "
                                . ($_->{status} // '') } $t->graph_records ]));
    no_crash('leave during undo retry');
}


# --- Graph's 201 names an id that is a path segment of its own ---------------
#
# The undo DELETE is {path}/{id}: an id of ".." would make it the DELETE
# of the message itself once dot segments are resolved.  Ids are
# base64-like (the session's Location is held to A-Z a-z 0-9 - _ = + /);
# an id outside that is an answer not understood, never a path.

for my $id ('..', '.', '../../../../users/bob@contoso.com/messages/X',
            "a\r\nX-Evil: 1", 'a b', "\x{e9}t\x{e9}", 'a%2F..') {
    my $label = 'id ' . JSON::PP->new->ascii->allow_nonref->encode($id);
    $t->graph_clear;
    $t->graph_queue(status => 201,
                    json => { '@odata.type' => '#microsoft.graph.fileAttachment',
                              id => $id, name => 'one.txt' });
    $t->graph_attachment_faults({ attachment => 1, status => 400,
                                  code => 'ErrorInvalidRequest' });
    my $r = $t->post(path => $PATH,
                     parts => [ file_part('one.txt', 'first'),
                                file_part('two.txt', 'second') ],
                     timeout => 30);
    my @bad = grep { $_->{path} !~ m{^/v1\.0\Q$MSG\E/[A-Za-z0-9_=+%-]+$} }
              deletes();
    is(scalar @bad, 0, "$label: no DELETE outside the message's attachments")
        or diag(explain([ map { "$_->{method} $_->{path}" } @bad ]));
    $t->check_error($r, status => 502, code => 'AttachOutcomeUnknown',
                    label => "$label: not understood");
}

# one item alone: Graph's id is the Location the client gets
{
    $t->graph_clear;
    $t->graph_queue(status => 201,
                    json => { '@odata.type' => '#microsoft.graph.itemAttachment',
                              id => "AAMk\r\nX-Evil: injected", name => 'x' });
    my $r = $t->post(path => $PATH,
                     parts => [ item_part('{"@odata.type":"#microsoft.graph.'
                                          . 'message","subject":"hi"}') ]);
    ok(!exists $r->{headers}{'x-evil'},
       'one item, CR LF in the id: no header of Graph\'s making');
    unlike($r->{headers}{location} // '', qr/[\r\n ]/,
           'one item, CR LF in the id: no raw CR, LF or space in Location');
}


# --- a DELETE that fails for good: the client is told what stays ----------
#
# Every DELETE of the undo answered 500 (five tries each): file 1 stays
# attached, and the client is told so (502 AttachUndoFailed, notDeleted),
# not given file 2's error alone, which would say nothing is attached.

{
    $t->graph_clear;
    $t->graph_attachment_faults({ attachment => 2, stall => 1, status => 400,
                                  code => 'ErrorInvalidRequest' });
    my $raw = $t->build_request(path => $PATH,
                                parts => [ file_part('one.txt', 'first'),
                                           file_part('two.txt', 'second') ]);
    my $c = $t->connect(timeout => 60);
    $c->send($raw);
    $t->wait_for(sub { scalar(attaches()) >= 2 }, 10);
    # a canned 500 for each of the five tries of the DELETE
    $t->graph_queue(status => 500, json => { error => {
                        code => 'InternalServerError', message => 'x' } })
        for 1 .. 5;
    my $r = $c->read_response;
    $c->close;
    is(scalar(held()), 1, 'undo fails: file 1 is still attached (the setup)');
    is(scalar(deletes()), 5, 'undo fails: the DELETE was tried five times');
    $t->check_error($r || {}, status => 502, code => 'AttachUndoFailed',
                    label => 'undo fails: 502 AttachUndoFailed');
    my $in = (($r || {})->{json} || {})->{error}{innerError} || {};
    is($in->{index}, 2, 'undo fails: innerError index of the failing file');
    is($in->{cause}, 'ErrorInvalidRequest', 'undo fails: the cause, Graph\'s code');
    is_deeply($in->{notDeleted}, [ 1 ], 'undo fails: notDeleted [1]');
}


# --- the policy judges every file, whatever its place ------------------------

{
    my @files = map { file_part("f$_.txt", "file $_") } 1 .. 10;
    $files[6] = file_part('report.pdf.exe', 'MZ' . ("\0" x 64));
    my $r = post_form(@files);
    $t->check_error($r, status => 415, label => 'file 7 of 10 .exe');
    is($r->{json}{error}{innerError}{index}, 7, 'file 7 of 10 .exe: index 7');
    $t->nothing_upstream('file 7 of 10 .exe');

    # a name that becomes .exe only once sanitised (directory, trailing
    # dot and space, a zero-width space)
    for my $name ("dir/x.exe", "x.exe. ", "x.e\x{200b}xe") {
        my $n = $name;
        utf8::encode($n);
        $r = post_form(file_part('a.txt', 'a'), file_part($n, 'b'));
        ok($r->{status} >= 400 && $r->{status} < 500,
           "file 2 named \"$n\": refused") or diag($r->{body});
        $t->nothing_upstream("file 2 named \"$n\"");
    }

    # the second name field names the second file: judged as its name
    $r = post_form(file_part('a.txt', 'a'), file_part('b.txt', 'b'),
                   field('name', ''), field('name', 'payload.exe'));
    $t->check_error($r, status => 415, label => 'second name field .exe');
    is($r->{json}{error}{innerError}{index}, 2,
       'second name field .exe: index 2');
    $t->nothing_upstream('second name field .exe');

    # a contentType field for the n-th attachment when that one is an item
    $r = post_form(item_part('{"@odata.type":"#microsoft.graph.message",'
                             . '"subject":"s"}'),
                   file_part('b.txt', 'b'),
                   field('contentType', 'text/plain'));
    is($r->{status}, 400, 'a contentType field that falls on an item: 400');
    $t->nothing_upstream('a contentType field that falls on an item');
}

# an item named by the policy's denied extension
{
    my $r = post_form(item_part('{"@odata.type":"#microsoft.graph.message",'
                                . '"subject":"invoice.pdf.exe"}'));
    $t->check_error($r, status => 415, code => 'ExtensionNotAllowed',
                    label => 'an item named *.exe: refused by the deny list');
    $t->nothing_upstream('an item named *.exe');
}


# --- /me with several files: every call, the undo too, in the user's mailbox -

{
    $t->graph_clear;
    $t->graph_attachment_faults({ attachment => 2, status => 400,
                                  code => 'ErrorInvalidRequest' });
    my $r = $t->post(path => '/hdr/me/messages/AAMkAGI1AAA=/attachments',
                     headers => { 'X-User' => "o'neil\@contoso.com" },
                     parts => [ file_part('one.txt', 'first'),
                                file_part('two.txt', 'second') ],
                     timeout => 30);
    is($r->{status}, 400, '/me, file 2 refused: Graph\'s 400');
    my @rec = $t->graph_records;
    ok(@rec == 3 && !grep({ $_->{path} !~ m{^/v1\.0/users/o(?:'|%27)neil\@contoso\.com/
                                          messages/AAMkAGI1AAA=/attachments}x }
                          @rec),
       '/me, file 2 refused: POSTs and the DELETE in the user\'s mailbox')
        or diag(explain([ map { "$_->{method} $_->{path}" } @rec ]));
    is(scalar($t->graph_message_attachments(
               "/v1.0/users/o'neil\@contoso.com/messages/AAMkAGI1AAA=/attachments")),
       0, '/me, file 2 refused: undone');
}

# a user value that is not a mailbox never reaches Graph, one file or three
for my $u ('alice@contoso.com/messages/X', '../users/bob@contoso.com',
           'alice@contoso.com%2F..') {
    $t->graph_clear;
    my $r = $t->post(path => '/hdr/me/messages/AAMkAGI1AAA=/attachments',
                     headers => { 'X-User' => $u },
                     parts => [ map { file_part("f$_.txt", "x") } 1 .. 3 ],
                     timeout => 30);
    is($r->{status}, 403, "/me as \"$u\": refused");
    $t->nothing_upstream("/me as \"$u\"");
}


# --- memory: ten items of 1 MB each -------------------------------------------
#
# Each item's buffer doubled up to its size and every old buffer, and the
# item as sent once re-serialised, stayed in the request's pool for the
# whole plan: about 3.3 times the items' size a request (33 MB for ten).

SKIP: {
    skip 'peak RSS of the workers, not under valgrind', 2 if $t->valgrind;

    sub peaks {
        my %h;
        for my $pid ($t->nginx_workers) {
            open my $f, '<', "/proc/$pid/status" or next;
            ($h{$pid}) = map { /(\d+)/ } grep { /^VmHWM:/ } <$f>;
        }
        return \%h;
    }

    my $before = peaks();
    my $content = 'x' x ($MiB - 200);
    my $item = '{"@odata.type":"#microsoft.graph.message","subject":"s",'
             . '"body":{"contentType":"text","content":"' . $content . '"}}';
    my $r = post_form(map { item_part($item) } 1 .. 10);
    is($r->{status}, 201, 'ten items of 1 MB: 201')
        or diag(substr $r->{body} // '', 0, 300);
    my $after = peaks();
    my ($grew) = sort { $b <=> $a }
                 map { ($after->{$_} // 0) - ($before->{$_} // 0) } keys %$after;
    cmp_ok($grew // 0, '<', 20 * 1024,
           'ten items of 1 MB: a worker\'s peak grew by less than 20 MB (kB)');
}


# --- several files over HTTP/2, chunked, and in an in-memory body -----------

{
    my $dir = $t->servroot . '/tmp';
    my @d = (data_of(40 * $KiB, 21), data_of(2_300_000, 22), data_of(3 * $KiB, 23));
    for my $i (0 .. 2) {
        open my $f, '>', "$dir/h2-$i.bin" or die;
        print $f $d[$i];
        close $f;
    }
    my @F = map { ('-F', "file=\@$dir/h2-$_.bin;filename=h2-$_.bin") } 0 .. 2;

    $t->graph_clear;
    my $r = $t->curl('--http2-prior-knowledge', @F,
                     'http://127.0.0.1:' . $t->h2_port . "/sess$MSG");
    is($r->{status}, 201, 'HTTP/2, three files: 201')
        or diag(substr $r->{body} // '', 0, 300);
    is_deeply([ map { $_->{sha256} } held() ], [ map { sha256_hex($_) } @d ],
              'HTTP/2, three files: each byte-exact, once, in order');

    $t->graph_clear;
    $r = $t->curl('-H', 'Transfer-Encoding: chunked', @F,
                  'http://127.0.0.1:' . $t->port . "/sess$MSG");
    is($r->{status}, 201, 'chunked, three files: 201')
        or diag(substr $r->{body} // '', 0, 300);
    is_deeply([ map { $_->{sha256} } held() ], [ map { sha256_hex($_) } @d ],
              'chunked, three files: each byte-exact, once, in order');

    # the whole body in memory (client_body_buffer_size 8m): the slices
    # point into the body's own buffers
    $t->graph_clear;
    $r = $t->curl(map({ ('-F', "file=\@$dir/h2-$_.bin;filename=m-$_.bin") } 0, 2),
                  'http://127.0.0.1:' . $t->port . "/inmem$MSG");
    is($r->{status}, 201, 'in memory, two files: 201')
        or diag(substr $r->{body} // '', 0, 300);
    is_deeply([ map { $_->{sha256} } held() ], [ map { sha256_hex($_) } @d[0, 2] ],
              'in memory, two files: each byte-exact');

    # HTTP/2, the client resets the stream while file 2 is out
    $t->graph_clear;
    $t->graph_attachment_faults({ attachment => 2, stall => 2 });
    $t->run(cmd => [ 'curl', '-sS', '--max-time', '1', '--http2-prior-knowledge',
                     map({ ('-F', "file=\@$dir/h2-$_.bin;filename=r-$_.bin") } 0, 2),
                     'http://127.0.0.1:' . $t->h2_port . "/sess$MSG" ], timeout => 10);
    $t->wait_for(sub { scalar(deletes()) >= 2 }, 8);
    sleep 0.5;
    is(scalar(deletes()), 2, 'HTTP/2 reset during file 2: both deleted');
    is(scalar(held()), 0, 'HTTP/2 reset during file 2: nothing left attached')
        or diag(explain([ map { "$_->{method} $_->{path} " . ($_->{status} // '') }
                          $t->graph_records ]));
    no_crash('HTTP/2 reset during file 2');
}


# --- Graph's 201 for file 2 that cannot be read -------------------------------
#
# Too long without contentBytes, not JSON, or without an id: file 2's
# outcome is unknown (it cannot be deleted), file 1 is deleted.

for my $case ([ 'over 8 KB', { json => { id => 'AAMkB=', name => 'two.txt',
                                         pad => 'x' x 9000 } } ],
              [ 'not JSON', { body => 'Created' } ],
              [ 'no id', { json => { name => 'two.txt' } } ]) {
    my ($label, $answer) = @$case;
    $t->graph_clear;
    # file 1 stalls: the canned answer is queued for file 2
    $t->graph_attachment_faults({ attachment => 1, stall => 1 });
    my $raw = $t->build_request(path => $PATH,
                                parts => [ file_part('one.txt', 'first'),
                                           file_part('two.txt', 'second'),
                                           file_part('three.txt', 'third') ]);
    my $c = $t->connect(timeout => 30);
    $c->send($raw);
    $t->wait_for(sub { scalar(attaches()) >= 1 }, 10);
    $t->graph_queue(status => 201, %$answer);
    my $r = $c->read_response;
    $c->close;
    $t->check_error($r, status => 502, code => 'AttachOutcomeUnknown',
                    label => "201 $label for file 2");
    is($r->{json}{error}{innerError}{index}, 2, "201 $label for file 2: index 2");
    is(scalar(attaches()), 2, "201 $label for file 2: file 3 never sent");
    is(scalar(held()), 0, "201 $label for file 2: file 1 deleted");
}

# the same id for two files: the second DELETE finds it gone (404)
{
    $t->graph_clear;
    my $obj = { '@odata.type' => '#microsoft.graph.fileAttachment',
                id => 'AAMkDup=', name => 'x' };
    $t->graph_queue(status => 201, json => $obj) for 1 .. 2;
    $t->graph_attachment_faults({ attachment => 1, status => 400,
                                  code => 'ErrorInvalidRequest' });
    my $r = $t->post(path => $PATH,
                     parts => [ map { file_part("d$_.txt", "d$_") } 1 .. 3 ],
                     timeout => 30);
    is($r->{status}, 400, 'one id for two files: file 3\'s 400');
    is(scalar(deletes()), 2, 'one id for two files: two DELETEs, no more');
}


$t->done_testing();
