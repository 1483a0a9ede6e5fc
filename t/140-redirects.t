# The request leaves the graph_attach location: an error_page to a named
# location, a mirror subrequest, a body nginx already discarded.  The
# service token must reach Graph and nothing else, and a body the module
# did not read must never reach Graph as if it had been checked.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep);

use FindBin;
use lib "$FindBin::Bin/lib";
use GraphAttach::Test;

my $t = GraphAttach::Test->new(workers => 1);

$t->start(workers => 1, http => <<'HTTP', server => <<'SERVER');
    log_format capture '$request_uri auth="$http_authorization" '
                       'cid="$http_client_request_id"';
HTTP
        # Graph unreachable: error_page hands the request to another backend
        location /fallback/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            proxy_pass http://127.0.0.1:1$graph_attach_uri;
            error_page 502 = @fallback;
        }

        location @fallback {
            rewrite ^ /capture break;
            proxy_pass http://127.0.0.1:%%PORT%%;
        }

        # a mirror subrequest copies the request headers
        location /mirror/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            mirror /capture_mirror;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }

        location = /capture_mirror {
            internal;
            proxy_pass http://127.0.0.1:%%PORT%%/capture;
        }

        location /capture {
            access_log %%SERVROOT%%/logs/capture.log capture;
            return 200 "captured\n";
        }

        # a subrequest routed into a graph_attach location
        location /sub/ {
            mirror /g/users/alice@contoso.com/messages/M/attachments;
            proxy_pass http://127.0.0.1:%%PORT%%/capture;
        }

        location /g/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }

        # core refuses the body (413), error_page sends the request on
        location /users/ {
            client_max_body_size 100;
            error_page 413 = @graph;
        }

        location @graph {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }
SERVER

my $token = 'eyJ0eXAi.redirect-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $file = { name => 'file', filename => 'a.txt', type => 'text/plain',
             data => 'hello' };

sub captured {
    sleep 0.3;
    my $log = eval { $t->slurp('logs/capture.log') } // '';
    return grep { length } split /\n/, $log;
}

# error_page to a named location that proxies elsewhere

my $r = $t->post(path => "/fallback$msg", parts => [ $file ]);
is($r->{status}, 200, 'error_page fallback answered');

my @lines = captured();
is(scalar @lines, 1, 'the fallback backend got the request');
like($lines[0] // '', qr/auth="-"/,
     'the fallback backend got no Authorization');
unlike(join("\n", @lines), qr/\Q$token\E/, 'no token at the fallback');

# mirror: Graph gets the upload, the mirror target gets no token

$t->graph_clear;
$r = $t->post(path => "/mirror$msg", parts => [ $file ]);
is($r->{status}, 201, 'mirror location: 201 from Graph');

my ($rec, @more) = $t->graph_records;
ok($rec && !@more, 'one request reached Graph');
is($rec->{headers}{authorization}, "Bearer $token",
   'Graph got the token');

@lines = captured();
is(scalar @lines, 2, 'the mirror target got the copy');
like($lines[1] // '', qr/auth="-"/, 'the mirror copy has no Authorization');
unlike(join("\n", @lines), qr/\Q$token\E/, 'no token at the mirror target');

# a subrequest into a graph_attach location is refused, not proxied

$t->graph_clear;
$r = $t->request(raw => "GET /sub/ HTTP/1.1\r\nHost: localhost\r\n"
                        . "Connection: close\r\n\r\n");
is($r->{status}, 200, 'the parent request is answered');
sleep 0.3;
$t->nothing_upstream('subrequest into a graph_attach location');
like($t->slurp('logs/error.log'), qr/subrequests are not supported/,
     'the refused subrequest is logged');

# a body core already discarded never reaches Graph

$t->graph_clear;
my $big = { %$file, data => 'x' x 5000 };
my $raw = $t->build_request(path => $msg, parts => [ $big ]);
my ($head, $body) = split /\r\n\r\n/, $raw, 2;

# the headers first, the body later, so nginx does not preread it
$r = $t->request(chunks => [ "$head\r\n\r\n", $body ], delay => 0.3);
is($r->{status}, 500, 'discarded body in a graph_attach location: 500');
like($r->{body} // '', qr/"code":"InternalError"/, 'answered in JSON');
$t->nothing_upstream('discarded body');

$t->done_testing;
