# Headers Graph sees (issue 7 item 10): only an allow-list of client
# headers reaches Graph.  Accept, Accept-Language, User-Agent,
# X-Request-Id, traceparent and tracestate pass unchanged, and whatever
# graph_attach_pass_header names; the module sets Content-Type,
# Content-Length, Authorization and client-request-id, proxy_pass sets
# Host and Connection.  Everything else a client sends (X-AnchorMailbox,
# X-HTTP-Method-Override, Prefer, If-Match, credentials, forwarding
# headers, ...) is dropped while the upload still gets its 201.  The
# allowed headers the client's Connection header names are dropped too
# (RFC 9110, 7.6.1), in linear work.  Then what an attacker tries: name
# case, underscores, invalid names, HTTP/2, duplicated Content-Type,
# Transfer-Encoding games.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use GraphAttach::Test;
use GraphAttach::Hostile;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

my $t = GraphAttach::Test->new(workers => 1);

# a second server (inheritance) and a third that parses headers as
# leniently as nginx can (attacks)
my ($port2, $port3) = GraphAttach::Test::free_ports(2);

sub conf_test {
    my ($directive, %opt) = @_;
    my $c = $t->nginx_conf(location_extra => $directive, %opt);
    my $file = $t->servroot . '/conf/test.conf';
    open(my $fh, '>', $file) or die "$file: $!";
    print {$fh} $c;
    close $fh;
    my $out = `/usr/sbin/nginx -p @{[ $t->servroot ]}/ -c $file -t 2>&1`;
    return ($? == 0, $out);
}

# Debian's nginx 1.22 has max_headers (a backport, 1000 by default);
# other builds have no such limit
my $max_headers = (conf_test('', http => 'max_headers 6000;'))[0]
                ? 'max_headers 6000;' : '';

sub loc { graph_location(@_) }

my $conf = <<"EOF";
load_module %%MODULE%%;

events {
    worker_connections 512;
}

http {
    access_log %%SERVROOT%%/logs/access.log;

    client_body_temp_path %%SERVROOT%%/tmp/client_body;
    proxy_temp_path %%SERVROOT%%/tmp/proxy;
    fastcgi_temp_path %%SERVROOT%%/tmp/fastcgi;
    uwsgi_temp_path %%SERVROOT%%/tmp/uwsgi;
    scgi_temp_path %%SERVROOT%%/tmp/scgi;

    graph_attach_redis %%REDIS%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%H2_PORT%% http2;

@{[ loc('/graph/') ]}
@{[ loc('/pass/', 'graph_attach_pass_header X-Custom-Thing x-FORWARDED-for;') ]}
@{[ loc('/twice/', "graph_attach_pass_header X-A;\n"
                 . "            graph_attach_pass_header X-B X-A accept;") ]}
@{[ loc('/psh/',
        "proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;\n"
      . "            proxy_set_header X-Operator set-by-config;\n"
      . "            proxy_set_header X-Echo-Anchor \$http_x_anchormailbox;\n"
      . "            proxy_set_header X-Echo-Cookie \$http_cookie;") ]}
    }

    server {
        listen 127.0.0.1:$port2;

        graph_attach_pass_header X-Server-Thing;

@{[ loc('/graph/') ]}
@{[ loc('/override/', 'graph_attach_pass_header X-Loc-Thing;') ]}
@{[ loc('/off/', 'graph_attach_pass_header off;') ]}
    }

    server {
        listen 127.0.0.1:$port3;

        underscores_in_headers on;
        ignore_invalid_headers off;
        large_client_header_buffers 8 128k;
        $max_headers

@{[ loc('/graph/', 'graph_attach_pass_header X-Custom-Thing;') ]}
    }
}
EOF

$t->start(conf => $conf);

my $token = 'eyJ0eXAi.hdr-token-' . int(rand(1e9));
$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $tail = 'users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

# what may reach Graph without graph_attach_pass_header
my @always = qw(host connection content-length content-type
                client-request-id authorization);
my @default = qw(accept accept-language user-agent x-request-id
                 traceparent tracestate);

sub up_names { map { lc $_->[0] } @{ $_[0]{header_list} } }

sub up_values {
    my ($rec, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name }
           @{ $rec->{header_list} };
}

# every name the stand-in received is one of @always, @default or @extra
sub only_allowed {
    my ($rec, $label, @extra) = @_;
    my %ok = map { lc($_) => 1 } @always, @default, @extra;
    my @bad = grep { !$ok{$_} } up_names($rec);
    ok(!@bad, "$label: no header off the allow-list reached Graph")
        or diag("got: @bad");
}

# an upload through PATH (default /graph/) on PORT with HEADERS; returns
# the stand-in's record after the usual checks (201, one request, the
# module's own headers right)
sub upload {
    my ($label, %opt) = @_;
    my $prefix = delete $opt{prefix} // '/graph/';
    my (undef, $rec) = try_accepted($t, $label, path => "$prefix$tail",
                                    parts => [ good_part() ], %opt);
    return $rec || { header_list => [], headers => {} };
}

# --- the hostile headers, one at a time -----------------------------------

my @hostile = (
    [ 'X-AnchorMailbox', 'ceo@contoso.com' ],
    [ 'X-HTTP-Method-Override', 'DELETE' ],
    [ 'X-HTTP-Method', 'DELETE' ],
    [ 'X-Method-Override', 'PATCH' ],
    [ 'Prefer', 'IdType="ImmutableId", respond-async' ],
    [ 'If-Match', '*' ],
    [ 'If-None-Match', '*' ],
    [ 'If-Unmodified-Since', 'Sat, 01 Jan 2000 00:00:00 GMT' ],
    [ 'Cookie', 'session=client-cookie-SMUGGLED' ],
    [ 'Proxy-Authorization', 'Basic U01VR0dMRUQ6eA==' ],
    [ 'Authorization', 'Bearer client-own-SMUGGLED' ],
    [ 'X-Forwarded-For', '203.0.113.7' ],
    [ 'X-Forwarded-Host', 'graph.microsoft.com' ],
    [ 'Forwarded', 'for=203.0.113.7;host=evil.example' ],
    [ 'X-Real-IP', '203.0.113.7' ],
    [ 'Origin', 'https://evil.example' ],
    [ 'Referer', 'https://evil.example/page' ],
    [ 'X-MS-Exchange-Organization-AuthAs', 'Internal' ],
    [ 'x-ms-throttle-priority', 'High' ],
    [ 'X-ClientTraceId', 'smuggled-trace' ],
    [ 'ConsistencyLevel', 'eventual' ],
    [ 'Accept-Encoding', 'gzip, br' ],
    [ 'request-id', '11111111-2222-4333-8444-555555555555' ],
    [ 'Content-Encoding', 'identity' ],
    [ 'Content-Location', '/v1.0/users/ceo@contoso.com' ],
    [ 'X-AnCHorMaIlBoX', 'odd-case@contoso.com' ],
    [ 'X-Custom-Thing', 'only-where-passed' ],
);

for my $h (@hostile) {
    my ($name, $value) = @$h;
    my $rec = upload("hostile $name", headers => [ [ $name, $value ] ]);
    if (grep { $_ eq lc $name } @always) {
        # the module's own header of that name, not the client's
        ok(!grep({ $_ eq $value } up_values($rec, $name)),
           "the client's $name did not reach Graph");
    } else {
        ok(!grep({ $_ eq lc $name } up_names($rec)),
           "$name did not reach Graph")
            or diag("$name: " . join(', ', up_values($rec, $name)));
    }
    only_allowed($rec, $name);
}

{
    my $rec = upload('every hostile header at once', headers => \@hostile);
    only_allowed($rec, 'every hostile header at once');
    my $all = join "\n", map { "$_->[0]: $_->[1]" } @{ $rec->{header_list} };
    unlike($all, qr/SMUGGLED|U01VR0dMRUQ|203\.0\.113|evil\.example|ceo\@/,
           'no hostile value in any upstream header');
    is(scalar(up_values($rec, 'authorization')), 1, 'one Authorization');
    is((up_values($rec, 'authorization'))[0], "Bearer $token",
       'the service token, not the client credential');
}

# the client's client-request-id reaches Graph only when it is a GUID;
# anything else is replaced by a fresh one (t/165-request-ids.t has every
# kind of bad value)
{
    my $id = '11111111-2222-4333-8444-555555555555';
    my $rec = upload('client-request-id',
                     headers => [ [ 'client-request-id', $id ] ]);
    is_deeply([ up_values($rec, 'client-request-id') ], [ $id ],
              "the client's GUID, once upstream");
    $rec = upload('client-request-id, no GUID',
                  headers => [ [ 'client-request-id', "$id-SMUGGLED" ] ]);
    my @ids = up_values($rec, 'client-request-id');
    is(scalar @ids, 1, 'one client-request-id upstream');
    ok(is_guid($ids[0]) && $ids[0] ne $id,
       "the client's client-request-id that is no GUID is replaced");
}

# Host: the proxy's, never the client's
{
    my $rec = upload('client Host', headers => [ [ 'X-Any', 'x' ] ]);
    my @host = up_values($rec, 'host');
    is_deeply(\@host, [ '127.0.0.1:' . $t->graph_port ],
              'Host is the one proxy_pass sets');
}

# --- the allowed headers arrive unchanged -----------------------------------

my @allowed = (
    [ 'Accept', 'application/json;odata.metadata=minimal' ],
    [ 'Accept-Language', 'de-CH, fr;q=0.5' ],
    [ 'User-Agent', 'hostile-headers-test/1.0 (+https://example.org)' ],
    [ 'X-Request-Id', 'req-8f14e45f-ceea-467f' ],
    [ 'traceparent',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' ],
    [ 'tracestate', 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' ],
);

{
    my $rec = upload('allowed headers', headers => \@allowed);
    for my $h (@allowed) {
        is_deeply([ up_values($rec, $h->[0]) ], [ $h->[1] ],
                  "$h->[0] arrives unchanged");
    }
    only_allowed($rec, 'allowed headers');
}

{
    my $rec = upload('odd name case of allowed headers',
                     headers => [ [ 'aCCEPT-lANGUAGE', 'it' ],
                                  [ 'USER-AGENT', 'shouting/1.0' ],
                                  [ 'TraceParent', '00-' . '1' x 32 . '-'
                                                   . '2' x 16 . '-00' ] ]);
    is_deeply([ up_values($rec, 'accept-language') ], [ 'it' ],
              'aCCEPT-lANGUAGE passes (names are case-insensitive)');
    is_deeply([ up_values($rec, 'user-agent') ], [ 'shouting/1.0' ],
              'USER-AGENT passes');
    is(scalar(up_values($rec, 'traceparent')), 1, 'TraceParent passes');
}

{
    my $rec = upload('duplicated allowed headers',
                     headers => [ [ 'Accept-Language', 'de' ],
                                  [ 'X-AnchorMailbox', 'ceo@contoso.com' ],
                                  [ 'Accept-Language', 'fr' ],
                                  [ 'Accept', 'application/json' ],
                                  [ 'Accept', 'text/plain' ] ]);
    is_deeply([ up_values($rec, 'accept-language') ], [ 'de', 'fr' ],
              'both Accept-Language lines arrive, in order');
    is_deeply([ up_values($rec, 'accept') ],
              [ 'application/json', 'text/plain' ], 'both Accept lines');
    only_allowed($rec, 'duplicated allowed headers');
}

# --- graph_attach_pass_header -------------------------------------------

{
    my $rec = upload('pass_header in the location', prefix => '/pass/',
                     headers => [ [ 'X-Custom-Thing', 'passed' ],
                                  [ 'X-Forwarded-For', '198.51.100.1' ],
                                  [ 'X-AnchorMailbox', 'ceo@contoso.com' ] ]);
    is_deeply([ up_values($rec, 'x-custom-thing') ], [ 'passed' ],
              'X-Custom-Thing passes where graph_attach_pass_header names it');
    is_deeply([ up_values($rec, 'x-forwarded-for') ], [ '198.51.100.1' ],
              'x-FORWARDED-for in the directive passes X-Forwarded-For');
    only_allowed($rec, 'pass_header in the location', qw(x-custom-thing
                                                          x-forwarded-for));

    $rec = upload('pass_header elsewhere', headers => [
                      [ 'X-Custom-Thing', 'not here' ],
                      [ 'X-Forwarded-For', '198.51.100.1' ] ]);
    only_allowed($rec, 'a location without graph_attach_pass_header');
}

{
    my $rec = upload('pass_header twice at one level', prefix => '/twice/',
                     headers => [ [ 'X-A', 'a' ], [ 'X-B', 'b' ],
                                  [ 'Accept', '*/*' ], [ 'X-C', 'c' ] ]);
    is_deeply([ map { [ up_values($rec, $_) ] } qw(x-a x-b accept) ],
              [ ['a'], ['b'], ['*/*'] ],
              'two directives at one level add up');
    only_allowed($rec, 'pass_header twice', qw(x-a x-b));
}

# server level: inherited by a location without its own; a location with
# its own list replaces the server's (as proxy_set_header does); off
# passes only the defaults
{
    my @h = ([ 'X-Server-Thing', 'srv' ], [ 'X-Loc-Thing', 'loc' ]);

    my $rec = upload('server level, inherited', port => $port2, headers => \@h);
    is_deeply([ up_values($rec, 'x-server-thing') ], [ 'srv' ],
              'server-level graph_attach_pass_header is inherited');
    only_allowed($rec, 'server level, inherited', 'x-server-thing');

    $rec = upload('location list overrides', port => $port2,
                  prefix => '/override/', headers => \@h);
    is_deeply([ up_values($rec, 'x-loc-thing') ], [ 'loc' ],
              "the location's own list applies");
    ok(!grep({ $_ eq 'x-server-thing' } up_names($rec)),
       "and replaces the server's list (X-Server-Thing dropped)");
    only_allowed($rec, 'location list overrides', 'x-loc-thing');

    $rec = upload('off in the location', port => $port2, prefix => '/off/',
                  headers => [ @h, [ 'Accept-Language', 'nl' ] ]);
    only_allowed($rec, 'graph_attach_pass_header off');
    is_deeply([ up_values($rec, 'accept-language') ], [ 'nl' ],
              'off keeps the default allow-list');
}

# proxy_set_header is the operator's: proxy_pass sends it from its own
# configuration, whatever the allow-list says; a $http_ variable of a
# header the allow-list dropped is empty by then, so the header is not sent
{
    my $rec = upload('proxy_set_header next to the allow-list',
                     prefix => '/psh/',
                     headers => [ [ 'X-Forwarded-For', '198.51.100.9' ],
                                  [ 'X-Operator', 'client-SMUGGLED' ],
                                  [ 'Cookie', 'c=1' ],
                                  [ 'X-AnchorMailbox', 'ceo@contoso.com' ] ]);
    is_deeply([ up_values($rec, 'x-forwarded-for') ],
              [ '198.51.100.9, 127.0.0.1' ],
              'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for '
              . 'sends the client list plus the client address');
    is_deeply([ up_values($rec, 'x-operator') ], [ 'set-by-config' ],
              "proxy_set_header's value replaces the client's header");
    ok(!grep({ $_ eq 'x-echo-anchor' || $_ eq 'x-anchormailbox' }
             up_names($rec)),
       'proxy_set_header X-Echo-Anchor $http_x_anchormailbox: empty, '
       . 'not sent');
    is_deeply([ up_values($rec, 'x-echo-cookie') ], [ 'c=1' ],
              'proxy_set_header X-Echo-Cookie $http_cookie: nginx keeps '
              . 'Cookie apart, so the operator copies the client value');
    only_allowed($rec, 'proxy_set_header', qw(x-forwarded-for x-operator
                                              x-echo-cookie));
}

# --- Connection: allowed headers it names are hop-by-hop ------------------

{
    my $rec = upload('Connection: accept-language', keepalive => 1,
                     headers => [ [ 'Connection', 'close, accept-language' ],
                                  [ 'Accept-Language', 'de' ],
                                  [ 'Accept', 'application/json' ] ]);
    ok(!grep({ $_ eq 'accept-language' } up_names($rec)),
       'Connection: accept-language drops Accept-Language');
    is_deeply([ up_values($rec, 'accept') ], [ 'application/json' ],
              'Accept, not named, still passes');
    unlike(join(',', up_values($rec, 'connection')), qr/accept/i,
           "the client's Connection is not forwarded");

    $rec = upload('two Connection headers, odd case', prefix => '/pass/',
                  keepalive => 1,
                  headers => [ [ 'Connection', 'close' ],
                               [ 'User-Agent', 'ua/1' ],
                               [ 'connection', "USER-Agent,\tX-CUSTOM-THING" ],
                               [ 'X-Custom-Thing', 'hop' ],
                               [ 'X-Request-Id', 'kept' ] ]);
    ok(!grep({ $_ eq 'user-agent' || $_ eq 'x-custom-thing' }
             up_names($rec)),
       'every Connection header counts, tokens case-insensitive');
    is_deeply([ up_values($rec, 'x-request-id') ], [ 'kept' ],
              'X-Request-Id, not named, passes');
}

# ~5000 headers, each named in Connection, on the lenient server: the old
# deny list compared each header with each token (25 million compares);
# now each token and each header is looked up once
{
    my $n = 5000;
    my @names = map { sprintf 'X-H%04d', $_ } 1 .. $n;
    my @h = ([ 'Connection', join(', ', 'close', (map { lc } @names),
                                  'accept-language', 'x-custom-thing') ],
             (map { [ $_, 'v' ] } @names),
             [ 'Accept-Language', 'dropped' ],
             [ 'X-Custom-Thing', 'dropped' ],
             [ 'Accept', 'kept' ]);
    my $t0 = time;
    my $rec = upload("$n headers named in Connection", port => $port3,
                     keepalive => 1, headers => \@h);
    note(sprintf "%d headers named in Connection: %.2fs", $n, time - $t0);
    only_allowed($rec, "$n headers named in Connection");
    is_deeply([ up_values($rec, 'accept') ], [ 'kept' ],
              "$n headers: Accept still passes");
}

# --- an attacker's review --------------------------------------------------
# Each attempt either is refused by nginx with nothing sent to Graph, or
# gets its 201 without its marker value in any header Graph received.

# a raw request: the multipart upload with EXTRA header lines (raw
# bytes); chunked => 1 sends the body chunked with TRAILER lines
sub raw_upload {
    my ($port, $extra, %o) = @_;
    my ($ct, $body) = multipart(parts => [ good_part() ]);
    my $req = "POST /graph/$tail HTTP/1.1\r\nHost: localhost\r\n"
            . "Content-Type: $ct\r\n$extra";
    if ($o{chunked}) {
        $req .= "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
              . sprintf("%x\r\n", length $body) . "$body\r\n0\r\n"
              . ($o{trailer} // '') . "\r\n";
    } else {
        $req .= "Content-Length: " . length($body) . "\r\n"
            unless $o{no_length};
        $req .= "Connection: close\r\n\r\n$body";
    }
    return $t->request(raw => $req, port => $port);
}

sub no_marker {
    my ($rec, $marker, $label) = @_;
    my $all = join "\n", map { "$_->[0]: $_->[1]" } @{ $rec->{header_list} };
    unlike($all, qr/\Q$marker\E/, "$label: $marker did not reach Graph");
}

# judges one attempt: WANT is the status nginx answers; for 201 the
# marker must not be upstream, otherwise nothing may be
sub attempt {
    my ($label, $want, $marker, $r) = @_;
    my @rec = $t->graph_records;
    is($r && $r->{status}, $want, "$label: $want")
        or diag($r ? substr($r->{raw} // '', 0, 300) : 'no response');
    if ($want == 201) {
        is(scalar @rec, 1, "$label: one request reached Graph");
        no_marker($rec[0] || { header_list => [] }, $marker, $label);
        only_allowed($rec[0] || { header_list => [] }, $label,
                     'x-custom-thing');
    } else {
        is(scalar @rec, 0, "$label: nothing reached Graph");
    }
    return $rec[0];
}

my $lax = $port3;
my $def = $t->port;

for my $c (
    # underscores_in_headers on: "_" is not "-"
    [ 'X_Custom_Thing (underscores on)', $lax, 201, "X_Custom_Thing: S-1\r\n" ],
    [ 'Accept_Language (underscores on)', $lax, 201,
      "Accept_Language: S-2\r\n" ],
    [ 'X_AnchorMailbox (underscores on)', $lax, 201,
      "X_AnchorMailbox: S-3\r\n" ],
    [ 'X_Custom_Thing (underscores off)', $def, 201,
      "X_Custom_Thing: S-4\r\n" ],
    # ignore_invalid_headers off keeps odd names: none matches the list
    [ 'a 0xff byte in the name', $lax, 201, "X-Custom-Thing\xff: S-5\r\n" ],
    [ 'a longer allowed-looking name', $lax, 201,
      "Accept-Language-" . 'x' x 200 . ": S-6\r\n" ],
    [ 'names one byte off', $lax, 201,
      "Accept-Languag: S-7\r\nAccept-Language2: S-7\r\n"
      . "X-Custom-Things: S-7\r\nX-Custom-Thin: S-7\r\n" ],
    [ 'bare LF line ends', $lax, 201,
      "Accept: lf\nX-AnchorMailbox: S-8\n" ],
    # what nginx refuses whatever ignore_invalid_headers says
    [ 'a space before the colon', $lax, 400, "Accept-Language : S-9\r\n" ],
    [ 'a tab before the colon', $lax, 400, "X-Custom-Thing\t: S-10\r\n" ],
    [ 'a NUL in the name', $lax, 400, "Accept-Lan\0guage: S-11\r\n" ],
    [ 'obs-fold (space)', $lax, 400,
      "Accept: a\r\n X-AnchorMailbox: S-12\r\n" ],
    [ 'obs-fold (tab)', $lax, 400, "Accept: a\r\n\tX-AnchorMailbox: S-13\r\n" ],
    [ 'an empty name', $lax, 400, ": S-14\r\n" ],
    [ 'no colon', $lax, 400, "Accept-Language S-15\r\n" ],
    [ 'a bare CR in a value', $lax, 400,
      "Accept: a\rX-AnchorMailbox: S-16\r\n" ],
    [ 'two Hosts', $def, 400, "Host: graph.microsoft.com\r\n" ],
    [ 'two Content-Lengths', $def, 400, "Content-Length: 5\r\n" ],
    [ 'Transfer-Encoding and Content-Length', $def, 400,
      "Transfer-Encoding: chunked\r\n" ],
) {
    my ($label, $port, $want, $extra) = @$c;
    my ($marker) = $extra =~ /(S-\d+)/;
    $marker //= 'graph.microsoft.com';
    $t->graph_clear;
    attempt($label, $want, $marker, raw_upload($port, $extra));
}

{
    $t->graph_clear;
    attempt('Transfer-Encoding: gzip, chunked', 501, 'gzip',
            raw_upload($def, "Transfer-Encoding: gzip, chunked\r\n",
                       no_length => 1));

    $t->graph_clear;
    attempt('Transfer-Encoding twice', 400, 'chunked',
            raw_upload($def, "Transfer-Encoding: chunked\r\n", chunked => 1));

    $t->graph_clear;
    attempt('"Transfer-Encoding :" (lenient server)', 400, 'chunked',
            raw_upload($lax, "Transfer-Encoding : chunked\r\n",
                       no_length => 1));

    # nginx reads and discards trailers: they never join the headers
    $t->graph_clear;
    my $rec = attempt('headers in a chunked trailer', 201, 'S-20',
                      raw_upload($def, '', chunked => 1,
                                 trailer => "X-AnchorMailbox: S-20\r\n"
                                          . "Accept-Language: S-20\r\n"));
    ok(!exists(($rec || {})->{headers}{'transfer-encoding'}),
       'trailer: the request to Graph is not chunked');
}

# duplicated Content-Type: the first is the one judged, and the client's
# never passes whatever the second says
{
    $t->graph_clear;
    my $rec = attempt('Content-Type multipart, then application/json', 201,
                      'S-21', raw_upload($def, "Content-Type: application/json;"
                                               . " x=S-21\r\n"));
    is_deeply([ up_values($rec || { header_list => [] }, 'content-type') ],
              [ 'application/json' ], 'one Content-Type, the module\'s');

    $t->graph_clear;
    my ($ct, $body) = multipart(parts => [ good_part() ]);
    my $r = $t->request(raw => "POST /graph/$tail HTTP/1.1\r\n"
                             . "Host: localhost\r\n"
                             . "Content-Type: text/plain\r\n"
                             . "Content-Type: $ct\r\n"
                             . "Content-Length: " . length($body) . "\r\n"
                             . "Connection: close\r\n\r\n$body");
    refused($t, $r, 415, 'UnsupportedMediaType',
            'Content-Type text/plain, then multipart');
}

# Connection: odd spacing and empty elements still name the header; a
# name one byte off names nothing
{
    $t->graph_clear;
    my $r = raw_upload($def, "Accept-Language: S-22\r\n"
                           . "Connection: ,, \"x\" ,accept-language ,\r\n");
    attempt('Connection with empty elements', 201, 'S-22', $r);

    $t->graph_clear;
    $r = raw_upload($def, "Accept-Language: kept\r\n"
                        . "Connection: accept-languag, accept-language-x\r\n");
    my $rec = attempt('Connection naming near misses', 201, 'S-none', $r);
    is_deeply([ up_values($rec || { header_list => [] }, 'accept-language') ],
              [ 'kept' ], 'near misses in Connection drop nothing');
}

# HTTP/2 through curl (names lower-cased, Connection stripped by curl)
{
    $t->graph_clear;
    my $file = $t->servroot . '/tmp/h2.txt';
    open(my $fh, '>', $file) or die "$file: $!";
    print {$fh} "h2 upload\n";
    close $fh;
    my $r = $t->curl('--http2-prior-knowledge',
                     '-H', 'X-AnchorMailbox: S-30', '-H', 'Prefer: S-30',
                     '-H', 'te: trailers', '-H', 'Cookie: S-30',
                     '-H', 'Authorization: Bearer S-30',
                     '-H', 'X-HTTP-Method-Override: S-30',
                     '-H', 'Accept-Language: de',
                     '-F', "file=\@$file;type=text/plain",
                     'http://127.0.0.1:' . $t->h2_port . "/pass/$tail");
    is($r->{version}, 'HTTP/2', 'curl h2: spoke HTTP/2');
    my $rec = attempt('curl h2', 201, 'S-30', $r);
    is_deeply([ up_values($rec || { header_list => [] }, 'accept-language') ],
              [ 'de' ], 'curl h2: Accept-Language passes');
}

# HTTP/2 frames written by hand, to send what curl will not: upper-case
# names, connection-specific fields, odd bytes.  HPACK literals without
# Huffman coding; the answer is read as frame types only.

sub hpack_int {
    my ($n) = @_;
    return chr($n) if $n < 127;
    my $s = chr(127);
    $n -= 127;
    while ($n >= 128) {
        $s .= chr(($n & 127) | 128);
        $n >>= 7;
    }
    return $s . chr($n);
}

sub h2_frame {
    my ($type, $flags, $stream, $payload) = @_;
    return substr(pack('N', length $payload), 1)
         . pack('CCN', $type, $flags, $stream) . $payload;
}

# sends one upload with the extra [name, value] fields; returns the
# types of the frames nginx sent on the stream (1 HEADERS, 3 RST_STREAM)
# or the connection (7 GOAWAY)
sub h2_upload {
    my (@fields) = @_;
    my ($ct, $body) = multipart(parts => [ good_part() ]);
    my $block = join '', map {
        "\x00" . hpack_int(length $_->[0]) . $_->[0]
               . hpack_int(length $_->[1]) . $_->[1]
    } ([ ':method', 'POST' ], [ ':scheme', 'http' ],
       [ ':path', "/pass/$tail" ], [ ':authority', 'localhost' ],
       [ 'content-type', $ct ], [ 'content-length', length $body ],
       @fields);

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $t->h2_port, Proto => 'tcp')
        or die "h2 connect: $!";
    binmode $s;
    syswrite($s, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" . h2_frame(4, 0, 0, '')
                 . h2_frame(1, 4, 1, $block) . h2_frame(0, 1, 1, $body));

    my $sel = IO::Select->new($s);
    my ($buf, %seen) = ('');
    my $end = time + 10 * $t->slow;
    READ: while (time < $end && $sel->can_read(1)) {
        sysread($s, $buf, 65536, length $buf) or last;
        while (length $buf >= 9) {
            my $len = unpack('N', "\0" . substr($buf, 0, 3));
            my ($type, $flags, $stream) = unpack('CCN', substr($buf, 3, 6));
            last if length $buf < 9 + $len;
            substr($buf, 0, 9 + $len) = '';
            syswrite($s, h2_frame(4, 1, 0, '')) if $type == 4 && !($flags & 1);
            $seen{$type} = 1 if $stream == 1 || $type == 7;
            last READ if $type == 7 || $type == 3
                         || ($stream == 1 && $flags & 1);
        }
    }
    close $s;
    return \%seen;
}

for my $c (
    # refused by nginx: RST_STREAM or GOAWAY, nothing upstream
    [ 'h2: an upper-case name', 0, [ 'X-AnchorMailbox', 'S-40' ] ],
    [ 'h2: a mixed-case allowed name', 0, [ 'Accept-language', 'S-41' ] ],
    [ 'h2: a trailing space in a name', 0, [ 'accept-language ', 'S-42' ] ],
    [ 'h2: a colon in a name', 0, [ 'x-a:b', 'S-43' ] ],
    [ 'h2: an empty name', 0, [ '', 'S-44' ] ],
    [ 'h2: a NUL in a value', 0, [ 'accept', "a\0S-45" ] ],
    [ 'h2: CRLF in a value', 0, [ 'accept', "a\r\nX-AnchorMailbox: S-46" ] ],
    [ 'h2: transfer-encoding', 0, [ 'transfer-encoding', 'S-47' ] ],
    [ 'h2: a pseudo-header after the fields', 0, [ 'accept', 'x' ],
      [ ':path', '/S-48' ] ],
    # accepted, the marker dropped
    [ 'h2: connection names accept-language', 1,
      [ 'connection', 'accept-language' ], [ 'accept-language', 'S-50' ] ],
    [ 'h2: te, upgrade, http2-settings', 1, [ 'te', 'trailers' ],
      [ 'upgrade', 'S-51' ], [ 'http2-settings', 'S-51' ],
      [ 'x-anchormailbox', 'S-51' ], [ 'prefer', 'S-51' ] ],
    [ 'h2: an underscore name', 1, [ 'x_custom_thing', 'S-52' ] ],
    [ 'h2: cookie crumbs', 1, [ 'cookie', 'a=S-53' ], [ 'cookie', 'b=S-53' ] ],
    [ 'h2: a second content-type', 1,
      [ 'content-type', 'application/json; x=S-54' ] ],
) {
    my ($label, $ok, @fields) = @$c;
    my ($marker) = join(' ', map { @$_ } @fields) =~ /(S-\d+)/;
    $t->graph_clear;
    my $seen = h2_upload(@fields);
    sleep 0.1 * $t->slow;
    my @rec = $t->graph_records;
    if ($ok) {
        is(scalar @rec, 1, "$label: one request reached Graph");
        is($rec[0] && $rec[0]{status}, 201, "$label: the stand-in's 201");
        no_marker($rec[0] || { header_list => [] }, $marker, $label);
        only_allowed($rec[0] || { header_list => [] }, $label,
                     'x-custom-thing');
    } else {
        ok($seen->{1} || $seen->{3} || $seen->{7},
           "$label: nginx answered (HEADERS, RST_STREAM or GOAWAY)");
        is(scalar @rec, 0, "$label: nothing reached Graph");
    }
}

# --- configuration refusals -----------------------------------------------

for my $c (
    [ 'authorization', 'graph_attach_pass_header authorization;',
      qr/"graph_attach_pass_header" cannot pass "authorization": the module/ ],
    [ 'Authorization, any case', 'graph_attach_pass_header X-A AuthoriZation;',
      qr/cannot pass "AuthoriZation": the module sets it \(the service/ ],
    [ 'content-type', 'graph_attach_pass_header Content-Type;',
      qr/cannot pass "Content-Type": the module sets it/ ],
    [ 'content-length', 'graph_attach_pass_header content-length;',
      qr/cannot pass "content-length": the module sets it/ ],
    [ 'client-request-id', 'graph_attach_pass_header client-request-id;',
      qr/cannot pass "client-request-id": the module sets it/ ],
    [ 'host', 'graph_attach_pass_header Host;',
      qr/cannot pass "Host": proxy_pass sets it/ ],
    [ 'transfer-encoding', 'graph_attach_pass_header Transfer-Encoding;',
      qr/cannot pass "Transfer-Encoding": it describes the client's multi/ ],
    [ 'cookie', 'graph_attach_pass_header Cookie;',
      qr/cannot pass "Cookie": it is the client's credential/ ],
    [ 'proxy-authorization', 'graph_attach_pass_header Proxy-Authorization;',
      qr/cannot pass "Proxy-Authorization": it is the client's credential/ ],
    [ 'connection', 'graph_attach_pass_header Connection;',
      qr/cannot pass "Connection": it is hop-by-hop/ ],
    [ 'keep-alive', 'graph_attach_pass_header keep-alive;',
      qr/cannot pass "keep-alive": it is hop-by-hop/ ],
    [ 'te', 'graph_attach_pass_header TE;',
      qr/cannot pass "TE": it is hop-by-hop/ ],
    [ 'upgrade', 'graph_attach_pass_header Upgrade;',
      qr/cannot pass "Upgrade": it is hop-by-hop/ ],
    [ 'a colon', 'graph_attach_pass_header X-Foo:;',
      qr/invalid header name "X-Foo:" in "graph_attach_pass_header": (?x)
         a\ header\ name\ is\ an\ RFC\ 9110\ token/ ],
    [ 'a space', 'graph_attach_pass_header "X Foo";',
      qr/invalid header name "X Foo" in "graph_attach_pass_header"/ ],
    [ 'empty', 'graph_attach_pass_header "";',
      qr/invalid header name "" in "graph_attach_pass_header"/ ],
    [ 'parentheses', 'graph_attach_pass_header X(1);',
      qr/invalid header name "X\(1\)"/ ],
    [ 'a pseudo-header', 'graph_attach_pass_header :authority;',
      qr/invalid header name ":authority"/ ],
    [ 'non-ASCII', "graph_attach_pass_header X-\xc3\x9cml;",
      qr/invalid header name "X-\xc3\x9cml"/ ],
    [ 'a control byte', "graph_attach_pass_header \"X-A\tB\";",
      qr/invalid header name "X-A\tB"/ ],
    [ 'too long', 'graph_attach_pass_header X-' . 'a' x 127 . ';',
      qr/header name "X-a+" in "graph_attach_pass_header" is longer(?x)
         \ than\ 128\ bytes/ ],
    [ 'off with names', 'graph_attach_pass_header off X-A;',
      qr/"graph_attach_pass_header off" cannot be combined with header names/ ],
    [ 'names, then off', "graph_attach_pass_header X-A;\n"
                         . "graph_attach_pass_header off;",
      qr/"graph_attach_pass_header off" cannot be combined/ ],
    [ 'off, then names', "graph_attach_pass_header off;\n"
                         . "graph_attach_pass_header X-A;",
      qr/"graph_attach_pass_header off" cannot be combined/ ],
) {
    my ($label, $dir, $re) = @$c;
    my ($ok, $out) = conf_test($dir);
    ok(!$ok, "nginx -t refuses graph_attach_pass_header: $label");
    like($out, $re, "  with a clear message: $label") or diag($out);
}

for my $c (
    [ 'every tchar', q{graph_attach_pass_header "X-!#$%&'*+.^_`|~09az";} ],
    [ 'a default name again', 'graph_attach_pass_header Accept User-Agent;' ],
    [ '128 bytes', 'graph_attach_pass_header X-' . 'a' x 126 . ';' ],
    [ 'off', 'graph_attach_pass_header off;' ],
) {
    my ($label, $dir) = @$c;
    my ($ok, $out) = conf_test($dir);
    ok($ok, "nginx -t accepts graph_attach_pass_header: $label") or diag($out);
}

$t->done_testing;
