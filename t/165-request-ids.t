# Request ids end to end (issue 12).  A client's client-request-id that
# is one GUID reaches Graph as the client sent it (either case); anything
# else (none, not a GUID, braces, spaces inside, several headers, too
# long, control bytes, non-ASCII, the nil GUID) is replaced by a fresh
# one and appears nowhere in what Graph got or in the response.  Every
# call a client request makes (the files of a form, a session's create,
# ranges and DELETE, an undo) carries the same one.  The client gets the
# client-request-id used and Graph's request-id of the call that decided
# the answer, as response headers, on every answer: Graph's 201 and
# errors relayed, the module's own refusals and nginx's (no request-id:
# Graph never saw them), a form of several files, a session.  A
# request-id from upstream that is not one GUID is dropped (junk,
# control bytes, a bare CR, two of them).  The access log has both, beside
# nginx's $request_id.  Over HTTP/1.1 and HTTP/2.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use GraphAttach::Test;

my $t = GraphAttach::Test->new;

# --- configuration ----------------------------------------------------------

my $http = <<'EOF';
    log_format ids escape=json
        '{"request_id":"$request_id",'
        '"client_request_id":"$graph_attach_request_id",'
        '"graph_request_id":"$graph_attach_graph_request_id",'
        '"status":"$status","uri":"$request_uri"}';
EOF

my $ids_log = 'access_log %%SERVROOT%%/logs/ids.log ids;';
my $graph = 'proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;';

my $location = <<"EOF";
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_max_size 150m;
            graph_attach_upload /_graph_upload;
            graph_attach_upload_hosts http://127.0.0.1:%%GRAPH_PORT%%;
            graph_attach_upload_chunk 1m;
            $ids_log
            $graph
EOF

my $server = <<"EOF";
        # refused by nginx before the module runs
        location /denied/ {
            deny all;
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            $ids_log
            $graph
        }

        # Graph cannot be reached: nginx's own 502
        location /down/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            $ids_log
            proxy_pass http://127.0.0.1:1\$graph_attach_uri;
        }

        location /_graph_upload {
            internal;
            proxy_pass \$graph_attach_upload_url;
        }
EOF

$t->start(http => $http, location => $location, server => $server);

my $token = 'eyJ0eXAi.request-ids-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $MSG = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $MiB = 1024 * 1024;

# error lines Graph being unreachable and a broken upstream cause
$t->allow_log(qr/connect\(\) failed|upstream sent invalid header/);


# --- helpers ------------------------------------------------------------------

my @HEX = ('0' .. '9', 'a' .. 'f');

sub new_guid {
    my $s = join '', map { $HEX[int rand 16] } 1 .. 32;
    substr($s, 12, 1) = '4';
    return join '-', unpack 'A8 A4 A4 A4 A12', $s;
}

sub values_of {
    my ($rec, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name }
           @{ $rec->{header_list} };
}

# everything the stand-in received, headers and bodies
sub upstream_text {
    return join "\n", map {
        my $rec = $_;
        (map { "$_->[0]: $_->[1]" } @{ $rec->{header_list} }),
        $rec->{body} // ''
    } @_;
}

sub ids_lines {
    return grep { length } split /\n/, $t->slurp('logs/ids.log');
}

# the access log line of the request just made (nginx writes it as it
# closes the connection; HTTP/2 may be a moment later)
my $LINES = 0;

sub ids_log {
    my @l;
    for (1 .. 50) {
        @l = ids_lines();
        last if @l > $LINES;
        sleep 0.1;
    }
    $LINES = @l;
    return {} unless @l;
    my $j = eval { decode_json($l[-1]) };
    Test::More::diag("not a JSON log line: $l[-1]") unless $j;
    return $j // {};
}

sub small_part {
    my ($n) = @_;
    $n //= 1;
    return { name => 'file', filename => "f$n.txt", type => 'text/plain',
             data => "request ids, file $n\n" };
}

# POSTs a form (one small file unless parts are given) with the client's
# headers; returns the response and what the stand-in received
sub attach {
    my (%o) = @_;
    $t->graph_clear;
    my $r = $t->post(path => $o{path} // "/graph$MSG",
                     parts => $o{parts} // [ small_part() ],
                     headers => $o{headers} // [],
                     timeout => 60, chunk_size => 65536,
                     ($o{method} ? (method => $o{method}) : ()));
    $r //= { status => 0, headers => {}, header_list => [], raw => '' };
    return ($r, $t->graph_records);
}

# the response's headers of that name
sub response_values {
    my ($r, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name }
           @{ $r->{header_list} || [] };
}

# The client was told the id every call carried, Graph's request-id of
# the call at index $decisive (undef: none), and the log line says both.
sub told {
    my ($label, $r, $rec, $decisive, $crid) = @_;
    my @rec = @$rec;
    my @crids = map { values_of($_, 'client-request-id') } @rec;
    my $log = ids_log();

    subtest "ids: $label" => sub {
        is(scalar(grep { scalar(values_of($_, 'client-request-id')) == 1 }
                  @rec), scalar @rec,
           'each call to Graph carried one client-request-id')
            if @rec;
        my %uniq = map { $_ => 1 } @crids;
        is(scalar keys %uniq, @rec ? 1 : 0, 'all calls the same one');
        my @told = response_values($r, 'client-request-id');
        is(scalar @told, 1, 'the client got one client-request-id');
        ok(is_guid($told[0]), '... a GUID');
        is($told[0], $crids[0], '... the one Graph got') if @rec;
        is($told[0], $crid, "... the client's own") if defined $crid;

        my @rid = response_values($r, 'request-id');
        if (defined $decisive) {
            is(scalar @rid, 1, 'one request-id');
            is($rid[0], $rec[$decisive]{request_id},
               "Graph's request-id of call " . ($decisive + 1)
               . " of " . scalar(@rec));
        } else {
            is(scalar @rid, 0, 'no request-id');
        }

        is($log->{client_request_id}, $told[0],
           'log: $graph_attach_request_id');
        is($log->{graph_request_id}, defined $decisive ? $rid[0] : '',
           'log: $graph_attach_graph_request_id');
        like($log->{request_id} // '', qr/^[0-9a-f]{32}$/,
             'log: $request_id, nginx\'s own');
        is($log->{status}, $r->{status}, 'log: the status');
    };

    return $crids[0] // (response_values($r, 'client-request-id'))[0];
}

# $needle is in nothing the stand-in got, the response, or the error log
sub nowhere {
    my ($label, $needle, $r, @rec) = @_;
    my $skip_error_log = (@rec && !ref $rec[-1]) ? pop @rec : 0;
    return if !defined $needle || !length $needle;
    ok(index(upstream_text(@rec), $needle) < 0,
       "$label: not in what Graph got");
    ok(index($r->{raw} // '', $needle) < 0, "$label: not in the response");
    ok(index($t->slurp('logs/error.log'), $needle) < 0,
       "$label: not in the error log") unless $skip_error_log;
    ok(index($t->slurp('logs/ids.log'), $needle) < 0,
       "$label: not in the access log");
}


# --- a GUID passes through ----------------------------------------------------

{
    my $id = new_guid();
    my ($r, @rec) = attach(headers => [ [ 'client-request-id', $id ] ]);
    is($r->{status}, 201, 'a GUID: 201') or diag($r->{raw});
    is(scalar @rec, 1, 'a GUID: one call');
    is_deeply([ values_of($rec[0], 'client-request-id') ], [ $id ],
              'a GUID: Graph got it, once, as sent');
    told('a GUID', $r, \@rec, 0, $id);
    is($r->{json}{name}, 'f1.txt', 'a GUID: the attachment relayed');
}

# either case, as sent: Graph reads GUIDs case-insensitively, and the
# client finds its own bytes in Graph's answer and the logs
for my $case ([ 'upper case', sub { uc $_[0] } ],
              [ 'mixed case', sub { my $s = $_[0]; $s =~ s/([a-f])([a-f0-9])/\U$1\E$2/g; $s } ])
{
    my ($label, $f) = @$case;
    my $id = $f->(new_guid());
    $id =~ s/^[0-9]/A/;           # a letter to change case, surely
    my ($r, @rec) = attach(headers => [ [ 'client-request-id', $id ] ]);
    is($r->{status}, 201, "$label: 201");
    is_deeply([ values_of($rec[0], 'client-request-id') ], [ $id ],
              "$label: Graph got it byte for byte");
    told($label, $r, \@rec, 0, $id);
}

# the header's name in any case; spaces around the value are no part of
# it (RFC 9110, 5.5: nginx strips them in HTTP/1; a TAB it keeps, and the
# value is then no GUID: below)
{
    my $id = new_guid();
    my ($r, @rec) = attach(headers => [ [ 'Client-Request-ID', $id ] ]);
    is_deeply([ values_of($rec[0], 'client-request-id') ], [ $id ],
              'name in another case: passes');
    told('name in another case', $r, \@rec, 0, $id);

    $id = new_guid();
    ($r, @rec) = attach(headers => [ [ 'client-request-id', "  $id   " ] ]);
    is_deeply([ values_of($rec[0], 'client-request-id') ], [ $id ],
              'spaces around: the GUID passes');
    told('spaces around', $r, \@rec, 0, $id);
}

# --- every kind of bad value is replaced ---------------------------------------

# [label, headers, the bytes that must appear nowhere]
my @bad;
{
    my $g = new_guid();
    my $mid = substr($g, 9, 14);      # "xxxx-4xxx-xxxx", kept by each value
    my $put = sub { my ($pos, $c) = @_; my $s = $g; substr($s, $pos, 1) = $c; $s };
    my $g2 = new_guid();

    @bad = (
        [ 'none', [], undef ],
        [ 'empty', [ [ 'client-request-id', '' ] ], undef ],
        [ 'not a GUID', [ [ 'client-request-id', "not-a-guid-$mid" ] ], $mid ],
        [ 'braces', [ [ 'client-request-id', "{$g}" ] ], $mid ],
        [ 'urn', [ [ 'client-request-id', "urn:uuid:$g" ] ], $mid ],
        [ 'no hyphens', [ [ 'client-request-id', $g =~ tr/-//dr ] ],
          $g =~ tr/-//dr ],
        [ 'a space inside', [ [ 'client-request-id', $put->(4, ' ') ] ], $mid ],
        [ 'a TAB inside', [ [ 'client-request-id', $put->(2, "\t") ] ], $mid ],
        [ 'a TAB after', [ [ 'client-request-id', "$g\t" ] ], $mid ],
        [ 'a control byte', [ [ 'client-request-id', $put->(35, "\x01") ] ],
          $mid ],
        [ 'DEL', [ [ 'client-request-id', $put->(0, "\x7f") ] ], $mid ],
        [ 'an escape sequence', [ [ 'client-request-id',
                                    "$g\e[2J" ] ], $mid ],
        [ 'non-ASCII (UTF-8)', [ [ 'client-request-id', $put->(30, "\xc3\xa9") ] ],
          $mid ],
        [ 'a fullwidth digit', [ [ 'client-request-id',
                                   $put->(1, "\xef\xbc\x91") ] ], $mid ],
        [ 'Latin-1 byte', [ [ 'client-request-id', $put->(28, "\xe9") ] ], $mid ],
        [ 'one short', [ [ 'client-request-id', substr($g, 0, 35) ] ], $mid ],
        [ 'one long', [ [ 'client-request-id', "${g}0" ] ], $mid ],
        [ 'over-long', [ [ 'client-request-id', $g . ('0' x 4000) ] ], $mid ],
        [ 'two in one header', [ [ 'client-request-id', "$g, $g2" ] ], $mid ],
        [ 'two headers', [ [ 'client-request-id', $g ],
                           [ 'client-request-id', $g2 ] ], $mid ],
        [ 'the same twice', [ [ 'client-request-id', $g ],
                              [ 'Client-Request-Id', $g ] ], $mid ],
        [ 'the nil GUID', [ [ 'client-request-id',
                              '00000000-0000-0000-0000-000000000000' ] ],
          '00000000-0000-0000-0000-000000000000' ],
        # nginx itself logs a header it ignores ("client sent invalid
        # header line") at info: not the module's line
        [ 'underscores (another header)', [ [ 'client_request_id', $g ] ],
          $mid, 'nginx logs it' ],
    );
}

for my $c (@bad) {
    my ($label, $headers, $needle, $nginx_logs) = @$c;
    my ($r, @rec) = attach(headers => $headers);
    is($r->{status}, 201, "$label: 201") or diag(substr($r->{raw}, 0, 500));
    is(scalar @rec, 1, "$label: one call");
    my @got = values_of($rec[0], 'client-request-id');
    ok(@got == 1 && is_guid($got[0]), "$label: Graph got one fresh GUID")
        or diag("got: @got");
    told($label, $r, \@rec, 0);
    nowhere($label, $needle, $r, @rec, $nginx_logs);
}

# two requests with no id: two different fresh ones
{
    my ($r1, @rec1) = attach();
    told('fresh 1', $r1, \@rec1, 0);
    my ($r2, @rec2) = attach();
    told('fresh 2', $r2, \@rec2, 0);
    isnt($r1->{headers}{'client-request-id'}, $r2->{headers}{'client-request-id'},
         'a fresh id for each request');
}

# --- HTTP/2 -------------------------------------------------------------------

{
    my $file = $t->servroot . '/tmp/h2.txt';
    open(my $fh, '>', $file) or die "$file: $!";
    print {$fh} "over HTTP/2\n";
    close $fh;
    my $url = 'http://127.0.0.1:' . $t->h2_port . "/graph$MSG";

    for my $c ([ 'HTTP/2, a GUID', uc(new_guid()), 1 ],
               [ 'HTTP/2, braces', '{' . new_guid() . '}', 0 ],
               [ 'HTTP/2, two headers', new_guid(), 0, new_guid() ])
    {
        my ($label, $id, $passes, $second) = @$c;
        $t->graph_clear;
        my $r = $t->curl('--http2-prior-knowledge',
                         '-H', "client-request-id: $id",
                         ($second ? ('-H', "client-request-id: $second") : ()),
                         '-F', "file=\@$file;type=text/plain", $url);
        is($r->{version}, 'HTTP/2', "$label: spoke HTTP/2");
        is($r->{status}, 201, "$label: 201") or diag($r->{body});
        my @rec = $t->graph_records;
        my @got = values_of($rec[0], 'client-request-id');
        if ($passes) {
            is_deeply(\@got, [ $id ], "$label: Graph got it as sent");
            told($label, $r, \@rec, 0, $id);
        } else {
            ok(@got == 1 && is_guid($got[0]) && $got[0] ne $id,
               "$label: replaced") or diag("got: @got");
            told($label, $r, \@rec, 0);
            nowhere($label, $id, $r, @rec);
            nowhere($label, $second, $r, @rec) if $second;
        }
    }
}

# --- several files, a session ----------------------------------------------------

# three files: three POSTs with the one id; the client gets the last
# POST's request-id (each call has its own)
{
    my $id = new_guid();
    my ($r, @rec) = attach(headers => [ [ 'client-request-id', $id ] ],
                           parts => [ map { small_part($_) } 1 .. 3 ]);
    is($r->{status}, 201, 'three files: 201') or diag($r->{raw});
    is(scalar @rec, 3, 'three files: three POSTs');
    my %rids = map { ($_->{request_id} // '') => 1 } @rec;
    is(scalar keys %rids, 3, 'three files: Graph gave each call its own id');
    told('three files', $r, \@rec, 2, $id);
}

# file 2 of 3 refused by Graph: file 1 is deleted again; the client gets
# file 2's request-id, not the undo's
{
    my $id = new_guid();
    $t->graph_clear;
    $t->graph_attachment_faults({ attachment => 2, status => 403,
                                  code => 'ErrorAccessDenied' });
    my $r = $t->post(path => "/graph$MSG", timeout => 60,
                     headers => [ [ 'client-request-id', $id ] ],
                     parts => [ map { small_part($_) } 1 .. 3 ]);
    my @rec = $t->graph_records;
    is($r->{status}, 403, 'file 2 refused: 403 relayed') or diag($r->{raw});
    is(join(' ', map { $_->{method} } @rec), 'POST POST DELETE',
       'file 2 refused: POST, POST, the undo DELETE');
    told('file 2 refused', $r, \@rec, 1, $id);
    isnt($r->{headers}{'request-id'}, $rec[2]{request_id},
         "file 2 refused: not the undo's request-id");
    is($r->{json}{error}{innerError}{'client-request-id'}, $id,
       "file 2 refused: Graph's innerError names the same id");
}

# one file through a session: create and every range carry the one id;
# the client gets the last range's request-id
{
    my $id = new_guid();
    my $data = random_bytes(int(2.5 * $MiB), 18);
    my ($r, @rec) = attach(headers => [ [ 'client-request-id', $id ] ],
                           parts => [ { name => 'file', filename => 'big.bin',
                                        type => 'application/octet-stream',
                                        data => $data } ]);
    is($r->{status}, 201, 'session: 201') or diag(substr($r->{raw}, 0, 500));
    is(join(' ', map { $_->{kind} } @rec), 'create upload upload upload',
       'session: create and three ranges');
    told('session', $r, \@rec, 3, $id);
}

# a range refused: the session is cancelled; the client gets the
# refused range's request-id, not the cancel's
{
    my $id = new_guid();
    $t->graph_clear;
    $t->graph_upload_faults({ range => 2, status => 400,
                              code => 'InvalidContentRange' });
    my $r = $t->post(path => "/graph$MSG", timeout => 60,
                     headers => [ [ 'client-request-id', $id ] ],
                     chunk_size => 65536,
                     parts => [ { name => 'file', filename => 'big.bin',
                                  type => 'application/octet-stream',
                                  data => random_bytes(int(2.5 * $MiB), 19) } ]);
    my @rec = $t->graph_records;
    is($r->{status}, 400, 'range refused: 400 relayed') or diag($r->{raw});
    is(join(' ', map { "$_->{kind}:$_->{method}" } @rec),
       'create:POST upload:PUT upload:PUT upload:DELETE',
       'range refused: create, two ranges, the cancel');
    told('range refused', $r, \@rec, 2, $id);
}

# a small file and a big one: a POST, then a session
{
    my $id = new_guid();
    my ($r, @rec) = attach(headers => [ [ 'client-request-id', $id ] ],
                           parts => [ small_part(1),
                                      { name => 'file', filename => 'big.bin',
                                        type => 'application/octet-stream',
                                        data => random_bytes(int(2.2 * $MiB),
                                                             20) } ]);
    is($r->{status}, 201, 'a file and a session: 201') or diag($r->{raw});
    is(join(' ', map { $_->{kind} } @rec), 'attach create upload upload upload',
       'a file and a session: the calls');
    told('a file and a session', $r, \@rec, $#rec, $id);
}

# --- answers Graph never gave -------------------------------------------------------

# the module's own refusals: the client's id, no request-id; a client
# that has no valid id gets the fresh one its log line holds
for my $c ([ 'refused: method', [ method => 'GET', parts => [] ], 405 ],
           [ 'refused: extension',
             [ parts => [ { name => 'file', filename => 'run.exe',
                            type => 'application/octet-stream',
                            data => 'MZ' } ] ], 415 ],
           [ 'refused: mailbox path',
             [ path => '/graph/users/a%2Fb/messages/M/attachments' ], 400 ])
{
    my ($label, $req, $status) = @$c;
    my %req = @$req;
    for my $id (new_guid(), undef) {
        my $l = $label . (defined $id ? ', a GUID' : ', no id');
        my ($r, @rec) = attach(%req, headers => defined $id
                                     ? [ [ 'client-request-id', $id ] ] : []);
        is($r->{status}, $status, "$l: $status");
        is(scalar @rec, 0, "$l: nothing reached Graph");
        told($l, $r, \@rec, undef, $id);
    }
}

# nginx's own answers in a graph_attach location: deny, and Graph not
# reachable (502)
for my $c ([ 'denied by nginx', '/denied', 403 ],
           [ 'Graph unreachable', '/down', 502 ])
{
    my ($label, $prefix, $status) = @$c;
    my $id = new_guid();
    my ($r, @rec) = attach(path => "$prefix$MSG",
                           headers => [ [ 'client-request-id', $id ] ]);
    is($r->{status}, $status, "$label: $status");
    like($r->{headers}{'content-type'} // '', qr{^application/json},
         "$label: JSON");
    told($label, $r, \@rec, undef, $id);

    ($r, @rec) = attach(path => "$prefix$MSG",
                        headers => [ [ 'client-request-id', "x$id" ] ]);
    told("$label, a bad id", $r, \@rec, undef);
    nowhere("$label, a bad id", "x$id", $r, @rec);
}

# --- Graph's errors, relayed -------------------------------------------------------

{
    my $id = new_guid();
    $t->graph_clear;
    $t->graph_attachment_faults({ attachment => 1, status => 404,
                                  code => 'ErrorItemNotFound' });
    my $r = $t->post(path => "/graph$MSG", parts => [ small_part() ],
                     headers => [ [ 'client-request-id', $id ] ]);
    my @rec = $t->graph_records;
    is($r->{status}, 404, "Graph's 404 relayed");
    is($r->{json}{error}{code}, 'ErrorItemNotFound', "... Graph's code");
    told("Graph's 404", $r, \@rec, 0, $id);
    is($r->{json}{error}{innerError}{'request-id'}, $r->{headers}{'request-id'},
       "Graph's 404: innerError and the header agree");

    $t->graph_clear;
    $t->graph_queue(status => 429, headers => { 'Retry-After' => '2.128' },
                    json => { error => { code => 'ApplicationThrottled',
                                         message => 'slow down' } });
    $r = $t->post(path => "/graph$MSG", parts => [ small_part() ],
                  headers => [ [ 'client-request-id', $id ] ]);
    @rec = $t->graph_records;
    is($r->{status}, 429, "Graph's 429 relayed");
    is($r->{headers}{'retry-after'}, '2.128', '... with its Retry-After');
    told("Graph's 429", $r, \@rec, 0, $id);
}

# --- a hostile or broken request-id from upstream ------------------------------------

my $junk = 'junk' . int(rand(1e9));
my @hostile = (
    [ 'script', { request_id => "<script>$junk</script>" } ],
    [ 'control bytes', { request_id => substr(new_guid(), 0, 30) . "\x01\x1b$junk" } ],
    [ 'non-ASCII', { request_id => substr(new_guid(), 0, 35) . "\xe9$junk" } ],
    [ 'a GUID and more', { request_id => new_guid() . "; $junk" } ],
    [ 'over-long', { request_id => $junk . ('a' x 3000) } ],
    [ 'braces', { request_id => '{' . new_guid() . "}$junk" } ],
    [ 'two request-ids', { request_id => [ new_guid(), new_guid() ] } ],
    [ 'the nil GUID', { request_id => '00000000-0000-0000-0000-000000000000' } ],
    [ 'none', { request_id => undef } ],
    [ 'a client-request-id of its own', { client_request_id => "$junk\x01" } ],
);

for my $c (@hostile) {
    my ($label, $ids) = @$c;
    my $id = new_guid();
    my @needles = grep { defined }
                  map { ref $_ ? @$_ : $_ } values %$ids;

    # the simple POST, relayed by proxy_pass
    $t->graph_clear;
    $t->graph_reply_ids(%$ids);
    my $r = $t->post(path => "/graph$MSG", parts => [ small_part() ],
                     headers => [ [ 'client-request-id', $id ] ]);
    my @rec = $t->graph_records;
    is($r->{status}, 201, "upstream $label: 201");
    if ($label =~ /client-request-id/) {
        told("upstream $label", $r, \@rec, 0, $id);
    } else {
        told("upstream $label", $r, \@rec, undef, $id);
    }
    for my $n (@needles) {
        ok(index($r->{raw_head} // $r->{raw}, $n) < 0,
           "upstream $label: not in the response's headers");
        ok(index($t->slurp('logs/ids.log'), $n) < 0,
           "upstream $label: not in the access log");
    }

    # several files: the module's own answer
    $t->graph_clear;
    $t->graph_reply_ids(%$ids);
    $r = $t->post(path => "/graph$MSG", timeout => 60,
                  parts => [ small_part(1), small_part(2) ],
                  headers => [ [ 'client-request-id', $id ] ]);
    @rec = $t->graph_records;
    is($r->{status}, 201, "upstream $label, two files: 201");
    if ($label =~ /client-request-id/) {
        told("upstream $label, two files", $r, \@rec, 1, $id);
    } else {
        told("upstream $label, two files", $r, \@rec, undef, $id);
    }
    for my $n (@needles) {
        ok(index($r->{raw} // '', $n) < 0,
           "upstream $label, two files: not in the response");
    }
}

# an upper-case GUID from upstream is a GUID: passed as it came
{
    my $rid = uc new_guid();
    $t->graph_clear;
    $t->graph_reply_ids(request_id => $rid);
    my ($r, @rec);
    $r = $t->post(path => "/graph$MSG", parts => [ small_part() ]);
    @rec = $t->graph_records;
    is($r->{headers}{'request-id'}, $rid,
       'upstream upper-case GUID: passed as it came');
    told('upstream upper-case GUID', $r, \@rec, 0);
}

# a bare CR in the header: nginx refuses the upstream's answer (502)
{
    my $id = new_guid();
    $t->graph_clear;
    $t->graph_reply_ids(request_id => new_guid() . "\r$junk");
    my $r = $t->post(path => "/graph$MSG", parts => [ small_part() ],
                     headers => [ [ 'client-request-id', $id ] ]);
    my @rec = $t->graph_records;
    is($r->{status}, 502, 'upstream bare CR: 502');
    like($r->{headers}{'content-type'} // '', qr{^application/json},
         'upstream bare CR: JSON');
    told('upstream bare CR', $r, \@rec, undef, $id);
    ok(index($r->{raw}, $junk) < 0, 'upstream bare CR: nothing of it relayed');
}

$t->graph_reply_ids;

$t->done_testing;
